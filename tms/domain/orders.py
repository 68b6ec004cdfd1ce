"""Paid orders waiting to ship, and what the nightly run made of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from tms.domain.consignees import address_identity, pickup_identity
from tms.domain.features import Features
from tms.domain.modes import DeliveryMode


class OrderStatus(StrEnum):
    PENDING = "pending"  # paid, waiting for a run
    PLANNED = "planned"  # in a shipment of a run's plan
    DISPATCHED = "dispatched"  # handed to the carrier
    DELIVERED = "delivered"  # every parcel of its shipment delivered (or collected at the point)
    CANCELLED = "cancelled"
    NEEDS_ATTENTION = "needs_attention"  # its promise can no longer be kept, or nothing can carry it: see `attention`


@dataclass(frozen=True)
class Item:
    sku: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    quantity: int = 1


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    postcode: str
    city: str
    country: str


@dataclass(frozen=True)
class Order:
    order_ref: str
    warehouse: str
    ordered_at: datetime
    address: Address
    mode: DeliveryMode  # the shopper's choice: home, pickup_point, locker (kept by the plan)
    items: tuple[Item, ...]
    cart_value_cents: int
    deliver_by: date | None = None
    deliver_after: date | None = None
    carrier: str | None = None  # the shopper's choice; another carrier of the same mode may replace it
    service: str | None = None
    pickup_point_id: str | None = None  # with a pickup point, the carrier of its network is kept
    status: OrderStatus = OrderStatus.PENDING
    created_at: datetime | None = None
    run_id: int | None = None
    shipment_id: int | None = None  # the shipment a run put it in
    # Why a run could not plan it and never will, when it needs attention; while pending, why the last run left it
    # (no carrier capacity left), if it did
    attention: str | None = None
    channel: str | None = None  # the channel of the key that registered it (None: registered before channels)
    # What the shopper's choice holds the plan to: the features the order states, with those of the service it
    # names as the card in force at checkout had them, recorded at registration (None: registered before).
    features: Features | None = None
    email: str | None = None  # the shopper's: shipped, delayed, waiting at the point, delivered
    language: str | None = None  # "fr" or "en" for those messages and the tracking page (None: the shop's)
    shipping_paid_cents: int | None = None  # what the shopper paid for shipping (None: not told)
    # The pickup day the checkout sold it for, with its carrier's room that day (`tms.domain.capacity`);
    # None when it names no service, or was registered before this was recorded.
    ships_on: date | None = None

    @property
    def consignee_key(self) -> str:
        """Orders with the same key may travel together: the same person at the same address, or
        collecting at the same pickup point (see `tms.domain.consignees`)."""
        a = self.address
        if self.pickup_point_id:
            return pickup_identity(self.carrier or "", self.pickup_point_id, a.name)
        return address_identity(a.name, a.line1, a.postcode, a.city, a.country)

    @property
    def weight_g(self) -> int:
        return sum(i.weight_g * i.quantity for i in self.items)
