"""Order rules on the in-memory unit of work: registration (idempotent), refusals, status moves."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.fakes import FakeStore
from tms.domain.access import ApiKey, Role
from tms.domain.errors import Conflict, DuplicateKey, InvalidInput, NotFound
from tms.domain.orders import Address, Item, Order, OrderStatus
from tms.domain.rate_cards import CardStatus
from tms.services.orders import (
    cancel_order,
    dispatch_order,
    get_order,
    list_orders,
    register_order,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAREHOUSES = {"PAR1", "LYS1"}
MANAGER = ApiKey(99, "ops", Role.MANAGER, "hash99", "tms_m", NOW)


def an_order(**changes: Any) -> Order:
    order = Order(
        order_ref="A-2001",
        warehouse="PAR1",
        ordered_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        address=Address("Léa Martin", "12 rue Neuve", "69003", "Lyon", "FR"),
        mode="home",
        items=(Item("SHOE-42", 1200, 330, 220, 120),),
        cart_value_cents=8990,
        deliver_by=date(2026, 3, 10),
        carrier="colissimo",
        service="HOME",
    )
    return replace(order, **changes)


@pytest.fixture()
def store() -> FakeStore:
    return FakeStore()


def register(store: FakeStore, order: Order, now: datetime = NOW) -> tuple[Order, bool]:
    return register_order(store.uow(), order, known_warehouses=WAREHOUSES, now=now)


def test_a_registered_order_is_stored_pending_and_committed(store: FakeStore) -> None:
    stored, created = register(store, an_order())
    assert created and stored.status is OrderStatus.PENDING and stored.created_at == NOW
    assert get_order(store.uow(), "A-2001") == stored
    assert store.commits == 1


def test_registering_the_same_order_again_returns_the_stored_one_and_writes_nothing(store: FakeStore) -> None:
    first, _ = register(store, an_order())
    again, created = register(store, an_order(), now=NOW + timedelta(hours=1))
    assert not created and again == first and again.created_at == NOW
    assert store.commits == 1


def test_the_same_order_in_another_time_zone_is_still_the_same_order(store: FakeStore) -> None:
    register(store, an_order())
    paris = an_order().ordered_at.astimezone(ZoneInfo("Europe/Paris"))
    _, created = register(store, an_order(ordered_at=paris))
    assert not created


def test_another_order_with_a_taken_ref_is_a_conflict_and_the_first_stays(store: FakeStore) -> None:
    first, _ = register(store, an_order())
    with pytest.raises(Conflict, match="A-2001"):
        register(store, an_order(cart_value_cents=100))
    assert list_orders(store.uow()) == [first]


def test_an_unknown_warehouse_is_refused_naming_the_origin_and_nothing_is_stored(store: FakeStore) -> None:
    with pytest.raises(InvalidInput) as refused:
        register(store, an_order(warehouse="NOPE"))
    assert [p.field for p in refused.value.problems] == ["origin"]
    assert "LYS1, PAR1" in refused.value.problems[0].message
    assert list_orders(store.uow()) == []


def test_a_pickup_point_on_a_home_delivery_is_refused(store: FakeStore) -> None:
    with pytest.raises(InvalidInput) as refused:
        register(store, an_order(mode="home", pickup_point_id="PP-1"))
    assert [p.field for p in refused.value.problems] == ["pickup_point_id"]


def test_a_pickup_point_without_its_carrier_is_refused(store: FakeStore) -> None:
    with pytest.raises(InvalidInput) as refused:
        register(store, an_order(mode="pickup_point", pickup_point_id="PP-1", carrier=None))
    assert [p.field for p in refused.value.problems] == ["carrier"]


def test_a_pickup_point_order_with_its_carrier_is_registered(store: FakeStore) -> None:
    stored, created = register(store, an_order(mode="locker", pickup_point_id="PP-1", carrier="mondial_relay"))
    assert created and stored.pickup_point_id == "PP-1"


class _RacingStore(FakeStore):
    """Another checkout registers `order` between the service's look-up and its insert."""

    def __init__(self, order: Order) -> None:
        super().__init__()
        self.racing: Order | None = order

    def next_id(self, table: str) -> int:
        racing, self.racing = self.racing, None
        if racing is not None:
            with self.uow() as other:
                other.orders.add(racing, NOW)
                other.commit()
        return super().next_id(table)


def test_the_same_order_registered_concurrently_is_read_back_not_refused() -> None:
    store = _RacingStore(an_order())
    stored, created = register(store, an_order())
    assert not created and stored == an_order(created_at=NOW)


def test_another_order_registered_concurrently_with_the_ref_is_a_conflict() -> None:
    store = _RacingStore(an_order(cart_value_cents=1))
    with pytest.raises(Conflict):
        register(store, an_order())
    assert [o.cart_value_cents for o in list_orders(store.uow())] == [1]


def test_the_store_refuses_an_order_ref_twice_as_a_duplicate_key(store: FakeStore) -> None:
    register(store, an_order())
    with store.uow() as uow, pytest.raises(DuplicateKey):
        uow.orders.add(an_order(), NOW)


def test_a_pending_order_is_cancelled_once(store: FakeStore) -> None:
    register(store, an_order())
    assert cancel_order(store.uow(), "A-2001", by=MANAGER).status is OrderStatus.CANCELLED
    assert get_order(store.uow(), "A-2001").status is OrderStatus.CANCELLED
    with pytest.raises(
        Conflict, match=r"is cancelled; only a pending order \(or one needing attention\) can be cancelled"
    ):
        cancel_order(store.uow(), "A-2001", by=MANAGER)


def _plan(store: FakeStore, *order_refs: str) -> int:
    """A run puts the orders in one shipment; its id."""
    with store.uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        card = uow.rate_cards.add(
            carrier_code="colissimo",
            valid_from=date(2026, 1, 1),
            currency="EUR",
            status=CardStatus.ACTIVE,
            checksum="c1",
            source_format="json",
            source_name="card.json",
            uploaded_at=NOW,
            uploaded_by="manager",
            document={},
        )
        run_id = uow.runs.add(
            shipping_date=date(2026, 3, 3),
            warehouse="PAR1",
            run_at="02:30",
            status="succeeded",
            trigger="schedule",
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
            weight_g=1200,
            cost_cents=700,
            rate_card_id=card.id,
            detail={},
        )
        assert uow.orders.plan(list(order_refs), run_id=run_id, shipment_id=shipment_id) == len(order_refs)
        uow.commit()
    return run_id


def test_a_planned_order_cannot_be_cancelled_but_is_dispatched_once(store: FakeStore) -> None:
    register(store, an_order())
    run_id = _plan(store, "A-2001")
    with pytest.raises(Conflict, match="is planned"):
        cancel_order(store.uow(), "A-2001", by=MANAGER)
    dispatched = dispatch_order(store.uow(), "A-2001", now=NOW)
    assert dispatched.status is OrderStatus.DISPATCHED and dispatched.run_id == run_id
    with pytest.raises(Conflict, match="is dispatched; only a planned order can be dispatched"):
        dispatch_order(store.uow(), "A-2001", now=NOW)


def test_dispatching_an_order_dispatches_every_order_of_its_shipment(store: FakeStore) -> None:
    register(store, an_order())
    register(store, an_order(order_ref="A-2002"))
    register(store, an_order(order_ref="A-2003"))
    _plan(store, "A-2001", "A-2002")
    dispatch_order(store.uow(), "A-2002", now=NOW)
    statuses = {o.order_ref: o.status for o in list_orders(store.uow())}
    assert statuses == {
        "A-2001": OrderStatus.DISPATCHED,
        "A-2002": OrderStatus.DISPATCHED,
        "A-2003": OrderStatus.PENDING,
    }


def test_a_pending_order_cannot_be_dispatched(store: FakeStore) -> None:
    register(store, an_order())
    with pytest.raises(Conflict, match="is pending"):
        dispatch_order(store.uow(), "A-2001", now=NOW)
    assert get_order(store.uow(), "A-2001").status is OrderStatus.PENDING


@pytest.mark.parametrize(
    "move",
    [partial(cancel_order, by=MANAGER), lambda uow, ref: dispatch_order(uow, ref, now=NOW), get_order],
    ids=["cancel_order", "dispatch_order", "get_order"],
)
def test_an_unknown_order_is_not_found(store: FakeStore, move: Any) -> None:
    with pytest.raises(NotFound):
        move(store.uow(), "NOPE")


def a_key(key_id: int, role: Role, channel: str | None = None) -> ApiKey:
    return ApiKey(key_id, f"key {key_id}", role, f"hash{key_id}", "tms_x", NOW, channel=channel)


def test_a_checkout_key_cancels_only_the_orders_of_its_channel(store: FakeStore) -> None:
    shop_fr, shop_fr_too = a_key(1, Role.CHECKOUT, "shop-fr"), a_key(2, Role.CHECKOUT, "shop-fr")
    shop_be = a_key(3, Role.CHECKOUT, "shop-be")
    register(store, an_order(order_ref="A-1", channel=shop_fr.order_channel))
    register(store, an_order(order_ref="A-2", channel=shop_fr.order_channel))
    with pytest.raises(NotFound, match="does not exist"):  # as if it did not exist: nothing is revealed
        cancel_order(store.uow(), "A-1", by=shop_be)
    assert get_order(store.uow(), "A-1").status is OrderStatus.PENDING
    assert cancel_order(store.uow(), "A-1", by=shop_fr_too).status is OrderStatus.CANCELLED
    assert cancel_order(store.uow(), "A-2", by=a_key(4, Role.MANAGER, "ops")).status is OrderStatus.CANCELLED


def test_a_key_without_a_channel_is_a_channel_of_its_own(store: FakeStore) -> None:
    first, second = a_key(1, Role.CHECKOUT), a_key(2, Role.CHECKOUT)
    assert (first.order_channel, second.order_channel) == ("key-1", "key-2")
    register(store, an_order(channel=first.order_channel))
    with pytest.raises(NotFound):
        cancel_order(store.uow(), "A-2001", by=second)
    assert cancel_order(store.uow(), "A-2001", by=first).status is OrderStatus.CANCELLED


def test_an_order_registered_before_channels_is_cancelled_by_managers_only(store: FakeStore) -> None:
    register(store, an_order(channel=None))
    with pytest.raises(NotFound):
        cancel_order(store.uow(), "A-2001", by=a_key(1, Role.CHECKOUT))
    assert cancel_order(store.uow(), "A-2001", by=MANAGER).status is OrderStatus.CANCELLED


def test_the_same_order_from_another_channel_is_a_conflict_not_a_copy(store: FakeStore) -> None:
    stored, _ = register(store, an_order(channel="shop-fr"))
    assert register(store, an_order(channel="shop-fr")) == (stored, False)
    with pytest.raises(Conflict):
        register(store, an_order(channel="shop-be"))
    legacy, _ = register(store, an_order(order_ref="A-OLD", channel=None))
    assert register(store, an_order(order_ref="A-OLD", channel="shop-fr")) == (legacy, False)


def test_orders_are_listed_in_registration_order_filtered_and_paged(store: FakeStore) -> None:
    for ref, city in [("A-1", "Lyon"), ("A-2", "Paris"), ("A-3", "Lyon")]:
        register(store, an_order(order_ref=ref, address=replace(an_order().address, city=city)))
    cancel_order(store.uow(), "A-2", by=MANAGER)
    refs = [o.order_ref for o in list_orders(store.uow())]
    assert refs == ["A-1", "A-2", "A-3"]
    assert [o.order_ref for o in list_orders(store.uow(), status=OrderStatus.PENDING)] == ["A-1", "A-3"]
    lyon = an_order(order_ref="A-1").consignee_key
    assert [o.order_ref for o in list_orders(store.uow(), consignee_key=lyon)] == ["A-1", "A-3"]
    assert [o.order_ref for o in list_orders(store.uow(), limit=1, offset=1)] == ["A-2"]
