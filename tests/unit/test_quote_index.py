"""The quote's destination index against each card's own zone look-up.

Lanes are kept per postcode prefix (or per whole postcode where a card uses
ranges). Whatever the cards' prefixes, ranges and remote areas, the lanes
found for a postcode must put each card's service in the zone the card's
own `ZoneIndex.zone_for` gives, and charge its remote-area surcharge exactly
when one of the card's areas matches the postcode.
"""

from __future__ import annotations

from datetime import date, time

from hypothesis import given, settings
from hypothesis import strategies as st

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
    Zone,
    ZoneEntry,
    ZoneIndex,
)
from tms.domain.delivery import Warehouse
from tms.domain.policy import ShippingPolicy, WarehouseCosts
from tms.services.quoting import QuoteBook, WarehouseSetup

DIGITS = "0123"  # few digits, so that random prefixes and postcodes meet often
REMOTE_CENTS = 450


def entries(draw: st.DrawFn, country: str, ranges: bool) -> list[ZoneEntry]:
    kinds = ["prefix", "prefix", "country"] + (["range"] if ranges else [])
    found = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(kinds))
        if kind == "country":
            found.append(ZoneEntry(country))
        elif kind == "prefix":
            found.append(ZoneEntry(country, prefix=draw(st.text(DIGITS, min_size=1, max_size=4))))
        else:
            low, high = sorted(draw(st.lists(st.text(DIGITS, min_size=5, max_size=5), min_size=2, max_size=2)))
            found.append(ZoneEntry(country, low=low, high=high))
    return found


@st.composite
def cards(draw: st.DrawFn, carrier: str) -> RateCard:
    ranges = draw(st.booleans())
    zones = tuple(
        Zone(f"Z{i}", f"Zone {i}", tuple(entries(draw, draw(st.sampled_from(["FR", "FR", "BE"])), ranges)))
        for i in range(draw(st.integers(1, 4)))
    )
    service = Service(
        "S",
        "Service",
        DeliveryMode.HOME,
        SpeedClass.STANDARD,
        time(17),
        frozenset(range(5)),
        frozenset(range(6)),
        30_000,
        {zone.code: Transit(1, 2) for zone in zones},
    )
    areas = tuple(entries(draw, "FR", ranges))
    return RateCard(
        carrier,
        carrier,
        "EUR",
        date(2026, 1, 1),
        (service,),
        zones,
        tuple(PriceGrid("S", zone.code, (Bracket(30_000, 500),)) for zone in zones),
        surcharges=(Surcharge(SurchargeKind.REMOTE_AREA, "Remote", REMOTE_CENTS, areas=areas),),
    )


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    postcodes=st.lists(st.text(DIGITS, min_size=3, max_size=6), min_size=1, max_size=8),
    country=st.sampled_from(["FR", "BE", "DE"]),
)
def test_the_lanes_of_a_postcode_follow_each_cards_own_zone_look_up(
    data: st.DataObject, postcodes: list[str], country: str
) -> None:
    rate_cards = [data.draw(cards(code)) for code in ["alpha", "bravo", "charlie"][: data.draw(st.integers(1, 3))]]
    book = QuoteBook.of_cards(rate_cards, ShippingPolicy(), [WarehouseSetup(Warehouse("PAR1"), WarehouseCosts())])
    plan = book.plan_on(date(2026, 3, 2))
    for postcode in postcodes:
        lanes = plan.lanes_to(country, postcode)
        served = {lane.offer.carrier: lane for group in lanes.groups for lane in group.lanes}
        unserved = {e.carrier for _, _, e in lanes.unserved}
        for card in rate_cards:
            zone = ZoneIndex(card.zones).zone_for(country, postcode)
            if zone is None:
                assert card.carrier_code in unserved and card.carrier_code not in served
                continue
            lane = served[card.carrier_code]
            assert lane.grid.zone == zone
            remote = any(area.matches(country, postcode) for area in card.surcharges[0].areas)
            due = [(rule.kind, rule.amount_cents) for rule in lanes.surcharges[lane.surcharges]]
            assert due == ([(SurchargeKind.REMOTE_AREA, REMOTE_CENTS)] if remote else [])
