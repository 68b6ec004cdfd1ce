"""Pickup points (relays and lockers) as the carriers' directories list them, and when one is open.

Hours are local times of the point (the business's time zone), per weekday Monday..Sunday, each day
zero or more [opens, closes) ranges in minutes since midnight. A closure is a period of whole days
(first and last day included) when the point takes and gives back no parcel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LOOKAHEAD_DAYS = 14  # how far ahead the next opening is looked for; a point closed longer is not offered

Range = tuple[int, int]  # opens, closes: minutes since midnight, opens < closes <= 1440


class PointKind(StrEnum):
    RELAY = "relay"  # a shop that holds parcels over the counter
    LOCKER = "locker"  # an automatic parcel locker, compartments of fixed sizes


class DirectoryStatus(StrEnum):
    DRAFT = "draft"  # uploaded and checked, not offered yet
    ACTIVE = "active"  # the carrier's directory in use (one per carrier: the newest activated)
    RETIRED = "retired"  # replaced by a newer active version, or retired; kept for history


# Max grams, longest side in mm, and compartments (each one's sides in mm, longest first).
Limits = tuple[int | None, int | None, tuple[tuple[int, int, int], ...]]


def limits_take(limits: Limits, heaviest_g: int, longest_mm: int, sizes: tuple[tuple[int, int, int], ...]) -> bool:
    """Whether a point with these limits takes every parcel: within its weight and length limits and,
    at a locker with known compartments, each in some compartment (`sizes`: each parcel's sides,
    longest first, as the compartments' are). Plain loops: a quote asks this of every limits in use."""
    max_weight_g, max_length_mm, compartments = limits
    if max_weight_g is not None and heaviest_g > max_weight_g:
        return False
    if max_length_mm is not None and longest_mm > max_length_mm:
        return False
    for longest, middle, shortest in sizes if compartments else ():
        for first, second, third in compartments:
            if longest <= first and middle <= second and shortest <= third:
                break
        else:
            return False
    return True


def longest_first(a: int, b: int, c: int) -> tuple[int, int, int]:
    first, second, third = sorted((a, b, c), reverse=True)
    return first, second, third


@dataclass(frozen=True)
class PickupPoint:
    point_id: str
    name: str
    address: str
    postcode: str
    city: str
    country: str
    latitude: float
    longitude: float
    kind: PointKind
    hours: tuple[tuple[Range, ...], ...]  # 7 days, Monday first
    closures: tuple[tuple[date, date], ...] = ()
    max_weight_g: int | None = None
    max_length_mm: int | None = None  # longest side
    compartments_mm: tuple[tuple[int, int, int], ...] = ()  # a locker's compartment sizes (l, w, h)

    def closed_on(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.closures)

    def takes_weight(self, weight_g: int | None) -> bool:
        return weight_g is None or self.max_weight_g is None or weight_g <= self.max_weight_g

    @cached_property
    def _days_to_opening(self) -> tuple[int | None, ...]:
        """Per weekday, the days from it to the next weekday the point opens (0: it opens that day)."""
        return tuple(
            next((offset for offset in range(7) if self.hours[(weekday + offset) % 7]), None) for weekday in range(7)
        )

    @cached_property
    def open_offsets(self) -> tuple[int | None, ...] | None:
        """`open_day_from` as a look-up for a point without closures: per weekday (Monday first), the
        days from such a day to the point's first opening (None: it never opens). None when the point
        has closures: then the dates themselves matter."""
        return None if self.closures else self._days_to_opening

    @cached_property
    def limits(self) -> Limits:
        """What decides which parcels the point takes: points with the same limits take the same ones."""
        compartments = tuple(longest_first(*sides) for sides in self.compartments_mm)
        return (self.max_weight_g, self.max_length_mm, compartments)

    def open_day_from(self, day: date) -> date | None:
        """The first day from `day` on when the point opens (a parcel delivered that day is there to
        collect), closures skipped; None if it opens on none of the LOOKAHEAD_DAYS days."""
        offsets = self.open_offsets
        if offsets is not None:  # most points: a look-up per weekday
            offset = offsets[day.weekday()]
            return None if offset is None else day + timedelta(days=offset)
        for offset in range(LOOKAHEAD_DAYS):
            current = day + timedelta(days=offset)
            if self.hours[current.weekday()] and not self.closed_on(current):
                return current
        return None

    def next_opening(self, now: datetime) -> datetime | None:
        """`now` if the point is open at `now` (a naive local time), else the start of its next
        opening range within LOOKAHEAD_DAYS days, closures skipped; None if it opens in none."""
        minute = now.hour * 60 + now.minute
        today = now.date()
        for offset in range(LOOKAHEAD_DAYS):
            day = today + timedelta(days=offset)
            if self.closed_on(day):
                continue
            for opens, closes in self.hours[day.weekday()]:
                if offset == 0:
                    if opens <= minute < closes:
                        return now
                    if opens <= minute:
                        continue
                return datetime(day.year, day.month, day.day) + timedelta(minutes=opens)
        return None


@dataclass(frozen=True)
class DirectoryRecord:
    """One stored version of a carrier's directory; `document` is its canonical JSON."""

    id: int
    carrier_code: str
    version: int
    status: DirectoryStatus
    checksum: str
    point_count: int
    source_format: str
    source_name: str
    uploaded_at: datetime
    uploaded_by: str
    activated_at: datetime | None
    retired_at: datetime | None
    document: Mapping[str, Any]


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hours_text(ranges: tuple[Range, ...]) -> str:
    """A day's ranges as the directories write them: "09:00-12:00 14:00-19:00" ("" when closed)."""
    return " ".join(f"{clock_text(o)}-{clock_text(c)}" for o, c in ranges)
