"""Pricing of parcels on a rate card: what a shipment costs on one service.

Everything is an integer (grams, millimetres, cents, basis points with
1 % = 100 bp); no float is ever involved. The rules, per parcel:

- **Billable weight** = max(actual weight, volumetric weight). The volumetric
  weight in grams is ceil(L x W x H in mm3 / divisor) when the service has a
  volumetric divisor (cm3 per kg: cm3 / divisor kg = mm3 / divisor g);
  without a divisor the billable weight is the actual weight.
- **Service limits** (at the limit is accepted, past it is not):
  ``overweight`` when the *actual* weight is above ``max_weight_g``;
  ``oversize`` when the longest side is above ``max_length_mm``, the length
  + girth (longest + 2 x the other two) above ``max_length_girth_mm``, or
  L + W + H above ``max_dimensions_sum_mm``. Overweight is reported first.
- **Base** = the grid price of the billable weight: the first bracket whose
  inclusive upper bound holds it; past the last bracket, the last price plus
  the extra-kg price per started kilogram, or ``weight_not_priced`` when the
  card gives no extra-kg price.
- **Discount** = round(base x discount_bp / 10000), the volume-tier discount
  the caller has reached (``RateCard.tier_discount_bp``).
- **Fuel** = round((base - discount) x fuel_bp / 10000). Fuel is passed in
  because it changes monthly without a new card.
- **Surcharges**: fixed amounts, neither discounted nor fuelled, of the
  card's surcharges that apply to the service, in card order:
  ``remote_area`` when the destination (country, normalised postcode)
  matches one of its areas; ``oversize`` when the parcel *reaches* any
  threshold it gives (longest side >= ``min_length_mm``, length + girth >=
  ``min_length_girth_mm``, actual weight >= ``min_weight_g``); ``fixed``
  always.
- **Total** = base - discount + fuel + surcharges.
- **Rounding** is half up on exact integers:
  round(x x bp / 10000) = (x x bp + 5000) // 10000.

A shipment's parcels all travel on one service to one zone; its price is the
sum of its parcels' prices. A zone the card has no grid for (for that
service) is ``zone_not_served``; then each parcel in turn is checked against
the limits, then priced; the first parcel not served makes the whole
shipment `NotServed` with its reason. The destination is read as
`ZoneIndex.zone_for` reads it (country upper-cased, postcode normalised).

Each rule is one function here, and every caller uses it: `within_limits`
and `limits_refusal` (a compiled service's limits), `billable_weight_g`,
`bracket_index` (a grid's bounds) and `PriceGrid.base_price_cents`,
`weight_refusal`, `priced_base` (base, discount, fuel of a base price),
`surcharges_due` (at a destination) and `parcel_surcharges` (what a parcel
pays of them). `price_shipment` is those blocks in order; the checkout's
quote (`tms.services.quote_index`) calls the same blocks once per class of
services alike and keeps their results, never its own copy of a rule.

This runs on the checkout's hot path (~40 services per quote), so a card is
compiled once into a `CompiledCard` (zone index, grids by service and zone,
surcharges per service); `price_shipment` accepts a card and compiles it
through a small identity cache, or a `CompiledCard` directly. The results
are built without the frozen dataclasses' __init__ (see `_new`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from carriers.model import (
    PriceGrid,
    RateCard,
    Service,
    Surcharge,
    SurchargeKind,
    ZoneEntry,
    ZoneIndex,
    normalise_postcode,
)
from carriers.model import bracket_index as bracket_index  # the bracket rule, beside the grid it reads
from tms.domain.parcels import Parcel

ZONE_NOT_SERVED = "zone_not_served"
OVERWEIGHT = "overweight"
OVERSIZE = "oversize"
WEIGHT_NOT_PRICED = "weight_not_priced"

_REMOTE_AREA = SurchargeKind.REMOTE_AREA  # enum members read through the class are slow in 3.11
_OVERSIZE = SurchargeKind.OVERSIZE
_FIXED = SurchargeKind.FIXED
_NO_LIMIT = 1 << 62  # stands for an absent limit in compiled services: no parcel reaches it

T = TypeVar("T")


@dataclass(frozen=True)
class ParcelPrice:
    billable_weight_g: int
    base_cents: int
    discount_cents: int
    fuel_cents: int
    surcharges: tuple[tuple[str, int], ...]  # (name, amount in cents), in card order
    total_cents: int


@dataclass(frozen=True)
class ShipmentPrice:
    """A shipment's price: its parcels' prices and their sums."""

    parcels: tuple[ParcelPrice, ...]
    base_cents: int
    discount_cents: int
    fuel_cents: int
    surcharges_cents: int
    total_cents: int


@dataclass(frozen=True)
class NotServed:
    """Why a service cannot carry a shipment: `reason` is one of the constants above."""

    reason: str
    detail: str


def billable_weight_g(parcel: Parcel, volumetric_divisor: int | None) -> int:
    """max(actual, volumetric) where volumetric grams = ceil(mm3 / divisor); actual without a divisor."""
    if volumetric_divisor is None:
        return parcel.weight_g
    return max(parcel.weight_g, -(-parcel.volume_mm3 // volumetric_divisor))


def service_limit_breach(service: Service, parcel: Parcel) -> str | None:
    """``"overweight"``, ``"oversize"`` or None when the parcel is within the service's limits."""
    breaches = _breaches(service, parcel)
    return breaches[0][0] if breaches else None


def _breaches(service: Service, parcel: Parcel) -> list[tuple[str, str]]:
    """(reason, what) of each limit of the service the parcel is past: the weight first, then the sizes."""
    found = []
    if parcel.weight_g > service.max_weight_g:
        found.append((OVERWEIGHT, f"weight {parcel.weight_g} g > max {service.max_weight_g} g"))
    for what, size, limit in (
        ("longest side", parcel.longest_mm, service.max_length_mm),
        ("length + girth", parcel.length_girth_mm, service.max_length_girth_mm),
        ("L + W + H", parcel.dimensions_sum_mm, service.max_dimensions_sum_mm),
    ):
        if limit is not None and size > limit:
            found.append((OVERSIZE, f"{what} {size} mm > max {limit} mm"))
    return found


def _breach_detail(service: Service, parcel: Parcel) -> str:
    breaches = _breaches(service, parcel)
    if breaches and breaches[0][0] == OVERWEIGHT:
        return breaches[0][1]
    return "; ".join(what for _, what in breaches)


def _new(cls: type[T], fields: dict[str, Any]) -> T:
    """`cls(**fields)` for a frozen dataclass without __post_init__, built directly.

    The generated __init__ of a frozen dataclass sets each field through
    object.__setattr__, which makes a result cost twice as much: on the hot
    path the fields go into the instance dict at once. The instance is the
    same (equality, repr, hash, immutability); tests compare both ways.
    """
    instance = object.__new__(cls)
    instance.__dict__.update(fields)
    return instance


class SurchargeRule:
    """One surcharge of a service, prepared: areas by country, absent thresholds made unreachable."""

    __slots__ = (
        "kind",
        "pair",
        "amount_cents",
        "areas",
        "min_length_mm",
        "min_length_girth_mm",
        "min_weight_g",
    )

    def __init__(self, surcharge: Surcharge) -> None:
        self.kind = surcharge.kind
        self.pair = (surcharge.name, surcharge.amount_cents)
        self.amount_cents = surcharge.amount_cents
        areas: dict[str, list[ZoneEntry]] = {}
        for area in surcharge.areas:
            areas.setdefault(area.country, []).append(area)
        self.areas = {country: tuple(entries) for country, entries in areas.items()}
        self.min_length_mm = _or_no_limit(surcharge.min_length_mm)
        self.min_length_girth_mm = _or_no_limit(surcharge.min_length_girth_mm)
        self.min_weight_g = _or_no_limit(surcharge.min_weight_g)

    def covers(self, country: str, postcode: str) -> bool:
        """True if the destination is in one of the (remote) areas; `postcode` must be normalised."""
        for area in self.areas.get(country, ()):  # noqa: SIM110 - a loop: any(generator) costs 2x here
            if area.matches(country, postcode):
                return True
        return False

    def reached_by(self, parcel: Parcel) -> bool:
        """True if the parcel reaches any (oversize) threshold; the weight is the actual one."""
        return (
            parcel.longest_mm >= self.min_length_mm
            or parcel.length_girth_mm >= self.min_length_girth_mm
            or parcel.weight_g >= self.min_weight_g
        )

    @property
    def figures(self) -> tuple[SurchargeKind, int, int, int, int]:
        """What the amount a parcel pays depends on, once the destination is known: rules of
        equal figures charge every parcel alike (their names aside)."""
        return (self.kind, self.min_length_mm, self.min_length_girth_mm, self.min_weight_g, self.amount_cents)


def _or_no_limit(value: int | None) -> int:
    return _NO_LIMIT if value is None else value


class CompiledService:
    """What pricing needs of one service, looked up once per card: limits, grids by zone, surcharges."""

    __slots__ = (
        "service",
        "max_weight_g",
        "max_length_mm",
        "max_length_girth_mm",
        "max_dimensions_sum_mm",
        "volumetric_divisor",
        "grids",
        "surcharges",
        "static_surcharges",
        "static_surcharges_cents",
    )

    def __init__(self, card: RateCard, service: Service) -> None:
        self.service = service
        self.max_weight_g = service.max_weight_g
        self.max_length_mm = _or_no_limit(service.max_length_mm)
        self.max_length_girth_mm = _or_no_limit(service.max_length_girth_mm)
        self.max_dimensions_sum_mm = _or_no_limit(service.max_dimensions_sum_mm)
        self.volumetric_divisor = service.volumetric_divisor
        self.grids: dict[str, PriceGrid] = {g.zone: g for g in card.prices if g.service == service.code}
        self.surcharges = tuple(SurchargeRule(s) for s in card.surcharges if s.applies_to(service.code))
        # Fixed surcharges depend on nothing: when they are all there is, precompute them.
        self.static_surcharges: tuple[tuple[str, int], ...] | None = None
        self.static_surcharges_cents = 0
        if all(rule.kind is _FIXED for rule in self.surcharges):
            self.static_surcharges = tuple(rule.pair for rule in self.surcharges)
            self.static_surcharges_cents = sum(rule.amount_cents for rule in self.surcharges)


class CompiledCard:
    """A rate card prepared for pricing: its zone index and its compiled services by code."""

    __slots__ = ("card", "zones", "services")

    def __init__(self, card: RateCard) -> None:
        self.card = card
        self.zones = ZoneIndex(card.zones)
        self.services = {s.code: CompiledService(card, s) for s in card.services}


_CACHE_SIZE = 64
_compiled: dict[int, tuple[RateCard, CompiledCard]] = {}


def compile_card(card: RateCard | CompiledCard) -> CompiledCard:
    """The card compiled, cached by identity (the cache holds the card, so its id stays unique)."""
    if isinstance(card, CompiledCard):
        return card
    hit = _compiled.get(id(card))
    if hit is not None and hit[0] is card:
        return hit[1]
    compiled = CompiledCard(card)
    if len(_compiled) >= _CACHE_SIZE:
        _compiled.clear()
    _compiled[id(card)] = (card, compiled)
    return compiled


def within_limits(limits: CompiledService, parcel: Parcel) -> bool:
    """True when the parcel is within the service's limits: at a limit is accepted, past it is not.
    The weight limit is on the actual weight."""
    return (
        parcel.weight_g <= limits.max_weight_g
        and parcel.longest_mm <= limits.max_length_mm
        and parcel.length_girth_mm <= limits.max_length_girth_mm
        and parcel.dimensions_sum_mm <= limits.max_dimensions_sum_mm
    )


def limits_refusal(limits: CompiledService, parcel: Parcel, n: int) -> NotServed | None:
    """None within the limits, else why the shipment's parcel `n` (from 1) is refused:
    ``overweight`` before ``oversize``, the detail naming every limit passed."""
    if within_limits(limits, parcel):
        return None
    breaches = _breaches(limits.service, parcel)
    assert breaches, "within_limits and _breaches read the same limits"
    return NotServed(breaches[0][0], f"parcel {n}: {_breach_detail(limits.service, parcel)}")


def weight_refusal(grid: PriceGrid, billable_weight_g: int, n: int) -> NotServed | None:
    """None when the grid prices the billable weight, else why parcel `n` is refused."""
    if grid.base_price_cents(billable_weight_g) is not None:
        return None
    return NotServed(WEIGHT_NOT_PRICED, f"parcel {n}: {weight_not_priced_detail(grid, billable_weight_g)}")


def surcharges_due(rules: Sequence[SurchargeRule], country: str, postcode: str) -> tuple[SurchargeRule, ...]:
    """The service's surcharges due at a destination (country upper-case, postcode normalised), in card
    order: the fixed and oversize ones, and the remote-area ones whose areas cover the destination."""
    return tuple(rule for rule in rules if rule.kind is not _REMOTE_AREA or rule.covers(country, postcode))


def parcel_surcharges(due: Sequence[SurchargeRule], parcel: Parcel) -> tuple[tuple[tuple[str, int], ...], int]:
    """What a parcel pays of the surcharges due at its destination: (name, cents) in card order, and their
    sum. An oversize surcharge only when the parcel reaches one of its thresholds; the others always."""
    pairs = []
    cents = 0
    for rule in due:
        if rule.kind is not _OVERSIZE or rule.reached_by(parcel):
            pairs.append(rule.pair)
            cents += rule.amount_cents
    return tuple(pairs), cents


def price_shipment(
    card: RateCard | CompiledCard,
    service_code: str,
    zone_code: str,
    country: str,
    postcode: str,
    parcels: Sequence[Parcel],
    *,
    fuel_bp: int,
    discount_bp: int,
) -> ShipmentPrice | NotServed:
    """Price the parcels on one service to one zone (the rules are in the module docstring).

    Raises KeyError for a service the card does not have, ValueError for no
    parcels or a rate out of range (fuel below 0, discount outside 0-100 %).
    """
    cs = compile_card(card).services[service_code]
    if not parcels:
        raise ValueError("a shipment needs at least one parcel")
    if fuel_bp < 0 or not 0 <= discount_bp <= 10_000:
        raise ValueError(f"rates out of range: fuel_bp={fuel_bp}, discount_bp={discount_bp}")
    grid = cs.grids.get(zone_code)
    if grid is None:
        return NotServed(ZONE_NOT_SERVED, f"no price for service {service_code} to zone {zone_code}")

    static = cs.static_surcharges
    due_here: tuple[SurchargeRule, ...] = ()
    if static is None:  # the surcharges due at this destination; oversize ones still depend on the parcel
        due_here = surcharges_due(cs.surcharges, country.upper(), normalise_postcode(postcode))  # as zone_for reads

    priced: list[ParcelPrice] = []
    base_sum = discount_sum = fuel_sum = surcharges_sum = 0
    divisor = cs.volumetric_divisor
    for n, parcel in enumerate(parcels, 1):
        if not within_limits(cs, parcel):
            refusal = limits_refusal(cs, parcel, n)
            assert refusal is not None
            return refusal
        weight = billable_weight_g(parcel, divisor)
        base = grid.base_price_cents(weight)
        if base is None:
            refusal = weight_refusal(grid, weight, n)
            assert refusal is not None
            return refusal
        base, discount, fuel, transport = priced_base(base, fuel_bp=fuel_bp, discount_bp=discount_bp)
        if static is None:
            surcharges, surcharges_cents = parcel_surcharges(due_here, parcel)
        else:  # fixed surcharges only: the same for every parcel (`CompiledService`)
            surcharges, surcharges_cents = static, cs.static_surcharges_cents
        priced.append(
            _new(
                ParcelPrice,
                {
                    "billable_weight_g": weight,
                    "base_cents": base,
                    "discount_cents": discount,
                    "fuel_cents": fuel,
                    "surcharges": surcharges,
                    "total_cents": transport + surcharges_cents,
                },
            )
        )
        base_sum += base
        discount_sum += discount
        fuel_sum += fuel
        surcharges_sum += surcharges_cents

    return _new(
        ShipmentPrice,
        {
            "parcels": tuple(priced),
            "base_cents": base_sum,
            "discount_cents": discount_sum,
            "fuel_cents": fuel_sum,
            "surcharges_cents": surcharges_sum,
            "total_cents": base_sum - discount_sum + fuel_sum + surcharges_sum,
        },
    )


def priced_base(base_cents: int, *, fuel_bp: int, discount_bp: int) -> tuple[int, int, int, int]:
    """(base, discount, fuel, base - discount + fuel) of a base price: a parcel's price before surcharges."""
    discount = (base_cents * discount_bp + 5000) // 10000
    fuel = ((base_cents - discount) * fuel_bp + 5000) // 10000
    return base_cents, discount, fuel, base_cents - discount + fuel


def priced_brackets(grid: PriceGrid, *, fuel_bp: int, discount_bp: int) -> tuple[tuple[int, int, int, int], ...]:
    """`priced_base` of every bracket of the grid, in order: what `price_shipment` computes for a
    parcel whose billable weight falls in that bracket, before surcharges."""
    return tuple(priced_base(b.price_cents, fuel_bp=fuel_bp, discount_bp=discount_bp) for b in grid.brackets)


def weight_not_priced_detail(grid: PriceGrid, billable_weight_g: int) -> str:
    last = grid.max_bracket_g
    return f"{billable_weight_g} g is past the last bracket ({last} g) and the card gives no extra-kg price"


def price_on_card(
    compiled_or_card: RateCard | CompiledCard,
    service_code: str,
    country: str,
    postcode: str,
    parcels: Sequence[Parcel],
    *,
    fuel_bp: int,
    parcels_this_month: int,
) -> ShipmentPrice | NotServed:
    """Price on one service of the card, finding the destination's zone and the volume-tier discount.

    A convenience: a quote pricing many services of one card to one
    destination should find the zone and the discount once and call
    `price_shipment` for each service.
    """
    compiled = compile_card(compiled_or_card)
    if service_code not in compiled.services:
        raise KeyError(service_code)
    zone = compiled.zones.zone_for(country, postcode)
    if zone is None:
        return NotServed(ZONE_NOT_SERVED, f"no zone of the card covers {country} {postcode}")
    discount_bp = compiled.card.tier_discount_bp(parcels_this_month)
    return price_shipment(
        compiled, service_code, zone, country, postcode, parcels, fuel_bp=fuel_bp, discount_bp=discount_bp
    )
