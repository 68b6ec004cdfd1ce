"""Shipments: look them up, and dispatch one with a tracking number per parcel (its orders with it)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from tms.domain.errors import Conflict, InvalidInput, NotFound, Problem
from tms.domain.shipments import DeliveryOutcome, PromiseStatus, Shipment, ShipmentStatus, tracking_problems
from tms.services.pickup_points import department
from tms.services.promises import PromiseWatch
from tms.services.unit_of_work import UnitOfWork


def list_shipments(
    uow: UnitOfWork,
    *,
    run_id: int | None = None,
    ships_on: date | None = None,
    carrier: str | None = None,
    status: ShipmentStatus | None = None,
    promise_status: PromiseStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Shipment]:
    with uow:
        return uow.shipments.list(
            run_id=run_id,
            ships_on=ships_on,
            carrier=carrier,
            status=status,
            promise_status=() if promise_status is None else (promise_status,),
            limit=limit,
            offset=offset,
        )


@dataclass(frozen=True)
class OnTimeRate:
    carrier: str
    service: str | None
    destination: str | None
    delivered: int
    on_time: int
    on_time_rate: float
    late_days_mean: float | None


def on_time_rates(uow: UnitOfWork, *, since: date, until: date, by: str = "carrier") -> list[OnTimeRate]:
    """Of the shipments delivered from `since` to `until` with a promised date, the share delivered by
    it, per carrier or per lane (carrier, service, destination country and department), worst first."""
    with uow:
        outcomes = uow.shipments.delivery_outcomes(since=since, until=until)
    groups: dict[tuple[str, str | None, str | None], list[DeliveryOutcome]] = defaultdict(list)
    for o in outcomes:
        if o.promised_by is None:
            continue
        lane = (o.service, f"{o.country}-{department(o.country, o.postcode)}") if by == "lane" else (None, None)
        groups[(o.carrier, *lane)].append(o)
    rates = []
    for (carrier, service, destination), delivered in groups.items():
        late = [(o.delivered_on - o.promised_by).days for o in delivered if o.promised_by and not o.on_time]
        on_time = len(delivered) - len(late)
        rates.append(
            OnTimeRate(
                carrier,
                service,
                destination,
                len(delivered),
                on_time,
                round(on_time / len(delivered), 4),
                round(sum(late) / len(late), 2) if late else None,
            )
        )
    return sorted(rates, key=lambda r: (r.on_time_rate, r.carrier, r.service or "", r.destination or ""))


def get_shipment(uow: UnitOfWork, shipment_id: int) -> Shipment:
    with uow:
        shipment = uow.shipments.get(shipment_id)
    if shipment is None:
        raise NotFound(f"shipment {shipment_id} does not exist")
    return shipment


def dispatch_shipment(
    uow: UnitOfWork,
    shipment_id: int,
    tracking_numbers: list[str],
    *,
    now: datetime,
    watch: PromiseWatch | None = None,
) -> Shipment:
    """The shipment was handed to the carrier: it and all its orders are dispatched together, and
    its shoppers are told (the messages written in the same transaction)."""
    with uow:
        shipment = uow.shipments.get(shipment_id)
        if shipment is None:
            raise NotFound(f"shipment {shipment_id} does not exist")
        problems = tracking_problems(tracking_numbers, shipment.parcels)
        if problems:
            raise InvalidInput(
                "the tracking numbers are not valid", [Problem(message, field=field) for field, message in problems]
            )
        moved = uow.shipments.dispatch(shipment_id, tracking_numbers, now)
        if moved is None:
            raise Conflict(f"shipment {shipment_id} is {shipment.status.value}; only a planned one can be dispatched")
        if watch is not None:
            watch.shipped(uow, moved, now)
            moved = uow.shipments.get(moved.id) or moved
        uow.commit()
        return moved


def dispatch_order_shipment(
    uow: UnitOfWork, order_ref: str, *, now: datetime, watch: PromiseWatch | None = None
) -> Shipment:
    """The parcels of a planned order were handed over: its whole shipment goes, every order in it
    (without tracking numbers; `dispatch_shipment` records them)."""
    with uow:
        order = uow.orders.get(order_ref)
        if order is None:
            raise NotFound(f"order {order_ref!r} does not exist")
        shipment = uow.shipments.get(order.shipment_id) if order.shipment_id else None
        if shipment is None or shipment.status is not ShipmentStatus.PLANNED:
            raise Conflict(f"order {order_ref!r} is {order.status.value}; only a planned order can be dispatched")
        moved = uow.shipments.dispatch(shipment.id, (), now)
        if moved is None:
            raise Conflict(f"order {order_ref!r} was dispatched meanwhile")
        if watch is not None:
            watch.shipped(uow, moved, now)
            moved = uow.shipments.get(moved.id) or moved
        uow.commit()
        return moved
