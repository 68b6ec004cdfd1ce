"""Tracking events: what carriers say happened to a parcel, in one vocabulary.

Every carrier's code is kept as it came (`code`); `kind` is its normalised meaning, `unknown` when
the code is not known yet (kept and shown, never dropped). An event is the same event when its
(carrier, tracking number, code, time) are: storing it twice keeps one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class EventKind(StrEnum):
    LABEL_CREATED = "label_created"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"  # waiting at a pickup point, until `held_until`
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    EXCEPTION = "exception"
    RETURNED = "returned"
    UNKNOWN = "unknown"  # a code the adapter does not know: the carrier's code is kept


FINAL_KINDS = frozenset({EventKind.DELIVERED, EventKind.RETURNED})
CODE_MAX = 40
DESCRIPTION_MAX = 500
PLACE_MAX = 200


@dataclass(frozen=True)
class TrackingEvent:
    """One event as a carrier reported it, normalised."""

    carrier: str
    tracking_number: str
    code: str  # the carrier's own code
    kind: EventKind
    occurred_at: datetime  # aware
    description: str = ""
    location: str = ""
    pickup_point: str = ""  # for available_for_pickup: the point's id or name
    held_until: date | None = None  # for available_for_pickup: the last day the point keeps it

    @property
    def key(self) -> tuple[str, str, str, datetime]:
        return (self.carrier, self.tracking_number, self.code, self.occurred_at)


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored: matched to its shipment, or unmatched (no shipment has its tracking number)."""

    id: int
    event: TrackingEvent
    shipment_id: int | None
    source: str  # webhook, poll or csv
    received_at: datetime


def event_problems(event: TrackingEvent) -> list[tuple[str, str]]:
    """(field, message) for each reason the event cannot be stored (sizes, an aware time, NUL-free text)."""
    problems = []
    for name, value, limit in (
        ("tracking_number", event.tracking_number, 64),
        ("code", event.code, CODE_MAX),
        ("description", event.description, DESCRIPTION_MAX),
        ("location", event.location, PLACE_MAX),
        ("pickup_point", event.pickup_point, PLACE_MAX),
    ):
        if len(value) > limit:
            problems.append((name, f"must be at most {limit} characters"))
        elif "\x00" in value or not value.isprintable():
            problems.append((name, "must be printable text"))
        elif name in {"tracking_number", "code"} and not value.strip():
            problems.append((name, "is required"))
    if event.occurred_at.tzinfo is None:
        problems.append(("occurred_at", "must carry a time zone"))
    return problems


@dataclass(frozen=True)
class DeliveredRecord:
    """A delivered parcel as the store knows it: its shipment's carrier, service, pickup day and
    destination, and the times of its parcel's first picked_up (None when none came) and first
    delivered events. What delivery times are learned from (`tms.domain.lane_stats`)."""

    shipment_id: int
    tracking_number: str
    carrier: str
    service: str
    country: str
    postcode: str
    ships_on: date
    picked_up_at: datetime | None
    delivered_at: datetime


@dataclass(frozen=True)
class InTransitRecord:
    """A parcel picked up and not arrived yet (nor returned), as the store knows it: its shipment's
    carrier, service and destination, and the time of its first picked_up event. An open observation
    for the delivery times learned: it takes longer than it has been on its way."""

    shipment_id: int
    tracking_number: str
    carrier: str
    service: str
    country: str
    postcode: str
    picked_up_at: datetime
