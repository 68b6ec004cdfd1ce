"""Writers of a `RateCard` in the three upload formats.

A card written by any of them and read back by the matching reader is the
same card, so a carrier manager can download a card, edit it and upload it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from carriers.model import WEEKDAY_NAMES, PriceGrid, RateCard, Service, Surcharge, SurchargeKind, ZoneEntry
from carriers.readers import PRICES_SHEET, SHEET_TITLES
from carriers.tables import EXTRA_KG, all_columns
from tms.domain.units import (
    BP_PER_PERCENT,
    CENTS_PER_UNIT,
    GRAMS_PER_KG,
    MM_PER_CM,
    amount_decimal,
    cm_decimal,
    kg_decimal,
    percent_decimal,
)

FIXED_TIME = (2026, 1, 1, 0, 0, 0)  # stamped on workbooks so the same card gives the same bytes

README = """\
Rate card workbook: one carrier's services, zones, prices, surcharges and volume tiers.
Full description: docs/rate-card-formats.md. This README sheet is ignored on upload.

Card: key / value rows: carrier_code, carrier_name, currency (ISO 4217), valid_from (YYYY-MM-DD), \
fuel_percent, notes.
Services: one row per service. Weights in kg, lengths in cm, days like Mon-Fri or Mon,Wed,Fri, cutoff HH:MM.
   Features: signature and appointment yes or no (empty = no); insurance_cover = the declared value covered \
(empty = none). The nightly plan moves an order only to a service with the same mode and at least these features.
Zones: one row per (country, postcodes); empty postcodes = the whole country; a prefix 20; \
a range 97100-97199; several separated by commas.
Transit: business days from pickup to delivery for each priced service and zone.
Prices <service>: one sheet per service; from_kg, to_kg, then one column per zone. \
A bracket covers from_kg < weight <= to_kg.
   An empty cell: the zone is not served from that row on. A last row with to_kg = extra_kg gives \
the price of each further started kg.
Surcharges: remote_area (country, postcodes), oversize (min_length_cm, min_length_girth_cm, min_weight_kg) \
or fixed; services empty = all.
   A row with only country and postcodes adds an area to the remote_area surcharge above it.
Tiers: min_parcels per month and the discount_percent off the base price; thresholds increase.

Money is in the card's currency with at most 2 decimals; nothing is rounded: finer values are refused.
Column names are case-insensitive; unknown columns and sheets are refused.
"""


# -- JSON


def card_to_json(card: RateCard) -> dict[str, Any]:
    """The card as the JSON document of docs/rate-card-formats.md (numbers as JSON numbers)."""
    zone_order = [zone.code for zone in card.zones]
    return {
        "carrier": {"code": card.carrier_code, "name": card.carrier_name},
        "currency": card.currency,
        "valid_from": card.valid_from.isoformat(),
        "fuel_percent": _json_number(card.fuel_bp, BP_PER_PERCENT),
        "notes": card.notes,
        "services": [_service_json(service, zone_order) for service in card.services],
        "zones": [{"code": zone.code, "name": zone.name, "entries": _areas_json(zone.entries)} for zone in card.zones],
        "prices": [_grid_json(grid) for grid in card.prices],
        "surcharges": [_surcharge_json(surcharge, card) for surcharge in card.surcharges],
        "tiers": [
            {"min_parcels": tier.min_parcels, "discount_percent": _json_number(tier.discount_bp, BP_PER_PERCENT)}
            for tier in card.tiers
        ],
    }


def _service_json(service: Service, zone_order: list[str]) -> dict[str, Any]:
    return {
        "code": service.code,
        "name": service.name,
        "mode": service.mode.value,
        "speed": service.speed.value,
        "pickup_cutoff": service.pickup_cutoff.strftime("%H:%M"),
        "pickup_days": weekdays_text(service.pickup_weekdays),
        "delivery_days": weekdays_text(service.delivery_weekdays),
        "max_weight_kg": _json_number(service.max_weight_g, GRAMS_PER_KG),
        "max_length_cm": _json_number(service.max_length_mm, MM_PER_CM),
        "max_length_girth_cm": _json_number(service.max_length_girth_mm, MM_PER_CM),
        "max_dimensions_sum_cm": _json_number(service.max_dimensions_sum_mm, MM_PER_CM),
        "volumetric_divisor": service.volumetric_divisor,
        "signature": service.signature,
        "appointment": service.appointment,
        "insurance_cover": _json_number(service.insurance_cents, CENTS_PER_UNIT),
        "transit": {
            zone: [service.transit[zone].min_days, service.transit[zone].max_days]
            for zone in _ordered(service.transit, zone_order)
        },
    }


def _grid_json(grid: PriceGrid) -> dict[str, Any]:
    return {
        "service": grid.service,
        "zone": grid.zone,
        "brackets": [
            {"to_kg": _json_number(b.max_weight_g, GRAMS_PER_KG), "price": _json_number(b.price_cents, CENTS_PER_UNIT)}
            for b in grid.brackets
        ],
        "extra_kg_price": _json_number(grid.extra_kg_price_cents, CENTS_PER_UNIT),
    }


def _surcharge_json(surcharge: Surcharge, card: RateCard) -> dict[str, Any]:
    found: dict[str, Any] = {
        "kind": surcharge.kind.value,
        "name": surcharge.name,
        "amount": _json_number(surcharge.amount_cents, CENTS_PER_UNIT),
        "services": _ordered(surcharge.services, [service.code for service in card.services]),
    }
    if surcharge.kind is SurchargeKind.REMOTE_AREA:
        found["areas"] = _areas_json(surcharge.areas)
    elif surcharge.kind is SurchargeKind.OVERSIZE:
        found["min_length_cm"] = _json_number(surcharge.min_length_mm, MM_PER_CM)
        found["min_length_girth_cm"] = _json_number(surcharge.min_length_girth_mm, MM_PER_CM)
        found["min_weight_kg"] = _json_number(surcharge.min_weight_g, GRAMS_PER_KG)
    return found


def _areas_json(entries: Iterable[ZoneEntry]) -> list[dict[str, str]]:
    return [{"country": country, "postcodes": postcodes} for country, postcodes in entry_rows(entries)]


def _json_number(value: int | None, scale: int) -> int | float | None:
    """An integer of a small unit as a JSON number of the upload unit: 585 cents -> 5.85."""
    if value is None:
        return None
    if value % scale == 0:
        return value // scale
    return float(Decimal(value) / scale)


# -- shared by the tabular formats


def weekdays_text(days: frozenset[int]) -> str:
    """Weekdays as written in uploads: runs of three or more days as ranges (``Mon-Fri,Sun``)."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAY_NAMES[run[0]]}-{WEEKDAY_NAMES[run[-1]]}")
        else:
            parts.extend(WEEKDAY_NAMES[day] for day in run)
    return ",".join(parts)


def entry_rows(entries: Iterable[ZoneEntry]) -> list[tuple[str, str]]:
    """(country, postcodes) rows for zone entries, in order: consecutive patterns of a
    country share a row (``20, 98``); a whole-country entry has a row of its own."""
    rows: list[tuple[str, str]] = []
    for entry in entries:
        pattern = entry.pattern()
        if rows and pattern and rows[-1][0] == entry.country and rows[-1][1]:
            rows[-1] = (entry.country, f"{rows[-1][1]}, {pattern}")
        else:
            rows.append((entry.country, pattern))
    return rows


def _ordered(codes: Iterable[str], order: list[str]) -> list[str]:
    """`codes` in the card's order, then any others sorted (there should be none)."""
    codes = set(codes)
    return [code for code in order if code in codes] + sorted(codes - set(order))


def _kg(grams: int | None) -> Decimal | None:
    return None if grams is None else kg_decimal(grams)


def _cm(mm: int | None) -> Decimal | None:
    return None if mm is None else cm_decimal(mm)


def _money(cents: int | None) -> Decimal | None:
    """Cents as an amount with two decimals, as prices are printed: 790 -> 7.90."""
    return None if cents is None else amount_decimal(cents)


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _tables(card: RateCard) -> dict[str, list[list[object]]]:
    """The rows of every table but the prices, values as str, int or Decimal (None = empty)."""
    zone_order = [zone.code for zone in card.zones]
    service_order = [service.code for service in card.services]
    tables: dict[str, list[list[object]]] = {
        "card": [
            ["carrier_code", card.carrier_code],
            ["carrier_name", card.carrier_name],
            ["currency", card.currency],
            ["valid_from", card.valid_from.isoformat()],
            ["fuel_percent", percent_decimal(card.fuel_bp)],
            ["notes", card.notes or None],
        ],
        "services": [
            [
                s.code,
                s.name,
                s.mode.value,
                s.speed.value,
                s.pickup_cutoff.strftime("%H:%M"),
                weekdays_text(s.pickup_weekdays),
                weekdays_text(s.delivery_weekdays),
                _kg(s.max_weight_g),
                _cm(s.max_length_mm),
                _cm(s.max_length_girth_mm),
                _cm(s.max_dimensions_sum_mm),
                s.volumetric_divisor,
                _yes_no(s.signature),
                _yes_no(s.appointment),
                _money(s.insurance_cents),
            ]
            for s in card.services
        ],
        "zones": [],
        "transit": [
            [s.code, zone, s.transit[zone].min_days, s.transit[zone].max_days]
            for s in card.services
            for zone in _ordered(s.transit, zone_order)
        ],
        "surcharges": [],
        "tiers": [[tier.min_parcels, percent_decimal(tier.discount_bp)] for tier in card.tiers],
    }
    for zone in card.zones:
        for index, (country, postcodes) in enumerate(entry_rows(zone.entries)):
            tables["zones"].append([zone.code, zone.name if index == 0 else None, country, postcodes or None])
    for surcharge in card.surcharges:
        areas = entry_rows(surcharge.areas) or [("", "")]
        services = ",".join(_ordered(surcharge.services, service_order))
        tables["surcharges"].append(
            [
                surcharge.kind.value,
                surcharge.name,
                _money(surcharge.amount_cents),
                services or None,
                areas[0][0] or None,
                areas[0][1] or None,
                _cm(surcharge.min_length_mm),
                _cm(surcharge.min_length_girth_mm),
                _kg(surcharge.min_weight_g),
            ]
        )
        for country, postcodes in areas[1:]:
            tables["surcharges"].append([None, None, None, None, country, postcodes or None, None, None, None])
    return tables


def _long_prices(card: RateCard) -> list[list[object]]:
    rows: list[list[object]] = []
    for grid in card.prices:
        start = 0
        for bracket in grid.brackets:
            rows.append([grid.service, grid.zone, _kg(start), _kg(bracket.max_weight_g), _money(bracket.price_cents)])
            start = bracket.max_weight_g
        if grid.extra_kg_price_cents is not None:
            rows.append([grid.service, grid.zone, _kg(start), EXTRA_KG, _money(grid.extra_kg_price_cents)])
    return rows


def _wide_prices(card: RateCard, service: str) -> tuple[list[str], list[list[object]]]:
    """The columns and rows of the workbook sheet `Prices <service>`.

    Rows are the bounds of all the service's zones together; a zone whose own
    bracket spans several rows repeats its price (the reader merges them back).
    """
    grids = [grid for grid in card.prices if grid.service == service]
    zones = [grid.zone for grid in grids] or [zone.code for zone in card.zones]
    bounds = sorted({bracket.max_weight_g for grid in grids for bracket in grid.brackets})
    rows: list[list[object]] = []
    start = 0
    for bound in bounds:
        rows.append([_kg(start), _kg(bound), *(_money(_price_at(grid, bound)) for grid in grids)])
        start = bound
    if any(grid.extra_kg_price_cents is not None for grid in grids):
        rows.append([_kg(start), EXTRA_KG, *(_money(grid.extra_kg_price_cents) for grid in grids)])
    return ["from_kg", "to_kg", *zones], rows


def _price_at(grid: PriceGrid, bound: int) -> int | None:
    for bracket in grid.brackets:
        if bracket.max_weight_g >= bound:
            return bracket.price_cents
    return None


# -- CSV


def write_csv_files(card: RateCard) -> dict[str, bytes]:
    """The card as CSV files (UTF-8, comma-separated), keyed by file name: ``card.csv``, ..."""
    tables = _tables(card)
    tables["prices"] = _long_prices(card)
    files: dict[str, bytes] = {}
    for name in ("card", "services", "zones", "transit", "prices", "surcharges", "tiers"):
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(all_columns(name))
        for row in tables[name]:
            writer.writerow([_csv_text(value) for value in row])
        files[f"{name}.csv"] = text.getvalue().encode("utf-8")
    return files


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


# -- Excel


def write_xlsx(card: RateCard) -> bytes:
    """The card as a workbook: a README sheet, then the sheets the reader expects."""
    workbook = Workbook()
    readme = workbook.active
    assert isinstance(readme, Worksheet)
    readme.title = "README"
    for number, line in enumerate(README.splitlines(), start=1):
        readme.cell(number, 1, line)
    readme["A1"].font = Font(bold=True)
    readme.column_dimensions["A"].width = 110
    tables = _tables(card)
    for name in ("card", "services", "zones", "transit"):
        _write_sheet(workbook, SHEET_TITLES[name], list(all_columns(name)), tables[name])
    for service in card.services:
        columns, rows = _wide_prices(card, service.code)
        _write_sheet(workbook, f"{PRICES_SHEET}{service.code}", columns, rows)
    for name in ("surcharges", "tiers"):
        _write_sheet(workbook, SHEET_TITLES[name], list(all_columns(name)), tables[name])
    workbook.properties.creator = "mini-tms"
    workbook.properties.created = datetime(*FIXED_TIME)
    output = io.BytesIO()
    workbook.save(output)
    return _reproducible(output.getvalue())


def _write_sheet(workbook: Workbook, title: str, columns: list[str], rows: list[list[object]]) -> None:
    sheet = workbook.create_sheet(title)
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(1, index, column)
        cell.font = Font(bold=True)
    widths = [len(column) for column in columns]
    for number, row in enumerate(rows, start=2):
        for index, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(number, index)
            if isinstance(value, Decimal):
                cell.value = int(value) if value == value.to_integral_value() else float(value)
                if value.as_tuple().exponent == -2:  # money (see _money): show the cents
                    cell.number_format = "0.00"
            elif isinstance(value, str):
                cell.value = value
                cell.data_type = "s"  # text, even when it starts with '=' or looks like a number
            else:
                cell.value = value
            widths[index - 1] = max(widths[index - 1], len(_csv_text(value)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(max(width + 2, 8), 50)
    sheet.freeze_panes = "A2"


def _reproducible(data: bytes) -> bytes:
    """The same workbook with fixed timestamps, so a card always gives the same bytes."""
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*FIXED_TIME).encode()
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, content)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_TIME), content, zipfile.ZIP_DEFLATED)
    return output.getvalue()
