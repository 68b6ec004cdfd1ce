"""Shopify's CarrierService callback, spoken natively: Shopify posts the cart, we answer with rates.

Request: {"rate": {"origin": {...}, "destination": {"country", "postal_code", ...},
"items": [{"grams", "quantity", "price" (cents), "requires_shipping", ...}], "currency"}}.
Response: {"rates": [{"service_name", "service_code", "total_price" (cents, a string),
"currency", "description", "min_delivery_date", "max_delivery_date"}]}, one rate per delivery
mode (its cheapest option) and an empty list when nothing can serve. Shopify sends no
dimensions, so the items travel as one parcel of their total weight in the default box.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date, datetime
from typing import Any

from tms.api.quote_io import parse_quote_request
from tms.domain.errors import InvalidInput, Problem
from tms.domain.modes import DeliveryMode
from tms.domain.quotes import Quote

DEFAULT_BOX_CM = (30, 20, 15)
MODE_LABELS: dict[str, str] = {
    DeliveryMode.HOME: "Home delivery",
    DeliveryMode.PICKUP_POINT: "Pickup point",
    DeliveryMode.LOCKER: "Parcel locker",
}


def valid_shopify_signature(body: bytes, signature: str, secret: str) -> bool:
    """Shopify signs the raw body with the app's secret (HMAC-SHA256, base64)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest), signature.strip().encode("utf-8", "replace"))


def parse_shopify_request(body: Any, *, now: datetime) -> Any:
    rate = body.get("rate") if isinstance(body, dict) else None
    if not isinstance(rate, dict):
        raise InvalidInput("not a Shopify rate request", [Problem("is required", field="rate")])
    destination = rate.get("destination")
    if not isinstance(destination, dict):
        raise InvalidInput("not a Shopify rate request", [Problem("must be an object", field="rate.destination")])
    raw_items = rate.get("items")
    items = [
        i
        for i in (raw_items if isinstance(raw_items, list) else [])
        if isinstance(i, dict) and i.get("requires_shipping", True)
    ]
    problems = []
    grams = 0
    value_cents = 0
    for i, item in enumerate(items):
        quantity, weight, price = item.get("quantity", 1), item.get("grams", 0), item.get("price", 0)
        if not all(isinstance(v, int) and 0 <= v <= 10**9 for v in (quantity, weight, price)):
            problems.append(Problem("quantity, grams and price must be whole numbers >= 0", field=f"rate.items[{i}]"))
            continue
        grams += quantity * weight
        value_cents += quantity * price
    if not items:
        problems.append(Problem("no item requires shipping", field="rate.items"))
    if problems:
        raise InvalidInput("not a valid Shopify rate request", problems)
    length, width, height = DEFAULT_BOX_CM
    return parse_quote_request(
        {
            "order_ref": f"shopify-{now.isoformat()}",
            "ordered_at": now.isoformat(),
            "destination": {
                "country": destination.get("country"),
                "postcode": destination.get("postal_code"),
                "city": destination.get("city") or "",
            },
            "parcels": [
                {"weight_kg": max(grams, 1) / 1000, "length_cm": length, "width_cm": width, "height_cm": height}
            ],
            "cart": {"value": value_cents / 100, "currency": rate.get("currency") or "EUR"},
        }
    )


def _distance(metres: int) -> str:
    return f"{metres} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def _shopify_date(day: date) -> str:
    return f"{day.isoformat()} 18:00:00 +0000"


def shopify_rates(quote: Quote, *, points_as_rates: bool = False) -> dict[str, Any]:
    """One rate per delivery mode, its cheapest option; with `points_as_rates`, a pickup-point or
    locker option's nearest points as rates of their own, since Shopify's checkout has no point
    picker (the point's identifier is in the service code: carrier:service:point)."""
    rates = []
    for mode, option in quote.cheapest.items():
        if option is None:
            continue
        offered = quote.points.get((option.carrier, option.service)) if points_as_rates else None
        if offered:
            for offer in offered:
                point = offer.point
                label = f"{point.name}, {point.address}, {point.postcode} {point.city} ({_distance(offer.distance_m)})"
                rates.append(
                    {
                        "service_name": f"{MODE_LABELS.get(mode, mode)} - {option.carrier_name}: {label}",
                        "service_code": f"{option.carrier}:{option.service}:{point.point_id}",
                        "total_price": str(option.customer_price_cents),
                        "currency": option.currency,
                        "description": f"{option.service_name}, to collect from {offer.available_from} "
                        f"(by {offer.available_by})",
                        "min_delivery_date": _shopify_date(offer.available_from),
                        "max_delivery_date": _shopify_date(offer.available_by),
                    }
                )
            continue
        rates.append(
            {
                "service_name": f"{MODE_LABELS.get(mode, mode)} - {option.carrier_name}",
                "service_code": f"{option.carrier}:{option.service}",
                "total_price": str(option.customer_price_cents),
                "currency": option.currency,
                "description": f"{option.service_name}, delivered {option.earliest} to {option.latest}",
                "min_delivery_date": _shopify_date(option.earliest),
                "max_delivery_date": _shopify_date(option.latest),
            }
        )
    return {"rates": rates}
