"""Readers of a carrier's pickup-point directory: one CSV file (a row per point) or a JSON document.

The columns are those of docs/pickup-points.md, modelled on what carriers export: Mondial Relay's
point search (`Num`, `LgAdr1`, `LgAdr3`, `CP`, `Ville`, `Pays`, `Latitude`, `Longitude`,
`Horaires_Lundi` ...) and Colissimo's point-retrait list (`identifiant`, `nom`, `adresse1`,
`codePostal`, `localite`, `codePays`, `coordGeolocalisationLatitude`, `horairesOuvertureLundi` ...);
those names are read as aliases of ours. Every row is read and every problem noted with its row
and column (row 1 is the header), so that a refusal lists them all; a directory with any problem
is refused whole (`DirectoryRejected`). The number of points is bounded while reading.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from carriers.limits import MAX_PROBLEMS, limited_problems
from carriers.model import normalise_postcode
from tms.domain.addresses import is_country, postcode_problem
from tms.domain.errors import InvalidInput, Problem
from tms.domain.pickup_points import WEEKDAYS, PickupPoint, PointKind, Range, hours_text

MAX_POINTS = 50_000  # points of one directory (settings: uploads.max_pickup_points)
MAX_COLUMNS = 64
TEXT_MAX = {"id": 40, "name": 200, "address": 300, "postcode": 16, "city": 200, "country": 2}
REQUIRED = ("id", "name", "address", "postcode", "city", "country", "latitude", "longitude")
OPTIONAL = ("kind", *WEEKDAYS, "closures", "max_weight_kg", "max_length_cm", "compartments_cm")
COLUMNS = (*REQUIRED, *OPTIONAL)
ALIASES = {  # a carrier's own column name (lower case) -> ours
    # Mondial Relay (WSI4_PointRelais_Recherche)
    "num": "id",
    "lgadr1": "name",
    "lgadr3": "address",
    "cp": "postcode",
    "ville": "city",
    "pays": "country",
    "typeactivite": "kind",
    **{
        f"horaires_{fr}": day
        for fr, day in zip(
            ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"), WEEKDAYS, strict=True
        )
    },
    # Colissimo (point retrait)
    "identifiant": "id",
    "nom": "name",
    "adresse1": "address",
    "codepostal": "postcode",
    "localite": "city",
    "codepays": "country",
    "coordgeolocalisationlatitude": "latitude",
    "coordgeolocalisationlongitude": "longitude",
    "typedepoint": "kind",
    **{
        f"horairesouverture{fr}": day
        for fr, day in zip(
            ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"), WEEKDAYS, strict=True
        )
    },
}
KIND_ALIASES = {
    "relay": PointKind.RELAY,
    "locker": PointKind.LOCKER,
    "relais": PointKind.RELAY,
    "consigne": PointKind.LOCKER,
    # Colissimo's typeDePoint: its Pickup Station lockers, and its counters (relay shops, post
    # offices, ColiPoste agencies and distribution centres, Belgian post offices and relays)
    "pcs": PointKind.LOCKER,
    **dict.fromkeys(("a2p", "bpr", "acp", "cdi", "bdp", "cmt"), PointKind.RELAY),
}
_RANGE = re.compile(r"(\d{1,2}):?(\d{2})\s*-\s*(\d{1,2}):?(\d{2})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SIZE = re.compile(r"(\d{1,6}(?:\.\d{1,3})?)x(\d{1,6}(?:\.\d{1,3})?)x(\d{1,6}(?:\.\d{1,3})?)")


class DirectoryRejected(InvalidInput):
    code = "pickup_directory_rejected"

    def __init__(self, problems: Iterable[Problem], *, max_problems: int = MAX_PROBLEMS) -> None:
        unique = list(dict.fromkeys(problems))
        count = len(unique)
        super().__init__(
            f"the pickup-point directory was refused: {count:,} problem{'' if count == 1 else 's'}",
            limited_problems(unique, max_problems),
        )


@dataclass(frozen=True)
class Directory:
    points: tuple[PickupPoint, ...]


class _Where:
    """Where a value is: a CSV row and column, or a JSON path; `problem` says so."""

    def __init__(self, sheet: str | None, row: int | None, index: int | None) -> None:
        self.sheet, self.row, self.index = sheet, row, index

    def problem(self, column: str, message: str) -> Problem:
        if self.index is not None:
            return Problem(message, field=f"points[{self.index}].{column}")
        return Problem(message, sheet=self.sheet, row=self.row, column=column)


# -- values


def _text(raw: Any, column: str) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        if isinstance(raw, bool) or not isinstance(raw, int | Decimal | float):
            raise ValueError("must be text")
        raw = str(raw)
    text = raw.strip()
    if "\x00" in text:
        raise ValueError("must not contain a NUL character")
    limit = TEXT_MAX.get(column)
    if limit is not None and len(text) > limit:
        raise ValueError(f"must be at most {limit} characters")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text") from None
    return str(text)


def _number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError("must be a number")
    if isinstance(raw, int | float | Decimal):
        try:
            value = float(raw)
        except OverflowError:  # an integer of hundreds of digits
            raise ValueError("must be a finite number") from None
    else:
        text = _text(raw, "").replace(",", ".")  # Mondial Relay writes "48,856614"
        try:
            value = float(text)
        except ValueError:
            raise ValueError("must be a number") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _coordinate(raw: Any, bound: float) -> float:
    value = _number(raw)
    if not -bound <= value <= bound:
        raise ValueError(f"must be between -{bound:g} and {bound:g}")
    return round(value, 6)


def read_hours(raw: Any) -> tuple[Range, ...]:
    """ "09:00-12:00 14:00-19:00" (or "0900-1200 1400-1900"); empty, "closed", "00:00-00:00": closed."""
    text = _text(raw, "").lower()
    if text in ("", "closed", "ferme", "fermé", "-"):
        return ()
    ranges: list[Range] = []
    rest = _RANGE.sub("", text).replace(";", " ").replace(",", " ").strip()
    if rest:
        raise ValueError(f"{text!r} is not opening hours: write ranges such as 09:00-12:00 14:00-19:00")
    for match in _RANGE.finditer(text):
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        opens, closes = h1 * 60 + m1, h2 * 60 + m2
        if opens == closes == 0:  # the carriers' "0000-0000": no range
            continue
        if m1 > 59 or m2 > 59 or closes > 1440 or opens >= closes:
            raise ValueError(f"{match.group(0)!r} is not a range of the day (opening before closing, up to 24:00)")
        if ranges and opens < ranges[-1][1]:
            raise ValueError(f"{match.group(0)!r} overlaps or precedes the range before it")
        ranges.append((opens, closes))
    return tuple(ranges)


def _day(text: str) -> date:
    if not _DAY.fullmatch(text):
        raise ValueError(f"{text!r} is not a date YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date YYYY-MM-DD") from None


def read_closures(raw: Any) -> tuple[tuple[date, date], ...]:
    """ "2026-08-01/2026-08-20; 2026-12-25": periods (first/last day included) or single days."""
    items = raw if isinstance(raw, list) else [p for p in _text(raw, "").replace(",", ";").split(";")]
    periods = []
    for item in items:
        text = _text(item, "")
        if not text:
            continue
        first_text, period, last_text = text.partition("/")
        if period and not last_text.strip():
            raise ValueError(f"{text!r} has no last day (a period is first/last, both included)")
        first = _day(first_text.strip())
        last = _day(last_text.strip()) if period else first
        if last < first:
            raise ValueError(f"{text!r} ends before it begins")
        periods.append((first, last))
    if len(periods) > 100:
        raise ValueError("at most 100 closures per point")
    return tuple(sorted(periods))


def _optional_positive(raw: Any, scale: int) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = _number(raw)
    if not 0 < value <= 100_000:
        raise ValueError("must be greater than 0 and at most 100000")
    return math.ceil(value * scale - 1e-9)


def read_compartments(raw: Any) -> tuple[tuple[int, int, int], ...]:
    """ "8x38x64; 19x38x64" (cm, one size per compartment type)."""
    items = raw if isinstance(raw, list) else _text(raw, "").replace(",", ";").split(";")
    sizes = []
    for item in items:
        text = _text(item, "").lower().replace(" ", "")
        if not text:
            continue
        match = _SIZE.fullmatch(text)
        if match is None:
            raise ValueError(f"{text[:40] + '...' if len(text) > 40 else text!r} is not a size LxWxH in cm")
        size = tuple(math.ceil(float(g) * 10 - 1e-9) for g in match.groups())
        if not all(0 < s <= 1_000_000 for s in size):
            raise ValueError(f"{text!r} is not a size LxWxH in cm")
        sizes.append((size[0], size[1], size[2]))
    if len(sizes) > 20:
        raise ValueError("at most 20 compartment sizes per locker")
    return tuple(sizes)


def _kind(raw: Any) -> PointKind:
    text = _text(raw, "").lower()
    if not text:
        return PointKind.RELAY
    kind = KIND_ALIASES.get(text)
    if kind is None:
        raise ValueError("must be relay or locker")
    return kind


def _point(values: Mapping[str, Any], where: _Where, problems: list[Problem]) -> PickupPoint | None:
    """One point from its values by column name, or None with its problems noted."""
    before = len(problems)

    def read(column: str, reader: Any, *args: Any) -> Any:
        try:
            return reader(values.get(column), *args)
        except ValueError as error:
            problems.append(where.problem(column, str(error)))
            return None

    texts = {}
    for column in ("id", "name", "address", "postcode", "city", "country"):
        text = read(column, _text, column)
        if text == "":
            problems.append(where.problem(column, "is required"))
        texts[column] = text
    latitude = read("latitude", _coordinate, 90.0)
    longitude = read("longitude", _coordinate, 180.0)
    kind = read("kind", _kind)
    hours = tuple(read(day, read_hours) for day in WEEKDAYS)
    closures = read("closures", read_closures)
    max_weight_g = read("max_weight_kg", _optional_positive, 1000)
    max_length_mm = read("max_length_cm", _optional_positive, 10)
    compartments = read("compartments_cm", read_compartments)
    country = (texts["country"] or "").upper()
    postcode = normalise_postcode(texts["postcode"] or "")
    if country and not is_country(country):
        said = texts["country"]
        problems.append(where.problem("country", f"{said!r} is not an ISO 3166 alpha-2 country code (e.g. FR)"))
    elif texts["country"] and texts["postcode"]:
        problem = postcode_problem(country, postcode)
        if problem:
            problems.append(where.problem("postcode", problem))
    if latitude is not None and longitude is not None and latitude == longitude == 0:
        problems.append(where.problem("latitude", "0, 0 is no position: give the point's coordinates"))
    if len(problems) > before:
        return None
    return PickupPoint(
        point_id=texts["id"],
        name=texts["name"],
        address=texts["address"],
        postcode=postcode,
        city=texts["city"],
        country=country,
        latitude=latitude,
        longitude=longitude,
        kind=kind,
        hours=hours,
        closures=closures,
        max_weight_g=max_weight_g,
        max_length_mm=max_length_mm,
        compartments_mm=compartments,
    )


def _checked(points: list[PickupPoint], locate: Sequence[_Where], problems: list[Problem]) -> Directory:
    seen: dict[str, int] = {}  # ids are told apart regardless of case, as orders name them
    for i, point in enumerate(points):
        first = seen.setdefault(point.point_id.upper(), i)
        if first != i:
            same = "" if points[first].point_id == point.point_id else f", as {points[first].point_id!r}"
            problems.append(
                locate[i].problem("id", f"{point.point_id!r} is listed twice (also {_said(locate[first])}{same})")
            )
    if not points and not problems:
        problems.append(Problem("the directory lists no point", field="file"))
    if problems:
        raise DirectoryRejected(problems)
    return Directory(tuple(points))


def _said(where: _Where) -> str:
    return f"points[{where.index}]" if where.index is not None else f"row {where.row}"


# -- CSV


def read_points_csv(data: bytes, *, name: str = "points.csv", max_points: int = MAX_POINTS) -> Directory:
    """A directory from one CSV file: a header row naming the columns (ours or a carrier's), then a
    row per point; `,` or `;` separated, UTF-8 with or without BOM."""
    if b"\0" in data:
        raise DirectoryRejected([Problem("this is a binary file, not CSV text", field="file")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DirectoryRejected([Problem("the file is not UTF-8 text: save it as 'CSV UTF-8'", field="file")]) from None
    if not text.strip():
        raise DirectoryRejected([Problem("the file is empty", field="file")])
    first_line = text.lstrip().split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = csv.reader(io.StringIO(text.lstrip()), delimiter=delimiter)
    try:
        header = next(rows)
    except csv.Error as error:
        raise DirectoryRejected([Problem(f"not a readable CSV file: {error}", field="file")]) from None
    if len(header) > MAX_COLUMNS:
        raise DirectoryRejected([Problem(f"more than {MAX_COLUMNS} columns", sheet=name, row=1)])
    columns: list[str | None] = []
    problems: list[Problem] = []
    for title in header:
        key = title.strip().lower()
        column = ALIASES.get(key, key) if key not in COLUMNS else key
        if column in columns:
            problems.append(Problem("the column is given twice", sheet=name, row=1, column=title.strip()))
        columns.append(column if column in COLUMNS else None)
    missing = [c for c in REQUIRED if c not in columns]
    for column in missing:
        problems.append(Problem("missing column", sheet=name, row=1, column=column))
    if missing:
        raise DirectoryRejected(problems)
    points: list[PickupPoint] = []
    locate: list[_Where] = []
    try:
        for line, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(locate) >= max_points:
                raise DirectoryRejected(
                    [
                        Problem(
                            f"more than {max_points:,} points: the limit is {max_points:,} (uploads.max_pickup_points)",
                            sheet=name,
                            row=line,
                        )
                    ]
                )
            if len(row) > len(columns):
                problems.append(Problem(f"{len(row)} values for {len(columns)} columns", sheet=name, row=line))
                continue
            values = {c: v for c, v in zip(columns, row, strict=False) if c is not None}
            where = _Where(name, line, None)
            point = _point(values, where, problems)
            if point is not None:
                points.append(point)
                locate.append(where)
            if len(problems) > 10 * MAX_PROBLEMS:
                break
    except csv.Error as error:
        problems.append(Problem(f"not a readable CSV file: {error}", sheet=name))
    return _checked(points, locate, problems)


# -- JSON


def read_points_json(document: object, *, max_points: int = MAX_POINTS) -> Directory:
    """A directory from {"points": [{"id": ..., "latitude": ..., "hours": {"monday": ...}, ...}]}."""
    if not isinstance(document, dict):
        raise DirectoryRejected([Problem("must be an object with a list of points", field="body")])
    unknown = sorted(set(document) - {"points", "carrier"})
    if unknown:
        raise DirectoryRejected([Problem("unknown field", field=unknown[0])])
    items = document.get("points")
    if not isinstance(items, list):
        raise DirectoryRejected([Problem("must be a list of points", field="points")])
    if len(items) > max_points:
        message = f"more than {max_points:,} points: the limit is {max_points:,} (uploads.max_pickup_points)"
        raise DirectoryRejected([Problem(message, field="points")])
    allowed = {*REQUIRED, *OPTIONAL, "hours"} - set(WEEKDAYS)
    points: list[PickupPoint] = []
    locate: list[_Where] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        where = _Where(None, None, index)
        if not isinstance(item, dict):
            problems.append(Problem("must be an object", field=f"points[{index}]"))
            continue
        values = dict(item)
        hours = values.pop("hours", None) or {}
        if not isinstance(hours, dict):
            problems.append(where.problem("hours", "must be an object of weekdays"))
            continue
        for key in sorted(set(values) - allowed):
            problems.append(where.problem(str(key), "unknown field"))
        for key in sorted(set(hours) - set(WEEKDAYS)):
            problems.append(where.problem(f"hours.{key}", "unknown weekday"))
        values.update({day: hours.get(day) for day in WEEKDAYS})
        point = _point(values, where, problems)
        if point is not None:
            points.append(point)
            locate.append(where)
        if len(problems) > 10 * MAX_PROBLEMS:
            break
    return _checked(points, locate, problems)


def parse_points_json(data: bytes, *, max_points: int = MAX_POINTS) -> Directory:
    if not data.strip():
        raise DirectoryRejected([Problem("the body is empty", field="body")])
    try:
        document = json.loads(data, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DirectoryRejected([Problem(f"not valid JSON: {error}", field="body")]) from None
    except RecursionError:
        raise DirectoryRejected([Problem("not a directory: the JSON is nested too deeply", field="body")]) from None
    return read_points_json(document, max_points=max_points)


# -- canonical form (what the store keeps; read back by read_points_json)


def point_to_json(point: PickupPoint) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": point.point_id,
        "name": point.name,
        "address": point.address,
        "postcode": point.postcode,
        "city": point.city,
        "country": point.country,
        "latitude": point.latitude,
        "longitude": point.longitude,
        "kind": point.kind.value,
        "hours": {day: hours_text(ranges) for day, ranges in zip(WEEKDAYS, point.hours, strict=True)},
    }
    if point.closures:
        document["closures"] = [f"{a.isoformat()}/{b.isoformat()}" for a, b in point.closures]
    if point.max_weight_g is not None:
        document["max_weight_kg"] = point.max_weight_g / 1000
    if point.max_length_mm is not None:
        document["max_length_cm"] = point.max_length_mm / 10
    if point.compartments_mm:
        document["compartments_cm"] = ["x".join(f"{s / 10:g}" for s in size) for size in point.compartments_mm]
    return document


def directory_to_json(directory: Directory) -> dict[str, Any]:
    return {"points": [point_to_json(p) for p in directory.points]}
