"""The promise watched: when a shipment will be delivered, from what the carrier last said, and
whether the date the shopper was shown still holds.

A prediction is a window (earliest, latest) of delivery days, counted on the carrier's delivery
weekdays and the destination's public holidays, as the checkout counted them:

- delivered (or, for a pickup point or locker, available there: that is the delivery the shopper
  was promised): the day it happened;
- out for delivery: that day, if it is today or later; else the next delivery day from today;
- a failed delivery attempt: the next delivery day after it;
- an exception: from the day after it, the lane's whole transit again (min to max days);
- returned to the sender: never (no window; the promise is broken);
- otherwise (label created, picked up, in transit, nothing yet): the lane's transit (min to max
  days) counted from the pickup, which is the day the carrier scanned it, or the planned ship day
  while that is still to come, or the next pickup day from today when the planned day went by
  without a pickup scan.

The lane's transit is the card's or, where the lane has enough deliveries, its observed p90 as the
slowest (as the nightly plan dates it); for a parcel picked up before today and not delivered, the
slowest is the p90 of the lane's parcels that took longer than it already has (the business days
from its pickup to yesterday), when that is later. A window is never before today (what is not delivered yet
cannot be delivered in the past). The verdict against the promise: `late` once even the earliest
day is past it (or the promise day has gone by undelivered, or the parcel went back), `at_risk`
when the earliest day keeps it but the latest does not, `on_track` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tms.domain.delivery import business_days_after, business_days_between
from tms.domain.lane_stats import LaneFigures, planning_transit
from tms.domain.shipments import PromiseStatus
from tms.domain.tracking import EventKind

_ONE_DAY = timedelta(days=1)
# At a point, the parcel is delivered as far as the promise goes: the shopper collects it from there.
ARRIVED = frozenset({EventKind.DELIVERED, EventKind.AVAILABLE_FOR_PICKUP})


@dataclass(frozen=True)
class Lane:
    """What the card says of the shipment's lane: transit in business days and the carrier's days."""

    min_days: int
    max_days: int
    pickup_weekdays: frozenset[int]
    delivery_weekdays: frozenset[int]
    country: str
    region: str | None = None
    figures: LaneFigures | None = None  # what the lane's deliveries say, when it has enough of them

    def transit(self, pickup: date) -> tuple[int, int]:
        """(min, max) business days from a pickup: the observed p90 as the max where the lane has
        figures (as the nightly plan dates it), the card's transit otherwise."""
        return planning_transit(self.min_days, self.max_days, self.figures, pickup)

    def after(self, day: date, count: int, weekdays: frozenset[int] | None = None) -> date:
        days = self.delivery_weekdays if weekdays is None else weekdays
        return business_days_after(day, count, days, self.country, self.region)

    def on_or_after(self, day: date, weekdays: frozenset[int] | None = None) -> date:
        """`day` itself if it is one of the carrier's days (and no holiday), else the next one."""
        return self.after(day - _ONE_DAY, 1, weekdays)


@dataclass(frozen=True)
class Prediction:
    earliest: date | None  # None: it will not be delivered (returned)
    latest: date | None
    delivered_on: date | None = None


@dataclass(frozen=True)
class LastNews:
    """What the carrier said last of one parcel."""

    kind: EventKind | None  # None: no event yet
    day: date | None  # the day of that event (the warehouse's local day)
    picked_up_on: date | None  # the day of the first pickup scan, if any


def predict(news: LastNews, lane: Lane, *, ships_on: date, today: date, delivers_at_point: bool) -> Prediction:
    """The delivery window from the carrier's last news (the rules in this module's docstring)."""
    kind, day = news.kind, news.day
    if day is not None and (kind is EventKind.DELIVERED or (delivers_at_point and kind in ARRIVED)):
        return Prediction(day, day, delivered_on=day)
    if kind is EventKind.RETURNED:
        return Prediction(None, None)
    floor = lane.on_or_after(today)
    if kind is EventKind.OUT_FOR_DELIVERY and day is not None:
        on = day if day >= today else floor
        return Prediction(on, on)
    if kind is EventKind.DELIVERY_FAILED and day is not None:
        on = max(lane.after(day, 1), floor)
        return Prediction(on, on)
    if kind is EventKind.EXCEPTION and day is not None:
        start = max(day, today - _ONE_DAY)
    elif news.picked_up_on is not None:
        start = news.picked_up_on
    elif ships_on >= today:
        start = ships_on
    else:  # the planned pickup went by without a scan: the next pickup day
        start = lane.on_or_after(today, lane.pickup_weekdays)
    min_days, max_days = lane.transit(start)
    if lane.figures is not None and news.picked_up_on is not None and start == news.picked_up_on < today:
        # On its way for `gone` business days and not delivered (today is not over): the lane's p90
        # among its parcels that took longer than that.
        gone = business_days_between(start, today - _ONE_DAY, lane.delivery_weekdays, lane.country, lane.region)
        later = lane.figures.for_pickup(start).quantile_after(0.9, gone)
        max_days = max_days if later is None else max(max_days, later)
    earliest = max(lane.after(start, min_days), floor)
    latest = max(lane.after(start, max_days), earliest)
    return Prediction(earliest, latest)


def combine(predictions: list[Prediction]) -> Prediction:
    """A shipment's window from its parcels': it is delivered when its last parcel is."""
    if any(p.earliest is None for p in predictions):
        return Prediction(None, None)
    delivered = [p.delivered_on for p in predictions]
    return Prediction(
        max(p.earliest for p in predictions if p.earliest is not None),
        max(p.latest for p in predictions if p.latest is not None),
        delivered_on=None if None in delivered else max(d for d in delivered if d is not None),
    )


def verdict(prediction: Prediction, promised_by: date | None, today: date) -> PromiseStatus:
    """The shipment against the date the shopper was shown (no date shown: judged on nothing but
    delivery, so on track until delivered, then on time)."""
    if prediction.delivered_on is not None:
        late = promised_by is not None and prediction.delivered_on > promised_by
        return PromiseStatus.DELIVERED_LATE if late else PromiseStatus.DELIVERED_ON_TIME
    if promised_by is None:
        return PromiseStatus.ON_TRACK
    if prediction.earliest is None or prediction.latest is None:
        return PromiseStatus.LATE
    if today > promised_by or prediction.earliest > promised_by:
        return PromiseStatus.LATE
    if prediction.latest > promised_by:
        return PromiseStatus.AT_RISK
    return PromiseStatus.ON_TRACK
