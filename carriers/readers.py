"""Readers of uploaded rate cards: an Excel workbook, CSV files, or a JSON document.

Each reader only turns its format into `carriers.tables.Tables`, noting the
problems only it can see (a missing sheet, a gap in a wide price grid, a
JSON value of the wrong shape); `build_rate_card` does every other check, the
same way for all formats. A file that cannot be read at all is refused at once.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import iterparse

import openpyxl
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet._reader import CELL_TAG, ROW_TAG, WorkSheetParser

from carriers.build import RateCardRejected, build_rate_card
from carriers.limits import UploadLimits, UploadTooLarge, too_many
from carriers.model import RateCard
from carriers.tables import (
    COLUMNS,
    EXTRA_KG,
    OPTIONAL_TABLES,
    REQUIRED_TABLES,
    Cell,
    Location,
    Row,
    Table,
    Tables,
    column_letter,
    table_from_grid,
)
from tms.domain.errors import Problem

SHEET_TITLES = {
    "card": "Card",
    "services": "Services",
    "zones": "Zones",
    "transit": "Transit",
    "surcharges": "Surcharges",
    "tiers": "Tiers",
}
PRICES_SHEET = "Prices "  # + service code
IGNORED_SHEETS = ("README", "Instructions")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD = Location(field="file")  # the upload field of a workbook: where whole-file problems are


def read_upload(
    filename: str,
    content_type: str | None,
    data: bytes,
    *,
    max_uncompressed_bytes: int,
    limits: UploadLimits | None = None,
) -> RateCard:
    """A rate card from one uploaded file, chosen by its extension (or else its content type)."""
    name = filename.lower()
    kind = (content_type or "").split(";")[0].strip().lower()
    if name.endswith(".xlsx") or (not name.endswith(".json") and kind == XLSX_CONTENT_TYPE):
        return read_xlsx(data, max_uncompressed_bytes=max_uncompressed_bytes, limits=limits)
    if name.endswith(".json") or kind == "application/json":
        return read_json(parse_json(data), limits)
    if name.endswith(".csv"):
        tables = ", ".join(f"{table}.csv" for table in REQUIRED_TABLES + OPTIONAL_TABLES)
        raise RateCardRejected(
            [UPLOAD.problem(f"a CSV rate card is one file per table; upload them together: {tables}")]
        )
    if name.endswith(".xls"):
        raise RateCardRejected([UPLOAD.problem("this is an old Excel .xls file: save it as .xlsx and upload it again")])
    raise RateCardRejected(
        [UPLOAD.problem(f"{filename!r} is not a rate card file: upload an .xlsx workbook, a .json file, or CSV files")]
    )


def parse_json(data: bytes) -> object:
    """The JSON document in `data`; numbers with a fraction become exact Decimals."""
    if not data.strip():
        raise RateCardRejected([UPLOAD.problem("the file is empty")])
    try:
        return json.loads(data, parse_float=Decimal)
    except UnicodeDecodeError:
        raise RateCardRejected([UPLOAD.problem("the file is not UTF-8 text, so not JSON")]) from None
    except json.JSONDecodeError as error:
        message = f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        raise RateCardRejected([UPLOAD.problem(message)]) from None
    except RecursionError:  # the standard parser recurses once per level: no rate card is that deep
        raise RateCardRejected([UPLOAD.problem(NESTED_TOO_DEEPLY)]) from None


NESTED_TOO_DEEPLY = "not a rate card: the JSON is nested too deeply"


# -- Excel workbooks


def read_xlsx(data: bytes, *, max_uncompressed_bytes: int, limits: UploadLimits | None = None) -> RateCard:
    """A rate card from an .xlsx workbook (see docs/rate-card-formats.md)."""
    limits = limits or UploadLimits()
    return build_rate_card(xlsx_tables(data, max_uncompressed_bytes=max_uncompressed_bytes, limits=limits), limits)


def xlsx_tables(data: bytes, *, max_uncompressed_bytes: int, limits: UploadLimits | None = None) -> Tables:
    limits = limits or UploadLimits()
    problem = _archive_problem(data, max_uncompressed_bytes, limits)
    if problem is not None:
        raise RateCardRejected([problem])
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise RateCardRejected([UPLOAD.problem(f"the workbook could not be read: {error}")]) from None
    try:
        return _workbook_tables(workbook.worksheets, _SheetReader(limits))
    except DAMAGED as error:
        raise RateCardRejected([UPLOAD.problem(f"the workbook could not be read: {error}")]) from None
    finally:
        workbook.close()


# What reading a damaged sheet can raise (a bad cell reference, a shared string that does not exist,
# broken XML or compressed data); a refusal, not a failure of the service.
DAMAGED = (ValueError, IndexError, KeyError, TypeError, SyntaxError, EOFError, zipfile.BadZipFile, zlib.error)


def _archive_problem(data: bytes, max_uncompressed_bytes: int, limits: UploadLimits) -> Problem | None:
    """Why `data` cannot be an .xlsx workbook we are willing to open, if it cannot.

    Sizes are checked from the zip directory before anything is unpacked, so
    a small file that unpacks to gigabytes (a zip bomb) is refused cheaply.
    """
    if not data:
        return UPLOAD.problem("the file is empty")
    if data.startswith(b"%PDF"):
        return UPLOAD.problem("this is a PDF, not an Excel workbook (.xlsx)")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return UPLOAD.problem("this is an old Excel .xls file: save it as .xlsx and upload it again")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        hint = " (it looks like text: upload CSV files as .csv)" if _looks_like_text(data) else ""
        return UPLOAD.problem(f"this is not an Excel workbook (.xlsx){hint}")
    if not any(entry.filename == "xl/workbook.xml" for entry in entries):
        return UPLOAD.problem("this is a zip archive, not an Excel workbook (.xlsx)")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > max_uncompressed_bytes:
        return UPLOAD.problem(
            f"the workbook unpacks to {unpacked:,} bytes, more than the limit of {max_uncompressed_bytes:,}"
        )
    sheets = sum(1 for entry in entries if entry.filename.startswith("xl/worksheets/sheet"))
    most = max_sheets(limits)
    if sheets > most:
        return UPLOAD.problem(
            f"the workbook has {sheets:,} sheets, more than {most:,}: the tables, one price sheet per service "
            f"(at most {limits.services:,}, uploads.max_services) and {len(IGNORED_SHEETS)} for notes"
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        texts = _shared_strings_beyond(archive, limits.cells)
        undeclared = _undeclared_large_sheet(archive, limits)
    if undeclared is not None:
        return UPLOAD.problem(
            f"the sheet {undeclared.filename} does not declare its size and unpacks to {undeclared.file_size:,} "
            f"bytes, more than {UNDECLARED_BYTES_PER_CELL * limits.cells:,}: a sheet of "
            f"{limits.cells:,} cells (uploads.max_cells) needs less; save the workbook again from Excel"
        )
    if texts is not None:
        return UPLOAD.problem(texts)
    return None


UNDECLARED_BYTES_PER_CELL = 48  # a cell such as <c r="AB1234" s="3"><v>12.5</v></c>, with room to spare
DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension[\s/>]")


def _undeclared_large_sheet(archive: zipfile.ZipFile, limits: UploadLimits) -> zipfile.ZipInfo | None:
    """A sheet too large to be scanned that does not say its size, if there is one.

    openpyxl reads a sheet's declared size when it opens the workbook; a sheet that declares none
    is scanned to its end right then, before any limit can be checked (a 1.2 MB upload whose sheet
    unpacks to 48 MB took 13 s). Such a sheet may only be as large as `limits.cells` cells need.
    """
    most = UNDECLARED_BYTES_PER_CELL * limits.cells
    for entry in archive.infolist():
        if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml") and entry.file_size > most:
            with archive.open(entry) as source:
                head = source.read(1 << 16).split(b"sheetData", 1)[0]
            if not DIMENSION.search(head):
                return entry
    return None


SHARED_STRINGS_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_STRING = re.compile(rb"<(?:[\w.-]+:)?si[\s/>]")


def _shared_strings_beyond(archive: zipfile.ZipFile, most: int) -> str | None:
    """Why the workbook's shared strings are more than `most` cells may use, if they are: more
    than `most` texts, or more than 64 bytes per cell of `most` unpacked.

    openpyxl loads them all when it opens the workbook, each as an object: a few kilobytes of
    compressed `<si><t>a</t></si>` would cost seconds and hundreds of megabytes. They are counted
    first, streaming, stopping at the first past `most`.
    """
    names = set(archive.namelist())
    part = "xl/sharedStrings.xml"
    if "[Content_Types].xml" in names:
        with archive.open("[Content_Types].xml") as types:
            declared = re.search(
                rb'PartName="/([^"]+)"[^>]*ContentType="' + re.escape(SHARED_STRINGS_TYPE), types.read(1 << 20)
            )
        if declared:
            part = declared.group(1).decode("utf-8", "replace")
    limit = f"the limit is {most:,} cells (uploads.max_cells)"
    if part not in names:
        return None
    size = archive.getinfo(part).file_size
    if size > SHARED_BYTES_PER_CELL * most:  # openpyxl parses it whole: a text of a million parts is slow too
        return f"the workbook's texts unpack to {size:,} bytes, more than {SHARED_BYTES_PER_CELL * most:,}: {limit}"
    counted, tail = 0, b""
    with archive.open(part) as source:
        while chunk := source.read(1 << 20):
            buffer = tail + chunk
            counted += sum(1 for found in SHARED_STRING.finditer(buffer) if found.end() > len(tail))
            if counted > most:
                return f"the workbook holds more than {most:,} texts, more than its cells may hold: {limit}"
            tail = buffer[-32:]
    return None


def max_sheets(limits: UploadLimits) -> int:
    """The most sheets a workbook may have: the tables, one price sheet per service, and notes."""
    return len(SHEET_TITLES) + limits.services + len(IGNORED_SHEETS)


def _looks_like_text(data: bytes) -> bool:
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in data[:4096]


def _workbook_tables(sheets: Sequence[Any], reader: _SheetReader) -> Tables:
    tables = Tables()
    prices = Table("prices", Location(sheet=f"{PRICES_SHEET}<service>"))
    price_sheets = 0
    titles = {title.lower(): name for name, title in SHEET_TITLES.items()}
    for sheet in sheets:
        title: str = sheet.title
        key = title.strip().lower()
        if key in (ignored.lower() for ignored in IGNORED_SHEETS):
            continue
        rows = reader.rows(sheet)
        if key in titles:
            table, problems = table_from_grid(titles[key], title, rows)
            tables.tables[table.name] = table
            tables.problems.extend(problems)
        elif key.startswith(PRICES_SHEET.lower()) or key == PRICES_SHEET.strip().lower():
            price_sheets += 1
            if price_sheets == 1:
                prices.where = Location(sheet=title)
            long_rows, problems = _wide_price_rows(title, rows, reader)
            prices.rows.extend(long_rows)
            tables.problems.extend(problems)
        else:
            expected = ", ".join([*SHEET_TITLES.values(), f"'{PRICES_SHEET}<service>'"])
            tables.problems.append(Location(sheet=title).problem(f"unknown sheet; the sheets are: {expected}"))
    for name in REQUIRED_TABLES:
        if name == "prices":
            if not price_sheets:
                tables.problems.append(prices.where.problem("missing sheet: add one such sheet per service"))
        elif name not in tables.tables:
            tables.problems.append(Location(sheet=SHEET_TITLES[name]).problem("missing sheet"))
    if price_sheets:
        tables.tables["prices"] = prices
    return tables


ELEMENTS_PER_CELL = 4  # <c><v>, or <c><is><t>, with room for a few runs of rich text
ELEMENTS_AROUND_CELLS = 10_000  # rows' and sheets' own: column widths, views, formatting, ...
SHARED_BYTES_PER_CELL = 64  # the shared strings' part, per cell of the limit


class _SheetReader:
    """Reads the sheets of one workbook cell by cell, within the limits of the upload.

    openpyxl's own row iterator builds each row as wide as its last cell (16,384 values for a
    cell in column XFD) and fills the rows missing before a row far down; this one stops at the
    first row, column or cell past a limit, before building anything for it. It still reads the
    values with openpyxl (shared strings, numbers, dates and times by their number format).
    """

    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits
        self.cells = 0  # cells of the workbook read so far (each row up to its last value)
        self.brackets = 0  # price brackets of the price sheets so far
        self.elements = 0  # XML elements of the sheets so far
        self.most_elements = ELEMENTS_PER_CELL * limits.cells + ELEMENTS_AROUND_CELLS

    def too_many_elements(self, sheet: str, row: int) -> UploadTooLarge:
        """Elements that are not cells (or a cell of thousands of parts) cost time to read too: a
        42 KB workbook of 10,000,000 empty elements in one row took 21 s."""
        return UploadTooLarge(
            Location(sheet=sheet, row=row or None).problem(
                f"more than {self.most_elements:,} XML elements in the sheets: a workbook within the limit of "
                f"{self.limits.cells:,} cells (uploads.max_cells) has fewer"
            )
        )

    def rows(self, sheet: Any) -> list[tuple[int, Sequence[object]]]:
        """The sheet's rows that hold a value: (row number, values up to the row's last one)."""
        self.check_declared_size(sheet)
        limits, title = self.limits, sheet.title
        workbook = sheet.parent
        # openpyxl's own parser reads each cell's value, as its read-only sheets do (openpyxl 3.1,
        # pinned below 4 in pyproject.toml): the same shared strings and date formats.
        parser = WorkSheetParser(
            None,
            sheet._shared_strings,  # noqa: SLF001
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,  # noqa: SLF001
            timedelta_formats=workbook._timedelta_formats,  # noqa: SLF001
        )
        rows: list[tuple[int, Sequence[object]]] = []
        values: list[object] = []
        number = read = 0
        in_cell = False
        with sheet._get_source() as source:  # noqa: SLF001
            for event, element in iterparse(source, events=("start", "end")):
                tag = element.tag
                if event == "start":
                    self.elements += 1
                    if self.elements > self.most_elements:
                        raise self.too_many_elements(title, number)
                    if tag == CELL_TAG:
                        in_cell = True
                    elif tag == ROW_TAG:
                        given = element.get("r")
                        number, read = (int(given) if given else number + 1), read + 1
                        if number > limits.rows or read > limits.rows:
                            raise too_many("rows in a sheet", "rows", limits, Location(sheet=title, row=number))
                        parser.row_counter, parser.col_counter, values = number, 0, []
                elif tag == CELL_TAG:
                    in_cell = False
                    column, value = _cell(parser, element)
                    element.clear()
                    self.count_cells(1, title, number, column)
                    if value is not None:
                        self.put(values, column, value, title, number)
                elif tag == ROW_TAG:
                    element.clear()
                    if values:
                        rows.append((number, values))
                elif not in_cell:  # keep what a cell holds until the cell is read; drop the rest
                    element.clear()
        return rows

    def put(self, values: list[object], column: int, value: object, sheet: str, row: int) -> None:
        if column > self.limits.columns:
            where = Location(sheet=sheet, row=row, column=column_letter(column - 1))
            raise too_many("columns in a sheet", "columns", self.limits, where)
        if column > len(values):
            self.count_cells(column - 1 - len(values), sheet, row, column)
            values.extend([None] * (column - len(values)))
        values[column - 1] = value

    def count_cells(self, cells: int, sheet: str, row: int, column: int) -> None:
        self.cells += cells
        if self.cells > self.limits.cells:
            where = Location(sheet=sheet, row=row, column=column_letter(column - 1))
            raise too_many("cells in the workbook", "cells", self.limits, where)

    def check_declared_size(self, sheet: Any) -> None:
        """A sheet that says it is larger than the limits is refused before it is read (it may
        also say less than it holds: reading checks again, cell by cell)."""
        limits = self.limits
        rows, columns = sheet.max_row, sheet.max_column
        size = f"{column_letter(sheet.min_column - 1)}{sheet.min_row}:{column_letter((columns or 1) - 1)}{rows}"
        if columns is not None and columns > limits.columns:
            where = Location(sheet=sheet.title, column=column_letter(columns - 1))
            raise too_many(f"columns in a sheet (it spans {size})", "columns", limits, where)
        if rows is not None and rows > limits.rows:
            raise too_many(f"rows in a sheet (it spans {size})", "rows", limits, Location(sheet=sheet.title, row=rows))


def _cell(parser: WorkSheetParser, element: Any) -> tuple[int, object]:
    """(column, value) of a cell element. Text typed in the cell itself (an inline string, as some
    exporters write) is read directly: openpyxl builds a rich-text object for each."""
    if element.get("t") != "inlineStr":
        cell = parser.parse_cell(element)
        return cell["column"], cell["value"]
    reference = element.get("r")
    if reference:
        parser.col_counter = coordinate_to_tuple(reference)[1]
    else:
        parser.col_counter += 1
    return parser.col_counter, "".join(element.itertext()) or None


def _wide_price_rows(
    title: str, rows: Sequence[tuple[int, Sequence[object]]], reader: _SheetReader
) -> tuple[list[Row], list[Problem]]:
    """Long rows (service, zone, from_kg, to_kg, price) from a sheet with one column per zone.

    An empty cell means the zone is not served from that row on, so a price
    below it is a gap. The extra_kg row is the exception: it applies past the
    zone's last priced row, wherever that is.
    """
    sheet = Location(sheet=title)
    service = title.strip()[len(PRICES_SHEET) :].strip()
    if not service:
        return [], [sheet.problem(f"name the sheet '{PRICES_SHEET}<service code>'")]
    table, problems = table_from_grid("prices", title, rows)
    header = table.header or {}
    if not header:
        return [], problems
    for column in ("from_kg", "to_kg"):
        if column not in header:
            problems.append(sheet.problem(f"missing column {column!r}"))
    zones = [(key, where) for key, where in header.items() if key not in ("from_kg", "to_kg")]
    if not zones:
        problems.append(sheet.problem("no zone columns: add one column per zone code after to_kg"))
    service_cell = Cell(service, sheet)
    long_rows: list[Row] = []
    for key, where in zones:
        zone_cell = Cell(where.column, where)
        last_to: Cell | None = None
        empty_at: int | None = None
        for row in table.rows:
            from_cell, to_cell = table.cell(row, "from_kg"), table.cell(row, "to_kg")
            price = table.cell(row, key)
            is_extra = isinstance(to_cell.value, str) and to_cell.value.lower() == EXTRA_KG
            if price.empty:
                if empty_at is None and not is_extra:
                    empty_at = row.where.row
                continue
            if empty_at is not None and not is_extra:
                problems.append(
                    price.where.problem(
                        f"a price below an empty cell (row {empty_at}) leaves a gap in zone {where.column}: "
                        "fill the cells above, or empty the ones below"
                    )
                )
                break  # one problem per gap, not one per cell below it
            if is_extra and empty_at is not None and last_to is not None:
                from_cell = last_to  # the zone's brackets end above; extra kilograms start there
            reader.brackets += not is_extra
            if reader.brackets > reader.limits.brackets:
                raise too_many("price brackets", "brackets", reader.limits, price.where)
            cells = {"service": service_cell, "zone": zone_cell, "from_kg": from_cell, "to_kg": to_cell}
            long_rows.append(Row({**cells, "price": price}, row.where))
            last_to = to_cell
    return long_rows, problems


# -- CSV files


def read_csv_files(files: Mapping[str, bytes], limits: UploadLimits | None = None) -> RateCard:
    """A rate card from CSV files keyed by table name (`card` or `card.csv`, `services`, ...)."""
    limits = limits or UploadLimits()
    return build_rate_card(csv_tables(files, limits), limits)


def csv_tables(files: Mapping[str, bytes], limits: UploadLimits | None = None) -> Tables:
    limits = limits or UploadLimits()
    cells = [0]  # of all the files together
    tables = Tables()
    expected = ", ".join(f"{name}.csv" for name in COLUMNS)
    given: set[str] = set()
    for key, data in files.items():
        name = key.replace("\\", "/").rsplit("/", 1)[-1].strip().lower().removesuffix(".csv")
        where = Location(sheet=key)
        if name not in COLUMNS:
            tables.problems.append(where.problem(f"unknown file; the files are: {expected}"))
            continue
        if name in given:
            tables.problems.append(where.problem(f"the {name} table is given twice"))
            continue
        given.add(name)
        text = _decode_csv(data)
        if isinstance(text, Problem):
            tables.problems.append(where.problem(text.message))
            continue
        try:
            records = _csv_records(key, text, limits, cells)
        except csv.Error as error:
            tables.problems.append(where.problem(f"not a readable CSV file: {error}"))
            continue
        table, problems = table_from_grid(name, key, records)
        tables.tables[name] = table
        tables.problems.extend(problems)
    for name in REQUIRED_TABLES:
        if name not in given:
            tables.problems.append(Location(sheet=f"{name}.csv").problem("missing file"))
    return tables


def _csv_records(file: str, text: str, limits: UploadLimits, cells: list[int]) -> list[tuple[int, Sequence[object]]]:
    """The records of one CSV file, numbered, each up to its last value; reading stops at the first
    record past the row, column or cell limits."""
    records: list[tuple[int, Sequence[object]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    for number, record in enumerate(reader, start=1):
        if number > limits.rows:
            raise too_many("rows in a file", "rows", limits, Location(sheet=file, row=number))
        while record and not record[-1].strip():
            record.pop()
        if len(record) > limits.columns:
            where = Location(sheet=file, row=number, column=column_letter(limits.columns))
            raise too_many("columns in a file", "columns", limits, where)
        cells[0] += len(record)
        if cells[0] > limits.cells:
            where = Location(sheet=file, row=number)
            raise too_many("cells in the files together", "cells", limits, where)
        records.append((number, record))
    return records


def _decode_csv(data: bytes) -> str | Problem:
    """The text of a CSV file: UTF-8, with or without the BOM Excel writes."""
    if b"\0" in data:
        return Problem("this is a binary file, not CSV text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Problem("the file is not UTF-8 text: save it as 'CSV UTF-8'")
    if not text.strip():
        return Problem("the file is empty")
    return text


def _delimiter(text: str) -> str:
    """`;` when the header uses it (Excel in French and other locales), else `,`."""
    header = text.lstrip().splitlines()[0]
    return ";" if header.count(";") > header.count(",") else ","


# -- JSON


def read_json(document: object, limits: UploadLimits | None = None) -> RateCard:
    """A rate card from the nested JSON document of docs/rate-card-formats.md."""
    limits = limits or UploadLimits()
    return build_rate_card(json_tables(document, limits), limits)


def json_tables(document: object, limits: UploadLimits | None = None) -> Tables:
    if not isinstance(document, dict):
        raise RateCardRejected([Problem("a rate card must be a JSON object")])
    return _JsonReader(document, limits or UploadLimits()).tables


class _JsonReader:
    """Flattens the nested document into tables; each cell's location is its field path."""

    TOP = ("carrier", "currency", "valid_from", "fuel_percent", "notes", "services", "zones", "prices")
    OPTIONAL = ("surcharges", "tiers")
    SERVICE = {"code": "service"} | {c: c for c in COLUMNS["services"][0][1:] + COLUMNS["services"][1]}
    SURCHARGE = (
        "kind",
        "name",
        "amount",
        "services",
        "areas",
        "min_length_cm",
        "min_length_girth_cm",
        "min_weight_kg",
    )

    def __init__(self, document: dict[str, Any], limits: UploadLimits) -> None:
        self.limits = limits
        self.counted: dict[str, int] = {}
        self.tables = Tables()
        self.check_fields(document, self.TOP + self.OPTIONAL, "")
        self.card(document)
        self.services(document)
        self.zones(document)
        self.prices(document)
        self.surcharges(document)
        self.tiers(document)

    def problem(self, path: str, message: str) -> None:
        self.tables.problems.append(Problem(message, field=path or None))

    def count(self, limit_name: str, what: str, path: str) -> None:
        """One more of what `limit_name` limits, at `path`: past the limit, reading stops there."""
        self.counted[limit_name] = self.counted.get(limit_name, 0) + 1
        if self.counted[limit_name] > getattr(self.limits, limit_name):
            raise too_many(what, limit_name, self.limits, Location(field=path))

    def check_fields(self, obj: dict[str, Any], allowed: Sequence[str], path: str) -> None:
        for key in obj:
            if key not in allowed:
                self.problem(_join(path, str(key)), f"unknown field; the fields are: {', '.join(allowed)}")

    def table(self, name: str) -> Table:
        table = Table(name, Location(field=name))
        self.tables.tables[name] = table
        return table

    def objects(self, parent: dict[str, Any], key: str, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(path, object) for each object in the list `parent[key]`; other shapes are problems."""
        value = parent.get(key)
        where = _join(path, key)
        if value is None:
            return
        if not isinstance(value, list):
            self.problem(where, "must be a list")
            return
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield f"{where}[{index}]", item
            else:
                self.problem(f"{where}[{index}]", "must be an object")

    def card(self, document: dict[str, Any]) -> None:
        table = self.table("card")
        carrier = document.get("carrier")
        if carrier is not None and not isinstance(carrier, dict):
            self.problem("carrier", "must be an object with code and name")
            carrier = None
        if carrier is not None:
            self.check_fields(carrier, ("code", "name"), "carrier")
        carrier = carrier or {}
        values = [
            ("carrier_code", carrier.get("code"), "carrier.code"),
            ("carrier_name", carrier.get("name"), "carrier.name"),
        ]
        for key in ("currency", "valid_from", "fuel_percent", "notes"):
            if key in document or key in ("currency", "valid_from"):
                values.append((key, document.get(key), key))
        for key, value, path in values:
            where = Location(field=path)
            table.rows.append(Row({"key": Cell(key, where), "value": Cell(value, where, typed=True)}, where))

    def row(self, table: Table, obj: dict[str, Any], path: str, fields: Mapping[str, str]) -> None:
        """One row of `table` from `obj`, JSON field -> column as in `fields`."""
        cells = {column: self.cell(obj.get(key), _join(path, key)) for key, column in fields.items()}
        table.rows.append(Row(cells, Location(field=path)))

    @staticmethod
    def cell(value: object, path: str) -> Cell:
        return Cell(value, Location(field=path), typed=True)

    def services(self, document: dict[str, Any]) -> None:
        services, transit = self.table("services"), self.table("transit")
        for path, service in self.objects(document, "services", ""):
            self.count("services", "services", path)
            self.check_fields(service, [*self.SERVICE, "transit"], path)
            self.row(services, service, path, self.SERVICE)
            times = service.get("transit")
            if times is None:
                continue
            if not isinstance(times, dict):
                self.problem(f"{path}.transit", "must be an object: zone code -> [min_days, max_days]")
                continue
            for zone, days in times.items():
                where = f"{path}.transit.{zone}"
                self.count("rows", "transit times", where)
                if not isinstance(days, list) or len(days) != 2:
                    self.problem(where, "must be [min_days, max_days]")
                    continue
                cells = {
                    "service": self.cell(service.get("code"), f"{path}.code"),
                    "zone": self.cell(zone, where),
                    "min_days": self.cell(days[0], f"{where}[0]"),
                    "max_days": self.cell(days[1], f"{where}[1]"),
                }
                transit.rows.append(Row(cells, Location(field=where)))

    def zones(self, document: dict[str, Any]) -> None:
        table = self.table("zones")
        seen: dict[object, str] = {}
        for path, zone in self.objects(document, "zones", ""):
            self.count("zones", "zones", path)
            self.check_fields(zone, ("code", "name", "entries"), path)
            code = zone.get("code")
            if isinstance(code, str) and code in seen:
                self.problem(f"{path}.code", f"zone {code} is defined twice (first at {seen[code]})")
                continue
            if isinstance(code, str):
                seen[code] = f"{path}.code"
            entries = list(self.objects(zone, "entries", path))
            if not entries and not zone.get("entries"):  # an empty list, or none
                self.problem(f"{path}.entries", "a zone needs at least one entry: a country, and postcodes")
            for index, (entry_path, entry) in enumerate(entries):
                self.count("zone_entries", "zone entries (country and postcode patterns)", entry_path)
                self.check_fields(entry, ("country", "postcodes"), entry_path)
                cells = {
                    "zone": self.cell(code, f"{path}.code"),
                    "name": self.cell(zone.get("name") if index == 0 else None, f"{path}.name"),
                    "country": self.cell(entry.get("country"), f"{entry_path}.country"),
                    "postcodes": self.cell(entry.get("postcodes"), f"{entry_path}.postcodes"),
                }
                table.rows.append(Row(cells, Location(field=entry_path)))

    def prices(self, document: dict[str, Any]) -> None:
        table = self.table("prices")
        for path, grid in self.objects(document, "prices", ""):
            self.check_fields(grid, ("service", "zone", "brackets", "extra_kg_price"), path)
            service = self.cell(grid.get("service"), f"{path}.service")
            zone = self.cell(grid.get("zone"), f"{path}.zone")
            brackets = list(self.objects(grid, "brackets", path))
            if not brackets:
                if not grid.get("brackets"):  # an empty list, or none
                    self.problem(f"{path}.brackets", "a price grid needs at least one bracket")
                continue
            # Brackets give only to_kg: each starts where the previous one ended.
            start = self.cell(0, f"{brackets[0][0]}.to_kg")
            for bracket_path, bracket in brackets:
                self.count("brackets", "price brackets", bracket_path)
                self.check_fields(bracket, ("to_kg", "price"), bracket_path)
                end = self.cell(bracket.get("to_kg"), f"{bracket_path}.to_kg")
                price = self.cell(bracket.get("price"), f"{bracket_path}.price")
                cells = {"service": service, "zone": zone, "from_kg": start, "to_kg": end, "price": price}
                table.rows.append(Row(cells, Location(field=bracket_path)))
                start = end
            extra = grid.get("extra_kg_price")
            if extra is not None:
                where = f"{path}.extra_kg_price"
                cells = {
                    "service": service,
                    "zone": zone,
                    "from_kg": start,
                    "to_kg": self.cell(EXTRA_KG, where),
                }
                table.rows.append(Row({**cells, "price": self.cell(extra, where)}, Location(field=where)))

    def surcharges(self, document: dict[str, Any]) -> None:
        if "surcharges" not in document:
            return
        table = self.table("surcharges")
        for path, surcharge in self.objects(document, "surcharges", ""):
            self.count("surcharges", "surcharges", path)
            self.check_fields(surcharge, self.SURCHARGE, path)
            fields = {key: key for key in ("kind", "name", "amount", *self.SURCHARGE[-3:])}
            cells = {column: self.cell(surcharge.get(key), _join(path, key)) for key, column in fields.items()}
            cells["services"] = self.service_codes(surcharge.get("services"), f"{path}.services")
            areas = list(self.objects(surcharge, "areas", path))
            no_area = self.cell(None, f"{path}.areas")
            cells["country"], cells["postcodes"] = no_area, no_area
            for index, (area_path, area) in enumerate(areas):
                self.count("remote_area_postcodes", "remote-area postcodes (country and postcode patterns)", area_path)
                self.check_fields(area, ("country", "postcodes"), area_path)
                country = self.cell(area.get("country"), f"{area_path}.country")
                postcodes = self.cell(area.get("postcodes"), f"{area_path}.postcodes")
                if index == 0:
                    cells["country"], cells["postcodes"] = country, postcodes
                    table.rows.append(Row(cells, Location(field=path)))
                else:
                    table.rows.append(Row({"country": country, "postcodes": postcodes}, Location(field=area_path)))
            if not areas:
                table.rows.append(Row(cells, Location(field=path)))

    def service_codes(self, value: object, path: str) -> Cell:
        """The list of service codes as the comma-separated text the tables use."""
        if value is None:
            return self.cell(None, path)
        if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
            self.problem(path, "must be a list of service codes")
            return self.cell(None, path)
        return self.cell(",".join(value), path)

    def tiers(self, document: dict[str, Any]) -> None:
        if "tiers" not in document:
            return
        table = self.table("tiers")
        for path, tier in self.objects(document, "tiers", ""):
            self.count("tiers", "volume tiers", path)
            self.check_fields(tier, ("min_parcels", "discount_percent"), path)
            self.row(table, tier, path, {"min_parcels": "min_parcels", "discount_percent": "discount_percent"})


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
