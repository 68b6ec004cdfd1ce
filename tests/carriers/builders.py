"""Inputs for the rate-card reader, builder and writer tests.

The example card (config/examples/rate-card.json) in every format, helpers to
break one cell of it, and a hypothesis strategy of valid random cards.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import string
from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from carriers.build import RateCardRejected
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
    zone_conflicts,
)
from carriers.readers import read_json
from carriers.writers import write_csv_files, write_xlsx
from tms.domain.errors import Problem

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_JSON = ROOT / "config" / "examples" / "rate-card.json"
LIMIT = 10_000_000  # max_uncompressed_bytes for the tests' workbooks


def example_document() -> dict[str, Any]:
    """The example card as the API receives it (floats, not Decimals); a fresh copy each time."""
    return copy.deepcopy(_EXAMPLE)


_EXAMPLE: dict[str, Any] = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))


def example_card() -> RateCard:
    return read_json(example_document())


def refusal(read: Callable[[], object]) -> list[Problem]:
    """The problems `read()` refuses the card with (fails the test if it accepts it)."""
    with pytest.raises(RateCardRejected) as caught:
        read()
    return caught.value.problems


def find(problems: list[Problem], contains: str, **where: object) -> Problem:
    """The one problem at `where` (sheet/row/column/field) whose message contains `contains`."""
    found = [
        p for p in problems if contains in p.message and all(getattr(p, key) == value for key, value in where.items())
    ]
    assert found, f"no problem {contains!r} at {where} in:\n" + "\n".join(map(str, problems))
    return found[0]


# -- CSV files of the example, cell by cell


def example_csv() -> dict[str, bytes]:
    return write_csv_files(example_card())


def csv_rows(files: dict[str, bytes], table: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(files[f"{table}.csv"].decode("utf-8"))))


def put_csv_rows(files: dict[str, bytes], table: str, rows: list[list[str]]) -> dict[str, bytes]:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    files[f"{table}.csv"] = text.getvalue().encode("utf-8")
    return files


def set_cell(files: dict[str, bytes], table: str, row: int, column: str, value: str) -> dict[str, bytes]:
    """Set the cell at a 1-based row (1 is the header) and a column name of `table.csv`."""
    rows = csv_rows(files, table)
    index = rows[0].index(column)
    rows[row - 1][index] = value
    return put_csv_rows(files, table, rows)


def add_row(files: dict[str, bytes], table: str, **values: str) -> dict[str, bytes]:
    """Append a row to `table.csv`; its row number is the table's line count."""
    rows = csv_rows(files, table)
    rows.append([values.get(column, "") for column in rows[0]])
    return put_csv_rows(files, table, rows)


def replace_table(files: dict[str, bytes], table: str, text: str) -> dict[str, bytes]:
    files[f"{table}.csv"] = "\n".join(line.strip() for line in text.strip().splitlines()).encode("utf-8")
    return files


# -- workbooks


def edited_workbook(edit: Callable[[Workbook], None], card: RateCard | None = None) -> bytes:
    """The example workbook (or `card`'s) after `edit`, as bytes."""
    workbook = load_workbook(io.BytesIO(write_xlsx(card or example_card())))
    edit(workbook)
    output = io.BytesIO()
    workbook.save(output)
    workbook.close()
    return output.getvalue()


# -- random valid cards

COUNTRIES = ("FR", "BE", "DE", "LU", "NL", "IT")
TEXT = string.ascii_letters + string.digits + " éèàÉ'&()-.,;=/"
texts = st.text(alphabet=TEXT, min_size=1, max_size=16).map(str.strip).filter(bool)
codes = st.text(alphabet=string.ascii_uppercase + string.digits + "_-", min_size=1, max_size=8).filter(
    lambda code: code[0].isalnum() and code.lower() not in {"from_kg", "to_kg"}
)
weekday_sets = st.frozensets(st.integers(0, 6), min_size=1)
optional_mm = st.none() | st.integers(1, 3000)


@st.composite
def zone_entries(draw: st.DrawFn) -> ZoneEntry:
    country = draw(st.sampled_from(COUNTRIES))
    shape = draw(st.sampled_from(["country", "prefix", "range"]))
    if shape == "country":
        return ZoneEntry(country)
    if shape == "prefix":
        return ZoneEntry(country, prefix=draw(st.text(string.digits, min_size=1, max_size=3)))
    low, high = sorted(draw(st.lists(st.integers(0, 99999), min_size=2, max_size=2)))
    return ZoneEntry(country, low=f"{low:05d}", high=f"{high:05d}")


@st.composite
def services(draw: st.DrawFn) -> list[Service]:
    found = []
    for code in draw(st.lists(codes, min_size=1, max_size=3, unique_by=str.lower)):
        found.append(
            Service(
                code=code,
                name=draw(texts),
                mode=draw(st.sampled_from(DeliveryMode)),
                speed=draw(st.sampled_from(SpeedClass)),
                pickup_cutoff=time(draw(st.integers(0, 23)), draw(st.integers(0, 59))),
                pickup_weekdays=draw(weekday_sets),
                delivery_weekdays=draw(weekday_sets),
                max_weight_g=draw(st.integers(1, 70_000)),
                transit={},
                max_length_mm=draw(optional_mm),
                max_length_girth_mm=draw(optional_mm),
                max_dimensions_sum_mm=draw(optional_mm),
                volumetric_divisor=draw(st.none() | st.integers(1, 10_000)),
                signature=draw(st.booleans()),
                appointment=draw(st.booleans()),
                insurance_cents=draw(st.none() | st.integers(1, 10**9)),
            )
        )
    return found


@st.composite
def zones(draw: st.DrawFn) -> list[Zone]:
    found = [
        Zone(code, draw(texts), tuple(draw(st.lists(zone_entries(), min_size=1, max_size=3, unique=True))))
        for code in draw(st.lists(codes, min_size=1, max_size=3, unique_by=str.lower))
    ]
    # Overlapping zones are refused; keep the first zones that do not clash.
    kept: list[Zone] = []
    for zone in found:
        if not zone_conflicts([*kept, zone]):
            kept.append(zone)
    return kept


@st.composite
def grids(draw: st.DrawFn, service: str, zone: str) -> PriceGrid:
    bounds = sorted(draw(st.lists(st.integers(1, 40_000), min_size=1, max_size=4, unique=True)))
    prices = draw(
        st.lists(st.integers(0, 50_000), min_size=len(bounds), max_size=len(bounds)).filter(
            lambda p: all(a != b for a, b in zip(p, p[1:], strict=False))  # equal neighbours are merged
        )
    )
    extra = draw(st.none() | st.integers(0, 5_000))
    return PriceGrid(service, zone, tuple(map(Bracket, bounds, prices)), extra)


@st.composite
def surcharges(draw: st.DrawFn, service_codes: list[str]) -> Surcharge:
    kind = draw(st.sampled_from(SurchargeKind))
    common = {
        "kind": kind,
        "name": draw(texts),
        "amount_cents": draw(st.integers(0, 10_000)),
        "services": draw(st.frozensets(st.sampled_from(service_codes))),
    }
    if kind is SurchargeKind.REMOTE_AREA:
        return Surcharge(**common, areas=tuple(draw(st.lists(zone_entries(), min_size=1, max_size=3))))
    if kind is SurchargeKind.OVERSIZE:
        length, girth = draw(optional_mm), draw(optional_mm)
        weight = draw(st.none() | st.integers(1, 70_000))
        if length is girth is weight is None:
            length = 1200
        return Surcharge(**common, min_length_mm=length, min_length_girth_mm=girth, min_weight_g=weight)
    return Surcharge(**common)


@st.composite
def rate_cards(draw: st.DrawFn) -> RateCard:
    """Valid cards, small and varied: what any reader must give back after any writer."""
    service_list = draw(services())
    zone_list = draw(zones())
    pairs = [(s.code, z.code) for s in service_list for z in zone_list]
    priced = [pair for pair in pairs if draw(st.booleans())] or [pairs[0]]
    prices = [draw(grids(service, zone)) for service, zone in priced]
    timed = set(priced) | {pair for pair in pairs if draw(st.booleans())}
    transit: dict[tuple[str, str], Transit] = {}
    for pair in sorted(timed):
        low = draw(st.integers(0, 5))
        transit[pair] = Transit(low, low + draw(st.integers(0, 3)))
    service_list = [
        Service(**{**s.__dict__, "transit": {z: t for (sv, z), t in transit.items() if sv == s.code}})
        for s in service_list
    ]
    thresholds = sorted(draw(st.lists(st.integers(1, 10_000), max_size=3, unique=True)))
    return RateCard(
        carrier_code=draw(st.text(string.ascii_lowercase + string.digits + "_-", min_size=1, max_size=12)),
        carrier_name=draw(texts),
        currency=draw(st.sampled_from(["EUR", "GBP", "CHF", "PLN", "SEK", "USD"])),
        valid_from=draw(st.dates(date(2000, 1, 1), date(2100, 12, 31))),
        services=tuple(service_list),
        zones=tuple(zone_list),
        prices=tuple(prices),
        fuel_bp=draw(st.integers(0, 10_000)),
        surcharges=tuple(draw(st.lists(surcharges([s.code for s in service_list]), max_size=3))),
        tiers=tuple(VolumeTier(t, draw(st.integers(1, 9_999))) for t in thresholds),
        notes=draw(st.just("") | st.text(alphabet=TEXT + "\n\t", max_size=40).map(str.strip)),
    )
