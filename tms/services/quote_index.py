"""What a checkout quote reads, prepared ahead so that a quote only looks things up.

A quote prices every service of every card in force (forty or so) for the
order's parcels. Most of that work does not depend on the parcel or the
hour, so it is done once and kept:

- a *day plan* per day: the card version in force per carrier, with that
  day's fuel figure and volume discount (days with the same figures share
  one plan);
- per day plan and destination, the *lanes*: one per service that serves the
  destination, with every weight bracket already discounted and fuelled
  (`carriers.pricing.priced_brackets`), the surcharges due at the
  destination, the transit days, and the exclusions of the services that do
  not serve it. The parcel-dependent parts are grouped in a few *classes*
  shared by many lanes (service limits, volumetric divisor and bracket
  bounds, surcharges due), which a quote evaluates once each with the
  pricing engine's own rules (`carriers.pricing.limits_refusal`,
  `billable_weight_g`, `bracket_index`, `parcel_surcharges`). The lanes
  keep results of those rules (priced brackets, classes); none is written
  again here.

Destinations are keyed by postcode prefix. Let U be every prefix that any
card in force uses for the country (zone entries and remote-area
surcharges; the whole country is the empty prefix). Prefixes of one postcode
form a chain, so the longest element of U that begins the postcode decides
every card's zone and every remote-area match; a quote finds it with at most
one dict probe per character. A country where some card uses postcode
*ranges* (a single range is enough) is keyed by the whole postcode instead:
a bounded cache of references to lanes shared by every postcode that the
cards zone alike.

Everything here is immutable once built, except the caches, which only grow
by whole entries (safe under the GIL for the worker's threads) and are
emptied when they pass a bound.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import NamedTuple

from carriers.model import PriceGrid, RateCard, Service, SurchargeKind
from carriers.pricing import (
    ZONE_NOT_SERVED,
    CompiledCard,
    CompiledService,
    SurchargeRule,
    priced_brackets,
    surcharges_due,
)
from tms.domain.delivery import CarrierSchedule
from tms.domain.lane_stats import Distribution, LaneFigures, LaneKey
from tms.domain.quotes import Exclusion, Offer

Priced = tuple[int, int, int, int]  # base, discount, fuel, base - discount + fuel
Window = tuple[date, date, date]  # ships_on, earliest, latest

_REMOTE_AREA = SurchargeKind.REMOTE_AREA
WHOLE_POSTCODES_LIMIT = 20_000  # postcodes remembered per day plan where a country uses ranges (~1 KB each)


@dataclass(frozen=True)
class LiveService:
    service: Service
    compiled: CompiledService
    mode: str
    schedule: CarrierSchedule
    offer: Offer
    order: int  # position of (carrier, service) in code order across the book: ties in a quote break on it


@dataclass(frozen=True)
class LiveCard:
    record_id: int
    version: int
    valid_from: date
    card: RateCard
    compiled: CompiledCard
    services: tuple[LiveService, ...]


class Lane(NamedTuple):
    """A service that serves the destination; the class fields index the `Lanes` tables."""

    order: int
    mode: str
    limits: int
    brackets: int
    surcharges: int
    table: tuple[Priced | None, ...]  # each bracket priced with the day's fuel and discount; None: past the last
    offer: Offer
    grid: PriceGrid
    fuel_bp: int
    discount_bp: int
    learned: LaneFigures | None = None  # what the lane's deliveries say; None: too few, the card's transit stands


class LaneGroup(NamedTuple):
    """The lanes of one delivery window class (`SharedTables.window_classes`): they arrive alike.

    The columns repeat the lanes' fields, so that a quote can price a whole
    group with `map` and `zip` when no lane needs a second look.
    """

    window: int
    lanes: tuple[Lane, ...]
    orders: tuple[int, ...]
    brackets: tuple[int, ...]
    surcharges: tuple[int, ...]
    tables: tuple[tuple[Priced | None, ...], ...]
    offers: tuple[Offer, ...]
    carriers: tuple[str, ...]
    services: tuple[str, ...]
    modes: tuple[str, ...]
    learned: tuple[LaneFigures | None, ...]  # per lane
    any_learned: bool  # some lane has figures: a quote looks at the column only then
    # (pickup weekday, business days allowed) -> per lane, its distribution and on-time probability;
    # filled by quotes, at most 7 x (MAX_TRANSIT_DAYS + 1) entries
    learned_at: dict[tuple[int, int], tuple[tuple[Distribution | None, ...], tuple[float | None, ...]]]

    @classmethod
    def of(cls, window: int, lanes: Sequence[Lane]) -> LaneGroup:
        return cls(
            window,
            tuple(lanes),
            tuple(lane.order for lane in lanes),
            tuple(lane.brackets for lane in lanes),
            tuple(lane.surcharges for lane in lanes),
            tuple(lane.table for lane in lanes),
            tuple(lane.offer for lane in lanes),
            tuple(lane.offer.carrier for lane in lanes),
            tuple(lane.offer.service for lane in lanes),
            tuple(lane.mode for lane in lanes),
            tuple(lane.learned for lane in lanes),
            any(lane.learned is not None for lane in lanes),
            {},
        )

    def learned_figures(
        self, weekday: int, days: int
    ) -> tuple[tuple[Distribution | None, ...], tuple[float | None, ...]]:
        """Per lane, the distribution for a pickup on `weekday` and the probability of arriving within
        `days` business days (0 <= days <= MAX_TRANSIT_DAYS), None where the lane has no figures."""
        found = self.learned_at.get((weekday, days))
        if found is None:
            observed = tuple(None if figures is None else figures.week[weekday] for figures in self.learned)
            chances = tuple(None if d is None else d.padded[days] for d in observed)
            found = self.learned_at[(weekday, days)] = (observed, chances)
        return found


@dataclass(frozen=True)
class Lanes:
    groups: tuple[LaneGroup, ...]
    unserved: tuple[tuple[int, str, Exclusion], ...]  # (order, mode, exclusion)
    limits: tuple[CompiledService, ...]  # one service of each set of limits: services with equal limits refuse alike
    brackets: tuple[tuple[int | None, tuple[int, ...]], ...]  # (volumetric divisor, None for none; bracket bounds)
    surcharges: tuple[tuple[SurchargeRule, ...], ...]  # the surcharges due here, one list per set of equal figures


class SharedTables:
    """Tables shared by the day plans of one book: window classes, priced brackets, delivery windows."""

    def __init__(self, cutoffs: Sequence[time]) -> None:
        self.cutoffs = tuple(sorted(set(cutoffs)))  # every order and pickup cut-off: times between two behave alike
        self.window_classes: list[tuple[CarrierSchedule, int, int]] = []
        self._window_ids: dict[tuple[CarrierSchedule, int, int], int] = {}
        self._priced: dict[tuple[int, int, int], tuple[PriceGrid, tuple[Priced | None, ...]]] = {}
        self._lock = threading.Lock()
        # (warehouse, destination country, holiday region, order day, cut-off position) -> {window class: window}
        self.windows: dict[tuple[str, str, str | None, date, int], dict[int, Window]] = {}

    def window_class(self, schedule: CarrierSchedule, min_days: int, max_days: int) -> int:
        key = (schedule, min_days, max_days)
        with self._lock:
            found = self._window_ids.get(key)
            if found is None:
                found = self._window_ids[key] = len(self.window_classes)
                self.window_classes.append(key)
            return found

    def priced(self, grid: PriceGrid, fuel_bp: int, discount_bp: int) -> tuple[Priced | None, ...]:
        """Each bracket of the grid priced, then None for a weight past the last bracket."""
        key = (id(grid), fuel_bp, discount_bp)
        hit = self._priced.get(key)
        if hit is None:  # the grid is kept beside its table, so its id stays its own
            table = (*priced_brackets(grid, fuel_bp=fuel_bp, discount_bp=discount_bp), None)
            hit = self._priced[key] = (grid, table)
        return hit[1]


class DayPlan:
    """The cards in force on a day, with the day's fuel figure and discount per carrier, and their lanes."""

    def __init__(
        self,
        entries: Sequence[tuple[str, LiveCard, int, int]],
        currency: str,
        tables: SharedTables,
        learned: Mapping[LaneKey, LaneFigures] | None = None,
    ) -> None:
        self.learned = learned or {}
        self.entries = tuple(e for e in entries if e[1].card.currency == currency)
        # Prices in another currency are never ranked beside the policy's: those services are excluded.
        self.other_currency = tuple(
            (ls.order, ls.mode, Exclusion(carrier, ls.service.code, ls.mode, "currency", f"card in {card.currency}"))
            for carrier, live, _, _ in entries
            if (card := live.card).currency != currency
            for ls in live.services
        )
        self._tables = tables
        self._countries: dict[str, tuple[int, dict[str, Lanes | None] | None]] = {}
        self._whole_postcodes: dict[tuple[str, str], Lanes] = {}
        self._by_signature: dict[tuple[str, tuple[object, ...]], Lanes] = {}

    def lanes_to(self, country: str, postcode: str) -> Lanes:
        """The lanes to a destination (country upper-case, postcode normalised)."""
        index = self._countries.get(country)
        if index is None:
            index = self._countries[country] = self._country_index(country)
        longest, by_prefix = index
        if by_prefix is None:
            lanes = self._whole_postcodes.get((country, postcode))
            if lanes is None:
                if len(self._whole_postcodes) >= WHOLE_POSTCODES_LIMIT:
                    self._whole_postcodes.clear()
                lanes = self._whole_postcodes[(country, postcode)] = self._shared_lanes(country, postcode)
            return lanes
        for n in range(min(len(postcode), longest), -1, -1):
            key = postcode[:n]
            if key in by_prefix:
                lanes = by_prefix[key]
                if lanes is None:
                    lanes = by_prefix[key] = self._build(country, key)
                return lanes
        raise AssertionError("the empty prefix is always indexed")

    def _shared_lanes(self, country: str, postcode: str) -> Lanes:
        """The lanes of a whole postcode: those of any postcode that every card puts in the same zone and
        the same remote areas, so the cache holds one reference per postcode, not one set of lanes."""
        signature = tuple(
            (
                live.compiled.zones.zone_for(country, postcode),
                tuple(
                    any(area.matches(country, postcode) for area in surcharge.areas)
                    for surcharge in live.card.surcharges
                    if surcharge.kind is _REMOTE_AREA
                ),
            )
            for _, live, _, _ in self.entries
        )
        lanes = self._by_signature.get((country, signature))
        if lanes is None:
            lanes = self._by_signature[(country, signature)] = self._build(country, postcode)
        return lanes

    def _country_index(self, country: str) -> tuple[int, dict[str, Lanes | None] | None]:
        prefixes = {""}
        for _, live, _, _ in self.entries:
            entries = [e for zone in live.card.zones for e in zone.entries]
            entries += [a for s in live.card.surcharges if s.kind is _REMOTE_AREA for a in s.areas]
            for entry in entries:
                if entry.country != country:
                    continue
                if entry.low:  # a range: prefixes no longer decide, whole postcodes do
                    return 0, None
                prefixes.add(entry.prefix)
        return max(map(len, prefixes)), dict.fromkeys(prefixes)

    def _build(self, country: str, postcode: str) -> Lanes:
        """The lanes to `postcode`, a whole postcode or a prefix that decides every card alike."""
        tables = self._tables
        served: dict[int, list[Lane]] = {}
        unserved: list[tuple[int, str, Exclusion]] = []
        limits: dict[tuple[int, int, int, int], int] = {}
        limit_rows: list[CompiledService] = []
        brackets: dict[tuple[int | None, tuple[int, ...]], int] = {}
        surcharges: dict[tuple[tuple[object, ...], ...], int] = {}
        surcharge_rows: list[tuple[SurchargeRule, ...]] = []
        for carrier, live, fuel_bp, discount_bp in self.entries:
            zone = live.compiled.zones.zone_for(country, postcode)
            for ls in live.services:
                service, cs = ls.service, ls.compiled
                transit = None if zone is None else service.transit.get(zone)
                grid = None if zone is None else cs.grids.get(zone)
                if transit is None or grid is None:
                    detail = "no zone of the card covers the destination" if zone is None else f"zone {zone} not served"
                    unserved.append(
                        (ls.order, ls.mode, Exclusion(carrier, service.code, ls.mode, ZONE_NOT_SERVED, detail))
                    )
                    continue
                limit_key = (cs.max_weight_g, cs.max_length_mm, cs.max_length_girth_mm, cs.max_dimensions_sum_mm)
                if limit_key not in limits:
                    limits[limit_key] = len(limit_rows)
                    limit_rows.append(cs)
                # `postcode` decides every remote area alike, be it a whole postcode or a prefix (see above).
                due = surcharges_due(cs.surcharges, country, postcode)
                surcharge_key = tuple(rule.figures for rule in due)
                if surcharge_key not in surcharges:
                    surcharges[surcharge_key] = len(surcharge_rows)
                    surcharge_rows.append(due)
                window = tables.window_class(ls.schedule, transit.min_days, transit.max_days)
                served.setdefault(window, []).append(
                    Lane(
                        ls.order,
                        ls.mode,
                        limits[limit_key],
                        brackets.setdefault((cs.volumetric_divisor, grid.bounds), len(brackets)),
                        surcharges[surcharge_key],
                        tables.priced(grid, fuel_bp, discount_bp),
                        ls.offer,
                        grid,
                        fuel_bp,
                        discount_bp,
                        None if zone is None else self.learned.get((carrier, service.code, zone)),
                    )
                )
        groups = tuple(LaneGroup.of(window, group) for window, group in served.items())
        return Lanes(groups, tuple(unserved), tuple(limit_rows), tuple(brackets), tuple(surcharge_rows))
