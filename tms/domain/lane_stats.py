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
- a lane whose parcels picked up on or after some day of the last RECENT_DAYS days (the look-back;
  delivered or open, at least `min_deliveries` of them) have shifted from the older parcels' figures
  (`shift_start`: the change point is the pickup day from which they fit a new rate best; a
  one-sample log-rank test of SHIFT_Z standard errors from it on, each parcel against its pickup
  weekday's hazards, and at least SHIFT_MIN_DAYS between the means) is figured from the parcels
  picked up on or after its change point, the decayed hazards beyond the days they were watched.
  The look-back is scanned whole each day, so a shift stays in force from one day to the next
  (no state kept) until the parcels since a later change point say otherwise, or the change point
  leaves the look-back.
  A half-life short enough to follow a carrier that starts slipping within days would be noisy the
  rest of the year; a long one with this test is both steady and quick.

The defaults (half-life 56 days, look-back 30 days) are those `python -m bench delivery_learning` finds
best calibrated on a year with a carrier slipping in December (docs/delivery-learning.md).

A lane with fewer than `min_deliveries` parcels within the horizon has no figures: callers fall
back to the card's transit. A lane x pickup-weekday cell with at least `min_deliveries` has a
distribution for pickups on that weekday (the lane's otherwise): its own when its parcels differ
from the other weekdays' (`weekday_figures`), else that of the weekdays alike learned together.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

LaneKey = tuple[str, str, str]  # carrier, service, zone

MIN_DELIVERIES = 30
HALF_LIFE_DAYS = 56.0
HORIZON_HALF_LIVES = 6
RECENT_DAYS = 30  # the parcels picked up in the last days, scanned for a change point (see `shift_start`)
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

    def quantile_after(self, share: float, more_than: int) -> int | None:
        """The fewest days within which at least `share` of the parcels that took more than
        `more_than` days are delivered: P(T <= d | T > more_than) >= share. None when (almost) none
        of the lane's parcels took that long."""
        done = self.within(more_than)
        left = 1.0 - done
        if left <= 1e-6:
            return None
        for days in range(more_than + 1, len(self.cdf)):
            if (self.cdf[days] - done) / left + _EPSILON >= share:
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

    With `recent_days` (the look-back), a lane whose parcels picked up in the last `recent_days` days
    (delivered or open, at least `min_deliveries` of them) have shifted from its decayed figures from
    some pickup day on (`shift_start`) takes the parcels picked up from that change point on alone: a
    carrier that starts slipping shows it within days, from its late parcels before they are
    delivered, and the shift holds on the days after."""
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
        tally = lanes.get(lane)
        if tally is None:
            tally = lanes[lane] = _Tally()
        recent_pickup = parcel.picked_up_on if (today - parcel.picked_up_on).days < recent else None
        tally.deliver(days, weight, recent_pickup)
        cell = (lane, parcel.picked_up_on.weekday())
        tally = cells.get(cell)
        if tally is None:
            tally = cells[cell] = _Tally()
        tally.deliver(days, weight, recent_pickup)
    for open_parcel in open_parcels:
        lane = open_parcel.lane
        tally = lanes.get(lane)
        days = open_parcel.business_days
        if tally is None or not 0 <= days <= min(tally.longest + OPEN_MARGIN_DAYS, MAX_TRANSIT_DAYS):
            continue  # a lane without deliveries has no figures anyway; an older open parcel is lost
        recent_pickup = open_parcel.picked_up_on if (today - open_parcel.picked_up_on).days < recent else None
        tally.leave_open(days, recent_pickup)
        cell_tally = cells.get((lane, open_parcel.picked_up_on.weekday()))
        if cell_tally is not None:
            cell_tally.leave_open(days, recent_pickup)
    learned = {}
    for lane, tally in lanes.items():
        if tally.count < min_deliveries:
            continue
        lane_cells = {weekday: found for weekday in range(7) if (found := cells.get((lane, weekday))) is not None}
        first = tally.first_recent(min_deliveries) if tally.older_count < min_deliveries else None
        if first is not None:  # a young lane: its first parcels are the older figures the rest are tested against
            for part in (tally, *lane_cells.values()):
                part.older_from(first)
        since = shift_start(tally, lane_cells, min_deliveries) if tally.recent_count >= min_deliveries else None
        by_weekday = weekday_figures(lane_cells, min_deliveries, since)
        overall = tally.distribution(min_deliveries, since)
        assert overall is not None
        learned[lane] = LaneFigures(lane, overall, MappingProxyType(by_weekday))
    return learned


SPLIT_Z = 4.0  # standard errors past its degrees of freedom a weekday's chi-square takes to stand apart
MIN_EXPECTED = 5.0  # parcels expected per class of days in that test (the days past are lumped together)


def weekday_figures(cells: Mapping[int, _Tally], min_deliveries: int, since: date | None) -> dict[int, Distribution]:
    """Per pickup weekday with at least `min_deliveries` parcels (`_Tally.distribution`), its
    distribution: its own if its parcels differ from those of the other weekdays alike, else that of
    all the alike weekdays' parcels together, where the data supports no difference.

    The weekdays start alike. The one whose parcels differ most from the others' (a two-sample
    chi-square on the share delivered after each number of days, `_apart_by`) stands apart if it is
    more than SPLIT_Z standard errors past its degrees of freedom; then the test is made again on
    the ones left, until none stands apart. A lane whose Fridays take a day more has Fridays of their
    own and Monday to Thursday learned together: four times the parcels, half the noise."""
    own = {w: found for w, cell in cells.items() if (found := cell.distribution(min_deliveries, since)) is not None}
    alike = sorted(own)
    apart: dict[int, Distribution] = {}
    while len(alike) > 1:
        scores = []
        for weekday in alike:
            rest = _Tally.merged([cells[other] for other in alike if other != weekday])
            others = rest.distribution(min_deliveries, since)
            if others is not None:
                scores.append((_apart_by(own[weekday], cells[weekday].size(since), others, rest.size(since)), weekday))
        score, weekday = max(scores, default=(0.0, -1))
        if score <= SPLIT_Z:
            break
        apart[weekday] = own[weekday]
        alike.remove(weekday)
    if len(alike) > 1:
        together = _Tally.merged([cells[weekday] for weekday in alike]).distribution(min_deliveries, since)
        assert together is not None  # each has enough parcels
        apart.update(dict.fromkeys(alike, together))
    else:
        apart.update((weekday, own[weekday]) for weekday in alike)
    return apart


def _apart_by(a: Distribution, size_a: float, b: Distribution, size_b: float) -> float:
    """How far apart two distributions of `size_a` and `size_b` parcels are: the two-sample
    chi-square of their shares per number of days, in standard errors past its degrees of freedom.
    Consecutive days are lumped into classes, from the fewest days up, so that each class expects at
    least MIN_EXPECTED parcels of the smaller; the days left at the top join the last class."""
    if size_a <= 0 or size_b <= 0:
        return 0.0
    longest = max(len(a.cdf), len(b.cdf))
    pooled_share = [(size_a * _share(a, k) + size_b * _share(b, k)) / (size_a + size_b) for k in range(longest)]
    smaller = min(size_a, size_b)
    classes: list[tuple[float, float, float]] = []  # (share of a, of b, pooled) per class of days
    share_a = share_b = share_pooled = 0.0
    for days in range(longest):
        share_a, share_b = share_a + _share(a, days), share_b + _share(b, days)
        share_pooled += pooled_share[days]
        if share_pooled * smaller >= MIN_EXPECTED:
            classes.append((share_a, share_b, share_pooled))
            share_a = share_b = share_pooled = 0.0
    if share_pooled > 0 and classes:  # the days past: with the last class
        last_a, last_b, last_pooled = classes.pop()
        classes.append((last_a + share_a, last_b + share_b, last_pooled + share_pooled))
    freedom = len(classes) - 1
    if freedom < 1:
        return 0.0
    scale = 1 / size_a + 1 / size_b
    chi_square = sum((x - y) ** 2 / (pooled * scale) for x, y, pooled in classes if pooled > 0)
    return (chi_square - freedom) / math.sqrt(2 * freedom)


def _share(distribution: Distribution, days: int) -> float:
    """The share delivered after exactly `days` days."""
    cdf = distribution.cdf
    if days >= len(cdf):
        return 0.0
    return cdf[days] - (cdf[days - 1] if days else 0.0)


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


def shift_start(
    tally: _Tally, cells: Mapping[int, _Tally] = MappingProxyType({}), min_deliveries: int = MIN_DELIVERIES
) -> date | None:
    """None when the recent parcels (those of the look-back) have not shifted; otherwise the change
    point: the first pickup day of the new regime, from which the lane is figured.

    Each recent pickup day d has its deliveries O_d and those the older parcels' decayed hazards
    expect, E_d (a one-sample log-rank test: each parcel expects the older hazards summed over the
    days it was watched, delivered or still open; those of its pickup weekday's cell in `cells` where
    the cell has `min_deliveries` older deliveries, so that a slow weekday is no shift). If the
    parcels picked up from day c on go at a rate theta times the older one and those before c as
    before, the log-likelihood of the counts (Poisson, as the log-rank test takes them) gains, at
    the best theta = O/E, O log(O / E) - (O - E) over theta = 1, with O and E summed from c on. The
    candidate is the c that gains most, among the pickup days from which at least `min_deliveries`
    parcels were picked up. A slip on day k is found at k: the days before it add as many deliveries
    seen as expected, which only lowers the gain.

    It is a shift when, from the candidate on, the deliveries seen are more than SHIFT_Z standard
    errors from those expected and the product-limit mean over the days watched differs from the
    older one by at least SHIFT_MIN_DAYS. Scanning the whole look-back (not only its last days) keeps
    a shift in force from one day to the next without keeping state: the parcels since the change
    point still differ after a weekend or a holiday leaves the last days with little to test.

    The lane may have changed again since (back to its old pace, or further): `_later_change`, with
    the parcels since the change point as the reference, moves it to the latest such day."""
    by_pickup = _log_rank_by_pickup(tally, cells, min_deliveries)
    best, best_gain, best_sums = None, 0.0, (0.0, 0.0)
    later_observed = later_expected = later_parcels = 0.0
    for pickup, o, e, parcels in reversed(by_pickup):  # suffix sums: the parcels picked up from `pickup` on
        later_observed, later_expected, later_parcels = later_observed + o, later_expected + e, later_parcels + parcels
        if later_parcels < min_deliveries or later_expected <= 0:
            continue
        gain = later_expected - later_observed
        if later_observed > 0:
            gain += later_observed * math.log(later_observed / later_expected)
        if gain >= best_gain:  # on a tie, the earlier day: more parcels to learn from
            best, best_gain, best_sums = pickup, gain, (later_observed, later_expected)
    observed, expected = best_sums
    if best is None or abs(observed - expected) <= SHIFT_Z * expected**0.5:
        return None
    since = tally.recent_since(best)
    watched = max((*since[0], *since[1]))
    before = product_limit(tally.older, tally.older_open, 0)
    recent = product_limit(*since[:3])
    gap = sum(before.within(days) - recent.within(days) for days in range(watched + 1))
    if abs(gap) < SHIFT_MIN_DAYS:
        return None
    while (later := _later_change(tally, best, min_deliveries)) is not None:
        best = later
    return best


def _later_change(tally: _Tally, since: date, min_deliveries: int) -> date | None:
    """A change point after `since` by the same test, the parcels picked up from `since` to the day
    before as the reference: the pickup day from which the later parcels (at least `min_deliveries`,
    and as many before it) differ from the earlier ones by more than SHIFT_Z standard errors, the one
    that gains most. None if there is none: the regime started on `since` still holds."""
    days = sorted(day for day in tally.recent_by_pickup if day >= since)
    best, best_gain = None, 0.0
    for split in range(1, len(days)):
        earlier = [tally.recent_by_pickup[day] for day in days[:split]]
        later = [tally.recent_by_pickup[day] for day in days[split:]]
        if min(_parcels(earlier), _parcels(later)) < min_deliveries:
            continue
        reference = _cumulative(_hazards(*_merged(earlier)))
        if reference is None:
            continue
        observed = sum(n for landed, _ in later for n in landed.values())
        # at least one delivery expected: a reference that delivered none on a day still may
        expected = max(1.0, sum(reference[k] * n for pair in later for counts in pair for k, n in counts.items()))
        if abs(observed - expected) <= SHIFT_Z * expected**0.5:
            continue
        gain = expected - observed + (observed * math.log(observed / expected) if observed > 0 else 0.0)
        if gain > best_gain:
            best, best_gain = days[split], gain
    return best


def _parcels(pickups: Sequence[tuple[dict[int, float], dict[int, float]]]) -> float:
    return sum(n for pair in pickups for counts in pair for n in counts.values())


def _merged(pickups: Sequence[tuple[dict[int, float], dict[int, float]]]) -> tuple[dict[int, float], dict[int, float]]:
    """The delivered and the open counts of several pickup days, summed per number of days."""
    delivered: dict[int, float] = {}
    still_open: dict[int, float] = {}
    for landed, waiting in pickups:
        for merged, counts in ((delivered, landed), (still_open, waiting)):
            for days, n in counts.items():
                merged[days] = merged.get(days, 0.0) + n
    return delivered, still_open


def _log_rank_by_pickup(
    tally: _Tally, cells: Mapping[int, _Tally], min_deliveries: int
) -> list[tuple[date, float, float, float]]:
    """Per recent pickup day, in order: (day, deliveries seen, deliveries expected, parcels). A parcel
    expects the older hazards summed over the days it was watched: its pickup weekday's where that
    cell has `min_deliveries` older deliveries, the lane's otherwise."""
    lane_hazards = _cumulative_hazards(tally)
    if lane_hazards is None:
        return []
    by_weekday: dict[int, list[float]] = {}
    for weekday, cell in cells.items():
        cell_hazards = _cumulative_hazards(cell) if cell.older_count >= min_deliveries else None
        if cell_hazards is not None:
            by_weekday[weekday] = cell_hazards
    found = []
    for pickup in sorted(tally.recent_by_pickup):
        delivered, still_open = tally.recent_by_pickup[pickup]
        cumulative = by_weekday.get(pickup.weekday(), lane_hazards)
        expected = sum(cumulative[days] * n for counts in (delivered, still_open) for days, n in counts.items())
        found.append((pickup, sum(delivered.values()), expected, sum(delivered.values()) + sum(still_open.values())))
    return found


def _cumulative_hazards(tally: _Tally) -> list[float] | None:
    """The older parcels' hazards summed up to each day (1 a day past their figures: due); None without any."""
    return _cumulative(_hazards(tally.older, tally.older_open))


def _cumulative(hazards: Sequence[float]) -> list[float] | None:
    """Hazards summed up to each day, 1 a day past the last (due); None without any."""
    if not hazards:
        return None
    cumulative, running = [], 0.0
    for days in range(MAX_TRANSIT_DAYS + 1):
        running += hazards[days] if days < len(hazards) else 1.0
        cumulative.append(running)
    return cumulative


class _Tally:
    """Weights per number of days (decayed) of the delivered and the open parcels, those of the older
    ones (not recent), and the counts of the recent ones alone, per pickup day."""

    __slots__ = (
        "weights",
        "open",
        "older",
        "older_open",
        "count",
        "older_count",
        "longest",
        "recent_by_pickup",
        "recent_weights",
        "recent_count",
        "weight",
        "weight_squares",
    )

    def __init__(self) -> None:
        self.weights: dict[int, float] = {}  # delivered after k days
        self.open: dict[int, float] = {}  # not delivered after k days
        self.older: dict[int, float] = {}  # ... of the parcels that are not recent
        self.older_open: dict[int, float] = {}
        self.count = 0  # parcels delivered
        self.older_count = 0  # ... that are not recent
        self.longest = 0  # the most days a delivered parcel took
        # per recent pickup day, unweighted: (delivered after k days, open past k days)
        self.recent_by_pickup: dict[date, tuple[dict[int, float], dict[int, float]]] = {}
        # ... and weighted (decayed; an open parcel weighs 1), to join the older ones if they are too few
        self.recent_weights: dict[date, tuple[dict[int, float], dict[int, float]]] = {}
        self.recent_count = 0  # recent parcels, delivered or open
        self.weight = 0.0  # of every parcel, delivered or open
        self.weight_squares = 0.0  # ... squared: (sum w)^2 / sum w^2 is what the weights are worth in parcels

    @classmethod
    def merged(cls, tallies: Sequence[_Tally]) -> _Tally:
        """One tally of the parcels of several (of different pickup weekdays: no pickup day in two)."""
        merged = cls()
        for tally in tallies:
            for mine, theirs in (
                (merged.weights, tally.weights),
                (merged.open, tally.open),
                (merged.older, tally.older),
                (merged.older_open, tally.older_open),
            ):
                for days, weight in theirs.items():
                    mine[days] = mine.get(days, 0.0) + weight
            merged.count += tally.count
            merged.older_count += tally.older_count
            merged.longest = max(merged.longest, tally.longest)
            merged.recent_by_pickup.update(tally.recent_by_pickup)
            merged.recent_weights.update(tally.recent_weights)
            merged.recent_count += tally.recent_count
            merged.weight += tally.weight
            merged.weight_squares += tally.weight_squares
        return merged

    def size(self, since: date | None) -> float:
        """What `distribution(..., since)` is worth in parcels: after a shift, those picked up since
        the change point (unweighted); else the decayed weights' effective count."""
        if since is not None:
            return float(self.recent_since(since)[3])
        return self.weight**2 / self.weight_squares if self.weight_squares > 0 else 0.0

    def _recent_day(self, pickup: date) -> tuple[dict[int, float], dict[int, float]]:
        found = self.recent_by_pickup.get(pickup)
        if found is None:
            found = self.recent_by_pickup[pickup] = ({}, {})
            self.recent_weights[pickup] = ({}, {})
        return found

    def deliver(self, days: int, weight: float, recent_pickup: date | None) -> None:
        """A delivered parcel; `recent_pickup` its pickup day if it is recent, None if older."""
        self.weights[days] = self.weights.get(days, 0.0) + weight
        self.count += 1
        self.weight += weight
        self.weight_squares += weight * weight
        self.longest = max(self.longest, days)
        if recent_pickup is not None:
            delivered = self._recent_day(recent_pickup)[0]
            delivered[days] = delivered.get(days, 0.0) + 1.0
            weighed = self.recent_weights[recent_pickup][0]
            weighed[days] = weighed.get(days, 0.0) + weight
            self.recent_count += 1
        else:
            self.older[days] = self.older.get(days, 0.0) + weight
            self.older_count += 1

    def leave_open(self, days: int, recent_pickup: date | None) -> None:
        """An open parcel, past `days`; `recent_pickup` as in `deliver`."""
        self.open[days] = self.open.get(days, 0.0) + 1.0  # its delivery is to come: age 0, weight 1
        self.weight += 1.0
        self.weight_squares += 1.0
        if recent_pickup is not None:
            still_open = self._recent_day(recent_pickup)[1]
            still_open[days] = still_open.get(days, 0.0) + 1.0
            weighed = self.recent_weights[recent_pickup][1]
            weighed[days] = weighed.get(days, 0.0) + 1.0
            self.recent_count += 1
        else:
            self.older_open[days] = self.older_open.get(days, 0.0) + 1.0

    def older_from(self, first: date) -> None:
        """The recent parcels picked up before `first` become older ones."""
        for pickup in [day for day in self.recent_by_pickup if day < first]:
            landed, waiting = self.recent_by_pickup.pop(pickup)
            for merged, counts in zip((self.older, self.older_open), self.recent_weights.pop(pickup), strict=True):
                for days, weight in counts.items():
                    merged[days] = merged.get(days, 0.0) + weight
            self.older_count += round(sum(landed.values()))
            self.recent_count -= round(sum(landed.values()) + sum(waiting.values()))

    def first_recent(self, min_deliveries: int) -> date | None:
        """The first pickup day the recent parcels may start on so that at least `min_deliveries`
        delivered parcels are older (None: they are already, or cannot be)."""
        older = self.older_count
        for pickup in sorted(self.recent_by_pickup):
            if older >= min_deliveries:
                return pickup
            older += round(sum(self.recent_by_pickup[pickup][0].values()))
        return None

    def recent_since(self, first: date | None) -> tuple[dict[int, float], dict[int, float], int, int]:
        """The recent parcels picked up on or after `first` (all with None): (delivered after k days,
        open past k days, deliveries, parcels)."""
        delivered, still_open = _merged(
            [pair for pickup, pair in self.recent_by_pickup.items() if first is None or pickup >= first]
        )
        deliveries = round(sum(delivered.values()))
        return delivered, still_open, deliveries, deliveries + round(sum(still_open.values()))

    def distribution(self, min_deliveries: int, since: date | None) -> Distribution | None:
        """The decayed distribution, or after a shift that of the recent parcels picked up on or after
        `since` (the change point); None with too few parcels."""
        if since is not None:
            delivered, still_open, deliveries, parcels = self.recent_since(since)
            if parcels < min_deliveries:
                return None
            # past the days the recent parcels were watched, the decayed hazards
            return product_limit(delivered, still_open, deliveries, _hazards(self.weights, self.open))
        return product_limit(self.weights, self.open, self.count) if self.count >= min_deliveries else None


def planning_transit(min_days: int, max_days: int, figures: LaneFigures | None, pickup: date) -> tuple[int, int]:
    """The (min, max) business days the nightly plan dates an option with: the observed p90 for a
    lane with figures (the card's max otherwise), the card's min but never past that max."""
    if figures is None:
        return min_days, max_days
    p90 = figures.for_pickup(pickup).p90_days
    return min(min_days, p90), p90
