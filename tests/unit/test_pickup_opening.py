"""A point's first open day from a delivery day, against a day-by-day walk of its week and closures."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tms.domain.pickup_points import LOOKAHEAD_DAYS, PickupPoint, PointKind

DAY = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
HOURS = st.lists(st.sampled_from([(), ((540, 1140),), ((0, 1440),)]), min_size=7, max_size=7).map(tuple)
CLOSURES = st.lists(
    st.tuples(DAY, st.integers(0, 20)).map(lambda c: (c[0], c[0] + timedelta(days=c[1]))), max_size=2
).map(lambda periods: tuple(sorted(periods)))


def walk(
    hours: tuple[tuple[tuple[int, int], ...], ...], closures: tuple[tuple[date, date], ...], day: date
) -> date | None:
    for offset in range(LOOKAHEAD_DAYS):
        current = day + timedelta(days=offset)
        closed = any(first <= current <= last for first, last in closures)
        if hours[current.weekday()] and not closed:
            return current
    return None


@given(hours=HOURS, closures=CLOSURES, day=DAY)
def test_the_first_open_day_is_the_first_day_of_the_walk_open_and_not_closed(hours, closures, day) -> None:
    point = PickupPoint("P", "P", "1 rue", "69003", "Lyon", "FR", 45.7, 4.8, PointKind.RELAY, hours, closures)
    assert point.open_day_from(day) == walk(hours, closures, day)
