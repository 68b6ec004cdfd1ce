"""Writing rate cards in the upload formats: the exact JSON, a readable workbook, CSV files,
and the round trip that lets a card be downloaded, edited and uploaded again."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from openpyxl import load_workbook

from carriers import template
from carriers.model import Bracket, PriceGrid, RateCard, Surcharge, SurchargeKind, ZoneEntry
from carriers.readers import parse_json, read_csv_files, read_json, read_xlsx
from carriers.writers import card_to_json, entry_rows, weekdays_text, write_csv_files, write_xlsx
from tests.carriers.builders import EXAMPLE_JSON, LIMIT, ROOT, example_card, example_document, rate_cards

ROUND_TRIP = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def through_json(card: RateCard) -> RateCard:
    return read_json(json.loads(json.dumps(card_to_json(card))))


def through_xlsx(card: RateCard) -> RateCard:
    return read_xlsx(write_xlsx(card), max_uncompressed_bytes=LIMIT)


def through_csv(card: RateCard) -> RateCard:
    return read_csv_files(write_csv_files(card))


FORMATS = [through_json, through_xlsx, through_csv]


# -- JSON


def test_the_example_card_writes_back_as_the_example_json() -> None:
    assert card_to_json(example_card()) == example_document()


def test_json_numbers_are_numbers_in_upload_units() -> None:
    document = card_to_json(example_card())
    bracket = document["prices"][0]["brackets"][0]
    assert bracket == {"to_kg": 0.25, "price": 5.85}
    assert document["services"][0]["max_weight_kg"] == 30 and isinstance(document["services"][0]["max_weight_kg"], int)
    assert document["fuel_percent"] == 12.75 and document["tiers"][1]["discount_percent"] == 8.5
    assert '"price": 5.85' in json.dumps(document)


def test_each_surcharge_kind_writes_only_its_own_fields() -> None:
    card = replace(example_card(), surcharges=(Surcharge(SurchargeKind.FIXED, "Home fee", 150),))
    assert card_to_json(card)["surcharges"] == [{"kind": "fixed", "name": "Home fee", "amount": 1.5, "services": []}]
    remote, oversize = card_to_json(example_card())["surcharges"]
    assert "areas" in remote and "min_length_cm" not in remote
    assert oversize["min_length_cm"] == 60 and "areas" not in oversize


# -- round trips


@pytest.mark.parametrize("read_back", FORMATS)
def test_the_example_card_reads_back_the_same_from_every_format(
    read_back: Callable[[RateCard], RateCard],
) -> None:
    assert read_back(example_card()) == example_card()


@pytest.mark.parametrize("path", sorted((ROOT / "config" / "demo").glob("*.json")), ids=lambda p: p.stem)
@pytest.mark.parametrize("read_back", FORMATS)
def test_the_demo_cards_read_back_the_same_from_every_format(
    path: Path, read_back: Callable[[RateCard], RateCard]
) -> None:
    card = read_json(parse_json(path.read_bytes()))
    assert read_back(card) == card


@ROUND_TRIP
@given(rate_cards())
def test_any_valid_card_reads_back_the_same_from_json(card: RateCard) -> None:
    assert through_json(card) == card


@ROUND_TRIP
@given(rate_cards())
def test_any_valid_card_reads_back_the_same_from_a_workbook(card: RateCard) -> None:
    assert through_xlsx(card) == card


@ROUND_TRIP
@given(rate_cards())
def test_any_valid_card_reads_back_the_same_from_csv(card: RateCard) -> None:
    assert through_csv(card) == card


def test_zones_with_different_brackets_and_extra_kg_share_one_price_sheet() -> None:
    card = replace(
        example_card(),
        prices=(
            PriceGrid("HOME", "FR", (Bracket(250, 500), Bracket(1000, 900), Bracket(30_000, 3000)), 150),
            PriceGrid("HOME", "BE", (Bracket(500, 1300), Bracket(2000, 1700)), 220),
            *example_card().prices[3:],
        ),
    )
    workbook = load_workbook(io.BytesIO(write_xlsx(card)), read_only=True)
    rows = list(workbook["Prices HOME"].iter_rows(values_only=True))
    workbook.close()
    assert rows == [
        ("from_kg", "to_kg", "FR", "BE"),
        (0, 0.25, 5, 13),
        (0.25, 0.5, 9, 13),
        (0.5, 1, 9, 17),
        (1, 2, 30, 17),
        (2, 30, 30, None),
        (30, "extra_kg", 1.5, 2.2),
    ]
    assert through_xlsx(card) == card


def test_text_that_looks_like_a_formula_or_a_number_stays_text_in_a_workbook() -> None:
    card = replace(example_card(), carrier_name="=HYPERLINK(1)", notes="0012")
    assert through_xlsx(card) == card


# -- the workbook a person opens


def test_the_workbook_starts_with_a_readme_and_has_one_price_sheet_per_service() -> None:
    workbook = load_workbook(io.BytesIO(write_xlsx(example_card())))
    assert workbook.sheetnames == [
        "README",
        "Card",
        "Services",
        "Zones",
        "Transit",
        "Prices HOME",
        "Prices PICKUP",
        "Prices EXPRESS",
        "Surcharges",
        "Tiers",
    ]
    services = workbook["Services"]
    assert all(cell.font.bold for cell in services[1])
    assert services.freeze_panes == "A2"
    assert services.column_dimensions["B"].width >= len("Domicile sans signature")
    assert workbook["Prices HOME"]["C3"].number_format == "0.00"
    workbook.close()


def test_the_same_card_always_gives_the_same_workbook_bytes() -> None:
    assert write_xlsx(example_card()) == write_xlsx(example_card())


def test_csv_files_are_utf8_comma_separated_with_prices_in_cents() -> None:
    files = write_csv_files(example_card())
    assert sorted(files) == sorted(
        f"{name}.csv" for name in ("card", "services", "zones", "transit", "prices", "surcharges", "tiers")
    )
    prices = files["prices.csv"].decode("utf-8").splitlines()
    assert prices[:3] == ["service,zone,from_kg,to_kg,price", "HOME,FR,0,0.25,5.85", "HOME,FR,0.25,0.5,7.90"]
    assert prices[-1] == "EXPRESS,FR,10,extra_kg,1.20"
    assert "Islands (Ré, Oléron, Yeu)" in files["surcharges.csv"].decode("utf-8")


@pytest.mark.parametrize(
    ("days", "text"),
    [
        ({0, 1, 2, 3, 4}, "Mon-Fri"),
        ({0, 2, 4}, "Mon,Wed,Fri"),
        ({0, 1, 2, 4, 5, 6}, "Mon-Wed,Fri-Sun"),
        ({5, 6}, "Sat,Sun"),
    ],
)
def test_weekdays_are_written_as_ranges_and_lists(days: set[int], text: str) -> None:
    assert weekdays_text(frozenset(days)) == text


def test_consecutive_postcode_patterns_of_a_country_share_a_row() -> None:
    entries = [
        ZoneEntry("FR", prefix="20"),
        ZoneEntry("FR", low="97100", high="97199"),
        ZoneEntry("FR"),
        ZoneEntry("BE", prefix="83"),
    ]
    assert entry_rows(entries) == [("FR", "20, 97100-97199"), ("FR", ""), ("BE", "83")]


# -- the committed template and examples


def test_the_committed_template_and_csv_examples_are_what_the_generator_makes() -> None:
    assert template.TEMPLATE_XLSX.read_bytes() == template.template_workbook(), "run python -m carriers.template"
    committed = {path.name: path.read_bytes() for path in template.EXAMPLE_CSV_DIR.glob("*.csv")}
    assert committed == write_csv_files(example_card()), "run python -m carriers.template"


def test_the_committed_template_and_csv_examples_read_into_the_example_card() -> None:
    expected = read_json(parse_json(EXAMPLE_JSON.read_bytes()))
    assert read_xlsx(template.TEMPLATE_XLSX.read_bytes(), max_uncompressed_bytes=LIMIT) == expected
    files = {path.name: path.read_bytes() for path in template.EXAMPLE_CSV_DIR.glob("*.csv")}
    assert read_csv_files(files) == expected
    assert read_xlsx(template.template_workbook(), max_uncompressed_bytes=LIMIT) == expected


def test_the_template_script_writes_the_workbook_and_the_csv_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(template, "ROOT", tmp_path)
    monkeypatch.setattr(template, "TEMPLATE_XLSX", tmp_path / "rate-card-template.xlsx")
    monkeypatch.setattr(template, "EXAMPLE_CSV_DIR", tmp_path / "csv")
    template.main()
    assert (tmp_path / "rate-card-template.xlsx").read_bytes() == template.template_workbook()
    assert sorted(path.name for path in (tmp_path / "csv").iterdir()) == sorted(write_csv_files(example_card()))
