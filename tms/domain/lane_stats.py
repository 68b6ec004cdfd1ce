"""Delivery times learned from what really happened: per lane, the distribution of business days
from pickup to delivery.

A *lane* is (carrier, service, zone of the card). Each delivered parcel counts the business days
from its pickup to its delivery the way `tms.domain.delivery` counts transit (the carrier's delivery
weekdays, the destination's public holidays; delivered on the pickup day = 0 days).

Recent deliveries weigh more: a parcel delivered `age` days before the figures are built weighs
0.5 ** (age / half_life_days), and one older than HORIZON_HALF_LIVES half-lives (weight < 1/64) is
left out. Age counts from the delivery day, not the pickup day: the parcels picked up lately and
not yet delivered are the slow ones, so weighing by pickup day would make a lane look faster than
it is. The default half-life (14 days) is the one `python -m bench delivery_learning` finds best
calibrated on a year with a carrier slipping in December (see docs/delivery-learning.md).

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
HALF_LIFE_DAYS = 14.0
HORIZON_HALF_LIVES = 6
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

    def __post_init__(self) -> None:
        if not self.cdf or abs(self.cdf[-1] - 1.0) > 1e-6:
            raise ValueError("a distribution's cdf must end at 1")
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
        cdf = self.cdf
        return cdf[days] if days < len(cdf) else 1.0

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

    def for_pickup(self, pickup: date) -> Distribution:
        """The distribution for a parcel picked up on `pickup`: its weekday's cell when it has one."""
        return self.by_weekday.get(pickup.weekday(), self.overall)

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
) -> dict[LaneKey, LaneFigures]:
    """The figures of every lane with at least `min_deliveries` parcels delivered within the horizon
    (HORIZON_HALF_LIVES half-lives before `today`, not after it)."""
    if min_deliveries < 1:
        raise ValueError(f"min_deliveries must be at least 1: {min_deliveries}")
    if half_life_days <= 0:
        raise ValueError(f"half_life_days must be positive: {half_life_days}")
    horizon = HORIZON_HALF_LIVES * half_life_days
    weights: dict[LaneKey, dict[int, float]] = {}
    counts: dict[LaneKey, int] = {}
    cells: dict[tuple[LaneKey, int], dict[int, float]] = {}
    cell_counts: dict[tuple[LaneKey, int], int] = {}
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
        lane_weights = weights.setdefault(lane, {})
        lane_weights[days] = lane_weights.get(days, 0.0) + weight
        counts[lane] = counts.get(lane, 0) + 1
        cell = (lane, parcel.picked_up_on.weekday())
        cell_weights = cells.setdefault(cell, {})
        cell_weights[days] = cell_weights.get(days, 0.0) + weight
        cell_counts[cell] = cell_counts.get(cell, 0) + 1
    learned = {}
    for lane, count in counts.items():
        if count < min_deliveries:
            continue
        by_weekday = {
            weekday: Distribution.of_weights(cells[(lane, weekday)], cell_counts[(lane, weekday)])
            for weekday in range(7)
            if cell_counts.get((lane, weekday), 0) >= min_deliveries
        }
        learned[lane] = LaneFigures(lane, Distribution.of_weights(weights[lane], count), MappingProxyType(by_weekday))
    return learned


def planning_transit(min_days: int, max_days: int, figures: LaneFigures | None, pickup: date) -> tuple[int, int]:
    """The (min, max) business days the nightly plan dates an option with: the observed p90 for a
    lane with figures (the card's max otherwise), the card's min but never past that max."""
    if figures is None:
        return min_days, max_days
    p90 = figures.for_pickup(pickup).p90_days
    return min(min_days, p90), p90
