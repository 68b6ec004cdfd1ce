"""The promise watch's rules (tms/domain/promises.py), each case worked out by hand on the calendar:
March 2026 starts on a Sunday; 1 and 8 May 2026 (Fridays) and 14 May (Ascension, a Thursday) are
French public holidays."""

from __future__ import annotations

from datetime import date

import pytest

from tms.domain.promises import Lane, LastNews, Prediction, combine, predict, verdict
from tms.domain.shipments import PromiseStatus as S
from tms.domain.tracking import EventKind as K

MON_FRI = frozenset(range(5))
MON_SAT = frozenset(range(6))
LANE = Lane(min_days=1, max_days=2, pickup_weekdays=MON_FRI, delivery_weekdays=MON_FRI, country="FR")
NOTHING = LastNews(kind=None, day=None, picked_up_on=None)


def news(kind: K, day: date, picked_up_on: date | None = None) -> LastNews:
    return LastNews(kind=kind, day=day, picked_up_on=picked_up_on)


def test_before_any_event_the_window_runs_from_the_planned_ship_day() -> None:
    # Ships Thursday 5 March; 1-2 business days: Friday 6 or Monday 9 (the weekend is no delivery day).
    got = predict(NOTHING, LANE, ships_on=date(2026, 3, 5), today=date(2026, 3, 4), delivers_at_point=False)
    assert got == Prediction(date(2026, 3, 6), date(2026, 3, 9))


def test_a_pickup_scan_later_than_planned_moves_the_window() -> None:
    # Planned Tuesday 3, scanned Wednesday 4: Thursday 5 .. Friday 6.
    got = predict(
        news(K.IN_TRANSIT, date(2026, 3, 4), picked_up_on=date(2026, 3, 4)),
        LANE,
        ships_on=date(2026, 3, 3),
        today=date(2026, 3, 4),
        delivers_at_point=False,
    )
    assert got == Prediction(date(2026, 3, 5), date(2026, 3, 6))


def test_a_planned_day_gone_by_without_a_scan_waits_for_the_next_pickup_day() -> None:
    # Planned Friday 6, no scan, today Saturday 7: next pickup Monday 9, delivery Tuesday 10 .. Wednesday 11.
    got = predict(NOTHING, LANE, ships_on=date(2026, 3, 6), today=date(2026, 3, 7), delivers_at_point=False)
    assert got == Prediction(date(2026, 3, 10), date(2026, 3, 11))


def test_holidays_of_the_destination_are_no_delivery_days() -> None:
    # Picked up Wednesday 13 May 2026; Thursday 14 is Ascension: Friday 15 .. Monday 18.
    got = predict(
        news(K.PICKED_UP, date(2026, 5, 13), picked_up_on=date(2026, 5, 13)),
        LANE,
        ships_on=date(2026, 5, 13),
        today=date(2026, 5, 13),
        delivers_at_point=False,
    )
    assert got == Prediction(date(2026, 5, 15), date(2026, 5, 18))


def test_a_window_is_never_in_the_past() -> None:
    # Picked up Monday 2, nothing since, today Thursday 5: the card said Tuesday 3 .. Wednesday 4,
    # but it is not delivered, so Thursday 5 at the earliest.
    got = predict(
        news(K.IN_TRANSIT, date(2026, 3, 2), picked_up_on=date(2026, 3, 2)),
        LANE,
        ships_on=date(2026, 3, 2),
        today=date(2026, 3, 5),
        delivers_at_point=False,
    )
    assert got == Prediction(date(2026, 3, 5), date(2026, 3, 5))


def test_out_for_delivery_today_means_today_and_yesterday_means_the_next_delivery_day() -> None:
    today = date(2026, 3, 6)  # a Friday
    assert predict(
        news(K.OUT_FOR_DELIVERY, today), LANE, ships_on=date(2026, 3, 4), today=today, delivers_at_point=False
    ) == Prediction(today, today)
    saturday = date(2026, 3, 7)
    got = predict(
        news(K.OUT_FOR_DELIVERY, today), LANE, ships_on=date(2026, 3, 4), today=saturday, delivers_at_point=False
    )
    assert got == Prediction(date(2026, 3, 9), date(2026, 3, 9))
    six_days = Lane(1, 2, MON_FRI, MON_SAT, "FR")
    got = predict(
        news(K.OUT_FOR_DELIVERY, today), six_days, ships_on=date(2026, 3, 4), today=saturday, delivers_at_point=False
    )
    assert got == Prediction(saturday, saturday)


def test_a_failed_attempt_is_tried_again_the_next_delivery_day_and_an_exception_starts_the_transit_again() -> None:
    friday = date(2026, 3, 6)
    assert predict(
        news(K.DELIVERY_FAILED, friday), LANE, ships_on=date(2026, 3, 4), today=friday, delivers_at_point=False
    ) == Prediction(date(2026, 3, 9), date(2026, 3, 9))
    # An exception on Wednesday 4: from it, 1 .. 2 days again: Thursday 5 .. Friday 6.
    assert predict(
        news(K.EXCEPTION, date(2026, 3, 4), picked_up_on=date(2026, 3, 3)),
        LANE,
        ships_on=date(2026, 3, 3),
        today=date(2026, 3, 4),
        delivers_at_point=False,
    ) == Prediction(date(2026, 3, 5), date(2026, 3, 6))


def test_delivered_is_the_day_it_happened_and_at_a_point_arriving_there_is_the_delivery() -> None:
    day = date(2026, 3, 5)
    home = predict(
        news(K.DELIVERED, day), LANE, ships_on=date(2026, 3, 3), today=date(2026, 3, 9), delivers_at_point=False
    )
    assert home == Prediction(day, day, delivered_on=day)
    waiting = news(K.AVAILABLE_FOR_PICKUP, day)
    at_point = predict(waiting, LANE, ships_on=date(2026, 3, 3), today=date(2026, 3, 9), delivers_at_point=True)
    assert at_point.delivered_on == day
    # At home, "available at a point" (the carrier left it there after a failed attempt) is no delivery.
    assert predict(waiting, LANE, ships_on=date(2026, 3, 3), today=day, delivers_at_point=False).delivered_on is None


def test_returned_is_never_delivered() -> None:
    got = predict(
        news(K.RETURNED, date(2026, 3, 9)),
        LANE,
        ships_on=date(2026, 3, 3),
        today=date(2026, 3, 9),
        delivers_at_point=False,
    )
    assert got == Prediction(None, None)
    assert verdict(got, date(2026, 3, 20), date(2026, 3, 9)) is S.LATE


@pytest.mark.parametrize(
    ("earliest", "latest", "promised", "today", "expected"),
    [
        (date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 6), date(2026, 3, 4), S.ON_TRACK),  # latest keeps it
        (date(2026, 3, 5), date(2026, 3, 9), date(2026, 3, 6), date(2026, 3, 4), S.AT_RISK),  # only the fastest does
        (date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 6), date(2026, 3, 4), S.LATE),  # not even the fastest
        (date(2026, 3, 9), date(2026, 3, 9), date(2026, 3, 6), date(2026, 3, 7), S.LATE),  # the day went by
        (date(2026, 3, 9), date(2026, 3, 9), None, date(2026, 3, 4), S.ON_TRACK),  # no date was shown
    ],
)
def test_the_verdict_against_the_date_shown(
    earliest: date, latest: date, promised: date | None, today: date, expected: S
) -> None:
    assert verdict(Prediction(earliest, latest), promised, today) is expected


def test_a_delivered_shipment_is_judged_on_its_delivery_day() -> None:
    day = date(2026, 3, 6)
    assert verdict(Prediction(day, day, day), date(2026, 3, 6), date(2026, 3, 9)) is S.DELIVERED_ON_TIME
    assert verdict(Prediction(day, day, day), date(2026, 3, 5), date(2026, 3, 9)) is S.DELIVERED_LATE


def test_a_shipment_arrives_with_its_last_parcel() -> None:
    a, b = date(2026, 3, 5), date(2026, 3, 6)
    assert combine([Prediction(a, a, a), Prediction(a, b)]) == Prediction(a, b, None)
    assert combine([Prediction(a, a, a), Prediction(b, b, b)]) == Prediction(b, b, b)
    assert combine([Prediction(a, b), Prediction(None, None)]) == Prediction(None, None)


def test_where_the_lane_has_learned_figures_its_observed_p90_is_the_slowest_day() -> None:
    from dataclasses import replace

    from tms.domain.lane_stats import Distribution, LaneFigures

    # 50 % within 2 days, 80 % within 3, 95 % within 4: p90 is 4 days, the card says 1-2.
    slow = LaneFigures(("colissimo", "HOME", "FR"), Distribution((0.0, 0.0, 0.5, 0.8, 0.95, 1.0), deliveries=40))
    picked = news(K.PICKED_UP, date(2026, 3, 2), picked_up_on=date(2026, 3, 2))  # a Monday
    card = predict(picked, LANE, ships_on=date(2026, 3, 2), today=date(2026, 3, 2), delivers_at_point=False)
    learned = predict(
        picked, replace(LANE, figures=slow), ships_on=date(2026, 3, 2), today=date(2026, 3, 2), delivers_at_point=False
    )
    assert card == Prediction(date(2026, 3, 3), date(2026, 3, 4))
    assert learned == Prediction(date(2026, 3, 3), date(2026, 3, 6))  # 4 business days: Friday


def test_a_parcel_on_its_way_longer_than_most_is_dated_by_the_lanes_slower_parcels() -> None:
    """Within 1 day 50 %, 2 days 80 %, 3 days 95 %, 4 days all: p90 3 days. Picked up Monday 2 March and
    still not delivered on Thursday 5 (Monday to Wednesday: 2 business days gone), the parcels that took
    more than 2 days took 3 (0.15 of 0.20: 75 %) or 4 (100 %): p90 4 days, Friday 6. From the pickup
    alone, Thursday: the window would claim the parcel comes today at the latest."""
    from dataclasses import replace

    from tms.domain.lane_stats import Distribution, LaneFigures

    figures = LaneFigures(("colissimo", "HOME", "FR"), Distribution((0.0, 0.5, 0.8, 0.95, 1.0), deliveries=100))
    lane = replace(LANE, figures=figures)
    picked = news(K.IN_TRANSIT, date(2026, 3, 3), picked_up_on=date(2026, 3, 2))
    on_the_way = predict(picked, lane, ships_on=date(2026, 3, 2), today=date(2026, 3, 5), delivers_at_point=False)
    assert on_the_way == Prediction(date(2026, 3, 5), date(2026, 3, 6))
    assert verdict(on_the_way, date(2026, 3, 5), date(2026, 3, 5)) is S.AT_RISK
    # The next morning (Tuesday 3, 0 days gone), the lane's own p90: Thursday 5.
    fresh = predict(picked, lane, ships_on=date(2026, 3, 2), today=date(2026, 3, 3), delivers_at_point=False)
    assert fresh == Prediction(date(2026, 3, 3), date(2026, 3, 5))


def test_the_share_of_slower_parcels_is_counted_from_the_distribution() -> None:
    from tms.domain.lane_stats import Distribution

    lane = Distribution((0.0, 0.5, 0.8, 0.95, 1.0), deliveries=100)  # 1 day 50 %, 2: 30 %, 3: 15 %, 4: 5 %
    assert [lane.quantile_after(0.9, gone) for gone in (0, 1, 2, 3, 4)] == [3, 3, 4, 4, None]
    assert lane.quantile_after(0.5, 1) == 2  # of the 50 % left after 1 day, 30 % come on day 2: 60 %
