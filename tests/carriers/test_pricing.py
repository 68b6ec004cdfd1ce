"""Pricing of parcels on a rate card.

Expected amounts are worked out by hand next to each test from the default
card of `builders_pricing`: HOME/FR brackets <= 250 g 500, <= 500 g 700,
<= 1 kg 900, <= 2 kg 1200 (cents). The property at the end compares
`price_shipment` with a straightforward reference written here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carriers.model import PriceGrid, RateCard, Surcharge, SurchargeKind, VolumeTier, ZoneEntry
from carriers.pricing import (
    CompiledCard,
    NotServed,
    Parcel,
    ParcelPrice,
    ShipmentPrice,
    billable_weight_g,
    bracket_index,
    compile_card,
    limits_refusal,
    parcel_surcharges,
    price_on_card,
    price_shipment,
    service_limit_breach,
    surcharges_due,
    weight_refusal,
    within_limits,
)
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

COR_BRACKETS = ((250, 800), (500, 1000), (1000, 1200), (2000, 1500))


def price(
    card: RateCard | CompiledCard,
    parcels: Sequence[Parcel] = (),
    *,
    service: str = "HOME",
    zone: str = "FR",
    country: str = "FR",
    postcode: str = "75001",
    fuel_bp: int = 0,
    discount_bp: int = 0,
) -> ShipmentPrice | NotServed:
    return price_shipment(
        card,
        service,
        zone,
        country,
        postcode,
        list(parcels) or [a_parcel()],
        fuel_bp=fuel_bp,
        discount_bp=discount_bp,
    )


def priced(result: ShipmentPrice | NotServed) -> ShipmentPrice:
    assert isinstance(result, ShipmentPrice), result
    return result


def base_of(result: ShipmentPrice | NotServed) -> int:
    return priced(result).base_cents


def reason_of(result: ShipmentPrice | NotServed) -> str:
    assert isinstance(result, NotServed), result
    return result.reason


def surcharges_of(result: ShipmentPrice | NotServed) -> tuple[tuple[str, int], ...]:
    (parcel,) = priced(result).parcels
    return parcel.surcharges


# --- parcels and billable weight ---


def test_a_parcel_knows_its_longest_side_length_girth_dimensions_sum_and_volume() -> None:
    parcel = Parcel(1000, length_mm=300, width_mm=500, height_mm=200)

    assert parcel.longest_mm == 500
    assert parcel.length_girth_mm == 500 + 2 * 300 + 2 * 200
    assert parcel.dimensions_sum_mm == 1000
    assert parcel.volume_mm3 == 30_000_000


@pytest.mark.parametrize("values", [(-1, 10, 10, 10), (10, -1, 10, 10), (10, 10, -1, 10), (10, 10, 10, -1)])
def test_a_parcel_with_a_negative_weight_or_side_is_refused(values: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match="negative"):
        Parcel(*values)


def test_without_a_volumetric_divisor_the_billable_weight_is_the_actual_weight() -> None:
    assert billable_weight_g(Parcel(1000, 600, 400, 400), None) == 1000


def test_the_volumetric_weight_wins_over_a_lighter_actual_weight() -> None:
    # 400 x 300 x 200 mm = 24,000,000 mm3 = 24,000 cm3; / 5000 cm3 per kg = 4.8 kg
    assert billable_weight_g(Parcel(1000, 400, 300, 200), 5000) == 4800


def test_the_actual_weight_wins_over_a_lighter_volumetric_weight() -> None:
    assert billable_weight_g(Parcel(6000, 400, 300, 200), 5000) == 6000


def test_a_started_gram_of_volumetric_weight_counts_as_a_whole_gram() -> None:
    # 101^3 = 1,030,301 mm3 / 5000 = 206.06 g
    assert billable_weight_g(Parcel(1, 101, 101, 101), 5000) == 207


def test_a_light_bulky_parcel_is_priced_at_its_volumetric_weight() -> None:
    card = a_card(services=[a_service(volumetric_divisor=5000)])
    # 200 x 150 x 100 mm / 5000 = 600 g: the <= 1 kg bracket, though it weighs 200 g
    result = priced(price(card, [Parcel(200, 200, 150, 100)]))

    assert result.parcels[0].billable_weight_g == 600
    assert result.base_cents == 900


# --- brackets ---


@pytest.mark.parametrize(("weight_g", "expected_cents"), [(250, 500), (500, 700), (1000, 900), (2000, 1200)])
def test_a_weight_exactly_at_a_bracket_bound_is_priced_in_that_bracket(weight_g: int, expected_cents: int) -> None:
    assert base_of(price(a_card(), [a_parcel(weight_g)])) == expected_cents


@pytest.mark.parametrize(("weight_g", "expected_cents"), [(251, 700), (501, 900), (1001, 1200)])
def test_one_gram_above_a_bracket_bound_is_priced_in_the_next_bracket(weight_g: int, expected_cents: int) -> None:
    assert base_of(price(a_card(), [a_parcel(weight_g)])) == expected_cents


def test_the_lightest_parcel_is_priced_in_the_first_bracket() -> None:
    assert base_of(price(a_card(), [a_parcel(1)])) == 500


@pytest.mark.parametrize(
    ("weight_g", "expected_cents"),
    [
        (2001, 1200 + 150),  # 1 g past the last bound starts a kilogram
        (3000, 1200 + 150),
        (3001, 1200 + 2 * 150),
        (4500, 1200 + 3 * 150),
    ],
)
def test_past_the_last_bracket_each_started_kilogram_costs_the_extra_kg_price(
    weight_g: int, expected_cents: int
) -> None:
    card = a_card(prices=[a_grid(extra_kg_price_cents=150)])

    assert base_of(price(card, [a_parcel(weight_g)])) == expected_cents


def test_past_the_last_bracket_without_an_extra_kg_price_the_weight_is_not_priced() -> None:
    result = price(a_card(), [a_parcel(2001)])

    assert reason_of(result) == "weight_not_priced"
    assert base_of(price(a_card(), [a_parcel(2000)])) == 1200


def test_a_started_gram_of_volumetric_weight_can_reach_the_next_bracket() -> None:
    card = a_card(services=[a_service(volumetric_divisor=5000)])
    # 104 x 104 x 116 = 1,254,656 mm3 / 5000 = 250.9 g -> 251 g: 1 g past the 250 g bound
    result = priced(price(card, [Parcel(100, 104, 104, 116)]))

    assert (result.parcels[0].billable_weight_g, result.base_cents) == (251, 700)


def test_a_volumetric_weight_past_the_last_bracket_is_not_priced_either() -> None:
    card = a_card(services=[a_service(volumetric_divisor=5000)])
    # 300 x 200 x 200 mm / 5000 = 2400 g > 2 kg, though it weighs 500 g
    assert reason_of(price(card, [Parcel(500, 300, 200, 200)])) == "weight_not_priced"


# --- service limits ---


def test_a_parcel_at_the_max_weight_is_accepted_and_one_gram_more_is_overweight() -> None:
    service = a_service(max_weight_g=30_000)
    card = a_card(services=[service], prices=[a_grid(extra_kg_price_cents=150)])

    assert service_limit_breach(service, a_parcel(30_000)) is None
    assert base_of(price(card, [a_parcel(30_000)])) == 1200 + 28 * 150
    assert service_limit_breach(service, a_parcel(30_001)) == "overweight"
    result = price(card, [a_parcel(30_001)])
    assert result == NotServed("overweight", "parcel 1: weight 30001 g > max 30000 g")


@pytest.mark.parametrize(
    ("limit", "at_limit", "past_limit"),
    [
        # any side may be the longest: here the width
        ({"max_length_mm": 1000}, (100, 1000, 100), (100, 1001, 100)),
        # 1000 + 2 x 500 + 2 x 500 = 3000; then 1001 + 2000 = 3001
        ({"max_length_girth_mm": 3000}, (1000, 500, 500), (1001, 500, 500)),
        ({"max_dimensions_sum_mm": 1500}, (700, 500, 300), (700, 500, 301)),
    ],
    ids=["longest side", "length + girth", "dimensions sum"],
)
def test_a_parcel_at_a_size_limit_is_accepted_and_one_millimetre_more_is_oversize(
    limit: dict[str, Any], at_limit: tuple[int, int, int], past_limit: tuple[int, int, int]
) -> None:
    service = a_service(**limit)
    card = a_card(services=[service])

    assert service_limit_breach(service, Parcel(1000, *at_limit)) is None
    assert base_of(price(card, [Parcel(1000, *at_limit)])) == 900
    assert service_limit_breach(service, Parcel(1000, *past_limit)) == "oversize"
    assert reason_of(price(card, [Parcel(1000, *past_limit)])) == "oversize"


def test_overweight_is_reported_before_oversize() -> None:
    service = a_service(max_weight_g=1000, max_length_mm=500)

    assert service_limit_breach(service, Parcel(1001, 501, 10, 10)) == "overweight"


def test_the_weight_limit_applies_to_the_actual_weight_not_the_volumetric_one() -> None:
    service = a_service(max_weight_g=5000, volumetric_divisor=5000)
    card = a_card(services=[service], prices=[a_grid(extra_kg_price_cents=150)])
    # 400 x 300 x 250 mm / 5000 = 6000 g volumetric, above 5 kg; it weighs 1 kg
    result = priced(price(card, [Parcel(1000, 400, 300, 250)]))

    assert result.parcels[0].billable_weight_g == 6000
    assert result.base_cents == 1200 + 4 * 150


# --- zones ---


def corsica_card(surcharges: Sequence[Surcharge] = ()) -> RateCard:
    """The default card with a Corsica grid too: <= 250 g 800, <= 500 g 1000, <= 1 kg 1200, <= 2 kg 1500."""
    prices = [a_grid(zone="FR"), a_grid(zone="FR-COR", brackets=COR_BRACKETS)]
    return a_card(prices=prices, surcharges=surcharges)


def test_a_zone_the_service_has_no_grid_for_is_not_served() -> None:
    assert reason_of(price(a_card(), zone="FR-COR", postcode="20090")) == "zone_not_served"


def test_a_destination_no_zone_of_the_card_covers_is_not_served() -> None:
    result = price_on_card(a_card(), "HOME", "DE", "10115", [a_parcel()], fuel_bp=0, parcels_this_month=0)

    assert reason_of(result) == "zone_not_served"


def test_a_corsican_postcode_is_priced_on_the_corsica_grid_and_a_paris_one_on_the_mainland_grid() -> None:
    card = corsica_card()

    def base_to(postcode: str) -> int:
        return base_of(price_on_card(card, "HOME", "FR", postcode, [a_parcel(100)], fuel_bp=0, parcels_this_month=0))

    assert base_to("20090") == 800
    assert base_to("75001") == 500


# --- surcharges ---


def test_a_remote_area_surcharge_applies_to_postcodes_with_its_prefix() -> None:
    card = corsica_card(surcharges=[a_remote_area(ZoneEntry("FR", prefix="20"), name="Corsica", amount_cents=250)])

    def to(postcode: str) -> ShipmentPrice | NotServed:
        return price_on_card(card, "HOME", "FR", postcode, [a_parcel(100)], fuel_bp=0, parcels_this_month=0)

    assert surcharges_of(to("20090")) == (("Corsica", 250),)
    assert priced(to("20090")).total_cents == 800 + 250
    assert surcharges_of(to("75001")) == ()
    assert priced(to("75001")).total_cents == 500


@pytest.mark.parametrize(
    ("postcode", "applies"),
    [("97100", True), ("97150", True), ("97199", True), ("971 50", True), ("97200", False), ("9715", False)],
)
def test_a_remote_area_surcharge_applies_to_postcodes_in_its_range(postcode: str, applies: bool) -> None:
    card = a_card(surcharges=[a_remote_area(ZoneEntry("FR", low="97100", high="97199"), name="DOM")])

    assert surcharges_of(price(card, postcode=postcode)) == ((("DOM", 250),) if applies else ())


def test_a_remote_area_surcharge_reads_the_destination_as_the_zone_index_does() -> None:
    card = corsica_card(surcharges=[a_remote_area(ZoneEntry("FR", prefix="20"), name="Corsica")])
    result = price_on_card(card, "HOME", "fr", " 20-090", [a_parcel(100)], fuel_bp=0, parcels_this_month=0)

    assert priced(result).base_cents == 800  # Corsica, found by the zone index
    assert surcharges_of(result) == (("Corsica", 250),)


def test_a_remote_area_surcharge_applies_only_in_its_country() -> None:
    card = a_card(
        zones=[a_zone("FR", ZoneEntry("FR"), ZoneEntry("IT"))],
        surcharges=[a_remote_area(ZoneEntry("FR", prefix="20"), name="Corsica")],
    )

    assert surcharges_of(price(card, country="IT", postcode="20121")) == ()  # Milan


def test_a_surcharge_limited_to_other_services_does_not_apply() -> None:
    card = a_card(
        services=[a_service("HOME"), a_service("RELAY")],
        prices=[a_grid("HOME"), a_grid("RELAY")],
        surcharges=[a_fixed(name="Signature", amount_cents=120, services={"HOME"})],
    )

    assert surcharges_of(price(card, service="HOME")) == (("Signature", 120),)
    assert surcharges_of(price(card, service="RELAY")) == ()
    assert priced(price(card, service="RELAY")).total_cents == 500


@pytest.mark.parametrize(
    ("threshold", "below", "reaching"),
    [
        ({"min_length_mm": 1000}, Parcel(1000, 999, 100, 100), Parcel(1000, 100, 100, 1000)),
        # 799 + 2 x 300 + 2 x 300 = 1999; 800 + 1200 = 2000
        ({"min_length_girth_mm": 2000}, Parcel(1000, 799, 300, 300), Parcel(1000, 800, 300, 300)),
        ({"min_weight_g": 1500}, Parcel(1499, 100, 100, 100), Parcel(1500, 100, 100, 100)),
    ],
    ids=["longest side", "length + girth", "weight"],
)
def test_an_oversize_surcharge_applies_from_the_threshold_it_gives(
    threshold: dict[str, Any], below: Parcel, reaching: Parcel
) -> None:
    card = a_card(surcharges=[an_oversize(name="Non-standard", amount_cents=2720, **threshold)])

    assert surcharges_of(price(card, [below])) == ()
    assert surcharges_of(price(card, [reaching])) == (("Non-standard", 2720),)


def test_an_oversize_surcharge_applies_when_any_one_of_its_thresholds_is_reached() -> None:
    card = a_card(
        services=[a_service(volumetric_divisor=None)],
        prices=[a_grid(extra_kg_price_cents=100)],
        surcharges=[an_oversize(min_length_mm=1000, min_weight_g=20_000)],
    )

    assert surcharges_of(price(card, [Parcel(20_000, 500, 100, 100)])) == (("Non-standard", 2720),)
    assert surcharges_of(price(card, [Parcel(100, 1000, 100, 100)])) == (("Non-standard", 2720),)
    assert surcharges_of(price(card, [Parcel(19_999, 999, 100, 100)])) == ()


def test_the_oversize_weight_threshold_looks_at_the_actual_weight_not_the_volumetric_one() -> None:
    card = a_card(
        services=[a_service(volumetric_divisor=5000)],
        prices=[a_grid(extra_kg_price_cents=100)],
        surcharges=[an_oversize(min_weight_g=5000)],
    )
    # 400 x 300 x 250 mm / 5000 = 6000 g billable, 1 kg actual
    assert surcharges_of(price(card, [Parcel(1000, 400, 300, 250)])) == ()


def test_a_fixed_surcharge_always_applies() -> None:
    card = corsica_card(surcharges=[a_fixed(name="Signature", amount_cents=120)])

    for postcode in ("75001", "20090"):
        result = price_on_card(card, "HOME", "FR", postcode, [a_parcel(2000)], fuel_bp=0, parcels_this_month=0)
        assert surcharges_of(result) == (("Signature", 120),)


def test_surcharges_are_listed_in_card_order_and_are_neither_discounted_nor_fuelled() -> None:
    card = corsica_card(
        surcharges=[
            a_fixed(name="Signature", amount_cents=120),
            a_remote_area(ZoneEntry("FR", prefix="20"), name="Corsica", amount_cents=250),
            an_oversize(name="Non-standard", amount_cents=2720, min_length_mm=1000),
        ]
    )
    result = priced(
        price(
            card,
            [Parcel(100, 1000, 100, 100)],
            zone="FR-COR",
            postcode="20090",
            fuel_bp=1000,
            discount_bp=1000,
        )
    )

    # base 800 (Corsica <= 250 g); discount 10 % = 80; fuel 10 % of 720 = 72
    assert result.parcels == (
        ParcelPrice(
            billable_weight_g=100,
            base_cents=800,
            discount_cents=80,
            fuel_cents=72,
            surcharges=(("Signature", 120), ("Corsica", 250), ("Non-standard", 2720)),
            total_cents=800 - 80 + 72 + 120 + 250 + 2720,
        ),
    )
    assert result.surcharges_cents == 3090
    assert result.total_cents == 3882


# --- discount and fuel ---


@pytest.mark.parametrize(
    ("weight_g", "discount_bp", "expected_discount"),
    [
        (1000, 250, 23),  # 900 x 2.5 % = 22.5 -> 23
        (500, 250, 18),  # 700 x 2.5 % = 17.5 -> 18
        (100, 125, 6),  # 500 x 1.25 % = 6.25 -> 6
        (100, 10_000, 500),  # 100 % off
    ],
)
def test_the_tier_discount_is_a_share_of_the_base_rounded_half_up(
    weight_g: int, discount_bp: int, expected_discount: int
) -> None:
    assert priced(price(a_card(), [a_parcel(weight_g)], discount_bp=discount_bp)).discount_cents == expected_discount


@pytest.mark.parametrize(
    ("weight_g", "discount_bp", "fuel_bp", "expected_fuel"),
    [
        (1000, 0, 1250, 113),  # 900 x 12.5 % = 112.5 -> 113
        (100, 0, 1275, 64),  # 500 x 12.75 % = 63.75 -> 64
        (2000, 500, 1275, 145),  # (1200 - 60) x 12.75 % = 145.35 -> 145
        (2000, 500, 0, 0),
    ],
)
def test_fuel_is_a_share_of_the_discounted_base_rounded_half_up(
    weight_g: int, discount_bp: int, fuel_bp: int, expected_fuel: int
) -> None:
    result = priced(price(a_card(), [a_parcel(weight_g)], fuel_bp=fuel_bp, discount_bp=discount_bp))

    assert result.fuel_cents == expected_fuel


@pytest.mark.parametrize(
    ("parcels_this_month", "expected_discount"),
    [(0, 0), (99, 0), (100, 27), (499, 27), (500, 45), (10_000, 45)],  # 3 % then 5 % of 900
)
def test_price_on_card_applies_the_tier_discount_the_months_volume_reaches(
    parcels_this_month: int, expected_discount: int
) -> None:
    card = a_card(tiers=[VolumeTier(100, 300), VolumeTier(500, 500)])
    result = priced(
        price_on_card(
            card, "HOME", "FR", "75001", [a_parcel(1000)], fuel_bp=1000, parcels_this_month=parcels_this_month
        )
    )

    assert result.discount_cents == expected_discount
    assert result.fuel_cents == (900 - expected_discount + 5) // 10  # 10 % of the rest, half up
    assert result.total_cents == 900 - expected_discount + result.fuel_cents


# --- shipments of several parcels ---


def test_a_multi_parcel_shipment_costs_the_sum_of_its_parcels() -> None:
    card = a_card(surcharges=[a_fixed(name="Signature", amount_cents=120)])
    result = priced(price(card, [a_parcel(250), a_parcel(1500)], fuel_bp=1000, discount_bp=1000))

    # 250 g: 500 - 50 + 45 + 120 = 615; 1.5 kg: 1200 - 120 + 108 + 120 = 1308
    assert result == ShipmentPrice(
        parcels=(
            ParcelPrice(250, 500, 50, 45, (("Signature", 120),), 615),
            ParcelPrice(1500, 1200, 120, 108, (("Signature", 120),), 1308),
        ),
        base_cents=1700,
        discount_cents=170,
        fuel_cents=153,
        surcharges_cents=240,
        total_cents=1923,
    )


def test_an_oversize_surcharge_applies_only_to_the_parcels_that_reach_it() -> None:
    card = a_card(surcharges=[an_oversize(amount_cents=2720, min_length_mm=1000)])
    result = priced(price(card, [Parcel(100, 1000, 100, 100), Parcel(100, 200, 100, 100)]))

    assert [p.surcharges for p in result.parcels] == [(("Non-standard", 2720),), ()]
    assert result.surcharges_cents == 2720
    assert result.total_cents == 500 + 500 + 2720


def test_one_parcel_the_service_cannot_carry_makes_the_whole_shipment_unserved() -> None:
    card = a_card(services=[a_service(max_weight_g=1000)])
    result = price(card, [a_parcel(500), a_parcel(1001), Parcel(100, 2000, 10, 10)])

    assert result == NotServed("overweight", "parcel 2: weight 1001 g > max 1000 g")


def test_one_parcel_past_the_priced_weights_makes_the_whole_shipment_unpriced() -> None:
    result = price(a_card(), [a_parcel(2000), a_parcel(2001)])

    assert reason_of(result) == "weight_not_priced"
    assert isinstance(result, NotServed) and result.detail.startswith("parcel 2: 2001 g")


def test_an_oversize_parcel_names_the_limit_it_passes() -> None:
    card = a_card(services=[a_service(max_length_mm=1000, max_dimensions_sum_mm=1500)])

    assert price(card, [Parcel(100, 1200, 200, 200)]) == NotServed(
        "oversize", "parcel 1: longest side 1200 mm > max 1000 mm; L + W + H 1600 mm > max 1500 mm"
    )


# --- the API's contract ---


def test_an_unknown_service_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        price(a_card(), service="NOPE")
    with pytest.raises(KeyError):
        price_on_card(a_card(), "NOPE", "FR", "75001", [a_parcel()], fuel_bp=0, parcels_this_month=0)


def test_a_shipment_without_parcels_or_with_a_rate_out_of_range_is_refused() -> None:
    compiled = CompiledCard(a_card())
    with pytest.raises(ValueError, match="at least one parcel"):
        price_shipment(compiled, "HOME", "FR", "FR", "75001", [], fuel_bp=0, discount_bp=0)
    with pytest.raises(ValueError, match="out of range"):
        price(compiled, discount_bp=10_001)
    with pytest.raises(ValueError, match="out of range"):
        price(compiled, fuel_bp=-1)


def test_a_compiled_card_prices_like_the_card_it_was_compiled_from() -> None:
    card = a_card(surcharges=[a_fixed(amount_cents=120)])

    assert priced(price(CompiledCard(card), [a_parcel(300)])).total_cents == 700 + 120
    assert priced(price(card, [a_parcel(300)])).total_cents == 700 + 120
    assert compile_card(card) is compile_card(card)


def test_prices_are_ordinary_frozen_dataclass_values() -> None:
    result = price(a_card(), [a_parcel(300)], fuel_bp=1000)
    expected = ShipmentPrice((ParcelPrice(300, 700, 0, 70, (), 770),), 700, 0, 70, 0, 770)

    assert result == expected
    assert hash(result) == hash(expected)
    assert repr(result) == repr(expected)
    assert dataclasses.asdict(priced(result)) == dataclasses.asdict(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        priced(result).total_cents = 0  # type: ignore[misc]
    # price_shipment builds them without their __init__: that is only right while __init__ just stores the fields
    for cls in (ParcelPrice, ShipmentPrice):
        assert not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")


# --- property: the same prices as a straightforward reference ---


def _half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def _area_matches(area: ZoneEntry, country: str, postcode: str) -> bool:
    if area.country != country:
        return False
    if area.low:
        return len(postcode) == len(area.low) and area.low <= postcode <= area.high
    return postcode.startswith(area.prefix)


def reference_price(
    card: RateCard,
    service_code: str,
    zone_code: str,
    country: str,
    postcode: str,
    parcels: Sequence[Parcel],
    fuel_bp: int,
    discount_bp: int,
) -> str | tuple[tuple[tuple[int, int, int, int, tuple[tuple[str, int], ...], int], ...], int, int, int, int, int]:
    """The reason a shipment is not served, or its price as plain tuples: linear scans, fractions."""
    (service,) = [s for s in card.services if s.code == service_code]
    grids = [g for g in card.prices if g.service == service_code and g.zone == zone_code]
    if not grids:
        return "zone_not_served"
    grid = grids[0]
    code = "".join(ch for ch in postcode.upper() if ch.isalnum())
    rows = []
    for parcel in parcels:
        short, middle, longest = sorted((parcel.length_mm, parcel.width_mm, parcel.height_mm))
        girth = longest + 2 * short + 2 * middle
        dims = short + middle + longest
        if parcel.weight_g > service.max_weight_g:
            return "overweight"
        for size, limit in (
            (longest, service.max_length_mm),
            (girth, service.max_length_girth_mm),
            (dims, service.max_dimensions_sum_mm),
        ):
            if limit is not None and size > limit:
                return "oversize"
        billable = parcel.weight_g
        if service.volumetric_divisor is not None:
            volumetric_g = Fraction(parcel.length_mm * parcel.width_mm * parcel.height_mm, service.volumetric_divisor)
            billable = max(billable, math.ceil(volumetric_g))
        base = None
        for bracket in grid.brackets:
            if billable <= bracket.max_weight_g:
                base = bracket.price_cents
                break
        if base is None:
            if grid.extra_kg_price_cents is None:
                return "weight_not_priced"
            last = grid.brackets[-1]
            started_kg = math.ceil(Fraction(billable - last.max_weight_g, 1000))
            base = last.price_cents + started_kg * grid.extra_kg_price_cents
        discount = _half_up(Fraction(base * discount_bp, 10_000))
        fuel = _half_up(Fraction((base - discount) * fuel_bp, 10_000))
        surcharges = []
        for s in card.surcharges:
            if s.services and service_code not in s.services:
                continue
            if s.kind == SurchargeKind.REMOTE_AREA:
                applies = any(_area_matches(area, country, code) for area in s.areas)
            elif s.kind == SurchargeKind.OVERSIZE:
                applies = (
                    (s.min_length_mm is not None and longest >= s.min_length_mm)
                    or (s.min_length_girth_mm is not None and girth >= s.min_length_girth_mm)
                    or (s.min_weight_g is not None and parcel.weight_g >= s.min_weight_g)
                )
            else:
                applies = True
            if applies:
                surcharges.append((s.name, s.amount_cents))
        total = base - discount + fuel + sum(amount for _, amount in surcharges)
        rows.append((billable, base, discount, fuel, tuple(surcharges), total))
    return (
        tuple(rows),
        sum(r[1] for r in rows),
        sum(r[2] for r in rows),
        sum(r[3] for r in rows),
        sum(amount for r in rows for _, amount in r[4]),
        sum(r[5] for r in rows),
    )


AREAS = [
    ZoneEntry("FR"),
    ZoneEntry("FR", prefix="20"),
    ZoneEntry("FR", prefix="2"),
    ZoneEntry("FR", low="97100", high="97199"),
    ZoneEntry("BE"),
]
DESTINATIONS = [
    ("FR", "75001"),
    ("FR", "20090"),
    ("FR", "2a004"),
    ("FR", "971 50"),
    ("FR", "97200"),
    ("BE", "1000"),
]
ZONES = ["FR", "FR-COR", "DOM"]
SERVICES = ["S1", "S2"]


@st.composite
def grids(draw: st.DrawFn, service: str, zone: str) -> list[PriceGrid]:
    if draw(st.integers(0, 4)) == 0:  # one grid in five is missing
        return []
    bounds = sorted(draw(st.sets(st.integers(1, 20_000), min_size=1, max_size=5)))
    prices = draw(st.lists(st.integers(0, 5000), min_size=len(bounds), max_size=len(bounds)))
    extra = draw(st.none() | st.integers(0, 500))
    return [a_grid(service, zone, zip(bounds, prices, strict=True), extra)]


@st.composite
def surcharges(draw: st.DrawFn) -> Surcharge:
    kind = draw(st.sampled_from(SurchargeKind))
    name = draw(st.sampled_from(["A", "B", "C"]))
    amount = draw(st.integers(0, 3000))
    services = draw(st.frozensets(st.sampled_from(SERVICES)))
    if kind == SurchargeKind.REMOTE_AREA:
        areas = draw(st.lists(st.sampled_from(AREAS), min_size=1, max_size=3))
        return a_remote_area(*areas, name=name, amount_cents=amount, services=services)
    if kind == SurchargeKind.OVERSIZE:
        thresholds = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "min_length_mm": st.integers(1, 2000),
                    "min_length_girth_mm": st.integers(1, 5000),
                    "min_weight_g": st.integers(0, 25_000),
                },
            ).filter(bool)
        )
        return an_oversize(name=name, amount_cents=amount, services=services, **thresholds)
    return a_fixed(name=name, amount_cents=amount, services=services)


@st.composite
def cards(draw: st.DrawFn) -> RateCard:
    services = [
        a_service(
            code,
            max_weight_g=draw(st.integers(500, 30_000)),
            max_length_mm=draw(st.none() | st.integers(500, 3000)),
            max_length_girth_mm=draw(st.none() | st.integers(1000, 6000)),
            max_dimensions_sum_mm=draw(st.none() | st.integers(800, 4000)),
            volumetric_divisor=draw(st.sampled_from([None, 4000, 5000, 6000])),
        )
        for code in SERVICES
    ]
    prices = [g for service in SERVICES for zone in ZONES for g in draw(grids(service, zone))]
    zones = [a_zone("FR", ZoneEntry("FR"), ZoneEntry("BE")), a_zone("FR-COR", ZoneEntry("FR", prefix="20"))]
    return a_card(
        services=services,
        zones=zones,
        prices=prices or [a_grid("S1", "FR")],
        surcharges=draw(st.lists(surcharges(), min_size=1, max_size=4)),
    )


sides = st.integers(0, 1000)
parcels = st.builds(Parcel, st.integers(0, 25_000), sides, sides, sides)


@settings(max_examples=400, deadline=None)
@given(
    card=cards(),
    service=st.sampled_from(SERVICES),
    zone=st.sampled_from(ZONES),
    destination=st.sampled_from(DESTINATIONS),
    shipment=st.lists(parcels, min_size=1, max_size=3),
    fuel_bp=st.sampled_from([0, 1000, 1250, 2000]) | st.integers(0, 3000),  # some round to exact halves
    discount_bp=st.sampled_from([0, 250, 500, 5000]) | st.integers(0, 10_000),
)
def test_price_shipment_agrees_with_a_straightforward_reference(
    card: RateCard,
    service: str,
    zone: str,
    destination: tuple[str, str],
    shipment: list[Parcel],
    fuel_bp: int,
    discount_bp: int,
) -> None:
    country, postcode = destination
    result = price_shipment(card, service, zone, country, postcode, shipment, fuel_bp=fuel_bp, discount_bp=discount_bp)
    expected = reference_price(card, service, zone, country, postcode, shipment, fuel_bp, discount_bp)

    if isinstance(expected, str):
        assert reason_of(result) == expected
    else:
        result = priced(result)
        rows = tuple(
            (p.billable_weight_g, p.base_cents, p.discount_cents, p.fuel_cents, p.surcharges, p.total_cents)
            for p in result.parcels
        )
        fields = (result.base_cents, result.discount_cents, result.fuel_cents, result.surcharges_cents)
        assert (rows, *fields, result.total_cents) == expected


# --- the building blocks, as the quote calls them


def test_a_compiled_services_limits_accept_a_parcel_at_the_limit_and_name_the_parcel_past_it() -> None:
    limits = compile_card(a_card(services=[a_service(max_weight_g=1000, max_length_mm=500)])).services["HOME"]

    assert (
        within_limits(limits, Parcel(1000, 500, 10, 10))
        and limits_refusal(limits, Parcel(1000, 500, 10, 10), 1) is None
    )
    assert limits_refusal(limits, Parcel(1000, 501, 10, 10), 2) == NotServed(
        "oversize", "parcel 2: longest side 501 mm > max 500 mm"
    )
    assert limits_refusal(limits, Parcel(1001, 501, 10, 10), 1) == NotServed(
        "overweight", "parcel 1: weight 1001 g > max 1000 g"
    )


def test_the_bracket_index_holds_a_weight_at_a_bound_and_is_past_the_last_after_it() -> None:
    bounds = (250, 500, 1000)
    assert [bracket_index(bounds, w) for w in (1, 250, 251, 1000, 1001)] == [0, 0, 1, 2, 3]
    assert weight_refusal(a_grid(brackets=[(1000, 500)]), 1000, 1) is None
    assert weight_refusal(a_grid(brackets=[(1000, 500)]), 1001, 3) == NotServed(
        "weight_not_priced", "parcel 3: 1001 g is past the last bracket (1000 g) and the card gives no extra-kg price"
    )


def test_the_surcharges_due_at_a_destination_and_those_a_parcel_pays_of_them() -> None:
    card = a_card(
        surcharges=[
            a_remote_area(ZoneEntry("FR", prefix="20"), amount_cents=300),
            an_oversize(min_length_mm=1000, amount_cents=2000),
            a_fixed(amount_cents=100),
        ]
    )
    rules = compile_card(card).services["HOME"].surcharges
    mainland, corsica = surcharges_due(rules, "FR", "75001"), surcharges_due(rules, "FR", "20000")
    assert [r.kind for r in mainland] == [SurchargeKind.OVERSIZE, SurchargeKind.FIXED]
    assert [r.kind for r in corsica] == [SurchargeKind.REMOTE_AREA, SurchargeKind.OVERSIZE, SurchargeKind.FIXED]
    assert parcel_surcharges(corsica, Parcel(100, 999, 10, 10))[1] == 400
    assert parcel_surcharges(corsica, Parcel(100, 1000, 10, 10)) == (
        (("Remote", 300), ("Non-standard", 2000), ("Signature", 100)),
        2400,
    )
