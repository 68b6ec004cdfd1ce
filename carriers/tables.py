"""A format-neutral, tabular form of an uploaded rate card.

Every reader (workbook, CSV, JSON) turns its input into the same named
tables of rows of cells; `carriers.build` then checks and converts them once
for all formats. Each cell keeps where it came from (sheet or CSV file, row
and column, or a JSON field path), so every problem can name its place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tms.domain.errors import Problem

# Columns of each table: (required, optional), in the order the writers use.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "card": (("key", "value"), ()),
    "services": (
        (
            "service",
            "name",
            "mode",
            "speed",
            "pickup_cutoff",
            "pickup_days",
            "delivery_days",
            "max_weight_kg",
        ),
        (
            "max_length_cm",
            "max_length_girth_cm",
            "max_dimensions_sum_cm",
            "volumetric_divisor",
            "signature",
            "appointment",
            "insurance_cover",
        ),
    ),
    "zones": (("zone", "name", "country"), ("postcodes",)),
    "transit": (("service", "zone", "min_days", "max_days"), ()),
    "prices": (("service", "zone", "from_kg", "to_kg", "price"), ()),
    "surcharges": (
        ("kind", "name", "amount"),
        ("services", "country", "postcodes", "min_length_cm", "min_length_girth_cm", "min_weight_kg"),
    ),
    "tiers": (("min_parcels", "discount_percent"), ()),
}
REQUIRED_TABLES = ("card", "services", "zones", "transit", "prices")
OPTIONAL_TABLES = ("surcharges", "tiers")

# Keys of the `card` table: (required, optional).
CARD_KEYS = (("carrier_code", "carrier_name", "currency", "valid_from"), ("fuel_percent", "notes"))

EXTRA_KG = "extra_kg"


def all_columns(table: str) -> tuple[str, ...]:
    required, optional = COLUMNS[table]
    return required + optional


@dataclass(frozen=True, slots=True)  # one per cell read: slots keep a card at the limits small
class Location:
    """Where a value sits: a sheet or CSV file, row and column; or a JSON field path."""

    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None

    def problem(self, message: str) -> Problem:
        return Problem(message, field=self.field, sheet=self.sheet, row=self.row, column=self.column)

    def describe(self) -> str:
        return self.problem("").where()


@dataclass(frozen=True, slots=True)
class Cell:
    """One value as read, with its location.

    `typed` cells come from JSON, where a number must be a number and a text
    a string; spreadsheet cells are looser (a code typed as 1 is the text "1").
    `absent` cells stand for a column the table does not have at all: that is
    reported once, on the header, not on every row.
    """

    value: object
    where: Location
    typed: bool = False
    absent: bool = False

    @property
    def empty(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass
class Row:
    cells: dict[str, Cell]
    where: Location

    def has_values(self, columns: Iterable[str]) -> bool:
        return any(not self.cells[c].empty for c in columns if c in self.cells)


@dataclass
class Table:
    """Rows of one table. `header` maps each lower-cased column name to its
    header cell; it is None for sources without a header row (JSON)."""

    name: str
    where: Location
    rows: list[Row] = field(default_factory=list)
    header: dict[str, Location] | None = None

    def cell(self, row: Row, column: str) -> Cell:
        found = row.cells.get(column)
        if found is not None:
            return found
        if row.where.field is not None:
            return Cell(None, Location(field=f"{row.where.field}.{column}"))
        absent = self.header is not None and column not in self.header
        where = Location(sheet=row.where.sheet, row=row.where.row, column=column)
        return Cell(None, where, absent=absent)


@dataclass
class Tables:
    """What a reader found: the tables present, and the problems it already saw."""

    tables: dict[str, Table] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def table_from_grid(name: str, sheet: str, rows: Sequence[tuple[int, Sequence[object]]]) -> tuple[Table, list[Problem]]:
    """A table from a sheet or CSV file: the first non-empty row is the header.

    `rows` are (row number, values). Text is stripped and blank text becomes
    None; blank rows are skipped. Duplicate headers, and values in a column
    with no header, are problems.
    """
    problems: list[Problem] = []
    table = Table(name, Location(sheet=sheet), header={})
    assert table.header is not None
    data = [(number, [_clean(v) for v in values]) for number, values in rows]
    data = [(number, values) for number, values in data if any(v is not None for v in values)]
    if not data:
        return table, problems
    header_row, header_values = data[0]
    columns: list[str | None] = []
    for value in header_values:
        if value is None:
            columns.append(None)
            continue
        text = str(value)
        key = text.lower()
        where = Location(sheet=sheet, row=header_row, column=text)
        if key in table.header:
            problems.append(where.problem(f"column {text!r} appears twice"))
            columns.append(None)
            continue
        table.header[key] = where
        columns.append(key)
    written = [None if key is None else table.header[key].column for key in columns]  # as the header has it
    for number, values in data[1:]:
        cells: dict[str, Cell] = {}
        for index, value in enumerate(values):
            column = columns[index] if index < len(columns) else None
            if column is None:
                if value is not None:
                    letter = column_letter(index)
                    problems.append(
                        Location(sheet=sheet, row=number, column=letter).problem("a value in a column without a header")
                    )
                continue
            cells[column] = Cell(value, Location(sheet=sheet, row=number, column=written[index]))
        table.rows.append(Row(cells, Location(sheet=sheet, row=number)))
    return table, problems


def column_letter(index: int) -> str:
    """Spreadsheet column letters for a 0-based index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _clean(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value
