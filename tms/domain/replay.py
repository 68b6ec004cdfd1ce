"""Past shipments as a replay reads them back: what was shipped, where, when, in which boxes, and
what its postage cost when it was planned. Plain values, shared by the store and the replay."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from tms.domain.orders import Item


@dataclass(frozen=True)
class PastOrder:
    """An order of a past shipment: its destination, its pickup point if any, and its items."""

    order_ref: str
    country: str
    postcode: str
    pickup_point_id: str | None
    items: tuple[Item, ...]


@dataclass(frozen=True)
class PastShipment:
    """A shipment a run booked: its carrier, service and card, its boxes (box type, item ids
    ``<order ref>/<item index>/<unit>`` as the plan names them), and its postage in cents."""

    id: int
    ships_on: date
    carrier: str
    service: str
    mode: str
    rate_card_id: int
    parcels: int
    transport_cents: int
    boxes: tuple[tuple[str, tuple[str, ...]], ...]
    orders: tuple[PastOrder, ...]


def past_shipment(
    *,
    shipment_id: int,
    ships_on: date,
    carrier: str,
    service: str,
    mode: str,
    rate_card_id: int,
    parcels: int,
    detail: Mapping[str, Any],
    orders: tuple[PastOrder, ...],
) -> PastShipment:
    """A stored shipment read back from its document (`tms.domain.plans.shipment_document`): the
    boxes and the transport cost it was planned with (the document keeps euros, to the cent)."""
    transport = detail.get("cost", {}).get("transport", 0)
    boxes = tuple((str(b["box"]), tuple(str(i) for i in b["items"])) for b in detail.get("boxes", ()))
    return PastShipment(
        shipment_id,
        ships_on,
        carrier,
        service,
        mode,
        rate_card_id,
        parcels,
        round(float(transport) * 100),
        boxes,
        orders,
    )


def past_order(order_ref: str, country: str, postcode: str, pickup_point_id: str | None, items: Any) -> PastOrder:
    """An order of a past shipment from its stored columns (its items as the store keeps them)."""
    return PastOrder(order_ref, country, postcode, pickup_point_id, tuple(Item(**item) for item in items))
