"""Upload limits: a card larger than a limit is refused at the first limit passed, naming where,
in every format; a workbook built to exhaust a worker (a cell in the last column of thousands of
rows, a row a million rows down) is refused before anything that large is built; a refusal lists
at most a bounded number of problems."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from carriers.limits import NO_LIMITS, RateCardRejected, UploadLimits, UploadTooLarge
from carriers.model import RateCard
from carriers.readers import NESTED_TOO_DEEPLY, read_csv_files, read_json, read_xlsx
from carriers.writers import write_xlsx
from tests.carriers.builders import (
    LIMIT,
    ROOT,
    example_card,
    example_csv,
    example_document,
    put_csv_rows,
)
from tms.domain.errors import InvalidInput, Problem
from tms.services.uploads import UploadedFile, parse_files, parse_json_body, upload_limits
from tms.settings import load_settings


def limits(**changes: int) -> UploadLimits:
    return replace(UploadLimits(), **changes)


def read_workbook(data: bytes, bounds: UploadLimits) -> RateCard:
    return read_xlsx(data, max_uncompressed_bytes=LIMIT, limits=bounds)


READERS: dict[str, Callable[[UploadLimits], RateCard]] = {
    "xlsx": lambda bounds: read_workbook(write_xlsx(example_card()), bounds),
    "csv": lambda bounds: read_csv_files(example_csv(), bounds),
    "json": lambda bounds: read_json(example_document(), bounds),
}


def too_large(read: Callable[[], object]) -> Problem:
    """The one problem of the refusal: a limit passed."""
    with pytest.raises(UploadTooLarge) as caught:
        read()
    problems = caught.value.problems
    assert len(problems) == 1, problems
    return problems[0]


# The example card has 3 services, 3 zones of one entry each, 36 brackets (HOME: FR 7, FR-COR 7,
# BE 6), a remote-area surcharge with one area and an oversize one, 2 tiers.
CASES = [
    # (format, limit, value, what the message says, where it is passed)
    ("xlsx", "services", 2, "services", {"sheet": "Services", "row": 4}),
    ("csv", "services", 2, "services", {"sheet": "services.csv", "row": 4}),
    ("json", "services", 2, "services", {"field": "services[2]"}),
    ("xlsx", "zones", 2, "zones", {"sheet": "Zones", "row": 4, "column": "zone"}),
    ("csv", "zones", 2, "zones", {"sheet": "zones.csv", "row": 4, "column": "zone"}),
    ("json", "zones", 2, "zones", {"field": "zones[2]"}),
    ("xlsx", "zone_entries", 2, "zone entries", {"sheet": "Zones", "row": 4}),
    ("csv", "zone_entries", 2, "zone entries", {"sheet": "zones.csv", "row": 4}),
    ("json", "zone_entries", 2, "zone entries", {"field": "zones[2].entries[0]"}),
    ("xlsx", "remote_area_postcodes", 0, "remote-area postcodes", {"sheet": "Surcharges", "row": 2}),
    ("csv", "remote_area_postcodes", 0, "remote-area postcodes", {"sheet": "surcharges.csv", "row": 2}),
    ("json", "remote_area_postcodes", 0, "remote-area postcodes", {"field": "surcharges[0].areas[0]"}),
    ("json", "remote_area_postcodes", 7, "remote-area postcodes", {"field": "surcharges[0].areas[0].postcodes"}),
    ("csv", "remote_area_postcodes", 7, "remote-area postcodes", {"sheet": "surcharges.csv", "column": "postcodes"}),
    ("xlsx", "brackets", 10, "price brackets", {"sheet": "Prices HOME", "row": 5, "column": "FR-COR"}),
    ("csv", "brackets", 10, "price brackets", {"sheet": "prices.csv", "row": 12}),
    ("json", "brackets", 10, "price brackets", {"field": "prices[1].brackets[3]"}),
    ("xlsx", "surcharges", 1, "surcharges", {"sheet": "Surcharges", "row": 3}),
    ("csv", "surcharges", 1, "surcharges", {"sheet": "surcharges.csv", "row": 3}),
    ("json", "surcharges", 1, "surcharges", {"field": "surcharges[1]"}),
    ("xlsx", "tiers", 1, "volume tiers", {"sheet": "Tiers", "row": 3}),
    ("csv", "tiers", 1, "volume tiers", {"sheet": "tiers.csv", "row": 3}),
    ("json", "tiers", 1, "volume tiers", {"field": "tiers[1]"}),
    ("xlsx", "rows", 4, "rows in a sheet", {"sheet": "Card", "row": 7}),  # the size the sheet declares
    ("csv", "rows", 4, "rows in a file", {"sheet": "card.csv", "row": 5}),
    ("json", "rows", 4, "transit times", {"field": "services[1].transit.BE"}),
    ("xlsx", "columns", 5, "columns in a sheet", {"sheet": "Services", "column": "O"}),
    ("csv", "columns", 5, "columns in a file", {"sheet": "services.csv", "row": 1, "column": "F"}),
    ("xlsx", "cells", 10, "cells in the workbook", {"sheet": "Card", "row": 6, "column": "A"}),
    ("csv", "cells", 10, "cells in the files together", {"sheet": "card.csv", "row": 6}),
]


@pytest.mark.parametrize(("source", "name", "value", "what", "where"), CASES)
def test_a_card_past_a_limit_is_refused_at_the_first_item_past_it_naming_the_limit(
    source: str, name: str, value: int, what: str, where: dict[str, object]
) -> None:
    problem = too_large(lambda: READERS[source](limits(**{name: value})))
    assert f"more than {value:,} {what}" in problem.message
    assert f"the limit is {value:,} (uploads.max_{name})" in problem.message
    assert {key: getattr(problem, key) for key in where} == where


# The example's own sizes (36 brackets, and an extra_kg price that is not one; 8 remote-area postcodes):
# at its limits exactly, the card is accepted in every format.
AT_THE_LIMITS = limits(services=3, zones=3, zone_entries=3, remote_area_postcodes=8, brackets=36, surcharges=2, tiers=2)


@pytest.mark.parametrize("source", sorted(READERS))
def test_a_card_exactly_at_its_limits_is_accepted(source: str) -> None:
    # The workbook's price sheets share their rows between zones, so it writes 39 price cells for
    # the 36 brackets (a bracket spanning two rows of its sheet repeats its price): brackets count
    # as written.
    at_the_limits = replace(AT_THE_LIMITS, brackets=39) if source == "xlsx" else AT_THE_LIMITS
    assert READERS[source](at_the_limits) == example_card()
    with pytest.raises(UploadTooLarge):
        READERS[source](replace(at_the_limits, brackets=at_the_limits.brackets - 1))


def test_postcodes_listed_in_one_cell_count_one_entry_each() -> None:
    files = example_csv()
    put_csv_rows(
        files,
        "zones",
        [["zone", "name", "country", "postcodes"], ["FR", "France", "FR", ""], ["FR-COR", "Corsica", "FR", "20,21,22"]],
    )
    problem = too_large(lambda: read_csv_files(files, limits(zone_entries=3)))
    assert "more than 3 zone entries" in problem.message
    assert (problem.sheet, problem.row, problem.column) == ("zones.csv", 3, "postcodes")


def test_a_csv_row_counts_only_up_to_its_last_value() -> None:
    files = example_csv()
    text = files["tiers.csv"].decode()
    files["tiers.csv"] = "\n".join(line + "," * 300 for line in text.splitlines()).encode()
    assert read_csv_files(files, limits(columns=15)) == example_card()


# -- workbooks built to exhaust a worker


def edited_sheets(data: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    """The workbook with `edit` applied to the XML of each of its sheets."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = edit(content)
            target.writestr(item, content)
    return output.getvalue()


def without_dimensions(data: bytes) -> bytes:
    """The workbook with its sheets' declared sizes removed (a file may declare none, or lie)."""
    return edited_sheets(data, lambda xml: re.sub(rb"<dimension [^>]*/>", b"", xml))


def xfd_workbook(rows: int = 4000) -> bytes:
    """The example workbook with a value in the last column (XFD) of `rows` rows of its Zones sheet."""
    workbook = load_workbook(io.BytesIO(write_xlsx(example_card())))
    zones = workbook["Zones"]
    for row in range(5, 5 + rows):
        zones.cell(row=row, column=16384, value="x")
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def test_a_sheet_declaring_16384_columns_is_refused_before_it_is_read() -> None:
    problem = too_large(lambda: read_workbook(xfd_workbook(), UploadLimits()))
    assert problem.sheet == "Zones"
    assert problem.column == "XFD"
    assert "more than 256 columns in a sheet (it spans A1:XFD4004)" in problem.message


def test_a_cell_in_the_last_column_is_refused_where_it_is_when_the_sheet_declares_no_size() -> None:
    problem = too_large(lambda: read_workbook(without_dimensions(xfd_workbook()), UploadLimits()))
    assert (problem.sheet, problem.row, problem.column) == ("Zones", 5, "XFD")
    assert "more than 256 columns in a sheet" in problem.message


def test_the_xfd_workbook_uploaded_is_one_problem_naming_the_sheet_and_column() -> None:
    upload = UploadedFile("file", "offer.xlsx", xfd_workbook())
    with pytest.raises(RateCardRejected) as caught:
        parse_files([upload], max_uncompressed_bytes=50 * 1024 * 1024)
    assert [(p.sheet, p.column) for p in caught.value.problems] == [("Zones", "XFD")]


def test_a_row_a_million_rows_down_is_refused_at_that_row() -> None:
    workbook = load_workbook(io.BytesIO(write_xlsx(example_card())))
    workbook["Tiers"].cell(row=1_000_000, column=1, value=1)
    output = io.BytesIO()
    workbook.save(output)
    problem = too_large(lambda: read_workbook(without_dimensions(output.getvalue()), UploadLimits()))
    assert (problem.sheet, problem.row) == ("Tiers", 1_000_000)
    assert "more than 10,000 rows in a sheet" in problem.message


def test_the_rows_a_sheet_holds_count_even_when_they_repeat_one_row_number() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Card"
    for _ in range(6):
        sheet.append(["key", "value"])
    output = io.BytesIO()
    workbook.save(output)
    data = edited_sheets(
        without_dimensions(output.getvalue()), lambda xml: re.sub(rb'<row r="\d+"', b'<row r="1"', xml)
    )
    problem = too_large(lambda: read_workbook(data, limits(rows=5)))
    assert problem.sheet == "Card"
    assert "more than 5 rows in a sheet" in problem.message


def test_a_workbook_with_more_sheets_than_a_card_can_use_is_refused_from_its_directory() -> None:
    workbook = load_workbook(io.BytesIO(write_xlsx(example_card())))
    for n in range(20):
        workbook.create_sheet(f"Prices S{n}")
    output = io.BytesIO()
    workbook.save(output)
    with pytest.raises(RateCardRejected) as caught:
        read_workbook(output.getvalue(), limits(services=3))
    [problem] = caught.value.problems
    assert problem.field == "file"
    assert "has 30 sheets, more than 11" in problem.message


# -- the refusal itself is bounded


def test_a_refusal_lists_the_first_problems_then_how_many_more() -> None:
    files = example_csv()
    rows = [["zone", "name", "country", "postcodes"], ["FR", "France", "FR", ""]]
    rows += [["FR", "", "XX", f"{n:03d}"] for n in range(150)]  # 150 entries in a country that does not exist
    put_csv_rows(files, "zones", rows)
    with pytest.raises(RateCardRejected) as caught:
        read_csv_files(files, limits(problems=100))
    problems = caught.value.problems
    assert len(problems) == 101
    assert all("not an ISO 3166" in p.message for p in problems[:100])
    assert re.fullmatch(r"\.\.\. and \d+ more problems", problems[-1].message)
    assert caught.value.message.startswith("the rate card was refused: ")


# -- the limits come from the settings


def test_the_limits_are_the_uploads_settings_and_an_environment_variable_overrides_one() -> None:
    assert upload_limits(load_settings(environ={})) == UploadLimits()
    overridden = upload_limits(load_settings(environ={"TMS_UPLOADS_MAX_ZONE_ENTRIES": "7"}))
    assert overridden == limits(zone_entries=7)


def test_a_json_body_past_a_limit_set_in_the_settings_is_refused() -> None:
    bounds = upload_limits(load_settings(environ={"TMS_UPLOADS_MAX_SERVICES": "1"}))
    with pytest.raises(UploadTooLarge) as caught:
        parse_json_body(json.dumps(example_document()).encode(), bounds)
    assert caught.value.problems[0].field == "services[1]"


@pytest.mark.parametrize("path", sorted((ROOT / "config" / "demo").glob("*.json")), ids=lambda p: p.name)
def test_the_demo_cards_are_accepted_under_the_default_limits(path: Any) -> None:
    document = json.loads(path.read_text())
    assert read_json(document, upload_limits(load_settings(environ={}))) == read_json(document, NO_LIMITS)


def with_shared_strings(data: bytes, texts: int) -> bytes:
    """The workbook with a shared-strings part of `texts` one-letter texts (as Excel writes them)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}"/></Types>'
                content = content.replace(b"</Types>", override.encode())
            target.writestr(item, content)
        namespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        strings = f'<sst xmlns="{namespace}" count="{texts}">' + "<si><t>a</t></si>" * texts + "</sst>"
        target.writestr("xl/sharedStrings.xml", strings)
    return output.getvalue()


def test_a_workbook_with_more_shared_texts_than_cells_is_refused_before_it_is_opened() -> None:
    workbook = write_xlsx(example_card())
    with pytest.raises(RateCardRejected) as caught:
        read_workbook(with_shared_strings(workbook, 101), limits(cells=100))
    [problem] = caught.value.problems
    assert problem.field == "file"
    assert "more than 100 texts" in problem.message
    assert "(uploads.max_cells)" in problem.message
    # As many texts as the limit: the workbook is opened, and refused for its cells instead.
    problem = too_large(lambda: read_workbook(with_shared_strings(workbook, 100), limits(cells=100)))
    assert "cells in the workbook" in problem.message


def test_a_large_sheet_that_does_not_declare_its_size_is_refused_before_it_is_opened() -> None:
    workbook = load_workbook(io.BytesIO(write_xlsx(example_card())))
    for row in range(5, 605):
        workbook["Zones"].append(["FR", None, "FR", f"{row:05d}"])
    output = io.BytesIO()
    workbook.save(output)
    data = without_dimensions(output.getvalue())
    with pytest.raises(RateCardRejected) as caught:
        read_workbook(data, limits(cells=300))  # 300 cells x 48 bytes: the Zones sheet unpacks to more
    [problem] = caught.value.problems
    assert problem.field == "file"
    assert "does not declare its size" in problem.message
    # Declared, the same sheet is opened and read until its cells pass the limit.
    problem = too_large(lambda: read_workbook(output.getvalue(), limits(cells=300)))
    assert "cells in the workbook" in problem.message


def test_json_nested_thousands_deep_is_refused_naming_the_body_or_file() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(InvalidInput) as caught:
        parse_json_body(deep)
    assert [(p.field, p.message) for p in caught.value.problems] == [("body", NESTED_TOO_DEEPLY)]
    with pytest.raises(RateCardRejected) as refused:
        parse_files([UploadedFile("file", "card.json", deep)], max_uncompressed_bytes=LIMIT)
    assert [(p.field, p.message) for p in refused.value.problems] == [("file", NESTED_TOO_DEEPLY)]


def test_a_sheet_with_a_broken_cell_reference_is_refused_not_a_failure() -> None:
    broken = edited_sheets(write_xlsx(example_card()), lambda xml: xml.replace(b'r="A2"', b'r="2A"', 1))
    with pytest.raises(RateCardRejected) as caught:
        read_workbook(broken, UploadLimits())
    [problem] = caught.value.problems
    assert problem.field == "file"
    assert problem.message.startswith("the workbook could not be read")


def test_a_sheet_flooded_with_elements_that_are_not_cells_is_refused_while_read() -> None:
    flooded = edited_sheets(
        write_xlsx(example_card()), lambda xml: xml.replace(b"</row>", b"<x/>" * 20_000 + b"</row>", 1)
    )
    problem = too_large(lambda: read_workbook(flooded, limits(cells=100)))
    assert "more than 10,400 XML elements in the sheets" in problem.message
    assert "(uploads.max_cells)" in problem.message


def test_shared_texts_larger_than_the_cells_limit_allows_are_refused_before_the_workbook_is_opened() -> None:
    data = with_shared_strings(write_xlsx(example_card()), 1)
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/sharedStrings.xml":  # one text of 1,000 runs
                content = content.replace(b"<si><t>a</t></si>", b"<si>" + b"<r><t>a</t></r>" * 1000 + b"</si>")
            target.writestr(item, content)
    with pytest.raises(RateCardRejected) as caught:
        read_workbook(output.getvalue(), limits(cells=100))
    [problem] = caught.value.problems
    assert problem.field == "file"
    assert "texts unpack to" in problem.message and "more than 6,400" in problem.message
