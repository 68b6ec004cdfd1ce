"""Small rate cards for pricing tests: every builder has defaults, tests override what they test.

The default card: one service HOME (30 kg, no size limit, no volumetric
divisor), zones FR (whole of France) and FR-COR (prefix 20), and one grid
HOME/FR: <= 250 g 5.00, <= 500 g 7.00, <= 1 kg 9.00, <= 2 kg 12.00.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from carriers.model import (
    Bracket,
    DeliveryMode,
    PriceGrid,
    RateCard,
    Service,
    SpeedClass,
    Surcharge,
    SurchargeKind,
    Transit,
    VolumeTier,
    Zone,
    ZoneEntry,
)
from carriers.pricing import Parcel

MON_FRI = frozenset(range(5))
DEFAULT_BRACKETS = ((250, 500), (500, 700), (1000, 900), (2000, 1200))


def a_service(
    code: str = "HOME",
    *,
    max_weight_g: int = 30_000,
    max_length_mm: int | None = None,
    max_length_girth_mm: int | None = None,
    max_dimensions_sum_mm: int | None = None,
    volumetric_divisor: int | None = None,
) -> Service:
    return Service(
        code=code,
        name=f"Service {code}",
        mode=DeliveryMode.HOME,
        speed=SpeedClass.STANDARD,
        pickup_cutoff=time(17, 0),
        pickup_weekdays=MON_FRI,
        delivery_weekdays=MON_FRI,
        max_weight_g=max_weight_g,
        transit={"FR": Transit(2, 2), "FR-COR": Transit(3, 4)},
        max_length_mm=max_length_mm,
        max_length_girth_mm=max_length_girth_mm,
        max_dimensions_sum_mm=max_dimensions_sum_mm,
        volumetric_divisor=volumetric_divisor,
    )


def a_grid(
    service: str = "HOME",
    zone: str = "FR",
    brackets: Iterable[tuple[int, int]] = DEFAULT_BRACKETS,
    extra_kg_price_cents: int | None = None,
) -> PriceGrid:
    """`brackets` as (max_weight_g, price_cents) pairs."""
    return PriceGrid(service, zone, tuple(Bracket(w, p) for w, p in brackets), extra_kg_price_cents)


def a_zone(code: str, *entries: ZoneEntry) -> Zone:
    return Zone(code, f"Zone {code}", entries)


MAINLAND = a_zone("FR", ZoneEntry("FR"))
CORSICA = a_zone("FR-COR", ZoneEntry("FR", prefix="20"))


def a_card(
    *,
    services: Iterable[Service] = (),
    zones: Iterable[Zone] = (MAINLAND, CORSICA),
    prices: Iterable[PriceGrid] = (),
    surcharges: Iterable[Surcharge] = (),
    tiers: Iterable[VolumeTier] = (),
) -> RateCard:
    """Empty `services` / `prices` mean the default service and grid."""
    return RateCard(
        carrier_code="acme",
        carrier_name="Acme Parcels",
        currency="EUR",
        valid_from=date(2026, 1, 1),
        services=tuple(services) or (a_service(),),
        zones=tuple(zones),
        prices=tuple(prices) or (a_grid(),),
        surcharges=tuple(surcharges),
        tiers=tuple(tiers),
    )


def a_remote_area(
    *areas: ZoneEntry, name: str = "Remote", amount_cents: int = 250, services: Iterable[str] = ()
) -> Surcharge:
    return Surcharge(SurchargeKind.REMOTE_AREA, name, amount_cents, frozenset(services), areas=areas)


def an_oversize(
    *,
    name: str = "Non-standard",
    amount_cents: int = 2720,
    services: Iterable[str] = (),
    min_length_mm: int | None = None,
    min_length_girth_mm: int | None = None,
    min_weight_g: int | None = None,
) -> Surcharge:
    return Surcharge(
        SurchargeKind.OVERSIZE,
        name,
        amount_cents,
        frozenset(services),
        min_length_mm=min_length_mm,
        min_length_girth_mm=min_length_girth_mm,
        min_weight_g=min_weight_g,
    )


def a_fixed(*, name: str = "Signature", amount_cents: int = 120, services: Iterable[str] = ()) -> Surcharge:
    return Surcharge(SurchargeKind.FIXED, name, amount_cents, frozenset(services))


def a_parcel(weight_g: int = 100, length_mm: int = 200, width_mm: int = 150, height_mm: int = 100) -> Parcel:
    return Parcel(weight_g, length_mm, width_mm, height_mm)
