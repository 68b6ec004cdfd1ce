"""The delivery-date calendar.

Expected dates are worked out by hand from the 2026 calendar (1 Jan 2026 is a
Thursday) and the public holidays of each country; the week in question is in
each test's comment. Unless a test says otherwise: a Paris warehouse (FR,
order cut-off 15:00, Mon-Fri, no handling time) and a carrier picking up
Mon-Fri until 17:00 and delivering Mon-Fri, with 1-2 days of transit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tms.domain.delivery import (
    HOLIDAY_REGIONS,
    CarrierSchedule,
    DeliveryWindow,
    Warehouse,
    delivery_window,
    holiday_region,
    is_feasible,
    is_working_day,
    next_working_day,
    public_holidays,
)

PARIS = ZoneInfo("Europe/Paris")
MON_FRI = frozenset({0, 1, 2, 3, 4})
MON_SAT = frozenset({0, 1, 2, 3, 4, 5})

WAREHOUSE = Warehouse("PAR")
CARRIER = CarrierSchedule(pickup_cutoff=time(17, 0), pickup_weekdays=MON_FRI, delivery_weekdays=MON_FRI)


def paris(year: int, month: int, day: int, hour: int, minute: int = 0, microsecond: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, 0, microsecond, tzinfo=PARIS)


def window(
    ordered_at: datetime,
    *,
    warehouse: Warehouse = WAREHOUSE,
    schedule: CarrierSchedule = CARRIER,
    min_days: int = 1,
    max_days: int = 2,
    to: str = "FR",
) -> tuple[date, date, date]:
    w = delivery_window(ordered_at, warehouse, schedule, min_days, max_days, to)
    return (w.ships_on, w.earliest, w.latest)


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


# --- warehouse and carrier cut-offs ------------------------------------------------------------
# Week of Mon 2 March 2026: Wed 4, Thu 5, Fri 6, Mon 9. No holidays.


@pytest.mark.parametrize(
    ("hour", "minute", "microsecond", "expected"),
    [
        (14, 59, 0, (d(3, 4), d(3, 5), d(3, 6))),  # released and picked up Wed
        (14, 59, 999_999, (d(3, 4), d(3, 5), d(3, 6))),
        (15, 0, 0, (d(3, 5), d(3, 6), d(3, 9))),  # at the cut-off: released Thu; Fri, then Mon
        (15, 1, 0, (d(3, 5), d(3, 6), d(3, 9))),
    ],
)
def test_an_order_ships_the_same_day_only_if_placed_strictly_before_the_warehouse_cutoff(
    hour: int, minute: int, microsecond: int, expected: tuple[date, date, date]
) -> None:
    assert window(paris(2026, 3, 4, hour, minute, microsecond)) == expected


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (15, 59, (d(3, 4), d(3, 5), d(3, 6))),  # released Wed, carrier still to come: ships Wed
        (16, 0, (d(3, 5), d(3, 6), d(3, 9))),  # released Wed but the truck has left: ships Thu
        (16, 1, (d(3, 5), d(3, 6), d(3, 9))),
    ],
)
def test_a_parcel_ready_on_the_order_day_is_picked_up_that_day_only_before_the_carrier_cutoff(
    hour: int, minute: int, expected: tuple[date, date, date]
) -> None:
    late_warehouse = Warehouse("LATE", order_cutoff=time(18, 0), planning_runs=(time(2, 30), time(15, 59, 30)))
    schedule = CarrierSchedule(time(16, 0), MON_FRI, MON_FRI)
    assert window(paris(2026, 3, 4, hour, minute), warehouse=late_warehouse, schedule=schedule) == expected


def test_the_carrier_cutoff_does_not_apply_to_a_parcel_ready_on_a_later_day() -> None:
    # Wed 4 March 17:30, released Wed (cut-off 18:00), one handling day: ready Thu 5, picked up Thu 5
    # although 17:30 is past the carrier's 16:00; delivered Fri 6 to Mon 9.
    warehouse = Warehouse("LATE", order_cutoff=time(18, 0), handling_days=1)
    schedule = CarrierSchedule(time(16, 0), MON_FRI, MON_FRI)
    assert window(paris(2026, 3, 4, 17, 30), warehouse=warehouse, schedule=schedule) == (
        d(3, 5),
        d(3, 6),
        d(3, 9),
    )


def test_a_friday_evening_order_is_picked_up_on_monday() -> None:
    # Fri 6 March 19:00: released Mon 9, picked up Mon 9, delivered Tue 10 to Wed 11.
    assert window(paris(2026, 3, 6, 19, 0)) == (d(3, 9), d(3, 10), d(3, 11))


def test_a_weekend_order_is_picked_up_on_monday_even_before_the_cutoff_time() -> None:
    # Sun 8 March 10:00 is not a working day: released and picked up Mon 9.
    assert window(paris(2026, 3, 8, 10, 0)) == (d(3, 9), d(3, 10), d(3, 11))


# --- weekdays ------------------------------------------------------------------------------------


def test_a_saturday_pickup_serves_a_warehouse_working_on_saturdays() -> None:
    # Fri 6 March 19:00: released Sat 7 by a Mon-Sat warehouse, picked up Sat 7 by a Mon-Sat carrier,
    # delivered Mon-Fri: Mon 9 to Tue 10.
    warehouse = Warehouse("SAT", working_weekdays=MON_SAT)
    schedule = CarrierSchedule(time(17, 0), MON_SAT, MON_FRI)
    assert window(paris(2026, 3, 6, 19, 0), warehouse=warehouse, schedule=schedule) == (
        d(3, 7),
        d(3, 9),
        d(3, 10),
    )


def test_a_saturday_pickup_is_useless_when_the_warehouse_is_closed_on_saturday() -> None:
    # Fri 6 March 19:00, Mon-Fri warehouse: nothing leaves before Mon 9 whatever the carrier offers.
    schedule = CarrierSchedule(time(17, 0), MON_SAT, MON_FRI)
    assert window(paris(2026, 3, 6, 19, 0), schedule=schedule) == (d(3, 9), d(3, 10), d(3, 11))


def test_a_parcel_ready_on_saturday_waits_for_a_monday_to_friday_carrier() -> None:
    # Sat 7 March 10:00: the Mon-Sat warehouse releases it Sat 7, the carrier comes Mon 9.
    warehouse = Warehouse("SAT", working_weekdays=MON_SAT)
    assert window(paris(2026, 3, 7, 10, 0), warehouse=warehouse) == (d(3, 9), d(3, 10), d(3, 11))


@pytest.mark.parametrize(
    ("delivery_weekdays", "expected"),
    [
        # Picked up Thu 5 March, 2-3 days: Fri 6 (1), Mon 9 (2), Tue 10 (3).
        (MON_FRI, (d(3, 5), d(3, 9), d(3, 10))),
        # Saturdays count: Fri 6 (1), Sat 7 (2), Mon 9 (3).
        (MON_SAT, (d(3, 5), d(3, 7), d(3, 9))),
    ],
)
def test_saturday_deliveries_shorten_a_transit_over_the_weekend(
    delivery_weekdays: frozenset[int], expected: tuple[date, date, date]
) -> None:
    schedule = CarrierSchedule(time(17, 0), MON_FRI, delivery_weekdays)
    assert window(paris(2026, 3, 5, 10, 0), schedule=schedule, min_days=2, max_days=3) == expected


# --- handling time ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordered_on", "handling_days", "expected"),
    [
        # Fri 6 March 10:00, released Fri; 1 working day later is Mon 9: delivered Tue 10 to Wed 11.
        (6, 1, (d(3, 9), d(3, 10), d(3, 11))),
        # Thu 5 March, released Thu; Fri 6 (1), Mon 9 (2): picked up Mon 9.
        (5, 2, (d(3, 9), d(3, 10), d(3, 11))),
        # Fri 6 March, released Fri; Mon 9 (1), Tue 10 (2): picked up Tue 10, delivered Wed 11 to Thu 12.
        (6, 2, (d(3, 10), d(3, 11), d(3, 12))),
    ],
)
def test_handling_days_are_working_days_and_skip_the_weekend(
    ordered_on: int, handling_days: int, expected: tuple[date, date, date]
) -> None:
    warehouse = Warehouse("SLOW", handling_days=handling_days)
    assert window(paris(2026, 3, ordered_on, 10, 0), warehouse=warehouse) == expected


# --- public holidays -------------------------------------------------------------------------------


def test_an_order_on_the_evening_of_13_july_waits_for_the_day_after_bastille_day() -> None:
    # Mon 13 July 2026 19:00, past the cut-off; Tue 14 July is a holiday: released and picked up Wed 15,
    # delivered Thu 16 to Fri 17.
    assert window(paris(2026, 7, 13, 19, 0)) == (d(7, 15), d(7, 16), d(7, 17))


def test_an_order_placed_on_a_public_holiday_is_released_the_next_working_day() -> None:
    # Tue 14 July 2026 10:00, before the cut-off but a holiday: Wed 15.
    assert window(paris(2026, 7, 14, 10, 0)) == (d(7, 15), d(7, 16), d(7, 17))


def test_labour_day_on_a_friday_pushes_shipping_to_monday() -> None:
    # Thu 30 April 2026 16:00: Fri 1 May is a holiday, so released Mon 4 May; delivered Tue 5 to Wed 6.
    assert window(paris(2026, 4, 30, 16, 0)) == (d(5, 4), d(5, 5), d(5, 6))


def test_labour_day_is_not_a_transit_day() -> None:
    # Picked up Thu 30 April; Fri 1 May holiday, weekend: Mon 4 (1), Tue 5 (2).
    assert window(paris(2026, 4, 30, 10, 0)) == (d(4, 30), d(5, 4), d(5, 5))


def test_ascension_thursday_is_neither_a_shipping_nor_a_transit_day() -> None:
    # Picked up Wed 13 May; Thu 14 May (Ascension) skipped: Fri 15 (1), Mon 18 (2).
    assert window(paris(2026, 5, 13, 10, 0)) == (d(5, 13), d(5, 15), d(5, 18))
    # Wed 13 May 16:00: next working day is Fri 15; delivered Mon 18 to Tue 19.
    assert window(paris(2026, 5, 13, 16, 0)) == (d(5, 15), d(5, 18), d(5, 19))


def test_christmas_day_on_a_friday_delays_shipping_and_transit() -> None:
    # Thu 24 Dec 2026 16:00: Fri 25 holiday, weekend: released Mon 28, delivered Tue 29 to Wed 30.
    assert window(paris(2026, 12, 24, 16, 0)) == (d(12, 28), d(12, 29), d(12, 30))
    # Picked up Wed 23 Dec: Thu 24 (1), Fri 25 holiday, weekend, Mon 28 (2).
    assert window(paris(2026, 12, 23, 10, 0)) == (d(12, 23), d(12, 24), d(12, 28))


def test_new_year_across_the_year_boundary() -> None:
    # Thu 31 Dec 2026 16:00: Fri 1 Jan 2027 holiday, weekend: released Mon 4 Jan 2027, delivered Tue 5
    # to Wed 6.
    assert window(paris(2026, 12, 31, 16, 0)) == (d(1, 4, 2027), d(1, 5, 2027), d(1, 6, 2027))


def test_origin_holidays_are_those_of_the_warehouse_country() -> None:
    # A Berlin warehouse, Thu 2 April 2026 16:00: Fri 3 (Good Friday) and Mon 6 (Easter Monday) are
    # German holidays: released Tue 7, delivered in France Wed 8 to Thu 9.
    berlin = Warehouse("BER", country="DE", timezone="Europe/Berlin")
    assert window(paris(2026, 4, 2, 16, 0), warehouse=berlin) == (d(4, 7), d(4, 8), d(4, 9))
    # In Paris Good Friday is a working day: released Fri 3; Mon 6 (Easter Monday) is a French
    # holiday too: delivered Tue 7 to Wed 8.
    assert window(paris(2026, 4, 2, 16, 0)) == (d(4, 3), d(4, 7), d(4, 8))


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        # Picked up Mon 20 July 2026; Tue 21 is Belgian National Day: Wed 22 (1), Thu 23 (2).
        ("BE", (d(7, 20), d(7, 22), d(7, 23))),
        ("FR", (d(7, 20), d(7, 21), d(7, 22))),
    ],
)
def test_transit_skips_the_public_holidays_of_the_destination_country(
    to: str, expected: tuple[date, date, date]
) -> None:
    assert window(paris(2026, 7, 20, 10, 0), to=to) == expected


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        # Picked up Fri 10 July 2026; Mon 13 (1); 14 July is a French holiday only: Wed 15 in France.
        ("FR", (d(7, 10), d(7, 13), d(7, 15))),
        ("BE", (d(7, 10), d(7, 13), d(7, 14))),
    ],
)
def test_a_french_holiday_does_not_stop_deliveries_abroad(to: str, expected: tuple[date, date, date]) -> None:
    assert window(paris(2026, 7, 10, 10, 0), to=to) == expected


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        # Mon-Sat deliveries, picked up Thu 1 Oct 2026: Fri 2 (1), Sat 3 (2) ... but Sat 3 October is
        # German Unity Day: Mon 5 (2) in Germany.
        ("DE", (d(10, 1), d(10, 2), d(10, 5))),
        ("FR", (d(10, 1), d(10, 2), d(10, 3))),
    ],
)
def test_german_unity_day_stops_saturday_deliveries_in_germany(to: str, expected: tuple[date, date, date]) -> None:
    schedule = CarrierSchedule(time(17, 0), MON_FRI, MON_SAT)
    assert window(paris(2026, 10, 1, 10, 0), schedule=schedule, to=to) == expected


# --- time zones --------------------------------------------------------------------------------------


def test_an_order_placed_in_utc_counts_on_the_paris_calendar_day() -> None:
    # Thu 4 June 2026 22:30 UTC is Fri 5 June 00:30 in Paris (CEST, UTC+2). With late-night cut-offs
    # (23:00 warehouse, 23:30 carrier), reading the UTC date would ship Thu 4; on the Paris calendar
    # the order is released and picked up Fri 5, delivered Mon 8 to Tue 9.
    warehouse = Warehouse("NIGHT", order_cutoff=time(23, 0))
    schedule = CarrierSchedule(time(23, 30), MON_FRI, MON_FRI)
    ordered_at = datetime(2026, 6, 4, 22, 30, tzinfo=UTC)
    assert window(ordered_at, warehouse=warehouse, schedule=schedule) == (d(6, 5), d(6, 8), d(6, 9))


def test_an_order_placed_in_utc_is_compared_with_the_cutoff_in_paris_time() -> None:
    # Wed 4 March 2026 14:30 UTC is 15:30 in Paris (CET, UTC+1): past the cut-off, ships Thu 5.
    assert window(datetime(2026, 3, 4, 14, 30, tzinfo=UTC)) == (d(3, 5), d(3, 6), d(3, 9))


@pytest.mark.parametrize(
    ("ordered_at", "expected"),
    [
        # Fri 27 March 2026 13:30 UTC = 14:30 CET: ships Fri 27; Mon 30, Tue 31 after the DST weekend.
        (datetime(2026, 3, 27, 13, 30, tzinfo=UTC), (d(3, 27), d(3, 30), d(3, 31))),
        # Mon 30 March 13:30 UTC = 15:30 CEST (clocks went forward on Sun 29): past the cut-off,
        # ships Tue 31, delivered Wed 1 to Thu 2 April.
        (datetime(2026, 3, 30, 13, 30, tzinfo=UTC), (d(3, 31), d(4, 1), d(4, 2))),
        # Fri 23 Oct 2026 12:30 UTC = 14:30 CEST: ships Fri 23; Mon 26, Tue 27 after the DST weekend.
        (datetime(2026, 10, 23, 12, 30, tzinfo=UTC), (d(10, 23), d(10, 26), d(10, 27))),
        # Fri 23 Oct 13:30 UTC = 15:30 CEST: past the cut-off, ships Mon 26.
        (datetime(2026, 10, 23, 13, 30, tzinfo=UTC), (d(10, 26), d(10, 27), d(10, 28))),
        # Mon 26 Oct 13:30 UTC = 14:30 CET (clocks went back on Sun 25): before the cut-off, ships Mon 26.
        (datetime(2026, 10, 26, 13, 30, tzinfo=UTC), (d(10, 26), d(10, 27), d(10, 28))),
    ],
)
def test_the_cutoff_follows_the_paris_offset_on_each_side_of_a_dst_change(
    ordered_at: datetime, expected: tuple[date, date, date]
) -> None:
    assert window(ordered_at) == expected


def test_the_carrier_cutoff_follows_the_paris_offset_after_clocks_go_back() -> None:
    # Mon 26 Oct 2026 15:30 UTC = 16:30 CET, before the 17:00 pickup (it would be 17:30 in CEST):
    # released and picked up Mon 26.
    late_warehouse = Warehouse("LATE", order_cutoff=time(18, 0), planning_runs=(time(16, 45),))
    assert window(datetime(2026, 10, 26, 15, 30, tzinfo=UTC), warehouse=late_warehouse) == (
        d(10, 26),
        d(10, 27),
        d(10, 28),
    )


# --- transit edges -----------------------------------------------------------------------------------


def test_zero_transit_days_means_delivery_on_the_pickup_day() -> None:
    # Picked up Wed 4 March: same day, or Thu 5 at the latest.
    assert window(paris(2026, 3, 4, 10, 0), min_days=0, max_days=1) == (d(3, 4), d(3, 4), d(3, 5))
    assert window(paris(2026, 3, 4, 10, 0), min_days=0, max_days=0) == (d(3, 4), d(3, 4), d(3, 4))
    # Fri 6 March evening: picked up and delivered Mon 9.
    assert window(paris(2026, 3, 6, 19, 0), min_days=0, max_days=0) == (d(3, 9), d(3, 9), d(3, 9))


# --- feasibility ---------------------------------------------------------------------------------------

WINDOW = DeliveryWindow(ships_on=d(3, 4), earliest=d(3, 5), latest=d(3, 6))


@pytest.mark.parametrize(
    ("deliver_by", "deliver_after", "feasible"),
    [
        (None, None, True),
        (d(3, 6), None, True),  # latest on the deadline
        (d(3, 5), None, False),  # latest one day past it
        (None, d(3, 5), True),  # earliest on the appointment start
        (None, d(3, 6), False),  # could arrive before the appointment
        (d(3, 6), d(3, 5), True),
        (d(3, 9), d(3, 2), True),
        (d(3, 5), d(3, 5), False),
    ],
)
def test_an_option_is_feasible_only_if_its_whole_window_fits_the_promise(
    deliver_by: date | None, deliver_after: date | None, feasible: bool
) -> None:
    assert is_feasible(WINDOW, deliver_by, deliver_after) is feasible


# --- rejected input --------------------------------------------------------------------------------------


def test_a_naive_order_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        delivery_window(datetime(2026, 3, 4, 10, 0), WAREHOUSE, CARRIER, 1, 2, "FR")


@pytest.mark.parametrize(("min_days", "max_days"), [(-1, 2), (3, 2)])
def test_impossible_transit_days_are_rejected(min_days: int, max_days: int) -> None:
    with pytest.raises(ValueError, match="transit days"):
        delivery_window(paris(2026, 3, 4, 10), WAREHOUSE, CARRIER, min_days, max_days, "FR")


def test_a_carrier_that_never_comes_on_a_working_day_is_rejected() -> None:
    weekend_carrier = CarrierSchedule(time(17, 0), frozenset({5, 6}), MON_FRI)
    with pytest.raises(ValueError, match="never picks up"):
        delivery_window(paris(2026, 3, 4, 10), WAREHOUSE, weekend_carrier, 1, 2, "FR")


def test_empty_or_invalid_weekday_sets_and_negative_handling_are_rejected() -> None:
    with pytest.raises(ValueError, match="working_weekdays"):
        Warehouse("X", working_weekdays=frozenset())
    with pytest.raises(ValueError, match="pickup_weekdays"):
        CarrierSchedule(time(17, 0), frozenset({7}), MON_FRI)
    with pytest.raises(ValueError, match="delivery_weekdays"):
        CarrierSchedule(time(17, 0), MON_FRI, frozenset())
    with pytest.raises(ValueError, match="handling_days"):
        Warehouse("X", handling_days=-1)


def test_an_unknown_destination_country_is_rejected() -> None:
    with pytest.raises(ValueError, match="no public holiday calendar"):
        delivery_window(paris(2026, 3, 4, 10), WAREHOUSE, CARRIER, 1, 2, "XX")


# --- public holidays -------------------------------------------------------------------------------------


def test_public_holidays_are_the_countrys_calendar_for_the_year_and_are_cached() -> None:
    french = public_holidays("FR", 2026)
    assert {d(5, 1), d(5, 14), d(7, 14), d(12, 25)} <= french
    assert d(7, 21) not in french and d(7, 21) in public_holidays("BE", 2026)
    assert d(10, 3) in public_holidays("DE", 2026)
    assert all(day.year == 2026 for day in french)
    assert public_holidays("FR", 2026) is french


def test_alsace_moselle_and_the_overseas_departments_keep_their_own_holidays() -> None:
    assert holiday_region("FR", "67000") == holiday_region("FR", "68100") == "6AE"
    assert holiday_region("FR", "57000") == "57" and holiday_region("FR", "97400") == "974"
    assert holiday_region("FR", "75001") is None and holiday_region("FR", "97000") is None
    assert holiday_region("DE", "67000") is None
    # Good Friday 2026 (3 April) is a public holiday in Alsace and Moselle only: a parcel picked up on
    # Thursday for one business day arrives on Friday in Paris, on Monday in Strasbourg.
    thursday = paris(2026, 4, 2, 10)
    assert delivery_window(thursday, WAREHOUSE, CARRIER, 1, 1, "FR").latest == d(4, 3)
    strasbourg = delivery_window(thursday, WAREHOUSE, CARRIER, 1, 1, "FR", holiday_region("FR", "67000"))
    assert strasbourg.latest == d(4, 7)  # Easter Monday is a holiday everywhere in France
    # 20 December is the abolition of slavery in Reunion, a Sunday in 2026; 21 December is a business day.
    assert d(12, 20) in public_holidays("FR", 2026, "974") and d(12, 20) not in public_holidays("FR", 2026)
    # St Stephen's Day, 26 December, a Friday in 2025: picked up on Wednesday 24, one business day later
    # (Christmas in between) is Friday 26 in Paris and Monday 29 in Metz.
    wednesday = datetime(2025, 12, 24, 10, tzinfo=PARIS)
    assert delivery_window(wednesday, WAREHOUSE, CARRIER, 1, 1, "FR").latest == date(2025, 12, 26)
    assert delivery_window(wednesday, WAREHOUSE, CARRIER, 1, 1, "FR", "57").latest == date(2025, 12, 29)


def test_windows_are_hashable_values_so_callers_may_memoise_them() -> None:
    first = delivery_window(paris(2026, 3, 4, 10), WAREHOUSE, CARRIER, 1, 2, "FR")
    second = delivery_window(paris(2026, 3, 4, 10), Warehouse("PAR"), CARRIER, 1, 2, "FR")
    assert first == second and hash(first) == hash(second)
    assert hash(WAREHOUSE) == hash(Warehouse("PAR"))


# --- property: the same answer as an obvious day-by-day walk ------------------------------------------------

COUNTRIES = ("FR", "BE", "DE", "ES", "IT", "NL", "LU", "GB", "CH")
WAREHOUSE_PLACES = (("FR", "Europe/Paris"), ("DE", "Europe/Berlin"), ("BE", "Europe/Brussels"))
ORDER_ZONES = tuple(ZoneInfo(key) for key in ("UTC", "Europe/Paris", "America/New_York", "Pacific/Kiritimati"))
# The `holidays` package's own lazily expanding calendars, independent of the module's cache.
CALENDARS = {country: holidays.country_holidays(country) for country in COUNTRIES}
HORIZON_DAYS = 200  # ample: at most 4 handling + 12 transit days, on a single weekday each


def reference_window(
    ordered_at: datetime,
    warehouse: Warehouse,
    schedule: CarrierSchedule,
    min_days: int,
    max_days: int,
    destination: str,
) -> DeliveryWindow:
    """The rules read literally, over a list of every calendar day from the order's local day."""
    local = ordered_at.astimezone(ZoneInfo(warehouse.timezone))
    today, now = local.date(), local.time()
    days = [today + timedelta(days=i) for i in range(HORIZON_DAYS)]
    origin, dest = CALENDARS[warehouse.country], CALENDARS[destination]
    working = [day for day in days if day.weekday() in warehouse.working_weekdays and day not in origin]
    release = next(day for day in working if day > today or now < warehouse.order_cutoff)
    ready = working[working.index(release) + warehouse.handling_days]
    # A planning run at time T on day D puts orders placed before (D, T) on D's pickup, if T is
    # before the carrier's cut-off.
    in_time = [run for run in warehouse.planning_runs if run < schedule.pickup_cutoff]
    ships_on = next(
        day
        for day in working
        if day >= ready
        and day.weekday() in schedule.pickup_weekdays
        and any(day > today or run > now for run in in_time)
    )
    business = [
        day for day in days if day > ships_on and day.weekday() in schedule.delivery_weekdays and day not in dest
    ]
    earliest = business[min_days - 1] if min_days else ships_on
    latest = business[max_days - 1] if max_days else ships_on
    return DeliveryWindow(ships_on, earliest, latest)


weekday_sets = st.frozensets(st.integers(0, 6), min_size=1)
cutoffs = st.one_of(st.sampled_from([time(0, 0), time(12, 0), time(15, 0), time(17, 30), time(23, 59)]), st.times())
any_instant = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59),
    timezones=st.sampled_from(ORDER_ZONES),
)
order_days = st.dates(date(2026, 1, 1), date(2027, 12, 31))


@st.composite
def cases(draw: st.DrawFn) -> tuple[datetime, Warehouse, CarrierSchedule, int, int, str]:
    country, zone = draw(st.sampled_from(WAREHOUSE_PLACES))
    working = draw(weekday_sets)
    warehouse = Warehouse(
        "W",
        country=country,
        timezone=zone,
        order_cutoff=draw(cutoffs),
        handling_days=draw(st.integers(0, 4)),
        working_weekdays=working,
        planning_runs=tuple(draw(st.lists(cutoffs, max_size=3))),
    )
    pickup = draw(weekday_sets) | {draw(st.sampled_from(sorted(working)))}
    schedule = CarrierSchedule(draw(cutoffs), frozenset(pickup), draw(weekday_sets))
    assume(any(run < schedule.pickup_cutoff for run in warehouse.planning_runs))  # else no ship day: tested apart
    # Either any instant in 2026-2027, or one on (or a microsecond off) a cut-off in the warehouse's zone.
    if draw(st.booleans()):
        ordered_at = draw(any_instant)
    else:
        cutoff = draw(st.sampled_from([warehouse.order_cutoff, schedule.pickup_cutoff, *warehouse.planning_runs]))
        on_cutoff = datetime.combine(draw(order_days), cutoff, tzinfo=ZoneInfo(zone))
        ordered_at = on_cutoff + timedelta(microseconds=draw(st.integers(-1, 1)))
    min_days = draw(st.integers(0, 6))
    max_days = min_days + draw(st.integers(0, 6))
    return ordered_at, warehouse, schedule, min_days, max_days, draw(st.sampled_from(COUNTRIES))


@settings(max_examples=500, deadline=None)
@given(cases())
def test_the_window_matches_a_day_by_day_walk_through_the_calendar(
    case: tuple[datetime, Warehouse, CarrierSchedule, int, int, str],
) -> None:
    assert delivery_window(*case) == reference_window(*case)


def test_a_warehouse_in_alsace_does_not_work_on_good_friday() -> None:
    strasbourg = Warehouse("STR", postcode="67 100")
    assert not is_working_day(strasbourg, d(4, 3)) and is_working_day(WAREHOUSE, d(4, 3))
    # Ordered on Thursday 2 April 2026 after the cut-off: Paris prepares it on Friday, Strasbourg on
    # Tuesday (Good Friday, the weekend and Easter Monday in between).
    thursday_evening = paris(2026, 4, 2, 18)
    assert delivery_window(thursday_evening, WAREHOUSE, CARRIER, 1, 1, "FR").ships_on == d(4, 3)
    assert delivery_window(thursday_evening, strasbourg, CARRIER, 1, 1, "FR").ships_on == d(4, 7)
    assert next_working_day(strasbourg, d(4, 2)) == d(4, 7)


def test_every_holiday_region_is_a_calendar_of_the_holidays_package() -> None:
    for country, regions in HOLIDAY_REGIONS.items():
        for region in set(regions.values()):
            assert public_holidays(country, 2026, region) > public_holidays(country, 2026), region
    # Saint-Barthelemy and Saint-Martin share Guadeloupe's prefix, not its calendar.
    assert holiday_region("FR", "97133") == "BL" and holiday_region("FR", "97150") == "MF"
    assert holiday_region("FR", "97100") == "971"
    assert d(10, 9) in public_holidays("FR", 2026, "BL") and d(3, 12) not in public_holidays("FR", 2026, "BL")


def test_the_warehouses_file_gives_each_warehouse_its_postcode(tmp_path) -> None:
    from tms.bootstrap import load_warehouses

    path = tmp_path / "warehouses.toml"
    path.write_text('[[warehouses]]\ncode = "STR1"\npostcode = "67100"\n\n[[warehouses]]\ncode = "PAR1"\n')
    strasbourg, paris_ = (setup.warehouse for setup in load_warehouses(path))
    assert strasbourg.postcode == "67100" and not is_working_day(strasbourg, d(4, 3))
    assert paris_.postcode == "" and is_working_day(paris_, d(4, 3))


# --- planning runs: the shipping-day rule ------------------------------------------------------------


def test_a_warehouse_plans_by_default_in_the_night_and_at_its_order_cutoff() -> None:
    assert Warehouse("PAR").planning_runs == (time(2, 30), time(15, 0))
    assert Warehouse("LYS", order_cutoff=time(13, 0), planning_runs=(time(13, 0), time(2, 30))).planning_runs == (
        time(2, 30),
        time(13, 0),
    )


def test_with_only_a_night_run_an_order_of_the_morning_ships_the_next_day() -> None:
    # Tue 3 March 2026 10:05, before the 15:00 cut-off: the warehouse could prepare it today, but the
    # night run of Tuesday (02:30) has passed; the next run is Wednesday's: ships Wed, delivered Thu-Fri.
    night_only = Warehouse("NIGHT", planning_runs=(time(2, 30),))
    assert window(paris(2026, 3, 3, 10, 5), warehouse=night_only) == (d(3, 4), d(3, 5), d(3, 6))
    # With a run at the cut-off, the same order is planned at 15:00 for the 17:00 pickup: ships Tue.
    assert window(paris(2026, 3, 3, 10, 5)) == (d(3, 3), d(3, 4), d(3, 5))


def test_a_run_at_or_after_the_carrier_cutoff_does_not_plan_that_carriers_pickup() -> None:
    # The 15:00 run is too late for a carrier that leaves at 14:00: ordered Tue 10:05, ships Wed.
    early_truck = CarrierSchedule(time(14, 0), MON_FRI, MON_FRI)
    assert window(paris(2026, 3, 3, 10, 5), schedule=early_truck) == (d(3, 4), d(3, 5), d(3, 6))
    # Before the night run of the same day, the night run plans it for that day.
    assert window(paris(2026, 3, 3, 2, 29), schedule=early_truck)[0] == d(3, 3)
    assert window(paris(2026, 3, 3, 2, 30), schedule=early_truck)[0] == d(3, 4)


def test_a_carrier_that_leaves_before_every_planning_run_can_never_take_the_warehouses_orders() -> None:
    dawn_truck = CarrierSchedule(time(2, 0), MON_FRI, MON_FRI)
    with pytest.raises(ValueError, match="before the carrier's pickup cut-off"):
        window(paris(2026, 3, 3, 10, 5), schedule=dawn_truck)


def test_an_order_not_ready_before_tuesday_never_ships_on_monday() -> None:
    # Sun 1 March 2026 20:40 at a warehouse with one handling day: released Mon, ready Tue.
    slow = Warehouse("SLOW", handling_days=1)
    assert window(paris(2026, 3, 1, 20, 40), warehouse=slow)[0] == d(3, 3)
