"""The shopper's tracking page, /t/<token>: no key, an unguessable token per shipment; French or
English (?lang=, else the order's language, else the browser's, else French); made for a phone.

It shows the date the shopper was shown, where the parcel is now (the promise watch's prediction),
the carrier's events, and the pickup point with its address and hours."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue

from tms.domain.pickup_points import clock_text
from tms.domain.shipments import PromiseStatus, ShipmentStatus
from tms.domain.tracking import EventKind
from tms.services.promises import Tracked, tracked_shipment

LANGUAGES = ("fr", "en")
TOKEN_MAX = 43

bp = Blueprint("tracking_page", __name__, template_folder="templates")

MONTHS = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
WEEKDAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
KINDS = {
    "fr": {
        EventKind.LABEL_CREATED: "Étiquette créée",
        EventKind.PICKED_UP: "Pris en charge par le transporteur",
        EventKind.IN_TRANSIT: "En transit",
        EventKind.OUT_FOR_DELIVERY: "En cours de livraison",
        EventKind.AVAILABLE_FOR_PICKUP: "Disponible au point de retrait",
        EventKind.DELIVERED: "Livré",
        EventKind.DELIVERY_FAILED: "Livraison manquée",
        EventKind.EXCEPTION: "Incident de transport",
        EventKind.RETURNED: "Retourné à l'expéditeur",
        EventKind.UNKNOWN: "Information du transporteur",
    },
    "en": {
        EventKind.LABEL_CREATED: "Label created",
        EventKind.PICKED_UP: "Picked up by the carrier",
        EventKind.IN_TRANSIT: "In transit",
        EventKind.OUT_FOR_DELIVERY: "Out for delivery",
        EventKind.AVAILABLE_FOR_PICKUP: "Ready for collection",
        EventKind.DELIVERED: "Delivered",
        EventKind.DELIVERY_FAILED: "Delivery attempt failed",
        EventKind.EXCEPTION: "Delay in transit",
        EventKind.RETURNED: "Returned to the sender",
        EventKind.UNKNOWN: "Carrier update",
    },
}
TEXT = {
    "fr": {
        "title": "Suivi de votre commande",
        "order": "Commande",
        "orders": "Commandes",
        "promised": "Date de livraison annoncée",
        "expected": "Livraison prévue",
        "between": "entre le {0} et le {1}",
        "on": "le {0}",
        "preparing": "Votre commande est en préparation.",
        "on_its_way": "Votre colis est en route.",
        "late": "Votre colis a du retard : il est maintenant attendu {0}. Nous vous prions de nous en excuser.",
        "returned": "Votre colis revient chez nous : nous vous contactons.",
        "delivered": "Livré le {0}.",
        "waiting": "Votre colis vous attend au point de retrait jusqu'au {0}.",
        "waiting_open": "Votre colis vous attend au point de retrait.",
        "collected": "Retiré le {0}.",
        "carrier": "Transporteur",
        "tracking_numbers": "Numéros de suivi",
        "history": "Historique",
        "no_events": "Le transporteur n'a encore rien signalé.",
        "point": "Point de retrait",
        "hours": "Horaires",
        "closed": "fermé",
        "language": "English",
    },
    "en": {
        "title": "Your order's tracking",
        "order": "Order",
        "orders": "Orders",
        "promised": "Delivery date announced",
        "expected": "Expected delivery",
        "between": "between {0} and {1}",
        "on": "on {0}",
        "preparing": "Your order is being prepared.",
        "on_its_way": "Your parcel is on its way.",
        "late": "Your parcel is late: it is now expected {0}. We are sorry for the delay.",
        "returned": "Your parcel is on its way back to us: we will contact you.",
        "delivered": "Delivered on {0}.",
        "waiting": "Your parcel is waiting for you at the pickup point until {0}.",
        "waiting_open": "Your parcel is waiting for you at the pickup point.",
        "collected": "Collected on {0}.",
        "carrier": "Carrier",
        "tracking_numbers": "Tracking numbers",
        "history": "History",
        "no_events": "The carrier has reported nothing yet.",
        "point": "Pickup point",
        "hours": "Opening hours",
        "closed": "closed",
        "language": "Français",
    },
}


def long_date(day: date | None, language: str) -> str:
    """`5 mars 2026` in French, `5 March 2026` in English."""
    if day is None:
        return ""
    first = "1er" if language == "fr" and day.day == 1 else str(day.day)
    return f"{first} {MONTHS[language][day.month - 1]} {day.year}"


def _language(tracked: Tracked) -> str:
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        return asked
    chosen = next((o.language for o in tracked.orders if o.language in LANGUAGES), None)
    if chosen:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "fr"


def _headline(tracked: Tracked, t: dict[str, str], language: str) -> tuple[str, str]:
    """(what the page says first, its tone: ok, late or done)."""
    s = tracked.shipment

    def day(value: date | None) -> str:
        return long_date(value, language)

    kinds = [e.event.kind for e in tracked.events]
    if EventKind.RETURNED in kinds:
        return t["returned"], "late"
    if s.status is ShipmentStatus.DELIVERED:
        collected = [e for e in tracked.events if e.event.kind is EventKind.DELIVERED]
        if s.mode != "home" and not collected:
            message = t["waiting"].format(day(tracked.held_until)) if tracked.held_until else t["waiting_open"]
            return message, "ok"
        if s.mode != "home":
            zone = ZoneInfo(current_app.extensions["tms"].settings.timezone)
            return t["collected"].format(day(collected[-1].event.occurred_at.astimezone(zone).date())), "done"
        return t["delivered"].format(day(s.delivered_on)), "done"
    preparing = s.status is ShipmentStatus.PLANNED and not s.tracking_numbers
    headline = t["preparing"] if preparing else t["on_its_way"]
    if s.promise_status is PromiseStatus.LATE and s.predicted_on is not None:
        return t["late"].format(t["on"].format(day(s.predicted_on))), "late"
    return headline, "ok"


def page_context(tracked: Tracked, language: str, timezone: str) -> dict[str, Any]:
    t = TEXT[language]
    s = tracked.shipment
    zone = ZoneInfo(timezone)
    earliest = s.detail.get("delivery", {}).get("earliest")
    expected = ""
    if s.status is not ShipmentStatus.DELIVERED and s.predicted_on is not None:
        start = date.fromisoformat(earliest) if earliest and s.promise_status is None else None
        expected = (
            t["between"].format(long_date(start, language), long_date(s.predicted_on, language))
            if start is not None and start < s.predicted_on
            else t["on"].format(long_date(s.predicted_on, language))
        )
    headline, tone = _headline(tracked, t, language)

    def moment(at: datetime) -> str:
        local = at.astimezone(zone)
        return f"{long_date(local.date(), language)}, {local:%H:%M}"

    events = [
        {
            "when": moment(e.event.occurred_at),
            "what": KINDS[language][e.event.kind],
            "said": e.event.description,
            "where": e.event.location,
        }
        for e in reversed(tracked.events)
    ]
    point = tracked.point
    return {
        "t": t,
        "language": language,
        "other_language": "en" if language == "fr" else "fr",
        "shop_name": _shop_name(),
        "orders": [o.order_ref for o in tracked.orders],
        "headline": headline,
        "tone": tone,
        "promised": long_date(s.promised_by, language),
        "expected": expected,
        "carrier": tracked.carrier_name,
        "tracking_numbers": list(s.tracking_numbers),
        "events": events,
        "point": None
        if point is None
        else {
            "name": point.name,
            "address": point.address,
            "postcode": point.postcode,
            "city": point.city,
            "hours": [
                (
                    WEEKDAYS[language][day],
                    ", ".join(f"{clock_text(o)}–{clock_text(c)}" for o, c in ranges) or t["closed"],
                )
                for day, ranges in enumerate(point.hours)
            ],
        },
        "point_name": tracked.point_name,
        "held_until": long_date(tracked.held_until, language),
    }


def _shop_name() -> str:
    return str(current_app.extensions["tms"].settings.notifications_shop_name)


@bp.get("/t/<token>")
def tracking_page(token: str) -> ResponseReturnValue:
    if not 0 < len(token) <= TOKEN_MAX:
        abort(404)
    container = current_app.extensions["tms"]
    tracked = tracked_shipment(container.uow(), container.promise_watch, token)
    if tracked is None:
        abort(404)
    language = _language(tracked)
    html = render_template("tracking.html", **page_context(tracked, language, container.settings.timezone))
    return (
        html,
        200,
        {
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Robots-Tag": "noindex",
            "Content-Language": language,
            "Vary": "Accept-Language",
        },
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
