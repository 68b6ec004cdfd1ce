"""Repositories: the store's vocabulary over SQL. They return domain records, never rows."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import CursorResult, Result, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tms.domain.access import ApiKey, Role
from tms.domain.capacity import Booking
from tms.domain.carriers import Carrier
from tms.domain.errors import DuplicateKey, DuplicateRun
from tms.domain.features import Features, SpeedClass
from tms.domain.margins import ShippedOrder
from tms.domain.modes import DeliveryMode
from tms.domain.notifications import Channel, MessageStatus, OutboxMessage, Topic, WebhookSubscription
from tms.domain.orders import Address, Item, Order, OrderStatus
from tms.domain.pickup_points import DirectoryRecord, DirectoryStatus
from tms.domain.rate_cards import CardStatus, FuelSurcharge, RateCardRecord
from tms.domain.replay import PastOrder, PastShipment, past_order, past_shipment
from tms.domain.sessions import ManagerSession
from tms.domain.shipments import DaySpend, DeliveryOutcome, PromiseStatus, Shipment, ShipmentStatus, new_tracking_token
from tms.domain.tracking import DeliveredRecord, EventKind, InTransitRecord, StoredEvent, TrackingEvent
from tms.persistence.tables import (
    ApiKeyRow,
    CarrierRow,
    ConsolidationRunRow,
    FuelSurchargeRow,
    ManagerSessionRow,
    OrderRow,
    OutboxMessageRow,
    PickupDirectoryRow,
    RateCardRow,
    ShipmentParcelRow,
    ShipmentRow,
    ShippingPolicyRow,
    TrackingEventRow,
    WebhookSubscriptionRow,
)

MAX_ID = 2**31  # integer primary keys: a larger id cannot exist (and would overflow PostgreSQL's int4)


def _card(row: RateCardRow) -> RateCardRecord:
    return RateCardRecord(
        id=row.id,
        carrier_code=row.carrier.code,
        version=row.version,
        valid_from=row.valid_from,
        currency=row.currency,
        status=CardStatus(row.status),
        checksum=row.checksum,
        source_format=row.source_format,
        source_name=row.source_name,
        uploaded_at=row.uploaded_at,
        uploaded_by=row.uploaded_by,
        activated_at=row.activated_at,
        retired_at=row.retired_at,
        document=row.document,
    )


class CarrierRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, code: str) -> Carrier | None:
        row = self.session.scalar(select(CarrierRow).where(CarrierRow.code == code))
        return None if row is None else Carrier(code=row.code, name=row.name, created_at=row.created_at)

    def list(self) -> list[Carrier]:
        rows = self.session.scalars(select(CarrierRow).order_by(CarrierRow.code))
        return [Carrier(code=r.code, name=r.name, created_at=r.created_at) for r in rows]

    def ensure(self, code: str, name: str, now: datetime) -> None:
        """Create the carrier if new; a newer card's name renames it."""
        row = self.session.scalar(select(CarrierRow).where(CarrierRow.code == code))
        if row is None:
            self.session.add(CarrierRow(code=code, name=name, created_at=now))
            _flush_unique(self.session, f"carrier {code!r} exists")
        elif row.name != name:
            row.name = name

    def id_of(self, code: str, *, lock: bool = False) -> int:
        """The carrier's id; with `lock`, the carrier's writers queue behind this transaction until it ends.

        The lock is a no-op update: a row lock on PostgreSQL, the database's write lock on SQLite
        (which has no SELECT ... FOR UPDATE), so what the transaction reads next is read after any
        concurrent writer of the carrier has committed.
        """
        if lock:  # taken again in the same transaction, it is already held: no wait
            self.session.execute(update(CarrierRow).where(CarrierRow.code == code).values(code=CarrierRow.code))
        carrier_id = self.session.scalar(select(CarrierRow.id).where(CarrierRow.code == code))
        if carrier_id is None:
            raise LookupError(code)
        return carrier_id


def _flush_unique(session: Session, what: str) -> None:
    """Flush; a row that a concurrent transaction stored first is a DuplicateKey (the transaction is
    over). Other integrity errors are bugs and stay what they are."""
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
        if _unique_violation(error):
            raise DuplicateKey(what) from error
        raise


def _rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE changed (the session answers it with a cursor result)."""
    assert isinstance(result, CursorResult)
    return result.rowcount


def _unique_violation(error: IntegrityError) -> bool:
    """PostgreSQL's SQLSTATE 23505, or SQLite's UNIQUE constraint failure."""
    return getattr(error.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(error.orig)


class RateCardRepository:
    def __init__(self, session: Session, carriers: CarrierRepository) -> None:
        self.session = session
        self.carriers = carriers

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
        """Store a new version (the carrier's highest + 1); the carrier row is locked meanwhile."""
        carrier_id = self.carriers.id_of(carrier_code, lock=True)
        latest = self.session.scalar(select(func.max(RateCardRow.version)).where(RateCardRow.carrier_id == carrier_id))
        row = RateCardRow(
            carrier_id=carrier_id,
            version=(latest or 0) + 1,
            valid_from=valid_from,
            currency=currency,
            status=status.value,
            checksum=checksum,
            source_format=source_format,
            source_name=source_name,
            uploaded_at=uploaded_at,
            uploaded_by=uploaded_by,
            activated_at=uploaded_at if status is CardStatus.ACTIVE else None,
            retired_at=None,
            document=document,
        )
        self.session.add(row)
        _flush_unique(self.session, f"{carrier_code!r} version {row.version} exists")
        return _card(row)

    def get(self, card_id: int, *, fresh: bool = False) -> RateCardRecord | None:
        """The card; `fresh` reads it again from the database even if this session has it already."""
        if not 0 < card_id < MAX_ID:
            return None
        row = self.session.get(RateCardRow, card_id, populate_existing=fresh)
        return None if row is None else _card(row)

    def list(self, *, carrier_code: str | None = None, statuses: Sequence[CardStatus] = ()) -> list[RateCardRecord]:
        query = select(RateCardRow).join(RateCardRow.carrier)
        if carrier_code is not None:
            query = query.where(CarrierRow.code == carrier_code)
        if statuses:
            query = query.where(RateCardRow.status.in_([s.value for s in statuses]))
        query = query.order_by(CarrierRow.code, RateCardRow.version.desc())
        return [_card(row) for row in self.session.scalars(query)]

    def find_by_checksum(self, carrier_code: str, checksum: str) -> RateCardRecord | None:
        query = (
            select(RateCardRow)
            .join(RateCardRow.carrier)
            .where(CarrierRow.code == carrier_code, RateCardRow.checksum == checksum)
            .order_by(RateCardRow.version.desc())
        )
        row = self.session.scalars(query).first()
        return None if row is None else _card(row)

    def set_status(self, card_id: int, status: CardStatus, at: datetime) -> RateCardRecord:
        row = self.session.get_one(RateCardRow, card_id)
        row.status = status.value
        if status is CardStatus.ACTIVE:
            row.activated_at = at
        elif status is CardStatus.RETIRED:
            row.retired_at = at
        self.session.flush()
        return _card(row)


class FuelSurchargeRepository:
    def __init__(self, session: Session, carriers: CarrierRepository) -> None:
        self.session = session
        self.carriers = carriers

    def set(self, carrier_code: str, valid_from: date, percent_bp: int, at: datetime) -> FuelSurcharge:
        """Set the percentage from a date; setting the same date again replaces it."""
        carrier_id = self.carriers.id_of(carrier_code, lock=True)  # concurrent setters of a date queue here
        row = self.session.scalar(
            select(FuelSurchargeRow).where(
                FuelSurchargeRow.carrier_id == carrier_id, FuelSurchargeRow.valid_from == valid_from
            )
        )
        if row is None:
            row = FuelSurchargeRow(carrier_id=carrier_id, valid_from=valid_from, percent_bp=percent_bp, set_at=at)
            self.session.add(row)
        else:
            row.percent_bp, row.set_at = percent_bp, at
        self.session.flush()
        return FuelSurcharge(carrier_code, row.valid_from, row.percent_bp, row.set_at)

    def list(self, carrier_code: str | None = None) -> list[FuelSurcharge]:
        query = select(FuelSurchargeRow, CarrierRow.code).join(CarrierRow, CarrierRow.id == FuelSurchargeRow.carrier_id)
        if carrier_code is not None:
            query = query.where(CarrierRow.code == carrier_code)
        query = query.order_by(CarrierRow.code, FuelSurchargeRow.valid_from)
        return [
            FuelSurcharge(code, row.valid_from, row.percent_bp, row.set_at) for row, code in self.session.execute(query)
        ]


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        key_hash=row.key_hash,
        display_prefix=row.display_prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        channel=row.channel,
    )


class ApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        name: str,
        role: Role,
        key_hash: str,
        display_prefix: str,
        created_at: datetime,
        channel: str | None = None,
    ) -> ApiKey:
        row = ApiKeyRow(
            name=name,
            role=role.value,
            key_hash=key_hash,
            display_prefix=display_prefix,
            created_at=created_at,
            channel=channel,
        )
        self.session.add(row)
        _flush_unique(self.session, "an API key with this hash exists")
        return _key(row)

    def by_hash(self, key_hash: str) -> ApiKey | None:
        row = self.session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
        return None if row is None else _key(row)

    def get(self, key_id: int) -> ApiKey | None:
        if not 0 < key_id < MAX_ID:
            return None
        row = self.session.get(ApiKeyRow, key_id)
        return None if row is None else _key(row)

    def list(self) -> list[ApiKey]:
        return [_key(r) for r in self.session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))]

    def revoke(self, key_id: int, at: datetime) -> ApiKey:
        row = self.session.get_one(ApiKeyRow, key_id)
        row.revoked_at = at
        self.session.flush()
        return _key(row)


def _manager_session(row: ManagerSessionRow) -> ManagerSession:
    return ManagerSession(
        id=row.id,
        token_hash=row.token_hash,
        key_id=row.key_id,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


class ManagerSessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, token_hash: str, key_id: int, created_at: datetime, expires_at: datetime) -> ManagerSession:
        row = ManagerSessionRow(
            token_hash=token_hash, key_id=key_id, created_at=created_at, last_seen_at=created_at, expires_at=expires_at
        )
        self.session.add(row)
        _flush_unique(self.session, "a manager session with this token exists")
        return _manager_session(row)

    def by_hash(self, token_hash: str) -> ManagerSession | None:
        row = self.session.scalar(select(ManagerSessionRow).where(ManagerSessionRow.token_hash == token_hash))
        return None if row is None else _manager_session(row)

    def touch(self, session_id: int, at: datetime) -> None:
        self.session.execute(
            update(ManagerSessionRow).where(ManagerSessionRow.id == session_id).values(last_seen_at=at)
        )

    def revoke(self, session_id: int, at: datetime) -> None:
        self.session.execute(
            update(ManagerSessionRow)
            .where(ManagerSessionRow.id == session_id, ManagerSessionRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def revoke_for_key(self, key_id: int, at: datetime) -> int:
        result = self.session.execute(
            update(ManagerSessionRow)
            .where(ManagerSessionRow.key_id == key_id, ManagerSessionRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return _rowcount(result)

    def delete_expired(self, now: datetime) -> int:
        return _rowcount(self.session.execute(delete(ManagerSessionRow).where(ManagerSessionRow.expires_at <= now)))


class ShippingPolicyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def current(self) -> dict[str, Any] | None:
        row = self.session.scalars(select(ShippingPolicyRow).order_by(ShippingPolicyRow.id.desc())).first()
        return None if row is None else row.document

    def set(self, document: dict[str, Any], at: datetime, by: str) -> None:
        self.session.add(ShippingPolicyRow(document=document, set_at=at, set_by=by))
        self.session.flush()


def _directory(row: PickupDirectoryRow) -> DirectoryRecord:
    return DirectoryRecord(
        id=row.id,
        carrier_code=row.carrier.code,
        version=row.version,
        status=DirectoryStatus(row.status),
        checksum=row.checksum,
        point_count=row.point_count,
        source_format=row.source_format,
        source_name=row.source_name,
        uploaded_at=row.uploaded_at,
        uploaded_by=row.uploaded_by,
        activated_at=row.activated_at,
        retired_at=row.retired_at,
        document={},
    )


class PickupDirectoryRepository:
    def __init__(self, session: Session, carriers: CarrierRepository) -> None:
        self.session = session
        self.carriers = carriers

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
        """Store a new version (the carrier's highest + 1); the carrier row is locked meanwhile."""
        carrier_id = self.carriers.id_of(carrier_code, lock=True)
        latest = self.session.scalar(
            select(func.max(PickupDirectoryRow.version)).where(PickupDirectoryRow.carrier_id == carrier_id)
        )
        row = PickupDirectoryRow(
            carrier_id=carrier_id,
            version=(latest or 0) + 1,
            status=status.value,
            checksum=checksum,
            point_count=point_count,
            source_format=source_format,
            source_name=source_name,
            uploaded_at=uploaded_at,
            uploaded_by=uploaded_by,
            activated_at=uploaded_at if status is DirectoryStatus.ACTIVE else None,
            retired_at=None,
            document=document,
        )
        self.session.add(row)
        _flush_unique(self.session, f"{carrier_code!r} directory version {row.version} exists")
        return _directory(row)

    def get(self, directory_id: int, *, fresh: bool = False) -> DirectoryRecord | None:
        if not 0 < directory_id < MAX_ID:
            return None
        row = self.session.get(PickupDirectoryRow, directory_id, populate_existing=fresh)
        return None if row is None else _directory(row)

    def find_by_checksum(self, carrier_code: str, checksum: str) -> DirectoryRecord | None:
        query = (
            select(PickupDirectoryRow)
            .join(PickupDirectoryRow.carrier)
            .where(CarrierRow.code == carrier_code, PickupDirectoryRow.checksum == checksum)
            .order_by(PickupDirectoryRow.version.desc())
        )
        row = self.session.scalars(query).first()
        return None if row is None else _directory(row)

    def set_status(self, directory_id: int, status: DirectoryStatus, at: datetime) -> DirectoryRecord:
        row = self.session.get_one(PickupDirectoryRow, directory_id)
        row.status = status.value
        if status is DirectoryStatus.ACTIVE:
            row.activated_at = at
        elif status is DirectoryStatus.RETIRED:
            row.retired_at = at
        self.session.flush()
        return _directory(row)

    def active_with_points(self, *, except_ids: Collection[int] = ()) -> list[DirectoryRecord]:
        query = (
            select(PickupDirectoryRow)
            .join(PickupDirectoryRow.carrier)
            .where(PickupDirectoryRow.status == DirectoryStatus.ACTIVE.value)
            .order_by(CarrierRow.code, PickupDirectoryRow.version.desc())
        )
        records = [_directory(row) for row in self.session.scalars(query)]
        wanted = [r.id for r in records if r.id not in except_ids]
        documents: dict[int, dict[str, Any]] = {}
        if wanted:
            found = select(PickupDirectoryRow.id, PickupDirectoryRow.document).where(PickupDirectoryRow.id.in_(wanted))
            documents = {row.id: row.document for row in self.session.execute(found)}
        return [replace(r, document=documents[r.id]) if r.id in documents else r for r in records]

    def signature(self) -> tuple[object, ...]:
        return tuple(
            self.session.execute(
                select(
                    func.count(),
                    func.max(PickupDirectoryRow.id),
                    func.max(PickupDirectoryRow.activated_at),
                    func.max(PickupDirectoryRow.retired_at),
                )
            ).one()
        )

    def list(
        self, *, carrier_code: str | None = None, statuses: Sequence[DirectoryStatus] = ()
    ) -> list[DirectoryRecord]:
        query = select(PickupDirectoryRow).join(PickupDirectoryRow.carrier)
        if carrier_code is not None:
            query = query.where(CarrierRow.code == carrier_code)
        if statuses:
            query = query.where(PickupDirectoryRow.status.in_([s.value for s in statuses]))
        query = query.order_by(CarrierRow.code, PickupDirectoryRow.version.desc())
        return [_directory(row) for row in self.session.scalars(query)]


def quote_inputs_signature(session: Session) -> tuple[object, ...]:
    """Changes whenever a card is added or changes status, fuel or the policy is set, or a run is written."""
    cards = session.execute(
        select(
            func.count(), func.max(RateCardRow.id), func.max(RateCardRow.activated_at), func.max(RateCardRow.retired_at)
        )
    ).one()
    fuel = session.execute(select(func.count(), func.max(FuelSurchargeRow.set_at))).one()
    policy = session.scalar(select(func.max(ShippingPolicyRow.id)))
    runs = session.scalar(select(func.max(ConsolidationRunRow.id)))
    return (*cards, *fuel, policy, runs)


def _order(row: OrderRow) -> Order:
    return Order(
        order_ref=row.order_ref,
        warehouse=row.warehouse,
        ordered_at=row.ordered_at,
        address=Address(row.name, row.line1, row.postcode, row.city, row.country),
        mode=DeliveryMode(row.mode),
        items=tuple(Item(**item) for item in row.items),
        cart_value_cents=row.cart_value_cents,
        deliver_by=row.deliver_by,
        deliver_after=row.deliver_after,
        carrier=row.carrier,
        service=row.service,
        pickup_point_id=row.pickup_point_id,
        status=OrderStatus(row.status),
        created_at=row.created_at,
        run_id=row.run_id,
        shipment_id=row.shipment_id,
        attention=row.attention,
        channel=row.channel,
        features=None if row.features is None else _features(row.features),
        email=row.email,
        language=row.language,
        shipping_paid_cents=row.shipping_paid_cents,
        ships_on=row.ships_on,
    )


def _features(document: dict[str, Any]) -> Features:
    speed = document.get("speed")
    return Features(
        SpeedClass(speed) if speed else None,
        bool(document.get("signature")),
        bool(document.get("appointment")),
        document.get("insurance_cents"),
    )


def _features_document(features: Features | None) -> dict[str, Any] | None:
    if features is None:
        return None
    return {
        "speed": None if features.speed is None else features.speed.value,
        "signature": features.signature,
        "appointment": features.appointment,
        "insurance_cents": features.insurance_cents,
    }


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_ref: str) -> Order | None:
        row = self.session.scalar(select(OrderRow).where(OrderRow.order_ref == order_ref))
        return None if row is None else _order(row)

    def add(self, order: Order, created_at: datetime) -> Order:
        a = order.address
        row = OrderRow(
            order_ref=order.order_ref,
            status=order.status.value,
            warehouse=order.warehouse,
            ordered_at=order.ordered_at,
            created_at=created_at,
            name=a.name,
            line1=a.line1,
            postcode=a.postcode,
            city=a.city,
            country=a.country,
            consignee_key=order.consignee_key,
            mode=order.mode,
            carrier=order.carrier,
            service=order.service,
            pickup_point_id=order.pickup_point_id,
            deliver_by=order.deliver_by,
            deliver_after=order.deliver_after,
            cart_value_cents=order.cart_value_cents,
            items=[item.__dict__ for item in order.items],
            channel=order.channel,
            features=_features_document(order.features),
            email=order.email,
            language=order.language,
            shipping_paid_cents=order.shipping_paid_cents,
            ships_on=order.ships_on,
            weight_g=order.weight_g,
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as error:
            self.session.rollback()
            raise DuplicateKey(f"order {order.order_ref!r} exists") from error
        return _order(row)

    def pending(self) -> list[Order]:
        query = select(OrderRow).where(OrderRow.status == OrderStatus.PENDING.value).order_by(OrderRow.id)
        return [_order(row) for row in self.session.scalars(query)]

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
        query = select(OrderRow)
        if status is not None:
            query = query.where(OrderRow.status == status.value)
        if consignee_key is not None:
            query = query.where(OrderRow.consignee_key == consignee_key)
        if carrier is not None:
            planned = select(ShipmentRow.id).where(ShipmentRow.carrier == carrier)
            query = query.where(or_(OrderRow.carrier == carrier, OrderRow.shipment_id.in_(planned)))
        if since is not None:
            query = query.where(OrderRow.ordered_at >= since)
        if until is not None:
            query = query.where(OrderRow.ordered_at < until)
        if postcode:
            query = query.where(OrderRow.postcode.startswith(postcode, autoescape=True))
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(
                or_(OrderRow.order_ref.ilike(pattern, escape="\\"), OrderRow.name.ilike(pattern, escape="\\"))
            )
        query = query.order_by(OrderRow.id).limit(limit).offset(offset)
        return [_order(row) for row in self.session.scalars(query)]

    def set_status(self, order_ref: str, status: OrderStatus, *, only_from: tuple[OrderStatus, ...]) -> Order | None:
        """Move the order from `only_from` to `status` in one UPDATE; None if it was no longer `only_from`
        (a concurrent run or cancel got there first)."""
        changed = _rowcount(
            self.session.execute(
                update(OrderRow)
                .where(OrderRow.order_ref == order_ref, OrderRow.status.in_([s.value for s in only_from]))
                .values(status=status.value)
            )
        )
        self.session.flush()
        return self.get(order_ref) if changed == 1 else None

    def plan(self, order_refs: Sequence[str], run_id: int, shipment_id: int) -> int:
        """Mark still-pending orders as planned in a shipment, in one UPDATE; returns how many it changed."""
        changed = _rowcount(
            self.session.execute(
                update(OrderRow)
                .where(OrderRow.order_ref.in_(order_refs), OrderRow.status == OrderStatus.PENDING.value)
                .values(status=OrderStatus.PLANNED.value, run_id=run_id, shipment_id=shipment_id, attention=None)
            )
        )
        self.session.flush()
        return changed

    def need_attention(self, reasons: Mapping[str, str]) -> int:
        changed = 0
        for order_ref, reason in sorted(reasons.items()):
            changed += _rowcount(
                self.session.execute(
                    update(OrderRow)
                    .where(OrderRow.order_ref == order_ref, OrderRow.status == OrderStatus.PENDING.value)
                    .values(status=OrderStatus.NEEDS_ATTENTION.value, attention=reason[:300])
                )
            )
        self.session.flush()
        return changed

    def note_left(self, reasons: Mapping[str, str]) -> int:
        changed = 0
        for order_ref, reason in sorted(reasons.items()):
            changed += _rowcount(
                self.session.execute(
                    update(OrderRow)
                    .where(OrderRow.order_ref == order_ref, OrderRow.status == OrderStatus.PENDING.value)
                    .values(attention=reason[:300])
                )
            )
        self.session.flush()
        return changed

    def bookings(self, *, since: date) -> builtins.list[Booking]:
        key = (OrderRow.warehouse, OrderRow.carrier, OrderRow.ships_on)
        query = (
            select(*key, func.count(OrderRow.id), func.coalesce(func.sum(OrderRow.weight_g), 0))
            .where(
                OrderRow.ships_on >= since,
                OrderRow.carrier.is_not(None),
                OrderRow.status.in_([OrderStatus.PENDING.value, OrderStatus.PLANNED.value]),
            )
            .group_by(*key)
            .order_by(*key)
        )
        rows: Any = self.session.execute(query)  # carrier and ships_on are not null here
        return [Booking(w, c, d, int(n), int(g)) for w, c, d, n, g in rows]


class ConsolidationRunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

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
        row = ConsolidationRunRow(
            shipping_date=shipping_date,
            warehouse=warehouse,
            run_at=run_at,
            status=status,
            trigger=trigger,
            started_at=started_at,
            finished_at=finished_at,
            summary=summary,
            error=error[:2000],
        )
        self.session.add(row)
        try:
            _flush_unique(self.session, f"run of {warehouse} for {shipping_date} at {run_at}")
        except DuplicateKey as error:  # the partial unique index: a second succeeded run of the slot
            raise DuplicateRun(f"{warehouse} was already planned for {shipping_date} at {run_at}") from error
        return row.id

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
        row = ShipmentRow(
            tracking_token=new_tracking_token(),
            promised_by=promised_by,
            run_id=run_id,
            ships_on=ships_on,
            carrier=carrier,
            service=service,
            mode=mode,
            parcels=parcels,
            weight_g=weight_g,
            cost_cents=cost_cents,
            rate_card_id=rate_card_id,
            detail=detail,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def succeeded_on(self, *, shipping_date: date, warehouse: str, run_at: str) -> int | None:
        """The succeeded run of this (shipping date, warehouse, run time), if any."""
        return self.session.scalar(
            select(ConsolidationRunRow.id).where(
                ConsolidationRunRow.shipping_date == shipping_date,
                ConsolidationRunRow.warehouse == warehouse,
                ConsolidationRunRow.run_at == run_at,
                ConsolidationRunRow.status == "succeeded",
            )
        )

    def day_load(self, ships_on: date, warehouse: str | None = None) -> dict[str, tuple[int, int]]:
        query = (
            select(ShipmentRow.carrier, func.sum(ShipmentRow.parcels), func.sum(ShipmentRow.weight_g))
            .join(ConsolidationRunRow, ConsolidationRunRow.id == ShipmentRow.run_id)
            .where(ConsolidationRunRow.status == "succeeded", ShipmentRow.ships_on == ships_on)
            .group_by(ShipmentRow.carrier)
        )
        if warehouse is not None:
            query = query.where(ConsolidationRunRow.warehouse == warehouse)
        return {carrier: (int(p or 0), int(g or 0)) for carrier, p, g in self.session.execute(query)}

    def get(self, run_id: int) -> dict[str, Any] | None:
        if not 0 < run_id < MAX_ID:
            return None
        row = self.session.get(ConsolidationRunRow, run_id)
        if row is None:
            return None
        shipments = self.session.scalars(
            select(ShipmentRow).where(ShipmentRow.run_id == run_id).order_by(ShipmentRow.id)
        )
        return {**_run(row), "shipments": [_shipment(s) for s in shipments]}

    def list(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.session.scalars(select(ConsolidationRunRow).order_by(ConsolidationRunRow.id.desc()).limit(limit))
        return [_run(row) for row in rows]

    def month_parcels(self, month_start: date, before: date) -> dict[str, int]:
        """Parcels per carrier shipped by succeeded runs from `month_start` up to (excluding) `before`."""
        query = (
            select(ShipmentRow.carrier, func.sum(ShipmentRow.parcels))
            .join(ConsolidationRunRow, ConsolidationRunRow.id == ShipmentRow.run_id)
            .where(
                ConsolidationRunRow.status == "succeeded",
                ShipmentRow.ships_on >= month_start,
                ShipmentRow.ships_on < before,
            )
            .group_by(ShipmentRow.carrier)
        )
        return {carrier: int(total or 0) for carrier, total in self.session.execute(query)}


class ShipmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _shipment(self, row: ShipmentRow) -> Shipment:
        refs = self.session.scalars(
            select(OrderRow.order_ref).where(OrderRow.shipment_id == row.id).order_by(OrderRow.order_ref)
        )
        return Shipment(
            id=row.id,
            run_id=row.run_id,
            ships_on=row.ships_on,
            carrier=row.carrier,
            service=row.service,
            mode=row.mode,
            parcels=row.parcels,
            weight_g=row.weight_g,
            cost_cents=row.cost_cents,
            rate_card_id=row.rate_card_id,
            status=ShipmentStatus(row.status),
            orders=tuple(refs),
            tracking_numbers=tuple(row.tracking_numbers or ()),
            dispatched_at=row.dispatched_at,
            detail=dict(row.detail),
            tracking_token=row.tracking_token or "",
            promised_by=row.promised_by,
            predicted_on=row.predicted_on,
            promise_status=None if row.promise_status is None else PromiseStatus(row.promise_status),
            delivered_on=row.delivered_on,
        )

    def get(self, shipment_id: int) -> Shipment | None:
        row = self.session.get(ShipmentRow, shipment_id) if 0 < shipment_id < MAX_ID else None
        return None if row is None else self._shipment(row)

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
        query = select(ShipmentRow).order_by(ShipmentRow.id)
        if promise_status:
            query = query.where(ShipmentRow.promise_status.in_([s.value for s in promise_status]))
        if run_id is not None:
            query = query.where(ShipmentRow.run_id == run_id)
        if ships_on is not None:
            query = query.where(ShipmentRow.ships_on == ships_on)
        if carrier is not None:
            query = query.where(ShipmentRow.carrier == carrier)
        if status is not None:
            query = query.where(ShipmentRow.status == status.value)
        return [self._shipment(row) for row in self.session.scalars(query.limit(limit).offset(offset))]

    def dispatch(self, shipment_id: int, tracking_numbers: Sequence[str], at: datetime) -> Shipment | None:
        """Planned -> dispatched with its tracking numbers, its orders with it; None if it was not planned."""
        changed = _rowcount(
            self.session.execute(
                update(ShipmentRow)
                .where(ShipmentRow.id == shipment_id, ShipmentRow.status == ShipmentStatus.PLANNED.value)
                .values(status=ShipmentStatus.DISPATCHED.value, tracking_numbers=[*tracking_numbers], dispatched_at=at)
            )
        )
        if not changed:
            return None
        self.session.execute(
            update(OrderRow)
            .where(OrderRow.shipment_id == shipment_id, OrderRow.status == OrderStatus.PLANNED.value)
            .values(status=OrderStatus.DISPATCHED.value)
        )
        row = self.session.get(ShipmentRow, shipment_id)
        assert row is not None
        self.session.add_all(
            ShipmentParcelRow(shipment_id=shipment_id, carrier=row.carrier, tracking_number=number)
            for number in tracking_numbers
        )
        self.session.flush()
        return self.get(shipment_id)

    def by_tracking_number(self, carrier: str, tracking_number: str) -> Shipment | None:
        """The newest dispatched (or delivered) shipment of the carrier with this tracking number."""
        row = self.session.scalar(
            select(ShipmentRow)
            .join(ShipmentParcelRow, ShipmentParcelRow.shipment_id == ShipmentRow.id)
            .where(ShipmentParcelRow.carrier == carrier, ShipmentParcelRow.tracking_number == tracking_number)
            .order_by(ShipmentRow.id.desc())
            .limit(1)
        )
        return None if row is None else self._shipment(row)

    def by_token(self, token: str) -> Shipment | None:
        if not token or len(token) > 43:
            return None
        row = self.session.scalar(select(ShipmentRow).where(ShipmentRow.tracking_token == token))
        return None if row is None else self._shipment(row)

    def watched(self, *, after_id: int = 0, limit: int = 500) -> builtins.list[Shipment]:
        """Shipments the promise watch looks at (planned or dispatched, not delivered), by id after `after_id`."""
        query = (
            select(ShipmentRow)
            .where(
                ShipmentRow.status.in_([ShipmentStatus.PLANNED.value, ShipmentStatus.DISPATCHED.value]),
                ShipmentRow.id > after_id,
            )
            .order_by(ShipmentRow.id)
            .limit(limit)
        )
        return [self._shipment(row) for row in self.session.scalars(query)]

    def set_promise(self, shipment_id: int, *, predicted_on: date | None, status: PromiseStatus, at: datetime) -> None:
        self.session.execute(
            update(ShipmentRow)
            .where(ShipmentRow.id == shipment_id)
            .values(predicted_on=predicted_on, promise_status=status.value, watched_at=at)
        )

    def deliver(self, shipment_id: int, delivered_on: date, status: PromiseStatus, at: datetime) -> bool:
        """Dispatched -> delivered, its orders with it; False if it was not dispatched."""
        changed = _rowcount(
            self.session.execute(
                update(ShipmentRow)
                .where(ShipmentRow.id == shipment_id, ShipmentRow.status == ShipmentStatus.DISPATCHED.value)
                .values(
                    status=ShipmentStatus.DELIVERED.value,
                    delivered_on=delivered_on,
                    predicted_on=delivered_on,
                    promise_status=status.value,
                    watched_at=at,
                )
            )
        )
        if changed:
            self.session.execute(
                update(OrderRow)
                .where(OrderRow.shipment_id == shipment_id, OrderRow.status == OrderStatus.DISPATCHED.value)
                .values(status=OrderStatus.DELIVERED.value)
            )
        return bool(changed)

    def spend(self, *, since: date, until: date) -> builtins.list[DaySpend]:
        key = (ShipmentRow.ships_on, ShipmentRow.carrier, ShipmentRow.mode)
        period = (ShipmentRow.ships_on >= since, ShipmentRow.ships_on <= until)
        totals = self.session.execute(
            select(*key, func.count(ShipmentRow.id), func.sum(ShipmentRow.parcels), func.sum(ShipmentRow.cost_cents))
            .where(*period)
            .group_by(*key)
        ).all()
        orders = dict(
            ((day, carrier, mode), int(n))
            for day, carrier, mode, n in self.session.execute(
                select(*key, func.count(OrderRow.id))
                .join(OrderRow, OrderRow.shipment_id == ShipmentRow.id)
                .where(*period)
                .group_by(*key)
            )
        )
        found = [
            DaySpend(day, carrier, mode, int(n), int(parcels or 0), orders.get((day, carrier, mode), 0), int(cost or 0))
            for day, carrier, mode, n, parcels, cost in totals
        ]
        return sorted(found, key=lambda s: (s.ships_on, s.carrier, s.mode))

    def shipped_orders(self, *, since: date, until: date) -> builtins.list[ShippedOrder]:
        query = (
            select(
                ShipmentRow.id,
                ShipmentRow.ships_on,
                ShipmentRow.cost_cents,
                OrderRow.order_ref,
                OrderRow.items,
                OrderRow.cart_value_cents,
                OrderRow.shipping_paid_cents,
            )
            .join(OrderRow, OrderRow.shipment_id == ShipmentRow.id)
            .where(ShipmentRow.ships_on >= since, ShipmentRow.ships_on <= until)
            .order_by(ShipmentRow.ships_on, ShipmentRow.id, OrderRow.order_ref)
        )
        return [
            ShippedOrder(
                shipment_id,
                ships_on,
                cost,
                ref,
                sum(item["weight_g"] * item.get("quantity", 1) for item in items),
                cart,
                paid,
            )
            for shipment_id, ships_on, cost, ref, items, cart, paid in self.session.execute(query)
        ]

    def delivery_outcomes(self, *, since: date, until: date) -> builtins.list[DeliveryOutcome]:
        """Shipments delivered between the two days (inclusive), with their destination, by delivery day."""
        query = (
            select(
                ShipmentRow.id,
                ShipmentRow.carrier,
                ShipmentRow.service,
                func.min(OrderRow.country),
                func.min(OrderRow.postcode),
                ShipmentRow.ships_on,
                ShipmentRow.promised_by,
                ShipmentRow.delivered_on,
            )
            .join(OrderRow, OrderRow.shipment_id == ShipmentRow.id)
            .where(
                ShipmentRow.status == ShipmentStatus.DELIVERED.value,
                ShipmentRow.delivered_on >= since,
                ShipmentRow.delivered_on <= until,
            )
            .group_by(ShipmentRow.id)
            .order_by(ShipmentRow.delivered_on, ShipmentRow.id)
        )
        return [DeliveryOutcome(*row) for row in self.session.execute(query)]  # type: ignore[arg-type]

    def past(self, *, since: date, until: date) -> builtins.list[PastShipment]:
        """One query: the shipments and their orders, rows in (ship day, shipment, order) order, folded here."""
        query = (
            select(
                ShipmentRow.id,
                ShipmentRow.ships_on,
                ShipmentRow.carrier,
                ShipmentRow.service,
                ShipmentRow.mode,
                ShipmentRow.rate_card_id,
                ShipmentRow.parcels,
                ShipmentRow.detail,
                OrderRow.order_ref,
                OrderRow.country,
                OrderRow.postcode,
                OrderRow.pickup_point_id,
                OrderRow.items,
            )
            .join(OrderRow, OrderRow.shipment_id == ShipmentRow.id, isouter=True)
            .where(ShipmentRow.ships_on >= since, ShipmentRow.ships_on <= until)
            .order_by(ShipmentRow.ships_on, ShipmentRow.id, OrderRow.order_ref)
        )
        found: builtins.list[PastShipment] = []
        current: builtins.list[Any] | None = None
        orders: builtins.list[PastOrder] = []

        def close() -> None:
            if current is not None:
                sid, ships_on, carrier, service, mode, card_id, parcels, detail = current
                found.append(
                    past_shipment(
                        shipment_id=sid,
                        ships_on=ships_on,
                        carrier=carrier,
                        service=service,
                        mode=mode,
                        rate_card_id=card_id,
                        parcels=parcels,
                        detail=detail,
                        orders=tuple(orders),
                    )
                )

        for row in self.session.execute(query):
            if current is None or current[0] != row[0]:
                close()
                current, orders = list(row[:8]), []
            if row[8] is not None:
                orders.append(past_order(row[8], row[9], row[10], row[11], row[12]))
        close()
        return found


def _run(row: ConsolidationRunRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "shipping_date": row.shipping_date,
        "warehouse": row.warehouse,
        "run_at": row.run_at,
        "status": row.status,
        "trigger": row.trigger,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "error": row.error,
        **row.summary,
    }


def _shipment(row: ShipmentRow) -> dict[str, Any]:
    """The shipment's stored document (its columns are copies kept for queries), with its id."""
    return {"id": row.id, **row.detail}


def _stored_event(row: TrackingEventRow) -> StoredEvent:
    event = TrackingEvent(
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        code=row.code,
        kind=EventKind(row.kind),
        occurred_at=row.occurred_at,
        description=row.description,
        location=row.location,
        pickup_point=row.pickup_point,
        held_until=row.held_until,
    )
    return StoredEvent(
        id=row.id, event=event, shipment_id=row.shipment_id, source=row.source, received_at=row.received_at
    )


class TrackingEventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: TrackingEvent, *, shipment_id: int | None, source: str, received_at: datetime) -> bool:
        """Store the event; False (and nothing stored) if its (carrier, number, code, time) is stored."""
        exists = self.session.scalar(
            select(TrackingEventRow.id).where(
                TrackingEventRow.carrier == event.carrier,
                TrackingEventRow.tracking_number == event.tracking_number,
                TrackingEventRow.code == event.code,
                TrackingEventRow.occurred_at == event.occurred_at,
            )
        )
        if exists is not None:
            return False
        self.session.add(
            TrackingEventRow(
                carrier=event.carrier,
                tracking_number=event.tracking_number,
                code=event.code,
                kind=event.kind.value,
                occurred_at=event.occurred_at,
                description=event.description,
                location=event.location,
                pickup_point=event.pickup_point,
                held_until=event.held_until,
                shipment_id=shipment_id,
                source=source,
                received_at=received_at,
            )
        )
        self.session.flush()
        return True

    def for_shipment(self, shipment_id: int) -> list[StoredEvent]:
        query = (
            select(TrackingEventRow)
            .where(TrackingEventRow.shipment_id == shipment_id)
            .order_by(TrackingEventRow.occurred_at, TrackingEventRow.id)
        )
        return [_stored_event(row) for row in self.session.scalars(query)]

    def unmatched(self, *, carrier: str | None = None, limit: int = 100, offset: int = 0) -> list[StoredEvent]:
        query = select(TrackingEventRow).where(TrackingEventRow.shipment_id.is_(None))
        if carrier is not None:
            query = query.where(TrackingEventRow.carrier == carrier)
        query = query.order_by(TrackingEventRow.id).limit(limit).offset(offset)
        return [_stored_event(row) for row in self.session.scalars(query)]

    def _first_events(
        self, of_shipments: Any, kinds: list[str]
    ) -> tuple[dict[tuple[int, str], dict[str, datetime]], dict[int, Any], dict[int | None, tuple[str, str]]]:
        """For the shipments `of_shipments` (a subquery of shipment ids) three queries, joined by the
        callers: each parcel's first event of each of `kinds`, keyed by (shipment id, tracking
        number); the shipments (carrier, service, mode, ships_on); their orders' destination."""
        firsts = self.session.execute(
            select(
                TrackingEventRow.shipment_id,
                TrackingEventRow.tracking_number,
                TrackingEventRow.kind,
                func.min(TrackingEventRow.occurred_at),
            )
            .where(TrackingEventRow.shipment_id.in_(of_shipments), TrackingEventRow.kind.in_(kinds))
            .group_by(TrackingEventRow.shipment_id, TrackingEventRow.tracking_number, TrackingEventRow.kind)
        )
        events: dict[tuple[int, str], dict[str, datetime]] = {}
        for shipment_id, number, kind, at in firsts:
            assert shipment_id is not None  # the query keeps only events of a shipment
            events.setdefault((shipment_id, number), {})[kind] = at
        shipments = {
            row.id: row
            for row in self.session.execute(
                select(
                    ShipmentRow.id, ShipmentRow.carrier, ShipmentRow.service, ShipmentRow.mode, ShipmentRow.ships_on
                ).where(ShipmentRow.id.in_(of_shipments))
            )
        }
        destinations = {
            shipment_id: (country, postcode)
            for shipment_id, country, postcode in self.session.execute(
                select(OrderRow.shipment_id, func.min(OrderRow.country), func.min(OrderRow.postcode))
                .where(OrderRow.shipment_id.in_(of_shipments))
                .group_by(OrderRow.shipment_id)
            )
        }
        return events, shipments, destinations

    def delivered(self) -> list[DeliveredRecord]:
        """Every parcel of a shipment that has arrived (`_first_events`). A parcel arrives with its
        first delivered event or, for a pickup-point or locker shipment, its first
        available_for_pickup one if sooner (what the promise watch counts as delivered)."""
        arrived = [EventKind.DELIVERED.value, EventKind.AVAILABLE_FOR_PICKUP.value]
        arrived_shipments = select(TrackingEventRow.shipment_id).where(
            TrackingEventRow.kind.in_(arrived), TrackingEventRow.shipment_id.is_not(None)
        )
        events, shipments, destinations = self._first_events(arrived_shipments, [EventKind.PICKED_UP.value, *arrived])
        found = []
        for (shipment_id, number), kinds in sorted(events.items()):
            shipment = shipments.get(shipment_id)
            destination = destinations.get(shipment_id)
            if shipment is None or destination is None:
                continue
            counted = arrived if shipment.mode != DeliveryMode.HOME.value else arrived[:1]
            times = [kinds[kind] for kind in counted if kind in kinds]
            if not times:
                continue
            found.append(
                DeliveredRecord(
                    shipment_id=shipment_id,
                    tracking_number=number,
                    carrier=shipment.carrier,
                    service=shipment.service,
                    country=destination[0],
                    postcode=destination[1],
                    ships_on=shipment.ships_on,
                    picked_up_at=kinds.get(EventKind.PICKED_UP.value),
                    delivered_at=min(times),
                )
            )
        return found

    def in_transit(self, *, since: datetime) -> list[InTransitRecord]:
        """Every parcel first picked up at `since` or later that has neither arrived (as `delivered`
        counts it) nor been returned (`_first_events` of the shipments picked up since)."""
        arrived = [EventKind.DELIVERED.value, EventKind.AVAILABLE_FOR_PICKUP.value]
        kinds = [EventKind.PICKED_UP.value, *arrived, EventKind.RETURNED.value]
        picked_shipments = select(TrackingEventRow.shipment_id).where(
            TrackingEventRow.kind == EventKind.PICKED_UP.value,
            TrackingEventRow.occurred_at >= since,
            TrackingEventRow.shipment_id.is_not(None),
        )
        events, shipments, destinations = self._first_events(picked_shipments, kinds)
        found = []
        for (shipment_id, number), seen in sorted(events.items()):
            shipment = shipments.get(shipment_id)
            destination = destinations.get(shipment_id)
            picked_up_at = seen.get(EventKind.PICKED_UP.value)
            if shipment is None or destination is None or picked_up_at is None or picked_up_at < since:
                continue
            counted = arrived if shipment.mode != DeliveryMode.HOME.value else arrived[:1]
            if EventKind.RETURNED.value in seen or any(kind in seen for kind in counted):
                continue
            found.append(
                InTransitRecord(
                    shipment_id=shipment_id,
                    tracking_number=number,
                    carrier=shipment.carrier,
                    service=shipment.service,
                    country=destination[0],
                    postcode=destination[1],
                    picked_up_at=picked_up_at,
                )
            )
        return found

    def last_delivered_id(self) -> int | None:
        """Walks the primary key from the newest event down to the first arrival: no index on kind."""
        return self.session.scalar(
            select(TrackingEventRow.id)
            .where(
                TrackingEventRow.kind.in_([EventKind.DELIVERED.value, EventKind.AVAILABLE_FOR_PICKUP.value]),
                TrackingEventRow.shipment_id.is_not(None),
            )
            .order_by(TrackingEventRow.id.desc())
            .limit(1)
        )


ERROR_MAX = 1000  # the outbox keeps the start of a long error


def _message(row: OutboxMessageRow) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        idempotency_key=row.idempotency_key,
        event_key=row.event_key,
        channel=Channel(row.channel),
        topic=Topic(row.topic),
        recipient=row.recipient,
        payload=row.payload,
        status=MessageStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        retry_until=row.retry_until,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

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
        exists = self.session.scalar(
            select(OutboxMessageRow.id).where(OutboxMessageRow.idempotency_key == idempotency_key)
        )
        if exists is not None:
            return None
        row = OutboxMessageRow(
            idempotency_key=idempotency_key,
            event_key=event_key,
            channel=channel.value,
            topic=topic.value,
            recipient=recipient,
            payload=payload,
            status=MessageStatus.PENDING.value,
            attempts=0,
            next_attempt_at=created_at,
            retry_until=retry_until,
            last_error="",
            created_at=created_at,
            sent_at=None,
        )
        self.session.add(row)
        _flush_unique(self.session, "an outbox message with this idempotency key exists")
        return _message(row)

    def get(self, message_id: int) -> OutboxMessage | None:
        if not 0 < message_id < MAX_ID:
            return None
        row = self.session.get(OutboxMessageRow, message_id, populate_existing=True)
        return None if row is None else _message(row)

    def claim_due(
        self, *, now: datetime, lease_until: datetime, limit: int, channels: Collection[Channel]
    ) -> list[OutboxMessage]:
        due = self.session.scalars(
            select(OutboxMessageRow.id)
            .where(
                OutboxMessageRow.status == MessageStatus.PENDING.value,
                OutboxMessageRow.next_attempt_at <= now,
                OutboxMessageRow.channel.in_([c.value for c in channels]),
            )
            .order_by(OutboxMessageRow.next_attempt_at, OutboxMessageRow.id)
            .limit(limit)
        ).all()
        claimed = []
        for message_id in due:  # each taken only if no other claim moved it since it was read
            result = self.session.execute(
                update(OutboxMessageRow)
                .where(
                    OutboxMessageRow.id == message_id,
                    OutboxMessageRow.status == MessageStatus.PENDING.value,
                    OutboxMessageRow.next_attempt_at <= now,
                )
                .values(next_attempt_at=lease_until)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(result):
                claimed.append(message_id)
        found = [self.get(message_id) for message_id in claimed]
        return [message for message in found if message is not None]

    def _set(self, message_id: int, **values: Any) -> None:
        self.session.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.id == message_id)
            .values(attempts=OutboxMessageRow.attempts + 1, **values)
            .execution_options(synchronize_session=False)
        )

    def mark_sent(self, message_id: int, at: datetime) -> None:
        self._set(message_id, status=MessageStatus.SENT.value, sent_at=at)

    def retry_later(self, message_id: int, *, error: str, next_attempt_at: datetime) -> None:
        self._set(message_id, last_error=error[:ERROR_MAX], next_attempt_at=next_attempt_at)

    def give_up(self, message_id: int, *, error: str) -> None:
        self._set(message_id, status=MessageStatus.DEAD.value, last_error=error[:ERROR_MAX])

    def replay(self, message_id: int, *, now: datetime, retry_until: datetime | None) -> OutboxMessage | None:
        if not 0 < message_id < MAX_ID:
            return None
        result = self.session.execute(
            update(OutboxMessageRow)
            .where(
                OutboxMessageRow.id == message_id,
                OutboxMessageRow.status.in_([MessageStatus.PENDING.value, MessageStatus.DEAD.value]),
            )
            .values(status=MessageStatus.PENDING.value, attempts=0, next_attempt_at=now, retry_until=retry_until)
            .execution_options(synchronize_session=False)
        )
        return self.get(message_id) if _rowcount(result) else None

    def list(self, *, status: MessageStatus | None = None, limit: int = 100, offset: int = 0) -> list[OutboxMessage]:
        query = select(OutboxMessageRow)
        if status is not None:
            query = query.where(OutboxMessageRow.status == status.value)
        query = query.order_by(OutboxMessageRow.id.desc()).limit(limit).offset(offset)
        return [_message(row) for row in self.session.scalars(query.execution_options(populate_existing=True))]


def _subscription(row: WebhookSubscriptionRow) -> WebhookSubscription:
    return WebhookSubscription(
        id=row.id,
        url=row.url,
        topics=tuple(Topic(t) for t in row.topics),
        secret=row.secret,
        active=row.active,
        created_at=row.created_at,
    )


class WebhookSubscriptionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, url: str, topics: Sequence[Topic], secret: str, created_at: datetime) -> WebhookSubscription:
        row = WebhookSubscriptionRow(
            url=url, topics=[t.value for t in topics], secret=secret, active=True, created_at=created_at
        )
        self.session.add(row)
        self.session.flush()
        return _subscription(row)

    def get(self, subscription_id: int) -> WebhookSubscription | None:
        if not 0 < subscription_id < MAX_ID:
            return None
        row = self.session.get(WebhookSubscriptionRow, subscription_id, populate_existing=True)
        return None if row is None else _subscription(row)

    def active(self, topic: Topic | None = None) -> list[WebhookSubscription]:
        query = select(WebhookSubscriptionRow).where(WebhookSubscriptionRow.active.is_(True))
        found = [_subscription(row) for row in self.session.scalars(query.order_by(WebhookSubscriptionRow.id))]
        return [s for s in found if topic is None or topic in s.topics]

    def deactivate(self, subscription_id: int) -> bool:
        if not 0 < subscription_id < MAX_ID:
            return False
        result = self.session.execute(
            update(WebhookSubscriptionRow)
            .where(WebhookSubscriptionRow.id == subscription_id, WebhookSubscriptionRow.active.is_(True))
            .values(active=False)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) > 0
