"""The checkout quote prices every service as the pricing engine prices it on its own.

Random cards (several services and zones, brackets with and without an
extra-kg price, volumetric divisors, remote-area, oversize and fixed
surcharges, volume tiers), random parcels (within and past the limits and the
last bracket), random days, fuel updates and monthly volumes. For every
service of every card, the quote's option must carry the transport price
`price_on_card` gives for the same parcels, fuel and discount, and the quote
must exclude exactly the services the engine says are not served, with the
same reason. Sizes and weights are drawn from a few values near the cards'
thresholds, so that "at the limit" and "at the threshold" happen often.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carriers.model import RateCard, Surcharge, Transit, VolumeTier, ZoneEntry
from carriers.pricing import NotServed, price_on_card
from tests.carriers.builders_pricing import (
    a_card,
    a_fixed,
    a_grid,
    a_parcel,
    a_remote_area,
    a_service,
    a_zone,
    an_oversize,
)
from tms.domain.delivery import Warehouse
from tms.domain.policy import Cart, ShippingPolicy, WarehouseCosts
from tms.domain.quotes import Destination, Promise, QuoteRequest
from tms.domain.rate_cards import CardStatus, FuelSurcharge, RateCardRecord
from tms.services.quoting import QuoteBook, WarehouseSetup, quote_order

CARD_START = date(2026, 1, 1)
WEIGHTS_G = [100, 250, 500, 999, 1000, 2000, 5000, 10_000, 20_000, 30_000, 31_000, 45_000]
SIDES_MM = [50, 100, 250, 300, 400, 500, 600, 1000, 1200]
SIZES_MM = [None, 300, 500, 600, 1000, 1200, 1500, 2000, 3000]
DIVISORS = [None, None, 4000, 5000, 6000]
# Mainland, Corsica (prefix 20), the Antilles as a range, Belgium as a whole country; DE is in no zone.
ZONES = {
    "FR": a_zone("FR", ZoneEntry("FR")),
    "COR": a_zone("COR", ZoneEntry("FR", prefix="20")),
    "ANT": a_zone("ANT", ZoneEntry("FR", low="97100", high="97199")),
    "BE": a_zone("BE", ZoneEntry("BE")),
}
DESTINATIONS = [
    ("FR", "75001"),
    ("FR", "69003"),
    ("FR", "20000"),
    ("FR", "20290"),
    ("FR", "97110"),
    ("FR", "97400"),
    ("BE", "1000"),
    ("DE", "10115"),
]
AREAS = [
    ZoneEntry("FR", prefix="202"),
    ZoneEntry("FR", prefix="97"),
    ZoneEntry("FR", low="97100", high="97129"),
    ZoneEntry("BE"),
    ZoneEntry("FR", prefix="75001"),
]
WAREHOUSE = WarehouseSetup(Warehouse("PAR1"), WarehouseCosts(50, 150, 200))


@st.composite
def cards(draw: st.DrawFn, carrier: str) -> RateCard:
    zone_codes = draw(st.lists(st.sampled_from(sorted(ZONES)), min_size=1, max_size=4, unique=True))
    services, grids = [], []
    for i in range(draw(st.integers(1, 3))):
        code = f"S{i}"
        service = a_service(
            code,
            max_weight_g=draw(st.sampled_from([5000, 10_000, 20_000, 30_000])),
            max_length_mm=draw(st.sampled_from(SIZES_MM)),
            max_length_girth_mm=draw(st.sampled_from(SIZES_MM)),
            max_dimensions_sum_mm=draw(st.sampled_from(SIZES_MM)),
            volumetric_divisor=draw(st.sampled_from(DIVISORS)),
        )
        # Every zone has a transit time: a service is not served where it has no price.
        services.append(dataclasses.replace(service, transit={z: Transit(1, 3) for z in zone_codes}))
        for zone in zone_codes:
            if not draw(st.booleans()) and grids:
                continue
            bounds = sorted(draw(st.lists(st.sampled_from(WEIGHTS_G[:-2]), min_size=1, max_size=5, unique=True)))
            prices = sorted(draw(st.lists(st.integers(100, 5000), min_size=len(bounds), max_size=len(bounds))))
            extra = draw(st.sampled_from([None, 0, 150, 275]))
            grids.append(a_grid(code, zone, zip(bounds, prices, strict=True), extra))
    codes = [s.code for s in services]
    applies = st.sampled_from([(), *([c] for c in codes)])
    surcharges: list[Surcharge] = []
    for kind in draw(st.lists(st.sampled_from(["remote", "oversize", "fixed"]), max_size=4)):
        amount = draw(st.integers(0, 3000))
        if kind == "remote":
            areas = draw(st.lists(st.sampled_from(AREAS), min_size=1, max_size=2, unique=True))
            surcharges.append(a_remote_area(*areas, amount_cents=amount, services=draw(applies)))
        elif kind == "oversize":
            length, girth = draw(st.sampled_from(SIZES_MM)), draw(st.sampled_from(SIZES_MM))
            weight = draw(st.sampled_from([None, *WEIGHTS_G]))
            if length is girth is weight is None:
                length = 1000
            surcharges.append(
                an_oversize(
                    amount_cents=amount,
                    services=draw(applies),
                    min_length_mm=length,
                    min_length_girth_mm=girth,
                    min_weight_g=weight,
                )
            )
        else:
            surcharges.append(a_fixed(amount_cents=amount, services=draw(applies)))
    thresholds = sorted(draw(st.lists(st.sampled_from([1, 10, 100, 1000]), max_size=3, unique=True)))
    tiers = [VolumeTier(t, draw(st.integers(1, 3000))) for t in thresholds]
    card = a_card(
        services=services,
        zones=[ZONES[z] for z in zone_codes],
        prices=grids,
        surcharges=surcharges,
        tiers=tiers,
    )
    return dataclasses.replace(card, carrier_code=carrier, carrier_name=carrier, fuel_bp=draw(st.integers(0, 2500)))


def a_record(n: int, card: RateCard) -> RateCardRecord:
    stamp = datetime(2025, 12, 1, tzinfo=UTC)
    return RateCardRecord(
        n, card.carrier_code, 1, card.valid_from, card.currency, CardStatus.ACTIVE, "", "memory", "", stamp, "", stamp,
        None, {},
    )  # fmt: skip


def fuel_on(card: RateCard, updates: list[FuelSurcharge], day: date) -> int:
    """The fuel figure of the day: the latest update in force, if no newer than the card's own."""
    in_force = [u for u in updates if u.carrier_code == card.carrier_code and u.valid_from <= day]
    latest = max(in_force, key=lambda u: (u.valid_from, u.set_at), default=None)
    return card.fuel_bp if latest is None or latest.valid_from < card.valid_from else latest.percent_bp


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_quote_prices_and_refuses_every_service_as_the_pricing_engine_does(data: st.DataObject) -> None:
    carriers = ["alpha", "bravo", "charlie"][: data.draw(st.integers(1, 3), label="carriers")]
    rate_cards = [data.draw(cards(code), label=f"card {code}") for code in carriers]
    day = CARD_START + timedelta(days=data.draw(st.integers(0, 400), label="day"))
    updates = [
        FuelSurcharge(
            data.draw(st.sampled_from(carriers)),
            CARD_START + timedelta(days=data.draw(st.integers(-30, 400))),
            data.draw(st.integers(0, 3000)),
            datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=n),
        )
        for n in range(data.draw(st.integers(0, 4), label="fuel updates"))
    ]
    volumes = {c: data.draw(st.sampled_from([0, 1, 9, 10, 500, 5000]), label=f"volume {c}") for c in carriers}
    parcels = tuple(
        a_parcel(
            data.draw(st.sampled_from(WEIGHTS_G)),
            data.draw(st.sampled_from(SIDES_MM)),
            data.draw(st.sampled_from(SIDES_MM)),
            data.draw(st.sampled_from(SIDES_MM)),
        )
        for _ in range(data.draw(st.sampled_from([1, 1, 2, 3]), label="parcels"))
    )
    country, postcode = data.draw(st.sampled_from(DESTINATIONS), label="destination")
    book = QuoteBook(
        [(a_record(n, card), card) for n, card in enumerate(rate_cards, 1)],
        updates,
        ShippingPolicy(),
        [WAREHOUSE],
        volumes,
    )
    request = QuoteRequest(
        "R",
        datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9),
        Destination(country, postcode),
        parcels,
        Cart(2000),
        Promise(),  # no promise: every service the engine prices is an option
    )

    quote = quote_order(book, request)

    options = {(o.carrier, o.service): o for o in quote.options}
    excluded = {(e.carrier, e.service): e for e in quote.excluded}
    assert len(options) + len(excluded) == sum(len(card.services) for card in rate_cards)
    for card in rate_cards:
        fuel_bp = fuel_on(card, updates, day)
        for service in card.services:
            key = (card.carrier_code, service.code)
            price = price_on_card(
                card,
                service.code,
                country,
                postcode,
                parcels,
                fuel_bp=fuel_bp,
                parcels_this_month=volumes[card.carrier_code],
            )
            if isinstance(price, NotServed):
                assert key not in options, (key, price)
                assert excluded[key].reason == price.reason
                if price.reason != "zone_not_served":  # a parcel's refusal: the same parcel, the same figures
                    assert excluded[key].detail == price.detail
                continue
            assert key not in excluded, (key, excluded.get(key), price)
            option = options[key]
            assert option.priced[:3] == (price.base_cents, price.discount_cents, price.fuel_cents)
            assert option.surcharges_cents == price.surcharges_cents
            assert option.cost.transport_cents == price.total_cents
