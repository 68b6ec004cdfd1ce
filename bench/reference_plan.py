"""An exact reference plan for small instances, written from the product's rules, not from the planner.

It answers what the best plan costs, so that the planner's plan can be measured against it. It shares
with the planner only the rules themselves: the pricing engine (`carriers.pricing.price_shipment`),
the card timeline (card in force, fuel, tiers), the shipping-day and delivery-date rules
(`tms.domain.delivery`) and the consignee identity (`tms.domain.consignees`). Merging, packing and
the choice of options are enumerated here from the rules of PRODUCT.md:

- orders may travel together when they share warehouse, mode and consignee (the same person at the
  same address, or at the same pickup point of the same carrier);
- a shipment of a set of orders packs their items, one unit each, into boxes: every partition of the
  items into blocks, each block in a box type that holds it (every item within the box's inner
  dimensions in some orthogonal rotation and its max weight, the block within the max weight, two or
  more items within inner volume x fill ratio) and that the service carries (the pricing engine
  prices the box as a parcel of its inner size and its contents' weight); its cost is the boxes plus
  the postage of every parcel;
- a service may carry it on a day of the plan (day 0, and with holding day 1 at the hold cost) when
  it has the shopper's mode (and, for a pickup point, the point's carrier), every feature any of the
  orders' shoppers chose, picks up that day, the day is on or after each order's ship day by the
  shipping-day rule and the ship day its checkout showed, day 0 only from a run before the carrier's
  cut-off that sees every order (placed before the run), and the delivery window recomputed from the
  card keeps every promise (deliver_by, deliver_after, the latest date the checkout showed);
- volume tiers: a carrier's discount today is that of the highest tier that the parcels it shipped
  this month plus those this plan ships today reach; a shipment held to day 1 is priced at the tier
  the month has reached and counts towards nothing today;
- capacities: per carrier and ship day, parcels and weight of the orders (day 1 too);

Model (CP-SAT set partitioning): a column is (subset of one consignee group's orders, service, day,
number of parcels), its cost per tier the cheapest packing of that many parcels at that tier.
x[column] and drop[order] booleans: each order in exactly one chosen column or dropped; tier
booleans y[carrier, t] (one per carrier), a column chosen today at tier t through z[column, t] <= y;
y[c, t] only when the month's parcels + today's chosen parcels of c reach the threshold. Objective:
BIG x dropped orders + transport + boxes + hold costs. Handling and indirect costs are per order, the
same whatever the plan: they are added to the objective afterwards, like the plan's objective
(`Plan.objective_cents`: today's and held shipments, transport + packaging + hold + handling and
indirect per order of every planned shipment).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from functools import cache

from ortools.sat.python import cp_model

from carriers.model import RateCard, Service
from carriers.pricing import CompiledCard, NotServed, price_shipment
from solvers.boxing import BoxType
from tms.domain.consignees import address_identity, pickup_identity
from tms.domain.delivery import CarrierSchedule, delivery_dates, holiday_region, plan_days, ship_day
from tms.domain.features import Features
from tms.domain.orders import Order
from tms.domain.parcels import Parcel
from tms.domain.plans import CarrierLimits, Plan, PlannedShipment
from tms.services.quoting import QuoteBook

BIG = 10**9  # an order left out costs more than any plan
Shape = tuple[int, int, int, int]  # weight_g, length_mm, width_mm, height_mm
Postage = Callable[[Parcel], int | None]
_SPEED_RANK = {"economy": 0, "standard": 1, "express": 2}


@dataclass(frozen=True)
class Column:
    orders: tuple[str, ...]
    carrier: str
    service: str
    mode: str
    day: int
    ships_on: date
    parcels: int
    weight_g: int
    cost_by_tier: tuple[int, ...]  # transport + boxes (+ hold, day 1) at each tier of the carrier's card
    boxes_by_tier: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]  # (box code, item ids) at each tier
    earliest: date
    latest: date
    rate_card_id: int
    rate_card_version: int


@dataclass(frozen=True)
class ExactShipment:
    column: Column
    tier: int  # the tier its price is at (0 for a held one: its cost_by_tier has one entry)
    fixed_cents: int  # handling and indirect of its orders
    cost_cents: int  # transport + boxes + hold + handling and indirect of its orders

    @property
    def orders(self) -> tuple[str, ...]:
        return self.column.orders

    @property
    def carrier(self) -> str:
        return self.column.carrier

    @property
    def service(self) -> str:
        return self.column.service

    @property
    def day(self) -> int:
        return self.column.day

    @property
    def parcels(self) -> int:
        return self.column.parcels


@dataclass(frozen=True)
class ExactPlan:
    objective_cents: int  # what Plan.objective_cents states: every planned shipment, held ones included
    dropped: frozenset[str]  # orders no plan can ship (or that capacities leave out)
    shipments: tuple[ExactShipment, ...]
    columns: int
    optimal: bool


def consignee(order: Order) -> str:
    """The consignee rule: the same person at the same address, or at the same point of one carrier."""
    a = order.address
    if order.pickup_point_id:
        return pickup_identity(order.carrier or "", order.pickup_point_id, a.name)
    return address_identity(a.name, a.line1, a.postcode, a.city, a.country)


def fits(box: BoxType, shape: Shape) -> bool:
    """One item in a box: its sorted dimensions within the box's, its weight within the box's max."""
    inner = sorted((box.inner_length_mm, box.inner_width_mm, box.inner_height_mm))
    dims = sorted(shape[1:])
    return all(d <= i for d, i in zip(dims, inner, strict=True)) and shape[0] <= box.max_weight_g


def holds(box: BoxType, shapes: Sequence[Shape], fill_ratio: float) -> bool:
    """Items together in a box: each fits, their weight within the max, two or more within the fill."""
    if not all(fits(box, s) for s in shapes) or sum(s[0] for s in shapes) > box.max_weight_g:
        return False
    volume = sum(s[1] * s[2] * s[3] for s in shapes)
    capacity = math.floor(box.inner_length_mm * box.inner_width_mm * box.inner_height_mm * fill_ratio)
    return len(shapes) == 1 or volume <= capacity


@cache
def set_partitions(n: int) -> tuple[tuple[int, ...], ...]:
    """Every partition of items 0..n-1 into blocks, each block a bitmask."""
    if n == 0:
        return ((),)
    found = []
    last = 1 << (n - 1)
    for partition in set_partitions(n - 1):
        found.append((*partition, last))
        for k in range(len(partition)):
            found.append(partition[:k] + (partition[k] | last,) + partition[k + 1 :])
    return tuple(found)


def _held(ids: Sequence[str], mask: int) -> tuple[str, ...]:
    return tuple(item for i, item in enumerate(ids) if mask >> i & 1)


def covers(service: Service, required: Features) -> bool:
    """The shopper's choice kept: a speed class at least as fast, signature, appointment, the cover."""
    if required.speed is not None and _SPEED_RANK[service.speed.value] < _SPEED_RANK[required.speed.value]:
        return False
    if required.signature and not service.signature:
        return False
    if required.appointment and not service.appointment:
        return False
    return not (required.insurance_cents and (service.insurance_cents or 0) < required.insurance_cents)


def zone_of(card: RateCard, country: str, postcode: str) -> str | None:
    matches = [(e.specificity(), z.code) for z in card.zones for e in z.entries if e.matches(country, postcode)]
    return max(matches)[1] if matches else None


class _Columns:
    """Every column of a warehouse's orders on the plan's days."""

    def __init__(
        self,
        book: QuoteBook,
        warehouse_code: str,
        shipping_date: date,
        box_types: Sequence[BoxType],
        holding: bool,
        hold_cost_cents: int,
        fill_ratio: float,
        month_parcels: Mapping[str, int],
        run_at: time | None,
    ):
        setup = book.warehouses[warehouse_code]
        self.book = book
        self.warehouse = setup.warehouse
        self.days = plan_days(self.warehouse, shipping_date, holding)
        self.run_at = self.warehouse.planning_runs[0] if run_at is None else run_at
        self.box_types = tuple(box_types)
        self.hold_cost_cents = hold_cost_cents
        self.fill_ratio = fill_ratio
        self.month_parcels = month_parcels
        self.block_cache: dict[object, tuple[int, str] | None] = {}

    def month_volume(self, carrier: str, day: date) -> int:
        first = self.days[0]
        return self.month_parcels.get(carrier, 0) if (day.year, day.month) == (first.year, first.month) else 0

    def best_box(self, shapes: tuple[Shape, ...], price_key: object, price: Postage) -> tuple[int, str] | None:
        """The cheapest box + postage for one block of items, None when no carried box holds it."""
        key = (shapes, price_key)
        if key in self.block_cache:
            return self.block_cache[key]
        best: tuple[int, str] | None = None
        weight = sum(s[0] for s in shapes)
        for box in self.box_types:
            if not holds(box, shapes, self.fill_ratio):
                continue
            postage = price(Parcel(weight, box.inner_length_mm, box.inner_width_mm, box.inner_height_mm))
            if postage is not None and (best is None or box.cost_cents + postage < best[0]):
                best = (box.cost_cents + postage, box.code)
        self.block_cache[key] = best
        return best

    def of(self, orders: Sequence[Order]) -> list[Column]:
        """The columns of these orders shipped together."""
        first = orders[0]
        country, postcode = first.address.country.upper(), first.address.postcode.replace(" ", "").upper()
        region = holiday_region(country, postcode)
        units = sorted(
            ((i.weight_g, i.length_mm, i.width_mm, i.height_mm), f"{o.order_ref}/{n}/{k}")
            for o in orders
            for n, i in enumerate(o.items)
            for k in range(i.quantity)
        )
        shapes = [shape for shape, _ in units]
        ids = [item for _, item in units]
        if not shapes or any(not any(fits(b, s) for b in self.box_types) for s in shapes):
            return []
        locals_ = [self.warehouse.local(o.ordered_at) for o in orders]
        shown = [self.book.shown_window(o) for o in orders]
        bounds = [o.deliver_by for o in orders if o.deliver_by] + [w[2] for w in shown if w]
        deliver_by = min(bounds, default=None)
        deliver_after = max((o.deliver_after for o in orders if o.deliver_after), default=None)
        shown_ship = max((w[0] for w in shown if w), default=None)
        required = Features()
        for o in orders:
            required = required.together(self.book.required_features(o))
        point_carrier = first.carrier if first.pickup_point_id else None
        weight = sum(s[0] for s in shapes)
        refs = tuple(o.order_ref for o in orders)
        columns = []
        for day_index, day in enumerate(self.days):
            if day_index == 0 and not all((t.date(), t.time()) < (day, self.run_at) for t in locals_):
                continue  # this run does not see an order placed after it
            for carrier, version in self.book.timeline.all_in_force(day):
                if point_carrier is not None and carrier != point_carrier:
                    continue
                card = version.card.card
                zone = zone_of(card, country, postcode)
                if zone is None:
                    continue
                fuel = self.book.timeline.fuel_bp(version, day)
                # Today: every tier of the card; held: the tier the month has reached, counted for nothing today.
                month = self.month_volume(carrier, day)
                discounts = version.discounts_by_tier if day_index == 0 else (version.discount_bp(month),)
                for service in card.services:
                    transit = service.transit.get(zone)
                    if service.mode.value != first.mode or transit is None or not covers(service, required):
                        continue
                    if day.weekday() not in service.pickup_weekdays:
                        continue
                    schedule = CarrierSchedule(
                        service.pickup_cutoff, service.pickup_weekdays, service.delivery_weekdays
                    )
                    if day_index == 0 and not self.run_at < service.pickup_cutoff:
                        continue
                    try:
                        ready = max(ship_day(t.date(), t.time(), self.warehouse, schedule) for t in locals_)
                    except ValueError:
                        continue
                    if ready > day or (shown_ship is not None and shown_ship > day):
                        continue
                    earliest, latest = delivery_dates(
                        day, transit.min_days, transit.max_days, service.delivery_weekdays, country, region
                    )
                    if (deliver_by and latest > deliver_by) or (deliver_after and earliest < deliver_after):
                        continue
                    by_count = self._packings(
                        shapes, version.card.compiled, service.code, zone, country, postcode, fuel, discounts
                    )
                    hold = self.hold_cost_cents if day_index else 0
                    for count, packings in sorted(by_count.items()):
                        columns.append(
                            Column(
                                refs,
                                carrier,
                                service.code,
                                service.mode.value,
                                day_index,
                                day,
                                count,
                                weight,
                                tuple(cost + hold for cost, _ in packings),
                                tuple(
                                    tuple((code, _held(ids, mask)) for code, mask in blocks) for _, blocks in packings
                                ),
                                earliest,
                                latest,
                                version.record_id,
                                version.version,
                            )
                        )
        return columns

    def _packings(
        self,
        shapes: list[Shape],
        compiled: CompiledCard,
        service: str,
        zone: str,
        country: str,
        postcode: str,
        fuel: int,
        discounts: tuple[int, ...],
    ) -> dict[int, list[tuple[int, tuple[tuple[str, int], ...]]]]:
        """Per number of parcels, the cheapest boxes + postage at each discount, and those boxes (box code,
        mask of the items it holds): every partition of the items."""
        n = len(shapes)
        by_count: dict[int, list[tuple[int, tuple[tuple[str, int], ...]] | None]] = {}
        for t, discount in enumerate(discounts):

            def postage(parcel: Parcel, discount: int = discount) -> int | None:
                price = price_shipment(
                    compiled, service, zone, country, postcode, (parcel,), fuel_bp=fuel, discount_bp=discount
                )
                return None if isinstance(price, NotServed) else price.total_cents

            key = (id(compiled), service, zone, country, postcode, fuel, discount)
            block: dict[int, tuple[int, str] | None] = {}
            for mask in range(1, 1 << n):
                block[mask] = self.best_box(tuple(shapes[i] for i in range(n) if mask >> i & 1), key, postage)
            for partition in set_partitions(n):
                boxes = [block[m] for m in partition]
                if any(b is None for b in boxes):
                    continue
                chosen = [(b, m) for b, m in zip(boxes, partition, strict=True) if b is not None]
                total = sum(b[0] for b, _ in chosen)
                found = by_count.setdefault(len(partition), [None] * len(discounts))
                known = found[t]
                if known is None or total < known[0]:
                    found[t] = (total, tuple((b[1], m) for b, m in chosen))
        return {k: [p for p in v if p is not None] for k, v in by_count.items() if all(p is not None for p in v)}


def exact_plan(
    book: QuoteBook,
    orders: Sequence[Order],
    shipping_date: date,
    *,
    box_types: Sequence[BoxType],
    carrier_limits: Mapping[str, CarrierLimits] | None = None,
    holding: bool = True,
    hold_cost_cents: int = 10,
    fill_ratio: float = 0.85,
    month_parcels: Mapping[str, int] | None = None,
    run_at: time | None = None,
    time_limit_s: float = 30.0,
    only: Mapping[frozenset[str], int | None] | None = None,
) -> ExactPlan:
    """The cheapest plan by the rules (see the module docstring); exact when `optimal`.

    `only` (to explain a plan's gap): the sets of orders that may travel together, each with the one
    number of parcels it must have (None: any); other sets are not offered."""
    month_parcels = month_parcels or {}
    carrier_limits = carrier_limits or {}
    groups: dict[tuple[str, str, str], list[Order]] = defaultdict(list)
    unknown = set()
    for order in orders:
        if order.warehouse not in book.warehouses:
            unknown.add(order.order_ref)
            continue
        warehouse = book.warehouses[order.warehouse].warehouse
        local = warehouse.local(order.ordered_at)
        if (local.date(), local.time()) >= (shipping_date, run_at or warehouse.planning_runs[0]):
            unknown.add(order.order_ref)  # placed after the run's moment: not this run's, it waits for a later one
            continue
        groups[(order.warehouse, str(order.mode), consignee(order))].append(order)
    columns: list[Column] = []
    makers: dict[str, _Columns] = {}
    first_day: date | None = None
    for (code, _, _), members in sorted(groups.items()):
        maker = makers.get(code)
        if maker is None:
            maker = makers[code] = _Columns(
                book, code, shipping_date, box_types, holding, hold_cost_cents, fill_ratio, month_parcels, run_at
            )
            first_day = maker.days[0]
        for mask in range(1, 1 << len(members)):
            block = [m for i, m in enumerate(members) if mask >> i & 1]
            key = frozenset(o.order_ref for o in block)
            if only is not None and key not in only:
                continue
            count = None if only is None else only[key]
            columns.extend(c for c in maker.of(block) if count is None or c.parcels == count)

    refs = [o.order_ref for o in orders if o.order_ref not in unknown]
    costs = {o.order_ref: book.warehouses[o.warehouse].costs for o in orders if o.order_ref not in unknown}
    fixed = {ref: c.handling_cents + c.indirect_cents for ref, c in costs.items()}
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{n}") for n in range(len(columns))]
    drop = {ref: model.new_bool_var(f"drop_{ref}") for ref in refs}
    covering: dict[str, list[int]] = defaultdict(list)
    for n, column in enumerate(columns):
        for ref in column.orders:
            covering[ref].append(n)
    for ref in refs:
        model.add(sum(x[n] for n in covering[ref]) + drop[ref] == 1)

    load: dict[tuple[str, int], list[int]] = defaultdict(list)
    for n, column in enumerate(columns):
        load[(column.carrier, column.day)].append(n)
    for (carrier, _), on_day in load.items():
        limits = carrier_limits.get(carrier, CarrierLimits())
        if limits.parcels_per_day is not None:
            model.add(sum(columns[n].parcels * x[n] for n in on_day) <= limits.parcels_per_day)
        if limits.weight_g_per_day is not None:
            model.add(sum(columns[n].weight_g * x[n] for n in on_day) <= limits.weight_g_per_day)

    objective = []
    tier_of: dict[str, list[cp_model.IntVar]] = {}
    in_force = dict(book.timeline.all_in_force(first_day)) if first_day else {}
    for carrier in sorted({c.carrier for c in columns if c.day == 0}):
        thresholds = in_force[carrier].thresholds
        today = [n for n in load.get((carrier, 0), [])]
        y = [model.new_bool_var(f"tier_{carrier}_{t}") for t in range(len(thresholds) + 1)]
        model.add_exactly_one(y)
        volume = month_parcels.get(carrier, 0) + sum(columns[n].parcels * x[n] for n in today)
        for t, threshold in enumerate(thresholds, 1):
            model.add(volume >= threshold).only_enforce_if(y[t])
        tier_of[carrier] = y
    chosen_tier: dict[int, list[cp_model.IntVar]] = {}
    for n, column in enumerate(columns):
        if column.day:
            objective.append(column.cost_by_tier[0] * x[n])
            continue
        y = tier_of[column.carrier]
        z = [model.new_bool_var(f"z{n}_{t}") for t in range(len(y))]
        model.add(sum(z) == x[n])
        for t, zt in enumerate(z):
            model.add_implication(zt, y[t])
            objective.append(column.cost_by_tier[t] * zt)
        chosen_tier[n] = z
    model.minimize(sum(objective) + sum(BIG * d for d in drop.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"the reference model found no plan: {solver.status_name(status)}")
    dropped = frozenset(ref for ref, d in drop.items() if solver.value(d)) | unknown
    shipments = []
    total = 0
    for n, column in enumerate(columns):
        if not solver.value(x[n]):
            continue
        tier = 0 if column.day else next(t for t, zt in enumerate(chosen_tier[n]) if solver.value(zt))
        fixed_cents = sum(fixed[ref] for ref in column.orders)
        cost = column.cost_by_tier[tier] + fixed_cents
        total += cost
        shipments.append(ExactShipment(column, tier, fixed_cents, cost))
    return ExactPlan(total, dropped, tuple(shipments), len(columns), status == cp_model.OPTIMAL)


def as_plan(
    exact: ExactPlan,
    shipping_date: date,
    box_types: Sequence[BoxType],
    hold_cost_cents: int,
    run_at: time | None = None,
) -> Plan:
    """The reference plan in the plan's own terms, for the independent checker: every shipment's baseline
    is its cost (no saving claimed), dropped orders are unplannable."""
    box_cost = {b.code: b.cost_cents for b in box_types}
    shipments = []
    for s in exact.shipments:
        c = s.column
        boxes = c.boxes_by_tier[s.tier]
        packaging = sum(box_cost[code] for code, _ in boxes)
        hold = hold_cost_cents if c.day else 0
        shipments.append(
            PlannedShipment(
                orders=c.orders,
                carrier=c.carrier,
                service=c.service,
                mode=c.mode,
                ships_on=c.ships_on,
                earliest=c.earliest,
                latest=c.latest,
                parcels=c.parcels,
                weight_g=c.weight_g,
                boxes=boxes,
                transport_cents=c.cost_by_tier[s.tier] - packaging - hold,
                packaging_cents=packaging,
                other_cents=s.fixed_cents,
                cost_cents=s.cost_cents,
                rate_card_id=c.rate_card_id,
                rate_card_version=c.rate_card_version,
                held=c.day > 0,
                baseline_cents=s.cost_cents,
            )
        )
    shipped = [s for s in shipments if not s.held]
    return Plan(
        shipping_date=shipping_date,
        orders_in=len({ref for s in shipments for ref in s.orders} | exact.dropped),
        shipments=tuple(shipments),
        unplannable={ref: "left out by the reference" for ref in exact.dropped},
        cost_cents=sum(s.cost_cents for s in shipped),
        baseline_cents=sum(s.cost_cents for s in shipped),
        lower_bound_cents=exact.objective_cents,
        gap=0.0,
        solver_status="optimal" if exact.optimal else "feasible",
        solver_method="reference",
        solver_seconds=0.0,
        seconds=0.0,
        objective_cents=exact.objective_cents,
        run_at=run_at,
    )
