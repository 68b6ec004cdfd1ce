"""A carrier's tracking export as CSV, all or nothing: one event per row.

Columns (header row, comma or semicolon separated, UTF-8): tracking_number, code, occurred_at
(ISO 8601 with offset) required; description, location, pickup_point, held_until (YYYY-MM-DD)
optional. The carrier's code gives the kind, as its adapter reads it.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from carriers.tracking import TrackingAdapter
from tms.domain.errors import InvalidInput, Problem
from tms.domain.tracking import TrackingEvent, event_problems

REQUIRED = ("tracking_number", "code", "occurred_at")
OPTIONAL = ("description", "location", "pickup_point", "held_until")
MAX_PROBLEMS = 100


def read_tracking_csv(data: bytes, adapter: TrackingAdapter, *, max_rows: int) -> list[TrackingEvent]:
    """Every row's event, or InvalidInput naming each bad row and column (the header is row 1)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput("the CSV is not UTF-8", [Problem(f"is not UTF-8 at byte {error.start}", row=1)]) from None
    if "\x00" in text:
        raise InvalidInput("the CSV holds a NUL character", [Problem("must not contain a NUL character")])
    dialect = csv.excel
    first = text.split("\n", 1)[0]
    if first.count(";") > first.count(","):
        dialect = csv.excel
        reader = csv.reader(io.StringIO(text), delimiter=";")
    else:
        reader = csv.reader(io.StringIO(text), dialect)
    rows = list(reader)
    if not rows:
        raise InvalidInput("the CSV is empty", [Problem("needs a header row", row=1)])
    header = [h.strip().lower() for h in rows[0]]
    problems = [Problem("is a required column", row=1, column=c) for c in REQUIRED if c not in header]
    problems += [Problem("is not a known column", row=1, column=c) for c in header if c not in REQUIRED + OPTIONAL]
    if problems:
        raise InvalidInput("the CSV header is not valid", problems)
    if len(rows) - 1 > max_rows:
        raise InvalidInput("the CSV is too long", [Problem(f"holds more than {max_rows} rows", row=max_rows + 2)])
    events: list[TrackingEvent] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(f"has {len(row)} cells, the header {len(header)}", row=number))
            continue
        cells = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
        row_problems = [Problem("is required", row=number, column=c) for c in REQUIRED if not cells[c]]
        occurred_at = held_until = None
        if cells["occurred_at"]:
            try:
                occurred_at = datetime.fromisoformat(cells["occurred_at"])
            except ValueError:
                row_problems.append(Problem("is not an ISO 8601 time", row=number, column="occurred_at"))
            else:
                if occurred_at.tzinfo is None:
                    row_problems.append(Problem("must carry a time zone offset", row=number, column="occurred_at"))
        if cells.get("held_until"):
            try:
                held_until = date.fromisoformat(cells["held_until"])
            except ValueError:
                row_problems.append(Problem("is not a date (YYYY-MM-DD)", row=number, column="held_until"))
        if row_problems or occurred_at is None:
            problems += row_problems
        else:
            event = TrackingEvent(
                carrier=adapter.carrier,
                tracking_number=cells["tracking_number"],
                code=cells["code"],
                kind=adapter.kind_of(cells["code"]),
                occurred_at=occurred_at,
                description=cells.get("description", ""),
                location=cells.get("location", ""),
                pickup_point=cells.get("pickup_point", ""),
                held_until=held_until,
            )
            problems += [Problem(m, row=number, column=c) for c, m in event_problems(event)]
            events.append(event)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InvalidInput("the tracking export was refused; nothing was stored", problems[:MAX_PROBLEMS])
    return events
