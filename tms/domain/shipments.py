"""Shipments as records: what a planning run booked, then what was handed to the carrier."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class ShipmentStatus(StrEnum):
    PLANNED = "planned"  # booked by a run, waiting for the carrier's pickup
    DISPATCHED = "dispatched"  # handed to the carrier, one tracking number per parcel
    DELIVERED = "delivered"  # every parcel delivered, or available at its pickup point and collected


class PromiseStatus(StrEnum):
    """The shipment against the date the shopper was shown (`promised_by`), as the promise watch
    predicts it: `at_risk` when the carrier's fastest remaining transit still makes it but its
    slowest does not, `late` when even the fastest cannot (or the day has passed undelivered)."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    LATE = "late"
    DELIVERED_ON_TIME = "delivered_on_time"
    DELIVERED_LATE = "delivered_late"


@dataclass(frozen=True)
class Shipment:
    id: int
    run_id: int
    ships_on: date
    carrier: str
    service: str
    mode: str
    parcels: int
    weight_g: int
    cost_cents: int
    rate_card_id: int
    status: ShipmentStatus
    orders: tuple[str, ...]
    tracking_numbers: tuple[str, ...]
    dispatched_at: datetime | None
    detail: dict[str, Any]  # the planned shipment's document (boxes, delivery window, cost breakdown)
    tracking_token: str = ""  # the shopper's tracking page: /t/<token>
    promised_by: date | None = None  # the date the shopper was shown: its orders' earliest deliver_by
    predicted_on: date | None = None  # the promise watch's latest prediction of the delivery day
    promise_status: PromiseStatus | None = None  # None until the watch has seen it
    delivered_on: date | None = None


@dataclass(frozen=True)
class DeliveryOutcome:
    """A delivered shipment against its promise, with where it went (for on-time rates per lane)."""

    shipment_id: int
    carrier: str
    service: str
    country: str
    postcode: str
    ships_on: date
    promised_by: date | None
    delivered_on: date

    @property
    def on_time(self) -> bool | None:
        """None when the shopper was promised no date."""
        return None if self.promised_by is None else self.delivered_on <= self.promised_by


@dataclass(frozen=True)
class DaySpend:
    """What one carrier's shipments of one mode cost on one ship day."""

    ships_on: date
    carrier: str
    mode: str
    shipments: int
    parcels: int
    orders: int
    cost_cents: int


TRACKING_NUMBER_MAX = 64


def new_tracking_token() -> str:
    """An unguessable token for the shopper's tracking page (192 random bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def tracking_problems(tracking_numbers: list[str], parcels: int) -> list[tuple[str, str]]:
    """(field, message) for each reason the tracking numbers cannot be a shipment's: one per parcel,
    each 1-64 visible characters, no two alike."""
    if len(tracking_numbers) != parcels:
        return [("tracking_numbers", f"needs one tracking number per parcel: {parcels}, not {len(tracking_numbers)}")]
    problems = []
    seen: set[str] = set()
    for n, number in enumerate(tracking_numbers):
        if not 1 <= len(number) <= TRACKING_NUMBER_MAX or not number.isprintable() or number != number.strip():
            problems.append((f"tracking_numbers[{n}]", f"must be 1-{TRACKING_NUMBER_MAX} characters, no spaces around"))
        elif number in seen:
            problems.append((f"tracking_numbers[{n}]", "is given twice"))
        seen.add(number)
    return problems
