"""The rate-card model: what a carrier contract says, as immutable values.

Exact quantities are integers with their unit in the name: weights in grams,
lengths in millimetres, money in cents, percentages in basis points
(1 % = 100 bp). A `RateCard` is the whole negotiated offer of one carrier
from one date; versions and activation belong to the store, not to the card.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum

from tms.domain.features import Features
from tms.domain.features import SpeedClass as SpeedClass  # the domain's: an order may require a speed class
from tms.domain.modes import DeliveryMode as DeliveryMode  # the domain's: a service offers the mode a shopper picks
from tms.domain.units import GRAMS_PER_KG

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def normalise_postcode(postcode: str) -> str:
    """Postcodes compare without spaces or dashes, upper case (``1012 ab`` -> ``1012AB``)."""
    if postcode.isalnum() and postcode.isupper() or postcode.isdigit():  # already normal: the usual case
        return postcode
    return "".join(ch for ch in postcode.upper() if ch.isalnum())


@dataclass(frozen=True, order=True)
class ZoneEntry:
    """One (country, postcode pattern) entry of a zone.

    Exactly one of three shapes: the whole country (no prefix, no range), a
    postcode prefix (``20`` = Corsica), or an inclusive range of postcodes of
    equal length (``97100``-``97199``).
    """

    country: str
    prefix: str = ""
    low: str = ""
    high: str = ""

    @property
    def kind(self) -> str:
        if self.low:
            return "range"
        if self.prefix:
            return "prefix"
        return "country"

    def matches(self, country: str, postcode: str) -> bool:
        """`postcode` must already be normalised."""
        if country != self.country:
            return False
        if self.low:
            return len(postcode) == len(self.low) and self.low <= postcode <= self.high
        return postcode.startswith(self.prefix)

    def covers(self, other: ZoneEntry) -> bool:
        """True if every postcode `other` matches is matched by this entry too."""
        if other.country != self.country:
            return False
        if self.kind == "country":
            return True
        if self.kind == "prefix":
            if other.kind == "prefix":
                return other.prefix.startswith(self.prefix)
            if other.kind == "range":
                return other.low.startswith(self.prefix) and other.high.startswith(self.prefix)
            return False
        if other.kind == "range":
            return len(other.low) == len(self.low) and self.low <= other.low and other.high <= self.high
        return False

    def intersects(self, other: ZoneEntry) -> bool:
        if other.country != self.country:
            return False
        if self.covers(other) or other.covers(self):
            return True
        if self.kind == "range" and other.kind == "range":
            return len(self.low) == len(other.low) and self.low <= other.high and other.low <= self.high
        # A prefix and a range that is neither inside it nor around it may still share postcodes.
        if {self.kind, other.kind} == {"prefix", "range"}:
            prefix, rng = (self, other) if self.kind == "prefix" else (other, self)
            width = len(rng.low)
            if len(prefix.prefix) > width:
                return False
            # Normalised postcodes are upper-case alphanumerics: "0" sorts first, "Z" last.
            lo = prefix.prefix.ljust(width, "0")
            hi = prefix.prefix.ljust(width, "Z")
            return lo <= rng.high and rng.low <= hi
        return False

    def specificity(self) -> tuple[int, int]:
        """Higher is more specific: ranges narrower than prefixes, longer prefixes than shorter."""
        if self.kind == "range":
            # Base 36 keeps the order of upper-case alphanumeric postcodes, so a nested range is narrower.
            return (2, -(int(self.high, 36) - int(self.low, 36)))
        if self.kind == "prefix":
            return (1, len(self.prefix))
        return (0, 0)

    def pattern(self) -> str:
        """The entry as written in an upload: ``""``, ``"20"`` or ``"97100-97199"``."""
        if self.kind == "range":
            return f"{self.low}-{self.high}"
        return self.prefix


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    entries: tuple[ZoneEntry, ...]


@dataclass(frozen=True)
class Transit:
    """Transit time in business days from carrier pickup to delivery."""

    min_days: int
    max_days: int


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    mode: DeliveryMode
    speed: SpeedClass
    pickup_cutoff: time
    pickup_weekdays: frozenset[int]
    delivery_weekdays: frozenset[int]
    max_weight_g: int
    transit: Mapping[str, Transit]
    max_length_mm: int | None = None
    max_length_girth_mm: int | None = None
    max_dimensions_sum_mm: int | None = None
    volumetric_divisor: int | None = None
    signature: bool = False  # the consignee signs for the parcel
    appointment: bool = False  # delivered on a day or slot agreed with the consignee
    insurance_cents: int | None = None  # declared value covered, where the service offers cover

    @property
    def features(self) -> Features:
        """What the service offers a shopper who chooses it: the plan keeps at least these."""
        return Features(self.speed, self.signature, self.appointment, self.insurance_cents)


@dataclass(frozen=True)
class Bracket:
    """Price of a parcel whose billable weight is at most `max_weight_g` (inclusive)."""

    max_weight_g: int
    price_cents: int


@dataclass(frozen=True)
class PriceGrid:
    """Prices of one service to one zone: brackets by increasing weight."""

    service: str
    zone: str
    brackets: tuple[Bracket, ...]
    extra_kg_price_cents: int | None = None
    _bounds: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_bounds", tuple(b.max_weight_g for b in self.brackets))

    @property
    def bounds(self) -> tuple[int, ...]:
        """The brackets' inclusive upper bounds in grams, increasing."""
        return self._bounds

    @property
    def max_bracket_g(self) -> int:
        return self._bounds[-1]

    def base_price_cents(self, billable_weight_g: int) -> int | None:
        """Price for the weight, or None when the card does not serve it.

        The first bracket whose inclusive bound holds the weight prices it
        (bisection). Past the last bracket, each started kilogram costs the
        extra-kg price when the card gives one.
        """
        i = bracket_index(self._bounds, billable_weight_g)
        if i < len(self._bounds):
            return self.brackets[i].price_cents
        if self.extra_kg_price_cents is None:
            return None
        extra_g = billable_weight_g - self._bounds[-1]
        started_kg = -(-extra_g // GRAMS_PER_KG)
        return self.brackets[-1].price_cents + started_kg * self.extra_kg_price_cents


def bracket_index(bounds: Sequence[int], billable_weight_g: int) -> int:
    """The first bracket whose inclusive upper bound (increasing `bounds`, grams) holds the weight;
    ``len(bounds)`` past the last bracket."""
    return bisect.bisect_left(bounds, billable_weight_g)


class SurchargeKind(StrEnum):
    REMOTE_AREA = "remote_area"
    OVERSIZE = "oversize"
    FIXED = "fixed"


@dataclass(frozen=True)
class Surcharge:
    """A fixed amount added to the base price.

    remote_area: when the destination matches one of `areas`;
    oversize: when the parcel passes any threshold given (longest side,
    length + girth, actual weight);
    fixed: always (e.g. a home-delivery fee).
    `services` limits it to some services; empty means every service.
    """

    kind: SurchargeKind
    name: str
    amount_cents: int
    services: frozenset[str] = frozenset()
    areas: tuple[ZoneEntry, ...] = ()
    min_length_mm: int | None = None
    min_length_girth_mm: int | None = None
    min_weight_g: int | None = None

    def applies_to(self, service: str) -> bool:
        return not self.services or service in self.services


@dataclass(frozen=True)
class VolumeTier:
    """`discount_bp` off the base price once the month's parcels reach `min_parcels`."""

    min_parcels: int
    discount_bp: int


@dataclass(frozen=True)
class RateCard:
    carrier_code: str
    carrier_name: str
    currency: str
    valid_from: date
    services: tuple[Service, ...]
    zones: tuple[Zone, ...]
    prices: tuple[PriceGrid, ...]
    fuel_bp: int = 0
    surcharges: tuple[Surcharge, ...] = ()
    tiers: tuple[VolumeTier, ...] = ()
    notes: str = ""

    def service(self, code: str) -> Service:
        for service in self.services:
            if service.code == code:
                return service
        raise KeyError(code)

    def grid(self, service: str, zone: str) -> PriceGrid | None:
        for grid in self.prices:
            if grid.service == service and grid.zone == zone:
                return grid
        return None

    def tier_discount_bp(self, parcels_this_month: int) -> int:
        """The best discount whose threshold the month's volume reaches (0 if none)."""
        reached = [t.discount_bp for t in self.tiers if parcels_this_month >= t.min_parcels]
        return max(reached, default=0)


class ZoneIndex:
    """Finds a destination's zone on one card: the most specific matching entry wins.

    Built once per card; a lookup tries the postcode's prefixes from longest to
    shortest in a dict, then the few ranges of the country, so it costs a
    handful of dict probes whatever the card's size.
    """

    def __init__(self, zones: tuple[Zone, ...] | list[Zone]) -> None:
        self._whole: dict[str, str] = {}
        self._prefixes: dict[str, dict[str, str]] = {}
        self._ranges: dict[str, list[tuple[ZoneEntry, str]]] = {}
        self._longest_prefix: dict[str, int] = {}
        for zone in zones:
            for entry in zone.entries:
                if entry.kind == "country":
                    self._whole[entry.country] = zone.code
                elif entry.kind == "prefix":
                    self._prefixes.setdefault(entry.country, {})[entry.prefix] = zone.code
                    self._longest_prefix[entry.country] = max(
                        self._longest_prefix.get(entry.country, 0), len(entry.prefix)
                    )
                else:
                    self._ranges.setdefault(entry.country, []).append((entry, zone.code))
        for ranges in self._ranges.values():
            ranges.sort(key=lambda pair: pair[0].specificity(), reverse=True)

    def zone_for(self, country: str, postcode: str) -> str | None:
        """Zone code for the destination, or None when no zone covers it."""
        code = normalise_postcode(postcode)
        country = country.upper()
        for entry, zone in self._ranges.get(country, ()):
            if entry.matches(country, code):
                return zone
        prefixes = self._prefixes.get(country)
        if prefixes:
            for n in range(min(len(code), self._longest_prefix[country]), 0, -1):
                found = prefixes.get(code[:n])
                if found is not None:
                    return found
        return self._whole.get(country)


def zone_conflicts(
    zones: tuple[Zone, ...] | list[Zone], *, limit: int | None = None
) -> list[tuple[Zone, ZoneEntry, Zone, ZoneEntry]]:
    """Pairs of entries of different zones that match a postcode with equal standing.

    Nesting is allowed (a Corsica prefix inside the whole of France: the more
    specific wins); the same entry twice, or two ranges or a prefix and a
    range that partly overlap, leave some postcodes with no clear zone.

    Pairs come in the order of the entries (zone by zone), each pair once. In
    n log n, plus the pairs found: entries are sorted per country and only
    candidates are compared (a sorted scan of the ranges, look-ups of
    prefixes), never every pair. With `limit`, at most about that many pairs
    are looked for (a refusal lists only the first ones anyway).
    """
    flat = [(zone, entry) for zone in zones for entry in zone.entries]
    found = _ConflictPairs(flat, limit)
    by_country: dict[str, list[int]] = {}
    for i, (_, entry) in enumerate(flat):
        by_country.setdefault(entry.country, []).append(i)
    try:
        for indexes in by_country.values():
            _country_conflicts(flat, indexes, found)
    except _EnoughPairs:
        pass
    return [(flat[i][0], flat[i][1], flat[j][0], flat[j][1]) for i, j in sorted(found.pairs)]


class _EnoughPairs(Exception):
    """Raised once `limit` pairs are found: looking further would only make a longer refusal."""


class _ConflictPairs:
    def __init__(self, flat: list[tuple[Zone, ZoneEntry]], limit: int | None) -> None:
        self.flat = flat
        self.limit = limit
        self.pairs: set[tuple[int, int]] = set()

    def add(self, i: int, j: int) -> None:
        if self.flat[i][0].code == self.flat[j][0].code:
            return  # entries of one zone never conflict: the zone is the same either way
        self.pairs.add((min(i, j), max(i, j)))
        if self.limit is not None and len(self.pairs) >= self.limit:
            raise _EnoughPairs

    def all_pairs(self, group: list[int]) -> None:
        """Every pair of a group of equal entries (of different zones)."""
        for n, i in enumerate(group):
            for j in group[n + 1 :]:
                self.add(i, j)


def _country_conflicts(flat: list[tuple[Zone, ZoneEntry]], indexes: list[int], found: _ConflictPairs) -> None:
    """The conflicting pairs among the entries of one country (`indexes` into `flat`).

    The whole country only conflicts with the whole country again; a prefix with the same prefix
    (a longer one inside it is more specific) or with a range that straddles its edge; ranges
    (of one length) when equal or crossing (a nested range is narrower, so more specific).
    """
    wholes: list[int] = []
    prefixes: dict[str, list[int]] = {}
    ranges: dict[int, list[int]] = {}
    for i in indexes:
        entry = flat[i][1]
        if entry.kind == "country":
            wholes.append(i)
        elif entry.kind == "prefix":
            prefixes.setdefault(entry.prefix, []).append(i)
        else:
            ranges.setdefault(len(entry.low), []).append(i)
    found.all_pairs(wholes)
    for group in prefixes.values():
        found.all_pairs(group)
    for width, group in ranges.items():
        _range_conflicts(flat, group, found)
        _straddling_prefixes(flat, group, prefixes, width, found)


def _range_conflicts(flat: list[tuple[Zone, ZoneEntry]], group: list[int], found: _ConflictPairs) -> None:
    """Equal ranges, and crossing ones (a.low < b.low <= a.high < b.high), among ranges of one length.

    A scan by increasing `low`: the ranges that start before the current one are kept sorted by
    their `high`, so those ending inside it are found by bisection.
    """
    equal: dict[tuple[str, str], list[int]] = {}
    for i in group:
        entry = flat[i][1]
        equal.setdefault((entry.low, entry.high), []).append(i)
    for same in equal.values():
        found.all_pairs(same)
    order = sorted(group, key=lambda i: flat[i][1].low)
    started: list[tuple[str, int]] = []  # (high, index) of the ranges with a lower `low`, sorted
    n = 0
    while n < len(order):
        low = flat[order[n]][1].low
        batch = []
        while n < len(order) and flat[order[n]][1].low == low:
            batch.append(order[n])
            n += 1
        for j in batch:
            high = flat[j][1].high
            first = bisect.bisect_left(started, (low, -1))
            last = bisect.bisect_left(started, (high, -1))  # highs below `high`: it crosses them
            for _, i in started[first:last]:
                found.add(i, j)
        for j in batch:
            bisect.insort(started, (flat[j][1].high, j))


def _straddling_prefixes(
    flat: list[tuple[Zone, ZoneEntry]],
    group: list[int],
    prefixes: dict[str, list[int]],
    width: int,
    found: _ConflictPairs,
) -> None:
    """Prefixes that share postcodes with a range of `width` without holding all of it.

    A prefix holds the postcodes of `width` from prefix+"00.." to prefix+"ZZ..". Those that meet
    the range [low, high] without holding it either start inside (low, high] (found by bisection
    on the sorted starts) or hold `low` but not `high` (a prefix of `low`, found by look-up).
    """
    starts = sorted((prefix.ljust(width, "0"), prefix) for prefix in prefixes if len(prefix) <= width)
    for j in group:
        entry = flat[j][1]
        first = bisect.bisect_right(starts, (entry.low, "\U0010ffff"))
        last = bisect.bisect_right(starts, (entry.high, "\U0010ffff"))
        for _, prefix in starts[first:last]:
            for i in prefixes[prefix]:
                found.add(i, j)
        for n in range(1, width + 1):
            prefix = entry.low[:n]
            if prefix in prefixes and not entry.high.startswith(prefix):
                for i in prefixes[prefix]:
                    found.add(i, j)


def zone_conflicts_pairwise(zones: tuple[Zone, ...] | list[Zone]) -> list[tuple[Zone, ZoneEntry, Zone, ZoneEntry]]:
    """`zone_conflicts` by comparing every pair of entries: the rule as written, in n squared.
    Kept as the reference the fast one is tested against."""
    conflicts = []
    flat = [(zone, entry) for zone in zones for entry in zone.entries]
    for i, (zone_a, a) in enumerate(flat):
        for zone_b, b in flat[i + 1 :]:
            if zone_a.code == zone_b.code or not a.intersects(b):
                continue
            if not (_wins_inside(a, b) or _wins_inside(b, a)):
                conflicts.append((zone_a, a, zone_b, b))
    return conflicts


def _wins_inside(outer: ZoneEntry, inner: ZoneEntry) -> bool:
    """`inner` lies inside `outer` and is strictly more specific, so it wins where they meet."""
    return outer.covers(inner) and inner.specificity() > outer.specificity()
