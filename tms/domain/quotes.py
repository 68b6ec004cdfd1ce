"""A checkout quote: the order asked about, and every option priced, chosen or excluded.

A quote, its options and exclusions are named tuples rather than frozen dataclasses: a quote
builds dozens of them per request, and a tuple is built several times faster (both are immutable).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import NamedTuple

from tms.domain.lane_stats import Distribution
from tms.domain.modes import DeliveryMode
from tms.domain.parcels import Parcel
from tms.domain.policy import Cart, FreeShipping, WarehouseCosts


class Destination(NamedTuple):
    country: str
    postcode: str
    city: str = ""
    latitude: float | None = None  # the shopper's position, when the checkout knows it
    longitude: float | None = None


class Promise(NamedTuple):
    deliver_by: date | None = None
    deliver_after: date | None = None  # for an appointment: not before this day


class QuoteRequest(NamedTuple):
    order_ref: str
    ordered_at: datetime  # aware
    destination: Destination
    parcels: tuple[Parcel, ...]
    cart: Cart
    promise: Promise
    origin: str | None = None  # warehouse code; the default warehouse when None
    modes: frozenset[DeliveryMode] | None = None  # only these delivery modes
    points: int = 3  # the nearest suitable pickup points offered with each pickup-point or locker option


class CostBreakdown(NamedTuple):
    base_cents: int
    discount_cents: int
    fuel_cents: int
    surcharges_cents: int
    transport_cents: int
    packaging_cents: int
    handling_cents: int
    indirect_cents: int
    total_cents: int


class Offer(NamedTuple):
    """One service of a card in force, as a quote names it."""

    carrier: str
    carrier_name: str
    service: str
    service_name: str
    mode: str
    speed: str
    currency: str
    rate_card_id: int
    rate_card_version: int
    signature: bool = False
    appointment: bool = False
    insurance_cents: int | None = None  # declared value covered; None: no cover offered


class QuoteOption(NamedTuple):
    """A feasible option, priced and dated.

    The first three fields are the ranking: options compare cheapest first,
    then by the earlier latest date, then by `order`, the position of
    (carrier, service) in code order. The cost breakdown is derived from the
    stored figures when it is read.
    """

    total_cents: int
    latest: date
    order: int
    earliest: date
    ships_on: date
    offer: Offer
    priced: tuple[int, int, int, int]  # base, discount, fuel, base - discount + fuel: all parcels
    surcharges_cents: int
    parcels: int
    costs: WarehouseCosts
    customer_price_cents: int
    # The chance, from the lane's deliveries, that it arrives by the promise's deliver_by (without one: by
    # `latest`); None when the lane has too few deliveries to say (see tms.domain.lane_stats).
    on_time_probability: float | None = None
    observed: Distribution | None = None  # the lane's learned days for a pickup on `ships_on`

    @property
    def carrier(self) -> str:
        return self.offer.carrier

    @property
    def carrier_name(self) -> str:
        return self.offer.carrier_name

    @property
    def service(self) -> str:
        return self.offer.service

    @property
    def service_name(self) -> str:
        return self.offer.service_name

    @property
    def mode(self) -> str:
        return self.offer.mode

    @property
    def speed(self) -> str:
        return self.offer.speed

    @property
    def currency(self) -> str:
        return self.offer.currency

    @property
    def rate_card_id(self) -> int:
        return self.offer.rate_card_id

    @property
    def rate_card_version(self) -> int:
        return self.offer.rate_card_version

    @property
    def cost(self) -> CostBreakdown:
        base, discount, fuel, before_surcharges = self.priced
        costs = self.costs
        return CostBreakdown(
            base_cents=base,
            discount_cents=discount,
            fuel_cents=fuel,
            surcharges_cents=self.surcharges_cents,
            transport_cents=before_surcharges + self.surcharges_cents,
            packaging_cents=costs.packaging_cents * self.parcels,
            handling_cents=costs.handling_cents,
            indirect_cents=costs.indirect_cents,
            total_cents=self.total_cents,
        )


Refusal = tuple[str, str]  # (reason, detail): why a service is excluded, before it becomes an Exclusion


class Exclusion(NamedTuple):
    carrier: str
    service: str
    mode: str
    # zone_not_served, overweight, oversize, weight_not_priced, too_late, too_early, currency, no_pickup,
    # no_directory (no pickup-point directory in use), no_point_nearby (none suitable within the radius),
    # carrier_full (its pickups sold out until a day too late for the promise: tms.domain.capacity)
    reason: str
    detail: str


class OfferedPoint(NamedTuple):
    """What a quote says of a pickup point: the same in every quote, so made once per point."""

    point_id: str
    name: str
    address: str
    postcode: str
    city: str
    kind: str  # relay or locker


class PointOffer(NamedTuple):
    """A pickup point offered with an option: which, how far, and from when the parcel is there."""

    point: OfferedPoint
    distance_m: int
    available_from: date  # the first day it opens from the option's earliest delivery date
    available_by: date  # ... from its latest: the promise for that point


NO_POINTS: Mapping[tuple[str, str], tuple[PointOffer, ...]] = MappingProxyType({})


class Quote(NamedTuple):
    order_ref: str
    warehouse: str
    options: tuple[QuoteOption, ...]
    cheapest: dict[str, QuoteOption | None]
    recommended: QuoteOption | None
    free_shipping: FreeShipping
    excluded: tuple[Exclusion, ...]
    currency: str
    points: Mapping[tuple[str, str], tuple[PointOffer, ...]] = NO_POINTS  # per (carrier, service) of a pickup option
