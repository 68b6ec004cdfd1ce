"""Tracking events in: store what the carriers report, each event once, matched to its shipment by
(carrier, tracking number) or kept as unmatched; read a shipment's events back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tms.domain.errors import InvalidInput, NotFound, Problem
from tms.domain.shipments import ShipmentStatus
from tms.domain.tracking import FINAL_KINDS, StoredEvent, TrackingEvent, event_problems
from tms.services.promises import PromiseWatch
from tms.services.unit_of_work import UnitOfWork

log = logging.getLogger("tms.tracking")


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


def record_events(
    uow: UnitOfWork,
    events: Sequence[TrackingEvent],
    *,
    source: str,
    now: datetime,
    watch: PromiseWatch | None = None,
) -> Recorded:
    """Store the events all together (one transaction); one already stored is skipped. With a watch,
    each shipment that got news is reviewed in the same transaction (delivered, waiting at its
    point, late), and the messages that causes are written with it."""
    check_events(events)
    stored = unmatched = 0
    touched: set[int] = set()
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
                shipment_id = shipments[key]
                if shipment_id is not None:
                    touched.add(shipment_id)
        if watch is not None:
            for shipment_id in sorted(touched):
                shipment = uow.shipments.get(shipment_id)
                if shipment is not None:
                    watch.review(uow, shipment, now)
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


@dataclass(frozen=True)
class PollReport:
    asked: int  # parcels asked about
    failed: int  # parcels the carrier's API did not answer for (logged; asked again next time)
    recorded: Recorded


def open_parcels(uow: UnitOfWork, carriers: set[str], *, page: int = 500) -> list[tuple[str, str]]:
    """(carrier, tracking number) of every dispatched parcel of these carriers not yet delivered or returned."""
    found: list[tuple[str, str]] = []
    with uow:
        offset = 0
        while True:
            shipments = uow.shipments.list(status=ShipmentStatus.DISPATCHED, limit=page, offset=offset)
            for shipment in shipments:
                if shipment.carrier not in carriers or not shipment.tracking_numbers:
                    continue
                final = {
                    s.event.tracking_number
                    for s in uow.tracking.for_shipment(shipment.id)
                    if s.event.kind in FINAL_KINDS
                }
                found += [(shipment.carrier, n) for n in shipment.tracking_numbers if n not in final]
            if len(shipments) < page:
                return found
            offset += page


def poll_open_parcels(
    uow: UnitOfWork,
    ask: Callable[[str, str], Sequence[TrackingEvent]],
    *,
    carriers: set[str],
    now: datetime,
    watch: PromiseWatch | None = None,
) -> PollReport:
    """Ask the carrier about each open parcel (`ask(carrier, tracking number)`), store what it says.
    A parcel whose carrier fails (any exception of `ask`) is logged and left for the next poll."""
    events: list[TrackingEvent] = []
    parcels = open_parcels(uow, carriers)
    failed = 0
    for carrier, number in parcels:
        try:
            answered = ask(carrier, number)
        except Exception as error:  # a carrier's outage or a malformed answer must not stop the others
            log.warning("tracking of %s %s failed: %s", carrier, number, error)
            failed += 1
            continue
        good = [e for e in answered if not event_problems(e)]
        if len(good) < len(answered):
            log.warning("tracking of %s %s: %d events not storable", carrier, number, len(answered) - len(good))
        events += good
    recorded = record_events(uow, events, source="poll", now=now, watch=watch)
    return PollReport(asked=len(parcels), failed=failed, recorded=recorded)
