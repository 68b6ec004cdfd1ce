"""The delivery-date calendar: from an order's time to an estimated delivery window.

Rules (a *working day* is a warehouse working weekday that is not a public
holiday where the warehouse is; a *business day* is a carrier delivery
weekday that is not a public holiday at the destination: its country's, or
its region's where they differ, see `holiday_region`):

1. Release: an order placed, in the warehouse's local time, strictly before
   its order cut-off on a working day is released that day, otherwise on the
   next working day.
2. Ready: `handling_days` working days after release (0 = the release day).
3. Pickup: the first carrier pickup weekday that is a working day, on or after
   the ready day. When the parcel is ready on the order's own local day, the
   carrier takes it that day only if the order was placed strictly before the
   carrier's pickup cut-off.
4. Delivery: `earliest` is the `min_days`-th business day after pickup and
   `latest` the `max_days`-th (0 days = delivered on the pickup day).

`delivery_window` is pure (its only state is the holiday cache), so callers
may memoise it; every argument is hashable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MON_FRI: frozenset[int] = frozenset(range(5))
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
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _region: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_weekdays("working_weekdays", self.working_weekdays)
        if self.handling_days < 0:
            raise ValueError(f"handling_days must be >= 0: {self.handling_days}")
        if self.order_cutoff.tzinfo is not None:
            raise ValueError("order_cutoff is a local wall-clock time: give it without tzinfo")
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        object.__setattr__(self, "_region", holiday_region(self.country, self.postcode.replace(" ", "").upper()))


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
    local = ordered_at.astimezone(warehouse._zone)
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
    pickup = _pickup_day(
        order_day, order_time < warehouse.order_cutoff, order_time < schedule.pickup_cutoff, warehouse, schedule
    )
    earliest, latest = _delivery_days(
        pickup, min_days, max_days, schedule.delivery_weekdays, destination_country, destination_region
    )
    return pickup, earliest, latest


@lru_cache(maxsize=16_384)
def _pickup_day(
    order_day: date,
    before_order_cutoff: bool,
    before_pickup_cutoff: bool,
    warehouse: Warehouse,
    schedule: CarrierSchedule,
) -> date:
    working = warehouse.working_weekdays
    if working.isdisjoint(schedule.pickup_weekdays):
        raise ValueError("the carrier never picks up on a warehouse working weekday")
    origin, region = warehouse.country, warehouse._region
    if (
        before_order_cutoff
        and order_day.weekday() in working
        and order_day not in public_holidays(origin, order_day.year, region)
    ):
        release = order_day
    else:
        release = _advance(order_day, 1, working, origin, region)
    ready = _advance(release, warehouse.handling_days, working, origin, region)

    # `ready` is a working day; it is also the pickup day if the carrier comes that day in time.
    if ready.weekday() in schedule.pickup_weekdays and (ready != order_day or before_pickup_cutoff):
        return ready
    return _advance(ready, 1, working & schedule.pickup_weekdays, origin, region)


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
    return _advance(day, 1, warehouse.working_weekdays, warehouse.country, warehouse._region)


def is_working_day(warehouse: Warehouse, day: date) -> bool:
    return day.weekday() in warehouse.working_weekdays and day not in public_holidays(
        warehouse.country, day.year, warehouse._region
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
