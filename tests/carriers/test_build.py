"""The checks of `build_rate_card`, one rule at a time, through the CSV tables.

The checks are the same for every format (readers only flatten); CSV is the
shortest way to put one wrong value in one cell, and each test asserts the
exact place the problem names: file, row, column.
"""

from __future__ import annotations

import pytest

from carriers.build import RateCardRejected, build_rate_card
from carriers.model import Bracket, ZoneEntry
from carriers.readers import read_csv_files
from carriers.tables import Tables
from tests.carriers.builders import (
    add_row,
    example_card,
    example_csv,
    find,
    refusal,
    replace_table,
    set_cell,
)
from tms.domain.errors import InvalidInput, Problem

# Rows of the example's CSV files (row 1 is the header).
HOME_FR_FIRST = 2  # prices.csv: HOME, FR, 0 -> 0.25 kg
HOME_FR_SECOND = 3  # prices.csv: HOME, FR, 0.25 -> 0.5 kg
EXPRESS_EXTRA = 38  # prices.csv: EXPRESS, FR, 10 -> extra_kg


def refused_csv(files: dict[str, bytes]) -> list[Problem]:
    return refusal(lambda: read_csv_files(files))


def test_the_example_tables_build_the_example_card() -> None:
    assert read_csv_files(example_csv()) == example_card()


def test_a_refusal_is_an_invalid_input_with_its_own_code_and_every_problem() -> None:
    with pytest.raises(RateCardRejected) as caught:
        read_csv_files(set_cell(example_csv(), "prices", HOME_FR_FIRST, "price", "abc"))
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.code == "rate_card_rejected"
    assert caught.value.message == "the rate card was refused: 1 problem"


def test_every_problem_is_reported_at_once_not_only_the_first() -> None:
    files = example_csv()
    set_cell(files, "card", 4, "value", "EUX")
    set_cell(files, "services", 2, "mode", "drone")
    set_cell(files, "zones", 3, "country", "XX")
    set_cell(files, "prices", HOME_FR_SECOND, "price", "n/a")
    set_cell(files, "tiers", 3, "discount_percent", "100")
    problems = refused_csv(files)
    assert {(p.sheet, p.row, p.column) for p in problems} == {
        ("card.csv", 4, "value"),
        ("services.csv", 2, "mode"),
        ("zones.csv", 3, "country"),
        ("prices.csv", HOME_FR_SECOND, "price"),
        ("tiers.csv", 3, "discount_percent"),
    }


def test_tables_missing_with_no_word_from_the_reader_are_refused_by_name() -> None:
    problems = refusal(lambda: build_rate_card(Tables()))
    assert [p.message for p in problems] == [
        "missing table card",
        "missing table services",
        "missing table zones",
        "missing table transit",
        "missing table prices",
    ]


# -- columns and keys


def test_an_unknown_column_is_refused_on_the_header() -> None:
    rows = example_csv()
    replace_table(rows, "tiers", "min_parcels,discount_percent,discont\n500,5,")
    problem = find(refused_csv(rows), "unknown column 'discont'", sheet="tiers.csv", row=1, column="discont")
    assert "min_parcels, discount_percent" in problem.message


def test_a_missing_required_column_is_reported_once_not_on_every_row() -> None:
    files = replace_table(example_csv(), "transit", "service,zone,min_days\nHOME,FR,2")
    problems = refused_csv(files)
    find(problems, "missing column 'max_days'", sheet="transit.csv", row=None)
    assert len(problems) == 1  # neither each row nor each price grid left without transit


def test_column_names_are_case_insensitive() -> None:
    files = replace_table(example_csv(), "tiers", "Min_Parcels,DISCOUNT_PERCENT\n500,5\n2000,8.5")
    assert read_csv_files(files) == example_card()


def test_a_card_without_its_currency_is_refused_naming_the_key() -> None:
    files = replace_table(
        example_csv(),
        "card",
        "key,value\ncarrier_code,colissimo\ncarrier_name,Colissimo\nvalid_from,2026-01-01",
    )
    find(refused_csv(files), "missing key 'currency'", sheet="card.csv")


def test_an_unknown_card_key_is_refused() -> None:
    find(
        refused_csv(add_row(example_csv(), "card", key="fuel", value="3")),
        "unknown key 'fuel'",
        sheet="card.csv",
        row=8,
        column="key",
    )


def test_a_card_key_given_twice_is_refused() -> None:
    problems = refused_csv(add_row(example_csv(), "card", key="currency", value="EUR"))
    find(problems, "key 'currency' is given twice (first at sheet 'card.csv', row 4", row=8, column="key")


def test_an_upper_case_carrier_code_is_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "card", 2, "value", "Colissimo"))
    find(problems, "lower-case letters, digits", sheet="card.csv", row=2, column="value")


def test_an_unknown_currency_is_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "card", 4, "value", "EUX"))
    find(problems, "'EUX' is not an ISO 4217 currency code", row=4, column="value")


def test_a_currency_in_lower_case_is_accepted_as_upper_case() -> None:
    assert read_csv_files(set_cell(example_csv(), "card", 4, "value", "eur")).currency == "EUR"


@pytest.mark.parametrize("value", ["01/01/2026", "2026-02-30", "tomorrow"])
def test_a_valid_from_that_is_not_a_yyyy_mm_dd_date_is_refused(value: str) -> None:
    problems = refused_csv(set_cell(example_csv(), "card", 5, "value", value))
    find(problems, "must be a date written YYYY-MM-DD", row=5, column="value")


def test_a_fuel_percent_below_0_or_above_100_is_refused() -> None:
    find(refused_csv(set_cell(example_csv(), "card", 6, "value", "-1")), "must not be negative", row=6)
    find(refused_csv(set_cell(example_csv(), "card", 6, "value", "101")), "at most 100 %", row=6)


def test_a_fuel_percent_is_stored_in_basis_points_and_defaults_to_0() -> None:
    assert example_card().fuel_bp == 1275
    files = replace_table(
        example_csv(),
        "card",
        "key,value\ncarrier_code,colissimo\ncarrier_name,Colissimo\ncurrency,EUR\nvalid_from,2026-01-01",
    )
    assert read_csv_files(files).fuel_bp == 0


def test_a_text_with_a_control_character_is_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "card", 3, "value", "Colis\x07simo"))
    find(problems, "control character", row=3, column="value")


# -- numbers and units


def test_a_price_that_is_not_a_number_names_its_cell() -> None:
    problems = refused_csv(set_cell(example_csv(), "prices", HOME_FR_SECOND, "price", "seven"))
    problem = find(problems, "must be a number, not 'seven'", sheet="prices.csv", row=HOME_FR_SECOND)
    assert problem.column == "price"


def test_a_weight_finer_than_a_gram_is_refused_not_rounded() -> None:
    problems = refused_csv(set_cell(example_csv(), "services", 2, "max_weight_kg", "30.0005"))
    find(
        problems,
        "30.0005 has too many decimals: weights are in kg with at most 3 decimals",
        row=2,
        column="max_weight_kg",
    )


@pytest.mark.parametrize("value", ["1.000000000000000000000000000001", "1e-999999999"])
def test_a_weight_finer_than_a_gram_by_many_digits_is_still_refused(value: str) -> None:
    problems = refused_csv(set_cell(example_csv(), "services", 2, "max_weight_kg", value))
    find(problems, "has too many decimals", row=2, column="max_weight_kg")


def test_trailing_zeros_and_exponents_are_exact_numbers() -> None:
    card = read_csv_files(set_cell(example_csv(), "services", 2, "max_weight_kg", "3.0000e1"))
    assert card.service("HOME").max_weight_g == 30_000


def test_a_price_finer_than_a_cent_is_refused_not_rounded() -> None:
    problems = refused_csv(set_cell(example_csv(), "prices", HOME_FR_FIRST, "price", "5.855"))
    find(problems, "at most 2 decimals (whole cents)", row=HOME_FR_FIRST, column="price")


def test_a_length_finer_than_a_millimetre_is_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "services", 2, "max_length_cm", "100.25"))
    find(problems, "lengths are in cm with at most 1 decimal", row=2, column="max_length_cm")


def test_units_are_stored_as_exact_integers() -> None:
    card = read_csv_files(set_cell(example_csv(), "services", 2, "max_length_cm", "99.5"))
    home = card.service("HOME")
    assert (home.max_weight_g, home.max_length_mm, home.max_dimensions_sum_mm) == (30_000, 995, 1500)
    assert card.grid("HOME", "FR") is not None
    assert card.grid("HOME", "FR").brackets[0] == Bracket(250, 585)  # type: ignore[union-attr]


def test_a_negative_price_is_refused_but_a_free_bracket_is_accepted() -> None:
    find(
        refused_csv(set_cell(example_csv(), "prices", HOME_FR_FIRST, "price", "-1")),
        "must not be negative",
        row=HOME_FR_FIRST,
        column="price",
    )
    card = read_csv_files(set_cell(example_csv(), "prices", HOME_FR_FIRST, "price", "0"))
    assert card.grid("HOME", "FR").brackets[0].price_cents == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["0", "-2"])
def test_a_max_weight_of_zero_or_less_is_refused(value: str) -> None:
    problems = refused_csv(set_cell(example_csv(), "services", 2, "max_weight_kg", value))
    find(problems, "must be greater than 0", row=2, column="max_weight_kg")


@pytest.mark.parametrize("value", ["2000000", "1e999999999"])
def test_an_absurdly_large_number_is_refused_as_a_typo(value: str) -> None:
    problems = refused_csv(set_cell(example_csv(), "services", 2, "max_weight_kg", value))
    find(problems, "is too large", row=2, column="max_weight_kg")


def test_a_required_cell_left_empty_is_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "services", 3, "speed", ""))
    find(problems, "a value is required", sheet="services.csv", row=3, column="speed")


def test_a_volumetric_divisor_must_be_a_whole_number() -> None:
    problems = refused_csv(set_cell(example_csv(), "services", 4, "volumetric_divisor", "5000.5"))
    find(problems, "must be a whole number", row=4, column="volumetric_divisor")


# -- services


def test_an_unknown_mode_or_speed_is_refused_listing_the_choices() -> None:
    files = set_cell(example_csv(), "services", 2, "mode", "drone")
    set_cell(files, "services", 3, "speed", "fast")
    problems = refused_csv(files)
    find(problems, "'drone' is not one of: home, pickup_point, locker", row=2, column="mode")
    find(problems, "'fast' is not one of: economy, standard, express", row=3, column="speed")


@pytest.mark.parametrize("value", ["25:00", "5pm", "17:0", "17:00:00"])
def test_a_pickup_cutoff_that_is_not_hh_mm_is_refused(value: str) -> None:
    problems = refused_csv(set_cell(example_csv(), "services", 2, "pickup_cutoff", value))
    find(problems, "must be a time written HH:MM", row=2, column="pickup_cutoff")


@pytest.mark.parametrize(
    ("spec", "days"),
    [
        ("Mon-Fri", {0, 1, 2, 3, 4}),
        ("Mon-Sat", {0, 1, 2, 3, 4, 5}),
        ("Mon,Wed,Fri", {0, 2, 4}),
        ("mon - wed, sat", {0, 1, 2, 5}),
        ("Sun", {6}),
    ],
)
def test_weekday_specs_are_ranges_lists_or_both(spec: str, days: set[int]) -> None:
    card = read_csv_files(set_cell(example_csv(), "services", 2, "pickup_days", spec))
    assert card.service("HOME").pickup_weekdays == frozenset(days)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Mon-Funday", "is not a list of weekdays"),
        ("Monday", "is not a list of weekdays"),
        ("Mon,,Fri", "is not a list of weekdays"),
        ("Sat-Mon", "'Sat-Mon' runs backwards"),
    ],
)
def test_a_bad_weekday_spec_is_refused(spec: str, message: str) -> None:
    problems = refused_csv(set_cell(example_csv(), "services", 2, "delivery_days", spec))
    find(problems, message, row=2, column="delivery_days")


def test_a_service_code_given_twice_even_in_another_case_is_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "services", 3, "service", "home"))
    find(
        problems,
        "service home is defined twice (first at sheet 'services.csv', row 2",
        row=3,
        column="service",
    )


@pytest.mark.parametrize("code", ["HOME DELIVERY", "A" * 25, "-HOME"])
def test_a_service_code_that_cannot_name_a_price_sheet_is_refused(code: str) -> None:
    problems = refused_csv(set_cell(example_csv(), "services", 2, "service", code))
    find(
        problems,
        "a service code uses letters, digits, '_' and '-', at most 24 characters",
        row=2,
        column="service",
    )


def test_a_card_with_no_services_zones_or_prices_is_refused() -> None:
    files = example_csv()
    for table in ("services", "zones", "prices"):
        files[f"{table}.csv"] = files[f"{table}.csv"].splitlines()[0] + b"\n"
    problems = refused_csv(files)
    for table in ("services", "zones", "prices"):
        find(problems, f"the card has no {table}", sheet=f"{table}.csv", row=None)


# -- zones


def test_an_unknown_country_is_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "zones", 4, "country", "UK"))
    find(problems, "'UK' is not an ISO 3166 alpha-2 country code", sheet="zones.csv", row=4, column="country")


@pytest.mark.parametrize(
    ("postcodes", "message"),
    [
        ("97100-9719", "the ends of the range '97100-9719' must have the same length"),
        ("97199-97100", "the range '97199-97100' ends before it starts"),
        ("20-", "is not a postcode range"),
        ("20*", "is not a postcode pattern"),
        ("20,,21", "an empty item in the list of postcodes"),
    ],
)
def test_a_bad_postcode_pattern_is_refused(postcodes: str, message: str) -> None:
    problems = refused_csv(set_cell(example_csv(), "zones", 3, "postcodes", postcodes))
    find(problems, message, sheet="zones.csv", row=3, column="postcodes")


def test_postcode_patterns_are_prefixes_and_ranges_separated_by_commas() -> None:
    card = read_csv_files(set_cell(example_csv(), "zones", 3, "postcodes", "20, 97100-97199, 1012 ab"))
    assert card.zones[1].entries == (
        ZoneEntry("FR", prefix="20"),
        ZoneEntry("FR", low="97100", high="97199"),
        ZoneEntry("FR", prefix="1012AB"),
    )


def test_a_zone_nested_in_another_is_accepted_and_overlapping_zones_are_refused() -> None:
    assert example_card().zones[1].entries == (ZoneEntry("FR", prefix="20"),)  # Corsica inside FR
    files = add_row(example_csv(), "zones", zone="ISLANDS", name="Islands", country="FR", postcodes="20")
    problems = refused_csv(files)
    find(
        problems,
        "zone ISLANDS (FR postcodes 20) overlaps zone FR-COR (FR postcodes 20, at sheet 'zones.csv', row 3",
        sheet="zones.csv",
        row=5,
        column="postcodes",
    )


def test_a_zone_has_several_rows_and_its_name_on_the_first() -> None:
    files = add_row(example_csv(), "zones", zone="BE", country="LU")
    assert read_csv_files(files).zones[2].entries == (ZoneEntry("BE"), ZoneEntry("LU"))


def test_a_zone_without_a_name_or_with_two_names_is_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "zones", 4, "name", ""))
    find(problems, "a value is required", row=4, column="name")
    problems = refused_csv(add_row(example_csv(), "zones", zone="BE", name="Belgique", country="LU"))
    find(problems, "zone BE is already named 'Belgium'", row=5, column="name")


def test_the_same_entry_twice_in_a_zone_is_refused() -> None:
    problems = refused_csv(add_row(example_csv(), "zones", zone="BE", country="BE"))
    find(problems, "zone BE already has the whole of BE", row=5, column="country")


def test_a_zone_code_given_twice_in_another_case_is_refused() -> None:
    problems = refused_csv(add_row(example_csv(), "zones", zone="be", name="Belgique", country="LU"))
    find(problems, "zone be is defined twice", row=5, column="zone")


def test_a_zone_cannot_be_called_like_a_price_sheet_column() -> None:
    problems = refused_csv(add_row(example_csv(), "zones", zone="to_kg", name="X", country="LU"))
    find(problems, "'to_kg' cannot be a zone code", row=5, column="zone")


# -- brackets


def test_a_first_bracket_that_does_not_start_at_0_is_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "prices", HOME_FR_FIRST, "from_kg", "0.1"))
    find(problems, "the first bracket must start at 0", row=HOME_FR_FIRST, column="from_kg")


def test_a_gap_between_brackets_names_the_row_after_it() -> None:
    problems = refused_csv(set_cell(example_csv(), "prices", HOME_FR_SECOND, "from_kg", "0.3"))
    find(
        problems,
        "a gap: this bracket starts at 0.3 kg but the previous one ends at 0.25 kg",
        sheet="prices.csv",
        row=HOME_FR_SECOND,
        column="from_kg",
    )


def test_overlapping_brackets_are_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "prices", HOME_FR_SECOND, "from_kg", "0.2"))
    find(problems, "overlaps the previous one, which ends at 0.25 kg", row=HOME_FR_SECOND, column="from_kg")


def test_bounds_that_do_not_increase_are_refused() -> None:
    files = set_cell(example_csv(), "prices", HOME_FR_SECOND, "to_kg", "0.25")
    find(
        refused_csv(files),
        "to_kg must be greater than the previous bound (0.25 kg)",
        row=HOME_FR_SECOND,
        column="to_kg",
    )


def test_the_extra_kg_row_prices_each_started_kilogram_past_the_last_bracket() -> None:
    grid = example_card().grid("EXPRESS", "FR")
    assert grid is not None and grid.extra_kg_price_cents == 120
    assert grid.base_price_cents(10_000) == 3300
    assert grid.base_price_cents(11_500) == 3300 + 2 * 120
    assert example_card().grid("HOME", "FR").base_price_cents(30_001) is None  # type: ignore[union-attr]


def test_the_extra_kg_row_may_leave_from_kg_empty() -> None:
    card = read_csv_files(set_cell(example_csv(), "prices", EXPRESS_EXTRA, "from_kg", ""))
    assert card == example_card()


def test_an_extra_kg_row_starting_elsewhere_than_the_last_bound_is_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "prices", EXPRESS_EXTRA, "from_kg", "5"))
    find(
        problems,
        "the extra_kg row starts where the last bracket ends (10 kg), not at 5 kg",
        row=EXPRESS_EXTRA,
        column="from_kg",
    )


def test_a_row_after_the_extra_kg_row_is_refused() -> None:
    files = add_row(example_csv(), "prices", service="EXPRESS", zone="FR", from_kg="10", to_kg="20", price="40")
    find(refused_csv(files), "the extra_kg row must be the grid's last", row=EXPRESS_EXTRA + 1, column="to_kg")


def test_an_extra_kg_row_without_brackets_is_refused() -> None:
    files = add_row(example_csv(), "prices", service="EXPRESS", zone="BE", from_kg="0", to_kg="extra_kg", price="2")
    add_row(files, "transit", service="EXPRESS", zone="BE", min_days="1", max_days="2")
    find(refused_csv(files), "needs at least one bracket above it", row=EXPRESS_EXTRA + 1, column="to_kg")


def test_adjacent_brackets_of_the_same_price_become_one() -> None:
    card = read_csv_files(set_cell(example_csv(), "prices", HOME_FR_SECOND, "price", "5.85"))
    brackets = card.grid("HOME", "FR").brackets  # type: ignore[union-attr]
    assert brackets[:2] == (Bracket(500, 585), Bracket(1000, 1015))


def test_a_grid_of_an_unknown_service_or_zone_is_refused() -> None:
    files = add_row(example_csv(), "prices", service="ECO", zone="FR", from_kg="0", to_kg="1", price="3")
    add_row(files, "prices", service="HOME", zone="DE", from_kg="0", to_kg="1", price="3")
    problems = refused_csv(files)
    find(problems, "unknown service 'ECO'; the card has HOME, PICKUP, EXPRESS", row=39, column="service")
    find(problems, "unknown zone 'DE'; the card has FR, FR-COR, BE", row=40, column="zone")


def test_a_priced_service_and_zone_without_a_transit_time_is_refused_at_its_grid() -> None:
    files = replace_table(
        example_csv(),
        "transit",
        "service,zone,min_days,max_days\nHOME,FR,2,2\nHOME,FR-COR,3,4\nPICKUP,FR,3,4\nPICKUP,BE,4,5\nEXPRESS,FR,1,1",
    )
    problems = refused_csv(files)
    problem = find(problems, "no transit time for service HOME to zone BE", sheet="prices.csv", column="zone")
    assert problem.row == 16 and len(problems) == 1


# -- transit


def test_a_transit_row_of_an_unknown_service_or_zone_is_refused() -> None:
    files = add_row(example_csv(), "transit", service="ECO", zone="XX", min_days="1", max_days="2")
    problems = refused_csv(files)
    find(problems, "unknown service 'ECO'", sheet="transit.csv", row=8, column="service")
    find(problems, "unknown zone 'XX'", sheet="transit.csv", row=8, column="zone")


def test_transit_days_must_be_0_or_more_and_min_at_most_max() -> None:
    problems = refused_csv(set_cell(example_csv(), "transit", 2, "min_days", "3"))
    find(problems, "max_days must be at least min_days (3)", row=2, column="max_days")
    problems = refused_csv(set_cell(example_csv(), "transit", 2, "min_days", "-1"))
    find(problems, "must not be negative", row=2, column="min_days")


def test_a_refused_transit_row_does_not_also_leave_its_grid_without_transit() -> None:
    problems = refused_csv(set_cell(example_csv(), "transit", 2, "max_days", "two"))
    assert [(p.sheet, p.row, p.column) for p in problems] == [("transit.csv", 2, "max_days")]


def test_a_same_day_transit_is_accepted() -> None:
    files = set_cell(example_csv(), "transit", 7, "min_days", "0")
    assert read_csv_files(files).service("EXPRESS").transit["FR"].min_days == 0


def test_a_transit_given_twice_is_refused() -> None:
    files = add_row(example_csv(), "transit", service="HOME", zone="FR", min_days="1", max_days="2")
    find(refused_csv(files), "transit of service HOME to zone FR is given twice", row=8, column="zone")


# -- surcharges


def test_an_unknown_surcharge_kind_is_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "surcharges", 2, "kind", "remote"))
    find(
        problems,
        "'remote' is not one of: remote_area, oversize, fixed",
        sheet="surcharges.csv",
        row=2,
        column="kind",
    )


def test_a_remote_area_surcharge_needs_a_country() -> None:
    problems = refused_csv(set_cell(example_csv(), "surcharges", 2, "country", ""))
    find(problems, "a remote_area surcharge needs an area", row=2, column="country")


def test_a_remote_area_surcharge_refuses_size_thresholds() -> None:
    problems = refused_csv(set_cell(example_csv(), "surcharges", 2, "min_weight_kg", "20"))
    find(problems, "min_weight_kg is only for oversize surcharges", row=2, column="min_weight_kg")


def test_an_oversize_surcharge_needs_a_threshold() -> None:
    files = set_cell(example_csv(), "surcharges", 3, "min_length_cm", "")
    set_cell(files, "surcharges", 3, "min_weight_kg", "")
    find(refused_csv(files), "needs at least one of min_length_cm", row=3, column="min_length_cm")


def test_an_oversize_surcharge_refuses_an_area() -> None:
    problems = refused_csv(set_cell(example_csv(), "surcharges", 3, "country", "FR"))
    find(problems, "country is only for remote_area surcharges", row=3, column="country")


def test_a_fixed_surcharge_refuses_areas_and_thresholds() -> None:
    files = add_row(
        example_csv(),
        "surcharges",
        kind="fixed",
        name="Home fee",
        amount="1",
        postcodes="20",
        min_length_cm="10",
    )
    problems = refused_csv(files)
    find(problems, "postcodes is only for remote_area surcharges", row=4, column="postcodes")
    find(problems, "min_length_cm is only for oversize surcharges", row=4, column="min_length_cm")


def test_a_fixed_surcharge_applies_to_the_services_listed() -> None:
    files = add_row(example_csv(), "surcharges", kind="fixed", name="Home fee", amount="1.5", services="HOME, EXPRESS")
    fee = read_csv_files(files).surcharges[2]
    assert (fee.amount_cents, fee.services) == (150, frozenset({"HOME", "EXPRESS"}))


def test_a_surcharge_for_an_unknown_service_is_refused() -> None:
    problems = refused_csv(set_cell(example_csv(), "surcharges", 2, "services", "HOME,RELAY"))
    find(problems, "unknown service 'RELAY'", row=2, column="services")


def test_a_row_with_only_an_area_adds_it_to_the_remote_area_surcharge_above() -> None:
    rows = "\n".join(
        [
            "kind,name,amount,services,country,postcodes,min_length_cm,min_length_girth_cm,min_weight_kg",
            "remote_area,Islands,2.5,,FR,85350,,,",
            ",,,,BE,8300,,,",
            "oversize,Big,27.2,,,,60,,",
        ]
    )
    card = read_csv_files(replace_table(example_csv(), "surcharges", rows))
    assert card.surcharges[0].areas == (ZoneEntry("FR", prefix="85350"), ZoneEntry("BE", prefix="8300"))


def test_an_area_row_under_a_surcharge_that_is_not_remote_area_is_refused() -> None:
    files = add_row(example_csv(), "surcharges", country="BE")
    find(
        refused_csv(files),
        "adds an area to the remote_area surcharge above it; there is none",
        row=4,
        column="country",
    )


# -- tiers


def test_tier_thresholds_must_increase() -> None:
    problems = refused_csv(set_cell(example_csv(), "tiers", 3, "min_parcels", "500"))
    find(
        problems,
        "thresholds must increase: this one is not above the previous (500)",
        sheet="tiers.csv",
        row=3,
        column="min_parcels",
    )


@pytest.mark.parametrize(("value", "message"), [("0", "must be greater than 0"), ("100", "below 100 %")])
def test_a_tier_discount_must_be_between_0_and_100_percent(value: str, message: str) -> None:
    problems = refused_csv(set_cell(example_csv(), "tiers", 2, "discount_percent", value))
    find(problems, message, row=2, column="discount_percent")


def test_a_tier_discount_is_stored_in_basis_points() -> None:
    card = read_csv_files(set_cell(example_csv(), "tiers", 2, "discount_percent", "99.99"))
    assert [t.discount_bp for t in card.tiers] == [9999, 850]


def test_a_tier_threshold_must_be_a_whole_number_of_parcels() -> None:
    problems = refused_csv(set_cell(example_csv(), "tiers", 2, "min_parcels", "500.5"))
    find(problems, "must be a whole number", row=2, column="min_parcels")
