"""The checkout quote: every service of every card in force, priced and dated, from memory.

`QuoteBook` is everything a quote reads, compiled once from the store: the
active cards per carrier (zone index, grids, schedules), fuel updates, the
free-shipping policy and the warehouses. `quote_order` reads only the book,
so the checkout's hot path never touches the database; `LiveQuoteBook`
rebuilds the book in the background when a card, fuel figure or policy
changes.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from carriers.model import RateCard, Service
from carriers.pricing import CompiledCard, NotServed, price_shipment
from tms.domain.delivery import CarrierSchedule, Warehouse, window_from_local_time
from tms.domain.errors import InvalidInput, Problem
from tms.domain.policy import (
    ShippingPolicy,
    WarehouseCosts,
    customer_price_cents,
    free_shipping,
)
from tms.domain.quotes import CostBreakdown, Exclusion, Quote, QuoteOption, QuoteRequest
from tms.domain.rate_cards import CardStatus, FuelSurcharge, RateCardRecord
from tms.services.policy import policy_from_document
from tms.services.rate_cards import load_card
from tms.services.unit_of_work import UnitOfWork

MODES = ("home", "pickup_point", "locker")


@dataclass(frozen=True)
class WarehouseSetup:
    warehouse: Warehouse
    costs: WarehouseCosts
    name: str = ""


@dataclass(frozen=True)
class _LiveService:
    service: Service
    mode: str
    schedule: CarrierSchedule


@dataclass(frozen=True)
class _LiveCard:
    record_id: int
    version: int
    valid_from: date
    card: RateCard
    compiled: CompiledCard
    services: tuple[_LiveService, ...]


class QuoteBook:
    """The active cards and settings a quote needs, in memory."""

    def __init__(
        self,
        cards: Sequence[tuple[RateCardRecord, RateCard]],
        fuel: Sequence[FuelSurcharge],
        policy: ShippingPolicy,
        warehouses: Sequence[WarehouseSetup],
        monthly_parcels: Mapping[str, int] | None = None,
    ) -> None:
        if not warehouses:
            raise ValueError("at least one warehouse is needed")
        self.policy = policy
        self.warehouses = {w.warehouse.code: w for w in warehouses}
        self.default_warehouse = warehouses[0].warehouse.code
        self.monthly_parcels = dict(monthly_parcels or {})
        by_carrier: dict[str, list[_LiveCard]] = {}
        # Equal schedules share one object, so a quote computes each distinct delivery window once.
        schedules: dict[tuple[object, ...], CarrierSchedule] = {}
        for record, card in cards:
            services = tuple(
                _LiveService(
                    s,
                    s.mode.value,
                    schedules.setdefault(
                        (s.pickup_cutoff, s.pickup_weekdays, s.delivery_weekdays),
                        CarrierSchedule(s.pickup_cutoff, s.pickup_weekdays, s.delivery_weekdays),
                    ),
                )
                for s in card.services
            )
            live = _LiveCard(record.id, record.version, card.valid_from, card, CompiledCard(card), services)
            by_carrier.setdefault(record.carrier_code, []).append(live)
        # Per carrier, versions by (valid_from, version): the last one starting on or before a day is in force.
        self._cards = {
            code: sorted(versions, key=lambda c: (c.valid_from, c.version)) for code, versions in by_carrier.items()
        }
        self._starts = {code: [c.valid_from for c in versions] for code, versions in self._cards.items()}
        self._fuel: dict[str, list[FuelSurcharge]] = {}
        for update in sorted(fuel, key=lambda u: (u.valid_from, u.set_at)):
            self._fuel.setdefault(update.carrier_code, []).append(update)
        starts = [versions[0].valid_from for versions in self._cards.values()]
        self.first_day: date | None = min(starts, default=None)

    @classmethod
    def of_cards(
        cls, cards: Sequence[RateCard], policy: ShippingPolicy, warehouses: Sequence[WarehouseSetup]
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
        return cls(list(zip(records, cards, strict=True)), [], policy, warehouses)

    @property
    def carriers(self) -> list[str]:
        return sorted(self._cards)

    def cards_on(self, day: date) -> list[tuple[str, _LiveCard]]:
        """Each carrier's card in force on `day` (carriers whose cards all start later are left out)."""
        in_force = []
        for code in sorted(self._cards):
            i = bisect.bisect_right(self._starts[code], day)
            if i:
                in_force.append((code, self._cards[code][i - 1]))
        return in_force

    def fuel_bp(self, carrier: str, live: _LiveCard, day: date) -> int:
        """The latest fuel figure on `day`: a separate update, unless a newer card brought its own."""
        latest = None
        for update in self._fuel.get(carrier, ()):
            if update.valid_from > day:
                break
            latest = update
        if latest is None or latest.valid_from < live.valid_from:
            return live.card.fuel_bp
        return latest.percent_bp


def _refuse(message: str, field: str) -> InvalidInput:
    return InvalidInput(message, [Problem(message, field=field)])


def quote_order(book: QuoteBook, request: QuoteRequest) -> Quote:
    """Price and date every service for the order; pick the cheapest per mode and overall."""
    origin = request.origin or book.default_warehouse
    setup = book.warehouses.get(origin)
    if setup is None:
        raise _refuse(f"unknown warehouse {origin!r}; known: {', '.join(sorted(book.warehouses))}", "origin")
    if request.cart.currency != book.policy.currency:
        raise _refuse(f"quotes are in {book.policy.currency}, not {request.cart.currency}", "cart.currency")
    warehouse = setup.warehouse
    local = request.ordered_at.astimezone(warehouse._zone)
    day, order_time = local.date(), local.time()
    if book.first_day is None or day < book.first_day:
        first = "no card is active" if book.first_day is None else f"the first card starts {book.first_day}"
        raise _refuse(f"no rate card is in force on {day} ({first})", "ordered_at")

    destination = request.destination
    country, postcode = destination.country, destination.postcode
    parcels = request.parcels
    promise = request.promise
    free = free_shipping(book.policy, request.cart, day)
    costs = setup.costs
    options: list[QuoteOption] = []
    excluded: list[Exclusion] = []
    windows: dict[tuple[int, int, int], tuple[date, date, date]] = {}

    for carrier, live in book.cards_on(day):
        card = live.card
        if card.currency != book.policy.currency:  # never rank prices of different currencies together
            excluded.extend(
                Exclusion(carrier, ls.service.code, ls.mode, "currency", f"card in {card.currency}")
                for ls in live.services
                if request.modes is None or ls.mode in request.modes
            )
            continue
        zone = live.compiled.zones.zone_for(country, postcode)
        fuel_bp = book.fuel_bp(carrier, live, day)
        discount_bp = card.tier_discount_bp(book.monthly_parcels.get(carrier, 0))
        for ls in live.services:
            service = ls.service
            if request.modes is not None and ls.mode not in request.modes:
                continue
            transit = None if zone is None else service.transit.get(zone)
            if zone is None or transit is None:
                excluded.append(
                    Exclusion(carrier, service.code, ls.mode, "zone_not_served", f"{country} {postcode} is not served")
                )
                continue
            price = price_shipment(
                live.compiled, service.code, zone, country, postcode, parcels, fuel_bp=fuel_bp, discount_bp=discount_bp
            )
            if isinstance(price, NotServed):
                excluded.append(Exclusion(carrier, service.code, ls.mode, price.reason, price.detail))
                continue
            key = (id(ls.schedule), transit.min_days, transit.max_days)
            dates = windows.get(key)
            if dates is None:
                dates = windows[key] = window_from_local_time(
                    day, order_time, warehouse, ls.schedule, transit.min_days, transit.max_days, country
                )
            ships_on, earliest, latest = dates
            if promise.deliver_by is not None and latest > promise.deliver_by:
                excluded.append(
                    Exclusion(
                        carrier, service.code, ls.mode, "too_late", f"may arrive {latest}, after {promise.deliver_by}"
                    )
                )
                continue
            if promise.deliver_after is not None and earliest < promise.deliver_after:
                excluded.append(
                    Exclusion(
                        carrier,
                        service.code,
                        ls.mode,
                        "too_early",
                        f"may arrive {earliest}, before {promise.deliver_after}",
                    )
                )
                continue
            n = len(parcels)
            total = costs.merchant_cost_cents(price.total_cents, n)
            options.append(
                QuoteOption(
                    carrier=carrier,
                    carrier_name=card.carrier_name,
                    service=service.code,
                    service_name=service.name,
                    mode=ls.mode,
                    speed=service.speed.value,
                    cost=CostBreakdown(
                        base_cents=price.base_cents,
                        discount_cents=price.discount_cents,
                        fuel_cents=price.fuel_cents,
                        surcharges_cents=price.surcharges_cents,
                        transport_cents=price.total_cents,
                        packaging_cents=costs.packaging_cents * n,
                        handling_cents=costs.handling_cents,
                        indirect_cents=costs.indirect_cents,
                        total_cents=total,
                    ),
                    customer_price_cents=customer_price_cents(book.policy, free, total),
                    currency=card.currency,
                    ships_on=ships_on,
                    earliest=earliest,
                    latest=latest,
                    rate_card_id=live.record_id,
                    rate_card_version=live.version,
                )
            )

    options.sort(key=QuoteOption.rank)
    cheapest: dict[str, QuoteOption | None] = {mode: None for mode in MODES}
    for option in options:  # sorted, so the first of each mode is its cheapest
        if cheapest.get(option.mode) is None:
            cheapest[option.mode] = option
    return Quote(
        order_ref=request.order_ref,
        warehouse=origin,
        options=tuple(options),
        cheapest=cheapest,
        recommended=options[0] if options else None,
        free_shipping=free,
        excluded=tuple(sorted(excluded, key=lambda e: (e.carrier, e.service))),
        currency=book.policy.currency,
    )


class LiveQuoteBook:
    """The current QuoteBook of this worker, rebuilt in a background thread when the store changes.

    `load` builds a book from the store; `signature` is a cheap query that
    changes whenever a card, fuel figure or policy changes. Polling every
    `poll_s` seconds makes a newly activated card quotable within a second.
    """

    def __init__(
        self,
        load: Callable[[], QuoteBook],
        signature: Callable[[], object],
        poll_s: float = 0.25,
    ) -> None:
        self._load = load
        self._signature = signature
        self._poll_s = poll_s
        self._book: QuoteBook | None = None
        self._seen: object = None
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
        """Rebuild now (the signature is read first, so a change made meanwhile is seen next time)."""
        seen = self._signature()
        self._book = self._load()
        self._seen = seen

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
                if self._signature() != self._seen:
                    self.refresh()
            except Exception:  # a database blip must not kill the watcher; the old book stays in use
                self._stopped.wait(1.0)


def load_quote_book(uow: UnitOfWork, warehouses: Sequence[WarehouseSetup], today: date) -> QuoteBook:
    """Read every active card, fuel update, the policy and this month's volume per carrier
    (parcels of the succeeded runs, for the volume tiers), and compile them into a book."""
    month_start = today.replace(day=1)
    with uow:
        records = uow.rate_cards.list(statuses=[CardStatus.ACTIVE])
        fuel = uow.fuel.list()
        stored_policy = uow.policies.current()
        volumes = uow.runs.month_parcels(month_start, today + timedelta(days=1))
    cards = [(record, load_card(record)) for record in records]
    policy = policy_from_document(stored_policy or {})
    return QuoteBook(cards, fuel, policy, warehouses, volumes)


def quote_inputs_signature(uow: UnitOfWork, today: date) -> object:
    """Changes when a card, fuel figure, policy or run changes, and when the month turns."""
    with uow:
        return (uow.quote_inputs_signature(), today.year, today.month)
