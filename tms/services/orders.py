"""Paid orders: register (idempotent on order_ref), list, cancel while pending."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tms.domain.access import ApiKey
from tms.domain.errors import Conflict, DuplicateKey, InvalidInput, NotFound, Problem, quoted
from tms.domain.modes import DeliveryMode
from tms.domain.orders import Order, OrderStatus
from tms.services.unit_of_work import UnitOfWork


def _same_order(stored: Order, order: Order) -> bool:
    """Equal as registered (status, run and timestamps aside), by the same channel (any, for an order
    registered before orders had channels)."""

    def as_registered(o: Order) -> Order:
        return replace(o, status=OrderStatus.PENDING, created_at=None, run_id=None, channel=stored.channel)

    return (stored.channel is None or stored.channel == order.channel) and as_registered(stored) == as_registered(
        order
    )


def register_order(uow: UnitOfWork, order: Order, *, known_warehouses: set[str], now: datetime) -> tuple[Order, bool]:
    """Store a paid order as pending, with its channel. The same order again from the same channel is a
    no-op; another one with its ref, or the same from another channel, is 409."""
    if order.warehouse not in known_warehouses:
        raise InvalidInput(
            "unknown warehouse", [Problem(f"must be one of {', '.join(sorted(known_warehouses))}", field="origin")]
        )
    if order.pickup_point_id and order.mode == DeliveryMode.HOME:
        raise InvalidInput(
            "a pickup point was given for a home delivery",
            [Problem("only for mode pickup_point or locker", field="pickup_point_id")],
        )
    if order.pickup_point_id and not order.carrier:
        raise InvalidInput(
            "a pickup point belongs to a carrier's network",
            [Problem("is required with a pickup_point_id", field="carrier")],
        )
    for attempt in range(2):
        with uow:
            existing = uow.orders.get(order.order_ref)
            if existing is not None:
                if _same_order(existing, order):
                    return existing, False
                raise Conflict(f"order {quoted(order.order_ref)} is already registered with other content")
            try:
                stored = uow.orders.add(order, now)
                uow.commit()
                return stored, True
            except DuplicateKey:
                if attempt:
                    raise
                # the same order_ref was registered concurrently: read it back and compare
    raise AssertionError("unreachable")


def get_order(uow: UnitOfWork, order_ref: str) -> Order:
    with uow:
        order = uow.orders.get(order_ref)
    if order is None:
        raise NotFound(f"order {quoted(order_ref)} does not exist")
    return order


def list_orders(
    uow: UnitOfWork,
    *,
    status: OrderStatus | None = None,
    consignee_key: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Order]:
    with uow:
        return uow.orders.list(status=status, consignee_key=consignee_key, limit=limit, offset=offset)


def cancel_order(uow: UnitOfWork, order_ref: str, *, by: ApiKey) -> Order:
    """Cancel a pending order. A checkout key cancels only its channel's orders: another channel's order
    is not found for it (404, as if it did not exist), so that a shop learns nothing of another's."""
    return _move_order(
        uow, order_ref, OrderStatus.CANCELLED, OrderStatus.PENDING, "only a pending order can be cancelled", by
    )


def dispatch_order(uow: UnitOfWork, order_ref: str) -> Order:
    """The parcels of a planned order were handed to the carrier (a manager's move: any channel's order)."""
    return _move_order(
        uow, order_ref, OrderStatus.DISPATCHED, OrderStatus.PLANNED, "only a planned order can be dispatched", None
    )


def _move_order(
    uow: UnitOfWork, order_ref: str, status: OrderStatus, only_from: OrderStatus, rule: str, by: ApiKey | None
) -> Order:
    """Move the order from `only_from` to `status`, or say (409) which status it is in and the `rule`.
    With `by`, an order of a channel the key may not cancel is not found."""
    with uow:
        order = uow.orders.get(order_ref)
        if order is None or (by is not None and not by.may_cancel_orders_of(order.channel)):
            raise NotFound(f"order {quoted(order_ref)} does not exist")
        moved = uow.orders.set_status(order_ref, status, only_from=only_from)
        if moved is None:
            raise Conflict(f"order {quoted(order_ref)} is {order.status.value}; {rule}")
        uow.commit()
        return moved
