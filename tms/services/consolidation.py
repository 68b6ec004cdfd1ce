"""The consolidation run: plan a warehouse's waiting orders for one planning run, check, write once.

A run is (shipping date, warehouse, run time): at most one succeeded run each, so two schedulers
never plan anything twice. It calls the planning use case (`planning.plan_orders`), then the
independent checker (`plan_check.check_plan`), and writes the plan in one transaction. A plan
the checker refuses, or a failure while writing, is recorded as a failed run, its reason logged
at ERROR; its orders stay pending.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from tms.domain.delivery import is_working_day
from tms.domain.errors import Conflict, DuplicateRun, NotFound
from tms.domain.orders import Order
from tms.domain.pickup_points import PickupPoint
from tms.domain.plans import Plan, shipment_document
from tms.services.pickup_points import PointIndex, chosen_points, replacement
from tms.services.plan_check import check_plan
from tms.services.planning import NO_CAPACITY, POINT_SHUT, PlanSettings, plan_orders
from tms.services.quoting import QuoteBook
from tms.services.unit_of_work import UnitOfWork

log = logging.getLogger("tms.consolidation")


class NotAShippingDay(Conflict):
    """Runs happen on the warehouse's working days only: nothing is picked up on the others."""


class PlanFailedCheck(RuntimeError):
    """The independent checker refused a plan: a bug, so nothing is written and the run is recorded failed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the plan failed its check: " + "; ".join(problems[:5]))
        self.problems = problems


def run_consolidation(
    uow: UnitOfWork,
    book: QuoteBook,
    shipping_date: date,
    settings: PlanSettings,
    *,
    now: datetime,
    trigger: str = "manual",
    warehouse: str | None = None,
    run_at: time | None = None,
    points: PointIndex | None = None,
) -> tuple[int, Plan]:
    """Plan the warehouse's pending orders for one planning run and write the plan in one transaction;
    returns (run id, plan). `warehouse` defaults to the book's first, `run_at` to its first run time.

    A second run of the same (date, warehouse, run time) is refused (DuplicateRun) before and, through
    the unique index, at the moment of writing. Any other failure at write time (orders that changed
    meanwhile, a database error) is recorded as a failed run and raised: the run can be started again.
    """
    code = warehouse or book.default_warehouse
    if code not in book.warehouses:
        raise NotFound(f"warehouse {code!r} does not exist; known: {', '.join(sorted(book.warehouses))}")
    site = book.warehouses[code].warehouse
    slot = site.planning_runs[0] if run_at is None else run_at
    if not is_working_day(site, shipping_date):
        raise NotAShippingDay(f"{shipping_date} is not a working day of {code}: nothing ships")
    at = slot.strftime("%H:%M")
    with uow:
        if uow.runs.succeeded_on(shipping_date=shipping_date, warehouse=code, run_at=at) is not None:
            raise DuplicateRun(f"{code} was already planned for {shipping_date} at {at}")
        pending = [o for o in uow.orders.pending() if o.warehouse == code]
        # A chosen pickup point that left its directory is the shop's to settle with the shopper (a
        # replacement suggested): the order is not planned to it. The plan keeps the others' promises
        # only where their point opens in time (else POINT_SHUT, a replacement suggested below).
        chosen, point_gone = ({}, {}) if points is None else chosen_points(points, pending, shipping_date)
        pending = [o for o in pending if o.order_ref not in point_gone]
        month_start = shipping_date.replace(day=1)
        # Shipped this month so far, today's earlier runs included: they count towards the tiers.
        month_parcels = uow.runs.month_parcels(month_start, shipping_date + timedelta(days=1))
        booked = uow.runs.day_load(shipping_date, code)  # what this warehouse's earlier runs gave each carrier

    finished = now  # the caller's clock; the run's own duration is in the summary

    def record_failure(summary: dict[str, Any], error: str) -> None:
        """A failed run is kept for the managers to see, its reason logged; its orders stay pending."""
        log.error("run of %s for %s at %s failed: %s", code, shipping_date, at, error)
        with uow:
            uow.runs.add(
                shipping_date=shipping_date,
                warehouse=code,
                run_at=at,
                status="failed",
                trigger=trigger,
                started_at=now,
                finished_at=finished,
                summary=summary,
                error=error,
            )
            uow.commit()

    try:
        plan = plan_orders(
            book, pending, shipping_date, settings, month_parcels, run_at=slot, booked=booked, points=chosen
        )
        problems = check_plan(book, pending, plan, settings, month_parcels, booked=booked, points=chosen)
    except Exception as error:  # a bug: record it, then let it surface
        record_failure({"orders_in": len(pending)}, f"{type(error).__name__}: {error}")
        raise
    if problems:
        record_failure(plan.summary(), "; ".join(problems))
        raise PlanFailedCheck(problems)

    try:
        with uow:
            run_id = uow.runs.add(
                status="succeeded",
                trigger=trigger,
                started_at=now,
                finished_at=finished,
                summary=plan.summary(),
                shipping_date=shipping_date,
                warehouse=code,
                run_at=at,
            )
            deliver_by = {o.order_ref: o.deliver_by for o in pending}
            for shipment in plan.shipped:
                promised = [day for ref in shipment.orders if (day := deliver_by.get(ref)) is not None]
                shipment_id = uow.runs.add_shipment(
                    run_id=run_id,
                    ships_on=shipment.ships_on,
                    carrier=shipment.carrier,
                    service=shipment.service,
                    mode=shipment.mode,
                    parcels=shipment.parcels,
                    weight_g=shipment.weight_g,
                    cost_cents=shipment.cost_cents,
                    rate_card_id=shipment.rate_card_id,
                    detail=shipment_document(shipment),
                    # The date the shopper was shown: the earliest promise of its orders, else its planned window's end.
                    promised_by=min(promised) if promised else shipment.latest,
                )
                if uow.orders.plan(list(shipment.orders), run_id, shipment_id) != len(shipment.orders):
                    raise Conflict("orders changed while the run was planning; start the run again")
            # Nothing keeps their promise now, nor ever will (promises only get closer), or nothing can
            # carry them: the shop hears it now instead of the order waiting night after night.
            shut = {} if points is None else _point_shut(points, chosen, pending, plan, shipping_date)
            uow.orders.need_attention(
                {ref: shut.get(ref, why) for ref, why in plan.unplannable.items() if why != NO_CAPACITY}
            )
            uow.orders.need_attention(point_gone)
            # Left for want of capacity: a later run may still ship them, or say capacity broke their promise.
            uow.orders.note_left({ref: why for ref, why in plan.unplannable.items() if why == NO_CAPACITY})
            uow.commit()
    except DuplicateRun:  # another scheduler wrote this run first: nothing of ours was written
        raise
    except Exception as error:
        record_failure(plan.summary(), f"{type(error).__name__}: {error}")
        raise
    return run_id, plan


def _point_shut(
    points: PointIndex, chosen: dict[str, PickupPoint], orders: Sequence[Order], plan: Plan, day: date
) -> dict[str, str]:
    """The orders the plan left because their chosen point does not open in time (POINT_SHUT): why,
    with the nearest open point of the carrier to suggest instead."""
    found = {}
    for order in orders:
        if plan.unplannable.get(order.order_ref) == POINT_SHUT:
            point = chosen[order.order_ref]
            promise = f"by {order.deliver_by}" if order.deliver_by else "in time"
            why = f"pickup point {point.point_id} is not open to collect the parcel {promise}"
            found[order.order_ref] = why + replacement(points, order, (point.latitude, point.longitude), day)
    return found


def list_runs(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        runs: list[dict[str, Any]] = uow.runs.list()
    return runs


def get_run(uow: UnitOfWork, run_id: int) -> dict[str, Any]:
    with uow:
        run: dict[str, Any] | None = uow.runs.get(run_id)
    if run is None:
        raise NotFound(f"consolidation run {run_id} does not exist")
    return run
