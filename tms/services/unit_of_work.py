"""What a use case needs from the store: repositories and one transaction.

Each repository is a Protocol: the SQL repositories (tms/persistence) and the in-memory fakes of
the unit tests both satisfy it. A store refuses a row whose unique key exists with `DuplicateKey`.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol

from tms.domain.access import ApiKey, Role
from tms.domain.capacity import Booking
from tms.domain.carriers import Carrier
from tms.domain.margins import ShippedOrder
from tms.domain.notifications import Channel, MessageStatus, OutboxMessage, Topic, WebhookSubscription
from tms.domain.orders import Order, OrderStatus
from tms.domain.pickup_points import DirectoryRecord, DirectoryStatus
from tms.domain.rate_cards import CardStatus, FuelSurcharge, RateCardRecord
from tms.domain.replay import PastShipment
from tms.domain.sessions import ManagerSession
from tms.domain.shipments import DaySpend, DeliveryOutcome, PromiseStatus, Shipment, ShipmentStatus
from tms.domain.tracking import DeliveredRecord, InTransitRecord, StoredEvent, TrackingEvent


class Carriers(Protocol):
    def get(self, code: str) -> Carrier | None: ...

    def list(self) -> list[Carrier]: ...

    def ensure(self, code: str, name: str, now: datetime) -> None:
        """Create the carrier if new; a different name renames it."""

    def id_of(self, code: str, *, lock: bool = False) -> int:
        """The carrier's id (LookupError if unknown); `lock` queues the carrier's other writers behind
        this transaction."""


class RateCards(Protocol):
    def add(
        self,
        *,
        carrier_code: str,
        valid_from: date,
        currency: str,
        status: CardStatus,
        checksum: str,
        source_format: str,
        source_name: str,
        uploaded_at: datetime,
        uploaded_by: str,
        document: dict[str, Any],
    ) -> RateCardRecord:
        """Store the carrier's next version (its highest + 1); an active one is activated at upload."""

    def get(self, card_id: int, *, fresh: bool = False) -> RateCardRecord | None: ...

    def list(self, *, carrier_code: str | None = None, statuses: Sequence[CardStatus] = ()) -> list[RateCardRecord]:
        """By carrier code, then newest version first."""

    def find_by_checksum(self, carrier_code: str, checksum: str) -> RateCardRecord | None:
        """The newest version of the carrier with this checksum."""

    def set_status(self, card_id: int, status: CardStatus, at: datetime) -> RateCardRecord: ...


class FuelSurcharges(Protocol):
    def set(self, carrier_code: str, valid_from: date, percent_bp: int, at: datetime) -> FuelSurcharge:
        """Set the percentage from a date; the same date again replaces it."""

    def list(self, carrier_code: str | None = None) -> list[FuelSurcharge]:
        """By carrier code, then valid_from."""


class ApiKeys(Protocol):
    def add(
        self,
        *,
        name: str,
        role: Role,
        key_hash: str,
        display_prefix: str,
        created_at: datetime,
        channel: str | None = None,
    ) -> ApiKey: ...

    def by_hash(self, key_hash: str) -> ApiKey | None: ...

    def get(self, key_id: int) -> ApiKey | None: ...

    def list(self) -> list[ApiKey]:
        """In the order they were created."""

    def revoke(self, key_id: int, at: datetime) -> ApiKey: ...


class ManagerSessions(Protocol):
    def add(self, *, token_hash: str, key_id: int, created_at: datetime, expires_at: datetime) -> ManagerSession:
        """Store a session, last seen at `created_at`; DuplicateKey if the hash is taken."""

    def by_hash(self, token_hash: str) -> ManagerSession | None: ...

    def touch(self, session_id: int, at: datetime) -> None:
        """The session was used at `at`."""

    def revoke(self, session_id: int, at: datetime) -> None:
        """End the session (a revoked one keeps its first revocation time)."""

    def revoke_for_key(self, key_id: int, at: datetime) -> int:
        """End every live session of the key; returns how many it ended."""

    def delete_expired(self, now: datetime) -> int:
        """Forget the sessions past their absolute end; returns how many."""


class ShippingPolicies(Protocol):
    def current(self) -> dict[str, Any] | None:
        """The document set last, None if none was ever set."""

    def set(self, document: dict[str, Any], at: datetime, by: str) -> None: ...


class Orders(Protocol):
    def get(self, order_ref: str) -> Order | None: ...

    def add(self, order: Order, created_at: datetime) -> Order:
        """Store the order (its channel too); DuplicateKey if its order_ref is taken."""

    def pending(self) -> list[Order]:
        """Every pending order, in the order they were registered."""

    def list(
        self,
        *,
        status: OrderStatus | None = None,
        consignee_key: str | None = None,
        carrier: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        postcode: str | None = None,
        text: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Order]:
        """In the order they were registered. `carrier`: requested at checkout or planned; `since` ..
        `until` (excluded): when it was ordered; `postcode`: a prefix of the destination's; `text`: in
        the reference or the name, whatever the (ASCII) case."""

    def set_status(self, order_ref: str, status: OrderStatus, *, only_from: tuple[OrderStatus, ...]) -> Order | None:
        """Move the order from `only_from` to `status`; None if it was not `only_from`."""

    def plan(self, order_refs: Sequence[str], run_id: int, shipment_id: int) -> int:
        """Mark the still-pending ones planned in the shipment; returns how many it changed."""

    def need_attention(self, reasons: Mapping[str, str]) -> int:
        """Mark the still-pending ones of these orders as needing attention, each with its reason;
        returns how many it changed."""

    def note_left(self, reasons: Mapping[str, str]) -> int:
        """Record on the still-pending ones of these orders why the run left them (they stay pending; planning
        them clears it); returns how many it changed."""

    def bookings(self, *, since: date) -> builtins.list[Booking]:
        """What the pending and planned orders sold for pickup days from `since` book, per warehouse,
        carrier and day: how many orders, and their weight."""


class ConsolidationRuns(Protocol):
    def add(
        self,
        *,
        shipping_date: date,
        warehouse: str,
        run_at: str,
        status: str,
        trigger: str,
        started_at: datetime,
        finished_at: datetime,
        summary: dict[str, Any],
        error: str = "",
    ) -> int:
        """Record a run, returns its id; DuplicateRun for a second succeeded run of the (shipping date,
        warehouse, run time)."""

    def add_shipment(
        self,
        *,
        run_id: int,
        ships_on: date,
        carrier: str,
        service: str,
        mode: str,
        parcels: int,
        weight_g: int,
        cost_cents: int,
        rate_card_id: int,
        detail: dict[str, Any],
        promised_by: date | None = None,
    ) -> int:
        """The shipment, with a new tracking-page token and the date its shopper was shown."""

    def succeeded_on(self, *, shipping_date: date, warehouse: str, run_at: str) -> int | None:
        """The id of the succeeded run of this (shipping date, warehouse, run time), if any."""

    def get(self, run_id: int) -> dict[str, Any] | None:
        """The run's record and summary, with its shipments (each its detail and id)."""

    def list(self, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first, without shipments."""

    def month_parcels(self, month_start: date, before: date) -> dict[str, int]:
        """Parcels per carrier shipped by succeeded runs from `month_start` up to (excluding) `before`."""

    def day_load(self, ships_on: date, warehouse: str | None = None) -> dict[str, tuple[int, int]]:
        """(parcels, g) per carrier that succeeded runs of `warehouse` (of every warehouse when None) put
        on the pickups of `ships_on`: a carrier's daily capacity is what it collects at one warehouse."""


class Shipments(Protocol):
    def get(self, shipment_id: int) -> Shipment | None: ...

    def list(
        self,
        *,
        run_id: int | None = None,
        ships_on: date | None = None,
        carrier: str | None = None,
        status: ShipmentStatus | None = None,
        promise_status: Sequence[PromiseStatus] = (),
        limit: int = 100,
        offset: int = 0,
    ) -> list[Shipment]:
        """Oldest first, with their orders."""

    def dispatch(self, shipment_id: int, tracking_numbers: Sequence[str], at: datetime) -> Shipment | None:
        """Planned -> dispatched with its tracking numbers, its planned orders with it; None if it was
        not planned (or does not exist)."""

    def by_tracking_number(self, carrier: str, tracking_number: str) -> Shipment | None:
        """The newest dispatched (or delivered) shipment of the carrier with this tracking number."""

    def by_token(self, token: str) -> Shipment | None:
        """The shipment of a tracking page's token."""

    def watched(self, *, after_id: int = 0, limit: int = 500) -> builtins.list[Shipment]:
        """Planned or dispatched shipments (not delivered), by id after `after_id`: the promise watch's."""

    def set_promise(self, shipment_id: int, *, predicted_on: date | None, status: PromiseStatus, at: datetime) -> None:
        """Record the promise watch's prediction and verdict."""

    def deliver(self, shipment_id: int, delivered_on: date, status: PromiseStatus, at: datetime) -> bool:
        """Dispatched -> delivered, its dispatched orders with it; False if it was not dispatched."""

    def spend(self, *, since: date, until: date) -> builtins.list[DaySpend]:
        """Per ship day (both included), carrier and mode: shipments, parcels, orders and cost, by day."""

    def shipped_orders(self, *, since: date, until: date) -> builtins.list[ShippedOrder]:
        """The orders of shipments shipping between the two days (both included), each with its
        shipment's cost, by ship day, shipment and order reference."""

    def delivery_outcomes(self, *, since: date, until: date) -> builtins.list[DeliveryOutcome]:
        """Shipments delivered between the two days (inclusive), by delivery day."""

    def past(self, *, since: date, until: date) -> builtins.list[PastShipment]:
        """Shipments shipping between the two days (both included), each with its orders (destination,
        pickup point, items), by ship day then id: what a replay prices again."""


class TrackingEvents(Protocol):
    def add(self, event: TrackingEvent, *, shipment_id: int | None, source: str, received_at: datetime) -> bool:
        """Store the event; False (and nothing stored) if its (carrier, number, code, time) is stored."""

    def for_shipment(self, shipment_id: int) -> list[StoredEvent]:
        """By time the event happened, then as received."""

    def unmatched(self, *, carrier: str | None = None, limit: int = 100, offset: int = 0) -> list[StoredEvent]:
        """Events no shipment had the tracking number of, as received."""

    def delivered(self) -> list[DeliveredRecord]:
        """Every parcel of a shipment that has arrived, by shipment then tracking number: its first
        delivered event (or, for a pickup-point or locker shipment, its first available_for_pickup one
        if sooner), its first picked_up event, its shipment's carrier, service and ship day, and the
        destination of the shipment's orders."""

    def in_transit(self, *, since: datetime) -> list[InTransitRecord]:
        """Every parcel of a shipment first picked up at `since` or later that has not arrived (no
        delivered event, nor for a pickup-point or locker shipment an available_for_pickup one) nor
        been returned, by shipment then tracking number: its first picked_up event, its shipment's
        carrier and service, and the destination of the shipment's orders."""

    def last_delivered_id(self) -> int | None:
        """The id of the newest delivered or available_for_pickup event of a shipment: it changes when
        a parcel arrives."""


class Outbox(Protocol):
    """Messages written with the change that causes them; the delivery worker claims the due ones."""

    def add(
        self,
        *,
        idempotency_key: str,
        event_key: str,
        channel: Channel,
        topic: Topic,
        recipient: str,
        payload: dict[str, Any],
        created_at: datetime,
        retry_until: datetime | None,
    ) -> OutboxMessage | None:
        """Write a pending message due at `created_at`; None (nothing written) if its key is in the outbox.
        A concurrent transaction writing the same key first makes this one a DuplicateKey (it is over)."""

    def get(self, message_id: int) -> OutboxMessage | None: ...

    def claim_due(
        self, *, now: datetime, lease_until: datetime, limit: int, channels: Collection[Channel]
    ) -> list[OutboxMessage]:
        """At most `limit` pending messages of `channels` due at `now` (the longest due first, then as
        written), each moved to `lease_until` so that no other claim takes it meanwhile."""

    def mark_sent(self, message_id: int, at: datetime) -> None:
        """Sent at `at` (one more attempt)."""

    def retry_later(self, message_id: int, *, error: str, next_attempt_at: datetime) -> None:
        """Failed: one more attempt, the error kept, due again at `next_attempt_at`."""

    def give_up(self, message_id: int, *, error: str) -> None:
        """Failed for good: one more attempt, the error kept, dead."""

    def replay(self, message_id: int, *, now: datetime, retry_until: datetime | None) -> OutboxMessage | None:
        """A dead or pending message pending again, due at `now`, its attempts back to 0; None if it was
        sent (or does not exist)."""

    def list(self, *, status: MessageStatus | None = None, limit: int = 100, offset: int = 0) -> list[OutboxMessage]:
        """Newest first."""


class WebhookSubscriptions(Protocol):
    def add(self, *, url: str, topics: Sequence[Topic], secret: str, created_at: datetime) -> WebhookSubscription:
        """An active subscription."""

    def get(self, subscription_id: int) -> WebhookSubscription | None:
        """Active or not."""

    def active(self, topic: Topic | None = None) -> list[WebhookSubscription]:
        """The active subscriptions (to `topic` when given), as registered."""

    def deactivate(self, subscription_id: int) -> bool:
        """Stop sending to it; False if it was not active (or does not exist)."""


class PickupDirectories(Protocol):
    """Versions of the carriers' pickup-point directories. Records come without their points
    (`document` empty) except from `active_with_points`, which the in-memory index reads."""

    def add(
        self,
        *,
        carrier_code: str,
        status: DirectoryStatus,
        checksum: str,
        point_count: int,
        source_format: str,
        source_name: str,
        uploaded_at: datetime,
        uploaded_by: str,
        document: dict[str, Any],
    ) -> DirectoryRecord:
        """Store the carrier's next version (its highest + 1); an active one is activated at upload."""

    def get(self, directory_id: int, *, fresh: bool = False) -> DirectoryRecord | None: ...

    def find_by_checksum(self, carrier_code: str, checksum: str) -> DirectoryRecord | None:
        """The newest version of the carrier with this checksum."""

    def set_status(self, directory_id: int, status: DirectoryStatus, at: datetime) -> DirectoryRecord: ...

    def active_with_points(self, *, except_ids: Collection[int] = ()) -> list[DirectoryRecord]:
        """Every active version with its points (those of `except_ids` without), by carrier code then
        newest first."""

    def signature(self) -> tuple[object, ...]:
        """Changes whenever a version is added, activated or retired."""

    def list(
        self, *, carrier_code: str | None = None, statuses: Sequence[DirectoryStatus] = ()
    ) -> list[DirectoryRecord]:
        """By carrier code, then newest version first."""


class UnitOfWork(Protocol):
    """Used as `with uow: ...; uow.commit()`; leaving the block without commit rolls back."""

    @property
    def carriers(self) -> Carriers: ...

    @property
    def rate_cards(self) -> RateCards: ...

    @property
    def fuel(self) -> FuelSurcharges: ...

    @property
    def api_keys(self) -> ApiKeys: ...

    @property
    def manager_sessions(self) -> ManagerSessions: ...

    @property
    def policies(self) -> ShippingPolicies: ...

    @property
    def orders(self) -> Orders: ...

    @property
    def runs(self) -> ConsolidationRuns: ...

    @property
    def shipments(self) -> Shipments: ...

    @property
    def pickup_directories(self) -> PickupDirectories: ...

    @property
    def tracking(self) -> TrackingEvents: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def webhooks(self) -> WebhookSubscriptions: ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def quote_inputs_signature(self) -> tuple[object, ...]: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
