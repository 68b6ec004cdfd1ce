"""Delivery times learned per lane, against small cases worked out by hand.

Dates are of 2026 (1 Jan 2026 is a Thursday; Easter Monday is 6 April, Good Friday 3 April is a
holiday in Alsace-Moselle only). The figures are counted from the rules of tms/domain/lane_stats.py:
a parcel's weight halves every half-life of age since its delivery, a lane needs `min_deliveries`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tms.domain.delivery import business_days_between
from tms.domain.lane_stats import DeliveredParcel, Distribution, LaneFigures, learn_lanes, planning_transit

MON_FRI = frozenset(range(5))
MON_SAT = frozenset(range(6))
LANE = ("colissimo", "HOME", "FR")
TODAY = date(2026, 3, 16)  # a Monday


def parcels(count: int, days: int, *, picked_up_on: date = date(2026, 3, 9), delivered_on: date = TODAY) -> list:
    return [DeliveredParcel(LANE, picked_up_on, delivered_on, days) for _ in range(count)]


def test_business_days_count_the_carriers_delivery_weekdays_after_the_pickup_day() -> None:
    friday, tuesday = date(2026, 3, 6), date(2026, 3, 10)
    assert business_days_between(friday, tuesday, MON_FRI, "FR") == 2  # Mon 9, Tue 10
    assert business_days_between(friday, tuesday, MON_SAT, "FR") == 3  # Sat 7, Mon 9, Tue 10
    assert business_days_between(friday, friday, MON_FRI, "FR") == 0  # delivered on the pickup day
    assert business_days_between(tuesday, friday, MON_FRI, "FR") == 0  # bad data never counts negative


def test_business_days_skip_the_destinations_public_holidays() -> None:
    thursday, tuesday = date(2026, 4, 2), date(2026, 4, 7)
    assert business_days_between(thursday, tuesday, MON_FRI, "FR") == 2  # Fri 3, Tue 7 (Easter Monday off)
    assert business_days_between(thursday, tuesday, MON_FRI, "FR", "6AE") == 1  # Alsace: Good Friday off too


def test_a_distribution_gives_its_quantiles_and_the_share_delivered_within_a_number_of_days() -> None:
    # 6 parcels in 2 days, 3 in 3 days, 1 in 5 days, all delivered today (weight 1 each)
    (figures,) = learn_lanes(parcels(6, 2) + parcels(3, 3) + parcels(1, 5), TODAY, min_deliveries=10).values()
    overall = figures.overall
    assert overall.cdf == pytest.approx((0.0, 0.0, 0.6, 0.9, 0.9, 1.0))
    assert (overall.p50_days, overall.p90_days, overall.likely_days, overall.deliveries) == (2, 3, 2, 10)
    assert overall.within(1) == 0.0 and overall.within(3) == pytest.approx(0.9, abs=1e-4)
    assert overall.within(4) == pytest.approx(0.9, abs=1e-4)
    assert overall.within(12) == 1.0 and overall.within(-1) == 0.0


def test_recent_deliveries_weigh_more_half_as_much_per_half_life_of_age() -> None:
    # one parcel delivered today in 1 day (weight 1), two delivered 7 days ago in 3 days (0.5 each)
    history = parcels(1, 1) + parcels(2, 3, picked_up_on=date(2026, 3, 4), delivered_on=TODAY - timedelta(days=7))
    (figures,) = learn_lanes(history, TODAY, min_deliveries=3, half_life_days=7).values()
    assert figures.overall.within(1) == pytest.approx(0.5, abs=1e-4)
    assert figures.overall.within(2) == pytest.approx(0.5, abs=1e-4)
    assert figures.deliveries == 3


def test_a_lane_with_fewer_than_min_deliveries_has_no_figures() -> None:
    assert learn_lanes(parcels(29, 2), TODAY, min_deliveries=30) == {}
    assert list(learn_lanes(parcels(30, 2), TODAY, min_deliveries=30)) == [LANE]


def test_deliveries_past_the_horizon_or_after_today_or_beyond_belief_are_left_out() -> None:
    # half-life 10 days: the horizon is 6 half-lives, 60 days
    kept = parcels(2, 1, delivered_on=TODAY - timedelta(days=60), picked_up_on=date(2026, 1, 14))
    too_old = parcels(5, 4, delivered_on=TODAY - timedelta(days=61), picked_up_on=date(2026, 1, 13))
    future = parcels(5, 4, delivered_on=TODAY + timedelta(days=1))
    absurd = parcels(5, 31)
    (figures,) = learn_lanes(kept + too_old + future + absurd, TODAY, min_deliveries=2, half_life_days=10).values()
    assert figures.deliveries == 2 and figures.overall.cdf == (0.0, 1.0)


def test_a_pickup_weekday_with_enough_deliveries_has_its_own_distribution() -> None:
    monday, friday, wednesday = date(2026, 3, 9), date(2026, 3, 13), date(2026, 3, 11)
    history = parcels(30, 1, picked_up_on=monday) + parcels(30, 3, picked_up_on=friday)
    history += parcels(10, 2, picked_up_on=wednesday)  # 10: too few for a cell of its own
    (figures,) = learn_lanes(history, TODAY, min_deliveries=30).values()
    assert sorted(figures.by_weekday) == [0, 4]
    assert figures.for_pickup(date(2026, 3, 2)).p90_days == 1  # another Monday
    assert figures.for_pickup(date(2026, 3, 6)).p50_days == 3  # another Friday
    # a Wednesday takes the lane's: 30 in 1 day, 10 in 2, 30 in 3 of 70
    assert figures.for_pickup(wednesday).within(2) == pytest.approx(40 / 70, abs=1e-4)
    assert figures.for_pickup(wednesday).deliveries == 70


def test_the_plan_dates_with_the_observed_p90_and_the_cards_transit_without_figures() -> None:
    slow = LaneFigures(LANE, Distribution((0.0, 0.2, 0.7, 0.95, 1.0), 40))  # p90: 3 days
    fast = LaneFigures(LANE, Distribution((0.3, 0.95, 1.0), 40))  # p90: 1 day
    pickup = date(2026, 3, 10)
    assert planning_transit(1, 2, None, pickup) == (1, 2)
    assert planning_transit(1, 2, slow, pickup) == (1, 3)
    assert planning_transit(2, 3, fast, pickup) == (1, 1)  # the card's min, never past the max


def test_a_distribution_must_end_with_every_parcel_delivered() -> None:
    with pytest.raises(ValueError):
        Distribution((0.2, 0.5), 10)
    with pytest.raises(ValueError):
        learn_lanes([], TODAY, min_deliveries=0)


def test_a_lane_whose_last_days_of_deliveries_have_shifted_is_figured_from_them_alone() -> None:
    # 60 parcels in 1 day delivered 20 days ago, then 30 in 3 days delivered yesterday: the recent mean
    # (3 days) is far from the decayed one, by many standard errors of a mean of 30
    old = parcels(60, 1, picked_up_on=date(2026, 2, 23), delivered_on=TODAY - timedelta(days=20))
    recent = parcels(30, 3, picked_up_on=date(2026, 3, 10), delivered_on=TODAY - timedelta(days=1))
    (figures,) = learn_lanes(old + recent, TODAY, min_deliveries=30, half_life_days=56, recent_days=5).values()
    assert (figures.overall.p50_days, figures.deliveries, figures.overall.within(1)) == (3, 30, 0.0)
    # without the test, the decayed figures: 60 x 0.5 ** (20 / 56) against 30 x 0.5 ** (1 / 56)
    (decayed,) = learn_lanes(old + recent, TODAY, min_deliveries=30, half_life_days=56, recent_days=None).values()
    old_weight, new_weight = 60 * 0.5 ** (20 / 56), 30 * 0.5 ** (1 / 56)
    assert decayed.overall.within(1) == pytest.approx(old_weight / (old_weight + new_weight), abs=1e-4)
    assert decayed.deliveries == 90


def test_recent_deliveries_like_the_older_ones_are_no_shift() -> None:
    old = parcels(60, 2, picked_up_on=date(2026, 2, 23), delivered_on=TODAY - timedelta(days=20))
    recent = parcels(30, 2, delivered_on=TODAY - timedelta(days=1))
    (figures,) = learn_lanes(old + recent, TODAY, min_deliveries=30, half_life_days=56, recent_days=5).values()
    assert figures.deliveries == 90 and figures.overall.cdf == (0.0, 0.0, 1.0)
    # too few recent deliveries to say (29 < 30): the decayed figures, however far the recent ones are
    recent = parcels(29, 6, delivered_on=TODAY - timedelta(days=1))
    (figures,) = learn_lanes(old + recent, TODAY, min_deliveries=30, half_life_days=56, recent_days=5).values()
    assert figures.deliveries == 89 and figures.overall.p50_days == 2
