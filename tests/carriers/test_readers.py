"""Reading rate cards from a workbook, CSV files and JSON: what only a reader can get wrong.

The checks shared by all formats are in test_build.py; here, files that are
not what they claim, missing sheets and files, the wide price grid, cell
types of Excel, CSV encodings, and JSON shapes named by their field paths.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime, time
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook

from carriers import readers
from carriers.model import Bracket, ZoneEntry
from carriers.readers import read_csv_files, read_json, read_upload, read_xlsx
from carriers.writers import write_xlsx
from tests.carriers.builders import (
    LIMIT,
    ROOT,
    add_row,
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
from tms.domain.errors import Problem

# -- workbooks: the file itself


def refused_xlsx(data: bytes, limit: int = LIMIT) -> list[Problem]:
    return refusal(lambda: read_xlsx(data, max_uncompressed_bytes=limit))


def zipped(files: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return output.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"%PDF-1.7\n%binary", "this is a PDF, not an Excel workbook (.xlsx)"),
        (
            b"key,value\ncarrier_code,colissimo\n",
            "not an Excel workbook (.xlsx) (it looks like text: upload CSV",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "an old Excel .xls file: save it as .xlsx"),
        (zipped({"card.csv": b"key,value\n"}), "this is a zip archive, not an Excel workbook"),
        (zipped({"xl/workbook.xml": b"<not a workbook", "[Content_Types].xml": b"?"}), "could not be read"),
    ],
)
def test_a_file_that_is_not_an_xlsx_workbook_is_refused_with_one_clear_problem(data: bytes, message: str) -> None:
    problems = refused_xlsx(data)
    assert len(problems) == 1
    find(problems, message, field="file")


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_it_is_opened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = write_xlsx(example_card())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    problems = refused_xlsx(data, limit=unpacked - 1)
    find(
        problems,
        f"the workbook unpacks to {unpacked:,} bytes, more than the limit of {unpacked - 1:,}",
        field="file",
    )


def test_a_workbook_within_the_limit_is_read() -> None:
    data = write_xlsx(example_card())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    assert read_xlsx(data, max_uncompressed_bytes=unpacked) == example_card()


# -- workbooks: sheets


def test_missing_sheets_are_named() -> None:
    def drop(workbook: Workbook) -> None:
        for title in ("Transit", "Prices HOME", "Prices PICKUP", "Prices EXPRESS"):
            del workbook[title]

    problems = refused_xlsx(edited_workbook(drop))
    find(problems, "missing sheet", sheet="Transit", row=None)
    find(problems, "missing sheet: add one such sheet per service", sheet="Prices <service>")


def test_the_optional_sheets_may_be_left_out() -> None:
    def drop(workbook: Workbook) -> None:
        del workbook["Surcharges"]
        del workbook["Tiers"]

    card = read_xlsx(edited_workbook(drop), max_uncompressed_bytes=LIMIT)
    assert (card.surcharges, card.tiers) == ((), ())


def test_an_unknown_sheet_is_refused_but_a_readme_or_instructions_sheet_is_ignored() -> None:
    def add(workbook: Workbook) -> None:
        workbook.create_sheet("Instructions")["A1"] = "anything"
        workbook.create_sheet("Surcharge")["A1"] = "kind"

    problems = refused_xlsx(edited_workbook(add))
    assert [p.sheet for p in problems] == ["Surcharge"]
    find(problems, "unknown sheet; the sheets are: Card, Services", sheet="Surcharge")


def test_sheet_names_and_column_names_are_case_insensitive() -> None:
    def rename(workbook: Workbook) -> None:
        for old, new in [("Services", "services"), ("Prices HOME", "PRICES HOME")]:
            workbook[old].title = "renaming"  # openpyxl refuses a title differing only in case
            workbook["renaming"].title = new
        workbook["Tiers"]["A1"] = "Min_Parcels"

    assert read_xlsx(edited_workbook(rename), max_uncompressed_bytes=LIMIT) == example_card()


def test_a_bad_cell_is_named_by_sheet_row_and_column() -> None:
    def spoil(workbook: Workbook) -> None:
        workbook["Prices HOME"]["C3"] = "n/a"

    problems = refused_xlsx(edited_workbook(spoil))
    find(problems, "must be a number, not 'n/a'", sheet="Prices HOME", row=3, column="FR")


def test_a_value_in_a_column_without_a_header_is_refused_by_its_letter() -> None:
    def spoil(workbook: Workbook) -> None:
        workbook["Tiers"]["D2"] = "oops"

    find(
        refused_xlsx(edited_workbook(spoil)),
        "a value in a column without a header",
        sheet="Tiers",
        row=2,
        column="D",
    )


def test_a_column_given_twice_is_refused() -> None:
    def spoil(workbook: Workbook) -> None:
        workbook["Tiers"]["C1"] = "MIN_PARCELS"

    find(
        refused_xlsx(edited_workbook(spoil)),
        "column 'MIN_PARCELS' appears twice",
        sheet="Tiers",
        row=1,
        column="MIN_PARCELS",
    )


def test_rows_above_the_header_and_blank_rows_are_skipped_keeping_row_numbers() -> None:
    def shift(workbook: Workbook) -> None:
        workbook["Tiers"].insert_rows(1, 2)
        workbook["Tiers"]["B6"] = "many"

    find(refused_xlsx(edited_workbook(shift)), "must be a number, not 'many'", sheet="Tiers", row=6)


def test_cells_typed_by_excel_read_as_their_text() -> None:
    """Excel turns 2026-01-01 into a date, 17:00 into a time and a postcode 20 into a number."""

    def retype(workbook: Workbook) -> None:
        workbook["Card"]["B5"] = datetime(2026, 1, 1)
        workbook["Services"]["E2"] = time(17, 0)
        workbook["Zones"]["D3"] = 20
        workbook["Tiers"]["A2"] = 500.0

    assert read_xlsx(edited_workbook(retype), max_uncompressed_bytes=LIMIT) == example_card()


def test_a_date_cell_with_a_time_of_day_is_refused() -> None:
    def retype(workbook: Workbook) -> None:
        workbook["Card"]["B5"] = datetime(2026, 1, 1, 12, 30)

    find(
        refused_xlsx(edited_workbook(retype)),
        "must be a date written YYYY-MM-DD",
        sheet="Card",
        row=5,
        column="value",
    )


# -- workbooks: the wide price grid


def test_a_price_below_an_empty_cell_is_a_gap_reported_once() -> None:
    def hole(workbook: Workbook) -> None:
        workbook["Prices HOME"]["C4"] = None  # FR, 0.5 -> 1 kg

    problems = refused_xlsx(edited_workbook(hole))
    assert len(problems) == 1
    find(
        problems,
        "a price below an empty cell (row 4) leaves a gap in zone FR",
        sheet="Prices HOME",
        row=5,
        column="FR",
    )


def test_empty_cells_at_the_bottom_of_a_zone_mean_it_is_not_served_from_there() -> None:
    def shorten(workbook: Workbook) -> None:
        workbook["Prices HOME"]["E8"] = None  # BE, 10 -> 30 kg

    card = read_xlsx(edited_workbook(shorten), max_uncompressed_bytes=LIMIT)
    grid = card.grid("HOME", "BE")
    assert grid is not None and grid.max_bracket_g == 10_000
    assert grid.base_price_cents(10_001) is None


def test_the_extra_kg_row_applies_to_each_zone_past_its_own_last_price() -> None:
    def extend(workbook: Workbook) -> None:
        sheet = workbook["Prices HOME"]
        sheet["E8"] = None  # BE ends at 10 kg
        sheet.append([30, "extra_kg", 1.1, None, 2])

    card = read_xlsx(edited_workbook(extend), max_uncompressed_bytes=LIMIT)
    belgium, france = card.grid("HOME", "BE"), card.grid("HOME", "FR")
    assert belgium is not None and france is not None
    assert (belgium.max_bracket_g, belgium.extra_kg_price_cents) == (10_000, 200)
    assert belgium.base_price_cents(12_500) == 3570 + 3 * 200
    assert france.base_price_cents(31_000) == 3885 + 110
    assert card.grid("HOME", "FR-COR").extra_kg_price_cents is None  # type: ignore[union-attr]


def test_a_zone_with_coarser_brackets_repeats_its_price_on_the_shared_rows() -> None:
    # PICKUP BE starts at 1 kg: on the sheet its price 8.90 fills the 0-0.25, 0.25-0.5 and 0.5-1 rows.
    workbook = write_xlsx(example_card())
    grid = read_xlsx(workbook, max_uncompressed_bytes=LIMIT).grid("PICKUP", "BE")
    assert grid is not None and grid.brackets[0] == Bracket(1000, 890)


def test_a_price_sheet_of_an_unknown_service_is_refused() -> None:
    def add(workbook: Workbook) -> None:
        sheet = workbook.create_sheet("Prices ECO")
        sheet.append(["from_kg", "to_kg", "FR"])
        sheet.append([0, 1, 3])

    find(refused_xlsx(edited_workbook(add)), "unknown service 'ECO'", sheet="Prices ECO", row=None)


def test_a_zone_column_of_an_unknown_zone_is_refused_at_its_header() -> None:
    def add(workbook: Workbook) -> None:
        workbook["Prices EXPRESS"]["D1"] = "DE"
        workbook["Prices EXPRESS"]["D2"] = 30

    problems = refused_xlsx(edited_workbook(add))
    find(problems, "unknown zone 'DE'", sheet="Prices EXPRESS", row=1, column="DE")


def test_a_price_sheet_without_to_kg_or_zones_is_refused() -> None:
    def spoil(workbook: Workbook) -> None:
        workbook["Prices EXPRESS"]["B1"] = "until_kg"
        sheet = workbook.create_sheet("Prices PICKUP2")
        sheet.append(["from_kg", "to_kg"])

    problems = refused_xlsx(edited_workbook(spoil))
    find(problems, "missing column 'to_kg'", sheet="Prices EXPRESS")
    find(problems, "no zone columns", sheet="Prices PICKUP2")


def test_a_price_sheet_needs_a_service_in_its_name() -> None:
    def add(workbook: Workbook) -> None:
        workbook.create_sheet("Prices ")["A1"] = "from_kg"

    find(refused_xlsx(edited_workbook(add)), "name the sheet 'Prices <service code>'", sheet="Prices ")


# -- CSV files


def refused_csv(files: dict[str, bytes]) -> list[Problem]:
    return refusal(lambda: read_csv_files(files))


def test_csv_files_may_carry_the_byte_order_mark_excel_writes() -> None:
    files = {name: b"\xef\xbb\xbf" + data for name, data in example_csv().items()}
    assert read_csv_files(files) == example_card()


def test_semicolon_separated_csv_with_decimal_commas_is_read_like_french_excel_writes_it() -> None:
    files = example_csv()
    for name in list(files):
        rows = csv_rows(files, name.removesuffix(".csv"))
        text = io.StringIO()
        writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
        writer.writerows([[re.sub(r"^(\d+)\.(\d+)$", r"\1,\2", value) for value in row] for row in rows])
        files[name] = text.getvalue().encode("utf-8")
    assert b"5,85" in files["prices.csv"]
    assert read_csv_files(files) == example_card()


def test_csv_files_may_be_keyed_by_table_name_without_extension() -> None:
    files = {name.removesuffix(".csv").upper(): data for name, data in example_csv().items()}
    assert read_csv_files(files) == example_card()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf  \n", "the file is empty"),
        (b"PK\x03\x04\x00\x00binary", "this is a binary file, not CSV text"),
        ("min_parcels,discount_percent\n500,5\n".encode("cp1252") + b"\xe9\n", "not UTF-8 text"),
    ],
)
def test_a_csv_file_that_is_empty_binary_or_not_utf8_is_refused(data: bytes, message: str) -> None:
    files = example_csv()
    files["tiers.csv"] = data
    problems = refused_csv(files)
    assert len(problems) == 1
    find(problems, message, sheet="tiers.csv")


def test_an_unknown_csv_file_is_refused_and_a_missing_one_named() -> None:
    files = example_csv()
    files["rates.csv"] = files.pop("prices.csv")
    problems = refused_csv(files)
    find(problems, "unknown file; the files are: card.csv, services.csv", sheet="rates.csv")
    find(problems, "missing file", sheet="prices.csv")


def test_the_surcharges_and_tiers_files_are_optional() -> None:
    files = example_csv()
    del files["surcharges.csv"], files["tiers.csv"]
    card = read_csv_files(files)
    assert (card.surcharges, card.tiers) == ((), ())


def test_a_table_sent_twice_is_refused() -> None:
    files = example_csv()
    files["tiers"] = files["tiers.csv"]
    find(refused_csv(files), "the tiers table is given twice", sheet="tiers")


def test_a_csv_value_past_the_last_header_is_refused_by_its_column_letter() -> None:
    files = example_csv()
    rows = csv_rows(files, "transit")
    rows[2].append("5")
    find(
        refused_csv(put_csv_rows(files, "transit", rows)),
        "a value in a column without a header",
        sheet="transit.csv",
        row=3,
        column="E",
    )


def test_csv_rows_are_numbered_by_record_even_with_a_line_break_in_a_cell() -> None:
    files = set_cell(example_csv(), "card", 7, "value", "first line\nsecond line")
    add_row(files, "card", key="colour", value="blue")
    find(refused_csv(files), "unknown key 'colour'", sheet="card.csv", row=8, column="key")


# -- JSON


def refused_json(document: object) -> list[Problem]:
    return refusal(lambda: read_json(document))


def test_a_json_document_that_is_not_an_object_is_refused() -> None:
    problems = refused_json([example_document()])
    assert [p.message for p in problems] == ["a rate card must be a JSON object"]


def test_the_json_example_in_the_format_doc_is_a_valid_card() -> None:
    doc = (ROOT / "docs" / "rate-card-formats.md").read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)```", doc, re.S)
    assert example is not None
    card = read_json(json.loads(example.group(1)))
    assert card.carrier_code == "colissimo" and card.surcharges[0].areas == (ZoneEntry("FR", prefix="20"),)


def test_exact_decimals_read_the_same_as_floats() -> None:
    document = json.loads(json.dumps(example_document()), parse_float=Decimal)
    assert read_json(document) == example_card()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            lambda d: d["services"][0].update(max_weight_kg="30"),
            "services[0].max_weight_kg",
            "must be a number",
        ),
        (lambda d: d["services"][1].update(name=12), "services[1].name", "must be text, not 12"),
        (lambda d: d["services"][1].pop("speed"), "services[1].speed", "a value is required"),
        (lambda d: d["services"][0].update(colour="red"), "services[0].colour", "unknown field"),
        (lambda d: d.update(services={"HOME": {}}), "services", "must be a list"),
        (lambda d: d["services"].append("EXPRESS"), "services[3]", "must be an object"),
        (
            lambda d: d["services"][0]["transit"].update(FR=[2]),
            "services[0].transit.FR",
            "[min_days, max_days]",
        ),
        (
            lambda d: d["services"][0]["transit"].update(DE=[2, 3]),
            "services[0].transit.DE",
            "unknown zone 'DE'",
        ),
        (
            lambda d: d["services"][0]["transit"].update(BE=[4, 3]),
            "services[0].transit.BE[1]",
            "at least min",
        ),
        (lambda d: d["zones"][2].update(entries=[]), "zones[2].entries", "at least one entry"),
        (lambda d: d["zones"].append(d["zones"][0]), "zones[3].code", "zone FR is defined twice"),
        (
            lambda d: d["zones"][1]["entries"][0].update(country="XX"),
            "zones[1].entries[0].country",
            "ISO 3166",
        ),
        (lambda d: d["prices"][0].update(brackets=[]), "prices[0].brackets", "at least one bracket"),
        (
            lambda d: d["prices"][0]["brackets"][1].update(price="twelve"),
            "prices[0].brackets[1].price",
            "number",
        ),
        (lambda d: d["prices"][0]["brackets"][1].update(to_kg=0.2), "prices[0].brackets[1].to_kg", "greater"),
        (
            lambda d: d["prices"][5].update(extra_kg_price=-1),
            "prices[5].extra_kg_price",
            "must not be negative",
        ),
        (lambda d: d["prices"][0].update(zone="DE"), "prices[0].zone", "unknown zone 'DE'"),
        (
            lambda d: d["surcharges"][0].update(services="HOME"),
            "surcharges[0].services",
            "a list of service codes",
        ),
        (lambda d: d["surcharges"][0].pop("areas"), "surcharges[0].areas", "needs an area"),
        (lambda d: d["tiers"][0].update(min_parcels=True), "tiers[0].min_parcels", "must be a number"),
        (lambda d: d.update(carrier="colissimo"), "carrier", "must be an object"),
        (lambda d: d.pop("carrier"), "carrier.code", "a value is required"),
        (lambda d: d.update(valid_from=20260101), "valid_from", "must be text"),
        (lambda d: d.update(extra=1), "extra", "unknown field"),
    ],
)
def test_a_wrong_json_value_is_named_by_its_field_path(change: Any, field: str, message: str) -> None:
    document = example_document()
    change(document)
    find(refused_json(document), message, field=field)


def test_every_json_problem_is_reported_at_once() -> None:
    document = example_document()
    document["currency"] = "EUX"
    document["services"][2]["mode"] = "drone"
    document["tiers"][1]["discount_percent"] = 120
    assert [p.field for p in refused_json(document)] == [
        "currency",
        "services[2].mode",
        "tiers[1].discount_percent",
    ]


def test_a_remote_area_may_span_several_countries_in_json() -> None:
    document = example_document()
    document["surcharges"][0]["areas"].append({"country": "BE", "postcodes": "8300-8301"})
    card = read_json(document)
    assert card.surcharges[0].areas[-1] == ZoneEntry("BE", low="8300", high="8301")


# -- one uploaded file


def test_an_upload_is_read_by_its_extension_or_content_type() -> None:
    workbook = write_xlsx(example_card())
    document = json.dumps(example_document()).encode()
    assert read_upload("offer.XLSX", None, workbook, max_uncompressed_bytes=LIMIT) == example_card()
    assert read_upload("offer.json", "text/plain", document, max_uncompressed_bytes=LIMIT) == example_card()
    assert read_upload("offer", readers.XLSX_CONTENT_TYPE, workbook, max_uncompressed_bytes=LIMIT) == example_card()
    assert read_upload("", "application/json; charset=utf-8", document, max_uncompressed_bytes=LIMIT) == (
        example_card()
    )


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("card.csv", b"key,value\n", "a CSV rate card is one file per table"),
        ("card.xls", b"\xd0\xcf\x11\xe0", "old Excel .xls file"),
        ("card.txt", b"hello", "'card.txt' is not a rate card file"),
        ("card.json", b"", "the file is empty"),
        ("card.json", b'{"carrier": }', "not valid JSON: Expecting value at line 1, column 13"),
        ("card.json", b"\xff\xfe{", "not UTF-8 text"),
    ],
)
def test_an_upload_that_cannot_be_a_card_is_refused(filename: str, data: bytes, message: str) -> None:
    problems = refusal(lambda: read_upload(filename, None, data, max_uncompressed_bytes=LIMIT))
    find(problems, message, field="file")
