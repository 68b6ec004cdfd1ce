"""The nightly plan: merge, pack, assign, hold — and the run that writes it once per shipping date.

1. Orders to the same consignee (same address, or same pickup point), with the
   same warehouse and mode, are merged greedily (earliest deadline first) while
   a service still keeps every merged promise and the merge is not dearer than
   shipping them apart.
2. Each shipment's items are packed into the configured box types
   (`solvers.boxing`, least box cost); the boxes are its parcels.
3. Every (service, shipping day) that keeps the promises is priced at every
   volume tier of its carrier; day 1 (the next shipping day) exists only when
   holding is enabled and costs `hold_cost` more, so the plan waits only when
   that pays.
4. `solvers.assignment` picks one option per shipment within each carrier's
   daily parcels and kg, with the tier discounts the plan's volume reaches,
   and proves a lower bound.
5. The baseline ships each order alone tonight with its cheapest feasible
   service (no capacities, the month's tier): the savings are measured against it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from carriers.pricing import NotServed, Parcel, price_shipment
from solvers import assignment as asg
from solvers.boxing import BoxingSolution, BoxType, PackedBox, pack_items
from solvers.boxing import Item as BoxItem
from tms.domain.delivery import delivery_dates, holiday_region, is_working_day, next_working_day
from tms.domain.errors import Conflict, NotFound
from tms.domain.orders import Order
from tms.services.quoting import QuoteBook
from tms.services.unit_of_work import UnitOfWork


class NotAShippingDay(Conflict):
    """Runs happen for the warehouse's working days only, so two runs never fill the same pickup day."""


class PlanFailedCheck(RuntimeError):
    """The independent checker refused a plan: a bug, so nothing is written and the run is recorded failed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the plan failed its check: " + "; ".join(problems[:5]))
        self.problems = problems


@dataclass(frozen=True)
class CarrierLimits:
    parcels_per_day: int | None = None
    weight_g_per_day: int | None = None


@dataclass(frozen=True)
class PlanSettings:
    box_types: tuple[BoxType, ...]
    carrier_limits: Mapping[str, CarrierLimits] = field(default_factory=dict)
    holding: bool = True
    hold_cost_cents: int = 10
    fill_ratio: float = 0.85
    time_limit_s: float = 60.0
    workers: int = 2


@dataclass(frozen=True)
class PlannedOption:
    """One way to ship a shipment: a service on a day, priced at each of its carrier's tiers."""

    carrier: str
    service: str
    mode: str
    day: int
    ships_on: date
    earliest: date
    latest: date
    transport_cents_by_tier: tuple[int, ...]
    rate_card_id: int
    rate_card_version: int


@dataclass
class ShipmentDraft:
    orders: list[Order]
    packing: BoxingSolution
    options: list[PlannedOption]
    fixed_cents: int  # packaging + handling + indirect: the same whatever the service

    @property
    def id(self) -> str:
        return "+".join(o.order_ref for o in self.orders)

    @property
    def parcels(self) -> int:
        return len(self.packing.boxes)

    @property
    def weight_g(self) -> int:
        return sum(o.weight_g for o in self.orders)


@dataclass(frozen=True)
class PlannedShipment:
    orders: tuple[str, ...]
    carrier: str
    service: str
    mode: str
    ships_on: date
    earliest: date
    latest: date
    parcels: int
    weight_g: int
    boxes: tuple[tuple[str, tuple[str, ...]], ...]
    transport_cents: int
    packaging_cents: int
    other_cents: int
    cost_cents: int
    rate_card_id: int
    rate_card_version: int
    held: bool  # planned for the next shipping day: its orders stay pending tonight


@dataclass(frozen=True)
class Plan:
    shipping_date: date
    orders_in: int
    shipments: tuple[PlannedShipment, ...]
    unplannable: dict[str, str]  # order ref -> reason
    cost_cents: int
    baseline_cents: int
    lower_bound_cents: int
    gap: float
    solver_status: str
    solver_method: str
    solver_seconds: float
    seconds: float

    @property
    def shipped(self) -> list[PlannedShipment]:
        return [s for s in self.shipments if not s.held]

    @property
    def held_orders(self) -> list[str]:
        return [ref for s in self.shipments if s.held for ref in s.orders]

    def summary(self) -> dict[str, Any]:
        shipped = self.shipped
        carriers: dict[str, dict[str, int]] = defaultdict(lambda: {"shipments": 0, "parcels": 0, "weight_g": 0})
        for s in shipped:
            entry = carriers[s.carrier]
            entry["shipments"] += 1
            entry["parcels"] += s.parcels
            entry["weight_g"] += s.weight_g
        return {
            "orders_in": self.orders_in,
            "orders_shipped": sum(len(s.orders) for s in shipped),
            "orders_held": len(self.held_orders),
            "orders_unplannable": len(self.unplannable),
            "shipments_out": len(shipped),
            "boxes": sum(s.parcels for s in shipped),
            "carriers": dict(carriers),
            "cost": self.cost_cents / 100,
            "baseline_cost": self.baseline_cents / 100,
            "savings": (self.baseline_cents - self.cost_cents) / 100,
            "lower_bound": self.lower_bound_cents / 100,
            "gap": round(self.gap, 6),
            "solver_status": self.solver_status,
            "solver_method": self.solver_method,
            "solver_seconds": round(self.solver_seconds, 3),
            "seconds": round(self.seconds, 3),
            "unplannable": self.unplannable,
            "held": self.held_orders,
        }


class _Planner:
    """Options of a set of orders shipped together, from the cards of the book."""

    def __init__(
        self,
        book: QuoteBook,
        settings: PlanSettings,
        days: list[date],
        month_parcels: Mapping[str, int],
        packings: dict[tuple[tuple[int, int, int, int], ...], BoxingSolution],
        reference_cards: Mapping[str, Any],
    ):
        self.book = book
        self.settings = settings
        self.days = days
        self.month_parcels = month_parcels
        self.packings = packings
        self.cards_by_day = [book.cards_on(day) for day in days]
        # Volume tiers are those of the card in force on the reference day, whatever day an option ships:
        # the solver counts one month's volume per carrier against one list of thresholds.
        self.tier_discounts = {
            carrier: (0, *(t.discount_bp for t in sorted(live.card.tiers, key=lambda t: t.min_parcels)))
            for carrier, live in reference_cards.items()
        }
        self.tier_today = {
            carrier: sum(1 for t in live.card.tiers if month_parcels.get(carrier, 0) >= t.min_parcels)
            for carrier, live in self.cards_by_day[0]
        }

    def pack(self, orders: Sequence[Order]) -> BoxingSolution:
        """Boxes for the orders' items. Orders draw on one catalogue, so the same multiset of item
        shapes comes back again and again: it is solved once per plan and the answer reused."""
        items = sorted(
            (
                BoxItem(f"{o.order_ref}/{n}/{k}", i.weight_g, i.length_mm, i.width_mm, i.height_mm)
                for o in orders
                for n, i in enumerate(o.items)
                for k in range(i.quantity)
            ),
            key=_shape,
        )
        key = tuple(_shape(i) for i in items)
        known = self.packings.get(key)
        if known is None:
            anonymous = [BoxItem(str(n), *shape) for n, shape in enumerate(key)]
            known = self.packings[key] = pack_items(
                anonymous, self.settings.box_types, fill_ratio=self.settings.fill_ratio, time_limit_s=2.0
            )
        return BoxingSolution(
            [PackedBox(b.box_type, tuple(items[int(n)].id for n in b.items)) for b in known.boxes],
            known.cost_cents,
            known.lower_bound_cents,
            known.status,
            known.seconds,
        )

    def draft(self, orders: list[Order]) -> ShipmentDraft | str:
        """The shipment of these orders with every option keeping all their promises, or why there is none."""
        try:
            packing = self.pack(orders)
        except ValueError as error:
            return f"no box fits: {error}"
        boxes = {b.code: b for b in self.settings.box_types}
        parcels = tuple(
            Parcel(
                sum(_item_weight(orders, ref) for ref in packed.items),
                boxes[packed.box_type].inner_length_mm,
                boxes[packed.box_type].inner_width_mm,
                boxes[packed.box_type].inner_height_mm,
            )
            for packed in packing.boxes
        )
        warehouse = self.book.warehouses[orders[0].warehouse]
        costs = warehouse.costs
        fixed = packing.cost_cents + (costs.handling_cents + costs.indirect_cents) * len(orders)
        options = self._options(orders, parcels)
        if not options:
            return "no service keeps the promise" + ("" if len(orders) == 1 else "s of the merged orders")
        return ShipmentDraft(list(orders), packing, options, fixed)

    def _options(self, orders: list[Order], parcels: tuple[Parcel, ...]) -> list[PlannedOption]:
        first = orders[0]
        country, postcode, mode = first.address.country, first.address.postcode, first.mode
        region = holiday_region(country, postcode)
        deliver_by = min((o.deliver_by for o in orders if o.deliver_by), default=None)
        deliver_after = max((o.deliver_after for o in orders if o.deliver_after), default=None)
        fixed_carrier = first.carrier if first.pickup_point_id else None
        options = []
        for day_index, day in enumerate(self.days):
            for carrier, live in self.cards_by_day[day_index]:
                if fixed_carrier and carrier != fixed_carrier:
                    continue
                zone = live.compiled.zones.zone_for(country, postcode)
                if zone is None:
                    continue
                fuel = self.book.fuel_bp(carrier, live, day)
                tiers = self.tier_discounts.get(carrier)
                if tiers is None:  # no card in force on the reference day: its tiers are unknown
                    continue
                for ls in live.services:
                    transit = ls.service.transit.get(zone)
                    if ls.mode != mode or transit is None or day.weekday() not in ls.service.pickup_weekdays:
                        continue
                    earliest, latest = delivery_dates(
                        day, transit.min_days, transit.max_days, ls.service.delivery_weekdays, country, region
                    )
                    if (deliver_by and latest > deliver_by) or (deliver_after and earliest < deliver_after):
                        continue
                    prices = [
                        price_shipment(
                            live.compiled,
                            ls.service.code,
                            zone,
                            country,
                            postcode,
                            parcels,
                            fuel_bp=fuel,
                            discount_bp=bp,
                        )
                        for bp in tiers
                    ]
                    if any(isinstance(p, NotServed) for p in prices):
                        continue
                    options.append(
                        PlannedOption(
                            carrier,
                            ls.service.code,
                            ls.mode,
                            day_index,
                            day,
                            earliest,
                            latest,
                            tuple(p.total_cents for p in prices if not isinstance(p, NotServed)),
                            live.record_id,
                            live.version,
                        )
                    )
        return options

    def cheapest_tonight(self, draft: ShipmentDraft) -> int | None:
        """Cost of the cheapest day-0 option at the tier the month has reached (no capacities)."""
        costs = [
            o.transport_cents_by_tier[self.tier_today.get(o.carrier, 0)] + draft.fixed_cents
            for o in draft.options
            if o.day == 0
        ]
        return min(costs, default=None)


def _shape(item: BoxItem) -> tuple[int, int, int, int]:
    return (item.weight_g, item.length_mm, item.width_mm, item.height_mm)


def _item_weight(orders: Sequence[Order], packed_ref: str) -> int:
    ref, index, _ = packed_ref.rsplit("/", 2)
    order = next(o for o in orders if o.order_ref == ref)
    return order.items[int(index)].weight_g


def shipping_days(book: QuoteBook, warehouse_code: str, shipping_date: date, holding: bool) -> list[date]:
    warehouse = book.warehouses[warehouse_code].warehouse
    day = shipping_date if is_working_day(warehouse, shipping_date) else next_working_day(warehouse, shipping_date)
    return [day, next_working_day(warehouse, day)] if holding else [day]


def plan_orders(
    book: QuoteBook,
    orders: Sequence[Order],
    shipping_date: date,
    settings: PlanSettings,
    month_parcels: Mapping[str, int] | None = None,
) -> Plan:
    """The cheapest plan for these orders that keeps every promise, capacity and box limit."""
    started = time.monotonic()
    month_parcels = month_parcels or {}
    unplannable: dict[str, str] = {}
    drafts: list[ShipmentDraft] = []
    baseline = 0
    groups: dict[tuple[str, str, str], list[Order]] = defaultdict(list)
    for order in orders:
        if order.warehouse not in book.warehouses:
            unplannable[order.order_ref] = f"unknown warehouse {order.warehouse!r}"
            continue
        groups[(order.warehouse, order.mode, order.consignee_key)].append(order)

    packings: dict[tuple[tuple[int, int, int, int], ...], BoxingSolution] = {}
    reference_day = shipping_days(book, book.default_warehouse, shipping_date, holding=False)[0]
    reference_cards = dict(book.cards_on(reference_day))
    for (warehouse, _, _), members in sorted(groups.items()):
        days = shipping_days(book, warehouse, shipping_date, settings.holding)
        planner = _Planner(book, settings, days, month_parcels, packings, reference_cards)
        alone: dict[str, ShipmentDraft] = {}
        for order in members:
            single = planner.draft([order])
            if isinstance(single, str):
                unplannable[order.order_ref] = single
            else:
                alone[order.order_ref] = single
                baseline += planner.cheapest_tonight(single) or 0
        drafts.extend(_merge(planner, [o for o in members if o.order_ref in alone], alone))

    if not drafts:
        return Plan(
            shipping_date,
            len(orders),
            (),
            unplannable,
            0,
            baseline,
            0,
            0.0,
            "optimal",
            "none",
            0.0,
            time.monotonic() - started,
        )

    instance, option_maps = _instance(reference_cards, drafts, settings, month_parcels)
    solution = asg.solve(instance, time_limit_s=settings.time_limit_s, workers=settings.workers)
    shipments = []
    for draft, options in zip(drafts, option_maps, strict=True):
        chosen = solution.assignment.get(draft.id)
        if chosen is None:
            for order in draft.orders:
                unplannable[order.order_ref] = "no carrier capacity left within the promise"
            continue
        planned = options[chosen]
        tier = solution.tiers.get(planned.carrier, 0)
        transport = planned.transport_cents_by_tier[tier]
        hold = settings.hold_cost_cents if planned.day else 0
        shipments.append(
            PlannedShipment(
                orders=tuple(o.order_ref for o in draft.orders),
                carrier=planned.carrier,
                service=planned.service,
                mode=planned.mode,
                ships_on=planned.ships_on,
                earliest=planned.earliest,
                latest=planned.latest,
                parcels=draft.parcels,
                weight_g=draft.weight_g,
                boxes=tuple((b.box_type, b.items) for b in draft.packing.boxes),
                transport_cents=transport,
                packaging_cents=draft.packing.cost_cents,
                other_cents=draft.fixed_cents - draft.packing.cost_cents,
                cost_cents=transport + draft.fixed_cents + hold,
                rate_card_id=planned.rate_card_id,
                rate_card_version=planned.rate_card_version,
                held=planned.day > 0,
            )
        )
    return Plan(
        shipping_date=shipping_date,
        orders_in=len(orders),
        shipments=tuple(shipments),
        unplannable=unplannable,
        cost_cents=solution.cost_cents + sum(d.fixed_cents for d in drafts if solution.assignment.get(d.id)),
        baseline_cents=baseline,
        lower_bound_cents=solution.lower_bound_cents
        + sum(d.fixed_cents for d in drafts if solution.assignment.get(d.id)),
        gap=solution.gap,
        solver_status=solution.status,
        solver_method=solution.method,
        solver_seconds=solution.solve_seconds,
        seconds=time.monotonic() - started,
    )


def _merge(planner: _Planner, members: list[Order], alone: dict[str, ShipmentDraft]) -> list[ShipmentDraft]:
    """Earliest deadline first, add each order to the open shipment while that keeps a promise-keeping
    option and costs no more than shipping it apart."""
    members = sorted(members, key=lambda o: (o.deliver_by or date.max, o.order_ref))
    drafts: list[ShipmentDraft] = []
    current: ShipmentDraft | None = None
    for order in members:
        single = alone[order.order_ref]
        if current is not None:
            merged = planner.draft([*current.orders, order])
            if not isinstance(merged, str):
                together = planner.cheapest_tonight(merged)
                apart = planner.cheapest_tonight(current), planner.cheapest_tonight(single)
                if together is not None and None not in apart and together <= sum(apart):  # type: ignore[arg-type]
                    current = merged
                    continue
            drafts.append(current)
        current = single
    if current is not None:
        drafts.append(current)
    return drafts


def _instance(
    reference_cards: Mapping[str, Any],
    drafts: list[ShipmentDraft],
    settings: PlanSettings,
    month_parcels: Mapping[str, int],
) -> tuple[asg.Instance, list[dict[asg.Option, PlannedOption]]]:
    shipments, maps = [], []
    for draft in drafts:
        mapping: dict[asg.Option, PlannedOption] = {}
        for option in draft.options:
            hold = settings.hold_cost_cents if option.day else 0
            solver_option = asg.Option(
                option.carrier, option.day, tuple(c + hold for c in option.transport_cents_by_tier)
            )
            current = mapping.get(solver_option)
            if current is None:  # identical (carrier, day, costs): keep the earlier delivery
                mapping[solver_option] = option
        shipments.append(asg.Shipment(draft.id, draft.parcels, draft.weight_g, tuple(mapping)))
        maps.append(mapping)
    carriers = []
    for code in sorted({o.carrier for d in drafts for o in d.options}):
        live = reference_cards.get(code)
        thresholds = tuple(sorted(t.min_parcels for t in live.card.tiers)) if live else ()
        limits = settings.carrier_limits.get(code, CarrierLimits())
        carriers.append(
            asg.CarrierCapacity(
                code, limits.parcels_per_day, limits.weight_g_per_day, month_parcels.get(code, 0), thresholds
            )
        )
    return asg.Instance(tuple(shipments), tuple(carriers), days=2 if settings.holding else 1), maps


# --- The run: once per shipping date, all or nothing -------------------------------------------


def run_consolidation(
    uow: UnitOfWork,
    book: QuoteBook,
    shipping_date: date,
    settings: PlanSettings,
    *,
    now: datetime,
    trigger: str = "manual",
) -> tuple[int, Plan]:
    """Plan tonight's pending orders and write the plan in one transaction; returns (run id, plan).

    A second run for a date that already has one is refused (Conflict) before and, through the
    unique index, at the moment of writing, so two schedulers never plan anything twice.
    Orders that changed meanwhile make the write fail: the run can simply be started again.
    """
    default = book.warehouses[book.default_warehouse].warehouse
    if not is_working_day(default, shipping_date):
        raise NotAShippingDay(f"{shipping_date} is not a working day of {default.code}: nothing ships")
    with uow:
        if uow.runs.succeeded_on(shipping_date) is not None:
            raise Conflict(f"shipping date {shipping_date} was already planned")
        pending = uow.orders.pending()
        month_start = shipping_date.replace(day=1)
        month_parcels = uow.runs.month_parcels(month_start, shipping_date)

    from tms.services.plan_check import check_plan  # the checker imports this module's types

    finished = now  # the caller's clock; the run's own duration is in the summary

    def record_failure(summary: dict[str, Any], error: str) -> None:
        """A failed run is kept for the managers to see; its orders stay pending."""
        with uow:
            uow.runs.add(
                shipping_date=shipping_date,
                status="failed",
                trigger=trigger,
                started_at=now,
                finished_at=finished,
                summary=summary,
                error=error,
            )
            uow.commit()

    try:
        plan = plan_orders(book, pending, shipping_date, settings, month_parcels)
        problems = check_plan(book, pending, plan, settings, month_parcels)
    except Exception as error:  # a bug: record it, then let it surface
        record_failure({"orders_in": len(pending)}, f"{type(error).__name__}: {error}")
        raise
    if problems:
        record_failure(plan.summary(), "; ".join(problems))
        raise PlanFailedCheck(problems)

    with uow:
        try:
            run_id = uow.runs.add(
                shipping_date=shipping_date,
                status="succeeded",
                trigger=trigger,
                started_at=now,
                finished_at=finished,
                summary=plan.summary(),
            )
        except Exception as error:  # the unique index: another run wrote this date first
            raise Conflict(f"shipping date {shipping_date} was already planned") from error
        for shipment in plan.shipped:
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
            )
            if uow.orders.plan(list(shipment.orders), run_id, shipment_id) != len(shipment.orders):
                raise Conflict("orders changed while the run was planning; start the run again")
        uow.commit()
    return run_id, plan


def shipment_document(s: PlannedShipment) -> dict[str, Any]:
    """A planned shipment as JSON: stored with a run's shipments and answered by what-if plans alike."""
    return {
        "orders": list(s.orders),
        "carrier": s.carrier,
        "service": s.service,
        "mode": s.mode,
        "ships_on": s.ships_on.isoformat(),
        "held": s.held,
        "delivery": {"earliest": s.earliest.isoformat(), "latest": s.latest.isoformat()},
        "parcels": s.parcels,
        "weight_g": s.weight_g,
        "boxes": [{"box": box, "items": list(items)} for box, items in s.boxes],
        "cost": {
            "transport": s.transport_cents / 100,
            "packaging": s.packaging_cents / 100,
            "other": s.other_cents / 100,
            "total": s.cost_cents / 100,
        },
        "rate_card": {"id": s.rate_card_id, "version": s.rate_card_version},
    }


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
