"""An in-memory unit of work, so the services' rules are tested without a database.

It keeps the contracts of tms/persistence: one transaction per `with` block (leaving it without
commit discards every change), documents stored as JSON (a copy, not the caller's dict), aware
datetimes kept in UTC (a naive one is refused), ids from sequences that a rollback does not give
back, and the store's unique rules raising `DuplicateKey` and ending the transaction: a carrier
code, a carrier's card version, a carrier's fuel date, an API key's hash, a manager session's
token hash, an order_ref, one succeeded run per shipping date (an outbox message whose idempotency
key is taken is not written: `add` answers None, as the SQL store does). A unique rule also sees rows other
units of work committed after this transaction began, as the database's unique indexes do; locking
a carrier (`id_of(lock=True)`) makes its cards read as committed now.
tests/integration/test_unit_of_work_contract.py runs the same scenario here and on the SQL unit
of work.
"""

from __future__ import annotations

import builtins
import itertools
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any

from tms.domain.access import ApiKey, Role
from tms.domain.capacity import Booking
from tms.domain.carriers import Carrier
from tms.domain.errors import DuplicateKey, DuplicateRun
from tms.domain.margins import ShippedOrder
from tms.domain.notifications import Channel, MessageStatus, OutboxMessage, Topic, WebhookSubscription
from tms.domain.orders import Order, OrderStatus
from tms.domain.pickup_points import DirectoryRecord, DirectoryStatus
from tms.domain.rate_cards import CardStatus, FuelSurcharge, RateCardRecord
from tms.domain.replay import PastOrder, PastShipment, past_shipment
from tms.domain.sessions import ManagerSession
from tms.domain.shipments import DaySpend, DeliveryOutcome, PromiseStatus, Shipment, ShipmentStatus, new_tracking_token
from tms.domain.tracking import DeliveredRecord, EventKind, InTransitRecord, StoredEvent, TrackingEvent
from tms.services.unit_of_work import (
    ApiKeys,
    Carriers,
    ConsolidationRuns,
    FuelSurcharges,
    ManagerSessions,
    Orders,
    Outbox,
    PickupDirectories,
    RateCards,
    Shipments,
    ShippingPolicies,
    TrackingEvents,
    UnitOfWork,
    WebhookSubscriptions,
)

MAX_ID = 2**31  # as the SQL store: no id reaches PostgreSQL's int4 limit
TABLES = (
    "carriers",
    "cards",
    "fuel",
    "keys",
    "sessions",
    "policies",
    "orders",
    "runs",
    "shipments",
    "directories",
    "tracking",
    "outbox",
    "webhooks",
)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return moment.astimezone(UTC)


def _json(document: Any) -> Any:
    """The document as a JSON column gives it back (and a value JSON cannot hold is refused)."""
    return json.loads(json.dumps(document))


class FakeStore:
    """The committed rows the fake units of work share, and the id sequences."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[Any, Any]] = {name: {} for name in TABLES}
        self._sequences = {name: itertools.count(1) for name in TABLES}
        self.commits = 0

    def next_id(self, table: str) -> int:
        return next(self._sequences[table])

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class _Transaction:
    """This transaction's view of the rows: the store's when it began, plus its own writes."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.rows = {name: dict(rows) for name, rows in store.tables.items()}
        self.dirty: dict[str, set[Any]] = {name: set() for name in TABLES}

    def table(self, name: str) -> dict[Any, Any]:
        return self.rows[name]

    def put(self, name: str, key: Any, value: Any) -> None:
        self.rows[name][key] = value
        self.dirty[name].add(key)

    def delete(self, name: str, key: Any) -> None:
        self.rows[name].pop(key, None)
        self.dirty[name].add(key)

    def refresh(self, name: str, key: Any) -> None:
        """Read the row again as committed now (this transaction's own write stays)."""
        if key not in self.dirty[name] and key in self.store.tables[name]:
            self.rows[name][key] = self.store.tables[name][key]

    def seen_anywhere(self, name: str) -> Iterator[tuple[Any, Any]]:
        """Rows of this transaction and rows committed by others since: what a unique index sees."""
        yield from self.rows[name].items()
        yield from self.store.tables[name].items()


class _Repository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _tx(self) -> _Transaction:
        return self._uow.transaction()

    def _refuse(self, what: str) -> DuplicateKey:
        """As the SQL store: the transaction is over (rolled back), the caller gets DuplicateKey."""
        self._uow.rollback()
        return DuplicateKey(what)


class FakeCarriers(_Repository, Carriers):
    def _entry(self, code: str) -> tuple[int, Carrier] | None:
        entry: tuple[int, Carrier] | None = self._tx.table("carriers").get(code)
        return entry

    def get(self, code: str) -> Carrier | None:
        entry = self._entry(code)
        return None if entry is None else entry[1]

    def list(self) -> list[Carrier]:
        return [carrier for _, carrier in sorted(self._tx.table("carriers").values(), key=lambda e: e[1].code)]

    def ensure(self, code: str, name: str, now: datetime) -> None:
        entry = self._entry(code)
        if entry is None:
            if any(key == code for key, _ in self._tx.seen_anywhere("carriers")):
                raise self._refuse(f"carrier {code!r} exists")
            self._tx.put("carriers", code, (self._uow.store.next_id("carriers"), Carrier(code, name, _utc(now))))
        elif entry[1].name != name:
            self._tx.put("carriers", code, (entry[0], replace(entry[1], name=name)))

    def id_of(self, code: str, *, lock: bool = False) -> int:
        tx = self._tx
        if lock:  # what this transaction reads of the carrier next is as committed now
            tx.refresh("carriers", code)
            for card_id, card in tx.store.tables["cards"].items():
                if card.carrier_code == code:
                    tx.refresh("cards", card_id)
            for key in tx.store.tables["fuel"]:
                if key[0] == code:
                    tx.refresh("fuel", key)
            for directory_id, directory in tx.store.tables["directories"].items():
                if directory.carrier_code == code:
                    tx.refresh("directories", directory_id)
        entry = self._entry(code)
        if entry is None:
            raise LookupError(code)
        return entry[0]


class FakeRateCards(_Repository, RateCards):
    def __init__(self, uow: FakeUnitOfWork, carriers: FakeCarriers) -> None:
        super().__init__(uow)
        self._carriers = carriers

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
        self._carriers.id_of(carrier_code, lock=True)
        versions = [card.version for card in self._tx.table("cards").values() if card.carrier_code == carrier_code]
        version = max(versions, default=0) + 1
        if any(c.carrier_code == carrier_code and c.version == version for _, c in self._tx.seen_anywhere("cards")):
            raise self._refuse(f"{carrier_code!r} version {version} exists")
        uploaded_at = _utc(uploaded_at)
        record = RateCardRecord(
            id=self._uow.store.next_id("cards"),
            carrier_code=carrier_code,
            version=version,
            valid_from=valid_from,
            currency=currency,
            status=status,
            checksum=checksum,
            source_format=source_format,
            source_name=source_name,
            uploaded_at=uploaded_at,
            uploaded_by=uploaded_by,
            activated_at=uploaded_at if status is CardStatus.ACTIVE else None,
            retired_at=None,
            document=_json(document),
        )
        self._tx.put("cards", record.id, record)
        return record

    def get(self, card_id: int, *, fresh: bool = False) -> RateCardRecord | None:
        if not 0 < card_id < MAX_ID:
            return None
        if fresh:
            self._tx.refresh("cards", card_id)
        record: RateCardRecord | None = self._tx.table("cards").get(card_id)
        return record

    def list(self, *, carrier_code: str | None = None, statuses: Sequence[CardStatus] = ()) -> list[RateCardRecord]:
        records = [
            r
            for r in self._tx.table("cards").values()
            if (carrier_code is None or r.carrier_code == carrier_code) and (not statuses or r.status in statuses)
        ]
        return sorted(records, key=lambda r: (r.carrier_code, -r.version))

    def find_by_checksum(self, carrier_code: str, checksum: str) -> RateCardRecord | None:
        matches = [r for r in self.list(carrier_code=carrier_code) if r.checksum == checksum]
        return matches[0] if matches else None

    def set_status(self, card_id: int, status: CardStatus, at: datetime) -> RateCardRecord:
        record = self.get(card_id)
        if record is None:
            raise LookupError(card_id)
        record = replace(record, status=status)
        if status is CardStatus.ACTIVE:
            record = replace(record, activated_at=_utc(at))
        elif status is CardStatus.RETIRED:
            record = replace(record, retired_at=_utc(at))
        self._tx.put("cards", card_id, record)
        return record


class FakePickupDirectories(_Repository, PickupDirectories):
    def __init__(self, uow: FakeUnitOfWork, carriers: FakeCarriers) -> None:
        super().__init__(uow)
        self._carriers = carriers

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
        self._carriers.id_of(carrier_code, lock=True)
        table = self._tx.table("directories")
        version = max((d.version for d in table.values() if d.carrier_code == carrier_code), default=0) + 1
        if any(
            d.carrier_code == carrier_code and d.version == version for _, d in self._tx.seen_anywhere("directories")
        ):
            raise self._refuse(f"{carrier_code!r} directory version {version} exists")
        uploaded_at = _utc(uploaded_at)
        record = DirectoryRecord(
            id=self._uow.store.next_id("directories"),
            carrier_code=carrier_code,
            version=version,
            status=status,
            checksum=checksum,
            point_count=point_count,
            source_format=source_format,
            source_name=source_name,
            uploaded_at=uploaded_at,
            uploaded_by=uploaded_by,
            activated_at=uploaded_at if status is DirectoryStatus.ACTIVE else None,
            retired_at=None,
            document=_json(document),
        )
        self._tx.put("directories", record.id, record)
        return replace(record, document={})

    def get(self, directory_id: int, *, fresh: bool = False) -> DirectoryRecord | None:
        if not 0 < directory_id < MAX_ID:
            return None
        if fresh:
            self._tx.refresh("directories", directory_id)
        record: DirectoryRecord | None = self._tx.table("directories").get(directory_id)
        return None if record is None else replace(record, document={})

    def _sorted(self, records: list[DirectoryRecord]) -> list[DirectoryRecord]:
        return sorted(records, key=lambda r: (r.carrier_code, -r.version))

    def find_by_checksum(self, carrier_code: str, checksum: str) -> DirectoryRecord | None:
        matches = [r for r in self.list(carrier_code=carrier_code) if r.checksum == checksum]
        return matches[0] if matches else None

    def set_status(self, directory_id: int, status: DirectoryStatus, at: datetime) -> DirectoryRecord:
        record: DirectoryRecord | None = self._tx.table("directories").get(directory_id)
        if record is None:
            raise LookupError(directory_id)
        record = replace(record, status=status)
        if status is DirectoryStatus.ACTIVE:
            record = replace(record, activated_at=_utc(at))
        elif status is DirectoryStatus.RETIRED:
            record = replace(record, retired_at=_utc(at))
        self._tx.put("directories", directory_id, record)
        return replace(record, document={})

    def active_with_points(self, *, except_ids: Collection[int] = ()) -> list[DirectoryRecord]:
        active = [r for r in self._tx.table("directories").values() if r.status is DirectoryStatus.ACTIVE]
        return self._sorted([replace(r, document={}) if r.id in except_ids else r for r in active])

    def signature(self) -> tuple[object, ...]:
        records: list[DirectoryRecord] = list(self._tx.table("directories").values())
        return (
            len(records),
            max((r.id for r in records), default=None),
            max((r.activated_at for r in records if r.activated_at), default=None),
            max((r.retired_at for r in records if r.retired_at), default=None),
        )

    def list(
        self, *, carrier_code: str | None = None, statuses: Sequence[DirectoryStatus] = ()
    ) -> list[DirectoryRecord]:
        records = [
            replace(r, document={})
            for r in self._tx.table("directories").values()
            if (carrier_code is None or r.carrier_code == carrier_code) and (not statuses or r.status in statuses)
        ]
        return self._sorted(records)


class FakeFuelSurcharges(_Repository, FuelSurcharges):
    def __init__(self, uow: FakeUnitOfWork, carriers: FakeCarriers) -> None:
        super().__init__(uow)
        self._carriers = carriers

    def set(self, carrier_code: str, valid_from: date, percent_bp: int, at: datetime) -> FuelSurcharge:
        self._carriers.id_of(carrier_code, lock=True)
        fuel = FuelSurcharge(carrier_code, valid_from, percent_bp, _utc(at))
        self._tx.put("fuel", (carrier_code, valid_from), fuel)
        return fuel

    def list(self, carrier_code: str | None = None) -> list[FuelSurcharge]:
        rows = [f for f in self._tx.table("fuel").values() if carrier_code is None or f.carrier_code == carrier_code]
        return sorted(rows, key=lambda f: (f.carrier_code, f.valid_from))


class FakeApiKeys(_Repository, ApiKeys):
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
        if any(key.key_hash == key_hash for _, key in self._tx.seen_anywhere("keys")):
            raise self._refuse("an API key with this hash exists")
        key_id = self._uow.store.next_id("keys")
        key = ApiKey(key_id, name, role, key_hash, display_prefix, _utc(created_at), channel=channel)
        self._tx.put("keys", key.id, key)
        return key

    def by_hash(self, key_hash: str) -> ApiKey | None:
        return next((key for key in self._tx.table("keys").values() if key.key_hash == key_hash), None)

    def get(self, key_id: int) -> ApiKey | None:
        key: ApiKey | None = self._tx.table("keys").get(key_id) if 0 < key_id < MAX_ID else None
        return key

    def list(self) -> list[ApiKey]:
        return sorted(self._tx.table("keys").values(), key=lambda key: key.id)

    def revoke(self, key_id: int, at: datetime) -> ApiKey:
        key = self.get(key_id)
        if key is None:
            raise LookupError(key_id)
        key = replace(key, revoked_at=_utc(at))
        self._tx.put("keys", key_id, key)
        return key


class FakeManagerSessions(_Repository, ManagerSessions):
    def add(self, *, token_hash: str, key_id: int, created_at: datetime, expires_at: datetime) -> ManagerSession:
        if any(s.token_hash == token_hash for _, s in self._tx.seen_anywhere("sessions")):
            raise self._refuse("a manager session with this token exists")
        if key_id not in self._tx.table("keys"):
            raise LookupError(key_id)  # the store's foreign key
        created_at = _utc(created_at)
        record = ManagerSession(
            id=self._uow.store.next_id("sessions"),
            token_hash=token_hash,
            key_id=key_id,
            created_at=created_at,
            last_seen_at=created_at,
            expires_at=_utc(expires_at),
        )
        self._tx.put("sessions", record.id, record)
        return record

    def by_hash(self, token_hash: str) -> ManagerSession | None:
        return next((s for s in self._tx.table("sessions").values() if s.token_hash == token_hash), None)

    def _change(self, session_id: int, **changes: Any) -> None:
        record: ManagerSession | None = self._tx.table("sessions").get(session_id)
        if record is not None:
            self._tx.put("sessions", session_id, replace(record, **changes))

    def touch(self, session_id: int, at: datetime) -> None:
        self._change(session_id, last_seen_at=_utc(at))

    def revoke(self, session_id: int, at: datetime) -> None:
        record: ManagerSession | None = self._tx.table("sessions").get(session_id)
        if record is not None and record.revoked_at is None:
            self._change(session_id, revoked_at=_utc(at))

    def revoke_for_key(self, key_id: int, at: datetime) -> int:
        live = [s for s in self._tx.table("sessions").values() if s.key_id == key_id and s.revoked_at is None]
        for record in live:
            self._change(record.id, revoked_at=_utc(at))
        return len(live)

    def delete_expired(self, now: datetime) -> int:
        now = _utc(now)
        expired = [i for i, s in self._tx.table("sessions").items() if s.expires_at <= now]
        for session_id in expired:
            self._tx.delete("sessions", session_id)
        return len(expired)


class FakeShippingPolicies(_Repository, ShippingPolicies):
    def current(self) -> dict[str, Any] | None:
        policies = self._tx.table("policies")
        if not policies:
            return None
        document: dict[str, Any] = _json(policies[max(policies)]["document"])
        return document

    def set(self, document: dict[str, Any], at: datetime, by: str) -> None:
        policy_id = self._uow.store.next_id("policies")
        self._tx.put("policies", policy_id, {"document": _json(document), "set_at": _utc(at), "set_by": by})


class FakeOrders(_Repository, Orders):
    """Rows are (id, order, shipment id), keyed by order_ref."""

    def _rows(self) -> list[tuple[int, Order, int | None]]:
        return sorted(self._tx.table("orders").values(), key=lambda row: row[0])

    def get(self, order_ref: str) -> Order | None:
        row: tuple[int, Order, int | None] | None = self._tx.table("orders").get(order_ref)
        return None if row is None else row[1]

    def add(self, order: Order, created_at: datetime) -> Order:
        order_id = self._uow.store.next_id("orders")
        if any(ref == order.order_ref for ref, _ in self._tx.seen_anywhere("orders")):
            raise self._refuse(f"order {order.order_ref!r} exists")
        stored = replace(order, ordered_at=_utc(order.ordered_at), created_at=_utc(created_at), run_id=None)
        self._tx.put("orders", order.order_ref, (order_id, stored, None))
        return stored

    def pending(self) -> list[Order]:
        return [order for _, order, _ in self._rows() if order.status is OrderStatus.PENDING]

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
        shipments = self._tx.table("shipments")

        def carried(order: Order, shipment_id: int | None) -> bool:
            planned = shipments.get(shipment_id) if shipment_id is not None else None
            return order.carrier == carrier or (planned is not None and planned["carrier"] == carrier)

        def found(value: str) -> bool:
            return text is not None and text.lower() in value.lower()

        orders = [
            order
            for _, order, shipment_id in self._rows()
            if (status is None or order.status is status)
            and (consignee_key is None or order.consignee_key == consignee_key)
            and (carrier is None or carried(order, shipment_id))
            and (since is None or order.ordered_at >= since)
            and (until is None or order.ordered_at < until)
            and (not postcode or order.address.postcode.startswith(postcode))
            and (not text or found(order.order_ref) or found(order.address.name))
        ]
        return orders[offset : offset + limit]

    def set_status(self, order_ref: str, status: OrderStatus, *, only_from: tuple[OrderStatus, ...]) -> Order | None:
        row: tuple[int, Order, int | None] | None = self._tx.table("orders").get(order_ref)
        if row is None or row[1].status not in only_from:
            return None
        moved = replace(row[1], status=status)
        self._tx.put("orders", order_ref, (row[0], moved, row[2]))
        return moved

    def need_attention(self, reasons: Mapping[str, str]) -> int:
        changed = 0
        for order_ref, reason in reasons.items():
            row: tuple[int, Order, int | None] | None = self._tx.table("orders").get(order_ref)
            if row is not None and row[1].status is OrderStatus.PENDING:
                flagged = replace(row[1], status=OrderStatus.NEEDS_ATTENTION, attention=reason[:300])
                self._tx.put("orders", order_ref, (row[0], flagged, row[2]))
                changed += 1
        return changed

    def bookings(self, *, since: date) -> builtins.list[Booking]:
        booked: dict[tuple[str, str, date], list[int]] = {}
        for _, order, _ in self._tx.table("orders").values():
            open_ = order.status in (OrderStatus.PENDING, OrderStatus.PLANNED)
            if open_ and order.carrier and order.ships_on is not None and order.ships_on >= since:
                entry = booked.setdefault((order.warehouse, order.carrier, order.ships_on), [0, 0])
                entry[0] += 1
                entry[1] += order.weight_g
        return [Booking(*key, n, g) for key, (n, g) in sorted(booked.items())]

    def note_left(self, reasons: Mapping[str, str]) -> int:
        changed = 0
        for order_ref, reason in reasons.items():
            row: tuple[int, Order, int | None] | None = self._tx.table("orders").get(order_ref)
            if row is not None and row[1].status is OrderStatus.PENDING:
                self._tx.put("orders", order_ref, (row[0], replace(row[1], attention=reason[:300]), row[2]))
                changed += 1
        return changed

    def plan(self, order_refs: Sequence[str], run_id: int, shipment_id: int) -> int:
        changed = 0
        for order_ref in set(order_refs):
            row: tuple[int, Order, int | None] | None = self._tx.table("orders").get(order_ref)
            if row is not None and row[1].status is OrderStatus.PENDING:
                planned = replace(
                    row[1], status=OrderStatus.PLANNED, run_id=run_id, shipment_id=shipment_id, attention=None
                )
                self._tx.put("orders", order_ref, (row[0], planned, shipment_id))
                changed += 1
        return changed


class FakeConsolidationRuns(_Repository, ConsolidationRuns):
    """Runs are their record (as `list` answers it); shipments are kept with their run's id."""

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
        run_id = self._uow.store.next_id("runs")
        slot = (shipping_date, warehouse, run_at)
        if status == "succeeded" and any(
            run["status"] == "succeeded" and _slot(run) == slot for _, run in self._tx.seen_anywhere("runs")
        ):
            self._refuse("")  # the transaction is over, as on the SQL store
            raise DuplicateRun(f"{warehouse} was already planned for {shipping_date} at {run_at}")
        record = {
            "id": run_id,
            "shipping_date": shipping_date,
            "warehouse": warehouse,
            "run_at": run_at,
            "status": status,
            "trigger": trigger,
            "started_at": _utc(started_at),
            "finished_at": _utc(finished_at),
            "error": error[:2000],
            **_json(summary),
        }
        self._tx.put("runs", run_id, record)
        return run_id

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
        if run_id not in self._tx.table("runs") or rate_card_id not in self._tx.table("cards"):
            raise LookupError(run_id, rate_card_id)  # the store's foreign keys
        shipment_id = self._uow.store.next_id("shipments")
        shipment = {
            "run_id": run_id,
            "ships_on": ships_on,
            "carrier": carrier,
            "service": service,
            "mode": mode,
            "parcels": parcels,
            "weight_g": weight_g,
            "cost_cents": cost_cents,
            "rate_card_id": rate_card_id,
            "status": ShipmentStatus.PLANNED,
            "tracking_numbers": (),
            "dispatched_at": None,
            "tracking_token": new_tracking_token(),
            "promised_by": promised_by,
            "predicted_on": None,
            "promise_status": None,
            "delivered_on": None,
        }
        self._tx.put("shipments", shipment_id, {**shipment, "detail": _json(detail)})
        return shipment_id

    def succeeded_on(self, *, shipping_date: date, warehouse: str, run_at: str) -> int | None:
        slot = (shipping_date, warehouse, run_at)
        return next(
            (
                run_id
                for run_id, run in self._tx.table("runs").items()
                if run["status"] == "succeeded" and _slot(run) == slot
            ),
            None,
        )

    def day_load(self, ships_on: date, warehouse: str | None = None) -> dict[str, tuple[int, int]]:
        runs = self._tx.table("runs")
        totals: dict[str, tuple[int, int]] = {}
        for shipment in self._tx.table("shipments").values():
            run = runs[shipment["run_id"]]
            of_the_site = warehouse in (None, run["warehouse"])
            if run["status"] == "succeeded" and shipment["ships_on"] == ships_on and of_the_site:
                parcels, grams = totals.get(shipment["carrier"], (0, 0))
                totals[shipment["carrier"]] = (parcels + shipment["parcels"], grams + shipment["weight_g"])
        return totals

    def get(self, run_id: int) -> dict[str, Any] | None:
        run = self._tx.table("runs").get(run_id) if 0 < run_id < MAX_ID else None
        if run is None:
            return None
        shipments = sorted((i, s) for i, s in self._tx.table("shipments").items() if s["run_id"] == run_id)
        return {**run, "shipments": [{"id": i, **s["detail"]} for i, s in shipments]}

    def list(self, limit: int = 100) -> list[dict[str, Any]]:
        runs = sorted(self._tx.table("runs").values(), key=lambda run: -run["id"])
        return [dict(run) for run in runs[:limit]]

    def month_parcels(self, month_start: date, before: date) -> dict[str, int]:
        runs = self._tx.table("runs")
        totals: dict[str, int] = {}
        for shipment in self._tx.table("shipments").values():
            if runs[shipment["run_id"]]["status"] == "succeeded" and month_start <= shipment["ships_on"] < before:
                totals[shipment["carrier"]] = totals.get(shipment["carrier"], 0) + shipment["parcels"]
        return totals


class FakeShipments(_Repository, Shipments):
    def _shipment(self, shipment_id: int, row: dict[str, Any]) -> Shipment:
        orders = sorted(ref for ref, (_, _, sid) in self._tx.table("orders").items() if sid == shipment_id)
        fields = {k: v for k, v in row.items() if k != "detail"}
        return Shipment(id=shipment_id, orders=tuple(orders), detail=dict(row["detail"]), **fields)

    def get(self, shipment_id: int) -> Shipment | None:
        row = self._tx.table("shipments").get(shipment_id)
        return None if row is None else self._shipment(shipment_id, row)

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
        found = [
            self._shipment(i, row)
            for i, row in sorted(self._tx.table("shipments").items())
            if (run_id is None or row["run_id"] == run_id)
            and (ships_on is None or row["ships_on"] == ships_on)
            and (carrier is None or row["carrier"] == carrier)
            and (status is None or row["status"] is status)
            and (not promise_status or row["promise_status"] in promise_status)
        ]
        return found[offset : offset + limit]

    def dispatch(self, shipment_id: int, tracking_numbers: Sequence[str], at: datetime) -> Shipment | None:
        row = self._tx.table("shipments").get(shipment_id)
        if row is None or row["status"] is not ShipmentStatus.PLANNED:
            return None
        moved = {**row, "status": ShipmentStatus.DISPATCHED, "tracking_numbers": tuple(tracking_numbers)}
        self._tx.put("shipments", shipment_id, {**moved, "dispatched_at": _utc(at)})
        self._move_orders(shipment_id, OrderStatus.PLANNED, OrderStatus.DISPATCHED)
        return self.get(shipment_id)

    def _move_orders(self, shipment_id: int, before: OrderStatus, after: OrderStatus) -> None:
        for ref, (order_id, order, sid) in list(self._tx.table("orders").items()):
            if sid == shipment_id and order.status is before:
                self._tx.put("orders", ref, (order_id, replace(order, status=after), sid))

    def by_tracking_number(self, carrier: str, tracking_number: str) -> Shipment | None:
        for i, row in sorted(self._tx.table("shipments").items(), reverse=True):
            if row["carrier"] == carrier and tracking_number in row["tracking_numbers"]:
                return self._shipment(i, row)
        return None

    def by_token(self, token: str) -> Shipment | None:
        for i, row in self._tx.table("shipments").items():
            if token and row["tracking_token"] == token:
                return self._shipment(i, row)
        return None

    def watched(self, *, after_id: int = 0, limit: int = 500) -> builtins.list[Shipment]:
        open_ = (ShipmentStatus.PLANNED, ShipmentStatus.DISPATCHED)
        found = [
            self._shipment(i, row)
            for i, row in sorted(self._tx.table("shipments").items())
            if i > after_id and row["status"] in open_
        ]
        return found[:limit]

    def set_promise(self, shipment_id: int, *, predicted_on: date | None, status: PromiseStatus, at: datetime) -> None:
        row = self._tx.table("shipments").get(shipment_id)
        if row is not None:
            self._tx.put("shipments", shipment_id, {**row, "predicted_on": predicted_on, "promise_status": status})

    def deliver(self, shipment_id: int, delivered_on: date, status: PromiseStatus, at: datetime) -> bool:
        row = self._tx.table("shipments").get(shipment_id)
        if row is None or row["status"] is not ShipmentStatus.DISPATCHED:
            return False
        delivered = {"status": ShipmentStatus.DELIVERED, "delivered_on": delivered_on, "predicted_on": delivered_on}
        self._tx.put("shipments", shipment_id, {**row, **delivered, "promise_status": status})
        self._move_orders(shipment_id, OrderStatus.DISPATCHED, OrderStatus.DELIVERED)
        return True

    def spend(self, *, since: date, until: date) -> builtins.list[DaySpend]:
        totals: dict[tuple[date, str, str], list[int]] = {}
        for i, row in self._tx.table("shipments").items():
            if not since <= row["ships_on"] <= until:
                continue
            entry = totals.setdefault((row["ships_on"], row["carrier"], row["mode"]), [0, 0, 0, 0])
            orders = sum(1 for _, _, sid in self._tx.table("orders").values() if sid == i)
            for n, value in enumerate((1, row["parcels"], orders, row["cost_cents"])):
                entry[n] += value
        return [DaySpend(*key, *values) for key, values in sorted(totals.items())]

    def shipped_orders(self, *, since: date, until: date) -> builtins.list[ShippedOrder]:
        found = []
        for i, row in self._tx.table("shipments").items():
            if since <= row["ships_on"] <= until:
                found += [
                    ShippedOrder(
                        i,
                        row["ships_on"],
                        row["cost_cents"],
                        o.order_ref,
                        o.weight_g,
                        o.cart_value_cents,
                        o.shipping_paid_cents,
                    )
                    for _, o, sid in self._tx.table("orders").values()
                    if sid == i
                ]
        return sorted(found, key=lambda o: (o.ships_on, o.shipment_id, o.order_ref))

    def delivery_outcomes(self, *, since: date, until: date) -> builtins.list[DeliveryOutcome]:
        found = []
        for i, row in self._tx.table("shipments").items():
            delivered_on = row["delivered_on"]
            if row["status"] is not ShipmentStatus.DELIVERED or not since <= delivered_on <= until:
                continue
            orders = [o for _, o, sid in self._tx.table("orders").values() if sid == i]
            if not orders:
                continue
            country = min(o.address.country for o in orders)
            postcode = min(o.address.postcode for o in orders)
            found.append(
                DeliveryOutcome(
                    i,
                    row["carrier"],
                    row["service"],
                    country,
                    postcode,
                    row["ships_on"],
                    row["promised_by"],
                    delivered_on,
                )
            )
        return sorted(found, key=lambda o: (o.delivered_on, o.shipment_id))

    def past(self, *, since: date, until: date) -> builtins.list[PastShipment]:
        found = []
        for i, row in sorted(self._tx.table("shipments").items(), key=lambda pair: (pair[1]["ships_on"], pair[0])):
            if not since <= row["ships_on"] <= until:
                continue
            orders = sorted(
                (o for _, o, sid in self._tx.table("orders").values() if sid == i), key=lambda o: o.order_ref
            )
            found.append(
                past_shipment(
                    shipment_id=i,
                    ships_on=row["ships_on"],
                    carrier=row["carrier"],
                    service=row["service"],
                    mode=row["mode"],
                    rate_card_id=row["rate_card_id"],
                    parcels=row["parcels"],
                    detail=row["detail"],
                    orders=tuple(
                        PastOrder(o.order_ref, o.address.country, o.address.postcode, o.pickup_point_id, o.items)
                        for o in orders
                    ),
                )
            )
        return found


class FakeTrackingEvents(_Repository, TrackingEvents):
    def add(self, event: TrackingEvent, *, shipment_id: int | None, source: str, received_at: datetime) -> bool:
        key = (event.carrier, event.tracking_number, event.code, _utc(event.occurred_at))
        if any(stored.event.key == key for _, stored in self._tx.seen_anywhere("tracking")):
            return False
        event = replace(event, occurred_at=key[3])
        stored = StoredEvent(
            id=self._uow.store.next_id("tracking"),
            event=event,
            shipment_id=shipment_id,
            source=source,
            received_at=_utc(received_at),
        )
        self._tx.put("tracking", stored.id, stored)
        return True

    def for_shipment(self, shipment_id: int) -> list[StoredEvent]:
        found = [s for s in self._tx.table("tracking").values() if s.shipment_id == shipment_id]
        return sorted(found, key=lambda s: (s.event.occurred_at, s.id))

    def unmatched(self, *, carrier: str | None = None, limit: int = 100, offset: int = 0) -> list[StoredEvent]:
        found = [
            s
            for _, s in sorted(self._tx.table("tracking").items())
            if s.shipment_id is None and (carrier is None or s.event.carrier == carrier)
        ]
        return found[offset : offset + limit]

    def _first_events(
        self, kinds_kept: tuple[EventKind, ...]
    ) -> list[tuple[int, str, dict[EventKind, datetime], dict[str, Any], tuple[str, str]]]:
        """Per parcel of a shipment, in order: (shipment id, tracking number, the first time of each of
        `kinds_kept` it had, its shipment, its orders' first destination)."""
        firsts: dict[tuple[int, str], dict[EventKind, datetime]] = {}
        for s in self._tx.table("tracking").values():
            if s.shipment_id is not None and s.event.kind in kinds_kept:
                kinds = firsts.setdefault((s.shipment_id, s.event.tracking_number), {})
                at = kinds.get(s.event.kind)
                kinds[s.event.kind] = s.event.occurred_at if at is None else min(at, s.event.occurred_at)
        orders = self._tx.table("orders").values()
        found = []
        for (shipment_id, number), kinds in sorted(firsts.items()):
            shipment = self._tx.table("shipments").get(shipment_id)
            addresses = sorted((o.address.country, o.address.postcode) for _, o, sid in orders if sid == shipment_id)
            if shipment is not None and addresses:
                found.append((shipment_id, number, kinds, shipment, addresses[0]))
        return found

    def delivered(self) -> list[DeliveredRecord]:
        arrived = (EventKind.DELIVERED, EventKind.AVAILABLE_FOR_PICKUP)
        found = []
        for shipment_id, number, kinds, shipment, (country, postcode) in self._first_events(
            (EventKind.PICKED_UP, *arrived)
        ):
            counted = arrived if shipment["mode"] != "home" else arrived[:1]
            times = [kinds[kind] for kind in counted if kind in kinds]
            if not times:
                continue
            found.append(
                DeliveredRecord(
                    shipment_id=shipment_id,
                    tracking_number=number,
                    carrier=shipment["carrier"],
                    service=shipment["service"],
                    country=country,
                    postcode=postcode,
                    ships_on=shipment["ships_on"],
                    picked_up_at=kinds.get(EventKind.PICKED_UP),
                    delivered_at=min(times),
                )
            )
        return found

    def in_transit(self, *, since: datetime) -> list[InTransitRecord]:
        arrived = (EventKind.DELIVERED, EventKind.AVAILABLE_FOR_PICKUP)
        found = []
        for shipment_id, number, kinds, shipment, (country, postcode) in self._first_events(
            (EventKind.PICKED_UP, EventKind.RETURNED, *arrived)
        ):
            picked_up_at = kinds.get(EventKind.PICKED_UP)
            if picked_up_at is None or picked_up_at < since:
                continue
            counted = arrived if shipment["mode"] != "home" else arrived[:1]
            if EventKind.RETURNED in kinds or any(kind in kinds for kind in counted):
                continue
            found.append(
                InTransitRecord(
                    shipment_id=shipment_id,
                    tracking_number=number,
                    carrier=shipment["carrier"],
                    service=shipment["service"],
                    country=country,
                    postcode=postcode,
                    picked_up_at=picked_up_at,
                )
            )
        return found

    def last_delivered_id(self) -> int | None:
        return max(
            (
                i
                for i, s in self._tx.table("tracking").items()
                if s.event.kind in (EventKind.DELIVERED, EventKind.AVAILABLE_FOR_PICKUP) and s.shipment_id is not None
            ),
            default=None,
        )


class FakeOutbox(_Repository, Outbox):
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
        if any(m.idempotency_key == idempotency_key for _, m in self._tx.seen_anywhere("outbox")):
            return None
        message = OutboxMessage(
            id=self._uow.store.next_id("outbox"),
            idempotency_key=idempotency_key,
            event_key=event_key,
            channel=channel,
            topic=topic,
            recipient=recipient,
            payload=_json(payload),
            status=MessageStatus.PENDING,
            attempts=0,
            next_attempt_at=_utc(created_at),
            retry_until=None if retry_until is None else _utc(retry_until),
            last_error="",
            created_at=_utc(created_at),
            sent_at=None,
        )
        self._tx.put("outbox", message.id, message)
        return message

    def get(self, message_id: int) -> OutboxMessage | None:
        self._tx.refresh("outbox", message_id)
        message: OutboxMessage | None = self._tx.table("outbox").get(message_id)
        return message

    def claim_due(
        self, *, now: datetime, lease_until: datetime, limit: int, channels: Collection[Channel]
    ) -> list[OutboxMessage]:
        for key in list(self._uow.store.tables["outbox"]):
            self._tx.refresh("outbox", key)  # as the conditional UPDATE sees the committed row
        due = sorted(
            (
                m
                for m in self._tx.table("outbox").values()
                if m.status is MessageStatus.PENDING and m.next_attempt_at <= _utc(now) and m.channel in channels
            ),
            key=lambda m: (m.next_attempt_at, m.id),
        )[:limit]
        claimed = [replace(m, next_attempt_at=_utc(lease_until)) for m in due]
        for message in claimed:
            self._tx.put("outbox", message.id, message)
        return claimed

    def _set(self, message_id: int, **changes: Any) -> None:
        message = self.get(message_id)
        if message is not None:
            self._tx.put("outbox", message_id, replace(message, attempts=message.attempts + 1, **changes))

    def mark_sent(self, message_id: int, at: datetime) -> None:
        self._set(message_id, status=MessageStatus.SENT, sent_at=_utc(at))

    def retry_later(self, message_id: int, *, error: str, next_attempt_at: datetime) -> None:
        self._set(message_id, last_error=error[:1000], next_attempt_at=_utc(next_attempt_at))

    def give_up(self, message_id: int, *, error: str) -> None:
        self._set(message_id, status=MessageStatus.DEAD, last_error=error[:1000])

    def replay(self, message_id: int, *, now: datetime, retry_until: datetime | None) -> OutboxMessage | None:
        message = self.get(message_id) if 0 < message_id < MAX_ID else None
        if message is None or message.status is MessageStatus.SENT:
            return None
        message = replace(
            message,
            status=MessageStatus.PENDING,
            attempts=0,
            next_attempt_at=_utc(now),
            retry_until=None if retry_until is None else _utc(retry_until),
        )
        self._tx.put("outbox", message_id, message)
        return message

    def list(self, *, status: MessageStatus | None = None, limit: int = 100, offset: int = 0) -> list[OutboxMessage]:
        found = [m for _, m in sorted(self._tx.table("outbox").items(), reverse=True) if status in (None, m.status)]
        return found[offset : offset + limit]


class FakeWebhookSubscriptions(_Repository, WebhookSubscriptions):
    def add(self, *, url: str, topics: Sequence[Topic], secret: str, created_at: datetime) -> WebhookSubscription:
        subscription = WebhookSubscription(
            id=self._uow.store.next_id("webhooks"),
            url=url,
            topics=tuple(topics),
            secret=secret,
            active=True,
            created_at=_utc(created_at),
        )
        self._tx.put("webhooks", subscription.id, subscription)
        return subscription

    def get(self, subscription_id: int) -> WebhookSubscription | None:
        found: WebhookSubscription | None = self._tx.table("webhooks").get(subscription_id)
        return found

    def active(self, topic: Topic | None = None) -> list[WebhookSubscription]:
        return [
            s
            for _, s in sorted(self._tx.table("webhooks").items())
            if s.active and (topic is None or topic in s.topics)
        ]

    def deactivate(self, subscription_id: int) -> bool:
        found = self.get(subscription_id)
        if found is None or not found.active:
            return False
        self._tx.put("webhooks", subscription_id, replace(found, active=False))
        return True


def _slot(run: dict[str, Any]) -> tuple[date, str, str]:
    return (run["shipping_date"], run["warehouse"], run["run_at"])


class FakeUnitOfWork:
    """`with uow:` begins a transaction on the store; `commit()` writes it; leaving the block discards the rest."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()
        self._transaction: _Transaction | None = None
        self.carriers = FakeCarriers(self)
        self.rate_cards = FakeRateCards(self, self.carriers)
        self.fuel = FakeFuelSurcharges(self, self.carriers)
        self.api_keys = FakeApiKeys(self)
        self.manager_sessions = FakeManagerSessions(self)
        self.policies = FakeShippingPolicies(self)
        self.orders = FakeOrders(self)
        self.runs = FakeConsolidationRuns(self)
        self.shipments = FakeShipments(self)
        self.pickup_directories = FakePickupDirectories(self, self.carriers)
        self.tracking = FakeTrackingEvents(self)
        self.outbox = FakeOutbox(self)
        self.webhooks = FakeWebhookSubscriptions(self)

    def transaction(self) -> _Transaction:
        if self._transaction is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._transaction

    def __enter__(self) -> FakeUnitOfWork:
        self._transaction = _Transaction(self.store)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._transaction = None

    def quote_inputs_signature(self) -> tuple[object, ...]:
        tx = self.transaction()
        cards: list[RateCardRecord] = list(tx.table("cards").values())
        fuel: list[FuelSurcharge] = list(tx.table("fuel").values())
        return (
            len(cards),
            max((c.id for c in cards), default=None),
            max((c.activated_at for c in cards if c.activated_at), default=None),
            max((c.retired_at for c in cards if c.retired_at), default=None),
            len(fuel),
            max((f.set_at for f in fuel), default=None),
            max((k for k in tx.table("policies")), default=None),
            max((k for k in tx.table("runs")), default=None),
        )

    def commit(self) -> None:
        tx = self.transaction()
        for name, keys in tx.dirty.items():
            for key in keys:
                if key in tx.rows[name]:
                    self.store.tables[name][key] = tx.rows[name][key]
                else:  # deleted in this transaction
                    self.store.tables[name].pop(key, None)
        self.store.commits += 1
        self._transaction = _Transaction(self.store)  # the next statements begin a new transaction

    def rollback(self) -> None:
        self.transaction()
        self._transaction = _Transaction(self.store)


_satisfies_the_protocol: Callable[[FakeStore], UnitOfWork] = FakeUnitOfWork  # checked by mypy
