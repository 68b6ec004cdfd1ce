"""Comparing a new rate card with the one in force, change by change, in upload units."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, time

from hypothesis import given
from hypothesis import strategies as st

from carriers.compare import Change, compare_cards, summarize
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

MON_FRI = frozenset(range(5))
MON_SAT = frozenset(range(6))


def service(code: str = "HOME", **changes: object) -> Service:
    base = Service(
        code=code,
        name=f"{code} service",
        mode=DeliveryMode.HOME,
        speed=SpeedClass.STANDARD,
        pickup_cutoff=time(17, 0),
        pickup_weekdays=MON_FRI,
        delivery_weekdays=MON_SAT,
        max_weight_g=30_000,
        transit={"FR": Transit(2, 2), "FR-COR": Transit(3, 4)},
        max_length_mm=1000,
        max_dimensions_sum_mm=1500,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def prices(service: str, zone: str, rows: list[tuple[int, int]], extra: int | None = None) -> PriceGrid:
    return PriceGrid(service, zone, tuple(Bracket(g, c) for g, c in rows), extra)


HOME_FR = [(250, 585), (500, 790), (1000, 970), (2000, 1125)]
HOME_COR = [(250, 685), (500, 890), (1000, 1070), (2000, 1225)]

CORSICA = Surcharge(SurchargeKind.REMOTE_AREA, "Corsica", 250, areas=(ZoneEntry("FR", prefix="20"),))
OVERSIZE = Surcharge(SurchargeKind.OVERSIZE, "Non-standard", 2720, min_length_mm=1200)


def card(**changes: object) -> RateCard:
    base = RateCard(
        carrier_code="colissimo",
        carrier_name="Colissimo",
        currency="EUR",
        valid_from=date(2026, 1, 1),
        services=(service(),),
        zones=(
            Zone("FR", "Metropolitan France", (ZoneEntry("FR"),)),
            Zone("FR-COR", "Corsica", (ZoneEntry("FR", prefix="20"),)),
        ),
        prices=(prices("HOME", "FR", HOME_FR), prices("HOME", "FR-COR", HOME_COR)),
        fuel_bp=1275,
        surcharges=(CORSICA, OVERSIZE),
        tiers=(VolumeTier(500, 400), VolumeTier(2000, 800)),
        notes="demo",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def only(changes: list[Change]) -> Change:
    assert len(changes) == 1, changes
    return changes[0]


def percent(old_cents: int, new_cents: int) -> float:
    return round((new_cents - old_cents) * 100 / old_cents, 2)


# ---------------------------------------------------------------- no change


def test_a_card_compared_with_itself_has_no_changes() -> None:
    assert compare_cards(card(), card()) == []


def test_equal_cards_built_separately_have_no_changes() -> None:
    assert compare_cards(card(), card(services=(service(),))) == []


# --------------------------------------------------------------------- card


def test_a_new_fuel_rate_is_reported_in_percent() -> None:
    change = only(compare_cards(card(), card(fuel_bp=1300)))
    assert (change.section, change.kind, change.what) == ("card", "changed", "fuel_percent")
    assert (change.old, change.new) == (12.75, 13.0)


def test_a_new_validity_date_is_reported_as_an_iso_date() -> None:
    change = only(compare_cards(card(), card(valid_from=date(2026, 7, 1))))
    assert (change.what, change.old, change.new) == ("valid_from", "2026-01-01", "2026-07-01")


# ------------------------------------------------------------------- prices


def test_a_changed_price_names_its_service_zone_and_bracket_bound_with_the_change_in_percent() -> None:
    new_rows = [(g, 605 if g == 250 else c) for g, c in HOME_FR]
    new = card(prices=(prices("HOME", "FR", new_rows), prices("HOME", "FR-COR", HOME_COR)))
    change = only(compare_cards(card(), new))
    assert (change.section, change.kind, change.what) == ("price", "changed", "price")
    assert (change.service, change.zone, change.bracket) == ("HOME", "FR", 250)
    assert (change.old, change.new) == (5.85, 6.05)
    assert change.percent == percent(585, 605)


def test_a_price_cut_has_a_negative_percent() -> None:
    new_rows = [(g, 900 if g == 1000 else c) for g, c in HOME_FR]
    new = card(prices=(prices("HOME", "FR", new_rows), prices("HOME", "FR-COR", HOME_COR)))
    change = only(compare_cards(card(), new))
    assert change.percent == percent(970, 900)
    assert change.percent is not None and change.percent < 0


def test_a_new_bracket_is_added_and_identified_by_its_upper_bound() -> None:
    new_rows = sorted([*HOME_FR, (750, 880)])
    new = card(prices=(prices("HOME", "FR", new_rows), prices("HOME", "FR-COR", HOME_COR)))
    change = only(compare_cards(card(), new))
    assert (change.section, change.kind, change.bracket) == ("price", "added", 750)
    assert (change.old, change.new, change.percent) == (None, 8.8, None)


def test_a_dropped_last_bracket_is_removed() -> None:
    new = card(prices=(prices("HOME", "FR", HOME_FR[:-1]), prices("HOME", "FR-COR", HOME_COR)))
    change = only(compare_cards(card(), new))
    assert (change.kind, change.bracket, change.old, change.new) == ("removed", 2000, 11.25, None)


def test_an_extra_kg_price_is_its_own_bracket() -> None:
    new = card(prices=(prices("HOME", "FR", HOME_FR, extra=70), prices("HOME", "FR-COR", HOME_COR)))
    change = only(compare_cards(card(), new))
    assert (change.kind, change.bracket, change.what, change.new) == (
        "added",
        "extra_kg",
        "extra_kg_price",
        0.7,
    )
    raised = card(prices=(prices("HOME", "FR", HOME_FR, extra=77), prices("HOME", "FR-COR", HOME_COR)))
    change = only(compare_cards(new, raised))
    assert (change.kind, change.bracket, change.percent) == ("changed", "extra_kg", percent(70, 77))


def test_price_changes_come_by_increasing_bracket_with_the_extra_kg_price_last() -> None:
    old = card(prices=(prices("HOME", "FR", HOME_FR, extra=70), prices("HOME", "FR-COR", HOME_COR)))
    raised = [(g, c + 10) for g, c in HOME_FR]
    new = card(prices=(prices("HOME", "FR", raised, extra=80), prices("HOME", "FR-COR", HOME_COR)))
    assert [c.bracket for c in compare_cards(old, new)] == [250, 500, 1000, 2000, "extra_kg"]


def test_a_zone_no_longer_priced_loses_every_bracket() -> None:
    new = card(prices=(prices("HOME", "FR", HOME_FR),))
    changes = compare_cards(card(), new)
    assert {(c.section, c.kind, c.zone) for c in changes} == {("price", "removed", "FR-COR")}
    assert [c.bracket for c in changes] == [g for g, _ in HOME_COR]


def test_changing_currency_gives_no_percent() -> None:
    new_rows = [(g, c + 100) for g, c in HOME_FR]
    new = card(currency="CHF", prices=(prices("HOME", "FR", new_rows), prices("HOME", "FR-COR", HOME_COR)))
    changes = compare_cards(card(), new)
    price_changes = [c for c in changes if c.section == "price"]
    assert len(price_changes) == len(HOME_FR)
    assert all(c.percent is None for c in price_changes)
    assert any(c.what == "currency" for c in changes)


def test_a_price_that_was_free_gives_no_percent() -> None:
    old = card(prices=(prices("HOME", "FR", [(250, 0), *HOME_FR[1:]]), prices("HOME", "FR-COR", HOME_COR)))
    change = only(compare_cards(old, card()))
    assert (change.old, change.new, change.percent) == (0.0, 5.85, None)


# ----------------------------------------------------------------- services


def test_service_limits_are_reported_in_kilograms_and_centimetres() -> None:
    new = card(services=(service(max_weight_g=25_000, max_length_mm=1200),))
    changes = {c.what: c for c in compare_cards(card(), new)}
    assert set(changes) == {"max_weight_kg", "max_length_cm"}
    assert (changes["max_weight_kg"].old, changes["max_weight_kg"].new) == (30, 25)
    assert (changes["max_length_cm"].old, changes["max_length_cm"].new) == (100, 120)
    assert all(c.service == "HOME" and c.section == "service" for c in changes.values())


def test_a_limit_that_appears_is_a_change_from_none() -> None:
    change = only(compare_cards(card(), card(services=(service(max_length_girth_mm=3000),))))
    assert (change.what, change.old, change.new) == ("max_length_girth_cm", None, 300)


def test_cut_off_and_weekdays_are_reported_as_written_in_an_upload() -> None:
    new = card(services=(service(pickup_cutoff=time(15, 30), delivery_weekdays=MON_FRI),))
    changes = {c.what: (c.old, c.new) for c in compare_cards(card(), new)}
    assert changes == {"pickup_cutoff": ("17:00", "15:30"), "delivery_days": ("Mon-Sat", "Mon-Fri")}


def test_a_new_mode_and_speed_are_reported_by_their_upload_names() -> None:
    new = card(services=(service(mode=DeliveryMode.PICKUP_POINT, speed=SpeedClass.EXPRESS),))
    changes = {c.what: (c.old, c.new) for c in compare_cards(card(), new)}
    assert changes == {"mode": ("home", "pickup_point"), "speed": ("standard", "express")}


def test_a_new_service_brings_its_transit_and_prices_as_added() -> None:
    relay = service("RELAY", name="Point Relais", transit={"FR": Transit(3, 5)})
    relay_rows = [(500, 420), (1000, 500)]
    new = card(
        services=(service(), relay),
        prices=(*card().prices, prices("RELAY", "FR", relay_rows)),
    )
    changes = compare_cards(card(), new)
    assert {c.kind for c in changes} == {"added"}
    assert [(c.section, c.service) for c in changes if c.section != "price"] == [
        ("service", "RELAY"),
        ("transit", "RELAY"),
    ]
    assert only([c for c in changes if c.section == "service"]).new == "Point Relais"
    assert only([c for c in changes if c.section == "transit"]).new == (3, 5)
    assert [(c.zone, c.bracket, c.new) for c in changes if c.section == "price"] == [
        ("FR", 500, 4.2),
        ("FR", 1000, 5.0),
    ]


def test_a_withdrawn_service_is_removed_with_its_transit_and_prices() -> None:
    changes = compare_cards(card(), card(services=(), prices=()))
    assert {c.kind for c in changes} == {"removed"}
    assert len([c for c in changes if c.section == "service"]) == 1
    assert len([c for c in changes if c.section == "transit"]) == 2
    assert len([c for c in changes if c.section == "price"]) == len(HOME_FR) + len(HOME_COR)


# ---------------------------------------------------------- zones and transit


def test_a_slower_transit_is_reported_as_min_and_max_days() -> None:
    slower = service(transit={"FR": Transit(2, 3), "FR-COR": Transit(3, 4)})
    change = only(compare_cards(card(), card(services=(slower,))))
    assert (change.section, change.service, change.zone) == ("transit", "HOME", "FR")
    assert (change.old, change.new) == ((2, 2), (2, 3))


def test_an_entry_added_to_a_zone_is_reported_in_upload_syntax() -> None:
    bigger = Zone("FR-COR", "Corsica", (ZoneEntry("FR", prefix="20"), ZoneEntry("FR", low="98000", high="98099")))
    new = card(zones=(card().zones[0], bigger))
    change = only(compare_cards(card(), new))
    assert (change.section, change.kind, change.what, change.zone) == ("zone", "added", "entry", "FR-COR")
    assert change.new == "FR 98000-98099"


def test_a_renamed_zone_is_a_change_of_name() -> None:
    renamed = Zone("FR", "Mainland", (ZoneEntry("FR"),))
    change = only(compare_cards(card(), card(zones=(renamed, card().zones[1]))))
    assert (change.what, change.old, change.new) == ("name", "Metropolitan France", "Mainland")


def test_a_new_zone_lists_its_entries() -> None:
    monaco = Zone("MC", "Monaco", (ZoneEntry("MC"),))
    changes = compare_cards(card(), card(zones=(*card().zones, monaco)))
    assert [(c.what, c.kind, c.new) for c in changes] == [
        ("zone", "added", "Monaco"),
        ("entry", "added", "MC"),
    ]


# ------------------------------------------------------- surcharges and tiers


def test_a_raised_surcharge_is_named_by_kind_and_name_with_its_percent() -> None:
    new = card(surcharges=(replace(CORSICA, amount_cents=300), OVERSIZE))
    change = only(compare_cards(card(), new))
    assert (change.section, change.what, change.surcharge) == ("surcharge", "amount", "remote_area: Corsica")
    assert (change.old, change.new, change.percent) == (2.5, 3.0, percent(250, 300))


def test_a_surcharge_moved_to_other_postcodes_lists_its_areas() -> None:
    moved = replace(CORSICA, areas=(ZoneEntry("FR", prefix="201"), ZoneEntry("FR", prefix="202")))
    change = only(compare_cards(card(), card(surcharges=(moved, OVERSIZE))))
    assert (change.what, change.old, change.new) == ("areas", ("FR 20",), ("FR 201", "FR 202"))


def test_an_oversize_threshold_is_reported_in_centimetres() -> None:
    new = card(surcharges=(CORSICA, replace(OVERSIZE, min_length_mm=1000)))
    change = only(compare_cards(card(), new))
    assert (change.what, change.old, change.new) == ("min_length_cm", 120, 100)


def test_a_new_surcharge_is_added_with_its_amount() -> None:
    fee = Surcharge(SurchargeKind.FIXED, "Home delivery", 145, services=frozenset({"HOME"}))
    change = only(compare_cards(card(), card(surcharges=(CORSICA, OVERSIZE, fee))))
    assert (change.kind, change.surcharge, change.new) == ("added", "fixed: Home delivery", 1.45)


def test_tiers_are_matched_by_threshold() -> None:
    new = card(tiers=(VolumeTier(500, 500), VolumeTier(5000, 1000)))
    changes = {(c.kind, c.min_parcels): (c.old, c.new) for c in compare_cards(card(), new)}
    assert changes == {
        ("changed", 500): (4, 5),
        ("removed", 2000): (8, None),
        ("added", 5000): (None, 10),
    }


# ------------------------------------------------------------------ summary


def test_the_summary_counts_changes_per_kind_and_averages_price_changes() -> None:
    raised = [(250, 600), (500, 790), (1000, 1000), (2000, 1125), (5000, 1725)]
    new = card(
        prices=(prices("HOME", "FR", raised), prices("HOME", "FR-COR", HOME_COR)),
        tiers=(VolumeTier(500, 400),),
        fuel_bp=1300,
    )
    summary = summarize(compare_cards(card(), new))
    assert (summary.added, summary.removed, summary.changed) == (1, 1, 3)
    assert summary.total == 5
    assert (summary.prices_up, summary.prices_down) == (2, 0)
    expected = ((600 - 585) / 585 + (1000 - 970) / 970) / 2 * 100
    assert summary.average_price_change_percent == round(expected, 2)


def test_the_summary_of_no_changes_has_no_average() -> None:
    summary = summarize([])
    assert (summary.total, summary.average_price_change_percent) == (0, None)


def decoded_by(decoded: list[dict[str, object]], what: str) -> dict[str, object]:
    [found] = [d for d in decoded if d["what"] == what]
    return found


def test_changes_and_summary_are_plain_json() -> None:
    new = card(
        services=(service(transit={"FR": Transit(1, 2), "FR-COR": Transit(3, 4)}),),
        surcharges=(replace(CORSICA, areas=(ZoneEntry("FR", prefix="2"),)),),
        fuel_bp=0,
    )
    changes = compare_cards(card(), new)
    decoded = json.loads(json.dumps([c.to_dict() for c in changes]))
    assert {"what": "transit_days", "old": [2, 2], "new": [1, 2]}.items() <= decoded_by(decoded, "transit_days").items()
    assert {"what": "areas", "old": ["FR 20"], "new": ["FR 2"]}.items() <= decoded_by(decoded, "areas").items()
    assert json.loads(json.dumps(summarize(changes).to_dict()))["total"] == len(changes)


# ----------------------------------------------------------------- property

bracket_rows = st.dictionaries(st.integers(1, 40).map(lambda kg: kg * 250), st.integers(0, 5000), max_size=6)
price_tables = st.dictionaries(st.sampled_from(["FR", "FR-COR"]), bracket_rows.filter(bool), max_size=2)


def card_with(table: dict[str, dict[int, int]]) -> RateCard:
    grids = tuple(prices("HOME", zone, sorted(rows.items())) for zone, rows in table.items())
    return card(prices=grids)


@given(price_tables, price_tables)
def test_each_price_that_differs_is_reported_once_and_only_those(
    old: dict[str, dict[int, int]], new: dict[str, dict[int, int]]
) -> None:
    expected = {}
    for zone in set(old) | set(new):
        a, b = old.get(zone, {}), new.get(zone, {})
        for bound in set(a) | set(b):
            if a.get(bound) != b.get(bound):
                kind = "added" if bound not in a else "removed" if bound not in b else "changed"
                expected[(zone, bound)] = kind
    changes = compare_cards(card_with(old), card_with(new))
    assert {(c.zone, c.bracket): c.kind for c in changes} == expected
    assert len(changes) == len(expected)
    for c in changes:
        assert isinstance(c.zone, str) and isinstance(c.bracket, int)
        a_cents, b_cents = old.get(c.zone, {}).get(c.bracket), new.get(c.zone, {}).get(c.bracket)
        assert c.old == (None if a_cents is None else a_cents / 100)
        assert c.new == (None if b_cents is None else b_cents / 100)


@given(price_tables, price_tables)
def test_comparing_the_other_way_round_swaps_added_and_removed(
    old: dict[str, dict[int, int]], new: dict[str, dict[int, int]]
) -> None:
    swap = {"added": "removed", "removed": "added", "changed": "changed"}
    forward = compare_cards(card_with(old), card_with(new))
    backward = compare_cards(card_with(new), card_with(old))
    assert {(c.zone, c.bracket, swap[c.kind], c.new, c.old) for c in forward} == {
        (c.zone, c.bracket, c.kind, c.old, c.new) for c in backward
    }
