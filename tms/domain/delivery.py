"""The delivery-date calendar: from an order's time to an estimated delivery window.

Rules (a *working day* is a warehouse working weekday that is not a public
holiday where the warehouse is; a *business day* is a carrier delivery
weekday that is not a public holiday at the destination: its country's, or
its region's where they differ, see `holiday_region`):

1. Release: an order placed, in the warehouse's local time, strictly before
   its order cut-off on a working day is released that day, otherwise on the
   next working day.
2. Ready: `handling_days` working days after release (0 = the release day).
3. Ship day (`ship_day`): the first working day, on or after the ready day,
   on which the carrier picks up and a *planning run* of the warehouse can
   still put the order on that pickup. Orders are assigned to carriers by the
   warehouse's planning runs (`Warehouse.planning_runs`, local wall-clock
   times; by default one in the night and one at the order cut-off): a run at
   time T on day D plans that day's pickups, so it serves a carrier only when
   T is strictly before the carrier's pickup cut-off, and it sees only orders
   placed strictly before T on D (any time before D).
4. Delivery: `earliest` is the `min_days`-th business day after pickup and
   `latest` the `max_days`-th (0 days = delivered on the pickup day).

`delivery_window` is pure (its only state is the holiday cache), so callers
may memoise it; every argument is hashable.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MON_FRI: frozenset[int] = frozenset(range(5))
NIGHT_RUN = time(2, 30)  # the default night planning run, local time
SHIP_DAY_SEARCH_DAYS = 400  # a ship day is found within days: a bound for calendars gone wrong
SEARCH_SPAN = timedelta(days=SHIP_DAY_SEARCH_DAYS)
_ONE_DAY = timedelta(days=1)


def _check_weekdays(name: str, weekdays: frozenset[int]) -> None:
    if not weekdays or not weekdays <= frozenset(range(7)):
        raise ValueError(f"{name} must be a non-empty set of weekdays 0 (Mon) .. 6 (Sun): {weekdays!r}")


@dataclass(frozen=True)
class Warehouse:
    code: str
    country: str = "FR"
    timezone: str = "Europe/Paris"
    order_cutoff: time = time(15, 0)
    handling_days: int = 0
    working_weekdays: frozenset[int] = MON_FRI
    postcode: str = ""  # where the warehouse is: its region's public holidays are days off too
    # Local times of the planning runs, each planning that day's pickups; () means the night run
    # and a run at the order cut-off, so that orders released today can still leave today.
    planning_runs: tuple[time, ...] = ()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    region: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_weekdays("working_weekdays", self.working_weekdays)
        if self.handling_days < 0:
            raise ValueError(f"handling_days must be >= 0: {self.handling_days}")
        if self.order_cutoff.tzinfo is not None:
            raise ValueError("order_cutoff is a local wall-clock time: give it without tzinfo")
        if any(run.tzinfo is not None for run in self.planning_runs):
            raise ValueError("planning_runs are local wall-clock times: give them without tzinfo")
        runs = tuple(sorted(set(self.planning_runs or (NIGHT_RUN, self.order_cutoff))))
        object.__setattr__(self, "planning_runs", runs)
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))
        object.__setattr__(self, "region", holiday_region(self.country, self.postcode.replace(" ", "").upper()))

    def local(self, moment: datetime) -> datetime:
        """A timezone-aware moment as the warehouse's wall clock reads it."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("the moment must be timezone-aware")
        return moment.astimezone(self.zone)


@dataclass(frozen=True)
class CarrierSchedule:
    pickup_cutoff: time
    pickup_weekdays: frozenset[int]
    delivery_weekdays: frozenset[int]

    def __post_init__(self) -> None:
        _check_weekdays("pickup_weekdays", self.pickup_weekdays)
        _check_weekdays("delivery_weekdays", self.delivery_weekdays)
        if self.pickup_cutoff.tzinfo is not None:
            raise ValueError("pickup_cutoff is a local wall-clock time: give it without tzinfo")


@dataclass(frozen=True)
class DeliveryWindow:
    ships_on: date
    earliest: date
    latest: date


# Where a region's public holidays differ from its country's: the `holidays` package's subdivision, by
# whole postcode or prefix (the longest first). Alsace (67, 68) and Moselle (57) keep Good Friday and
# 26 December; the overseas departments (971-976) have their own days (abolition of slavery, ...), and
# so do Saint-Barthelemy and Saint-Martin, which share Guadeloupe's 971 prefix.
HOLIDAY_REGIONS = {
    "FR": {
        "57": "57",
        "67": "6AE",
        "68": "6AE",
        "971": "971",
        "97133": "BL",
        "97150": "MF",
        "972": "972",
        "973": "973",
        "974": "974",
        "976": "976",
    },
}


def holiday_region(country: str, postcode: str) -> str | None:
    """The region whose public holidays apply at a destination (country upper-case, postcode
    normalised), when they differ from the country's; None elsewhere."""
    regions = HOLIDAY_REGIONS.get(country)
    if regions is None:
        return None
    return regions.get(postcode) or regions.get(postcode[:3]) or regions.get(postcode[:2])


@lru_cache(maxsize=1024)
def public_holidays(country: str, year: int, region: str | None = None) -> frozenset[date]:
    """The public holidays of `country` (ISO 3166-1 alpha-2) in `year`, per the `holidays` package;
    with a `region` (see `holiday_region`), that region's."""
    try:
        return frozenset(holidays.country_holidays(country, subdiv=region, years=year))
    except NotImplementedError:
        raise ValueError(f"no public holiday calendar for country {country!r}") from None


def _advance(day: date, count: int, weekdays: frozenset[int], country: str, region: str | None = None) -> date:
    """The `count`-th day after `day` that is in `weekdays` and not a holiday of `country` (of its
    `region`, if given); `day` itself if `count` is 0."""
    if not count:
        return day
    year = day.year
    days_off = public_holidays(country, year, region)
    while count:
        day += _ONE_DAY
        if day.year != year:
            year = day.year
            days_off = public_holidays(country, year, region)
        if day.weekday() in weekdays and day not in days_off:
            count -= 1
    return day


def business_days_after(
    day: date, count: int, weekdays: frozenset[int], country: str, region: str | None = None
) -> date:
    """The `count`-th day after `day` among `weekdays` that is no public holiday of the destination."""
    return _advance(day, count, weekdays, country, region)


def delivery_window(
    ordered_at: datetime,
    warehouse: Warehouse,
    schedule: CarrierSchedule,
    min_days: int,
    max_days: int,
    destination_country: str,
    destination_region: str | None = None,
) -> DeliveryWindow:
    """The pickup day and delivery window of an order placed at `ordered_at` (timezone-aware)."""
    if ordered_at.tzinfo is None or ordered_at.utcoffset() is None:
        raise ValueError("ordered_at must be timezone-aware")
    local = warehouse.local(ordered_at)
    ships_on, earliest, latest = window_from_local_time(
        local.date(), local.time(), warehouse, schedule, min_days, max_days, destination_country, destination_region
    )
    return DeliveryWindow(ships_on=ships_on, earliest=earliest, latest=latest)


def window_from_local_time(
    order_day: date,
    order_time: time,
    warehouse: Warehouse,
    schedule: CarrierSchedule,
    min_days: int,
    max_days: int,
    destination_country: str,
    destination_region: str | None = None,
) -> tuple[date, date, date]:
    """(ships_on, earliest, latest) for an order at a wall-clock time of the warehouse.

    Cut-offs are compared once here; the day arithmetic behind them is cached,
    since thousands of orders a day share the same few answers.
    """
    if not 0 <= min_days <= max_days:
        raise ValueError(f"transit days must satisfy 0 <= min_days <= max_days: {min_days}, {max_days}")
    pickup = ship_day(order_day, order_time, warehouse, schedule)
    earliest, latest = _delivery_days(
        pickup, min_days, max_days, schedule.delivery_weekdays, destination_country, destination_region
    )
    return pickup, earliest, latest


def ship_day(order_day: date, order_time: time, warehouse: Warehouse, schedule: CarrierSchedule) -> date:
    """The shipping-day rule: the earliest day an order placed at this local time can leave with the
    carrier (rules 1-3 of the module docstring). Quote, plan and checker all date from it.

    Raises ValueError when the carrier can never take the warehouse's orders (no common weekday, or
    every planning run is at or after its pickup cut-off).
    """
    first_run_after = bisect.bisect_right(warehouse.planning_runs, order_time)
    return _ship_day(order_day, order_time < warehouse.order_cutoff, first_run_after, warehouse, schedule)


def can_plan(schedule: CarrierSchedule, run_at: time) -> bool:
    """True if a planning run at `run_at` comes in time for the carrier's pickup that day."""
    return run_at < schedule.pickup_cutoff


@lru_cache(maxsize=16_384)
def _ship_day(
    order_day: date,
    before_order_cutoff: bool,
    first_run_after: int,
    warehouse: Warehouse,
    schedule: CarrierSchedule,
) -> date:
    working = warehouse.working_weekdays
    if working.isdisjoint(schedule.pickup_weekdays):
        raise ValueError("the carrier never picks up on a warehouse working weekday")
    runs = warehouse.planning_runs
    if not any(can_plan(schedule, run) for run in runs):
        raise ValueError(
            f"no planning run of {warehouse.code} comes before the carrier's pickup cut-off "
            f"{schedule.pickup_cutoff:%H:%M}"
        )
    if before_order_cutoff and is_working_day(warehouse, order_day):
        release = order_day
    else:
        release = next_working_day(warehouse, order_day)
    day = _advance(release, warehouse.handling_days, working, warehouse.country, warehouse.region)
    # `day` is a working day from here on. On the order's own day only the runs after the order count.
    later_runs_today = runs[first_run_after:]
    for _ in range(SHIP_DAY_SEARCH_DAYS):
        if day.weekday() in schedule.pickup_weekdays and (
            day > order_day or any(can_plan(schedule, run) for run in later_runs_today)
        ):
            return day
        day = next_working_day(warehouse, day)
    raise ValueError(f"no ship day within {SHIP_DAY_SEARCH_DAYS} days of {order_day}")


def pickup_with_room(
    ships_on: date, warehouse: Warehouse, schedule: CarrierSchedule, full: Callable[[date], bool]
) -> date:
    """The first pickup day from `ships_on` on which the carrier still has room (`full` says which
    days it has none): `ships_on` itself, else the carrier's next pickup day on a working day of the
    warehouse that is not full. Raises ValueError past SHIP_DAY_SEARCH_DAYS."""
    day = ships_on
    for _ in range(SHIP_DAY_SEARCH_DAYS):
        if not full(day):
            return day
        day = next_working_day(warehouse, day)
        while day.weekday() not in schedule.pickup_weekdays and day - ships_on < SEARCH_SPAN:
            day = next_working_day(warehouse, day)
    raise ValueError(f"the carrier has no room within {SHIP_DAY_SEARCH_DAYS} days of {ships_on}")


def window_for_pickup(
    pickup: date, schedule: CarrierSchedule, min_days: int, max_days: int, country: str, region: str | None = None
) -> tuple[date, date, date]:
    """(ships_on, earliest, latest) for a parcel picked up on `pickup`."""
    earliest, latest = _delivery_days(pickup, min_days, max_days, schedule.delivery_weekdays, country, region)
    return pickup, earliest, latest


def plan_days(warehouse: Warehouse, shipping_date: date, holding: bool) -> list[date]:
    """The days a plan for `shipping_date` may ship on: the date (or, if the warehouse does not work
    then, its next working day), and with holding the next working day after it."""
    day = shipping_date if is_working_day(warehouse, shipping_date) else next_working_day(warehouse, shipping_date)
    return [day, next_working_day(warehouse, day)] if holding else [day]


@lru_cache(maxsize=16_384)
def _delivery_days(
    pickup: date, min_days: int, max_days: int, weekdays: frozenset[int], country: str, region: str | None
) -> tuple[date, date]:
    earliest = _advance(pickup, min_days, weekdays, country, region)
    return earliest, _advance(earliest, max_days - min_days, weekdays, country, region)


def is_feasible(window: DeliveryWindow, deliver_by: date | None, deliver_after: date | None = None) -> bool:
    """True if the whole window fits the promise: not after `deliver_by`, not before `deliver_after`."""
    if deliver_by is not None and window.latest > deliver_by:
        return False
    return deliver_after is None or window.earliest >= deliver_after


def next_working_day(warehouse: Warehouse, day: date) -> date:
    """The warehouse's first working day after `day`."""
    return _advance(day, 1, warehouse.working_weekdays, warehouse.country, warehouse.region)


def is_working_day(warehouse: Warehouse, day: date) -> bool:
    return day.weekday() in warehouse.working_weekdays and day not in public_holidays(
        warehouse.country, day.year, warehouse.region
    )


def delivery_dates(
    pickup: date,
    min_days: int,
    max_days: int,
    delivery_weekdays: frozenset[int],
    destination_country: str,
    destination_region: str | None = None,
) -> tuple[date, date]:
    """(earliest, latest) for a parcel the carrier picks up on `pickup`."""
    return _delivery_days(pickup, min_days, max_days, delivery_weekdays, destination_country, destination_region)


def business_days_between(
    start: date, end: date, weekdays: frozenset[int], country: str, region: str | None = None
) -> int:
    """The business days after `start` up to and including `end` (carrier delivery `weekdays`, not a
    public holiday at the destination): how many days of transit a parcel picked up on `start` and
    delivered on `end` took, counted as `delivery_dates` counts them; 0 when `end` is not after `start`."""
    if end <= start:
        return 0
    return _business_days_between(start, end, weekdays, country, region)


@lru_cache(maxsize=16_384)
def _business_days_between(start: date, end: date, weekdays: frozenset[int], country: str, region: str | None) -> int:
    count = 0
    day, year = start, start.year
    days_off = public_holidays(country, year, region)
    for _ in range((end - start).days):  # bounded by the days between
        day += _ONE_DAY
        if day.year != year:
            year = day.year
            days_off = public_holidays(country, year, region)
        if day.weekday() in weekdays and day not in days_off:
            count += 1
    return count
