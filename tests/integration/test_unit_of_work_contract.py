"""The same scenarios on the in-memory unit of work of the unit tests and on the SQL one (SQLite, or
PostgreSQL from TMS_TEST_DATABASE_URL), so that the fake cannot drift from the store it stands for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.fakes import FakeStore
from tms.domain.access import Role
from tms.domain.errors import DuplicateKey, DuplicateRun
from tms.domain.features import Features, SpeedClass
from tms.domain.orders import Address, Item, Order, OrderStatus
from tms.domain.pickup_points import DirectoryStatus
from tms.domain.rate_cards import CardStatus
from tms.domain.shipments import ShipmentStatus
from tms.services.unit_of_work import UnitOfWork

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(params=["fake", "sql"])
def new_uow(request: pytest.FixtureRequest) -> Callable[[], UnitOfWork]:
    if request.param == "fake":
        return FakeStore().uow
    container = request.getfixturevalue("container")
    uow: Callable[[], UnitOfWork] = container.uow
    return uow


def an_order(order_ref: str, **changes: Any) -> Order:
    order = Order(
        order_ref=order_ref,
        warehouse="PAR1",
        ordered_at=datetime(2026, 3, 2, 10, 0, tzinfo=PARIS),
        address=Address("Léa Martin", "12 rue Neuve", "69003", "Lyon", "FR"),
        mode="home",
        items=(Item("SHOE-42", 1200, 330, 220, 120, quantity=2),),
        cart_value_cents=8990,
        deliver_by=date(2026, 3, 10),
        carrier="colissimo",
        service="HOME",
    )
    return replace(order, **changes)


def add_card(uow: UnitOfWork, status: CardStatus = CardStatus.DRAFT, checksum: str = "c1") -> Any:
    return uow.rate_cards.add(
        carrier_code="colissimo",
        valid_from=date(2026, 1, 1),
        currency="EUR",
        status=status,
        checksum=checksum,
        source_format="json",
        source_name="card.json",
        uploaded_at=NOW,
        uploaded_by="manager",
        document={"carrier": "colissimo", "fuel_percent": 12.75},
    )


def test_leaving_the_block_without_commit_discards_every_change(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        uow.orders.add(an_order("A-1"), NOW)
        uow.policies.set({"free_above": 49}, NOW, "manager")
        assert uow.carriers.get("colissimo") is not None  # seen inside its own transaction
    with new_uow() as uow:
        assert (uow.carriers.list(), uow.orders.get("A-1"), uow.policies.current()) == ([], None, None)


def test_a_rollback_discards_what_came_before_it_and_a_commit_keeps_it(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        uow.orders.add(an_order("A-1"), NOW)
        uow.rollback()
        uow.orders.add(an_order("A-2"), NOW)
        uow.commit()
        uow.orders.add(an_order("A-3"), NOW)
    with new_uow() as uow:
        assert [o.order_ref for o in uow.orders.list()] == ["A-2"]


def test_a_taken_order_ref_is_a_duplicate_key_that_ends_the_transaction(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        stored = uow.orders.add(an_order("A-1"), NOW)
        uow.commit()
    assert stored.created_at == NOW and stored.status is OrderStatus.PENDING
    with new_uow() as uow:
        uow.orders.add(an_order("A-2"), NOW)
        with pytest.raises(DuplicateKey):
            uow.orders.add(an_order("A-1", cart_value_cents=1), NOW)
        uow.commit()
    with new_uow() as uow:
        assert [o.order_ref for o in uow.orders.list()] == ["A-1"]
        stored = uow.orders.get("A-1")
        assert stored == an_order("A-1", created_at=NOW)
        assert stored is not None and stored.ordered_at.utcoffset() == timedelta(0)


def test_orders_move_status_only_from_the_status_named(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        for ref in ("A-1", "A-2", "A-3"):
            uow.orders.add(an_order(ref, pickup_point_id="PP-1" if ref == "A-3" else None), NOW)
        uow.commit()
    with new_uow() as uow:
        assert uow.orders.set_status("A-1", OrderStatus.CANCELLED, only_from=(OrderStatus.PENDING,)) is not None
        assert uow.orders.set_status("A-1", OrderStatus.CANCELLED, only_from=(OrderStatus.PENDING,)) is None
        assert uow.orders.set_status("NOPE", OrderStatus.CANCELLED, only_from=(OrderStatus.PENDING,)) is None
        uow.commit()
    with new_uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        card = add_card(uow)
        run_id = uow.runs.add(
            shipping_date=date(2026, 3, 3),
            warehouse="PAR1",
            run_at="02:30",
            status="succeeded",
            trigger="manual",
            started_at=NOW,
            finished_at=NOW,
            summary={},
        )
        shipment_id = uow.runs.add_shipment(
            run_id=run_id,
            ships_on=date(2026, 3, 3),
            carrier="colissimo",
            service="HOME",
            mode="home",
            parcels=1,
            weight_g=2400,
            cost_cents=700,
            rate_card_id=card.id,
            detail={},
        )
        assert uow.orders.plan(["A-1", "A-2", "NOPE"], run_id, shipment_id) == 1  # A-1 is cancelled
        uow.commit()
    with new_uow() as uow:
        statuses = [(o.order_ref, o.status, o.run_id) for o in uow.orders.list()]
        assert statuses == [
            ("A-1", OrderStatus.CANCELLED, None),
            ("A-2", OrderStatus.PLANNED, run_id),
            ("A-3", OrderStatus.PENDING, None),
        ]
        assert [o.order_ref for o in uow.orders.pending()] == ["A-3"]
        assert [o.order_ref for o in uow.orders.list(status=OrderStatus.PLANNED)] == ["A-2"]
        assert uow.orders.get("A-2").shipment_id == shipment_id  # type: ignore[union-attr]
        shipment = uow.shipments.get(shipment_id)
        assert shipment is not None
        assert (shipment.orders, shipment.status, shipment.tracking_numbers) == (("A-2",), ShipmentStatus.PLANNED, ())
        assert (shipment.carrier, shipment.service, shipment.parcels, shipment.cost_cents) == (
            "colissimo",
            "HOME",
            1,
            700,
        )
        assert [s.id for s in uow.shipments.list(run_id=run_id)] == [shipment_id]
        assert uow.shipments.list(status=ShipmentStatus.DISPATCHED) == []
        assert uow.shipments.list(ships_on=date(2026, 3, 4)) == [] and uow.shipments.get(2**40) is None
        dispatched = uow.shipments.dispatch(shipment_id, ["6A1"], NOW)
        assert dispatched is not None and dispatched.tracking_numbers == ("6A1",)
        assert uow.shipments.dispatch(shipment_id, ["6A2"], NOW) is None  # only a planned one
        uow.commit()
    with new_uow() as uow:
        shipment = uow.shipments.get(shipment_id)
        assert shipment is not None and (shipment.status, shipment.dispatched_at) == (ShipmentStatus.DISPATCHED, NOW)
        assert uow.orders.get("A-2").status is OrderStatus.DISPATCHED  # type: ignore[union-attr]
        point = an_order("A-3", pickup_point_id="PP-1").consignee_key
        assert [o.order_ref for o in uow.orders.list(consignee_key=point)] == ["A-3"]
        assert [o.order_ref for o in uow.orders.list(limit=2, offset=1)] == ["A-2", "A-3"]


def test_cards_are_versioned_per_carrier_listed_newest_first_and_change_status(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    with new_uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        uow.carriers.ensure("colissimo", "La Poste Colissimo", NOW)
        with pytest.raises(LookupError):
            uow.carriers.id_of("nope")
        first = add_card(uow, CardStatus.ACTIVE)
        second = add_card(uow, checksum="c2")
        third = add_card(uow)  # the same checksum as the first: the store does not refuse it
        uow.commit()
    assert (first.version, second.version, third.version) == (1, 2, 3)
    assert first.activated_at == NOW and second.activated_at is None
    signature = None
    with new_uow() as uow:
        assert [c.name for c in uow.carriers.list()] == ["La Poste Colissimo"]
        assert uow.carriers.id_of("colissimo", lock=True) == uow.carriers.id_of("colissimo")
        assert [r.version for r in uow.rate_cards.list()] == [3, 2, 1]
        assert [r.version for r in uow.rate_cards.list(statuses=[CardStatus.ACTIVE])] == [1]
        assert uow.rate_cards.list(carrier_code="other") == []
        assert uow.rate_cards.find_by_checksum("colissimo", "c1") == third
        assert uow.rate_cards.find_by_checksum("colissimo", "zz") is None
        assert uow.rate_cards.get(second.id) == second
        assert second.document == {"carrier": "colissimo", "fuel_percent": 12.75}
        assert [uow.rate_cards.get(i) for i in (0, -1, 2**31, 2**40)] == [None] * 4
        signature = uow.quote_inputs_signature()
        later = NOW + timedelta(days=1)
        retired = uow.rate_cards.set_status(second.id, CardStatus.RETIRED, later)
        assert retired == replace(second, status=CardStatus.RETIRED, retired_at=later)
        uow.commit()
    with new_uow() as uow:
        assert uow.rate_cards.get(second.id, fresh=True) == retired
        assert uow.quote_inputs_signature() != signature


def test_fuel_is_set_per_carrier_and_date(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        uow.carriers.ensure("dpd", "DPD", NOW)
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        uow.fuel.set("dpd", date(2026, 4, 1), 900, NOW)
        uow.fuel.set("colissimo", date(2026, 4, 1), 1200, NOW)
        uow.fuel.set("colissimo", date(2026, 3, 1), 1100, NOW)
        replaced = uow.fuel.set("colissimo", date(2026, 4, 1), 1275, NOW.astimezone(PARIS))
        with pytest.raises(LookupError):
            uow.fuel.set("nope", date(2026, 4, 1), 1000, NOW)
        uow.commit()
    assert replaced.percent_bp == 1275 and replaced.set_at == NOW
    with new_uow() as uow:
        assert [(f.carrier_code, f.valid_from.month, f.percent_bp) for f in uow.fuel.list()] == [
            ("colissimo", 3, 1100),
            ("colissimo", 4, 1275),
            ("dpd", 4, 900),
        ]
        assert [f.percent_bp for f in uow.fuel.list("dpd")] == [900]


def test_api_keys_are_found_by_hash_and_revoked(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        key = uow.api_keys.add(name="ops", role=Role.ADMIN, key_hash="h1", display_prefix="tms_abc", created_at=NOW)
        other = uow.api_keys.add(name="shop", role=Role.CHECKOUT, key_hash="h2", display_prefix="tms_d", created_at=NOW)
        uow.commit()
    with new_uow() as uow, pytest.raises(DuplicateKey):
        uow.api_keys.add(name="twin", role=Role.ADMIN, key_hash="h1", display_prefix="tms_x", created_at=NOW)
    with new_uow() as uow:
        assert uow.api_keys.by_hash("h1") == key and uow.api_keys.by_hash("nope") is None
        assert uow.api_keys.get(other.id) == other and uow.api_keys.get(2**40) is None
        revoked = uow.api_keys.revoke(key.id, NOW + timedelta(hours=1))
        uow.commit()
    with new_uow() as uow:
        assert uow.api_keys.list() == [revoked, other] and revoked.revoked_at == NOW + timedelta(hours=1)


def test_a_key_keeps_its_channel_and_an_order_the_channel_it_was_registered_by(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    with new_uow() as uow:
        shop = uow.api_keys.add(
            name="shop", role=Role.CHECKOUT, key_hash="h1", display_prefix="tms_a", created_at=NOW, channel="shop-fr"
        )
        own = uow.api_keys.add(name="own", role=Role.CHECKOUT, key_hash="h2", display_prefix="tms_b", created_at=NOW)
        uow.orders.add(an_order("A-1", channel=shop.order_channel), NOW)
        uow.orders.add(an_order("A-2", channel=own.order_channel), NOW)
        uow.orders.add(an_order("A-3"), NOW)
        uow.commit()
    with new_uow() as uow:
        assert uow.api_keys.by_hash("h1") == shop and shop.channel == "shop-fr"
        assert uow.api_keys.by_hash("h2") == own and own.channel is None and own.order_channel == f"key-{own.id}"
        assert [o.channel for o in uow.orders.list()] == ["shop-fr", f"key-{own.id}", None]
        moved = uow.orders.set_status("A-1", OrderStatus.CANCELLED, only_from=(OrderStatus.PENDING,))
        assert moved is not None and moved.channel == "shop-fr"


def test_the_newest_policy_is_current(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        assert uow.policies.current() is None
        document: dict[str, Any] = {"free_above": 49, "free_tiers": ["gold"]}
        uow.policies.set(document, NOW, "manager")
        document["free_tiers"].append("silver")  # the store keeps what was set, not the caller's dict
        uow.policies.set({"flat_price": 4.9}, NOW, "manager")
        uow.commit()
    with new_uow() as uow:
        assert uow.policies.current() == {"flat_price": 4.9}


def add_run(
    uow: UnitOfWork,
    on: date,
    card_id: int,
    status: str = "succeeded",
    parcels: int = 2,
    run_at: str = "02:30",
    warehouse: str = "PAR1",
) -> int:
    run_id = uow.runs.add(
        shipping_date=on,
        warehouse=warehouse,
        run_at=run_at,
        status=status,
        trigger="scheduler",
        started_at=NOW,
        finished_at=NOW + timedelta(minutes=1),
        summary={"orders_in": 3},
        error="" if status == "succeeded" else "x" * 3000,
    )
    if status == "succeeded":
        uow.runs.add_shipment(
            run_id=run_id,
            ships_on=on,
            carrier="colissimo",
            service="HOME",
            mode="home",
            parcels=parcels,
            weight_g=2400,
            cost_cents=700,
            rate_card_id=card_id,
            detail={"orders": ["A-1"], "parcels": parcels},
        )
    return run_id


def test_one_succeeded_run_per_date_warehouse_and_run_time_with_its_shipments(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    with new_uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        card_id = add_card(uow).id
        failed = add_run(uow, date(2026, 3, 3), card_id, status="failed")
        first = add_run(uow, date(2026, 3, 3), card_id)
        march_4 = add_run(uow, date(2026, 3, 4), card_id, parcels=5)
        afternoon = add_run(uow, date(2026, 3, 4), card_id, parcels=1, run_at="15:00")
        april = add_run(uow, date(2026, 4, 1), card_id, parcels=7)
        lyon = add_run(uow, date(2026, 4, 1), card_id, parcels=3, warehouse="LYS1")
        uow.commit()
    with new_uow() as uow:
        add_run(uow, date(2026, 3, 5), card_id, status="failed")
        with pytest.raises(DuplicateRun):
            add_run(uow, date(2026, 3, 3), card_id)
        uow.commit()  # the refusal ended the transaction: the failed run of the 5th is gone too
    with new_uow() as uow:
        assert uow.runs.succeeded_on(shipping_date=date(2026, 3, 3), warehouse="PAR1", run_at="02:30") == first
        assert uow.runs.succeeded_on(shipping_date=date(2026, 3, 3), warehouse="LYS1", run_at="02:30") is None
        assert uow.runs.succeeded_on(shipping_date=date(2026, 3, 4), warehouse="PAR1", run_at="15:00") == afternoon
        assert uow.runs.succeeded_on(shipping_date=date(2026, 3, 5), warehouse="PAR1", run_at="02:30") is None
        assert [r["id"] for r in uow.runs.list()] == [lyon, april, afternoon, march_4, first, failed]
        assert [r["id"] for r in uow.runs.list(limit=1)] == [lyon]
        run = uow.runs.get(first)
        assert run is not None and uow.runs.get(2**40) is None
        shipment_id = run["shipments"][0]["id"]
        assert run == {
            "id": first,
            "shipping_date": date(2026, 3, 3),
            "warehouse": "PAR1",
            "run_at": "02:30",
            "status": "succeeded",
            "trigger": "scheduler",
            "started_at": NOW,
            "finished_at": NOW + timedelta(minutes=1),
            "error": "",
            "orders_in": 3,
            "shipments": [{"id": shipment_id, "orders": ["A-1"], "parcels": 2}],
        }
        assert [len(r["error"]) for r in uow.runs.list() if r["id"] == failed] == [2000]
        assert uow.runs.month_parcels(date(2026, 3, 1), date(2026, 3, 4)) == {"colissimo": 2}
        assert uow.runs.month_parcels(date(2026, 3, 1), date(2026, 4, 1)) == {"colissimo": 8}
        assert uow.runs.month_parcels(date(2026, 4, 1), date(2026, 5, 1)) == {"colissimo": 10}  # tiers: all sites
        assert uow.runs.day_load(date(2026, 3, 4)) == {"colissimo": (6, 4800)}
        assert uow.runs.day_load(date(2026, 3, 4), "PAR1") == {"colissimo": (6, 4800)}
        assert uow.runs.day_load(date(2026, 3, 4), "LYS1") == {}
        assert uow.runs.day_load(date(2026, 4, 1), "LYS1") == {"colissimo": (3, 2400)}
        assert uow.runs.day_load(date(2026, 4, 1)) == {"colissimo": (10, 4800)}
        assert uow.runs.day_load(date(2026, 3, 6)) == {}
        assert uow.runs.month_parcels(date(2026, 5, 1), date(2026, 6, 1)) == {}


def test_manager_sessions_are_found_by_hash_touched_revoked_and_forgotten(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        ops = uow.api_keys.add(name="ops", role=Role.MANAGER, key_hash="k1", display_prefix="tms_a", created_at=NOW)
        other = uow.api_keys.add(name="two", role=Role.MANAGER, key_hash="k2", display_prefix="tms_b", created_at=NOW)
        ends = NOW + timedelta(hours=12)
        first = uow.manager_sessions.add(token_hash="s1", key_id=ops.id, created_at=NOW, expires_at=ends)
        second = uow.manager_sessions.add(token_hash="s2", key_id=ops.id, created_at=NOW, expires_at=ends)
        theirs = uow.manager_sessions.add(
            token_hash="s3", key_id=other.id, created_at=NOW.astimezone(PARIS), expires_at=NOW + timedelta(hours=1)
        )
        uow.commit()
    assert (first.last_seen_at, first.revoked_at, theirs.created_at) == (NOW, None, NOW)
    with new_uow() as uow, pytest.raises(DuplicateKey):
        uow.manager_sessions.add(token_hash="s1", key_id=other.id, created_at=NOW, expires_at=ends)
    with new_uow() as uow:
        assert uow.manager_sessions.by_hash("s1") == first and uow.manager_sessions.by_hash("nope") is None
        uow.manager_sessions.touch(first.id, NOW + timedelta(minutes=5))
        uow.manager_sessions.revoke(second.id, NOW + timedelta(minutes=6))
        uow.manager_sessions.revoke(second.id, NOW + timedelta(minutes=7))  # keeps the first time
        uow.commit()
    with new_uow() as uow:
        assert uow.manager_sessions.by_hash("s1") == replace(first, last_seen_at=NOW + timedelta(minutes=5))
        assert uow.manager_sessions.by_hash("s2") == replace(second, revoked_at=NOW + timedelta(minutes=6))
        assert uow.manager_sessions.revoke_for_key(ops.id, NOW + timedelta(minutes=8)) == 1  # s2 was already
        uow.commit()
    with new_uow() as uow:
        stored = [uow.manager_sessions.by_hash(h) for h in ("s1", "s2", "s3")]
        assert [s.revoked_at for s in stored if s] == [NOW + timedelta(minutes=8), NOW + timedelta(minutes=6), None]
        assert stored[2] is not None and stored[2].created_at.utcoffset() == timedelta(0)
        assert uow.manager_sessions.delete_expired(NOW + timedelta(minutes=59)) == 0
        assert uow.manager_sessions.delete_expired(NOW + timedelta(hours=1)) == 1
        uow.commit()
    with new_uow() as uow:
        assert uow.manager_sessions.by_hash("s3") is None and uow.manager_sessions.by_hash("s1") is not None


def add_directory(uow: UnitOfWork, checksum: str, status: DirectoryStatus = DirectoryStatus.DRAFT) -> Any:
    return uow.pickup_directories.add(
        carrier_code="colissimo",
        status=status,
        checksum=checksum,
        point_count=1,
        source_format="csv",
        source_name="points.csv",
        uploaded_at=NOW,
        uploaded_by="manager",
        document={"points": [{"id": checksum, "latitude": 45.76}]},
    )


def test_pickup_directories_are_versioned_per_carrier_and_keep_their_points_out_of_listings(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    with new_uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        uow.carriers.ensure("dpd", "DPD", NOW)
        before = uow.pickup_directories.signature()
        first = add_directory(uow, "d1", DirectoryStatus.ACTIVE)
        second = add_directory(uow, "d2")
        uow.commit()
    assert (first.version, second.version, first.activated_at, second.activated_at) == (1, 2, NOW, None)
    assert first.document == {}
    with new_uow() as uow:
        assert uow.pickup_directories.signature() != before
        assert [d.version for d in uow.pickup_directories.list(carrier_code="colissimo")] == [2, 1]
        assert uow.pickup_directories.list(carrier_code="dpd") == []
        assert [d.id for d in uow.pickup_directories.list(statuses=[DirectoryStatus.DRAFT])] == [second.id]
        assert uow.pickup_directories.find_by_checksum("colissimo", "d2") == second
        assert uow.pickup_directories.find_by_checksum("dpd", "d2") is None
        later = NOW + timedelta(hours=1)
        retired = uow.pickup_directories.set_status(first.id, DirectoryStatus.RETIRED, later)
        active = uow.pickup_directories.set_status(second.id, DirectoryStatus.ACTIVE, later)
        uow.commit()
    assert (retired.retired_at, active.activated_at, active.status) == (later, later, DirectoryStatus.ACTIVE)
    with new_uow() as uow:
        (in_use,) = uow.pickup_directories.active_with_points()
        assert (in_use.id, in_use.document) == (second.id, {"points": [{"id": "d2", "latitude": 45.76}]})
        assert uow.pickup_directories.get(second.id) == replace(in_use, document={})
        assert uow.pickup_directories.get(10**12) is None


def test_an_order_keeps_the_features_recorded_with_it_or_none(new_uow: Callable[[], UnitOfWork]) -> None:
    chosen = Features(SpeedClass.EXPRESS, signature=True, appointment=False, insurance_cents=90_000)
    with new_uow() as uow:
        uow.orders.add(an_order("A-1", features=chosen), NOW)
        uow.orders.add(an_order("A-2"), NOW)
        uow.commit()
    with new_uow() as uow:
        assert uow.orders.get("A-1").features == chosen  # type: ignore[union-attr]
        assert uow.orders.get("A-2").features is None  # type: ignore[union-attr]
        assert [o.features for o in uow.orders.pending()] == [chosen, None]


def test_tracking_events_are_stored_once_per_carrier_number_code_and_time_matched_or_unmatched(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    from tms.domain.tracking import EventKind, TrackingEvent

    def event(number: str, code: str = "PC1", at: datetime = NOW, **changes: Any) -> TrackingEvent:
        return TrackingEvent(
            carrier="colissimo", tracking_number=number, code=code, kind=EventKind.PICKED_UP, occurred_at=at, **changes
        )

    with new_uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        run = uow.runs.get(add_run(uow, date(2026, 3, 3), add_card(uow).id))
        assert run is not None
        shipment_id = run["shipments"][0]["id"]
        uow.shipments.dispatch(shipment_id, ["6A1", "6A2"], NOW)
        uow.commit()
    with new_uow() as uow:
        found = uow.shipments.by_tracking_number("colissimo", "6A2")
        assert found is not None and found.id == shipment_id
        assert uow.shipments.by_tracking_number("dpd", "6A2") is None
        assert uow.shipments.by_tracking_number("colissimo", "6A") is None
        paris = NOW.astimezone(PARIS)
        later = NOW + timedelta(hours=5)
        assert uow.tracking.add(event("6A1", "DI1", later), shipment_id=shipment_id, source="poll", received_at=NOW)
        assert uow.tracking.add(
            event("6A1", held_until=date(2026, 3, 12), pickup_point="P1"),
            shipment_id=shipment_id,
            source="webhook",
            received_at=NOW,
        )
        assert not uow.tracking.add(event("6A1", at=paris), shipment_id=shipment_id, source="csv", received_at=NOW)
        assert uow.tracking.add(event("ZZ9"), shipment_id=None, source="csv", received_at=NOW)
        uow.commit()
    with new_uow() as uow:
        assert not uow.tracking.add(event("ZZ9"), shipment_id=None, source="poll", received_at=NOW)
        events = uow.tracking.for_shipment(shipment_id)
        assert [(s.event.code, s.event.occurred_at, s.source) for s in events] == [
            ("PC1", NOW, "webhook"),
            ("DI1", later, "poll"),
        ]
        assert (events[0].event.pickup_point, events[0].event.held_until) == ("P1", date(2026, 3, 12))
        assert [s.event.tracking_number for s in uow.tracking.unmatched()] == ["ZZ9"]
        assert uow.tracking.unmatched(carrier="dpd") == [] and uow.tracking.unmatched(offset=1) == []


def test_the_delivered_history_gives_each_delivered_parcel_its_first_pickup_and_delivery_and_destination(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    from tms.domain.tracking import DeliveredRecord, EventKind, TrackingEvent

    def event(number: str, kind: EventKind, at: datetime, code: str = "") -> TrackingEvent:
        return TrackingEvent("colissimo", number, code or kind.value.upper(), kind, at)

    with new_uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        run = uow.runs.get(add_run(uow, date(2026, 3, 3), add_card(uow).id))
        assert run is not None
        shipment_id = run["shipments"][0]["id"]
        uow.orders.add(an_order("A-1"), NOW)
        uow.orders.plan(["A-1"], run["id"], shipment_id)
        uow.shipments.dispatch(shipment_id, ["6A1", "6A2"], NOW)
        uow.commit()
    with new_uow() as uow:
        assert uow.tracking.delivered() == [] and uow.tracking.last_delivered_id() is None
    picked, first, again = NOW + timedelta(days=1), NOW + timedelta(days=3), NOW + timedelta(days=4)
    with new_uow() as uow:
        uow.tracking.add(
            event("6A1", EventKind.PICKED_UP, picked), shipment_id=shipment_id, source="poll", received_at=NOW
        )
        uow.tracking.add(
            event("6A1", EventKind.DELIVERED, again, "DI2"), shipment_id=shipment_id, source="poll", received_at=NOW
        )
        uow.tracking.add(
            event("6A1", EventKind.DELIVERED, first), shipment_id=shipment_id, source="poll", received_at=NOW
        )
        uow.tracking.add(
            event("6A2", EventKind.IN_TRANSIT, picked), shipment_id=shipment_id, source="poll", received_at=NOW
        )
        uow.tracking.add(event("ZZ9", EventKind.DELIVERED, first), shipment_id=None, source="csv", received_at=NOW)
        uow.commit()
    with new_uow() as uow:
        newest = uow.tracking.last_delivered_id()
        assert uow.tracking.delivered() == [
            DeliveredRecord(shipment_id, "6A1", "colissimo", "HOME", "FR", "69003", date(2026, 3, 3), picked, first)
        ]
        uow.tracking.add(
            event("6A2", EventKind.DELIVERED, again), shipment_id=shipment_id, source="poll", received_at=NOW
        )
        # At a point before its delivery: a home parcel has arrived only when delivered.
        uow.tracking.add(
            event("6A2", EventKind.AVAILABLE_FOR_PICKUP, first), shipment_id=shipment_id, source="poll", received_at=NOW
        )
        uow.commit()
    with new_uow() as uow:
        second = uow.tracking.delivered()[1]
        assert (second.tracking_number, second.picked_up_at, second.delivered_at) == ("6A2", None, again)
        later = uow.tracking.last_delivered_id()
        assert newest is not None and later is not None and later > newest


def test_the_parcels_in_transit_are_those_picked_up_since_and_neither_arrived_nor_returned(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    from tms.domain.tracking import EventKind, InTransitRecord, TrackingEvent

    def event(number: str, kind: EventKind, at: datetime, code: str = "") -> TrackingEvent:
        return TrackingEvent("colissimo", number, code or kind.value.upper(), kind, at)

    numbers = ["7A1", "7A2", "7A3", "7A4", "7A5", "7A6"]
    with new_uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        run = uow.runs.get(add_run(uow, date(2026, 3, 3), add_card(uow).id))
        assert run is not None
        shipment_id = run["shipments"][0]["id"]
        uow.orders.add(an_order("A-1"), NOW)
        uow.orders.plan(["A-1"], run["id"], shipment_id)
        uow.shipments.dispatch(shipment_id, numbers, NOW)
        uow.commit()
    picked, early, later = NOW + timedelta(days=1), NOW - timedelta(days=9), NOW + timedelta(days=2)
    with new_uow() as uow:
        for number, kind, at in (
            ("7A1", EventKind.PICKED_UP, picked),  # in transit
            ("7A1", EventKind.PICKED_UP, later),  # its first pickup counts
            ("7A2", EventKind.PICKED_UP, picked),
            ("7A2", EventKind.DELIVERED, later),  # arrived
            ("7A3", EventKind.PICKED_UP, picked),
            ("7A3", EventKind.RETURNED, later),  # returned: it will not arrive
            ("7A4", EventKind.IN_TRANSIT, picked),  # no pickup: not an observation
            ("7A5", EventKind.PICKED_UP, early),  # picked up before `since`
            ("7A6", EventKind.PICKED_UP, picked),
            ("7A6", EventKind.AVAILABLE_FOR_PICKUP, later),  # a home parcel arrives only when delivered
        ):
            uow.tracking.add(event(number, kind, at), shipment_id=shipment_id, source="poll", received_at=NOW)
        uow.commit()
    with new_uow() as uow:
        assert uow.tracking.in_transit(since=NOW - timedelta(days=1)) == [
            InTransitRecord(shipment_id, number, "colissimo", "HOME", "FR", "69003", picked)
            for number in ("7A1", "7A6")
        ]
        assert uow.tracking.in_transit(since=later) == []


def add_message(uow: UnitOfWork, key: str, **changes: Any) -> Any:
    from tms.domain.notifications import Channel, Topic

    fields: dict[str, Any] = {
        "idempotency_key": key,
        "event_key": "shipment:1:shipped",
        "channel": Channel.EMAIL,
        "topic": Topic.SHIPPED,
        "recipient": "lea@example.com",
        "payload": {"facts": {"carrier": "colissimo"}},
        "created_at": NOW,
        "retry_until": None,
    }
    return uow.outbox.add(**{**fields, **changes})


def test_the_outbox_writes_a_key_once_and_claims_due_messages_by_lease(new_uow: Callable[[], UnitOfWork]) -> None:
    from tms.domain.notifications import Channel, MessageStatus

    with new_uow() as uow:
        first = add_message(uow, "k1")
        assert add_message(uow, "k1", recipient="other@example.com") is None  # the key is taken
        later = add_message(uow, "k2", created_at=NOW + timedelta(minutes=5))
        hook = add_message(uow, "k3", channel=Channel.WEBHOOK, recipient="7")
        uow.commit()
    assert (first.status, first.attempts, first.next_attempt_at, first.sent_at) == (MessageStatus.PENDING, 0, NOW, None)
    with new_uow() as uow:
        assert add_message(uow, "k1") is None  # committed keys too
        lease = NOW + timedelta(minutes=5)
        claimed = uow.outbox.claim_due(now=NOW, lease_until=lease, limit=10, channels=[Channel.EMAIL])
        assert [m.id for m in claimed] == [first.id] and claimed[0].next_attempt_at == lease
        assert claimed[0].payload == {"facts": {"carrier": "colissimo"}}
        uow.commit()
    with new_uow() as uow:  # leased: not due again until the lease ends (this claim is rolled back)
        due = uow.outbox.claim_due(now=NOW, lease_until=lease, limit=10, channels=list(Channel))
        assert [m.id for m in due] == [hook.id]
    with new_uow() as uow:
        due = uow.outbox.claim_due(now=lease, lease_until=lease + timedelta(minutes=5), limit=2, channels=list(Channel))
        assert [m.id for m in due] == [hook.id, first.id]  # the longest due first, at most `limit`
        uow.outbox.mark_sent(first.id, lease)
        uow.outbox.retry_later(hook.id, error="HTTP 500", next_attempt_at=lease + timedelta(hours=1))
        uow.outbox.give_up(later.id, error="550 no such user")
        uow.commit()
    with new_uow() as uow:
        sent, hooked, gone = (uow.outbox.get(m.id) for m in (first, hook, later))
        assert (sent.status, sent.attempts, sent.sent_at) == (MessageStatus.SENT, 1, lease)
        assert (hooked.status, hooked.attempts, hooked.last_error) == (MessageStatus.PENDING, 1, "HTTP 500")
        assert hooked.next_attempt_at == lease + timedelta(hours=1)
        assert (gone.status, gone.attempts, gone.last_error) == (MessageStatus.DEAD, 1, "550 no such user")
        assert [m.id for m in uow.outbox.list(status=MessageStatus.DEAD)] == [later.id]
        assert [m.id for m in uow.outbox.list()] == [hook.id, later.id, first.id]  # newest first
        assert [m.id for m in uow.outbox.list(limit=1, offset=1)] == [later.id]
        assert uow.outbox.replay(first.id, now=NOW, retry_until=None) is None  # sent: not replayed
        assert uow.outbox.replay(2**40, now=NOW, retry_until=None) is None and uow.outbox.get(2**40) is None
        replayed = uow.outbox.replay(later.id, now=lease, retry_until=lease + timedelta(hours=24))
        assert replayed is not None
        assert (replayed.status, replayed.attempts, replayed.next_attempt_at, replayed.last_error) == (
            MessageStatus.PENDING,
            0,
            lease,
            "550 no such user",
        )
        assert replayed.retry_until == lease + timedelta(hours=24)
        uow.commit()


def test_a_claim_takes_no_message_another_claim_took_since_it_began(new_uow: Callable[[], UnitOfWork]) -> None:
    from tms.domain.notifications import Channel

    with new_uow() as uow:
        add_message(uow, "k1")
        uow.commit()
    lease = NOW + timedelta(minutes=5)
    with new_uow() as first, new_uow() as second:
        first.outbox.list()  # both transactions have begun and seen the message due
        second.outbox.list()
        assert len(first.outbox.claim_due(now=NOW, lease_until=lease, limit=5, channels=[Channel.EMAIL])) == 1
        first.commit()
        assert second.outbox.claim_due(now=NOW, lease_until=lease, limit=5, channels=[Channel.EMAIL]) == []


def test_webhook_subscriptions_are_listed_per_topic_while_active(new_uow: Callable[[], UnitOfWork]) -> None:
    from tms.domain.notifications import Topic

    with new_uow() as uow:
        shipped = uow.webhooks.add(
            url="https://shop.example/hooks", topics=[Topic.SHIPPED], secret="s1", created_at=NOW
        )
        both = uow.webhooks.add(
            url="http://127.0.0.1:9/h", topics=[Topic.SHIPPED, Topic.DELIVERED], secret="s2", created_at=NOW
        )
        uow.commit()
    with new_uow() as uow:
        assert uow.webhooks.get(both.id) == both and both.topics == (Topic.SHIPPED, Topic.DELIVERED)
        assert (both.active, both.secret, both.created_at) == (True, "s2", NOW)
        assert [s.id for s in uow.webhooks.active(Topic.SHIPPED)] == [shipped.id, both.id]
        assert [s.id for s in uow.webhooks.active(Topic.DELIVERED)] == [both.id]
        assert uow.webhooks.active(Topic.DELAYED) == []
        assert uow.webhooks.deactivate(shipped.id) and not uow.webhooks.deactivate(shipped.id)
        assert not uow.webhooks.deactivate(2**40) and uow.webhooks.get(2**40) is None
        uow.commit()
    with new_uow() as uow:
        assert [s.id for s in uow.webhooks.active()] == [both.id]
        assert uow.webhooks.get(shipped.id).active is False


def test_orders_are_found_by_carrier_requested_or_planned_period_postcode_and_reference_or_name(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    with new_uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        run = uow.runs.get(add_run(uow, date(2026, 3, 3), add_card(uow).id))
        assert run is not None
        shipment_id = run["shipments"][0]["id"]  # a colissimo shipment
        paris = Address("Paul Durand", "8 rue Haute", "75011", "Paris", "FR")
        uow.orders.add(an_order("A-1", carrier="dpd"), NOW)
        uow.orders.add(an_order("B-100_%", address=paris, carrier=None, ordered_at=NOW + timedelta(days=2)), NOW)
        uow.orders.add(an_order("C-7", carrier=None), NOW)
        uow.orders.plan(["C-7"], run["id"], shipment_id)
        uow.commit()

    def refs(**query: Any) -> list[str]:
        with new_uow() as uow:
            return [o.order_ref for o in uow.orders.list(**query)]

    assert refs(carrier="dpd") == ["A-1"]
    assert refs(carrier="colissimo") == ["C-7"]  # planned with it, though the checkout named none
    assert refs(since=NOW + timedelta(days=1)) == ["B-100_%"]
    assert refs(until=NOW + timedelta(days=1)) == ["A-1", "C-7"]
    assert refs(postcode="75") == ["B-100_%"] and refs(postcode="6901") == [] and refs(postcode="690") == ["A-1", "C-7"]
    assert refs(text="durand") == ["B-100_%"] and refs(text="b-1") == ["B-100_%"]
    assert refs(text="_%") == ["B-100_%"] and refs(text="%") == ["B-100_%"]  # no wildcard: the characters
    assert refs(text="martin", carrier="dpd") == ["A-1"]


def test_a_pickup_point_parcel_has_arrived_at_its_first_available_for_pickup_event(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    from tms.domain.tracking import EventKind, TrackingEvent

    with new_uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        card_id = add_card(uow).id
        run_id = add_run(uow, date(2026, 3, 3), card_id, parcels=1)
        shipment_id = uow.runs.add_shipment(
            run_id=run_id,
            ships_on=date(2026, 3, 3),
            carrier="colissimo",
            service="RELAY",
            mode="pickup_point",
            parcels=1,
            weight_g=900,
            cost_cents=450,
            rate_card_id=card_id,
            detail={},
        )
        uow.orders.add(an_order("P-1", mode="pickup_point", pickup_point_id="PP-1", service="RELAY"), NOW)
        uow.orders.plan(["P-1"], run_id, shipment_id)
        uow.shipments.dispatch(shipment_id, ["8R1"], NOW)
        uow.commit()
    at_point, collected = NOW + timedelta(days=2), NOW + timedelta(days=5)
    with new_uow() as uow:
        for kind, at in ((EventKind.DELIVERED, collected), (EventKind.AVAILABLE_FOR_PICKUP, at_point)):
            event = TrackingEvent("colissimo", "8R1", kind.value.upper(), kind, at)
            uow.tracking.add(event, shipment_id=shipment_id, source="poll", received_at=NOW)
        uow.commit()
    with new_uow() as uow:
        (record,) = uow.tracking.delivered()
        assert (record.service, record.picked_up_at, record.delivered_at) == ("RELAY", None, at_point)


def test_spend_is_summed_per_ship_day_carrier_and_mode_with_the_orders_in_the_shipments(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    from tms.domain.shipments import DaySpend

    with new_uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        card_id = add_card(uow).id
        first = uow.runs.get(add_run(uow, date(2026, 3, 3), card_id))
        second = uow.runs.get(add_run(uow, date(2026, 3, 3), card_id, run_at="15:00", parcels=1))
        later = uow.runs.get(add_run(uow, date(2026, 3, 4), card_id))
        assert first is not None and second is not None and later is not None
        uow.orders.add(an_order("A-1"), NOW)
        uow.orders.add(an_order("A-2"), NOW)
        uow.orders.plan(["A-1", "A-2"], first["id"], first["shipments"][0]["id"])
        uow.commit()
    with new_uow() as uow:
        assert uow.shipments.spend(since=date(2026, 3, 1), until=date(2026, 3, 3)) == [
            DaySpend(date(2026, 3, 3), "colissimo", "home", shipments=2, parcels=3, orders=2, cost_cents=1400)
        ]
        assert [d.ships_on for d in uow.shipments.spend(since=date(2026, 3, 4), until=date(2026, 3, 31))] == [
            date(2026, 3, 4)
        ]


def test_the_orders_shipped_in_a_period_come_with_their_shipments_cost_weight_cart_and_what_was_paid(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    from tms.domain.margins import ShippedOrder

    with new_uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        card_id = add_card(uow).id
        run = uow.runs.get(add_run(uow, date(2026, 3, 3), card_id))
        later = uow.runs.get(add_run(uow, date(2026, 3, 4), card_id))
        assert run is not None and later is not None
        uow.orders.add(an_order("A-2", shipping_paid_cents=0, cart_value_cents=6000), NOW)
        uow.orders.add(an_order("A-1", shipping_paid_cents=490), NOW)
        uow.orders.add(an_order("B-1", items=(Item("CAP", 300, 200, 200, 100),)), NOW)
        uow.orders.add(an_order("C-1"), NOW)  # never planned: not shipped
        uow.orders.plan(["A-1", "A-2"], run["id"], run["shipments"][0]["id"])
        uow.orders.plan(["B-1"], later["id"], later["shipments"][0]["id"])
        uow.commit()
    with new_uow() as uow:
        first = run["shipments"][0]["id"]
        assert uow.shipments.shipped_orders(since=date(2026, 3, 1), until=date(2026, 3, 3)) == [
            ShippedOrder(first, date(2026, 3, 3), 700, "A-1", 2400, 8990, 490),
            ShippedOrder(first, date(2026, 3, 3), 700, "A-2", 2400, 6000, 0),
        ]
        assert [
            (o.order_ref, o.weight_g, o.shipping_paid_cents)
            for o in uow.shipments.shipped_orders(since=date(2026, 3, 4), until=date(2026, 3, 4))
        ] == [("B-1", 300, None)]
