"""A checkout quote: the order asked about, and every option priced, chosen or excluded.

Options, their costs and exclusions are named tuples rather than frozen dataclasses: a quote
builds dozens of them per request, and a tuple is built several times faster (both are immutable).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from tms.domain.parcels import Parcel
from tms.domain.policy import Cart, FreeShipping


@dataclass(frozen=True)
class Destination:
    country: str
    postcode: str
    city: str = ""


@dataclass(frozen=True)
class Promise:
    deliver_by: date | None = None
    deliver_after: date | None = None  # for an appointment: not before this day


@dataclass(frozen=True)
class QuoteRequest:
    order_ref: str
    ordered_at: datetime  # aware
    destination: Destination
    parcels: tuple[Parcel, ...]
    cart: Cart
    promise: Promise
    origin: str | None = None  # warehouse code; the default warehouse when None
    modes: frozenset[str] | None = None  # only these delivery modes


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


class QuoteOption(NamedTuple):
    carrier: str
    carrier_name: str
    service: str
    service_name: str
    mode: str
    speed: str
    cost: CostBreakdown
    customer_price_cents: int
    currency: str
    ships_on: date
    earliest: date
    latest: date
    rate_card_id: int
    rate_card_version: int

    def rank(self) -> tuple[int, date, str, str]:
        """Cheapest first; an earlier latest date, then carrier and service codes break ties."""
        return (self.cost.total_cents, self.latest, self.carrier, self.service)


class Exclusion(NamedTuple):
    carrier: str
    service: str
    mode: str
    reason: str  # zone_not_served, overweight, oversize, weight_not_priced, too_late, too_early, no_card
    detail: str


@dataclass(frozen=True)
class Quote:
    order_ref: str
    warehouse: str
    options: tuple[QuoteOption, ...]
    cheapest: dict[str, QuoteOption | None]
    recommended: QuoteOption | None
    free_shipping: FreeShipping
    excluded: tuple[Exclusion, ...]
    currency: str
