"""Services state their features on the card: signature, appointment, insurance cover.

They are optional columns (fields in JSON) defaulting to none, read and written the same way
by every format, so a card without them still loads and a card with them survives a download.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from carriers.model import RateCard, SpeedClass
from carriers.readers import read_csv_files, read_json, read_xlsx
from carriers.template import template_workbook
from carriers.writers import card_to_json, write_csv_files, write_xlsx
from tests.carriers.builders import (
    LIMIT,
    ROOT,
    csv_rows,
    edited_workbook,
    example_card,
    example_csv,
    example_document,
    find,
    put_csv_rows,
    refusal,
    set_cell,
)
from tms.domain.features import Features


def a_card_with_features() -> RateCard:
    card = example_card()
    home, pickup, express = card.services
    return replace(
        card,
        services=(
            replace(home, signature=True, appointment=True, insurance_cents=150_050),
            pickup,
            replace(express, signature=False, appointment=True, insurance_cents=None),
        ),
    )


def test_features_read_back_the_same_from_json_csv_and_a_workbook() -> None:
    card = a_card_with_features()
    assert read_json(json.loads(json.dumps(card_to_json(card)))) == card
    assert read_csv_files(write_csv_files(card)) == card
    assert read_xlsx(write_xlsx(card), max_uncompressed_bytes=LIMIT) == card
    home = card.service("HOME")
    assert home.features == Features(SpeedClass.STANDARD, True, True, 150_050)


def test_the_template_workbook_and_csv_examples_state_each_services_features() -> None:
    sheet = load_workbook(io.BytesIO(template_workbook()))["Services"]
    header = [cell.value for cell in sheet[1]]
    assert header[-3:] == ["signature", "appointment", "insurance_cover"]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert (rows["EXPRESS"]["signature"], rows["EXPRESS"]["insurance_cover"]) == ("yes", 500)
    assert (rows["HOME"]["signature"], rows["HOME"]["insurance_cover"]) == ("no", None)
    committed = (ROOT / "config" / "examples" / "csv" / "services.csv").read_text(encoding="utf-8")
    assert committed.splitlines()[0].endswith(",signature,appointment,insurance_cover")
    express = read_xlsx(template_workbook(), max_uncompressed_bytes=LIMIT).service("EXPRESS")
    assert (express.signature, express.appointment, express.insurance_cents) == (True, False, 50_000)


def test_a_card_without_feature_columns_still_loads_with_no_features() -> None:
    document = example_document()
    for service in document["services"]:
        for key in ("signature", "appointment", "insurance_cover"):
            service.pop(key)
    card = read_json(document)
    assert all(s.features == Features(s.speed) for s in card.services)
    files = example_csv()
    rows = [row[:-3] for row in csv_rows(files, "services")]
    assert all(s.features == Features(s.speed) for s in read_csv_files(put_csv_rows(files, "services", rows)).services)


@pytest.mark.parametrize(("typed", "expected"), [("yes", True), ("No", False), ("x", True), ("1", True), ("", False)])
def test_a_csv_flag_reads_yes_no_x_1_or_empty(typed: str, expected: bool) -> None:
    files = set_cell(example_csv(), "services", 2, "signature", typed)
    assert read_csv_files(files).service("HOME").signature is expected


def test_a_bad_feature_in_csv_is_refused_naming_its_row_and_column() -> None:
    files = set_cell(example_csv(), "services", 3, "signature", "maybe")
    files = set_cell(files, "services", 4, "insurance_cover", "-5")
    problems = refusal(lambda: read_csv_files(files))
    find(problems, "must be yes or no", sheet="services.csv", row=3, column="signature")
    find(problems, "must be greater than 0", sheet="services.csv", row=4, column="insurance_cover")


def test_a_bad_feature_in_a_workbook_is_refused_naming_its_row_and_column() -> None:
    def edit(workbook: Workbook) -> None:
        sheet = workbook["Services"]
        header = [cell.value for cell in sheet[1]]
        sheet.cell(2, header.index("appointment") + 1, "sometimes")

    problems = refusal(lambda: read_xlsx(edited_workbook(edit), max_uncompressed_bytes=LIMIT))
    find(problems, "must be yes or no", sheet="Services", row=2, column="appointment")


def test_a_bad_feature_in_json_is_refused_naming_its_field() -> None:
    document = example_document()
    document["services"][1]["signature"] = "yes"
    document["services"][2]["insurance_cover"] = 12.345
    problems = refusal(lambda: read_json(document))
    find(problems, "must be true or false", field="services[1].signature")
    find(problems, "too many decimals", field="services[2].insurance_cover")


def test_the_demo_cards_state_the_signature_services_of_the_carrier_facts() -> None:
    signed = set()
    for path in sorted(Path(ROOT / "config" / "demo").glob("*.json")):
        card = read_json(json.loads(path.read_text(encoding="utf-8")))
        signed |= {(card.carrier_code, s.code) for s in card.services if s.signature}
    assert signed == {("colissimo", "HOME_SIG"), ("chronopost", "C13")}
