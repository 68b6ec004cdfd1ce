"""Delivery times learned per lane, against small cases worked out by hand.

Dates are of 2026 (1 Jan 2026 is a Thursday; Easter Monday is 6 April, Good Friday 3 April is a
holiday in Alsace-Moselle only). The figures are counted from the rules of tms/domain/lane_stats.py:
a parcel's weight halves every half-life of age since its delivery, a lane needs `min_deliveries`.
The product-limit cases are worked from its definition: on day k, the hazard is the weight delivered
after k days over the weight still at risk (delivered after k days or more, or open past k - 1);
the share delivered within k days is 1 - the product of (1 - hazard) over days 0..k.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tms.domain.delivery import business_days_between
from tms.domain.lane_stats import (
    OPEN_MARGIN_DAYS,
    DeliveredParcel,
    Distribution,
    LaneFigures,
    OpenParcel,
    learn_lanes,
    planning_transit,
    product_limit,
)

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
    (figures,) = learn_lanes(history, TODAY, min_deliveries=30, recent_days=None).values()
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
    # 60 parcels in 1 day delivered 20 days ago, then 30 picked up 4 days ago (recent) in 3 days: the
    # decayed figures expect all 30 delivered after 1 day (3 expected deliveries each, summing the
    # hazards 0, 1, then 1 for each day past the figures), 90 against 30: 6.3 standard errors
    old = parcels(60, 1, picked_up_on=date(2026, 2, 23), delivered_on=TODAY - timedelta(days=20))
    recent = parcels(30, 3, picked_up_on=date(2026, 3, 12), delivered_on=TODAY - timedelta(days=1))
    (figures,) = learn_lanes(old + recent, TODAY, min_deliveries=30, half_life_days=56, recent_days=5).values()
    assert (figures.overall.p50_days, figures.deliveries, figures.overall.within(1)) == (3, 30, 0.0)
    # without the test, the decayed figures: 60 x 0.5 ** (20 / 56) against 30 x 0.5 ** (1 / 56)
    (decayed,) = learn_lanes(old + recent, TODAY, min_deliveries=30, half_life_days=56, recent_days=None).values()
    old_weight, new_weight = 60 * 0.5 ** (20 / 56), 30 * 0.5 ** (1 / 56)
    assert decayed.overall.within(1) == pytest.approx(old_weight / (old_weight + new_weight), abs=1e-4)
    assert decayed.deliveries == 90


def test_recent_deliveries_like_the_older_ones_are_no_shift() -> None:
    old = parcels(60, 2, picked_up_on=date(2026, 2, 23), delivered_on=TODAY - timedelta(days=20))
    recent = parcels(30, 2, picked_up_on=date(2026, 3, 12), delivered_on=TODAY - timedelta(days=1))
    (figures,) = learn_lanes(old + recent, TODAY, min_deliveries=30, half_life_days=56, recent_days=5).values()
    assert figures.deliveries == 90 and figures.overall.cdf == (0.0, 0.0, 1.0)
    # too few recent deliveries to say (29 < 30): the decayed figures, however far the recent ones are
    recent = parcels(29, 6, picked_up_on=date(2026, 3, 12), delivered_on=TODAY - timedelta(days=1))
    (figures,) = learn_lanes(old + recent, TODAY, min_deliveries=30, half_life_days=56, recent_days=5).values()
    assert figures.deliveries == 89 and figures.overall.p50_days == 2


def opened(count: int, days: int, *, picked_up_on: date = date(2026, 3, 13)) -> list:
    return [OpenParcel(LANE, picked_up_on, days) for _ in range(count)]


def test_without_open_parcels_the_product_limit_is_the_weighted_histogram() -> None:
    # weights 0.5 after 1 day, 1.5 after 2, 2.0 after 4: of 4.0, within 1 day 0.125, 2: 0.5, 4: 1
    estimate = product_limit({1: 0.5, 2: 1.5, 4: 2.0}, {}, 3)
    assert estimate.cdf == pytest.approx((0.0, 0.125, 0.5, 0.5, 1.0))
    assert estimate.deliveries == 3


def test_open_parcels_stay_at_risk_until_the_days_they_are_known_to_exceed() -> None:
    # delivered: 2 after 1 day, 1 after 3; open: 1 past 1 day, 1 past 2. Day 1: 2 of 5 at risk
    # delivered, 3/5 left. Day 2: 2 at risk (open past 2, delivered after 3), none delivered.
    # Day 3: 1 at risk, delivered: none left. (Ignoring the open ones would say 2/3 within 1 day.)
    estimate = product_limit({1: 2.0, 3: 1.0}, {1: 1.0, 2: 1.0}, 3)
    assert estimate.cdf == pytest.approx((0.0, 0.4, 0.4, 1.0))
    # weighted: the two delivered after 1 day weigh 0.5 each. Day 1: 1.0 of 4.0 at risk, 3/4 left.
    estimate = product_limit({1: 1.0, 3: 1.0}, {1: 1.0, 2: 1.0}, 3)
    assert estimate.cdf == pytest.approx((0.0, 0.25, 0.25, 1.0))


def test_the_share_open_after_the_longest_observation_goes_on_the_next_day() -> None:
    # 1 delivered after 1 day, 1 open past 2: half within 1 day, the other half after 3 (the least)
    assert product_limit({1: 1.0}, {2: 1.0}, 1).cdf == pytest.approx((0.0, 0.5, 0.5, 1.0))
    # all open (3 past 1 day, 1 past 2): nothing delivered within 2 days, all within 3
    all_open = product_limit({}, {1: 3.0, 2: 1.0}, 0)
    assert all_open.cdf == (0.0, 0.0, 0.0, 1.0) and all_open.deliveries == 0
    with pytest.raises(ValueError):
        product_limit({}, {}, 0)


def test_open_parcels_weigh_as_if_delivered_today_and_count_no_delivery() -> None:
    # 2 delivered 7 days ago after 1 day (half-life 7: 0.5 each), 1 open past 1 day (weight 1):
    # day 1: 1.0 delivered of 2.0 at risk
    history = parcels(2, 1, picked_up_on=date(2026, 3, 6), delivered_on=TODAY - timedelta(days=7))
    (figures,) = learn_lanes(history, TODAY, open_parcels=opened(1, 1), min_deliveries=2, half_life_days=7).values()
    assert figures.overall.cdf == pytest.approx((0.0, 0.5, 1.0))
    assert figures.deliveries == 2


def test_an_open_parcel_past_the_lanes_longest_transit_and_the_margin_is_lost_and_left_out() -> None:
    delivered = parcels(30, 2) + parcels(1, 3)  # the longest: 3 days, so open parcels count up to 3 + margin
    limit = 3 + OPEN_MARGIN_DAYS
    (alone,) = learn_lanes(delivered, TODAY, min_deliveries=30).values()
    (lost,) = learn_lanes(delivered, TODAY, open_parcels=opened(1, limit + 1), min_deliveries=30).values()
    assert lost.overall.cdf == alone.overall.cdf == pytest.approx((0.0, 0.0, 30 / 31, 1.0))
    # one open just within: at risk on days 0 to `limit`, then on day limit + 1
    (kept,) = learn_lanes(delivered, TODAY, open_parcels=opened(1, limit), min_deliveries=30).values()
    assert kept.overall.within(2) == pytest.approx(30 / 32, abs=1e-4)
    assert kept.overall.within(3) == pytest.approx(31 / 32, abs=1e-4)
    assert kept.overall.within(limit) == pytest.approx(31 / 32, abs=1e-4) and kept.overall.within(limit + 1) == 1.0
    # open parcels of a lane without deliveries make no figures
    assert learn_lanes([], TODAY, open_parcels=opened(40, 1), min_deliveries=30) == {}


def test_a_slip_is_seen_from_late_open_parcels_before_any_of_them_is_delivered() -> None:
    # 200 parcels delivered after 1 day until last week; this week's pickups: 40 on Thursday 12 and
    # 40 on Friday 13 (recent: fewer than 5 days before Monday 16), none delivered, known to take
    # more than 1 business day (Thursday's: 2). The decayed figures expect each delivered after
    # day 1 (hazard 1): 80 expected deliveries or more, none seen.
    old = parcels(200, 1, picked_up_on=date(2026, 3, 5), delivered_on=date(2026, 3, 6))
    late = opened(40, 2, picked_up_on=date(2026, 3, 12)) + opened(40, 1, picked_up_on=date(2026, 3, 13))
    (figures,) = learn_lanes(old, TODAY, open_parcels=late, min_deliveries=30, recent_days=5).values()
    # figured from the recent parcels alone: all open, none within 2 days, all within 3 (the least)
    assert figures.overall.cdf == (0.0, 0.0, 0.0, 1.0) and figures.deliveries == 0
    # without the open parcels, nothing to see: every parcel delivered after 1 day
    (blind,) = learn_lanes(old, TODAY, min_deliveries=30, recent_days=5).values()
    assert blind.overall.cdf == (0.0, 1.0)
    # and without the shift test, the decayed figures: the 80 open ones at risk on day 1, weight 1
    # each, against 200 x 0.5 ** (10 / 56) delivered after 1 day
    (decayed,) = learn_lanes(old, TODAY, open_parcels=late, min_deliveries=30, recent_days=None).values()
    weight = 200 * 0.5 ** (10 / 56)
    assert decayed.overall.within(1) == pytest.approx(weight / (weight + 80), abs=1e-4)


def test_open_parcels_as_late_as_usual_are_no_shift() -> None:
    # 100 delivered after 1 day and 20 after 2, before this week; this week: 50 picked up Thursday 12
    # delivered after 1 day, 5 still open past 1 day (as usual: 1 in 6 take 2), 50 open past 0
    old = parcels(100, 1, picked_up_on=date(2026, 3, 2), delivered_on=date(2026, 3, 3))
    old += parcels(20, 2, picked_up_on=date(2026, 3, 2), delivered_on=date(2026, 3, 4))
    recent = parcels(50, 1, picked_up_on=date(2026, 3, 12), delivered_on=date(2026, 3, 13))
    still = opened(5, 1, picked_up_on=date(2026, 3, 12)) + opened(50, 0, picked_up_on=date(2026, 3, 13))
    (figures,) = learn_lanes(old + recent, TODAY, open_parcels=still, min_deliveries=30, recent_days=5).values()
    assert figures.deliveries == 170  # the decayed figures


WEEK = [date(2026, 3, 9) + timedelta(days=n) for n in range(5)]  # Monday 9 to Friday 13


def test_weekdays_whose_parcels_go_alike_are_learned_together_and_a_slow_friday_apart() -> None:
    # Monday to Thursday 30 pickups each, 20, 22, 18, 20 delivered after 1 day and the rest after 2;
    # Friday's 30 after 3. Friday against the four others: shares (0, 0, 0, 1) against (2/3, 1/3, 0, 0),
    # far apart. Then, say, Tuesday against Monday, Wednesday, Thursday: 22/30 = 0.733 against 58/90 =
    # 0.644 within 1 day; pooled 2/3 and 1/3, scale 1/30 + 1/90: chi-square 0.80 on 1 degree of
    # freedom, (0.80 - 1) / sqrt(2) standard errors: alike. Monday to Thursday share their 120 parcels.
    early = [(20, 10), (22, 8), (18, 12), (20, 10)]
    history = parcels(30, 3, picked_up_on=WEEK[4])
    for day, (one, two) in zip(WEEK[:4], early, strict=True):
        history += parcels(one, 1, picked_up_on=day) + parcels(two, 2, picked_up_on=day)
    (figures,) = learn_lanes(history, TODAY, min_deliveries=30, recent_days=None).values()
    assert sorted(figures.by_weekday) == [0, 1, 2, 3, 4]
    tuesday = figures.for_pickup(date(2026, 3, 17))
    assert tuesday.within(1) == pytest.approx(80 / 120, abs=1e-4) and tuesday.deliveries == 120
    assert all(figures.for_pickup(day) == tuesday for day in WEEK[:4])
    assert figures.for_pickup(date(2026, 3, 20)).cdf == (0.0, 0.0, 0.0, 1.0)
    assert figures.overall.deliveries == 150


@pytest.mark.parametrize(("per_weekday", "apart"), [(30, False), (300, True)])
def test_a_weekday_stands_apart_only_when_its_parcels_are_enough_to_tell(per_weekday: int, apart: bool) -> None:
    # Monday 60 % delivered after 1 day, Tuesday to Thursday 50 %, the rest after 2. Monday against
    # the 3 n others: pooled 0.525 and 0.475, scale 4 / (3 n): chi-square 0.0075 n (1 / 0.525 +
    # 1 / 0.475) = 0.0301 n on 1 degree of freedom; apart past (1 + 4 sqrt 2) / 0.0301, n > 221.
    # With 30 a weekday the 10 points may be chance; with 300 they are not.
    history = parcels(per_weekday * 6 // 10, 1, picked_up_on=WEEK[0])
    history += parcels(per_weekday * 4 // 10, 2, picked_up_on=WEEK[0])
    for day in WEEK[1:4]:
        history += parcels(per_weekday // 2, 1, picked_up_on=day) + parcels(per_weekday // 2, 2, picked_up_on=day)
    (figures,) = learn_lanes(history, TODAY, min_deliveries=30, recent_days=None).values()
    monday = figures.for_pickup(date(2026, 3, 16))
    assert monday.within(1) == pytest.approx(0.6 if apart else (0.6 + 1.5) / 4, abs=1e-4)
    assert (figures.for_pickup(date(2026, 3, 17)).within(1) == pytest.approx(0.5, abs=1e-4)) is apart


def test_recent_parcels_are_expected_as_their_pickup_weekday_usually_goes() -> None:
    # before: 60 Monday pickups in 1 day, 60 Thursday pickups in 2; recent: 100 Thursday pickups in 2.
    # Against the lane's hazards (half on day 1, all on day 2) each would expect 1.5 deliveries: 150
    # against 100, 4.1 standard errors. Against the Thursdays' own (none on day 1): 100, no shift.
    old = parcels(60, 1, picked_up_on=date(2026, 3, 2), delivered_on=date(2026, 3, 3))
    old += parcels(60, 2, picked_up_on=date(2026, 3, 5), delivered_on=date(2026, 3, 9))
    recent = parcels(100, 2, picked_up_on=date(2026, 3, 12), delivered_on=TODAY)
    (figures,) = learn_lanes(old + recent, TODAY, min_deliveries=30, recent_days=5).values()
    assert figures.deliveries == 220 and figures.for_pickup(date(2026, 3, 19)).cdf == (0.0, 0.0, 1.0)
    # with a Thursday cell too small to be one of its own (29 before), the lane's hazards: a shift
    old = old[:60] + old[60:89]
    (figures,) = learn_lanes(old + recent, TODAY, min_deliveries=30, recent_days=5).values()
    assert figures.deliveries == 100


SLIP_WINDOW = (date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 12), date(2026, 3, 13))  # Tue to Fri


@pytest.mark.parametrize("slip", [0, 1, 2])
def test_after_a_shift_the_lane_is_figured_from_the_day_it_slipped_on(slip: int) -> None:
    # 200 parcels delivered after 1 day before; the last 7 days' pickups (Tuesday 10 to Friday 13),
    # 40 a day: before the slip delivered after 1 day, from it on all open, known to take more than
    # 4, 3, 2, 1 days (Tuesday's to Friday's). Each expects the older hazards summed over its days
    # watched (0, then 1 a day): 1 if delivered, 4, 3, 2, 1 if open. For a slip on Thursday: seen 80,
    # expected 200, a shift. From day c on, the likelihood gains E - O + O ln(O / E): from Friday 40
    # (0 seen of 40), Thursday 120 (0 of 120), Wednesday 120 - 40 + 40 ln(40 / 160) = 64.5, Tuesday
    # 200 - 80 + 80 ln(80 / 200) = 46.7: the change point is Thursday.
    old = parcels(200, 1, picked_up_on=date(2026, 3, 5), delivered_on=date(2026, 3, 6))
    before = [DeliveredParcel(LANE, day, day + timedelta(days=1), 1) for day in SLIP_WINDOW[:slip] for _ in range(40)]
    late = [OpenParcel(LANE, day, 4 - n) for n, day in enumerate(SLIP_WINDOW) if n >= slip for _ in range(40)]
    (figures,) = learn_lanes(old + before, TODAY, open_parcels=late, min_deliveries=30, recent_days=7).values()
    # figured from the open parcels since the slip alone: none delivered within the days the slip's
    # first day has been watched (4 - slip), all the day after (the least). The whole window would
    # say, for a slip on Thursday, half within 1 day (80 delivered of 160 at risk on day 1).
    assert figures.overall.cdf == (0.0,) * (5 - slip) + (1.0,)
    assert figures.deliveries == 0


def test_a_slow_friday_on_a_steady_lane_is_no_change_point() -> None:
    # before: 30 pickups each Monday to Thursday delivered after 1 day, 30 Fridays after 2 (all the
    # same age). The last 7 days: Tuesday to Thursday 40 a day delivered after 1 day, Friday 13's 100
    # open past 1 day. Each weekday's parcels expect their own cell's hazards: 1 each for Tuesday to
    # Thursday (120 expected, 120 seen), 0 for Friday's (none delivered on day 1): no shift.
    old = [
        DeliveredParcel(LANE, date(2026, 3, 2) + timedelta(days=weekday), date(2026, 3, 6), 1)
        for weekday in range(4)
        for _ in range(30)
    ]
    fridays = parcels(30, 2, picked_up_on=date(2026, 2, 27), delivered_on=date(2026, 3, 6))
    recent = [DeliveredParcel(LANE, day, day + timedelta(days=1), 1) for day in SLIP_WINDOW[:3] for _ in range(40)]
    friday = opened(100, 1, picked_up_on=SLIP_WINDOW[3])
    (figures,) = learn_lanes(old + fridays + recent, TODAY, open_parcels=friday, recent_days=7).values()
    assert figures.deliveries == 270  # the decayed figures of every parcel
    assert figures.for_pickup(date(2026, 3, 20)).cdf == (0.0, 0.0, 1.0)  # Fridays: their own cell
    # Judged by the lane's hazards (a Friday cell of 29, too small: day 1's hazard 120 / 149), the
    # Fridays would look like a slip from Friday on: 0 seen of 80.5 expected, against 120 seen of
    # 96.6 the days before (57 from 177, 4.3 standard errors). From Friday on the likelihood gains
    # 80.5, from Thursday 31: the change point would be Friday, its open parcels alone the figures.
    (fooled,) = learn_lanes(old + fridays[:29] + recent, TODAY, open_parcels=friday, recent_days=7).values()
    assert fooled.deliveries == 0 and fooled.overall.cdf == (0.0, 0.0, 1.0)


SLIP_WEEK = tuple(date(2026, 3, 2) + timedelta(days=n) for n in range(5))  # Monday 2 to Friday 6 March
STEADY = parcels(200, 1, picked_up_on=date(2026, 1, 26), delivered_on=date(2026, 1, 27))  # before the look-back


def slipped(days: int = 2) -> list:
    """40 parcels picked up each day of SLIP_WEEK, delivered after `days` business days (Monday to Friday)."""
    return [
        DeliveredParcel(LANE, day, day + timedelta(days=days + (2 if day.weekday() + days > 4 else 0)), days)
        for day in SLIP_WEEK
        for _ in range(40)
    ]


def test_a_slip_seen_on_its_third_day_is_still_in_force_ten_business_days_later() -> None:
    # Wednesday 4 March: Monday's 40 open past 1 day, Tuesday's 40 past 0. The older parcels (all
    # after 1 day) expect 40 x 1 + 40 x 0 = 40 deliveries, none seen: a shift from Monday 2.
    early = opened(40, 1, picked_up_on=SLIP_WEEK[0]) + opened(40, 0, picked_up_on=SLIP_WEEK[1])
    (seen,) = learn_lanes(STEADY, date(2026, 3, 4), open_parcels=early, min_deliveries=30).values()
    assert seen.overall.cdf == (0.0, 0.0, 1.0) and seen.deliveries == 0
    # Monday 16 March, ten business days on: the slip week's 200 parcels were delivered after 2 days;
    # then nothing until a thin day, Friday 13, its 30 parcels open past 0 days. The last 5 days hold
    # that day alone, which the older figures expect nothing of (hazard 0 on day 0): alone, no shift.
    thin = opened(30, 0, picked_up_on=date(2026, 3, 13))
    (blind,) = learn_lanes(STEADY + slipped(), TODAY, open_parcels=thin, min_deliveries=30, recent_days=5).values()
    assert 0.3 < blind.overall.within(1) < 0.6  # the decayed figures, old and slipped parcels together
    # over the 30 days' look-back, the parcels from Monday 2 on: 200 seen, 400 expected (2 each), 10
    # standard errors. The likelihood gains 400 - 200 + 200 ln(200 / 400) = 61.4 from Monday 2, 49.1
    # from Tuesday 3 (320 expected, 160 seen), 36.8 from Wednesday: the change point is Monday 2,
    # and the lane is still figured from the parcels picked up since.
    (carried,) = learn_lanes(STEADY + slipped(), TODAY, open_parcels=thin, min_deliveries=30).values()
    assert carried.overall.cdf == (0.0, 0.0, 1.0) and carried.deliveries == 200


def test_a_lane_back_to_its_old_pace_is_figured_from_the_day_it_came_back() -> None:
    # the slip week's 200 parcels after 2 days, then 40 a day Monday 9 to Thursday 12 after 1 day.
    # Against the older figures, from Monday 2: 360 seen, 560 expected, 8.5 standard errors (from
    # Monday 9 on, 160 seen of 160). Against the slip week's own (none delivered on day 1), the
    # parcels from Monday 9 on expect none (at least 1) and 160 are seen: a later change point.
    back = [DeliveredParcel(LANE, day, day + timedelta(days=1), 1) for day in SLIP_WINDOW[:3] for _ in range(40)]
    back += parcels(40, 1, picked_up_on=date(2026, 3, 9), delivered_on=date(2026, 3, 10))
    (figures,) = learn_lanes(STEADY + slipped() + back, TODAY, min_deliveries=30).values()
    assert figures.overall.cdf == (0.0, 1.0) and figures.deliveries == 160


def test_thirty_days_of_a_steady_lane_are_no_shift() -> None:
    # before: 100 parcels after 1 day, 20 after 2 (hazards 0, 5/6, then 1). Every working day of the
    # look-back, 30 pickups: 25 after 1 day, 5 after 2 (expected 25 x 5/6 + 5 x 11/6 = 30, seen 30),
    # and one slow Wednesday 11, 20 and 10 (35 expected, 30 seen; from it on, 90 seen of 95: 0.5 standard errors).
    old = parcels(100, 1, picked_up_on=date(2026, 1, 26), delivered_on=date(2026, 1, 27))
    old += parcels(20, 2, picked_up_on=date(2026, 1, 26), delivered_on=date(2026, 1, 28))
    recent = []
    for n in range(1, 30):
        day = TODAY - timedelta(days=n)
        if day.weekday() < 5:
            slow = day == date(2026, 3, 11)
            recent += parcels(20 if slow else 25, 1, picked_up_on=day, delivered_on=day + timedelta(days=1))
            recent += parcels(10 if slow else 5, 2, picked_up_on=day, delivered_on=day + timedelta(days=2))
    (figures,) = learn_lanes(old + recent, TODAY, min_deliveries=30).values()
    assert figures.deliveries == 120 + len(recent)  # the decayed figures of every parcel


def test_a_young_lanes_first_parcels_are_the_figures_its_later_ones_are_tested_against() -> None:
    # all within the look-back: 30 parcels picked up Monday 2 March delivered after 1 day, then 40
    # picked up Thursday 12 open past 1 day. Monday's 30 are the older figures (at least
    # min_deliveries): 40 deliveries expected, none seen, a shift from Thursday 12.
    young = parcels(30, 1, picked_up_on=date(2026, 3, 2), delivered_on=date(2026, 3, 3))
    (figures,) = learn_lanes(young, TODAY, open_parcels=opened(40, 1, picked_up_on=date(2026, 3, 12))).values()
    assert figures.overall.cdf == (0.0, 0.0, 1.0) and figures.deliveries == 0
