"""Delivery times learned from what really happened: per lane, the distribution of business days
from pickup to delivery.

A *lane* is (carrier, service, zone of the card). Each delivered parcel counts the business days
from its pickup to its delivery the way `tms.domain.delivery` counts transit (the carrier's delivery
weekdays, the destination's public holidays; delivered on the pickup day = 0 days).

The estimate is product-limit (Kaplan-Meier): on each day k, the hazard is the weight delivered
after k days over the weight still at risk, so the parcels picked up and not delivered yet count
too, as right-censored observations (`OpenParcel`: it takes more than k days). A slow lane is seen
from its late parcels before they arrive. An open parcel older than the lane's longest delivered
transit + OPEN_MARGIN_DAYS is taken as lost and left out: a lost parcel must not pull the figures
towards forever. Without open parcels the estimate is the plain weighted histogram.

Recent parcels weigh more, in two ways:

- a parcel delivered `age` days before the figures are built weighs 0.5 ** (age / half_life_days),
  and one older than HORIZON_HALF_LIVES half-lives (weight < 1/64) is left out; an open parcel is to
  be delivered, its age is 0 (weight 1);
- a lane whose parcels picked up in the last RECENT_DAYS days (delivered or open, at least
  `min_deliveries` of them) have shifted from the older parcels' figures (`has_shifted`: a
  one-sample log-rank test of SHIFT_Z standard errors, each parcel against its pickup weekday's
  hazards, and at least SHIFT_MIN_DAYS between the means) is figured from those recent parcels
  alone, the decayed hazards beyond the days they were watched, until the decayed figures catch up.
  A half-life short enough to follow a carrier that starts slipping within days would be noisy the
  rest of the year; a long one with this test is both steady and quick.

The defaults (half-life 56 days, recent 5 days) are those `python -m bench delivery_learning` finds
best calibrated on a year with a carrier slipping in December (docs/delivery-learning.md).

A lane with fewer than `min_deliveries` parcels within the horizon has no figures: callers fall
back to the card's transit. A lane x pickup-weekday cell with at least `min_deliveries` has its
own distribution, used for pickups on that weekday; the lane's otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

LaneKey = tuple[str, str, str]  # carrier, service, zone

MIN_DELIVERIES = 30
HALF_LIFE_DAYS = 56.0
HORIZON_HALF_LIVES = 6
RECENT_DAYS = 5  # the parcels picked up in the last days, looked at alone for a shift (see `has_shifted`)
MAX_TRANSIT_DAYS = 30  # business days; a parcel said to take longer is bad data, left out
OPEN_MARGIN_DAYS = 5  # an open parcel older than its lane's longest delivered transit + this is lost
_EPSILON = 1e-9  # float sums of weights: a share of 0.9 may come out 0.8999999999


@dataclass(frozen=True)
class DeliveredParcel:
    """One parcel as delivered: its lane, the day the carrier took it and the day it arrived, and the
    business days between (`tms.domain.delivery.business_days_between`)."""

    lane: LaneKey
    picked_up_on: date
    delivered_on: date
    business_days: int


@dataclass(frozen=True)
class OpenParcel:
    """A parcel picked up and not delivered yet: it takes more than `business_days`, the business
    days from its pickup to the last day it is known not to have arrived on (0: its pickup day)."""

    lane: LaneKey
    picked_up_on: date
    business_days: int


@dataclass(frozen=True)
class Distribution:
    """Business days from pickup to delivery: `cdf[k]` is the (weighted) share delivered within k
    days; past the last entry every parcel is delivered."""

    cdf: tuple[float, ...]
    deliveries: int  # parcels counted (unweighted)
    p50_days: int = field(init=False)
    p90_days: int = field(init=False)
    likely_days: int = field(init=False)  # the most likely number of days (the fewest on a tie)

    padded: tuple[float, ...] = field(init=False, repr=False, compare=False)  # cdf to MAX_TRANSIT_DAYS, rounded

    def __post_init__(self) -> None:
        if not self.cdf or abs(self.cdf[-1] - 1.0) > 1e-6:
            raise ValueError("a distribution's cdf must end at 1")
        # Rounded to 4 decimals: what a quote shows, read without arithmetic.
        shown = tuple(round(share, 4) for share in self.cdf)
        object.__setattr__(self, "padded", shown + (1.0,) * max(0, MAX_TRANSIT_DAYS + 1 - len(shown)))
        object.__setattr__(self, "p50_days", self.quantile(0.5))
        object.__setattr__(self, "p90_days", self.quantile(0.9))
        shares = [self.cdf[0], *(b - a for a, b in zip(self.cdf, self.cdf[1:], strict=False))]
        object.__setattr__(self, "likely_days", max(range(len(shares)), key=lambda k: (shares[k] + _EPSILON, -k)))

    def within(self, days: int) -> float:
        """The probability of delivery within `days` business days of pickup."""
        if days < 0:
            return 0.0
        padded = self.padded
        return padded[days] if days < len(padded) else 1.0

    def quantile(self, share: float) -> int:
        """The fewest days within which at least `share` of the parcels are delivered."""
        for days, reached in enumerate(self.cdf):
            if reached + _EPSILON >= share:
                return days
        return len(self.cdf) - 1


@dataclass(frozen=True)
class LaneFigures:
    """What a lane's deliveries say: its distribution, and those of the pickup weekdays with enough."""

    lane: LaneKey
    overall: Distribution
    by_weekday: Mapping[int, Distribution] = field(default_factory=lambda: MappingProxyType({}))

    week: tuple[Distribution, ...] = field(init=False, repr=False, compare=False)  # per pickup weekday, Mon..Sun

    def __post_init__(self) -> None:
        object.__setattr__(self, "week", tuple(self.by_weekday.get(day, self.overall) for day in range(7)))

    def for_pickup(self, pickup: date) -> Distribution:
        """The distribution for a parcel picked up on `pickup`: its weekday's cell when it has one."""
        return self.week[pickup.weekday()]

    @property
    def deliveries(self) -> int:
        return self.overall.deliveries


def recency_weight(age_days: int, half_life_days: float) -> float:
    """The weight of a parcel delivered `age_days` before the figures are built (0: today, 1.0)."""
    return float(0.5 ** (max(0, age_days) / half_life_days))


def learn_lanes(
    parcels: Iterable[DeliveredParcel],
    today: date,
    *,
    open_parcels: Iterable[OpenParcel] = (),
    min_deliveries: int = MIN_DELIVERIES,
    half_life_days: float = HALF_LIFE_DAYS,
    recent_days: int | None = RECENT_DAYS,
) -> dict[LaneKey, LaneFigures]:
    """The figures of every lane with at least `min_deliveries` parcels delivered within the horizon
    (HORIZON_HALF_LIVES half-lives before `today`, not after it): the product-limit estimate of its
    delivered parcels (weighed by age) and of its `open_parcels` (weight 1, right-censored: each takes
    more than its `business_days`). An open parcel older than the lane's longest delivered transit +
    OPEN_MARGIN_DAYS is taken as lost and left out.

    With `recent_days`, a lane whose parcels picked up in the last `recent_days` days (delivered or
    open, at least `min_deliveries` of them) have shifted from its decayed figures (`has_shifted`)
    takes those recent parcels alone: a carrier that starts slipping shows it within days, from its
    late parcels before they are delivered."""
    if min_deliveries < 1:
        raise ValueError(f"min_deliveries must be at least 1: {min_deliveries}")
    if half_life_days <= 0:
        raise ValueError(f"half_life_days must be positive: {half_life_days}")
    horizon = HORIZON_HALF_LIVES * half_life_days
    recent = -1 if recent_days is None else recent_days
    lanes: dict[LaneKey, _Tally] = {}
    cells: dict[tuple[LaneKey, int], _Tally] = {}
    decay: dict[int, float] = {}
    for parcel in parcels:
        age = (today - parcel.delivered_on).days
        days = parcel.business_days
        if age < 0 or age > horizon or not 0 <= days <= MAX_TRANSIT_DAYS:
            continue
        weight = decay.get(age)
        if weight is None:
            weight = decay[age] = recency_weight(age, half_life_days)
        lane = parcel.lane
        is_recent = (today - parcel.picked_up_on).days < recent
        tally = lanes.get(lane)
        if tally is None:
            tally = lanes[lane] = _Tally()
        tally.deliver(days, weight, is_recent)
        cell = (lane, parcel.picked_up_on.weekday())
        tally = cells.get(cell)
        if tally is None:
            tally = cells[cell] = _Tally()
        tally.deliver(days, weight, is_recent)
    for open_parcel in open_parcels:
        lane = open_parcel.lane
        tally = lanes.get(lane)
        days = open_parcel.business_days
        if tally is None or not 0 <= days <= min(tally.longest + OPEN_MARGIN_DAYS, MAX_TRANSIT_DAYS):
            continue  # a lane without deliveries has no figures anyway; an older open parcel is lost
        is_recent = (today - open_parcel.picked_up_on).days < recent
        tally.leave_open(days, is_recent)
        cell_tally = cells.get((lane, open_parcel.picked_up_on.weekday()))
        if cell_tally is not None:
            cell_tally.leave_open(days, is_recent)
    learned = {}
    for lane, tally in lanes.items():
        if tally.count < min_deliveries:
            continue
        lane_cells = [found for weekday in range(7) if (found := cells.get((lane, weekday))) is not None]
        shifted = tally.recent_count >= min_deliveries and has_shifted(tally, lane_cells, min_deliveries)
        by_weekday = {}
        for weekday in range(7):
            cell_tally = cells.get((lane, weekday))
            if cell_tally is not None:
                figures = cell_tally.distribution(min_deliveries, shifted)
                if figures is not None:
                    by_weekday[weekday] = figures
        overall = tally.distribution(min_deliveries, shifted)
        assert overall is not None
        learned[lane] = LaneFigures(lane, overall, MappingProxyType(by_weekday))
    return learned


def product_limit(
    delivered: Mapping[int, float],
    undelivered: Mapping[int, float],
    deliveries: int,
    beyond: Sequence[float] = (),
) -> Distribution:
    """The product-limit (Kaplan-Meier) estimate of the days to delivery, from the weight delivered
    after each number of days and the weight known to take more than each number of days (at least
    one positive weight). The share still undelivered after the longest observation (its parcels all
    open) is put on the next day: the least they can take. Without open parcels, the plain weighted
    histogram. With `beyond` (hazards per day), the days past the longest observation take those
    hazards instead (a recent window's figures go on with the lane's), then the next day the rest."""
    hazards = _hazards(delivered, undelivered)
    if not hazards:
        raise ValueError("no weight to make a distribution of")
    hazards += beyond[len(hazards) :]
    surviving, cdf = 1.0, []
    for hazard in hazards:
        surviving *= 1.0 - hazard
        cdf.append(1.0 - surviving)
        if surviving <= _EPSILON:
            break
    if surviving > _EPSILON:
        cdf.append(1.0)
    cdf[-1] = 1.0
    return Distribution(tuple(cdf), deliveries)


def _hazards(delivered: Mapping[int, float], undelivered: Mapping[int, float]) -> list[float]:
    """Per number of days k up to the longest observation, the weight delivered after k days over
    the weight at risk on day k (delivered after k days or more, or known to take more than k - 1)."""
    longest = max((*delivered, *undelivered), default=-1)
    at_risk, hazards = 0.0, [0.0] * (longest + 1)
    for days in range(longest, -1, -1):  # summed from the top: no cancellation
        landed = delivered.get(days, 0.0)
        at_risk += landed + undelivered.get(days, 0.0)
        hazards[days] = min(1.0, landed / at_risk) if at_risk > 0 else 0.0
    if at_risk <= 0:
        return []
    return hazards


SHIFT_Z = 4.0  # standard errors between the recent parcels' deliveries and those expected that make a shift
SHIFT_MIN_DAYS = 0.25  # ... and at least this many business days between their mean days


def has_shifted(tally: _Tally, cells: Sequence[_Tally] = (), min_deliveries: int = MIN_DELIVERIES) -> bool:
    """True when the recent parcels were delivered more (or less) often than the older parcels' decayed
    figures expect, by more than SHIFT_Z standard errors (a one-sample log-rank test: each recent
    parcel expects the older hazards summed over the days it was watched, delivered or still open;
    those of its pickup weekday's `cells` where the cell has `min_deliveries` older deliveries, so that
    a window with a slow weekday in it is no shift), and their product-limit mean over those days
    differs from the older one by at least SHIFT_MIN_DAYS."""
    lane_hazards = _cumulative_hazards(tally)
    if lane_hazards is None:
        return False
    expected = _expected(tally, lane_hazards)
    for cell in cells:  # a cell of its own: its parcels expect its hazards rather than the lane's
        cell_hazards = _cumulative_hazards(cell) if cell.older_count >= min_deliveries else None
        if cell_hazards is not None:
            expected += _expected(cell, cell_hazards) - _expected(cell, lane_hazards)
    if expected <= 0 or abs(tally.recent_deliveries - expected) <= SHIFT_Z * expected**0.5:
        return False
    watched = max((*tally.recent, *tally.recent_open))
    before = product_limit(tally.older, tally.older_open, 0)
    recent = product_limit(tally.recent, tally.recent_open, tally.recent_deliveries)
    gap = sum(before.within(days) - recent.within(days) for days in range(watched + 1))
    return abs(gap) >= SHIFT_MIN_DAYS


def _expected(tally: _Tally, cumulative: Sequence[float]) -> float:
    """The deliveries the recent parcels would have had with those cumulative hazards."""
    return sum(cumulative[days] * n for recent in (tally.recent, tally.recent_open) for days, n in recent.items())


def _cumulative_hazards(tally: _Tally) -> list[float] | None:
    """The older parcels' hazards summed up to each day (1 a day past their figures: due); None without any."""
    older = _hazards(tally.older, tally.older_open)
    if not older:
        return None
    cumulative, running = [], 0.0
    for days in range(MAX_TRANSIT_DAYS + 1):
        running += older[days] if days < len(older) else 1.0
        cumulative.append(running)
    return cumulative


class _Tally:
    """Weights per number of days (decayed) of the delivered and the open parcels, those of the older
    ones (not recent), and the counts of the recent ones alone."""

    __slots__ = (
        "weights",
        "open",
        "older",
        "older_open",
        "count",
        "older_count",
        "longest",
        "recent",
        "recent_open",
        "recent_count",
        "recent_deliveries",
    )

    def __init__(self) -> None:
        self.weights: dict[int, float] = {}  # delivered after k days
        self.open: dict[int, float] = {}  # not delivered after k days
        self.older: dict[int, float] = {}  # ... of the parcels that are not recent
        self.older_open: dict[int, float] = {}
        self.count = 0  # parcels delivered
        self.older_count = 0  # ... that are not recent
        self.longest = 0  # the most days a delivered parcel took
        self.recent: dict[int, float] = {}  # unweighted
        self.recent_open: dict[int, float] = {}
        self.recent_count = 0  # recent parcels, delivered or open
        self.recent_deliveries = 0

    def deliver(self, days: int, weight: float, is_recent: bool) -> None:
        self.weights[days] = self.weights.get(days, 0.0) + weight
        self.count += 1
        self.longest = max(self.longest, days)
        if is_recent:
            self.recent[days] = self.recent.get(days, 0.0) + 1.0
            self.recent_count += 1
            self.recent_deliveries += 1
        else:
            self.older[days] = self.older.get(days, 0.0) + weight
            self.older_count += 1

    def leave_open(self, days: int, is_recent: bool) -> None:
        self.open[days] = self.open.get(days, 0.0) + 1.0  # its delivery is to come: age 0, weight 1
        if is_recent:
            self.recent_open[days] = self.recent_open.get(days, 0.0) + 1.0
            self.recent_count += 1
        else:
            self.older_open[days] = self.older_open.get(days, 0.0) + 1.0

    def distribution(self, min_deliveries: int, shifted: bool) -> Distribution | None:
        """The decayed distribution, or the recent one after a shift; None with too few parcels."""
        if shifted:
            if self.recent_count < min_deliveries:
                return None
            # past the days the recent parcels were watched, the decayed hazards
            return product_limit(
                self.recent, self.recent_open, self.recent_deliveries, _hazards(self.weights, self.open)
            )
        return product_limit(self.weights, self.open, self.count) if self.count >= min_deliveries else None


def planning_transit(min_days: int, max_days: int, figures: LaneFigures | None, pickup: date) -> tuple[int, int]:
    """The (min, max) business days the nightly plan dates an option with: the observed p90 for a
    lane with figures (the card's max otherwise), the card's min but never past that max."""
    if figures is None:
        return min_days, max_days
    p90 = figures.for_pickup(pickup).p90_days
    return min(min_days, p90), p90
