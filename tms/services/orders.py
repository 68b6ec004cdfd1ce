"""Paid orders: register (idempotent on order_ref), list, cancel while pending."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from solvers.boxing import BoxType
from solvers.boxing import Item as BoxItem
from tms.domain.access import ApiKey
from tms.domain.errors import Conflict, DuplicateKey, InvalidInput, NotFound, Problem, quoted
from tms.domain.features import NO_FEATURES
from tms.domain.modes import DeliveryMode
from tms.domain.orders import Order, OrderStatus
from tms.domain.shipments import Shipment
from tms.services.capacity import LiveBookings
from tms.services.promises import PromiseWatch
from tms.services.quoting import QuoteBook
from tms.services.shipments import dispatch_order_shipment
from tms.services.unit_of_work import UnitOfWork


def with_chosen_features(book: QuoteBook | None, order: Order) -> Order:
    """The order with what the shopper's choice holds the plan to: the features it states, with those of
    the service it names as the card in force on its order day has them (a service no card has adds
    none). Recorded when the order is registered, so a card changed before the night run changes nothing."""
    if book is None:  # nothing to record from: the plan reads the named service's features itself
        return order
    stated = order.features or NO_FEATURES
    chosen = book.chosen_service(order)
    return replace(order, features=stated if chosen is None else stated.together(chosen.features))


def _same_order(stored: Order, order: Order) -> bool:
    """Equal as registered (status, run and timestamps aside), by the same channel (any, for an order
    registered before orders had channels). The features it states must be among those recorded (which
    add the chosen service's)."""

    def as_registered(o: Order) -> Order:
        return replace(
            o,
            status=OrderStatus.PENDING,
            channel=stored.channel,
            created_at=None,
            run_id=None,
            shipment_id=None,
            attention=None,
            features=None,
            ships_on=None,
        )

    stated = order.features or NO_FEATURES
    if stored.features is not None and not stored.features.covers(stated):
        return False
    return (stored.channel is None or stored.channel == order.channel) and as_registered(stored) == as_registered(order)


def register_order(
    uow: UnitOfWork,
    order: Order,
    *,
    known_warehouses: set[str],
    now: datetime,
    box_types: Sequence[BoxType] = (),
    book: QuoteBook | None = None,
    bookings: LiveBookings | None = None,
) -> tuple[Order, bool]:
    """Store a paid order as pending, with its channel. The same order again from the same channel is a
    no-op; another one with its ref, or the same from another channel, is 409. With `box_types`, an
    item that fits none of them is refused (422 naming it): nothing could ship it. With `book`, the
    features of the service it names are recorded with it (`with_chosen_features`); with `bookings`
    too, the pickup day its checkout sold (`QuoteBook.sold_ship_day`), which it then books."""
    if order.warehouse not in known_warehouses:
        raise InvalidInput(
            "unknown warehouse", [Problem(f"must be one of {', '.join(sorted(known_warehouses))}", field="origin")]
        )
    if order.pickup_point_id and order.mode == DeliveryMode.HOME:
        raise InvalidInput(
            "a pickup point was given for a home delivery",
            [Problem("only for mode pickup_point or locker", field="pickup_point_id")],
        )
    if box_types:
        _refuse_unboxable(order, box_types)
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
                chosen = with_chosen_features(book, order)
                if book is not None and bookings is not None:
                    chosen = replace(chosen, ships_on=book.sold_ship_day(chosen, bookings.full()))
                stored = uow.orders.add(chosen, now)
                uow.commit()
            except DuplicateKey:
                if attempt:
                    raise
                continue  # the same order_ref was registered concurrently: read it back and compare
            if bookings is not None:
                bookings.book(stored)
            return stored, True
    raise AssertionError("unreachable")


def _refuse_unboxable(order: Order, box_types: Sequence[BoxType]) -> None:
    problems = []
    for n, item in enumerate(order.items):
        unit = BoxItem(item.sku, item.weight_g, item.length_mm, item.width_mm, item.height_mm)
        if not any(box.fits(unit) for box in box_types):
            largest = max(box_types, key=lambda b: b.inner_volume_mm3)
            sides = " x ".join(
                f"{mm / 10:g}" for mm in (largest.inner_length_mm, largest.inner_width_mm, largest.inner_height_mm)
            )
            problems.append(
                Problem(
                    f"fits no box (the largest is {sides} cm, up to {largest.max_weight_g / 1000:g} kg)",
                    field=f"items[{n}]",
                )
            )
    if problems:
        raise InvalidInput("an item fits no box, so nothing could ship the order", problems)


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
    carrier: str | None = None,
    since: date | None = None,
    until: date | None = None,
    postcode: str | None = None,
    q: str | None = None,
    timezone: str = "Europe/Paris",
    limit: int = 100,
    offset: int = 0,
) -> list[Order]:
    """Orders, oldest first; `since` .. `until` are days of the shop's time zone, both included."""
    zone = ZoneInfo(timezone)
    with uow:
        return uow.orders.list(
            status=status,
            consignee_key=consignee_key,
            carrier=carrier,
            since=None if since is None else datetime.combine(since, time(), zone),
            until=None if until is None else datetime.combine(until + timedelta(days=1), time(), zone),
            postcode=postcode,
            text=q,
            limit=limit,
            offset=offset,
        )


def cancel_order(uow: UnitOfWork, order_ref: str, *, by: ApiKey) -> Order:
    """Cancel an order not yet planned: pending, or needing attention. A checkout key cancels only its
    channel's orders: another channel's order is not found for it (404, as if it did not exist), so that a
    shop learns nothing of another's."""
    return _move_order(
        uow,
        order_ref,
        OrderStatus.CANCELLED,
        (OrderStatus.PENDING, OrderStatus.NEEDS_ATTENTION),
        "only a pending order (or one needing attention) can be cancelled",
        by,
    )


def dispatch_order(uow: UnitOfWork, order_ref: str, *, now: datetime, watch: PromiseWatch | None = None) -> Order:
    """The parcels of a planned order were handed to the carrier (a manager's move: any channel's order):
    its whole shipment goes, every order in it (see `shipments.dispatch_shipment` for the way with
    tracking numbers)."""
    dispatch_order_shipment(uow, order_ref, now=now, watch=watch)
    return get_order(uow, order_ref)


def planned_shipments(uow: UnitOfWork, orders: Sequence[Order]) -> dict[int, Shipment]:
    """The shipments the orders are in, by id."""
    ids = sorted({o.shipment_id for o in orders if o.shipment_id is not None})
    with uow:
        found = [uow.shipments.get(i) for i in ids]
    return {s.id: s for s in found if s is not None}


def _move_order(
    uow: UnitOfWork,
    order_ref: str,
    status: OrderStatus,
    only_from: tuple[OrderStatus, ...],
    rule: str,
    by: ApiKey | None,
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
