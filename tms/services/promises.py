"""The promise watch: each open shipment's delivery predicted from what its carrier last said, its
verdict against the date the shopper was shown recorded, and the shopper told of what changed.

`PromiseWatch.review` looks at one shipment inside the caller's transaction, so that a message is
written in the same transaction as the change that causes it: the dispatch (shipped), a tracking
event (waiting at the point, delivered) or the watch's own verdict (delayed). `PromiseWatch.run`
reviews every open shipment; the scheduler calls it every few minutes, never a web worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tms.domain.delivery import holiday_region
from tms.domain.lane_stats import LaneFigures, LaneKey
from tms.domain.modes import DeliveryMode
from tms.domain.orders import Order
from tms.domain.pickup_points import PickupPoint, clock_text
from tms.domain.promises import Lane, LastNews, Prediction, combine, predict, verdict
from tms.domain.shipments import PromiseStatus, Shipment, ShipmentStatus
from tms.domain.tracking import EventKind, StoredEvent
from tms.services.notifications import Recipient, Topic, notify
from tms.services.rate_cards import load_card
from tms.services.unit_of_work import UnitOfWork

log = logging.getLogger("tms.promises")

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PAGE = 200


@dataclass(frozen=True)
class Review:
    shipment_id: int
    prediction: Prediction
    status: PromiseStatus
    messages: int


@dataclass(frozen=True)
class WatchReport:
    reviewed: int
    at_risk: int
    late: int
    delivered: int
    messages: int
    failed: int  # shipments that could not be reviewed (logged; reviewed again next time)


@dataclass
class PromiseWatch:
    """What reviewing a shipment needs besides the database: the shop's time zone (whose day an
    event's moment falls on), the public address of the tracking pages, the compensation code a
    delayed shopper is offered, and the pickup points in use (to show the point's address and hours)."""

    timezone: str = "Europe/Paris"
    public_url: str = "http://127.0.0.1:8000"
    compensation_code: str = ""
    feedback_url: str = ""
    point: Callable[[str, str], PickupPoint | None] = lambda carrier, point_id: None
    figures: Callable[[LaneKey], LaneFigures | None] = lambda lane: None  # learned delivery times
    _lanes: dict[tuple[int, str, str, str], tuple[Lane, LaneKey] | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._zone = ZoneInfo(self.timezone)

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self._zone).date()

    def tracking_url(self, shipment: Shipment) -> str:
        return f"{self.public_url.rstrip('/')}/t/{shipment.tracking_token}"

    # -- one shipment ------------------------------------------------------------------------

    def review(self, uow: UnitOfWork, shipment: Shipment, now: datetime) -> Review | None:
        """Predict, judge and record the shipment; write the messages the change causes. None when
        it is not watched (delivered already, or its lane is unknown to its card)."""
        orders = [o for o in (uow.orders.get(ref) for ref in shipment.orders) if o is not None]
        if not orders:
            return None
        if shipment.status is ShipmentStatus.DELIVERED:  # at a point: collected later, and the shopper thanked
            collected = shipment.tracking_numbers and self._all_collected(uow, shipment)
            if collected and shipment.mode != DeliveryMode.HOME.value:
                self._tell(
                    uow, Topic.DELIVERED, "delivered", shipment, orders, now, feedback_url=self.feedback_url or None
                )
            return None
        lane = self._lane(uow, shipment, orders[0])
        if lane is None:
            return None
        today = self.day(now)
        events = uow.tracking.for_shipment(shipment.id) if shipment.tracking_numbers else []
        at_point = shipment.mode != DeliveryMode.HOME.value
        parcels = shipment.tracking_numbers or ("",)
        prediction = combine(
            [
                predict(
                    self._news(events, number),
                    lane,
                    ships_on=shipment.ships_on,
                    today=today,
                    delivers_at_point=at_point,
                )
                for number in parcels
            ]
        )
        status = verdict(prediction, shipment.promised_by, today)
        messages = 0
        if prediction.delivered_on is not None and shipment.status is ShipmentStatus.DISPATCHED:
            uow.shipments.deliver(shipment.id, prediction.delivered_on, status, now)
            if not at_point:
                messages += self._tell(
                    uow, Topic.DELIVERED, "delivered", shipment, orders, now, feedback_url=self.feedback_url or None
                )
        else:
            uow.shipments.set_promise(shipment.id, predicted_on=prediction.latest, status=status, at=now)
        waiting = [e for e in events if e.event.kind is EventKind.AVAILABLE_FOR_PICKUP]
        if at_point and waiting:
            messages += self._tell_waiting(uow, shipment, orders, waiting[-1], now)
        if status is PromiseStatus.LATE and prediction.delivered_on is None:
            new_date = prediction.latest
            messages += self._tell(
                uow,
                Topic.DELAYED,
                f"delayed:{new_date.isoformat() if new_date else 'returned'}",
                shipment,
                orders,
                now,
                new_date=None if new_date is None else new_date.isoformat(),
                compensation_code=self.compensation_code or None,
            )
        return Review(shipment.id, prediction, status, messages)

    def shipped(self, uow: UnitOfWork, shipment: Shipment, now: datetime) -> int:
        """The shipment was handed to the carrier: tell its shoppers and predict its delivery (in the
        dispatch's transaction)."""
        orders = [o for o in (uow.orders.get(ref) for ref in shipment.orders) if o is not None]
        point_id = next((o.pickup_point_id for o in orders if o.pickup_point_id), None)
        point = self.point(shipment.carrier, point_id) if point_id else None
        more = {} if point is None else {"point": point_json(point)}
        told = self._tell(uow, Topic.SHIPPED, "shipped", shipment, orders, now, **more)
        review = self.review(uow, shipment, now)
        return told + (0 if review is None else review.messages)

    def _all_collected(self, uow: UnitOfWork, shipment: Shipment) -> bool:
        collected = {
            e.event.tracking_number
            for e in uow.tracking.for_shipment(shipment.id)
            if e.event.kind is EventKind.DELIVERED
        }
        return all(number in collected for number in shipment.tracking_numbers)

    def _news(self, events: Sequence[StoredEvent], tracking_number: str) -> LastNews:
        mine = [e.event for e in events if e.event.tracking_number == tracking_number]
        picked = [e for e in mine if e.kind is EventKind.PICKED_UP]
        told = [e for e in mine if e.kind not in {EventKind.UNKNOWN, EventKind.LABEL_CREATED}]
        last = told[-1] if told else None
        return LastNews(
            kind=None if last is None else last.kind,
            day=None if last is None else self.day(last.occurred_at),
            picked_up_on=self.day(picked[0].occurred_at) if picked else None,
        )

    def _lane(self, uow: UnitOfWork, shipment: Shipment, order: Order) -> Lane | None:
        country, postcode = order.address.country, order.address.postcode
        key = (shipment.rate_card_id, shipment.service, country, postcode)
        if key not in self._lanes:
            self._lanes[key] = _lane_of_card(uow, shipment, country, postcode)
            if len(self._lanes) > 50_000:  # bounded: the next reviews read the cards again
                self._lanes.clear()
        found = self._lanes.get(key)
        if found is None:
            return None
        lane, lane_key = found
        figures = self.figures(lane_key)
        return lane if figures is None else replace(lane, figures=figures)

    # -- messages ----------------------------------------------------------------------------

    def _facts(self, uow: UnitOfWork, shipment: Shipment, **more: Any) -> dict[str, Any]:
        carrier = uow.carriers.get(shipment.carrier)
        return {
            "shipment_id": shipment.id,
            "carrier": shipment.carrier,
            "carrier_name": carrier.name if carrier is not None else shipment.carrier,
            "service": shipment.service,
            "tracking_numbers": list(shipment.tracking_numbers),
            "tracking_url": self.tracking_url(shipment),
            "promised_date": None if shipment.promised_by is None else shipment.promised_by.isoformat(),
            **more,
        }

    def _tell(
        self,
        uow: UnitOfWork,
        topic: Topic,
        what: str,
        shipment: Shipment,
        orders: Sequence[Order],
        now: datetime,
        **more: Any,
    ) -> int:
        return notify(
            uow,
            topic,
            key=f"shipment:{shipment.id}:{what}",
            recipients=recipients(orders),
            facts=self._facts(uow, shipment, **more),
            now=now,
        )

    def _tell_waiting(
        self, uow: UnitOfWork, shipment: Shipment, orders: Sequence[Order], waiting: StoredEvent, now: datetime
    ) -> int:
        event = waiting.event
        point_id = orders[0].pickup_point_id or event.pickup_point
        point = self.point(shipment.carrier, point_id) if point_id else None
        return self._tell(
            uow,
            Topic.AVAILABLE_FOR_PICKUP,
            "available_for_pickup",
            shipment,
            orders,
            now,
            point=point_json(point) if point is not None else {"id": point_id, "name": event.pickup_point or point_id},
            held_until=None if event.held_until is None else event.held_until.isoformat(),
        )

    # -- every open shipment -----------------------------------------------------------------

    def run(self, new_uow: Callable[[], UnitOfWork], now: datetime) -> WatchReport:
        """Review every planned or dispatched shipment, a page per transaction (idempotent: a second
        run at the same moment changes nothing and writes no message twice)."""
        reviewed = at_risk = late = delivered = messages = failed = 0
        after = 0
        while True:
            with new_uow() as uow:
                page = uow.shipments.watched(after_id=after, limit=PAGE)
            if not page:
                break
            after = page[-1].id
            for shipment in page:
                try:
                    with new_uow() as uow:
                        current = uow.shipments.get(shipment.id)
                        review = None if current is None else self.review(uow, current, now)
                        uow.commit()
                except Exception:  # one shipment's trouble must not stop the watch of the others
                    log.exception("promise watch: shipment %s could not be reviewed", shipment.id)
                    failed += 1
                    continue
                if review is None:
                    continue
                reviewed += 1
                messages += review.messages
                at_risk += review.status is PromiseStatus.AT_RISK
                late += review.status is PromiseStatus.LATE
                delivered += review.prediction.delivered_on is not None
            if len(page) < PAGE:
                break
        return WatchReport(reviewed, at_risk, late, delivered, messages, failed)


def _lane_of_card(uow: UnitOfWork, shipment: Shipment, country: str, postcode: str) -> tuple[Lane, LaneKey] | None:
    from carriers.model import ZoneIndex

    record = uow.rate_cards.get(shipment.rate_card_id)
    if record is None:
        return None
    try:
        card = load_card(record)
    except Exception:  # checked at upload; a card that no longer reads leaves the shipment unwatched, said once
        log.exception("promise watch: card %s of shipment %s does not read", record.id, shipment.id)
        return None
    try:
        service = card.service(shipment.service)
    except KeyError:
        return None
    zone = ZoneIndex(card.zones).zone_for(country, postcode)
    transit = None if zone is None else service.transit.get(zone)
    if zone is None or transit is None:
        return None
    lane = Lane(
        transit.min_days,
        transit.max_days,
        service.pickup_weekdays,
        service.delivery_weekdays,
        country,
        holiday_region(country, postcode),
    )
    return lane, (shipment.carrier, shipment.service, zone)


def recipients(orders: Sequence[Order]) -> list[Recipient]:
    return [
        Recipient(
            order_ref=o.order_ref,
            email=o.email,
            language=o.language or "fr",
            name=o.address.name,
            items=tuple((item.sku, item.quantity) for item in o.items),
        )
        for o in orders
        if o.email
    ]


def point_json(point: PickupPoint) -> dict[str, Any]:
    return {
        "id": point.point_id,
        "name": point.name,
        "address": point.address,
        "postcode": point.postcode,
        "city": point.city,
        "hours": {
            WEEKDAYS[day]: [f"{clock_text(opens)}-{clock_text(closes)}" for opens, closes in ranges]
            for day, ranges in enumerate(point.hours)
        },
    }


@dataclass(frozen=True)
class Tracked:
    """What the shopper's tracking page shows of a shipment."""

    shipment: Shipment
    orders: tuple[Order, ...]
    events: tuple[StoredEvent, ...]  # by time, oldest first
    carrier_name: str
    point: PickupPoint | None
    point_name: str  # the carrier's name for the point when it is not in the directory
    held_until: date | None


def tracked_shipment(uow: UnitOfWork, watch: PromiseWatch, token: str) -> Tracked | None:
    """The shipment of a tracking page's token (None: no such page)."""
    with uow:
        shipment = uow.shipments.by_token(token)
        if shipment is None:
            return None
        orders = tuple(o for o in (uow.orders.get(ref) for ref in shipment.orders) if o is not None)
        events = tuple(uow.tracking.for_shipment(shipment.id))
        carrier = uow.carriers.get(shipment.carrier)
    waiting = [e.event for e in events if e.event.kind is EventKind.AVAILABLE_FOR_PICKUP]
    point_id = next((o.pickup_point_id for o in orders if o.pickup_point_id), None)
    point = watch.point(shipment.carrier, point_id) if point_id else None
    return Tracked(
        shipment=shipment,
        orders=orders,
        events=events,
        carrier_name=carrier.name if carrier is not None else shipment.carrier,
        point=point,
        point_name=waiting[-1].pickup_point if waiting else (point_id or ""),
        held_until=waiting[-1].held_until if waiting else None,
    )
