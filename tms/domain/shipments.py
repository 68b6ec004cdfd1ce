"""Shipments as records: what a planning run booked, then what was handed to the carrier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class ShipmentStatus(StrEnum):
    PLANNED = "planned"  # booked by a run, waiting for the carrier's pickup
    DISPATCHED = "dispatched"  # handed to the carrier, one tracking number per parcel


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


TRACKING_NUMBER_MAX = 64


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
