"""The checkout quote: every service of every card in force, priced and dated, from memory.

`QuoteBook` is everything a quote reads, compiled once from the store: the
active cards per carrier (zone index, grids, schedules), fuel updates, the
free-shipping policy and the warehouses, and the day plans and lanes built
from them on demand (`quote_index`). `quote_order` reads only the book, so
the checkout's hot path never touches the database; `LiveQuoteBook` rebuilds
the book in the background when a card, fuel figure or policy changes, or
deliveries are recorded.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
from itertools import repeat
from operator import add, getitem, itemgetter
from time import monotonic
from typing import NamedTuple, cast
from zoneinfo import ZoneInfo

from carriers.model import RateCard, Service, normalise_postcode
from carriers.pricing import (
    CompiledCard,
    billable_weight_g,
    bracket_index,
    limits_refusal,
    parcel_surcharges,
    priced_base,
    weight_refusal,
)
from tms.domain.capacity import Day
from tms.domain.delivery import (
    CarrierSchedule,
    Warehouse,
    business_days_between,
    holiday_region,
    pickup_with_room,
    window_for_pickup,
    window_from_local_time,
)
from tms.domain.errors import InvalidInput, Problem
from tms.domain.features import NO_FEATURES, Features
from tms.domain.lane_stats import (
    HALF_LIFE_DAYS,
    MAX_TRANSIT_DAYS,
    MIN_DELIVERIES,
    DeliveredParcel,
    Distribution,
    LaneFigures,
    LaneKey,
    OpenParcel,
    learn_lanes,
)
from tms.domain.modes import DeliveryMode
from tms.domain.orders import Order
from tms.domain.parcels import Parcel
from tms.domain.policy import FreeShipping, ShippingPolicy, WarehouseCosts, customer_price_cents, free_shipping
from tms.domain.quotes import Exclusion, Offer, PointOffer, Promise, Quote, QuoteOption, QuoteRequest, Refusal
from tms.domain.rate_cards import CardStatus, CardTimeline, CardVersion, FuelSurcharge, RateCardRecord
from tms.domain.tracking import DeliveredRecord, InTransitRecord
from tms.services.pickup_points import PointIndex, QuotePoints, no_directory
from tms.services.policy import policy_from_document
from tms.services.quote_index import (
    DayPlan,
    Lane,
    LaneGroup,
    Lanes,
    LiveCard,
    LiveService,
    Priced,
    SharedTables,
    Window,
)
from tms.services.rate_cards import load_card
from tms.services.unit_of_work import UnitOfWork

MODES = tuple(mode.value for mode in DeliveryMode)  # plain str: the keys of a quote's `cheapest`
PLAN_DAYS_LIMIT = 4_096  # days whose plan is kept (plans with equal figures are one object)
IN_TRANSIT_DAYS = 2 * MAX_TRANSIT_DAYS  # calendar days: the parcels in transit read, past any the figures keep
WINDOW_KEYS_LIMIT = 20_000  # (warehouse, country, region, day, time class) whose delivery windows are kept


@dataclass(frozen=True)
class WarehouseSetup:
    warehouse: Warehouse
    costs: WarehouseCosts
    name: str = ""


@dataclass(frozen=True)
class DeliveryLearning:
    """How delivery times are learned (`tms.domain.lane_stats`) and what the quote does with them."""

    min_deliveries: int = MIN_DELIVERIES  # a lane with fewer falls back to the card's transit
    half_life_days: float = HALF_LIFE_DAYS  # a delivery's weight halves with each half-life of age
    min_on_time_probability: float = 0.0  # the recommendation skips options below it; 0: off
    timezone: str = "Europe/Paris"  # the days of the carriers' events are read in it
    refresh_s: float = 60.0  # a recorded delivery rebuilds the book at most this often; 0: at once

    def __post_init__(self) -> None:
        if self.min_deliveries < 1:
            raise ValueError(f"learning.min_deliveries must be at least 1: {self.min_deliveries}")
        if not self.half_life_days > 0:
            raise ValueError(f"learning.half_life_days must be positive: {self.half_life_days}")
        if not 0.0 <= self.min_on_time_probability <= 1.0:
            raise ValueError(f"quote.min_on_time_probability must be within 0 and 1: {self.min_on_time_probability}")
        if not self.refresh_s >= 0:
            raise ValueError(f"learning.refresh_s must be 0 or more: {self.refresh_s}")


class _Lane(NamedTuple):
    """Where a recorded parcel went, as its lane's learning counts it."""

    key: LaneKey
    weekdays: frozenset[int]  # the service's delivery weekdays
    country: str
    region: str | None  # of the destination's public holidays (`holiday_region`)


class QuoteBook:
    """The active cards and settings a quote needs, in memory."""

    def __init__(
        self,
        cards: Sequence[tuple[RateCardRecord, RateCard]],
        fuel: Sequence[FuelSurcharge],
        policy: ShippingPolicy,
        warehouses: Sequence[WarehouseSetup],
        monthly_parcels: Mapping[str, int] | None = None,
        deliveries: Sequence[DeliveredRecord] = (),
        learning: DeliveryLearning = DeliveryLearning(),
        today: date | None = None,
        in_transit: Sequence[InTransitRecord] = (),
    ) -> None:
        if not warehouses:
            raise ValueError("at least one warehouse is needed")
        self.policy = policy
        self.warehouses = {w.warehouse.code: w for w in warehouses}
        self.default_warehouse = warehouses[0].warehouse.code
        self.monthly_parcels = dict(monthly_parcels or {})
        by_carrier: dict[str, list[LiveCard]] = {}
        codes = sorted({(record.carrier_code, s.code) for record, card in cards for s in card.services})
        order = {key: n for n, key in enumerate(codes)}
        for record, card in cards:
            compiled = CompiledCard(card)
            services = tuple(
                LiveService(
                    s,
                    compiled.services[s.code],
                    s.mode.value,
                    CarrierSchedule(s.pickup_cutoff, s.pickup_weekdays, s.delivery_weekdays),
                    Offer(
                        record.carrier_code,
                        card.carrier_name,
                        s.code,
                        s.name,
                        s.mode.value,
                        s.speed.value,
                        card.currency,
                        record.id,
                        record.version,
                        s.signature,
                        s.appointment,
                        s.insurance_cents,
                    ),
                    order[(record.carrier_code, s.code)],
                )
                for s in card.services
            )
            live = LiveCard(record.id, record.version, card.valid_from, card, compiled, services)
            by_carrier.setdefault(record.carrier_code, []).append(live)
        self.timeline: CardTimeline[LiveCard] = CardTimeline(
            (
                CardVersion(
                    live.record_id,
                    carrier,
                    live.version,
                    live.valid_from,
                    live.card.fuel_bp,
                    tuple((t.min_parcels, t.discount_bp) for t in live.card.tiers),
                    live,
                )
                for carrier, versions in by_carrier.items()
                for live in versions
            ),
            fuel,
        )
        self.first_day: date | None = self.timeline.first_day
        cutoffs = [w.warehouse.order_cutoff for w in warehouses]
        cutoffs += [run for w in warehouses for run in w.warehouse.planning_runs]
        cutoffs += [s.pickup_cutoff for _, card in cards for s in card.services]
        self.tables = SharedTables(cutoffs)
        self.learning = learning
        self.learned: Mapping[LaneKey, LaneFigures] = self._learn(deliveries, today, in_transit)
        self._plans: dict[date, DayPlan] = {}
        self._plans_by_figures: dict[tuple[tuple[int, int, int], ...], DayPlan] = {}

    def _learn(
        self, deliveries: Sequence[DeliveredRecord], today: date | None, in_transit: Sequence[InTransitRecord] = ()
    ) -> dict[LaneKey, LaneFigures]:
        """Each delivered parcel on its lane, zoned by its carrier's card in force `today` (its newest
        otherwise), its business days counted with that service's delivery weekdays and the
        destination's holidays; each parcel in transit the same, open since its pickup: it takes more
        than the business days from its pickup to yesterday (today is not over). Then each lane's
        figures as of `today` (the last delivery day if None)."""
        if not deliveries:
            return {}
        zone = ZoneInfo(self.learning.timezone)
        found: dict[tuple[str, str], tuple[LiveCard, LiveService] | None] = {}
        # Per (carrier, service, country, postcode) as stored: its lane, the service's delivery
        # weekdays, and the destination's country and holiday region. Parcels share destinations
        # (a country has some thousands of postcodes), so each is zoned once.
        lanes: dict[tuple[str, str, str, str], _Lane | None] = {}

        def lane_of(carrier: str, service_code: str, stored_country: str, stored_postcode: str) -> _Lane | None:
            destination = (carrier, service_code, stored_country, stored_postcode)
            if destination in lanes:
                return lanes[destination]
            key = (carrier, service_code)
            if key not in found:
                version = self.timeline.in_force(carrier, today or date.max) or self.timeline.in_force(
                    carrier, date.max
                )
                live = None if version is None else version.card
                named = None if live is None else next((ls for ls in live.services if ls.service.code == key[1]), None)
                found[key] = None if live is None or named is None else (live, named)
            service = found[key]
            lane = None
            if service is not None:  # else a carrier or service no card knows any more
                country, postcode = stored_country.upper(), normalise_postcode(stored_postcode)
                card_zone = service[0].compiled.zones.zone_for(country, postcode)
                if card_zone is not None:
                    lane = _Lane(
                        (carrier, service_code, card_zone),
                        service[1].schedule.delivery_weekdays,
                        country,
                        holiday_region(country, postcode),
                    )
            lanes[destination] = lane
            return lane

        parcels = []
        for record in deliveries:
            lane = lane_of(record.carrier, record.service, record.country, record.postcode)
            if lane is None:
                continue
            delivered_on = record.delivered_at.astimezone(zone).date()
            at = record.picked_up_at
            picked_up_on = record.ships_on if at is None else at.astimezone(zone).date()
            days = business_days_between(picked_up_on, delivered_on, lane.weekdays, lane.country, lane.region)
            parcels.append(DeliveredParcel(lane.key, picked_up_on, delivered_on, days))
        if not parcels:
            return {}
        as_of = today or max(p.delivered_on for p in parcels)
        open_parcels = []
        for open_record in in_transit:
            picked_up_on = open_record.picked_up_at.astimezone(zone).date()
            if picked_up_on >= as_of:  # nothing known of it yet: it may arrive today
                continue
            lane = lane_of(open_record.carrier, open_record.service, open_record.country, open_record.postcode)
            if lane is None:
                continue
            days = business_days_between(
                picked_up_on, as_of - timedelta(days=1), lane.weekdays, lane.country, lane.region
            )
            open_parcels.append(OpenParcel(lane.key, picked_up_on, days))
        learning = self.learning
        return learn_lanes(
            parcels,
            as_of,
            open_parcels=open_parcels,
            min_deliveries=learning.min_deliveries,
            half_life_days=learning.half_life_days,
        )

    @classmethod
    def of_cards(
        cls,
        cards: Sequence[RateCard],
        policy: ShippingPolicy,
        warehouses: Sequence[WarehouseSetup],
        monthly_parcels: Mapping[str, int] | None = None,
        deliveries: Sequence[DeliveredRecord] = (),
        learning: DeliveryLearning = DeliveryLearning(),
        today: date | None = None,
        in_transit: Sequence[InTransitRecord] = (),
    ) -> QuoteBook:
        """A book of cards not taken from the store (what-ifs, benchmarks, tests): each counts as the active
        version 1 of its carrier, numbered 1, 2, ... in the order given."""
        stamp = datetime(2000, 1, 1, tzinfo=UTC)
        records = [
            RateCardRecord(
                n,
                card.carrier_code,
                1,
                card.valid_from,
                card.currency,
                CardStatus.ACTIVE,
                "",
                "memory",
                "",
                stamp,
                "",
                stamp,
                None,
                {},
            )
            for n, card in enumerate(cards, 1)
        ]
        return cls(
            list(zip(records, cards, strict=True)),
            [],
            policy,
            warehouses,
            monthly_parcels,
            deliveries,
            learning,
            today,
            in_transit,
        )

    @property
    def carriers(self) -> list[str]:
        return self.timeline.carriers

    def cards_on(self, day: date) -> list[tuple[str, LiveCard]]:
        """Each carrier's card in force on `day` (carriers whose cards all start later are left out)."""
        return [(code, version.card) for code, version in self.timeline.all_in_force(day)]

    def shown_window(self, order: Order) -> Window | None:
        """(ships_on, earliest, latest) that a quote at the order's time showed for the service the order
        names, by the card in force that day: from the pickup day it was sold for when its carrier's
        earlier days were sold out (`Order.ships_on`); None when it names none, or one that cannot carry it."""
        found = self._chosen(order)
        if found is None:
            return None
        warehouse, local, version, chosen = found
        country, postcode = order.address.country.upper(), normalise_postcode(order.address.postcode)
        zone = version.card.compiled.zones.zone_for(country, postcode)
        transit = chosen.service.transit.get(zone) if zone else None
        if transit is None:
            return None
        region = holiday_region(country, postcode)
        try:
            window = window_from_local_time(
                local.date(),
                local.time(),
                warehouse,
                chosen.schedule,
                transit.min_days,
                transit.max_days,
                country,
                region,
            )
        except ValueError:  # this carrier never takes the warehouse's orders
            return None
        if order.ships_on is not None and order.ships_on > window[0]:
            return window_for_pickup(
                order.ships_on, chosen.schedule, transit.min_days, transit.max_days, country, region
            )
        return window

    def sold_ship_day(self, order: Order, full: frozenset[Day]) -> date | None:
        """The pickup day a quote at the order's time would sell for the service it names, its carrier's
        sold-out days (`full`) skipped as the quote skips them; None when it names no service it can take."""
        shown = self.shown_window(order)
        found = self._chosen(order)
        if shown is None or found is None or order.carrier is None:
            return None
        carrier, warehouse, schedule = order.carrier, found[0], found[3].schedule
        try:
            return pickup_with_room(shown[0], warehouse, schedule, partial(_sold_out, full, order.warehouse, carrier))
        except ValueError:
            return None

    def chosen_service(self, order: Order) -> Service | None:
        """The service the order names, as the card in force on its order day has it; None when it names
        none, or one no such card has."""
        found = self._chosen(order)
        return None if found is None else found[3].service

    def required_features(self, order: Order) -> Features:
        """What the plan must keep of the shopper's choice: the features recorded with the order, or for an
        order registered before features were (None), those of the service it names."""
        if order.features is not None:
            return order.features
        chosen = self.chosen_service(order)
        return NO_FEATURES if chosen is None else chosen.features

    def _chosen(self, order: Order) -> tuple[Warehouse, datetime, CardVersion[LiveCard], LiveService] | None:
        setup = self.warehouses.get(order.warehouse)
        if setup is None or not (order.carrier and order.service):
            return None
        warehouse = setup.warehouse
        local = warehouse.local(order.ordered_at)
        version = self.timeline.in_force(order.carrier, local.date())
        if version is None:
            return None
        chosen = next((ls for ls in version.card.services if ls.service.code == order.service), None)
        if chosen is None:
            return None
        return warehouse, local, version, chosen

    def plan_on(self, day: date) -> DayPlan:
        """The cards in force on `day` with the day's fuel figures and volume discounts (see quote_index)."""
        plan = self._plans.get(day)
        if plan is None:
            entries = [
                (
                    carrier,
                    live,
                    self.timeline.fuel_bp(version, day),
                    version.discount_bp(self.monthly_parcels.get(carrier, 0)),
                )
                for carrier, version in self.timeline.all_in_force(day)
                for live in (version.card,)
            ]
            figures = tuple((live.record_id, fuel, discount) for _, live, fuel, discount in entries)
            plan = self._plans_by_figures.get(figures)
            if plan is None:
                plan = self._plans_by_figures[figures] = DayPlan(
                    entries, self.policy.currency, self.tables, self.learned
                )
            if len(self._plans) >= PLAN_DAYS_LIMIT:
                self._plans.clear()
            self._plans[day] = plan
        return plan


def _refuse(message: str, field: str) -> InvalidInput:
    return InvalidInput(message, [Problem(message, field=field)])


def quote_order(
    book: QuoteBook, request: QuoteRequest, points: PointIndex | None = None, full: frozenset[Day] = frozenset()
) -> Quote:
    """Price and date every service for the order; pick the cheapest per mode and overall.

    `full` holds the (warehouse, carrier, day) whose pickups are sold out (`tms.domain.capacity`):
    an option of such a carrier and day is dated from the carrier's next pickup day with room, and
    left out (`carrier_full`) if it then breaks the promise.

    With `points` (the pickup-point directories in use), each pickup-point and locker option
    carries the nearest suitable points of its carrier, and an option with none is excluded
    (`no_point_nearby`, or `no_directory` when its carrier has no directory in use).

    Reads the day plan's lanes to the destination (`quote_index`): the
    parcel-dependent classes (limits, billable weight and bracket, oversize
    surcharges) are evaluated once per parcel, the delivery windows once per
    schedule and transit, then each lane is a few look-ups.
    """
    origin = request.origin or book.default_warehouse
    setup = book.warehouses.get(origin)
    if setup is None:
        raise _refuse(f"unknown warehouse {origin!r}; known: {', '.join(sorted(book.warehouses))}", "origin")
    policy = book.policy
    if request.cart.currency != policy.currency:
        raise _refuse(f"quotes are in {policy.currency}, not {request.cart.currency}", "cart.currency")
    warehouse = setup.warehouse
    local = request.ordered_at.astimezone(warehouse.zone)
    day, order_time = local.date(), local.time()
    if book.first_day is None or day < book.first_day:
        first = "no card is active" if book.first_day is None else f"the first card starts {book.first_day}"
        raise _refuse(f"no rate card is in force on {day} ({first})", "ordered_at")

    country = request.destination.country.upper()
    postcode = normalise_postcode(request.destination.postcode)
    plan = book.plan_on(day)
    lanes = plan.lanes_to(country, postcode)
    parcels = request.parcels
    classes = [_parcel_classes(lanes, parcel, n) for n, parcel in enumerate(parcels, 1)]

    tables = book.tables
    region = holiday_region(country, postcode)  # where the destination's holidays differ from its country's
    windows_key = (origin, country, region, day, bisect.bisect_right(tables.cutoffs, order_time))
    windows = tables.windows.get(windows_key)
    if windows is None:
        if len(tables.windows) >= WINDOW_KEYS_LIMIT:
            tables.windows.clear()
        windows = tables.windows[windows_key] = {}
    dating = _Dating(tables, windows, day, order_time, warehouse, country, region, request.promise)

    modes = request.modes
    free = free_shipping(policy, request.cart, day)
    costs = setup.costs
    order_costs = costs.packaging_cents * len(parcels) + costs.handling_cents + costs.indirect_cents
    fees = _Fees(free, policy, costs, len(parcels), order_costs)
    options: list[QuoteOption] = []
    excluded = [
        (order, e) for order, mode, e in (*plan.other_currency, *lanes.unserved) if modes is None or mode in modes
    ]

    # The plain case, a single parcel within every limit and bracket and no mode filter, prices each
    # group column-wise in C loops (map, zip); any other case takes each lane in turn. Column-wise,
    # a one-parcel quote on the benchmark's synthetic cards (bench/quote.py) takes ~48 us, lane by lane ~102 us.
    if len(parcels) == 1 and modes is None and classes[0].plain:
        _column_wise(lanes, classes[0], dating, fees, options, excluded)
    else:
        for group in lanes.groups:
            _one_by_one(group, classes, modes, dating, fees, options, excluded)

    if full and options:
        options = _around_full_days(options, origin, full, lanes, dating, excluded)
    offered: dict[tuple[str, str], tuple[PointOffer, ...]] = {}
    if points is not None and options:
        options = _with_points(options, points, request, offered, excluded)
    options.sort()  # (total, latest, order): cheapest, then sooner, then carrier and service codes
    excluded.sort()  # by order alone: carrier and service codes
    cheapest: dict[str, QuoteOption | None] = dict.fromkeys(MODES)
    missing = len(MODES)
    for option in options:  # sorted, so the first of each mode is its cheapest
        mode = option.offer.mode
        if cheapest.get(mode) is None:
            cheapest[mode] = option
            missing -= 1
            if not missing:
                break
    return Quote(
        request.order_ref,
        origin,
        tuple(options),
        cheapest,
        recommend(options, book.learning.min_on_time_probability),
        free,
        tuple(map(itemgetter(1), excluded)),
        policy.currency,
        offered,
    )


def _sold_out(full: frozenset[Day], warehouse: str, carrier: str, day: date) -> bool:
    return (warehouse, carrier, day) in full


def _around_full_days(
    options: list[QuoteOption],
    origin: str,
    full: frozenset[Day],
    lanes: Lanes,
    dating: _Dating,
    excluded: list[tuple[int, Exclusion]],
) -> list[QuoteOption]:
    """The options whose carrier has no room left on their pickup day, dated from its next pickup day
    with room (its learned figures for that day); those that then break the promise left out."""
    if not any((origin, option.offer.carrier, option.ships_on) in full for option in options):
        return options
    by_order = {lane.order: (group.window, lane) for group in lanes.groups for lane in group.lanes}
    kept = []
    for option in options:
        offer = option.offer
        carrier = offer.carrier
        if (origin, carrier, option.ships_on) not in full:
            kept.append(option)
            continue
        window, lane = by_order[option.order]
        schedule, min_days, max_days = dating.tables.window_classes[window]
        try:
            sold_out = partial(_sold_out, full, origin, carrier)
            pickup = pickup_with_room(option.ships_on, dating.warehouse, schedule, sold_out)
        except ValueError as error:
            excluded.append(
                (option.order, _exclusion((carrier, offer.service, offer.mode, "carrier_full", str(error))))
            )
            continue
        ships_on, earliest, latest = window_for_pickup(
            pickup, schedule, min_days, max_days, dating.country, dating.region
        )
        if latest > dating.deliver_by:
            detail = f"{carrier}'s pickups are full before {pickup}: may arrive {latest}, after {dating.deliver_by}"
            excluded.append((option.order, _exclusion((carrier, offer.service, offer.mode, "carrier_full", detail))))
            continue
        observed = None if lane.learned is None else lane.learned.for_pickup(ships_on)
        chance = None if observed is None else observed.within(dating.days_allowed(window, ships_on))
        kept.append(
            option._replace(
                latest=latest, earliest=earliest, ships_on=ships_on, on_time_probability=chance, observed=observed
            )
        )
    return kept


def recommend(options: Sequence[QuoteOption], min_on_time_probability: float) -> QuoteOption | None:
    """The cheapest option (`options` sorted) whose on-time probability is at least the minimum, an
    option without learned figures counting as on time (its card's transit stands); when none is,
    the one most likely on time (the cheapest of those). With a minimum of 0, simply the cheapest."""
    if not options:
        return None
    if min_on_time_probability <= 0:
        return options[0]
    for option in options:
        chance = option.on_time_probability
        if chance is None or chance >= min_on_time_probability:
            return option
    return max(enumerate(options), key=lambda n_o: (n_o[1].on_time_probability or 0.0, -n_o[0]))[1]


def _with_points(
    options: list[QuoteOption],
    index: PointIndex,
    request: QuoteRequest,
    offered: dict[tuple[str, str], tuple[PointOffer, ...]],
    excluded: list[tuple[int, Exclusion]],
) -> list[QuoteOption]:
    """The options kept: every home option, and each pickup-point or locker option that has points
    to offer (they go in `offered`); the others go to `excluded` with the reason. The shopper's
    position and the parcels' fit (`QuotePoints`) are worked out only for a quote that offers points."""
    kept = []
    with_directory = index.by_carrier
    points: QuotePoints | None = None
    for option in options:
        offer = option.offer
        if offer.mode == DeliveryMode.HOME:
            kept.append(option)
            continue
        if offer.carrier not in with_directory:
            excluded.append((option.order, _no_directory(offer.carrier, offer.service, offer.mode)))
            continue
        if points is None:
            points = QuotePoints(index, request)
        found = points.offer(offer.carrier, offer.mode, option.earliest, option.latest)
        if isinstance(found[0], PointOffer):
            offered[(offer.carrier, offer.service)] = found
            kept.append(option)
        else:
            excluded.append((option.order, _exclusion((offer.carrier, offer.service, offer.mode, *found))))
    return kept


# Named tuples from plain ones, without the generated __new__'s Python-level call.
_option = partial(tuple.__new__, QuoteOption)
_before_surcharges = itemgetter(3)  # of a `Priced`
_exclusion = partial(tuple.__new__, Exclusion)


@lru_cache(maxsize=4096)
def _no_directory(carrier: str, service: str, mode: str) -> Exclusion:
    """The exclusion of a pickup-point or locker service whose carrier has no directory in use: the
    same for every quote, so made once (6 carriers without one cost the benchmark's quote 12)."""
    return _exclusion((carrier, service, mode, *no_directory(carrier)))


class _Fees:
    """What the order adds to every option's transport price, and what the customer pays for an option."""

    __slots__ = ("free", "policy", "costs", "parcels", "order_costs")

    def __init__(
        self, free: FreeShipping, policy: ShippingPolicy, costs: WarehouseCosts, parcels: int, order_costs: int
    ) -> None:
        self.free, self.policy = free, policy
        self.costs, self.parcels, self.order_costs = costs, parcels, order_costs

    def customer_price(self, total_cents: int) -> int:
        return customer_price_cents(self.policy, self.free, total_cents)

    def customer_prices(self, totals: list[int]) -> Iterable[int]:
        """`customer_price` of each total, as an iterable (free or flat: the same for all)."""
        if self.free.applies or self.policy.flat_price_cents is not None:
            return repeat(self.customer_price(0))
        return map(self.customer_price, totals)


def _column_wise(
    lanes: Lanes,
    parcel: ParcelClasses,
    dating: _Dating,
    fees: _Fees,
    options: list[QuoteOption],
    excluded: list[tuple[int, Exclusion]],
) -> None:
    """A plain parcel (one, within every limit and bracket) on every group: each column in one C loop."""
    brackets, surcharges = parcel.brackets, parcel.surcharges
    charges = [extra + fees.order_costs for extra in surcharges]  # per surcharge class: added to the transport
    for group in lanes.groups:
        dates, late = dating.window(group.window)
        if late is not None:  # the whole group breaks the promise (or cannot be picked up)
            reason, detail = late
            exclusions = map(
                _exclusion, zip(group.carriers, group.services, group.modes, repeat(reason), repeat(detail))
            )
            excluded += zip(group.orders, exclusions, strict=True)
            continue
        ships_on, earliest, latest = dates
        # A plain parcel is within every grid's brackets: no None comes out of the tables.
        priced = cast("list[Priced]", list(map(getitem, group.tables, map(brackets.__getitem__, group.brackets))))
        extras = list(map(surcharges.__getitem__, group.surcharges))
        totals = list(map(add, map(_before_surcharges, priced), map(charges.__getitem__, group.surcharges)))
        observed: Iterable[Distribution | None] = _NO_FIGURES
        chances: Iterable[float | None] = _NO_FIGURES
        if group.any_learned:
            days = min(dating.days_allowed(group.window, ships_on), MAX_TRANSIT_DAYS)  # past it: all delivered
            observed, chances = group.learned_figures(ships_on.weekday(), days)
        options += map(
            _option,
            zip(
                totals,
                repeat(latest),
                group.orders,
                repeat(earliest),
                repeat(ships_on),
                group.offers,
                priced,
                extras,
                repeat(1),
                repeat(fees.costs),
                fees.customer_prices(totals),
                chances,
                observed,
            ),
        )


class _NoFigures:
    """A column of None as long as any group: the on-time probabilities of lanes without figures."""

    def __iter__(self) -> Iterator[None]:
        return repeat(None)


_NO_FIGURES = _NoFigures()


class _Dating:
    """The delivery windows of one quote, each window class worked out once, and what they break."""

    __slots__ = (
        "tables",
        "windows",
        "day",
        "order_time",
        "warehouse",
        "country",
        "region",
        "deliver_by",
        "deliver_after",
    )

    def __init__(
        self,
        tables: SharedTables,
        windows: dict[int, Window],
        day: date,
        order_time: time,
        warehouse: Warehouse,
        country: str,
        region: str | None,
        promise: Promise,
    ) -> None:
        self.tables, self.windows, self.day, self.order_time = tables, windows, day, order_time
        self.warehouse, self.country, self.region = warehouse, country, region
        self.deliver_by = promise.deliver_by or date.max
        self.deliver_after = promise.deliver_after or date.min

    def window(self, window_class: int) -> tuple[Window, Refusal | None]:
        """The window and, when it breaks the promise or the carrier never comes, the refusal."""
        dates = self.windows.get(window_class)
        if dates is None:
            schedule, min_days, max_days = self.tables.window_classes[window_class]
            try:
                dates = window_from_local_time(
                    self.day, self.order_time, self.warehouse, schedule, min_days, max_days, self.country, self.region
                )
            except ValueError as error:  # the carrier never picks up on one of the warehouse's working days
                return (self.day, self.day, self.day), ("no_pickup", str(error))
            self.windows[window_class] = dates
        _, earliest, latest = dates
        if latest > self.deliver_by:
            return dates, ("too_late", f"may arrive {latest}, after {self.deliver_by}")
        if earliest < self.deliver_after:
            return dates, ("too_early", f"may arrive {earliest}, before {self.deliver_after}")
        return dates, None

    def days_allowed(self, window_class: int, ships_on: date) -> int:
        """The business days of transit that keep the promise for a pickup on `ships_on`: up to its
        deliver_by, or without one the card's max (the latest date the quote shows)."""
        schedule, _, max_days = self.tables.window_classes[window_class]
        if self.deliver_by == date.max:
            return max_days
        return business_days_between(ships_on, self.deliver_by, schedule.delivery_weekdays, self.country, self.region)


def _one_by_one(
    group: LaneGroup,
    classes: Sequence[ParcelClasses],
    modes: frozenset[str] | None,
    dating: _Dating,
    fees: _Fees,
    options: list[QuoteOption],
    excluded: list[tuple[int, Exclusion]],
) -> None:
    """Each lane of the group in turn: any mode filter, any number of parcels, any refusal. A lane is dated
    only once priced, so a refusal on price is the reason given, as for a service priced on its own."""
    for lane in group.lanes:
        if modes is not None and lane.mode not in modes:
            continue
        priced, extra, refusal = _price_parcels(lane, classes)
        if refusal is None:
            (ships_on, earliest, latest), refusal = dating.window(group.window)
        if refusal is not None:
            excluded.append((lane.order, _exclusion((lane.offer.carrier, lane.offer.service, lane.mode, *refusal))))
            continue
        total = priced[3] + extra + fees.order_costs
        figures = lane.learned
        observed = None if figures is None else figures.for_pickup(ships_on)
        chance = None if observed is None else observed.within(dating.days_allowed(group.window, ships_on))
        options.append(
            _option(
                (
                    total,
                    latest,
                    lane.order,
                    earliest,
                    ships_on,
                    lane.offer,
                    priced,
                    extra,
                    fees.parcels,
                    fees.costs,
                    fees.customer_price(total),
                    chance,
                    observed,
                )
            )
        )


def _parcel_classes(lanes: Lanes, parcel: Parcel, n: int) -> ParcelClasses:
    """Parcel `n` on each class of the lanes, by the pricing engine's rules: each limit class's refusal
    (reason, detail) or None, each bracket class's billable weight and bracket index, and each surcharge
    class's amount."""
    plain = True  # within every limit and every grid's brackets
    breaches: list[Refusal | None] = []
    for limits in lanes.limits:
        refusal = limits_refusal(limits, parcel, n)
        if refusal is None:
            breaches.append(None)
        else:
            breaches.append((refusal.reason, refusal.detail))
            plain = False
    billable, brackets = [], []
    for divisor, bounds in lanes.brackets:
        billed = billable_weight_g(parcel, divisor)
        billable.append(billed)
        bracket = bracket_index(bounds, billed)
        brackets.append(bracket)
        if bracket == len(bounds):
            plain = False
    surcharges = [parcel_surcharges(due, parcel)[1] for due in lanes.surcharges]
    return ParcelClasses(breaches, billable, brackets, surcharges, plain)


class ParcelClasses(NamedTuple):
    """One parcel on the classes of a destination's lanes (see `Lanes`)."""

    breaches: list[Refusal | None]  # per limit class
    billable: list[int]  # billable weight per bracket class
    brackets: list[int]  # bracket index per bracket class (the grid's length: past the last)
    surcharges: list[int]  # amount per surcharge class
    plain: bool  # within every limit and every grid's brackets


def _past_last_bracket(lane: Lane, billable_g: int, n: int) -> tuple[Priced, Refusal | None]:
    """A weight past the grid's last bracket: priced with the extra-kg price, or why not."""
    base = lane.grid.base_price_cents(billable_g)
    if base is None:
        refusal = weight_refusal(lane.grid, billable_g, n)
        assert refusal is not None
        return (0, 0, 0, 0), (refusal.reason, refusal.detail)
    return priced_base(base, fuel_bp=lane.fuel_bp, discount_bp=lane.discount_bp), None


def _price_parcels(lane: Lane, classes: Sequence[ParcelClasses]) -> tuple[Priced, int, Refusal | None]:
    """The parcels on one lane: the sums of their prices and surcharges, or the first parcel's refusal."""
    base = discount = fuel = before = extra = 0
    for n, (breaches, billable, brackets, surcharges, _) in enumerate(classes, 1):
        refusal = breaches[lane.limits]
        if refusal is not None:
            return (0, 0, 0, 0), 0, refusal
        priced = lane.table[brackets[lane.brackets]]
        if priced is None:
            priced, refusal = _past_last_bracket(lane, billable[lane.brackets], n)
            if refusal is not None:
                return priced, 0, refusal
        base += priced[0]
        discount += priced[1]
        fuel += priced[2]
        before += priced[3]
        extra += surcharges[lane.surcharges]
    return (base, discount, fuel, before), extra, None


class LiveQuoteBook:
    """The current QuoteBook of this worker, rebuilt in a background thread when the store changes.

    `load` builds a book from the store. `signature` is a cheap query that changes whenever a card,
    fuel figure, policy or run changes, or the day turns: the watcher, polling every `poll_s`
    seconds, rebuilds at once. `deliveries` is another that changes when a delivery is recorded:
    that rebuilds the book (in full, learned times and all) only once `deliveries_every_s` seconds
    have passed since the last build began, so a steady stream of tracking events costs one
    rebuild per interval instead of one per event. Quotes use the previous book meanwhile.
    """

    def __init__(
        self,
        load: Callable[[], QuoteBook],
        signature: Callable[[], object],
        poll_s: float = 0.25,
        deliveries: Callable[[], object] | None = None,
        deliveries_every_s: float = 0.0,
        clock: Callable[[], float] = monotonic,  # seconds, for the interval between rebuilds
    ) -> None:
        self._load = load
        self._signature = signature
        self._deliveries = deliveries
        self._deliveries_every_s = deliveries_every_s
        self._clock = clock
        self._poll_s = poll_s
        self._book: QuoteBook | None = None
        self._seen: object = None
        self._seen_deliveries: object = None
        self._built_at = 0.0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def current(self) -> QuoteBook:
        book = self._book
        if book is None or self._thread is None:
            with self._lock:
                if self._book is None:
                    self.refresh()
                self._start_watching()
            book = self._book
        assert book is not None
        return book

    def refresh(self) -> None:
        """Rebuild now (the signatures are read first, so a change made meanwhile is seen next time)."""
        began = self._clock()
        seen = self._signature()
        seen_deliveries = None if self._deliveries is None else self._deliveries()
        self._book = self._load()
        self._seen, self._seen_deliveries, self._built_at = seen, seen_deliveries, began

    def check(self) -> bool:
        """One look at the store, as the watcher takes it: rebuild if due (True when it did)."""
        if self._signature() != self._seen:
            self.refresh()
            return True
        if (
            self._deliveries is not None
            and self._clock() - self._built_at >= self._deliveries_every_s
            and self._deliveries() != self._seen_deliveries
        ):
            self.refresh()
            return True
        return False

    def stop(self) -> None:
        """Stop watching the store (the current book stays usable)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _start_watching(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="quote-book-watch", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while not self._stopped.wait(self._poll_s):
            try:
                self.check()
            except Exception:  # a database blip must not kill the watcher; the old book stays in use
                self._stopped.wait(1.0)


def load_quote_book(
    uow: UnitOfWork,
    warehouses: Sequence[WarehouseSetup],
    today: date,
    learning: DeliveryLearning = DeliveryLearning(),
) -> QuoteBook:
    """Read every active card, fuel update, the policy, this month's volume per carrier (parcels of
    the succeeded runs, for the volume tiers), the delivered parcels and those still in transit, and
    compile them into a book
    (the lanes' learned delivery times among them: a quote never reads them from the store)."""
    month_start = today.replace(day=1)
    with uow:
        records = uow.rate_cards.list(statuses=[CardStatus.ACTIVE])
        fuel = uow.fuel.list()
        stored_policy = uow.policies.current()
        volumes = uow.runs.month_parcels(month_start, today + timedelta(days=1))
        deliveries = uow.tracking.delivered()
        since = datetime.combine(today - timedelta(days=IN_TRANSIT_DAYS), datetime.min.time(), UTC)
        in_transit = uow.tracking.in_transit(since=since)
    cards = [(record, load_card(record)) for record in records]
    policy = policy_from_document(stored_policy or {})
    return QuoteBook(cards, fuel, policy, warehouses, volumes, deliveries, learning, today, in_transit)


def quote_inputs_signature(uow: UnitOfWork, today: date) -> object:
    """Changes when a card, fuel figure, policy or run changes, and when the day turns (deliveries age)."""
    with uow:
        return (uow.quote_inputs_signature(), today)


def deliveries_signature(uow: UnitOfWork) -> object:
    """Changes when a delivery is recorded: the newest delivered event's id (one probe of the primary key)."""
    with uow:
        return uow.tracking.last_delivered_id()
