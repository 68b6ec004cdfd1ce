"""The database tables, as typed SQLAlchemy 2 mappings. Only persistence imports this."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Document = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC; SQLite forgets the zone, so it is put back on reading."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime()}


class CarrierRow(Base):
    __tablename__ = "carriers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()

    cards: Mapped[list[RateCardRow]] = relationship(back_populates="carrier")


class RateCardRow(Base):
    __tablename__ = "rate_cards"
    __table_args__ = (UniqueConstraint("carrier_id", "version", name="uq_rate_cards_carrier_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), index=True)
    checksum: Mapped[str] = mapped_column(String(64))
    source_format: Mapped[str] = mapped_column(String(16))
    source_name: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column()
    uploaded_by: Mapped[str] = mapped_column(String(200))
    activated_at: Mapped[datetime | None] = mapped_column()
    retired_at: Mapped[datetime | None] = mapped_column()
    document: Mapped[dict[str, Any]] = mapped_column(Document)

    carrier: Mapped[CarrierRow] = relationship(back_populates="cards")


class FuelSurchargeRow(Base):
    __tablename__ = "fuel_surcharges"
    __table_args__ = (UniqueConstraint("carrier_id", "valid_from", name="uq_fuel_surcharges_carrier_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    percent_bp: Mapped[int] = mapped_column(Integer)
    set_at: Mapped[datetime] = mapped_column()


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    display_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    channel: Mapped[str | None] = mapped_column(String(64))  # None: the key is a channel of its own


class ManagerSessionRow(Base):
    """A signed-in manager page session; the cookie holds the random token, this row its SHA-256."""

    __tablename__ = "manager_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    created_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None] = mapped_column()


class ShippingPolicyRow(Base):
    """Every version of the free-shipping policy; the newest is in force."""

    __tablename__ = "shipping_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(Document)
    set_at: Mapped[datetime] = mapped_column()
    set_by: Mapped[str] = mapped_column(String(200))


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_pickup_booking", "ships_on", "carrier", "warehouse"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_ref: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    warehouse: Mapped[str] = mapped_column(String(40))
    ordered_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    name: Mapped[str] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(300))
    postcode: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    consignee_key: Mapped[str] = mapped_column(String(800), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str | None] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(40))
    pickup_point_id: Mapped[str | None] = mapped_column(String(100))
    deliver_by: Mapped[date | None] = mapped_column(Date)
    deliver_after: Mapped[date | None] = mapped_column(Date)
    cart_value_cents: Mapped[int] = mapped_column(Integer)
    items: Mapped[list[dict[str, Any]]] = mapped_column(Document)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("consolidation_runs.id"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"))
    attention: Mapped[str | None] = mapped_column(String(300))
    channel: Mapped[str | None] = mapped_column(String(64))  # of the key that registered it; None before 0005
    # What the shopper's choice holds the plan to: speed, signature, appointment, insurance_cents; None before 0010
    features: Mapped[dict[str, Any] | None] = mapped_column(Document)
    email: Mapped[str | None] = mapped_column(String(254))  # the shopper's, for the messages after checkout
    language: Mapped[str | None] = mapped_column(String(2))  # of those messages and the tracking page
    shipping_paid_cents: Mapped[int | None] = mapped_column(Integer)  # what the shopper paid for shipping
    ships_on: Mapped[date | None] = mapped_column(Date)  # the pickup day the checkout sold; None before 0015
    weight_g: Mapped[int | None] = mapped_column(Integer)  # of its items: what it books of that pickup


class ConsolidationRunRow(Base):
    """One planning run of a warehouse. At most one succeeded run per (shipping date, warehouse, run time),
    a partial unique index; runs before per-warehouse planning have warehouse and run_at ''."""

    __tablename__ = "consolidation_runs"
    __table_args__ = (
        Index(
            "uq_consolidation_runs_slot_succeeded",
            "shipping_date",
            "warehouse",
            "run_at",
            unique=True,
            sqlite_where=text("status = 'succeeded'"),
            postgresql_where=text("status = 'succeeded'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipping_date: Mapped[date] = mapped_column(Date)
    warehouse: Mapped[str] = mapped_column(String(40), server_default="")
    run_at: Mapped[str] = mapped_column(String(5), server_default="")  # HH:MM, the warehouse's local time
    status: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime] = mapped_column()
    summary: Mapped[dict[str, Any]] = mapped_column(Document)
    error: Mapped[str] = mapped_column(String(2000), default="")


class ShipmentRow(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("consolidation_runs.id"), index=True)
    ships_on: Mapped[date] = mapped_column(Date, index=True)
    carrier: Mapped[str] = mapped_column(String(40))
    service: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(16))
    parcels: Mapped[int] = mapped_column(Integer)
    weight_g: Mapped[int] = mapped_column(Integer)
    cost_cents: Mapped[int] = mapped_column(Integer)
    rate_card_id: Mapped[int] = mapped_column(ForeignKey("rate_cards.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(Document)
    status: Mapped[str] = mapped_column(String(16), server_default="planned", index=True)
    tracking_numbers: Mapped[list[str]] = mapped_column(Document, server_default="[]")
    dispatched_at: Mapped[datetime | None] = mapped_column()
    tracking_token: Mapped[str | None] = mapped_column(
        String(43), index=True, unique=True
    )  # the shopper's tracking page
    promised_by: Mapped[date | None] = mapped_column(Date)  # the date the shopper was shown
    predicted_on: Mapped[date | None] = mapped_column(Date)
    promise_status: Mapped[str | None] = mapped_column(String(24), index=True)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    watched_at: Mapped[datetime | None] = mapped_column()


class ShipmentParcelRow(Base):
    """A dispatched parcel's tracking number, indexed: a carrier's event finds its shipment in one probe."""

    __tablename__ = "shipment_parcels"
    __table_args__ = (Index("ix_shipment_parcels_number", "carrier", "tracking_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(40))
    tracking_number: Mapped[str] = mapped_column(String(64))


class PickupDirectoryRow(Base):
    """One version of a carrier's pickup-point directory; its points are one JSON document (read
    only when the in-memory index is built, so listing versions never loads them)."""

    __tablename__ = "pickup_directories"
    __table_args__ = (UniqueConstraint("carrier_id", "version", name="uq_pickup_directories_carrier_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    checksum: Mapped[str] = mapped_column(String(64))
    point_count: Mapped[int] = mapped_column(Integer)
    source_format: Mapped[str] = mapped_column(String(16))
    source_name: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column()
    uploaded_by: Mapped[str] = mapped_column(String(200))
    activated_at: Mapped[datetime | None] = mapped_column()
    retired_at: Mapped[datetime | None] = mapped_column()
    document: Mapped[dict[str, Any]] = mapped_column(Document, deferred=True)

    carrier: Mapped[CarrierRow] = relationship(lazy="joined")


class TrackingEventRow(Base):
    """A carrier's tracking event, once per (carrier, tracking number, code, time); shipment_id is
    None while no shipment has its tracking number (an unmatched event)."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        UniqueConstraint("carrier", "tracking_number", "code", "occurred_at", name="uq_tracking_events_event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier: Mapped[str] = mapped_column(String(40))
    tracking_number: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(24))
    occurred_at: Mapped[datetime] = mapped_column()
    description: Mapped[str] = mapped_column(String(500), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    pickup_point: Mapped[str] = mapped_column(String(200), default="")
    held_until: Mapped[date | None] = mapped_column(Date)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column()


class OutboxMessageRow(Base):
    """A message to send (an e-mail to a shopper, a webhook to a subscription), written in the
    transaction of the change that causes it; its idempotency key is unique."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    event_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(320))
    payload: Mapped[dict[str, Any]] = mapped_column(Document)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    retry_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()


class WebhookSubscriptionRow(Base):
    """A URL the merchant registered for some topics; the secret signs what is sent to it."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    topics: Mapped[list[str]] = mapped_column(Document)
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column()
