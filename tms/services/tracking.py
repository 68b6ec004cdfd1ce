"""Tracking events in: store what the carriers report, each event once, matched to its shipment by
(carrier, tracking number) or kept as unmatched; read a shipment's events back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tms.domain.errors import InvalidInput, NotFound, Problem
from tms.domain.tracking import StoredEvent, TrackingEvent, event_problems
from tms.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Recorded:
    received: int
    stored: int  # new events
    duplicates: int  # stored before: (carrier, number, code, time) seen already
    unmatched: int  # of the new ones, those no dispatched shipment has the tracking number of


def check_events(events: Sequence[TrackingEvent], where: str = "events") -> None:
    """Every event storable, or InvalidInput naming each one's field."""
    problems = [
        Problem(message, field=f"{where}[{i}].{field}")
        for i, event in enumerate(events)
        for field, message in event_problems(event)
    ]
    if problems:
        raise InvalidInput("the tracking events cannot be stored", problems)


def record_events(uow: UnitOfWork, events: Sequence[TrackingEvent], *, source: str, now: datetime) -> Recorded:
    """Store the events all together (one transaction); one already stored is skipped."""
    check_events(events)
    stored = unmatched = 0
    with uow:
        shipments: dict[tuple[str, str], int | None] = {}
        for event in events:
            key = (event.carrier, event.tracking_number)
            if key not in shipments:
                shipment = uow.shipments.by_tracking_number(*key)
                shipments[key] = None if shipment is None else shipment.id
            if uow.tracking.add(event, shipment_id=shipments[key], source=source, received_at=now):
                stored += 1
                unmatched += shipments[key] is None
        uow.commit()
    return Recorded(received=len(events), stored=stored, duplicates=len(events) - stored, unmatched=unmatched)


def shipment_events(uow: UnitOfWork, shipment_id: int) -> list[StoredEvent]:
    with uow:
        if uow.shipments.get(shipment_id) is None:
            raise NotFound(f"shipment {shipment_id} does not exist")
        return uow.tracking.for_shipment(shipment_id)


def unmatched_events(
    uow: UnitOfWork, *, carrier: str | None = None, limit: int = 100, offset: int = 0
) -> list[StoredEvent]:
    with uow:
        return uow.tracking.unmatched(carrier=carrier, limit=limit, offset=offset)
