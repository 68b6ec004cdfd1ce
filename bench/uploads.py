"""Uploads at the limits: the largest card the default limits accept, in each format, read, checked
and built by the upload service (`tms.services.uploads`), and workbooks made to exhaust a worker
(a value in the last column, XFD, of 4,000 rows; 2.5 million shared texts; a 48 MB sheet that does
not declare its size; ten million empty elements in one row), refused.

Each upload runs in a fresh process, so that its peak RSS growth is its own: the process reads the
file, resets its peak RSS to the RSS now (Linux `/proc/self/clear_refs`), parses the upload, and
subtracts the RSS before from the peak after (`VmHWM`; elsewhere `resource.getrusage`, whose peak
also counts the imports).

python -m bench uploads
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from carriers.limits import UploadLimits
from carriers.readers import PRICES_SHEET, SHEET_TITLES
from carriers.tables import all_columns

MAX_SECONDS = 2.0
MAX_RSS_GROWTH_MB = 200


# -- the largest card the limits accept, as tables (one zone entry, one area per row)


def largest_tables(limits: UploadLimits) -> dict[str, list[list[object]]]:
    """Every table of a valid card with as many services, zones, zone entries, remote-area
    postcodes, brackets, surcharges and tiers as `limits` allows (each row a list of values)."""
    services = [f"S{s:03d}" for s in range(limits.services)]
    zones = [f"Z{z:03d}" for z in range(limits.zones)]
    per_zone = limits.zone_entries // len(zones)
    tables: dict[str, list[list[object]]] = {
        "card": [
            ["carrier_code", "largest"],
            ["carrier_name", "The largest card"],
            ["currency", "EUR"],
            ["valid_from", "2026-01-01"],
            ["fuel_percent", "12.5"],
            ["notes", "every count at its limit"],
        ],
        "services": [
            [code, f"Service {code}", "home", "standard", "17:00", "Mon-Fri", "Mon-Sat", "30", "150", "300", "", "5000"]
            for code in services
        ],
        "zones": [],
        "transit": [[service, zone, 1, 3] for service in services for zone in zones],
        "surcharges": [],
        "tiers": [[100 * (t + 1), f"{0.5 * (t + 1):.1f}"] for t in range(limits.tiers)],
    }
    for z, zone in enumerate(zones):
        for m in range(per_zone):
            n = z * per_zone + m
            # Prefixes and ranges that never overlap: a prefix of 5 digits, a range inside another's.
            pattern = f"{n:05d}" if n % 2 == 0 else f"{n:05d}0-{n:05d}9"
            tables["zones"].append([zone, f"Zone {zone}" if m == 0 else "", "FR", pattern])
    areas = [f"{n:05d}" for n in range(limits.remote_area_postcodes)]
    tables["surcharges"].append(["remote_area", "Islands", "4.50", "", "DE", areas[0], "", "", ""])
    tables["surcharges"] += [["", "", "", "", "DE", area, "", "", ""] for area in areas[1:]]
    for s in range(limits.surcharges - 1):
        if s % 2:
            tables["surcharges"].append(["oversize", f"Oversize {s}", "20", services[s % len(services)], "", "", "120"])
        else:
            tables["surcharges"].append(["fixed", f"Fee {s}", "0.30", services[s % len(services)]])
    return tables


def bracket_counts(limits: UploadLimits) -> list[list[int]]:
    """Brackets of each (service, zone) grid: `limits.brackets` spread over every grid."""
    grids = limits.services * limits.zones
    each, extra = divmod(limits.brackets, grids)
    return [[each + (s * limits.zones + z < extra) for z in range(limits.zones)] for s in range(limits.services)]


def _price(service: int, zone: int, bracket: int) -> str:
    return f"{4 + bracket * 1.5 + zone / 100 + service / 1000:.2f}".rstrip("0").rstrip(".")


def long_prices(limits: UploadLimits) -> list[list[object]]:
    rows: list[list[object]] = []
    for s, counts in enumerate(bracket_counts(limits)):
        for z, count in enumerate(counts):
            for b in range(count):
                rows.append([f"S{s:03d}", f"Z{z:03d}", b, b + 1, _price(s, z, b)])
    return rows


def largest_csv(limits: UploadLimits) -> dict[str, bytes]:
    tables = largest_tables(limits)
    tables["prices"] = long_prices(limits)
    files = {}
    for name, rows in tables.items():
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(all_columns(name))
        writer.writerows(rows)
        files[name] = text.getvalue().encode()
    return files


def largest_xlsx(limits: UploadLimits) -> bytes:
    """As Excel writes it: sheets that declare their size, text in the shared strings, numbers."""
    workbook = Workbook()
    assert workbook.active is not None
    workbook.remove(workbook.active)
    for name, rows in largest_tables(limits).items():
        sheet = workbook.create_sheet(SHEET_TITLES[name])
        sheet.append(list(all_columns(name)))
        for row in rows:
            sheet.append([None if value == "" else value for value in row])
    zones = [f"Z{z:03d}" for z in range(limits.zones)]
    for s, counts in enumerate(bracket_counts(limits)):
        sheet = workbook.create_sheet(f"{PRICES_SHEET}S{s:03d}")
        sheet.append(["from_kg", "to_kg", *zones])
        for b in range(max(counts)):
            prices = (float(_price(s, z, b)) if b < count else None for z, count in enumerate(counts))
            sheet.append([b, b + 1, *prices])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def largest_json(limits: UploadLimits) -> bytes:
    tables = largest_tables(limits)
    services = [
        {
            "code": row[0],
            "name": row[1],
            "mode": "home",
            "speed": "standard",
            "pickup_cutoff": "17:00",
            "pickup_days": "Mon-Fri",
            "delivery_days": "Mon-Sat",
            "max_weight_kg": 30,
            "max_length_cm": 150,
            "max_length_girth_cm": 300,
            "volumetric_divisor": 5000,
            "transit": {f"Z{z:03d}": [1, 3] for z in range(limits.zones)},
        }
        for row in tables["services"]
    ]
    zones: dict[str, dict[str, Any]] = {}
    for code, name, country, pattern in tables["zones"]:
        zone = zones.setdefault(str(code), {"code": code, "name": name, "entries": []})
        zone["entries"].append({"country": country, "postcodes": pattern})
    prices = [
        {
            "service": f"S{s:03d}",
            "zone": f"Z{z:03d}",
            "brackets": [{"to_kg": b + 1, "price": float(_price(s, z, b))} for b in range(count)],
        }
        for s, counts in enumerate(bracket_counts(limits))
        for z, count in enumerate(counts)
    ]
    areas = [{"country": "DE", "postcodes": f"{n:05d}"} for n in range(limits.remote_area_postcodes)]
    surcharges: list[dict[str, Any]] = [{"kind": "remote_area", "name": "Islands", "amount": 4.5, "areas": areas}]
    for s in range(limits.surcharges - 1):
        service = [f"S{s % limits.services:03d}"]
        if s % 2:
            surcharges.append(
                {"kind": "oversize", "name": f"Oversize {s}", "amount": 20, "services": service, "min_length_cm": 120}
            )
        else:
            surcharges.append({"kind": "fixed", "name": f"Fee {s}", "amount": 0.3, "services": service})
    document = {
        "carrier": {"code": "largest", "name": "The largest card"},
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "fuel_percent": 12.5,
        "notes": "every count at its limit",
        "services": services,
        "zones": list(zones.values()),
        "prices": prices,
        "surcharges": surcharges,
        "tiers": [{"min_parcels": 100 * (t + 1), "discount_percent": 0.5 * (t + 1)} for t in range(limits.tiers)],
    }
    return json.dumps(document).encode()


def xfd_workbook(rows: int = 4000, declared: bool = True) -> bytes:
    """A small workbook whose Zones sheet has a value in column XFD (16,384) of `rows` rows; it
    declares its size (A1:XFD4001) as Excel would, or, without `declared`, does not, so that only
    reading it finds the far cells."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Zones"
    sheet.append(["zone", "name", "country", "postcodes"])
    for row in range(2, rows + 2):
        sheet.cell(row=row, column=16384, value="x")
    output = io.BytesIO()
    workbook.save(output)
    data = output.getvalue()
    if declared:
        return data
    source = zipfile.ZipFile(io.BytesIO(data))
    sheet_xml = re.sub(rb"<dimension [^>]*/>", b"", source.read("xl/worksheets/sheet1.xml"))
    return _rezipped(data, {"xl/worksheets/sheet1.xml": sheet_xml})


def _rezipped(data: bytes, parts: dict[str, bytes], types: bytes = b"") -> bytes:
    """The workbook with `parts` replaced or added, and `types` added to its [Content_Types].xml."""
    source, output = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = parts.pop(item.filename, None) or source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", types + b"</Types>")
            target.writestr(item.filename, content)
        for name, content in parts.items():
            target.writestr(name, content)
    return output.getvalue()


def shared_strings_workbook(texts: int = 2_500_000) -> bytes:
    """A small workbook whose shared-strings part repeats a one-letter text `texts` times."""
    workbook = Workbook()
    assert workbook.active is not None
    workbook.active.title = "Card"
    workbook.active.append(["key", "value"])
    output = io.BytesIO()
    workbook.save(output)
    kind = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    strings = b'<sst xmlns="' + NAMESPACE + b'">' + b"<si><t>a</t></si>" * texts + b"</sst>"
    override = b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + kind + b'"/>'
    return _rezipped(output.getvalue(), {"xl/sharedStrings.xml": strings}, override)


def undeclared_sheet_workbook(rows: int = 20_000, columns: int = 100) -> bytes:
    """A workbook whose one sheet holds rows x columns numbers and does not declare its size."""
    workbook = Workbook()
    assert workbook.active is not None
    workbook.active.title = "Card"
    output = io.BytesIO()
    workbook.save(output)
    cells = [
        f'<row r="{r}">'.encode() + b"".join(b'<c r="A%d"><v>1</v></c>' % r for _ in range(columns)) + b"</row>"
        for r in range(1, rows + 1)
    ]
    sheet = b'<worksheet xmlns="' + NAMESPACE + b'"><sheetData>' + b"".join(cells) + b"</sheetData></worksheet>"
    return _rezipped(output.getvalue(), {"xl/worksheets/sheet1.xml": sheet})


def flooded_workbook(elements: int = 10_000_000) -> bytes:
    """A workbook whose sheet declares a small size and holds, in one row, `elements` empty
    elements that are not cells."""
    workbook = Workbook()
    assert workbook.active is not None
    workbook.active.title = "Card"
    output = io.BytesIO()
    workbook.save(output)
    row = b'<row r="1">' + b"<x/>" * elements + b"</row>"
    sheet = (
        b'<worksheet xmlns="' + NAMESPACE + b'"><dimension ref="A1:B2"/><sheetData>' + row + b"</sheetData></worksheet>"
    )
    return _rezipped(output.getvalue(), {"xl/worksheets/sheet1.xml": sheet})


NAMESPACE = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# -- one upload in a fresh process


def measure(kind: str, path: str) -> dict[str, Any]:
    """Parse the upload at `path` (a workbook, a JSON body, or a directory of CSV files) as the
    upload service does, and say how long it took and how much the peak RSS grew."""
    from tms.domain.errors import InvalidInput
    from tms.services.uploads import UploadedFile, parse_files, parse_json_body, upload_limits
    from tms.settings import load_settings

    settings = load_settings()
    limits = upload_limits(settings)
    unpacked = settings.uploads_max_uncompressed_mb * 1024 * 1024
    # Once, as a worker that has read one card already: pycountry's tables and the lazy imports of
    # openpyxl load on first use, not on every upload.
    from carriers.template import EXAMPLE_JSON, template_workbook

    parse_json_body(EXAMPLE_JSON.read_bytes(), limits)
    parse_files([UploadedFile("file", "template.xlsx", template_workbook())], max_uncompressed_bytes=unpacked)
    source = Path(path)
    if kind == "csv":
        files = [UploadedFile(p.stem, p.name, p.read_bytes()) for p in sorted(source.iterdir())]
    else:
        data = source.read_bytes()
    before_kb = _reset_peak_rss()
    started, started_cpu = time.perf_counter(), time.process_time()
    try:
        if kind == "csv":
            parsed = parse_files(files, max_uncompressed_bytes=unpacked, limits=limits)
        elif kind == "json":
            parsed = parse_json_body(data, limits)
        else:
            parsed = parse_files(
                [UploadedFile("file", "card.xlsx", data)], max_uncompressed_bytes=unpacked, limits=limits
            )
        card = parsed.card
        outcome = (
            f"accepted: {len(card.services)} services, {len(card.zones)} zones, "
            f"{sum(len(z.entries) for z in card.zones):,} entries, "
            f"{sum(len(g.brackets) for g in card.prices):,} brackets, {len(card.surcharges)} surcharges"
        )
    except InvalidInput as error:
        outcome = f"refused: {len(error.problems)} problem(s): {error.problems[0]}"
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
    after_kb = _peak_rss_kb()
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "rss_growth_mb": round((after_kb - before_kb) / 1024, 1),
        "outcome": outcome,
    }


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> int:
    """Start measuring the peak RSS from now (Linux: VmHWM is reset to VmRSS); the RSS now, in kB."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    now = _status_kb("VmRSS")
    return now if now is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_rss_kb() -> int:
    peak = _status_kb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _in_fresh_process(kind: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.uploads", "--measure", kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run() -> dict[str, Any]:
    from tms.services.uploads import upload_limits
    from tms.settings import load_settings

    limits = upload_limits(load_settings())  # config/default.toml, or TMS_UPLOADS_* to try others
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        cases: list[tuple[str, str, Path, int]] = []
        csv_dir = base / "csv"
        csv_dir.mkdir()
        size = 0
        for name, content in largest_csv(limits).items():
            (csv_dir / f"{name}.csv").write_bytes(content)
            size += len(content)
        cases.append(("largest card, CSV", "csv", csv_dir, size))
        for label, kind, name, content in [
            ("largest card, workbook", "xlsx", "card.xlsx", largest_xlsx(limits)),
            ("largest card, JSON", "json", "card.json", largest_json(limits)),
            ("XFD x 4,000 rows, declared", "xlsx", "xfd.xlsx", xfd_workbook()),
            ("XFD x 4,000 rows, undeclared", "xlsx", "xfd-undeclared.xlsx", xfd_workbook(declared=False)),
            ("2.5 M shared texts (40 MB)", "xlsx", "texts.xlsx", shared_strings_workbook()),
            ("undeclared 48 MB sheet", "xlsx", "undeclared.xlsx", undeclared_sheet_workbook()),
            ("10 M empty elements in a row", "xlsx", "flooded.xlsx", flooded_workbook()),
        ]:
            (base / name).write_bytes(content)
            cases.append((label, kind, base / name, len(content)))
        for label, kind, path, size in cases:
            result = _in_fresh_process(kind, path)
            rows.append({"upload": label, "size_kb": round(size / 1024), **result})
    print(
        f"\nUploads through the upload service, each in a fresh process (targets: under {MAX_SECONDS} s "
        f"and {MAX_RSS_GROWTH_MB} MB of peak RSS growth)"
    )
    print(f"{'upload':<30} {'size KB':>8} {'seconds':>8} {'CPU s':>8} {'RSS +MB':>8}  outcome")
    for row in rows:
        figures = f"{row['size_kb']:>8,} {row['seconds']:>8} {row['cpu_seconds']:>8} {row['rss_growth_mb']:>8}"
        print(f"{row['upload']:<30} {figures}  {row['outcome']}")
    return {"limits": asdict(limits), "uploads": rows}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
    else:
        run()
