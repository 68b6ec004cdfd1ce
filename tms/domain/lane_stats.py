"""Delivery times learned from what really happened: per lane, the distribution of business days
from pickup to delivery.

A *lane* is (carrier, service, zone of the card). Each delivered parcel counts the business days
from its pickup to its delivery the way `tms.domain.delivery` counts transit (the carrier's delivery
weekdays, the destination's public holidays; delivered on the pickup day = 0 days).

Recent deliveries weigh more, in two ways:

- a parcel delivered `age` days before the figures are built weighs 0.5 ** (age / half_life_days),
  and one older than HORIZON_HALF_LIVES half-lives (weight < 1/64) is left out. Age counts from
  the delivery day, not the pickup day: the parcels picked up lately and not yet delivered are the
  slow ones, so weighing by pickup day would make a lane look faster than it is;
- a lane whose deliveries of the last RECENT_DAYS days (at least `min_deliveries` of them) have
  shifted from its decayed figures (`has_shifted`: their mean is SHIFT_Z standard errors and at
  least SHIFT_MIN_DAYS away) is figured from those recent deliveries alone, until the decayed
  figures catch up. A half-life short enough to follow a carrier that starts slipping within days
  would be noisy the rest of the year; a long one with this test is both steady and quick.

The defaults (half-life 56 days, recent 5 days) are those `python -m bench delivery_learning` finds
best calibrated on a year with a carrier slipping in December (docs/delivery-learning.md).

A lane with fewer than `min_deliveries` parcels within the horizon has no figures: callers fall
back to the card's transit. A lane x pickup-weekday cell with at least `min_deliveries` has its
own distribution, used for pickups on that weekday; the lane's otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

LaneKey = tuple[str, str, str]  # carrier, service, zone

MIN_DELIVERIES = 30
HALF_LIFE_DAYS = 56.0
HORIZON_HALF_LIVES = 6
RECENT_DAYS = 5  # the deliveries of the last days, looked at alone for a shift (see `has_shifted`)
MAX_TRANSIT_DAYS = 30  # business days; a parcel said to take longer is bad data, left out
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

    @classmethod
    def of_weights(cls, weights: Mapping[int, float], deliveries: int) -> Distribution:
        """From the weight of each number of days (at least one positive)."""
        total = sum(weights.values())
        if total <= 0:
            raise ValueError("no weight to make a distribution of")
        running, cdf = 0.0, []
        for days in range(max(weights) + 1):
            running += weights.get(days, 0.0)
            cdf.append(running / total)
        cdf[-1] = 1.0
        return cls(tuple(cdf), deliveries)

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
    min_deliveries: int = MIN_DELIVERIES,
    half_life_days: float = HALF_LIFE_DAYS,
    recent_days: int | None = RECENT_DAYS,
) -> dict[LaneKey, LaneFigures]:
    """The figures of every lane with at least `min_deliveries` parcels delivered within the horizon
    (HORIZON_HALF_LIVES half-lives before `today`, not after it).

    With `recent_days`, a lane whose last `recent_days` of deliveries (at least `min_deliveries`)
    have shifted from its decayed figures (`has_shifted`) takes those recent deliveries alone: a
    carrier that starts slipping shows it within days, not within a half-life."""
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
        is_recent = age < recent
        tally = lanes.get(lane)
        if tally is None:
            tally = lanes[lane] = _Tally()
        tally.add(days, weight, is_recent)
        cell = (lane, parcel.picked_up_on.weekday())
        tally = cells.get(cell)
        if tally is None:
            tally = cells[cell] = _Tally()
        tally.add(days, weight, is_recent)
    learned = {}
    for lane, tally in lanes.items():
        if tally.count < min_deliveries:
            continue
        shifted = tally.recent_count >= min_deliveries and has_shifted(tally)
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


SHIFT_Z = 4.0  # standard errors between the recent mean and the decayed one that make a shift
SHIFT_MIN_DAYS = 0.25  # ... and at least this many business days


def has_shifted(tally: _Tally) -> bool:
    """True when the recent deliveries' mean days differ from the decayed mean by more than SHIFT_Z
    standard errors (of a mean of that many recent parcels) and by at least SHIFT_MIN_DAYS."""
    mean = tally.weighted_days / tally.weight
    variance = max(tally.weighted_squares / tally.weight - mean * mean, 1 / 12)  # never below a rounding's
    recent_mean = tally.recent_days / tally.recent_count
    gap = abs(recent_mean - mean)
    return gap >= SHIFT_MIN_DAYS and gap > SHIFT_Z * (variance / tally.recent_count) ** 0.5


class _Tally:
    """Weights per number of days (decayed), and counts of the recent deliveries alone."""

    __slots__ = (
        "weights",
        "count",
        "weight",
        "weighted_days",
        "weighted_squares",
        "recent",
        "recent_count",
        "recent_days",
    )

    def __init__(self) -> None:
        self.weights: dict[int, float] = {}
        self.count = 0
        self.weight = self.weighted_days = self.weighted_squares = 0.0
        self.recent: dict[int, float] = {}
        self.recent_count = 0
        self.recent_days = 0

    def add(self, days: int, weight: float, is_recent: bool) -> None:
        self.weights[days] = self.weights.get(days, 0.0) + weight
        self.count += 1
        self.weight += weight
        self.weighted_days += weight * days
        self.weighted_squares += weight * days * days
        if is_recent:
            self.recent[days] = self.recent.get(days, 0.0) + 1.0
            self.recent_count += 1
            self.recent_days += days

    def distribution(self, min_deliveries: int, shifted: bool) -> Distribution | None:
        """The decayed distribution, or the recent one after a shift; None with too few parcels."""
        if shifted:
            return (
                Distribution.of_weights(self.recent, self.recent_count) if self.recent_count >= min_deliveries else None
            )
        return Distribution.of_weights(self.weights, self.count) if self.count >= min_deliveries else None


def planning_transit(min_days: int, max_days: int, figures: LaneFigures | None, pickup: date) -> tuple[int, int]:
    """The (min, max) business days the nightly plan dates an option with: the observed p90 for a
    lane with figures (the card's max otherwise), the card's min but never past that max."""
    if figures is None:
        return min_days, max_days
    p90 = figures.for_pickup(pickup).p90_days
    return min(min_days, p90), p90
