"""Checks the tables of an upload and turns them into a `RateCard`.

One pass over every table collects every problem, each at its cell, so a
carrier manager fixes a whole file at once instead of one error per upload.
Nothing is rounded: a value finer than the stored unit is refused.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

import pycountry

from carriers.limits import RateCardRejected as RateCardRejected
from carriers.limits import UploadLimits, too_many
from carriers.model import (
    WEEKDAY_NAMES,
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
    normalise_postcode,
    zone_conflicts,
)
from carriers.tables import (
    CARD_KEYS,
    COLUMNS,
    EXTRA_KG,
    REQUIRED_TABLES,
    Cell,
    Location,
    Row,
    Table,
    Tables,
    all_columns,
)
from tms.domain.errors import Problem
from tms.domain.units import kg_decimal, scaled_exactly

E = TypeVar("E", bound=StrEnum)

CARRIER_CODE = re.compile(r"[a-z0-9_-]{1,40}")
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
SERVICE_CODE_MAX = 24  # "Prices <service>" must fit Excel's 31-character sheet names
RESERVED_ZONE_CODES = {"from_kg", "to_kg"}  # columns of the workbook price sheets
CUTOFF = re.compile(r"(\d{1,2}):(\d{2})")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not storable in a workbook

# Units of the upload -> stored integers: (decimals allowed, the rule a refusal quotes).
GRAMS = (3, "weights are in kg with at most 3 decimals (whole grams)")
MILLIMETRES = (1, "lengths are in cm with at most 1 decimal (whole millimetres)")
CENTS = (2, "amounts have at most 2 decimals (whole cents)")
BASIS_POINTS = (2, "percentages have at most 2 decimals")
WHOLE = (0, "it must be a whole number")
POSTCODE_CHARACTERS = frozenset(string.ascii_letters + string.digits + " -")  # postcodes sort as base 36
FLAG_TEXTS = {"yes": True, "no": False, "true": True, "false": False, "1": True, "0": False, "x": True}
LARGEST = 10**9  # in the stored unit: 1000 t, 10 million in money, 100 km; anything above is a typo


def build_rate_card(tables: Tables, limits: UploadLimits | None = None) -> RateCard:
    """The card the tables describe; raises `RateCardRejected` with every problem found (the first
    `limits.problems` of them), or `UploadTooLarge` at the first limit passed."""
    limits = limits or UploadLimits()
    builder = _Builder(tables, limits)
    card = builder.build()
    problems = [*tables.problems, *builder.problems]
    if not tables.problems:  # readers name missing tables their own way (sheet, file, field)
        problems += [Problem(f"missing table {name}") for name in REQUIRED_TABLES if name not in tables.tables]
    if problems or card is None:
        raise RateCardRejected(problems, max_problems=limits.problems)
    return card


def parse_patterns(text: str) -> list[tuple[str, str, str]] | str:
    """Postcode patterns as (prefix, low, high) triples, or a message saying what is wrong.

    Empty text is the whole country; items are separated by commas; an item
    is a prefix (``20``) or a range of equal-length ends (``97100-97199``).
    """
    if not text.strip():
        return [("", "", "")]
    result: list[tuple[str, str, str]] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            return "an empty item in the list of postcodes"
        if not all(ch in POSTCODE_CHARACTERS for ch in item):
            return f"{item!r} is not a postcode pattern: use letters A-Z, digits, and '-' between range ends"
        if "-" in item:
            ends = item.split("-")
            if len(ends) != 2 or not ends[0].strip() or not ends[1].strip():
                return f"{item!r} is not a postcode range: write it as low-high, e.g. 97100-97199"
            low, high = normalise_postcode(ends[0]), normalise_postcode(ends[1])
            if len(low) != len(high):
                return f"the ends of the range {item!r} must have the same length"
            if low > high:
                return f"the range {item!r} ends before it starts"
            result.append(("", low, high))
        else:
            result.append((normalise_postcode(item), "", ""))
    return result


def describe_entry(entry: ZoneEntry) -> str:
    if entry.kind == "country":
        return f"the whole of {entry.country}"
    return f"{entry.country} postcodes {entry.pattern()}"


def kg_text(grams: int) -> str:
    """Grams as the kilograms an upload shows: 250 -> "0.25"."""
    return decimal_text(kg_decimal(grams))


def decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


class _Builder:
    def __init__(self, tables: Tables, limits: UploadLimits) -> None:
        self.tables = tables
        self.limits = limits
        self.counted = {"zone_entries": 0, "remote_area_postcodes": 0}  # entries read so far
        self.problems: list[Problem] = []
        self.service_codes: dict[str, Location] = {}
        self.zone_codes: dict[str, Location] = {}
        self.timed: set[tuple[str, str]] | None = set()  # (service, zone) pairs with a transit row

    def report(self, where: Location, message: str) -> None:
        self.problems.append(where.problem(message))

    # -- the card as a whole

    def build(self) -> RateCard | None:
        card = self.card_fields()
        services = self.services()
        zones = self.zones()
        transit = self.transit()
        prices = self.prices()
        surcharges = self.surcharges()
        tiers = self.tiers()
        if self.problems:
            return None
        by_service: dict[str, dict[str, Transit]] = {}
        for (service_code, zone_code), times in transit.items():
            by_service.setdefault(service_code, {})[zone_code] = times
        services = [replace(s, transit=by_service.get(s.code, {})) for s in services]
        code, name, currency, valid_from, fuel_bp, notes = card
        if code is None or name is None or currency is None or valid_from is None or fuel_bp is None:
            return None  # not reached: a problem was reported
        return RateCard(
            carrier_code=code,
            carrier_name=name,
            currency=currency,
            valid_from=valid_from,
            services=tuple(services),
            zones=tuple(zones),
            prices=tuple(prices),
            fuel_bp=fuel_bp,
            surcharges=tuple(surcharges),
            tiers=tuple(tiers),
            notes=notes or "",
        )

    def table(self, name: str) -> Table | None:
        """The table, after checking its header; None when the reader did not find it."""
        table = self.tables.tables.get(name)
        if table is None or table.header is None or not table.header:
            return table
        known = all_columns(name)
        for key, where in table.header.items():
            if key not in known:
                self.report(where, f"unknown column {where.column!r}; the columns are: {', '.join(known)}")
        for column in COLUMNS[name][0]:
            if column not in table.header:
                self.report(table.where, f"missing column {column!r}")
        return table

    def at_most(self, table: Table, what: str, limit_name: str) -> None:
        """Refuse a table with more rows than the limit, naming the first row past it."""
        limit = getattr(self.limits, limit_name)
        if len(table.rows) > limit:
            raise too_many(what, limit_name, self.limits, table.rows[limit].where)

    def require_rows(self, table: Table | None, what: str) -> None:
        if table is not None and not table.rows:
            self.report(table.where, f"the card has no {what}")

    def card_fields(
        self,
    ) -> tuple[str | None, str | None, str | None, date | None, int | None, str | None]:
        table = self.table("card")
        cells: dict[str, Cell] = {}
        required, optional = CARD_KEYS
        if table is not None:
            for row in table.rows:
                key_cell = table.cell(row, "key")
                key = self.text(key_cell)
                if key is None:
                    continue
                key = key.lower()
                if key not in required + optional:
                    self.report(key_cell.where, f"unknown key {key!r}; the keys are: {', '.join(required + optional)}")
                elif key in cells:
                    self.report(key_cell.where, f"key {key!r} is given twice (first at {cells[key].where.describe()})")
                else:
                    cells[key] = table.cell(row, "value")
            for key in required:
                if key not in cells:
                    self.report(table.where, f"missing key {key!r}")
        missing = Cell(None, Location(), absent=True)
        code = self.text(cells.get("carrier_code", missing))
        if code is not None and not CARRIER_CODE.fullmatch(code):
            self.report(
                cells["carrier_code"].where, "a carrier code is 1 to 40 lower-case letters, digits, '_' and '-'"
            )
            code = None
        name = self.text(cells.get("carrier_name", missing))
        currency = self.currency(cells.get("currency", missing))
        valid_from = self.date(cells.get("valid_from", missing))
        fuel_cell = cells.get("fuel_percent", missing)
        fuel_bp = self.scaled(fuel_cell, BASIS_POINTS, required=False, positive=False)
        if fuel_bp is not None and fuel_bp > 10000:
            self.report(fuel_cell.where, "the fuel surcharge must be at most 100 %")
        if fuel_bp is None and fuel_cell.empty:
            fuel_bp = 0
        notes = self.text(cells.get("notes", missing), required=False)
        return code, name, currency, valid_from, fuel_bp, notes

    # -- services and zones

    def services(self) -> list[Service]:
        table = self.table("services")
        self.require_rows(table, "services")
        services: list[Service] = []
        if table is None:
            return services
        self.at_most(table, "services", "services")
        for row in table.rows:
            code = self.new_code(table.cell(row, "service"), "service", self.service_codes, SERVICE_CODE_MAX)
            name = self.text(table.cell(row, "name"))
            mode = self.choice(table.cell(row, "mode"), DeliveryMode)
            speed = self.choice(table.cell(row, "speed"), SpeedClass)
            cutoff = self.time(table.cell(row, "pickup_cutoff"))
            pickup_days = self.weekdays(table.cell(row, "pickup_days"))
            delivery_days = self.weekdays(table.cell(row, "delivery_days"))
            max_weight = self.scaled(table.cell(row, "max_weight_kg"), GRAMS)
            length = self.scaled(table.cell(row, "max_length_cm"), MILLIMETRES, required=False)
            girth = self.scaled(table.cell(row, "max_length_girth_cm"), MILLIMETRES, required=False)
            dims = self.scaled(table.cell(row, "max_dimensions_sum_cm"), MILLIMETRES, required=False)
            divisor = self.scaled(table.cell(row, "volumetric_divisor"), WHOLE, required=False)
            signature = self.flag(table.cell(row, "signature"))
            appointment = self.flag(table.cell(row, "appointment"))
            cover = self.scaled(table.cell(row, "insurance_cover"), CENTS, required=False)
            if (
                code is None
                or name is None
                or mode is None
                or speed is None
                or cutoff is None
                or pickup_days is None
                or delivery_days is None
                or max_weight is None
                or signature is None
                or appointment is None
            ):
                continue
            services.append(
                Service(
                    code=code,
                    name=name,
                    mode=mode,
                    speed=speed,
                    pickup_cutoff=cutoff,
                    pickup_weekdays=pickup_days,
                    delivery_weekdays=delivery_days,
                    max_weight_g=max_weight,
                    transit={},
                    max_length_mm=length,
                    max_length_girth_mm=girth,
                    max_dimensions_sum_mm=dims,
                    volumetric_divisor=divisor,
                    signature=signature,
                    appointment=appointment,
                    insurance_cents=cover,
                )
            )
        return services

    def zones(self) -> list[Zone]:
        table = self.table("zones")
        self.require_rows(table, "zones")
        if table is None:
            return []
        names: dict[str, tuple[str, Location]] = {}
        entries: dict[str, list[ZoneEntry]] = {}
        entry_where: dict[tuple[str, ZoneEntry], Location] = {}
        for row in table.rows:
            code_cell = table.cell(row, "zone")
            code = self.text(code_cell)
            if code is not None and code not in entries:
                if len(entries) == self.limits.zones:
                    raise too_many("zones", "zones", self.limits, code_cell.where)
                code = self.new_code(code_cell, "zone", self.zone_codes)
                if code is not None:
                    entries[code] = []
            name_cell = table.cell(row, "name")
            name = self.text(name_cell, required=code is not None and code not in names)
            if code is not None and name is not None:
                if code not in names:
                    names[code] = (name, name_cell.where)
                elif names[code][0] != name:
                    first, where = names[code]
                    self.report(
                        name_cell.where,
                        f"zone {code} is already named {first!r} (at {where.describe()}); "
                        "give its name once, on its first row",
                    )
            found_entries = self.entries(table.cell(row, "country"), table.cell(row, "postcodes"), "zone_entries")
            for entry, where in found_entries:
                if code is None or code not in entries:
                    continue
                if (code, entry) in entry_where:  # a dict: a zone may have thousands of entries
                    self.report(
                        where,
                        f"zone {code} already has {describe_entry(entry)} (at {entry_where[(code, entry)].describe()})",
                    )
                    continue
                entries[code].append(entry)
                entry_where[(code, entry)] = where
        zones = [Zone(code, names[code][0], tuple(found)) for code, found in entries.items() if code in names]
        conflicts = zone_conflicts(zones, limit=self.limits.problems + 1)
        for zone_a, a, zone_b, b in conflicts[: self.limits.problems]:
            self.report(
                entry_where[(zone_b.code, b)],
                f"zone {zone_b.code} ({describe_entry(b)}) overlaps zone {zone_a.code} "
                f"({describe_entry(a)}, at {entry_where[(zone_a.code, a)].describe()}): "
                "some postcodes would belong to both",
            )
        if len(conflicts) > self.limits.problems:
            self.report(table.where, f"more overlapping zone entries than the {self.limits.problems} listed")
        return zones

    def entries(self, country_cell: Cell, postcodes_cell: Cell, counter: str) -> list[tuple[ZoneEntry, Location]]:
        """Zone entries of one (country, postcodes) pair, each with the cell that gave it; they count
        towards the limit `counter` (zone entries, or remote-area postcodes), checked before parsing."""
        country = self.country(country_cell)
        postcodes = self.text(postcodes_cell, required=False) or ""
        self.counted[counter] += postcodes.count(",") + 1
        if self.counted[counter] > getattr(self.limits, counter):
            what = "zone entries" if counter == "zone_entries" else "remote-area postcodes"
            raise too_many(f"{what} (country and postcode patterns)", counter, self.limits, postcodes_cell.where)
        patterns = parse_patterns(postcodes)
        if isinstance(patterns, str):
            self.report(postcodes_cell.where, patterns)
            return []
        if country is None:
            return []
        where = postcodes_cell.where if postcodes else country_cell.where
        return [(ZoneEntry(country, prefix, low, high), where) for prefix, low, high in patterns]

    # -- transit and prices

    def transit(self) -> dict[tuple[str, str], Transit]:
        """Transit times by (service, zone); `self.timed` also holds the pairs of rows refused."""
        table = self.table("transit")
        found: dict[tuple[str, str], Transit] = {}
        where: dict[tuple[str, str], Location] = {}
        if table is None:
            return found
        if table.header and any(column not in table.header for column in COLUMNS["transit"][0]):
            self.timed = None  # the whole table is unusable: do not blame every price grid too
        for row in table.rows:
            service = self.reference(table.cell(row, "service"), "service", self.service_codes)
            zone_cell = table.cell(row, "zone")
            zone = self.reference(zone_cell, "zone", self.zone_codes)
            if self.timed is not None and service is not None and zone is not None:
                self.timed.add((service, zone))
            min_days = self.scaled(table.cell(row, "min_days"), WHOLE, positive=False)
            max_cell = table.cell(row, "max_days")
            max_days = self.scaled(max_cell, WHOLE, positive=False)
            if min_days is not None and max_days is not None and max_days < min_days:
                self.report(max_cell.where, f"max_days must be at least min_days ({min_days})")
                continue
            if service is None or zone is None or min_days is None or max_days is None:
                continue
            if (service, zone) in found:
                self.report(
                    zone_cell.where,
                    f"transit of service {service} to zone {zone} is given twice "
                    f"(first at {where[(service, zone)].describe()})",
                )
                continue
            found[(service, zone)] = Transit(min_days, max_days)
            where[(service, zone)] = zone_cell.where
        return found

    def prices(self) -> list[PriceGrid]:
        table = self.table("prices")
        self.require_rows(table, "prices")
        if table is None:
            return []
        brackets = [row for row in table.rows if not _is_extra_kg(table.cell(row, "to_kg"))]
        if len(brackets) > self.limits.brackets:
            raise too_many("price brackets", "brackets", self.limits, brackets[self.limits.brackets].where)
        groups: dict[tuple[str, str], list[Row]] = {}
        for row in table.rows:
            service = self.text(table.cell(row, "service"))
            zone = self.text(table.cell(row, "zone"))
            if service is not None and zone is not None:
                groups.setdefault((service, zone), []).append(row)
        grids: list[PriceGrid] = []
        for (service, zone), rows in groups.items():
            first = rows[0]
            known_service = self.reference(table.cell(first, "service"), "service", self.service_codes)
            zone_cell = table.cell(first, "zone")
            known_zone = self.reference(zone_cell, "zone", self.zone_codes)
            grid = self.grid(table, service, zone, rows)
            if known_service is None or known_zone is None:
                continue
            if self.timed is not None and (service, zone) not in self.timed:
                self.report(
                    zone_cell.where,
                    f"no transit time for service {service} to zone {zone}: add a transit row for them",
                )
            if grid is not None:
                grids.append(grid)
        service_order = {code: i for i, code in enumerate(self.service_codes)}
        zone_order = {code: i for i, code in enumerate(self.zone_codes)}
        grids.sort(key=lambda g: (service_order[g.service], zone_order[g.zone]))
        return grids

    def grid(self, table: Table, service: str, zone: str, rows: list[Row]) -> PriceGrid | None:
        """One (service, zone) grid: brackets start at 0, each where the previous ended."""
        before = len(self.problems)
        brackets: list[Bracket] = []
        extra: int | None = None
        extra_seen = False
        previous: int | None = 0  # where the next bracket must start; None once unknown
        for position, row in enumerate(rows):
            from_cell, to_cell = table.cell(row, "from_kg"), table.cell(row, "to_kg")
            price = self.scaled(table.cell(row, "price"), CENTS, positive=False)
            if extra_seen:
                self.report(to_cell.where, "a row after the extra_kg row: the extra_kg row must be the grid's last")
                continue
            if isinstance(to_cell.value, str) and to_cell.value.strip().lower() == EXTRA_KG:
                extra_seen, extra = True, price
                start = self.scaled(from_cell, GRAMS, required=False, positive=False)
                if not brackets and len(self.problems) == before:
                    self.report(to_cell.where, "the extra_kg row needs at least one bracket above it")
                elif start is not None and previous is not None and start != previous:
                    self.report(
                        from_cell.where,
                        f"the extra_kg row starts where the last bracket ends ({kg_text(previous)} kg), "
                        f"not at {kg_text(start)} kg",
                    )
                continue
            start = self.scaled(from_cell, GRAMS, positive=False)
            end = self.scaled(to_cell, GRAMS)
            if start is not None and previous is not None and start != previous:
                if position == 0:
                    message = "the first bracket must start at 0"
                elif start > previous:
                    message = (
                        f"a gap: this bracket starts at {kg_text(start)} kg "
                        f"but the previous one ends at {kg_text(previous)} kg"
                    )
                else:
                    message = f"this bracket overlaps the previous one, which ends at {kg_text(previous)} kg"
                self.report(from_cell.where, message)
            if end is not None:
                if previous is not None and end <= previous:
                    self.report(
                        to_cell.where,
                        f"to_kg must be greater than the previous bound ({kg_text(previous)} kg)",
                    )
                elif start is not None and end <= start:
                    self.report(to_cell.where, f"to_kg must be greater than from_kg ({kg_text(start)} kg)")
            previous = end
            if end is not None and price is not None:
                brackets.append(Bracket(end, price))
        if len(self.problems) > before or not brackets:
            return None
        return PriceGrid(service, zone, merge_equal_brackets(brackets), extra)

    # -- surcharges and tiers

    def surcharges(self) -> list[Surcharge]:
        table = self.table("surcharges")
        found: list[Surcharge] = []
        if table is None:
            return found
        last_kind: SurchargeKind | None = None
        last_ok = False
        area_columns = ("country", "postcodes")
        other_columns = (
            "kind",
            "name",
            "amount",
            "services",
            "min_length_cm",
            "min_length_girth_cm",
            "min_weight_kg",
        )
        counted = 0
        for row in table.rows:
            cell = {column: table.cell(row, column) for column in area_columns + other_columns}
            if not row.has_values(other_columns) and row.has_values(area_columns):
                before = len(self.problems)
                areas = self.entries(cell["country"], cell["postcodes"], "remote_area_postcodes")
                if last_kind is not SurchargeKind.REMOTE_AREA:
                    self.report(
                        cell["country"].where,
                        "a row with only country and postcodes adds an area to the remote_area "
                        "surcharge above it; there is none",
                    )
                elif last_ok and len(self.problems) == before:
                    found[-1] = replace(found[-1], areas=found[-1].areas + tuple(entry for entry, _ in areas))
                continue
            counted += 1
            if counted > self.limits.surcharges:
                raise too_many("surcharges", "surcharges", self.limits, row.where)
            before = len(self.problems)
            kind = self.choice(cell["kind"], SurchargeKind)
            name = self.text(cell["name"])
            amount = self.scaled(cell["amount"], CENTS, positive=False)
            services = self.service_list(cell["services"])
            last_kind, last_ok = kind, False
            surcharge: Surcharge | None = None
            if kind is SurchargeKind.REMOTE_AREA:
                self.only_for(cell, ("min_length_cm", "min_length_girth_cm", "min_weight_kg"), "oversize")
                areas = []
                if cell["country"].empty:
                    self.report(
                        cell["country"].where,
                        "a remote_area surcharge needs an area: a country, and postcodes",
                    )
                else:
                    areas = self.entries(cell["country"], cell["postcodes"], "remote_area_postcodes")
                if name is not None and amount is not None and areas:
                    surcharge = Surcharge(kind, name, amount, services, tuple(entry for entry, _ in areas))
            elif kind is SurchargeKind.OVERSIZE:
                self.only_for(cell, area_columns, "remote_area")
                length = self.scaled(cell["min_length_cm"], MILLIMETRES, required=False)
                girth = self.scaled(cell["min_length_girth_cm"], MILLIMETRES, required=False)
                weight = self.scaled(cell["min_weight_kg"], GRAMS, required=False)
                thresholds = ("min_length_cm", "min_length_girth_cm", "min_weight_kg")
                if not row.has_values(thresholds):
                    self.report(
                        cell["min_length_cm"].where,
                        "an oversize surcharge needs at least one of min_length_cm, min_length_girth_cm, min_weight_kg",
                    )
                if name is not None and amount is not None:
                    surcharge = Surcharge(
                        kind,
                        name,
                        amount,
                        services,
                        min_length_mm=length,
                        min_length_girth_mm=girth,
                        min_weight_g=weight,
                    )
            elif kind is SurchargeKind.FIXED:
                self.only_for(cell, area_columns, "remote_area")
                self.only_for(cell, ("min_length_cm", "min_length_girth_cm", "min_weight_kg"), "oversize")
                if name is not None and amount is not None:
                    surcharge = Surcharge(kind, name, amount, services)
            if surcharge is not None and len(self.problems) == before:
                found.append(surcharge)
                last_ok = True
        return found

    def only_for(self, cells: dict[str, Cell], columns: Iterable[str], kind: str) -> None:
        for column in columns:
            if not cells[column].empty:
                self.report(cells[column].where, f"{column} is only for {kind} surcharges; leave it empty")

    def service_list(self, cell: Cell) -> frozenset[str]:
        text = self.text(cell, required=False)
        if text is None:
            return frozenset()
        codes = [code.strip() for code in text.split(",")]
        for code in codes:
            if code not in self.service_codes:
                self.report(cell.where, f"unknown service {code!r}; {self.known_list(self.service_codes)}")
        return frozenset(codes)

    def tiers(self) -> list[VolumeTier]:
        table = self.table("tiers")
        found: list[VolumeTier] = []
        if table is None:
            return found
        self.at_most(table, "volume tiers", "tiers")
        previous: int | None = None
        for row in table.rows:
            parcels_cell = table.cell(row, "min_parcels")
            parcels = self.scaled(parcels_cell, WHOLE)
            discount_cell = table.cell(row, "discount_percent")
            discount = self.scaled(discount_cell, BASIS_POINTS)
            if discount is not None and discount >= 10000:
                self.report(discount_cell.where, "a discount must be below 100 %")
                discount = None
            if parcels is not None and previous is not None and parcels <= previous:
                self.report(
                    parcels_cell.where,
                    f"thresholds must increase: this one is not above the previous ({previous})",
                )
            if parcels is not None:
                previous = parcels
            if parcels is not None and discount is not None:
                found.append(VolumeTier(parcels, discount))
        return found

    # -- single values

    def text(self, cell: Cell, *, required: bool = True) -> str | None:
        value = cell.value
        if cell.empty:
            if required and not cell.absent:
                self.report(cell.where, "a value is required")
            return None
        if isinstance(value, str):
            if CONTROL_CHARACTERS.search(value):
                self.report(cell.where, "contains a control character: only text, tabs and line breaks")
                return None
            return value.strip()
        if not cell.typed and not isinstance(value, bool):
            if isinstance(value, int):
                return str(value)
            if isinstance(value, float | Decimal):
                return decimal_text(Decimal(str(value)))
        self.report(cell.where, f"must be text, not {value!r}")
        return None

    def new_code(self, cell: Cell, what: str, seen: dict[str, Location], longest: int | None = None) -> str | None:
        """A code defined here (a service or zone), checked for syntax and uniqueness."""
        code = self.text(cell)
        if code is None:
            return None
        if not CODE.fullmatch(code) or (longest is not None and len(code) > longest):
            limit = f", at most {longest} characters" if longest else ""
            self.report(cell.where, f"a {what} code uses letters, digits, '_' and '-'{limit}: {code!r}")
            return None
        if what == "zone" and code.lower() in RESERVED_ZONE_CODES:
            self.report(cell.where, f"{code!r} cannot be a zone code: it is a column of the price sheets")
            return None
        for other, where in seen.items():
            if other.lower() == code.lower():
                self.report(cell.where, f"{what} {code} is defined twice (first at {where.describe()})")
                return None
        seen[code] = cell.where
        return code

    def reference(self, cell: Cell, what: str, known: dict[str, Location]) -> str | None:
        """A code that must name a service or zone of the card."""
        code = self.text(cell)
        if code is None:
            return None
        if code not in known:
            self.report(cell.where, f"unknown {what} {code!r}; {self.known_list(known)}")
            return None
        return code

    @staticmethod
    def known_list(known: dict[str, Location]) -> str:
        return f"the card has {', '.join(known)}" if known else "the card has none"

    def choice(self, cell: Cell, enum: type[E]) -> E | None:
        text = self.text(cell)
        if text is None:
            return None
        try:
            return enum(text.lower())
        except ValueError:
            self.report(cell.where, f"{text!r} is not one of: {', '.join(member.value for member in enum)}")
            return None

    def flag(self, cell: Cell) -> bool | None:
        """A yes/no column, empty = no: JSON true or false; in a sheet also yes/no, true/false, 1/0, x."""
        value = cell.value
        if cell.empty:
            return False
        if isinstance(value, bool):
            return value
        if not cell.typed:
            if isinstance(value, int | float | Decimal) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.strip().lower() in FLAG_TEXTS:
                return FLAG_TEXTS[value.strip().lower()]
        shown = "true or false" if cell.typed else "yes or no (or true/false, 1/0, x, or empty for no)"
        self.report(cell.where, f"must be {shown}, not {value!r}")
        return None

    def number(self, cell: Cell, *, required: bool) -> Decimal | None:
        value = cell.value
        if cell.empty:
            if required and not cell.absent:
                self.report(cell.where, "a value is required")
            return None
        number: Decimal | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int | Decimal):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(str(value))
        elif isinstance(value, str) and not cell.typed:
            number = _decimal_from_text(value)
        if number is None or not number.is_finite():
            self.report(cell.where, f"must be a number, not {value!r}")
            return None
        return number

    def scaled(self, cell: Cell, unit: tuple[int, str], *, required: bool = True, positive: bool = True) -> int | None:
        """A number stored exactly as an integer of a smaller unit (kg -> g, cm -> mm, ...)."""
        number = self.number(cell, required=required)
        if number is None:
            return None
        decimals, rule = unit
        if number.adjusted() > 18:  # before any arithmetic: 1e999999999 must not become an int
            self.report(cell.where, f"{number} is too large")
            return None
        value = scaled_exactly(number, decimals)
        if value is None:
            self.report(cell.where, f"{number} has too many decimals: {rule}")
            return None
        if abs(value) > LARGEST:
            self.report(cell.where, f"{number} is too large")
            return None
        if positive and value <= 0:
            self.report(cell.where, "must be greater than 0")
            return None
        if value < 0:
            self.report(cell.where, "must not be negative")
            return None
        return value

    def currency(self, cell: Cell) -> str | None:
        text = self.text(cell)
        if text is None:
            return None
        code = text.upper()
        if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
            self.report(cell.where, f"{text!r} is not an ISO 4217 currency code (e.g. EUR)")
            return None
        return code

    def country(self, cell: Cell) -> str | None:
        text = self.text(cell)
        if text is None:
            return None
        code = text.upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            self.report(cell.where, f"{text!r} is not an ISO 3166 alpha-2 country code (e.g. FR)")
            return None
        return code

    def date(self, cell: Cell) -> date | None:
        value = cell.value
        if isinstance(value, datetime) and not cell.typed:
            if value.time() == time(0, 0):
                return value.date()
        elif isinstance(value, date) and not cell.typed:
            return value
        else:
            text = self.text(cell)
            if text is None:
                return None
            if ISO_DATE.fullmatch(text):
                try:
                    return date.fromisoformat(text)
                except ValueError:
                    pass
        self.report(cell.where, f"must be a date written YYYY-MM-DD, not {value!r}")
        return None

    def time(self, cell: Cell) -> time | None:
        value = cell.value
        if isinstance(value, time) and not cell.typed:
            if value.second == 0 and value.microsecond == 0 and value.tzinfo is None:
                return value
        else:
            text = self.text(cell)
            if text is None:
                return None
            match = CUTOFF.fullmatch(text)
            if match and int(match[1]) < 24 and int(match[2]) < 60:
                return time(int(match[1]), int(match[2]))
        self.report(cell.where, f"must be a time written HH:MM, not {value!r}")
        return None

    def weekdays(self, cell: Cell) -> frozenset[int] | None:
        """`Mon-Fri`, `Mon-Sat`, a list `Mon,Wed,Fri`, or a mix `Mon-Wed,Fri`."""
        text = self.text(cell)
        if text is None:
            return None
        names = [name.lower() for name in WEEKDAY_NAMES]
        days: set[int] = set()
        for item in text.split(","):
            ends = [end.strip().lower() for end in item.split("-")]
            if len(ends) > 2 or any(end not in names for end in ends):
                self.report(cell.where, f"{text!r} is not a list of weekdays like Mon-Fri or Mon,Wed,Fri")
                return None
            first, last = names.index(ends[0]), names.index(ends[-1])
            if last < first:
                self.report(cell.where, f"{item.strip()!r} runs backwards: write the earlier day first")
                return None
            days.update(range(first, last + 1))
        return frozenset(days)


def _is_extra_kg(cell: Cell) -> bool:
    return isinstance(cell.value, str) and cell.value.strip().lower() == EXTRA_KG


def merge_equal_brackets(brackets: list[Bracket]) -> tuple[Bracket, ...]:
    """Adjacent brackets of the same price become one: the prices are the same for every weight.

    This gives one form to a grid however it was written, e.g. a workbook
    sheet whose rows are the bounds of all its zones together.
    """
    merged: list[Bracket] = []
    for bracket in brackets:
        if merged and merged[-1].price_cents == bracket.price_cents:
            merged[-1] = bracket
        else:
            merged.append(bracket)
    return tuple(merged)


def _decimal_from_text(text: str) -> Decimal | None:
    """A number as typed in a sheet; a lone decimal comma (French exports) counts as a point."""
    text = text.strip()
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already checked it
        return None
