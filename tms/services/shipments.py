"""Shipments: look them up, and dispatch one with a tracking number per parcel (its orders with it)."""

from __future__ import annotations

from datetime import date, datetime

from tms.domain.errors import Conflict, InvalidInput, NotFound, Problem
from tms.domain.shipments import Shipment, ShipmentStatus, tracking_problems
from tms.services.unit_of_work import UnitOfWork


def list_shipments(
    uow: UnitOfWork,
    *,
    run_id: int | None = None,
    ships_on: date | None = None,
    carrier: str | None = None,
    status: ShipmentStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Shipment]:
    with uow:
        return uow.shipments.list(
            run_id=run_id, ships_on=ships_on, carrier=carrier, status=status, limit=limit, offset=offset
        )


def get_shipment(uow: UnitOfWork, shipment_id: int) -> Shipment:
    with uow:
        shipment = uow.shipments.get(shipment_id)
    if shipment is None:
        raise NotFound(f"shipment {shipment_id} does not exist")
    return shipment


def dispatch_shipment(uow: UnitOfWork, shipment_id: int, tracking_numbers: list[str], *, now: datetime) -> Shipment:
    """The shipment was handed to the carrier: it and all its orders are dispatched together."""
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
        uow.commit()
        return moved


def dispatch_order_shipment(uow: UnitOfWork, order_ref: str, *, now: datetime) -> Shipment:
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
        uow.commit()
        return moved
