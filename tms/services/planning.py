"""Planning: merge, pack, assign and hold a warehouse's waiting orders for one planning run.

1. Orders to the same consignee (same address, or same pickup point), with the
   same warehouse and mode, are split into shipments the cheapest way: up to six
   orders, every partition is tried, each shipment at its cheapest option today
   or held (no capacities); beyond, earliest deadline first, an order joins the
   open shipment while a service keeps every merged promise and it is not dearer.
   A merged shipment the capacities leave out whole is split and the assignment
   solved again, so that its orders may ship apart (see Parcel counts below for one left out alone).
2. Packing belongs to the service (`tms.services.packing`): for each candidate service, only the
   box types it accepts, and for each number of parcels the packing cheapest in boxes + postage.
   The assignment chooses service and packing together: each option carries its own boxes.
3. Options: every (service, day) that may carry the shipment by the shipping-day
   rule (`tms.domain.delivery.ship_day`: never before an order is ready, only
   on the run's day when the run comes before the carrier's cut-off, never
   before the ship day the checkout showed for the shopper's service) and keeps
   every promise (dated with the lane's observed p90 where it has enough deliveries, the card's
   transit otherwise: `tms.domain.lane_stats.planning_transit`), priced by the pricing engine
   with the card timeline's card, fuel and discount. Day 1 (the next shipping day) exists only when holding
   is enabled and costs `hold_cost` more, so the plan waits only when that pays.
   An order this run may not plan waits, never needs attention: one placed at or after the run's
   moment (a run started late or again sees it; a later run plans it), or one no service it may take
   (mode, pickup point's carrier, chosen features) ships on any day of this plan.
4. Volume tiers: the parcels already shipped this month plus those this plan
   ships today. A held shipment counts in the run that ships it, so it is priced
   at the tier the month has reached and adds nothing to today's volume.
5. `solvers.assignment` picks one option per shipment within each carrier's
   daily parcels and kg (less what earlier runs booked that day), with the tier
   discounts the plan's volume reaches, and proves a lower bound. When the capacities
   cannot take everything it leaves out the fewest orders (a merged shipment counts
   each of its orders), then plans the rest at least cost.
6. Honest figures: the plan's cost, baseline and savings are over the shipments it ships today.
   A shipment's baseline ships each of its orders alone on its first possible day, on its cheapest
   service that keeps its promise and features (`_Planner.baseline`): each service on the first day
   the shipping-day rule lets the order leave with it (ready, a run before the cut-off, not before the
   ship day the checkout showed), priced with that day's card and fuel at the tier the month has
   reached today, in its cheapest packing, without capacities. An order held by earlier runs is so
   compared with the day it could have left, not with the dearer services a later day leaves it.
   Held shipments count in the run that ships them (and claim no saving before), unplannable and
   waiting orders never count. The solver's objective (held shipments and hold costs included) is
   reported apart, with its proven lower bound and gap.

A promise is the order's `deliver_by`/`deliver_after` and, when the order names
the service the shopper chose, the latest date the checkout showed for it.

Parcel counts: the assignment counts one number of parcels per shipment (carrier capacities), so a
shipment is offered in one count at a time, first that of its cheapest option today (at the tier each
carrier's month has reached), each service with its cheapest packing of that count. A shipment the
solve leaves out for want of capacity is offered again in its other counts, cheapest first (a carrier
with room may take it only in more, or fewer, parcels), and the assignment solved again, until no
shipment left out has a count not yet offered (or the time for solving again, RESOLVE_BUDGET times the
solve's limit, is spent): an order is left out for capacity only once its every count was offered.
Known limit: a shipment that ships or is held in its count is not moved to another one to make room
for others, nor to ship today instead of being held.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from carriers.model import SurchargeKind, Transit, normalise_postcode
from carriers.pricing import NotServed, price_shipment
from solvers import assignment as asg
from solvers.boxing import BoxType, ItemsFitNoBox
from solvers.boxing import Item as BoxItem
from tms.domain.delivery import (
    CarrierSchedule,
    Warehouse,
    can_plan,
    delivery_dates,
    holiday_region,
    is_working_day,
    next_working_day,
    plan_days,
    ship_day,
)
from tms.domain.features import NO_FEATURES, Features
from tms.domain.lane_stats import planning_transit
from tms.domain.orders import Order
from tms.domain.pickup_points import PickupPoint
from tms.domain.plans import CarrierLimits, Plan, PlannedShipment
from tms.domain.rate_cards import CardVersion
from tms.services.packing import CheapestPacking, PackerCache, Shape, accepted_box_types, box_parcel, cheapest_by_count
from tms.services.quote_index import LiveCard, LiveService
from tms.services.quoting import QuoteBook
from tms.services.unit_of_work import UnitOfWork

_REMOTE_AREA = SurchargeKind.REMOTE_AREA
HELD = "held:"  # the solver sees a held option's carrier as its own: it has day-1 capacity, no tiers
POINT_SHUT = "its pickup point is not open to collect the parcel in time"  # the shop finds another with the shopper
NO_CAPACITY = "no carrier capacity left within the promise"  # the one reason a later run may still overcome
# An order a run left for want of capacity (`Order.attention` is NO_CAPACITY) whose promise no service keeps now.
CAPACITY_RAN_OUT = "no carrier capacity was left within the promise: no service keeps it any more"


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
    """One way to ship a shipment: a service on a day, priced at each of its carrier's tiers (day 0), or
    at the tier the month has reached (a held option, day 1)."""

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
    boxes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # this service's packing: (box type, item ids)
    packaging_cents: int = 0  # what its boxes cost

    def cost_cents(self, tier: int) -> int:
        """Transport at the tier plus packaging."""
        return self.transport_cents_by_tier[tier] + self.packaging_cents


@dataclass
class ShipmentDraft:
    orders: list[Order]
    options: list[PlannedOption]  # offered to the assignment: every one with the same number of parcels
    fixed_cents: int  # handling + indirect: the same whatever the service and packing
    # The options in the other numbers of parcels, by count: offered instead when the assignment leaves
    # the shipment out (`recounted`).
    other_counts: dict[int, list[PlannedOption]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return "+".join(o.order_ref for o in self.orders)

    @property
    def parcels(self) -> int:
        return len(self.options[0].boxes)

    @property
    def weight_g(self) -> int:
        return sum(o.weight_g for o in self.orders)


@dataclass(frozen=True)
class OrderDates:
    """What the shipping-day rule says of one order: when it may leave with each schedule, and the
    dates the checkout showed for the service the shopper chose (None when it named none)."""

    order: Order
    local_day: date
    local_time: time
    shown_ships_on: date | None
    shown_latest: date | None

    @property
    def deliver_by(self) -> date | None:
        bounds = [d for d in (self.order.deliver_by, self.shown_latest) if d is not None]
        return min(bounds, default=None)


def order_dates(book: QuoteBook, warehouse: Warehouse, order: Order) -> OrderDates:
    """The order's local time and the window the checkout showed for its chosen service."""
    local = warehouse.local(order.ordered_at)
    shown = book.shown_window(order)
    return OrderDates(
        order,
        local.date(),
        local.time(),
        shown[0] if shown else None,
        shown[2] if shown else None,
    )


def may_ship_on(dates: OrderDates, warehouse: Warehouse, schedule: CarrierSchedule, day: date) -> bool:
    """The shipping-day rule for one order on one schedule: not before its ship day, nor before the ship
    day the checkout showed."""
    try:
        first = ship_day(dates.local_day, dates.local_time, warehouse, schedule)
    except ValueError:  # this carrier can never take the warehouse's orders
        return False
    return first <= day and (dates.shown_ships_on is None or dates.shown_ships_on <= day)


class _Planner:
    """Options of a set of orders shipped together, from the book's timeline and the pricing engine."""

    def __init__(
        self,
        book: QuoteBook,
        settings: PlanSettings,
        warehouse: Warehouse,
        days: list[date],
        run_at: time,
        month_parcels: Mapping[str, int],
        packing_cache: dict[object, dict[int, CheapestPacking]],
        points: Mapping[str, PickupPoint],
    ):
        self.book = book
        self.points = points  # order_ref -> its chosen pickup point, as its carrier's directory has it
        self.settings = settings
        self.warehouse = warehouse
        self.days = days
        self.run_at = run_at
        self.month_parcels = month_parcels
        self.packing_cache = packing_cache  # shared by the plan's warehouses
        self.accepted: dict[tuple[int, str, str], tuple[BoxType, ...]] = {}
        self.packer_cache: PackerCache = {}
        self.versions_by_day = [book.timeline.all_in_force(day) for day in days]
        # The tier each carrier's month has reached today: read for every option of every draft.
        self._tiers_today = {
            code: version.tier_reached(month_parcels.get(code, 0)) for code, version in self.versions_by_day[0]
        }
        self.dates: dict[str, OrderDates] = {}
        self._baselines: dict[str, int | None] = {}

    def dates_of(self, order: Order) -> OrderDates:
        found = self.dates.get(order.order_ref)
        if found is None:
            found = self.dates[order.order_ref] = order_dates(self.book, self.warehouse, order)
        return found

    def month_volume(self, carrier: str, day: date) -> int:
        """Parcels the carrier has shipped this month as of `day` (a day of another month starts at 0)."""
        first = self.days[0]
        return self.month_parcels.get(carrier, 0) if (day.year, day.month) == (first.year, first.month) else 0

    def tier_today(self, carrier: str) -> int:
        return self._tiers_today.get(carrier, 0)

    def waiting_until(self, order: Order) -> date | None:
        """The order's first ship day when this run may not plan it: placed at or after the run's moment (a
        later run sees it), or no service it may take (its mode, its pickup point's carrier, the features its
        shopper chose) may ship it on any day of this plan."""
        dates = self.dates_of(order)
        required = self.book.required_features(order)
        fixed_carrier = order.carrier if order.pickup_point_id else None
        firsts = []
        for carrier, version in self.versions_by_day[-1]:
            if fixed_carrier and carrier != fixed_carrier:
                continue
            for ls in version.card.services:
                if ls.mode != order.mode or not ls.service.features.covers(required):
                    continue
                try:
                    firsts.append(ship_day(dates.local_day, dates.local_time, self.warehouse, ls.schedule))
                except ValueError:
                    continue
        if dates.shown_ships_on is not None:
            firsts = [max(first, dates.shown_ships_on) for first in firsts]
        first = min(firsts, default=None)
        if (dates.local_day, dates.local_time) >= (self.days[0], self.run_at):  # not in this run
            return self.days[0] if first is None else max(first, self.days[0])
        return first if first is not None and first > self.days[-1] else None

    def items_of(self, orders: Sequence[Order]) -> list[BoxItem]:
        """The orders' items one unit each, in shape order: orders draw on one catalogue, so the same
        multiset of shapes comes back again and again and its packings are found once per plan."""
        return sorted(
            (
                BoxItem(f"{o.order_ref}/{n}/{k}", i.weight_g, i.length_mm, i.width_mm, i.height_mm)
                for o in orders
                for n, i in enumerate(o.items)
                for k in range(i.quantity)
            ),
            key=_shape,
        )

    def packings(
        self,
        shapes: tuple[Shape, ...],
        live: LiveCard,
        service: str,
        zone: str,
        country: str,
        postcode: str,
        *,
        fuel_bp: int,
        discount_bp: int,
    ) -> dict[int, CheapestPacking]:
        """The cheapest packing per number of parcels on one service: boxes it accepts + postage at these rates.
        Cached per plan: the postage depends on the destination only through remote-area surcharges."""
        compiled = live.compiled.services[service]
        grid = compiled.grids.get(zone)
        if grid is None:
            return {}
        # The destination matters only through the remote-area surcharges that cover it.
        place = country.upper(), normalise_postcode(postcode)
        remote = tuple(
            n for n, rule in enumerate(compiled.surcharges) if rule.kind is _REMOTE_AREA and rule.covers(*place)
        )
        key = (shapes, live.record_id, service, zone, remote, fuel_bp, discount_bp)
        known = self.packing_cache.get(key)
        if known is None:
            accepted_key = (live.record_id, service, zone)
            accepted = self.accepted.get(accepted_key)
            if accepted is None:
                accepted = self.accepted[accepted_key] = accepted_box_types(compiled, grid, self.settings.box_types)

            def postage(box: BoxType, weight_g: int) -> int | None:
                price = price_shipment(
                    live.compiled,
                    service,
                    zone,
                    country,
                    postcode,
                    (box_parcel(box, weight_g),),
                    fuel_bp=fuel_bp,
                    discount_bp=discount_bp,
                )
                return None if isinstance(price, NotServed) else price.total_cents

            known = self.packing_cache[key] = cheapest_by_count(
                shapes, accepted, postage, self.settings.fill_ratio, self.packer_cache
            )
        return known

    def draft(self, orders: list[Order]) -> ShipmentDraft | str:
        """The shipment of these orders with every option keeping all their promises, or why there is none."""
        items = self.items_of(orders)
        unfit = [i for i in items if not any(b.fits(i) for b in self.settings.box_types)]
        if unfit:
            details = [f"{i.id} ({i.length_mm}x{i.width_mm}x{i.height_mm} mm, {i.weight_g} g)" for i in unfit]
            return f"no box fits: {ItemsFitNoBox([i.id for i in unfit], details)}"
        options, promise_kept, point_shut = self._options(orders, items)
        merged = "" if len(orders) == 1 else "s of the merged orders"
        if not options:
            if point_shut:
                return POINT_SHUT
            if not promise_kept:
                return "no service keeps the promise" + merged
            return "no service that keeps the promise" + merged + " accepts boxes that hold the items"
        # One number of parcels per shipment (the assignment's capacities count one): its cheapest option's
        # first, the others kept for when the assignment leaves it out.
        by_count: dict[int, list[PlannedOption]] = defaultdict(list)
        for option in options:
            by_count[len(option.boxes)].append(option)
        parcels = len(min(options, key=self.cost_today).boxes)
        costs = self.book.warehouses[orders[0].warehouse].costs
        fixed = (costs.handling_cents + costs.indirect_cents) * len(orders)
        return ShipmentDraft(list(orders), by_count.pop(parcels), fixed, dict(by_count))

    def recounted(self, draft: ShipmentDraft) -> ShipmentDraft | None:
        """The shipment offered in another number of parcels, the one of its cheapest option among those not
        offered yet (None when none is left): for the assignment to try when it leaves the shipment out."""
        if not draft.other_counts:
            return None
        parcels = min(draft.other_counts, key=lambda n: min(map(self.cost_today, draft.other_counts[n])))
        others = {n: found for n, found in draft.other_counts.items() if n != parcels}
        return ShipmentDraft(draft.orders, draft.other_counts[parcels], draft.fixed_cents, others)

    def cost_today(self, option: PlannedOption) -> int:
        """Transport and packaging of an option at the tier the month has reached (held: plus the hold cost)."""
        if option.day == 0:
            return option.cost_cents(self.tier_today(option.carrier))
        return option.cost_cents(0) + self.settings.hold_cost_cents

    def _options(self, orders: list[Order], items: list[BoxItem]) -> tuple[list[PlannedOption], bool, bool]:
        """Every (service, day, packing) keeping the orders' promises, whether a service keeps them at all,
        and whether some service would but for their pickup point being closed (`POINT_SHUT`)."""
        first = orders[0]
        country, postcode, mode = first.address.country, first.address.postcode, first.mode
        region = holiday_region(country, postcode)
        dates = [self.dates_of(o) for o in orders]
        deliver_by = min((d.deliver_by for d in dates if d.deliver_by), default=None)
        deliver_after = max((o.deliver_after for o in orders if o.deliver_after), default=None)
        fixed_carrier = first.carrier if first.pickup_point_id else None
        point = self.points.get(first.order_ref)  # merged orders share their point (`consignee_key`)
        # The parcel is collectable by the shoppers' promise (not the carrier's date the checkout showed:
        # a point opening the day after is the quote's rule too).
        collect_by = None if point is None else min((o.deliver_by for o in orders if o.deliver_by), default=None)
        required = _required_features(self.book, orders)
        # Orders placed at or after the run's moment are not in it: they wait (`waiting_until`).
        in_run_today = all((d.local_day, d.local_time) < (self.days[0], self.run_at) for d in dates)
        promise_kept = point_shut = False
        options = []
        for day_index, day in enumerate(self.days):
            if day_index == 0 and not in_run_today:
                continue
            for carrier, version in self.versions_by_day[day_index]:
                if fixed_carrier and carrier != fixed_carrier:
                    continue
                live: LiveCard = version.card
                zone = live.compiled.zones.zone_for(country, postcode)
                if zone is None:
                    continue
                fuel = self.book.timeline.fuel_bp(version, day)
                discounts = self._discounts(carrier, version, day_index, day)
                for ls in live.services:
                    transit = _carried(ls, zone, day, mode, required)
                    if transit is None:
                        continue
                    if day_index == 0 and not can_plan(ls.schedule, self.run_at):
                        continue
                    if not all(may_ship_on(d, self.warehouse, ls.schedule, day) for d in dates):
                        continue
                    earliest, latest = self._window(carrier, ls, zone, transit, day, country, region)
                    if (deliver_by and latest > deliver_by) or (deliver_after and earliest < deliver_after):
                        continue
                    if point is not None and not collectable(point, latest, collect_by):
                        point_shut = True
                        continue
                    promise_kept = True
                    search_bp = discounts[self.tier_today(carrier)] if day_index == 0 else discounts[0]
                    for boxes, totals, packaging in self._priced_packings(
                        items, live, ls.service.code, zone, country, postcode, fuel, discounts, search_bp
                    ):
                        options.append(
                            PlannedOption(
                                carrier,
                                ls.service.code,
                                ls.mode,
                                day_index,
                                day,
                                earliest,
                                latest,
                                totals,
                                live.record_id,
                                live.version,
                                boxes,
                                packaging,
                            )
                        )
        return options, promise_kept, point_shut and not promise_kept

    def _window(
        self, carrier: str, ls: LiveService, zone: str, transit: Transit, day: date, country: str, region: str | None
    ) -> tuple[date, date]:
        """The delivery window of a pickup on `day`: the observed p90 where the lane has enough
        deliveries, the card's transit otherwise."""
        figures = self.book.learned.get((carrier, ls.service.code, zone))
        min_days, max_days = planning_transit(transit.min_days, transit.max_days, figures, day)
        return delivery_dates(day, min_days, max_days, ls.schedule.delivery_weekdays, country, region)

    def _priced_packings(
        self,
        items: list[BoxItem],
        live: LiveCard,
        service: str,
        zone: str,
        country: str,
        postcode: str,
        fuel_bp: int,
        discounts: tuple[int, ...],
        search_bp: int,
    ) -> list[tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[int, ...], int]]:
        """The service's cheapest packing per number of parcels (searched at `search_bp`), each as its boxes
        (box type, item ids), its transport priced by the engine at each of `discounts`, and its boxes' cost."""
        shapes = tuple(_shape(i) for i in items)
        box_of = {b.code: b for b in self.settings.box_types}
        packings = self.packings(shapes, live, service, zone, country, postcode, fuel_bp=fuel_bp, discount_bp=search_bp)
        priced = []
        for packing in packings.values():
            parcels = tuple(
                box_parcel(box_of[code], sum(items[i].weight_g for i in held)) for code, held in packing.blocks
            )
            prices = [
                price_shipment(
                    live.compiled, service, zone, country, postcode, parcels, fuel_bp=fuel_bp, discount_bp=bp
                )
                for bp in discounts
            ]
            totals = tuple(p.total_cents for p in prices if not isinstance(p, NotServed))
            if len(totals) != len(prices):
                continue
            boxes = tuple((code, tuple(items[i].id for i in held)) for code, held in packing.blocks)
            priced.append((boxes, totals, sum(box_of[code].cost_cents for code, _ in packing.blocks)))
        return priced

    def baseline(self, order: Order) -> int | None:
        """The order shipped alone, each service on its first possible day, at its cheapest: transport,
        packaging, handling and indirect; None when no service keeps its promise and features.

        A service's first possible day is the first working day from the order's day on which the card
        in force has the service, the carrier picks up and the shipping-day rule lets the order leave
        with it (`may_ship_on`: ready, a run before the cut-off, not before the ship day the checkout
        showed); a day on which it would arrive before `deliver_after` is passed over. It is priced with
        that day's card and fuel, at the tier the month has reached today, in its cheapest packing of
        any number of parcels, without capacities. No day after the plan's last is looked at: the
        order ships within the plan's days, so a service first possible later is not its baseline."""
        if order.order_ref in self._baselines:
            return self._baselines[order.order_ref]
        dates = self.dates_of(order)
        country, postcode = order.address.country, order.address.postcode
        region = holiday_region(country, postcode)
        deliver_by, deliver_after = dates.deliver_by, order.deliver_after
        required = self.book.required_features(order)
        fixed_carrier = order.carrier if order.pickup_point_id else None
        items = self.items_of([order])
        end = min(self.days[-1], deliver_by) if deliver_by else self.days[-1]
        settled: set[tuple[str, str]] = set()  # services whose first possible day has been seen
        best: int | None = None
        local = dates.local_day
        day = local if is_working_day(self.warehouse, local) else next_working_day(self.warehouse, local)
        while day <= end:
            for carrier, version in self.book.timeline.all_in_force(day):
                if fixed_carrier and carrier != fixed_carrier:
                    continue
                live: LiveCard = version.card
                zone = live.compiled.zones.zone_for(country, postcode)
                if zone is None:
                    continue
                for ls in live.services:
                    key = (carrier, ls.service.code)
                    transit = None if key in settled else _carried(ls, zone, day, order.mode, required)
                    if transit is None or not may_ship_on(dates, self.warehouse, ls.schedule, day):
                        continue
                    earliest, latest = self._window(carrier, ls, zone, transit, day, country, region)
                    if deliver_after and earliest < deliver_after and not (deliver_by and latest > deliver_by):
                        continue  # too early: a later day of this service may keep the window
                    settled.add(key)  # its first possible day: a later one would arrive no sooner
                    if deliver_by and latest > deliver_by:
                        continue
                    discount = version.discount_bp(self.month_parcels.get(carrier, 0))
                    fuel = self.book.timeline.fuel_bp(version, day)
                    for _, (total,), packaging in self._priced_packings(
                        items, live, ls.service.code, zone, country, postcode, fuel, (discount,), discount
                    ):
                        if best is None or total + packaging < best:
                            best = total + packaging
            day = next_working_day(self.warehouse, day)
        costs = self.book.warehouses[order.warehouse].costs
        found = None if best is None else best + costs.handling_cents + costs.indirect_cents
        self._baselines[order.order_ref] = found
        return found

    def _discounts(self, carrier: str, version: CardVersion[LiveCard], day_index: int, day: date) -> tuple[int, ...]:
        """Today: the discount at each tier of the card in force. Held: the tier the month has reached."""
        if day_index == 0:
            return version.discounts_by_tier
        return (version.discount_bp(self.month_volume(carrier, day)),)

    def cheapest(self, draft: ShipmentDraft) -> int | None:
        """Cost of its cheapest option today or, held, tomorrow (no capacities), packaging included; the
        handling and indirect costs are left out, the same per order however the orders are split."""
        return min((self.cost_today(o) for o in draft.options), default=None)

    def cheapest_today(self, draft: ShipmentDraft) -> int | None:
        """Cost of the cheapest day-0 option in any number of parcels at the tier the month has reached (no
        capacities), packaging, handling and indirect included."""
        every = [o for found in (draft.options, *draft.other_counts.values()) for o in found]
        costs = [self.cost_today(o) + draft.fixed_cents for o in every if o.day == 0]
        return min(costs, default=None)


def collectable(point: PickupPoint, latest: date, deliver_by: date | None) -> bool:
    """A parcel the carrier delivers by `latest` can be collected at the point in time: the point opens
    on a day from `latest` on (closures skipped, within its look-ahead), and by the promise if any (the
    quote's rule for the date a parcel is available at a point)."""
    available = point.open_day_from(latest)
    return available is not None and (deliver_by is None or available <= deliver_by)


def _carried(ls: LiveService, zone: str, day: date, mode: str, required: Features) -> Transit | None:
    """The service's transit to `zone` when it carries `mode` with the `required` features (the
    shopper's choice is a contract) and picks up on `day`; None otherwise."""
    transit = ls.service.transit.get(zone)
    if ls.mode != mode or transit is None or day.weekday() not in ls.schedule.pickup_weekdays:
        return None
    return transit if ls.service.features.covers(required) else None


def _required_features(book: QuoteBook, orders: Sequence[Order]) -> Features:
    """What a shipment's service must offer: every feature any of its orders' shoppers chose."""
    required = NO_FEATURES
    for order in orders:
        required = required.together(book.required_features(order))
    return required


def _shape(item: BoxItem) -> tuple[int, int, int, int]:
    return (item.weight_g, item.length_mm, item.width_mm, item.height_mm)


def plan_orders(
    book: QuoteBook,
    orders: Sequence[Order],
    shipping_date: date,
    settings: PlanSettings,
    month_parcels: Mapping[str, int] | None = None,
    *,
    run_at: time | None = None,
    booked: Mapping[str, tuple[int, int]] | None = None,
    points: Mapping[str, PickupPoint] | None = None,
) -> Plan:
    """The cheapest plan for these orders that keeps every promise, capacity and box limit.

    `month_parcels`: parcels per carrier already shipped this month; `run_at`: the planning run's
    local time (None: each warehouse's first run of the day); `booked`: (parcels, g) per carrier
    that earlier runs put on today's pickups; `points`: the chosen pickup point of the orders that
    have one in a directory in use (order_ref -> point): an option keeps such an order's promise
    only if the point opens to collect the parcel from the carrier's latest date on, by the promise.
    """
    started = clock.monotonic()
    month_parcels = month_parcels or {}
    unplannable: dict[str, str] = {}
    waiting: dict[str, date] = {}
    drafts: list[ShipmentDraft] = []
    groups: dict[tuple[str, str, str], list[Order]] = defaultdict(list)
    for order in orders:
        if order.warehouse not in book.warehouses:
            unplannable[order.order_ref] = f"unknown warehouse {order.warehouse!r}"
            continue
        groups[(order.warehouse, order.mode, order.consignee_key)].append(order)

    packings: dict[object, dict[int, CheapestPacking]] = {}
    planners: dict[str, _Planner] = {}
    singles: dict[str, ShipmentDraft] = {}
    for (code, _, _), members in sorted(groups.items()):
        planner = planners.get(code)
        if planner is None:
            warehouse = book.warehouses[code].warehouse
            days = plan_days(warehouse, shipping_date, settings.holding)
            at = warehouse.planning_runs[0] if run_at is None else run_at
            planner = planners[code] = _Planner(
                book, settings, warehouse, days, at, month_parcels, packings, points or {}
            )
        alone = singles  # every order's shipment alone, for a merge left out for want of capacity
        for order in members:
            later = planner.waiting_until(order)
            if later is not None:
                waiting[order.order_ref] = later
                continue
            single = planner.draft([order])
            if isinstance(single, str):
                starved = order.attention == NO_CAPACITY and single.startswith("no service keeps the promise")
                unplannable[order.order_ref] = CAPACITY_RAN_OUT if starved else single
            else:
                alone[order.order_ref] = single
        drafts.extend(_merge(planner, [o for o in members if o.order_ref in alone], alone))

    if not drafts:
        return Plan(
            shipping_date,
            len(orders),
            (),
            unplannable,
            0,
            0,
            0,
            0.0,
            "optimal",
            "none",
            0.0,
            clock.monotonic() - started,
            waiting,
            run_at,
        )

    tiers_day = next(iter(planners.values())).days[0]
    instance, option_maps = _instance(book, tiers_day, drafts, settings, month_parcels, booked or {})
    solution = asg.solve(instance, time_limit_s=settings.time_limit_s, workers=settings.workers)
    # Every round splits a merged shipment or offers one in a count not offered yet, so the rounds end;
    # they stop early when the plan's time for solving again is spent.
    deadline = clock.monotonic() + RESOLVE_BUDGET * settings.time_limit_s
    while clock.monotonic() < deadline:
        # A shipment the capacities leave out may still ship: merged, with its orders apart (each alone
        # can ship, or it would not have been merged); alone, in another number of parcels (a carrier with
        # room may take it only so). Solve again with those.
        again: list[ShipmentDraft] = []
        changed = False
        for draft in drafts:
            if solution.assignment.get(draft.id) is not None:
                again.append(draft)
            elif len(draft.orders) > 1:
                again.extend(singles[o.order_ref] for o in draft.orders)
                changed = True
            elif (recounted := planners[draft.orders[0].warehouse].recounted(draft)) is not None:
                again.append(recounted)
                changed = True
            else:
                again.append(draft)
        if not changed:
            break
        drafts = again
        instance, option_maps = _instance(book, tiers_day, drafts, settings, month_parcels, booked or {})
        limit = max(RESOLVE_MIN_S, min(settings.time_limit_s, deadline - clock.monotonic()))
        solution = asg.solve(instance, time_limit_s=limit, workers=settings.workers)
    shipments = []
    fixed_of_assigned = 0
    for draft, options in zip(drafts, option_maps, strict=True):
        chosen = solution.assignment.get(draft.id)
        if chosen is None:
            for order in draft.orders:
                unplannable[order.order_ref] = NO_CAPACITY
            continue
        fixed_of_assigned += draft.fixed_cents
        planned = options[chosen]
        tier = solution.tiers.get(planned.carrier, 0) if planned.day == 0 else 0
        transport = planned.transport_cents_by_tier[tier]
        hold = settings.hold_cost_cents if planned.day else 0
        cost = transport + planned.packaging_cents + draft.fixed_cents + hold
        # A held shipment claims no saving yet, nor do orders no service could carry alone.
        apart = [] if planned.day else [planners[o.warehouse].baseline(o) for o in draft.orders]
        baseline = cost if planned.day or None in apart else sum(c for c in apart if c is not None)
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
                boxes=planned.boxes,
                transport_cents=transport,
                packaging_cents=planned.packaging_cents,
                other_cents=draft.fixed_cents,
                cost_cents=cost,
                rate_card_id=planned.rate_card_id,
                rate_card_version=planned.rate_card_version,
                held=planned.day > 0,
                baseline_cents=baseline,
            )
        )
    shipped = [s for s in shipments if not s.held]
    return Plan(
        shipping_date=shipping_date,
        orders_in=len(orders),
        shipments=tuple(shipments),
        unplannable=unplannable,
        cost_cents=sum(s.cost_cents for s in shipped),
        baseline_cents=sum(s.baseline_cents for s in shipped),
        lower_bound_cents=solution.lower_bound_cents + fixed_of_assigned,
        objective_cents=solution.cost_cents + fixed_of_assigned,
        gap=solution.gap,
        solver_status=solution.status,
        solver_method=solution.method,
        solver_seconds=solution.solve_seconds,
        seconds=clock.monotonic() - started,
        waiting=waiting,
        run_at=run_at,
    )


RESOLVE_BUDGET = 2  # solving again (left-out shipments split, or recounted) may take twice the solve's time limit
RESOLVE_MIN_S = 1.0  # the least time limit of a solve again
EXACT_MERGE_UP_TO = 6  # orders of one consignee: every way to split them into shipments is tried


def _merge(planner: _Planner, members: list[Order], alone: dict[str, ShipmentDraft]) -> list[ShipmentDraft]:
    """The shipments of one consignee's orders. Up to EXACT_MERGE_UP_TO orders, the cheapest way to
    split them into shipments (every partition, each shipment at its cheapest option today or held,
    without capacities; fewer shipments at equal cost). Beyond, earliest deadline first, each order
    joins the open shipment while that keeps a promise-keeping option and costs no more than apart."""
    if 1 < len(members) <= EXACT_MERGE_UP_TO:
        return _best_partition(planner, members, alone)
    members = sorted(members, key=lambda o: (planner.dates_of(o).deliver_by or date.max, o.order_ref))
    drafts: list[ShipmentDraft] = []
    current: ShipmentDraft | None = None
    for order in members:
        single = alone[order.order_ref]
        if current is not None:
            merged = planner.draft([*current.orders, order])
            if not isinstance(merged, str):
                together = planner.cheapest_today(merged)
                apart = planner.cheapest_today(current), planner.cheapest_today(single)
                one, other = apart
                if together is not None and one is not None and other is not None and together <= one + other:
                    current = merged
                    continue
            drafts.append(current)
        current = single
    if current is not None:
        drafts.append(current)
    return drafts


def _best_partition(planner: _Planner, members: list[Order], alone: dict[str, ShipmentDraft]) -> list[ShipmentDraft]:
    """The partition of the orders into shipments of least total cost (dynamic programming over the
    subsets: 3^n steps, n <= EXACT_MERGE_UP_TO). A subset no shipment can carry is never chosen; each
    order alone always can (the caller gives only orders that can ship alone)."""
    members = sorted(members, key=lambda o: o.order_ref)
    n = len(members)
    blocks: dict[int, tuple[int, ShipmentDraft]] = {}
    for mask in range(1, 1 << n):
        orders = [members[i] for i in range(n) if mask >> i & 1]
        draft = alone[orders[0].order_ref] if len(orders) == 1 else planner.draft(orders)
        if isinstance(draft, str):
            continue
        cost = planner.cheapest(draft)
        if cost is not None:
            blocks[mask] = (cost, draft)
    # best[mask]: (cost, shipments) of the cheapest partition of the orders in mask, and its first block.
    best: dict[int, tuple[int, int, int]] = {0: (0, 0, 0)}
    for mask in range(1, 1 << n):
        low = mask & -mask  # the block holding the lowest order of mask
        choice: tuple[int, int, int] | None = None
        sub = mask
        while sub:
            if sub & low and sub in blocks and (mask ^ sub) in best:
                rest_cost, rest_count, _ = best[mask ^ sub]
                candidate = (blocks[sub][0] + rest_cost, rest_count + 1, sub)
                if choice is None or candidate < choice:
                    choice = candidate
            sub = (sub - 1) & mask
        if choice is not None:
            best[mask] = choice
    drafts = []
    mask = (1 << n) - 1
    while mask:
        block = best[mask][2]
        drafts.append(blocks[block][1])
        mask ^= block
    return drafts


def _instance(
    book: QuoteBook,
    day: date,
    drafts: list[ShipmentDraft],
    settings: PlanSettings,
    month_parcels: Mapping[str, int],
    booked: Mapping[str, tuple[int, int]],
) -> tuple[asg.Instance, list[dict[asg.Option, PlannedOption]]]:
    """The solver's instance: today's options count towards their carrier's tiers; a held option is on
    its own 'held:' carrier, with the real carrier's capacity for day 1 and no tiers."""
    shipments, maps = [], []
    for draft in drafts:
        mapping: dict[asg.Option, PlannedOption] = {}
        for option in draft.options:
            # The option's own boxes and, held, the hold cost: the same at every tier.
            extra = option.packaging_cents + (settings.hold_cost_cents if option.day else 0)
            carrier = option.carrier if option.day == 0 else HELD + option.carrier
            solver_option = asg.Option(carrier, option.day, tuple(c + extra for c in option.transport_cents_by_tier))
            if solver_option not in mapping:  # identical (carrier, day, costs): keep the earlier delivery
                mapping[solver_option] = option
        shipments.append(
            asg.Shipment(draft.id, draft.parcels, draft.weight_g, tuple(mapping), orders=len(draft.orders))
        )
        maps.append(mapping)
    in_force = dict(book.timeline.all_in_force(day))
    carriers = []
    for code in sorted({o.carrier for shipment in shipments for o in shipment.options}):
        real = code.removeprefix(HELD)
        limits = settings.carrier_limits.get(real, CarrierLimits())
        if code.startswith(HELD):
            carriers.append(asg.CarrierCapacity(code, limits.parcels_per_day, limits.weight_g_per_day, 0, ()))
            continue
        version = in_force.get(code)
        used_parcels, used_g = booked.get(code, (0, 0))
        carriers.append(
            asg.CarrierCapacity(
                code,
                None if limits.parcels_per_day is None else max(0, limits.parcels_per_day - used_parcels),
                None if limits.weight_g_per_day is None else max(0, limits.weight_g_per_day - used_g),
                month_parcels.get(code, 0),
                version.thresholds if version else (),
            )
        )
    return asg.Instance(tuple(shipments), tuple(carriers), days=2 if settings.holding else 1), maps


def what_if_plan(
    uow: UnitOfWork, book: QuoteBook, orders: Sequence[Order], shipping_date: date, settings: PlanSettings
) -> Plan:
    """The plan these orders would get on `shipping_date`, from the month's real volume and what runs
    already booked that day at their warehouse (at every warehouse, when the orders come from several);
    nothing is written."""
    sites = {order.warehouse for order in orders}
    with uow:
        month_parcels = uow.runs.month_parcels(shipping_date.replace(day=1), shipping_date + timedelta(days=1))
        booked = uow.runs.day_load(shipping_date, sites.pop() if len(sites) == 1 else None)
    return plan_orders(book, orders, shipping_date, settings, month_parcels, booked=booked)
