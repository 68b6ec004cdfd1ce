"""The nightly plan: merging, packing, capacities, holding, unplannable orders, and the run's guarantees.

Cards are written for the tests. Warehouse PAR1 (config/warehouses.toml): packaging per box from
the box types below, handling 1.50 and indirect 2.00 per order; shipping date Tuesday 3 March 2026.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from carriers.readers import read_json
from solvers.boxing import BoxType
from tests.documents import a_service_document
from tms.domain.errors import Conflict
from tms.domain.features import Features
from tms.domain.orders import Address, Item, Order
from tms.domain.pickup_points import PickupPoint, PointKind
from tms.domain.plans import CarrierLimits, Plan, PlannedShipment, shipment_document
from tms.domain.policy import ShippingPolicy
from tms.services.consolidation import run_consolidation
from tms.services.plan_check import check_plan
from tms.services.planning import CAPACITY_RAN_OUT, NO_CAPACITY, POINT_SHUT, PlanSettings, plan_orders
from tms.services.quoting import QuoteBook

TUESDAY = date(2026, 3, 3)
WEDNESDAY = date(2026, 3, 4)
BOXES = (
    BoxType("S", 250, 180, 100, 5_000, 35),
    BoxType("M", 350, 250, 180, 12_000, 55),
    BoxType("L", 500, 400, 300, 25_000, 95),
)


def a_card(code: str, home: float, relay: float, **changes: Any) -> dict[str, Any]:
    def service(code: str, mode: str, transit: list[int]) -> dict[str, Any]:
        return a_service_document(code, mode, name=code, transit={"FR": transit})

    card = {
        "carrier": {"code": code, "name": code},
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "fuel_percent": 0,
        "notes": "",
        "services": [service("HOME", "home", [2, 2]), service("RELAY", "pickup_point", [2, 3])],
        "zones": [{"code": "FR", "name": "France", "entries": [{"country": "FR", "postcodes": ""}]}],
        "prices": [
            {
                "service": "HOME",
                "zone": "FR",
                "extra_kg_price": None,
                "brackets": [{"to_kg": 2, "price": home}, {"to_kg": 30, "price": home + 4}],
            },
            {
                "service": "RELAY",
                "zone": "FR",
                "extra_kg_price": None,
                "brackets": [{"to_kg": 2, "price": relay}, {"to_kg": 30, "price": relay + 4}],
            },
        ],
        "surcharges": [],
        "tiers": [],
    }
    card.update(changes)
    return card


def a_book(*documents: dict[str, Any]) -> QuoteBook:
    from tms.bootstrap import load_warehouses
    from tms.settings import load_settings

    settings = load_settings()
    warehouses = load_warehouses(settings.path(settings.warehouses_file))
    return QuoteBook.of_cards([read_json(d) for d in documents], ShippingPolicy(), warehouses)


def an_order(
    ref: str,
    *,
    line1: str = "12 rue Neuve",
    kg: float = 1.0,
    deliver_by: date | None = date(2026, 3, 10),
    mode: str = "home",
    **changes: Any,
) -> Order:
    order = Order(
        order_ref=ref,
        warehouse="PAR1",
        ordered_at=datetime(2026, 3, 2, 15, tzinfo=UTC),
        address=Address("Léa Martin", line1, "69003", "Lyon", "FR"),
        mode=mode,
        items=(Item(f"SKU-{ref}", int(kg * 1000), 200, 150, 80),),
        cart_value_cents=5000,
        deliver_by=deliver_by,
    )
    return Order(**{**order.__dict__, **changes})


def settings(**changes: Any) -> PlanSettings:
    base = PlanSettings(box_types=BOXES, holding=False, hold_cost_cents=10, time_limit_s=10, workers=1)
    return PlanSettings(**{**base.__dict__, **changes})


def planned(book, orders, plan_settings, month=None):
    plan = plan_orders(book, orders, TUESDAY, plan_settings, month)
    assert check_plan(book, orders, plan, plan_settings, month) == []
    return plan


def test_two_orders_to_the_same_address_travel_in_one_box_and_save_against_the_baseline() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    plan = planned(book, [an_order("A"), an_order("B")], settings())

    assert [s.orders for s in plan.shipments] == [("A", "B")]
    shipment = plan.shipments[0]
    assert (shipment.carrier, shipment.service, shipment.parcels) == ("acme", "HOME", 1)
    # Each item is 20 x 15 x 8 cm (2.4 l): one fits box S (4.5 l x 0.85 = 3.8 l), two need box M.
    assert [box for box, _ in shipment.boxes] == ["M"]
    # alone: 6.00 transport + 0.35 box S + 3.50 per order, twice; together: 2 kg -> 6.00 + 0.55 box M + 2 x 3.50
    assert plan.baseline_cents == 2 * (600 + 35 + 350)
    assert plan.cost_cents == 600 + 55 + 700
    assert plan.cost_cents < plan.baseline_cents


def test_orders_to_different_addresses_are_not_merged() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    plan = planned(book, [an_order("A"), an_order("B", line1="3 place Bellecour")], settings())
    assert sorted(s.orders for s in plan.shipments) == [("A",), ("B",)]
    assert plan.cost_cents == plan.baseline_cents


def test_an_order_whose_promise_no_service_keeps_is_reported_and_the_rest_is_planned() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    late = an_order("LATE", line1="1 quai", deliver_by=date(2026, 3, 4))  # picked up Tue 3, J+2 = Thu 5
    plan = planned(book, [late, an_order("A")], settings())
    assert plan.unplannable == {"LATE": "no service keeps the promise"}
    assert [s.orders for s in plan.shipments] == [("A",)]


def test_the_shoppers_mode_is_kept_and_the_cheapest_carrier_of_that_mode_is_chosen() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5), a_card("budget", home=5.5, relay=4.9))
    plan = planned(book, [an_order("H"), an_order("P", line1="2 rue", mode="pickup_point")], settings())
    chosen = {s.orders[0]: (s.carrier, s.mode) for s in plan.shipments}
    assert chosen == {"H": ("budget", "home"), "P": ("acme", "pickup_point")}


def test_a_pickup_point_order_stays_on_its_carriers_network() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5), a_card("budget", home=5.5, relay=3.9))
    order = an_order("P", mode="pickup_point", carrier="acme", pickup_point_id="PT-1")
    plan = planned(book, [order], settings())
    assert [(s.carrier, s.mode) for s in plan.shipments] == [("acme", "pickup_point")]


def test_a_full_carrier_sends_the_next_shipment_to_another_one() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5), a_card("budget", home=6.5, relay=4.9))
    orders = [an_order("A"), an_order("B", line1="2 rue")]
    plan = planned(book, orders, settings(carrier_limits={"acme": CarrierLimits(parcels_per_day=1)}))
    assert sorted(s.carrier for s in plan.shipments) == ["acme", "budget"]


def test_a_kilogram_capacity_binds_like_a_parcel_capacity() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5), a_card("budget", home=6.5, relay=4.9))
    orders = [an_order("A", kg=3), an_order("B", line1="2 rue", kg=3)]
    plan = planned(book, orders, settings(carrier_limits={"acme": CarrierLimits(weight_g_per_day=4_000)}))
    assert sorted(s.carrier for s in plan.shipments) == ["acme", "budget"]


def test_with_holding_an_order_waits_for_the_next_shipping_day_when_capacity_is_full() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    orders = [an_order("A"), an_order("B", line1="2 rue")]
    full = {"acme": CarrierLimits(parcels_per_day=1)}

    without = planned(book, orders, settings(carrier_limits=full))
    assert len(without.unplannable) == 1 and len(without.shipments) == 1

    held = planned(book, orders, settings(carrier_limits=full, holding=True))
    assert held.unplannable == {}
    assert sorted(s.held for s in held.shipments) == [False, True]
    assert [s.ships_on for s in held.shipments if s.held] == [date(2026, 3, 4)]


def test_a_volume_tier_counts_only_if_the_plan_reaches_it() -> None:
    card = a_card("acme", home=6.0, relay=4.5, tiers=[{"min_parcels": 100, "discount_percent": 10}])
    book = a_book(card)
    orders = [an_order("A")]
    below = planned(book, orders, settings(), month={"acme": 98})
    reached = planned(book, orders, settings(), month={"acme": 99})
    assert below.shipments[0].transport_cents == 600
    assert reached.shipments[0].transport_cents == 540


def test_an_item_no_box_fits_is_unplannable() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    huge = an_order("HUGE", items=(Item("SOFA", 20_000, 2000, 900, 800),))
    plan = planned(book, [huge, an_order("A", line1="2 rue")], settings())
    assert plan.unplannable["HUGE"].startswith("no box fits")
    assert [s.orders for s in plan.shipments] == [("A",)]


def test_the_checker_rejects_a_plan_that_breaks_a_promise_or_misstates_its_cost() -> None:
    import dataclasses

    book = a_book(a_card("acme", home=6.0, relay=4.5))
    orders = [an_order("A")]
    plan = planned(book, orders, settings())
    s = plan.shipments[0]
    cheaper = dataclasses.replace(plan, shipments=(dataclasses.replace(s, cost_cents=s.cost_cents - 1),))
    assert any("by its card" in p for p in check_plan(book, orders, cheaper, settings()))
    late_orders = [dataclasses.replace(orders[0], deliver_by=date(2026, 3, 4))]
    assert any("after its promise" in p for p in check_plan(book, late_orders, plan, settings()))
    twice = dataclasses.replace(plan, unplannable={"A": "x"})
    assert any("exactly once" in p for p in check_plan(book, orders, twice, settings()))


# --- The run through the store -------------------------------------------------------------


@pytest.fixture()
def stored(container, client, manager):
    """Activate a card and register pending orders through the API."""

    def load(card: dict[str, Any], orders: list[dict[str, Any]]) -> None:
        assert client.post("/api/v1/rate-cards?activate=true", json=card, headers=manager).status_code == 201
        for order in orders:
            response = client.post("/api/v1/orders", json=order, headers=manager)
            assert response.status_code == 201, response.get_json()

    return load


def api_order(ref: str, line1: str = "12 rue Neuve", deliver_by: str = "2026-03-10") -> dict[str, Any]:
    return {
        "order_ref": ref,
        "ordered_at": "2026-03-02T16:00:00+01:00",
        "origin": "PAR1",
        "destination": {"name": "Léa", "line1": line1, "postcode": "69003", "city": "Lyon", "country": "FR"},
        "mode": "home",
        "promise": {"deliver_by": deliver_by},
        "items": [{"sku": "X", "weight_kg": 1, "length_cm": 20, "width_cm": 15, "height_cm": 8}],
        "cart": {"value": 50, "currency": "EUR"},
    }


def test_a_run_writes_its_plan_once_and_a_second_run_for_the_date_plans_nothing(container, stored, client, manager):
    stored(a_card("acme", home=6.0, relay=4.5), [api_order("A"), api_order("B"), api_order("C", "2 rue")])
    plan_settings = settings()
    run_id, plan = run_consolidation(
        container.uow(), container.fresh_book(), TUESDAY, plan_settings, now=container.now()
    )
    assert plan.summary()["shipments_out"] == 2

    with pytest.raises(Conflict):
        run_consolidation(container.uow(), container.fresh_book(), TUESDAY, plan_settings, now=container.now())

    statuses = {o["order_ref"]: o["status"] for o in client.get("/api/v1/orders", headers=manager).get_json()}
    assert statuses == {"A": "planned", "B": "planned", "C": "planned"}
    dispatched = client.post("/api/v1/orders/A/dispatch", headers=manager)
    assert dispatched.status_code == 200 and dispatched.get_json()["status"] == "dispatched"
    assert client.post("/api/v1/orders/A/dispatch", headers=manager).status_code == 409
    assert client.post("/api/v1/orders/A/cancel", headers=manager).status_code == 409
    runs = client.get("/api/v1/consolidation-runs", headers=manager).get_json()
    assert [(r["id"], r["status"], r["orders_in"], r["shipments_out"]) for r in runs] == [(run_id, "succeeded", 3, 2)]
    detail = client.get(f"/api/v1/consolidation-runs/{run_id}", headers=manager).get_json()
    assert sorted(tuple(s["orders"]) for s in detail["shipments"]) == [("A", "B"), ("C",)]
    assert detail["savings"] == round((plan.baseline_cents - plan.cost_cents) / 100, 2)


def test_a_run_that_fails_while_writing_leaves_every_order_pending_and_is_recorded_failed(
    container, stored, client, manager, monkeypatch, caplog
) -> None:
    from tms.persistence.repositories import OrderRepository

    stored(a_card("acme", home=6.0, relay=4.5), [api_order("A"), api_order("C", "2 rue")])

    def crash(self, *args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(OrderRepository, "plan", crash)
    with pytest.raises(RuntimeError):
        run_consolidation(container.uow(), container.fresh_book(), TUESDAY, settings(), now=container.now())

    statuses = {o["order_ref"]: o["status"] for o in client.get("/api/v1/orders", headers=manager).get_json()}
    assert statuses == {"A": "pending", "C": "pending"}
    runs = client.get("/api/v1/consolidation-runs", headers=manager).get_json()
    assert [(r["status"], r["error"]) for r in runs] == [("failed", "RuntimeError: disk full")]
    assert [r.levelname for r in caplog.records if "disk full" in r.getMessage()] == ["ERROR"]
    monkeypatch.undo()
    run_id, _ = run_consolidation(container.uow(), container.fresh_book(), TUESDAY, settings(), now=container.now())
    assert run_id > 0


def test_a_what_if_plan_writes_nothing(container, stored, client, manager) -> None:
    stored(a_card("acme", home=6.0, relay=4.5), [])
    body = {"shipping_date": "2026-03-03", "orders": [api_order("A"), api_order("B")]}
    response = client.post("/api/v1/plans", json=body, headers=manager)
    assert response.status_code == 200, response.get_json()
    plan = response.get_json()
    assert [s["orders"] for s in plan["shipments"]] == [["A", "B"]]
    assert client.get("/api/v1/orders", headers=manager).get_json() == []
    assert client.get("/api/v1/consolidation-runs", headers=manager).get_json() == []


def test_each_planning_run_runs_once_per_date_whoever_starts_it(container, stored, client, manager) -> None:
    from tms.scheduler import build_scheduler, planning_job

    stored(a_card("acme", home=6.0, relay=4.5), [api_order("A")])
    container.clock.now = datetime(2026, 3, 3, 1, 30, tzinfo=UTC)  # 02:30 in Paris, Tuesday
    planning_job(container, "PAR1", time(2, 30))
    planning_job(container, "PAR1", time(2, 30))  # a second scheduler, or a restart: skipped
    runs = client.get("/api/v1/consolidation-runs", headers=manager).get_json()
    assert [(r["shipping_date"], r["warehouse"], r["run_at"], r["status"]) for r in runs] == [
        ("2026-03-03", "PAR1", "02:30", "succeeded")
    ]
    # The run at the cut-off the same day is another run: it plans what came in since (nothing here).
    container.clock.now = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    planning_job(container, "PAR1", time(15, 0))
    runs = client.get("/api/v1/consolidation-runs", headers=manager).get_json()
    assert [(r["run_at"], r["status"], r["orders_in"]) for r in runs] == [
        ("15:00", "succeeded", 0),
        ("02:30", "succeeded", 1),
    ]

    # One job per warehouse and planning run, in the warehouse's time zone (config/warehouses.toml), and
    # the promise watch every 15 minutes (no carrier's tracking API is configured: no poll), the
    # outbox's delivery every 30 s.
    jobs = {j.id: str(j.trigger) for j in build_scheduler(container).get_jobs()}
    assert jobs == {
        "planning-PAR1-0230": "cron[hour='2', minute='30']",
        "planning-PAR1-1500": "cron[hour='15', minute='0']",
        "planning-LYS1-0230": "cron[hour='2', minute='30']",
        "planning-LYS1-1300": "cron[hour='13', minute='0']",
        "promise-watch": "interval[0:15:00]",
        "outbox-delivery": "interval[0:00:30]",
    }


def test_the_months_shipped_parcels_unlock_a_volume_tier_in_quotes(container, stored, client, checkout) -> None:
    card = a_card("acme", home=6.0, relay=4.5, tiers=[{"min_parcels": 1, "discount_percent": 10}])
    stored(card, [api_order("A")])
    order = {
        "order_ref": "Q",
        "ordered_at": "2026-03-03T10:00:00+01:00",
        "destination": {"country": "FR", "postcode": "69003"},
        "parcels": [{"weight_kg": 1, "length_cm": 20, "width_cm": 15, "height_cm": 8}],
        "cart": {"value": 20, "currency": "EUR"},
        "modes": ["home"],
    }

    def home_transport() -> float:
        container.quote_book.refresh()
        response = client.post("/api/v1/quotes", json=order, headers=checkout)
        return response.get_json()["cheapest"]["home"]["cost"]["transport"]

    assert home_transport() == 6.0
    container.clock.now = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    run_consolidation(container.uow(), container.fresh_book(), TUESDAY, settings(), now=container.now())
    assert home_transport() == 5.4  # one parcel shipped this month reaches the tier: 10 % off 6.00


def test_a_run_for_a_day_the_warehouse_does_not_work_is_refused(container, stored) -> None:
    from tms.services.consolidation import NotAShippingDay

    stored(a_card("acme", home=6.0, relay=4.5), [api_order("A")])
    with pytest.raises(NotAShippingDay):
        run_consolidation(container.uow(), container.fresh_book(), date(2026, 3, 7), settings(), now=container.now())


def test_a_card_with_other_tiers_starting_tomorrow_does_not_break_the_plan() -> None:
    today_card = a_card("acme", home=6.0, relay=4.5, tiers=[{"min_parcels": 100, "discount_percent": 5}])
    tomorrow = a_card("acme", home=5.0, relay=4.0, valid_from="2026-03-04")
    book = a_book(today_card, tomorrow)
    orders = [an_order("A"), an_order("B", line1="2 rue")]
    plan = planned(book, orders, settings(holding=True, carrier_limits={"acme": CarrierLimits(parcels_per_day=1)}))
    assert sorted(s.held for s in plan.shipments) == [False, True]
    held = next(s for s in plan.shipments if s.held)
    assert (held.rate_card_id, held.transport_cents) == (2, 500)  # tomorrow's card prices tomorrow's pickup


def test_an_order_cancelled_while_the_run_plans_makes_the_write_fail_and_nothing_is_planned(
    container, stored, client, manager, monkeypatch
) -> None:
    import tms.services.consolidation as consolidation

    stored(a_card("acme", home=6.0, relay=4.5), [api_order("A"), api_order("B", "2 rue")])
    real_plan_orders = consolidation.plan_orders

    def plan_then_cancel(*args, **kwargs):
        plan = real_plan_orders(*args, **kwargs)
        assert client.post("/api/v1/orders/B/cancel", headers=manager).status_code == 200
        return plan

    monkeypatch.setattr(consolidation, "plan_orders", plan_then_cancel)
    with pytest.raises(Conflict):
        run_consolidation(container.uow(), container.fresh_book(), TUESDAY, settings(), now=container.now())
    statuses = {o["order_ref"]: o["status"] for o in client.get("/api/v1/orders", headers=manager).get_json()}
    assert statuses == {"A": "pending", "B": "cancelled"}


def test_a_plan_the_checker_refuses_is_recorded_as_failed_and_a_later_run_may_still_succeed(
    container, stored, client, manager, monkeypatch
) -> None:
    import tms.services.consolidation as consolidation
    from tms.services.consolidation import PlanFailedCheck

    stored(a_card("acme", home=6.0, relay=4.5), [api_order("A")])
    monkeypatch.setattr(consolidation, "check_plan", lambda *args, **kwargs: ["shipment A breaks a rule"])
    with pytest.raises(PlanFailedCheck):
        run_consolidation(container.uow(), container.fresh_book(), TUESDAY, settings(), now=container.now())
    runs = client.get("/api/v1/consolidation-runs", headers=manager).get_json()
    assert [(r["status"], r["error"]) for r in runs] == [("failed", "shipment A breaks a rule")]
    assert client.get("/api/v1/orders/A", headers=manager).get_json()["status"] == "pending"

    monkeypatch.undo()
    run_consolidation(container.uow(), container.fresh_book(), TUESDAY, settings(), now=container.now())
    assert client.get("/api/v1/orders/A", headers=manager).get_json()["status"] == "planned"


# --- one set of rules: ship day, readiness, tiers ------------------------------------------------


def test_the_run_at_the_cutoff_plans_only_carriers_that_still_come_that_day() -> None:
    early = a_card("early", home=4.0, relay=3.0)
    early["services"][0]["pickup_cutoff"] = "12:00"
    book = a_book(early, a_card("late", home=6.0, relay=4.5))
    # Ordered Tue 3 March 10:00 Paris; the 15:00 run of PAR1 plans Tuesday's pickups.
    order = an_order("A", ordered_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    plan = plan_orders(book, [order], TUESDAY, settings(), run_at=time(15, 0))
    assert check_plan(book, [order], plan, settings()) == []
    assert [(s.carrier, s.ships_on) for s in plan.shipments] == [("late", TUESDAY)]  # early's truck left at 12:00


def test_an_order_not_ready_for_the_plan_waits_with_its_first_ship_day() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    # LYS1 prepares an order in one working day: ordered Sun 1 March 20:40, released Mon, ready Tue.
    order = an_order("A", warehouse="LYS1", ordered_at=datetime(2026, 3, 1, 19, 40, tzinfo=UTC))
    plan = plan_orders(book, [order], date(2026, 3, 2), settings())
    assert check_plan(book, [order], plan, settings()) == []
    assert (plan.shipments, plan.waiting, plan.unplannable) == ((), {"A": TUESDAY}, {})
    assert plan.summary()["orders_waiting"] == 1
    tuesday = plan_orders(book, [order], TUESDAY, settings())
    assert [s.ships_on for s in tuesday.shipped] == [TUESDAY]


def test_an_order_placed_after_the_runs_moment_waits_for_a_later_run_instead_of_needing_attention() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    # Ordered Tue 3 March 10:00 Paris: the checkout showed Tuesday (the 15:00 run) and Thursday.
    order = an_order("A", ordered_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC), carrier="acme", service="HOME")
    shown = book.shown_window(order)
    assert shown is not None and (shown[0], shown[2]) == (TUESDAY, date(2026, 3, 5))
    order = Order(**{**order.__dict__, "deliver_by": shown[2]})
    for holding in (False, True):
        # The 02:30 run started late (or again by hand): the order came after its moment, so it is not in it.
        night = plan_orders(book, [order], TUESDAY, settings(holding=holding), run_at=time(2, 30))
        assert check_plan(book, [order], night, settings(holding=holding)) == []
        assert (night.shipments, night.unplannable, night.waiting) == ((), {}, {"A": TUESDAY})
    afternoon = plan_orders(book, [order], TUESDAY, settings(), run_at=time(15, 0))
    assert [(s.ships_on, s.latest) for s in afternoon.shipped] == [(TUESDAY, date(2026, 3, 5))]


def test_an_order_waits_for_the_first_day_a_service_with_its_features_comes_not_any_service_of_its_mode() -> None:
    card = a_card("acme", home=6.0, relay=4.5)
    signed = a_service_document("SIGNED", "home", name="SIGNED", transit={"FR": [2, 2]}, signature=True)
    card["services"].append({**signed, "pickup_days": "Mon,Wed,Fri"})
    card["prices"] += [{**p, "service": "SIGNED"} for p in card["prices"] if p["service"] == "HOME"]
    book = a_book(card)
    # Ready on Tuesday (ordered Monday after the cut-off), naming no service but asking for a signature:
    # only SIGNED may carry it, and it first comes on Wednesday.
    order = an_order("A", features=Features(signature=True))
    plan = plan_orders(book, [order], TUESDAY, settings())
    assert check_plan(book, [order], plan, settings()) == []
    assert (plan.shipments, plan.unplannable, plan.waiting) == ((), {}, {"A": date(2026, 3, 4)})
    wednesday = plan_orders(book, [order], date(2026, 3, 4), settings())
    assert [(s.service, s.ships_on) for s in wednesday.shipped] == [("SIGNED", date(2026, 3, 4))]


def test_the_checker_refuses_a_shipment_before_its_order_is_ready() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    order = an_order("A", warehouse="LYS1", ordered_at=datetime(2026, 3, 1, 19, 40, tzinfo=UTC))
    plan = plan_orders(book, [order], TUESDAY, settings())
    early = Plan(**{**plan.__dict__, "shipping_date": date(2026, 3, 2)})
    shipment = plan.shipments[0]
    moved = PlannedShipment(**{**shipment.__dict__, "ships_on": date(2026, 3, 2)})
    early = Plan(**{**early.__dict__, "shipments": (moved,)})
    assert any("before it can (2026-03-03)" in p for p in check_plan(book, [order], early, settings()))


def test_held_parcels_do_not_count_towards_a_volume_tier() -> None:
    # 10 % off from 3 parcels this month. 1 shipped already; the plan ships one and must hold the other
    # (1 parcel a day): 1 + 1 = 2 shipped, the tier is not reached, whatever is held.
    card = a_card("acme", home=6.0, relay=4.5, tiers=[{"min_parcels": 3, "discount_percent": 10}])
    book = a_book(card)
    orders = [an_order("A"), an_order("B", line1="2 rue")]
    limits = {"acme": CarrierLimits(parcels_per_day=1)}
    plan = planned(book, orders, settings(holding=True, carrier_limits=limits), {"acme": 1})
    assert sorted((s.held, s.transport_cents) for s in plan.shipments) == [(False, 600), (True, 600)]
    # With 2 shipped already, the shipped parcel reaches 3: 10 % off today; the held one waits at 0 %.
    plan = planned(book, orders, settings(holding=True, carrier_limits=limits), {"acme": 2})
    assert sorted((s.held, s.transport_cents) for s in plan.shipments) == [(False, 540), (True, 600)]


def test_a_what_if_plan_starts_from_the_months_real_volume(container, stored, client, manager) -> None:
    card = a_card("acme", home=6.0, relay=4.5, tiers=[{"min_parcels": 2, "discount_percent": 10}])
    stored(card, [api_order("A")])
    run_consolidation(container.uow(), container.fresh_book(), TUESDAY, settings(), now=container.now())
    body = {"shipping_date": "2026-03-04", "orders": [api_order("B")]}
    response = client.post("/api/v1/plans", json=body, headers=manager)
    assert response.status_code == 200, response.get_json()
    # A shipped on Tuesday + B in this plan = 2 parcels this month: 10 % off 6.00.
    assert [s["cost"]["transport"] for s in response.get_json()["shipments"]] == [5.4]


def test_a_second_run_the_same_day_shares_the_carriers_capacity_with_the_first(container, stored) -> None:
    stored(a_card("acme", home=6.0, relay=4.5), [api_order("A")])
    limits = settings(carrier_limits={"acme": CarrierLimits(parcels_per_day=1)})
    run_consolidation(container.uow(), container.fresh_book(), TUESDAY, limits, now=container.now())
    later = {**api_order("B", "2 rue"), "ordered_at": "2026-03-03T10:00:00+01:00"}
    stored_order(container, later)
    _, plan = run_consolidation(
        container.uow(), container.fresh_book(), TUESDAY, limits, now=container.now(), run_at=time(15, 0)
    )
    assert plan.unplannable == {"B": "no carrier capacity left within the promise"}


def test_an_order_starved_of_capacity_until_its_promise_passed_needs_attention_for_capacity_not_promise(
    container, stored
) -> None:
    stored(a_card("acme", home=6.0, relay=4.5), [api_order("A")])
    limits = settings(carrier_limits={"acme": CarrierLimits(parcels_per_day=1)})
    run_consolidation(container.uow(), container.fresh_book(), TUESDAY, limits, now=container.now())
    # B could ship on Tuesday (delivered Thursday 5 as promised), but the first run took acme's only parcel.
    stored_order(container, {**api_order("B", "2 rue", "2026-03-05"), "ordered_at": "2026-03-03T10:00:00+01:00"})
    _, plan = run_consolidation(
        container.uow(), container.fresh_book(), TUESDAY, limits, now=container.now(), run_at=time(15, 0)
    )
    assert plan.unplannable == {"B": "no carrier capacity left within the promise"}
    with container.uow() as uow:
        left = uow.orders.get("B")
    assert left is not None and (left.status, left.attention) == ("pending", NO_CAPACITY)
    # Shipped on Wednesday it arrives Friday 6, too late: what kept it from its promise was capacity.
    wednesday_run = run_consolidation(
        container.uow(), container.fresh_book(), date(2026, 3, 4), limits, now=container.now()
    )
    wednesday = wednesday_run[1]
    assert wednesday.unplannable == {"B": CAPACITY_RAN_OUT}
    with container.uow() as uow:
        starved = uow.orders.get("B")
    assert starved is not None and (starved.status, starved.attention) == ("needs_attention", CAPACITY_RAN_OUT)


def test_a_carriers_daily_capacity_is_per_warehouse_one_sites_runs_leave_the_others_intact(container, stored) -> None:
    """A carrier's capacity is what it collects at one warehouse (config/carriers.toml): PAR1's run
    filling acme's pickup there leaves acme's pickup at LYS1, the same day, untouched."""
    stored(a_card("acme", home=6.0, relay=4.5), [api_order("A")])
    limits = settings(carrier_limits={"acme": CarrierLimits(parcels_per_day=1)})
    _, paris = run_consolidation(container.uow(), container.fresh_book(), TUESDAY, limits, now=container.now())
    assert [s.orders for s in paris.shipped] == [("A",)]
    lyon = {**api_order("B", "2 rue"), "origin": "LYS1", "ordered_at": "2026-03-02T10:00:00+01:00"}
    stored_order(container, lyon, "LYS1")
    _, plan = run_consolidation(
        container.uow(), container.fresh_book(), TUESDAY, limits, now=container.now(), warehouse="LYS1"
    )
    assert plan.unplannable == {}
    assert [(s.orders, s.carrier) for s in plan.shipped] == [(("B",), "acme")]


def stored_order(container, body: dict[str, Any], warehouse: str = "PAR1") -> None:
    from tms.api.orders import OrderInSchema, to_order
    from tms.services.orders import register_order

    order = to_order(OrderInSchema().load(body), warehouse)
    register_order(container.uow(), order, known_warehouses={"PAR1", "LYS1"}, now=container.now())


# --- honest figures --------------------------------------------------------------------------------


def test_cost_baseline_and_savings_count_only_what_ships_today() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    orders = [an_order("A"), an_order("B", line1="2 rue"), an_order("LATE", line1="1 quai", deliver_by=TUESDAY)]
    limits = {"acme": CarrierLimits(parcels_per_day=1)}
    plan = planned(book, orders, settings(holding=True, carrier_limits=limits))
    shipped, held = plan.shipped, [s for s in plan.shipments if s.held]
    assert (len(shipped), len(held), list(plan.unplannable)) == (1, 1, ["LATE"])
    alone = 600 + 35 + 350  # 6.00 + box S + handling and indirect
    assert (plan.cost_cents, plan.baseline_cents) == (alone, alone)  # the held order counts when it ships
    assert plan.objective_cents == 2 * alone + 10  # the solver's plan: both, and a day's hold
    assert held[0].baseline_cents == held[0].cost_cents  # a held shipment claims no saving yet
    summary = plan.summary()
    assert (summary["savings"], summary["orders_held"], summary["orders_unplannable"]) == (0.0, 1, 1)


def a_slow_and_a_fast_carrier(**eco_changes: Any) -> list[dict[str, Any]]:
    """eco: home in 3 days at 5.00; fast: home in 1 day at 7.00 (delivered Mon-Sat)."""
    eco, fast = a_card("eco", home=5.0, relay=4.5, **eco_changes), a_card("fast", home=7.0, relay=6.0)
    eco["services"][0]["transit"] = {"FR": [3, 3]}
    fast["services"][0]["transit"] = {"FR": [1, 1]}
    return [eco, fast]


def held_on_tuesday_then_planned_on_wednesday(book: QuoteBook, order: Order) -> Plan:
    """Tuesday's pickups are full (earlier runs booked them): the order is held; Wednesday's run ships it."""
    limits = {"eco": CarrierLimits(parcels_per_day=1), "fast": CarrierLimits(parcels_per_day=1)}
    held_settings = settings(holding=True, carrier_limits=limits)
    full = {"eco": (1, 1_000), "fast": (1, 1_000)}
    tuesday = plan_orders(book, [order], TUESDAY, held_settings, booked=full)
    assert check_plan(book, [order], tuesday, held_settings, booked=full) == []
    assert [(s.held, s.ships_on) for s in tuesday.shipments] == [(True, WEDNESDAY)]
    wednesday = plan_orders(book, [order], WEDNESDAY, held_settings)
    assert check_plan(book, [order], wednesday, held_settings) == []
    return wednesday


def test_a_held_orders_baseline_ships_it_alone_on_its_first_possible_day_not_on_the_day_it_ships() -> None:
    """Ready on Tuesday, due Friday: alone on Tuesday, eco's 3 days arrive Friday (5.00); held to Wednesday,
    only fast's 1 day still keeps the promise (7.00). The baseline is Tuesday's eco, so the hold shows as a
    loss, not as a shipment that saved nothing."""
    book = a_book(*a_slow_and_a_fast_carrier())
    order = an_order("A", deliver_by=date(2026, 3, 6))
    plan = held_on_tuesday_then_planned_on_wednesday(book, order)
    (shipment,) = plan.shipped
    assert (shipment.carrier, shipment.ships_on, shipment.cost_cents) == ("fast", WEDNESDAY, 700 + 35 + 350)
    assert shipment.baseline_cents == plan.baseline_cents == 500 + 35 + 350
    assert plan.summary()["savings"] == -2.0


def test_a_held_orders_baseline_is_priced_with_the_card_in_force_on_its_first_possible_day() -> None:
    """eco's new card, dearer, starts on Wednesday: the order that could have left on Tuesday is compared
    with Tuesday's card."""
    dearer = a_card("eco", home=5.8, relay=4.5, valid_from="2026-03-04")
    book = a_book(*a_slow_and_a_fast_carrier(), dearer)
    order = an_order("A", deliver_by=date(2026, 3, 10))
    plan = held_on_tuesday_then_planned_on_wednesday(book, order)
    (shipment,) = plan.shipped
    assert (shipment.carrier, shipment.transport_cents) == ("eco", 580)
    assert shipment.baseline_cents == 500 + 35 + 350


def test_a_merge_saves_against_its_orders_shipped_alone_and_says_so_per_shipment() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    plan = planned(book, [an_order("A"), an_order("B")], settings())
    (shipment,) = plan.shipments
    assert shipment.baseline_cents == 2 * (600 + 35 + 350)
    document = shipment_document(shipment)
    assert document["cost"]["baseline"] - document["cost"]["total"] == pytest.approx(6.15)


# --- shipments as records --------------------------------------------------------------------------


def test_a_shipment_is_dispatched_with_a_tracking_number_per_parcel_and_takes_all_its_orders(
    container, stored, client, manager
) -> None:
    stored(a_card("acme", home=6.0, relay=4.5), [api_order("A"), api_order("B"), api_order("C", "2 rue")])
    run_id, _ = run_consolidation(container.uow(), container.fresh_book(), TUESDAY, settings(), now=container.now())
    listed = client.get(f"/api/v1/shipments?run_id={run_id}", headers=manager).get_json()
    assert sorted(tuple(s["orders"]) for s in listed) == [("A", "B"), ("C",)]
    together = next(s for s in listed if s["orders"] == ["A", "B"])
    assert (together["status"], together["parcels"], together["carrier"]) == ("planned", 1, "acme")

    # An order shows the shipment it was planned in, apart from what the checkout requested.
    order = client.get("/api/v1/orders/A", headers=manager).get_json()
    assert order["planned"] == {
        "shipment_id": together["id"],
        "carrier": "acme",
        "service": "HOME",
        "ships_on": "2026-03-03",
        "status": "planned",
    }
    assert order["requested"] == {"carrier": None, "service": None, "ships_on": None}

    path = f"/api/v1/shipments/{together['id']}/dispatch"
    wrong = client.post(path, json={"tracking_numbers": ["6A1", "6A2"]}, headers=manager)
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.get_json()["errors"]] == ["tracking_numbers"]
    done = client.post(path, json={"tracking_numbers": ["6A12345678901"]}, headers=manager)
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["status"], done.get_json()["tracking_numbers"]) == ("dispatched", ["6A12345678901"])
    statuses = {o["order_ref"]: o["status"] for o in client.get("/api/v1/orders", headers=manager).get_json()}
    assert statuses == {"A": "dispatched", "B": "dispatched", "C": "planned"}
    assert client.post(path, json={"tracking_numbers": ["6A9"]}, headers=manager).status_code == 409
    dispatched = client.get("/api/v1/shipments?status=dispatched", headers=manager).get_json()
    assert [s["id"] for s in dispatched] == [together["id"]]
    assert client.get("/api/v1/shipments/999999", headers=manager).status_code == 404


def test_dispatching_one_order_of_a_shared_box_dispatches_the_box(container, stored, client, manager) -> None:
    stored(a_card("acme", home=6.0, relay=4.5), [api_order("A"), api_order("B")])
    run_consolidation(container.uow(), container.fresh_book(), TUESDAY, settings(), now=container.now())
    assert client.post("/api/v1/orders/A/dispatch", headers=manager).status_code == 200
    assert client.get("/api/v1/orders/B", headers=manager).get_json()["status"] == "dispatched"
    assert client.post("/api/v1/orders/B/dispatch", headers=manager).status_code == 409


# --- nothing waits silently --------------------------------------------------------------------------


def test_an_order_whose_promise_can_no_longer_be_kept_needs_attention_and_says_why(
    container, stored, client, manager
) -> None:
    from tests.api.test_manager_pages import sign_in

    late = api_order("LATE", "1 quai", deliver_by="2026-03-04")  # picked up Tue 3 at the earliest, J+2
    full = [api_order("A"), api_order("B", "2 rue")]
    stored(a_card("acme", home=6.0, relay=4.5), [late, *full])
    limits = settings(carrier_limits={"acme": CarrierLimits(parcels_per_day=1)})
    _, plan = run_consolidation(container.uow(), container.fresh_book(), TUESDAY, limits, now=container.now())
    assert plan.unplannable["LATE"] == "no service keeps the promise"

    orders = {o["order_ref"]: o for o in client.get("/api/v1/orders", headers=manager).get_json()}
    assert (orders["LATE"]["status"], orders["LATE"]["attention"]) == (
        "needs_attention",
        "no service keeps the promise",
    )
    # The order the full carrier could not take tonight may still ship tomorrow: it stays pending, saying why.
    left = next(ref for ref in ("A", "B") if orders[ref]["status"] != "planned")
    assert (orders[left]["status"], orders[left]["attention"]) == ("pending", NO_CAPACITY)
    attention = client.get("/api/v1/orders?status=needs_attention", headers=manager).get_json()
    assert [o["order_ref"] for o in attention] == ["LATE"]

    sign_in(client, manager)
    page = client.get("/manager/").data.decode()
    assert "Orders needing attention" in page and "LATE" in page and "no service keeps the promise" in page
    # The shop may cancel it; a later run does not see it.
    assert client.post("/api/v1/orders/LATE/cancel", headers=manager).get_json()["status"] == "cancelled"


def test_a_merged_shipment_the_capacity_cannot_take_whole_ships_in_part() -> None:
    """Two orders to one address travel together when they can; when acme's day takes only 1.5 kg, the
    2 kg box cannot go, but one of the 1 kg orders can: it ships, the other waits for capacity."""
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    orders = [an_order("A"), an_order("B")]
    assert [s.orders for s in planned(book, orders, settings()).shipped] == [("A", "B")]
    tight = settings(carrier_limits={"acme": CarrierLimits(weight_g_per_day=1_500)})
    plan = planned(book, orders, tight)
    assert [len(s.orders) for s in plan.shipped] == [1]
    assert list(plan.unplannable.values()) == [NO_CAPACITY]


def test_a_shipment_whose_only_carrier_with_room_takes_it_only_in_two_parcels_ships_in_two() -> None:
    """20 kg in one box L is cheapest with big (10.00 + 0.95); small takes at most 12 kg a parcel, so
    two boxes M (2 x 9.00 + 2 x 0.55). When big's day is full, small's two parcels ship it."""
    big, small = a_card("big", home=6.0, relay=4.5), a_card("small", home=5.0, relay=4.5)
    small["services"][0]["max_weight_kg"] = 12
    book = a_book(big, small)
    heavy = an_order("A", items=(Item("SKU-1", 10_000, 200, 150, 80), Item("SKU-2", 10_000, 200, 150, 80)))
    (roomy,) = planned(book, [heavy], settings()).shipped
    assert (roomy.carrier, roomy.parcels, roomy.cost_cents) == ("big", 1, 1000 + 95 + 350)
    full = settings(carrier_limits={"big": CarrierLimits(parcels_per_day=0)})
    plan = planned(book, [heavy], full)
    assert plan.unplannable == {}
    (shipment,) = plan.shipped
    assert (shipment.carrier, shipment.parcels, [box for box, _ in shipment.boxes]) == ("small", 2, ["M", "M"])
    assert shipment.cost_cents == 2 * 900 + 2 * 55 + 350


def test_a_shipment_is_offered_in_each_of_its_counts_before_it_is_left_out_for_capacity() -> None:
    """Six items of 3.4 kg: big carries them in 1 to 6 parcels but its day is full; six takes at most 3.5 kg
    a parcel, so only six parcels. Five counts are offered and left out before the sixth ships."""
    big, six = a_card("big", home=6.0, relay=4.5), a_card("six", home=5.0, relay=4.5)
    six["services"][0]["max_weight_kg"] = 3.5
    book = a_book(big, six)
    order = an_order("A", items=tuple(Item(f"SKU-{i}", 3_400, 200, 150, 80) for i in range(6)))
    plan = planned(book, [order], settings(carrier_limits={"big": CarrierLimits(parcels_per_day=0)}))
    assert plan.unplannable == {}
    (shipment,) = plan.shipped
    assert (shipment.carrier, shipment.parcels) == ("six", 6)


def test_a_baseline_looks_at_no_day_past_the_plans_last() -> None:
    """cheap's card starts next Monday (5.00); today only dear carries (7.00). An order with no deliver_by
    ships today with dear, alone: its baseline is today's dear, not next week's cheap, and it saves 0."""
    dear, cheap = a_card("dear", home=7.0, relay=6.0), a_card("cheap", home=5.0, relay=4.5, valid_from="2026-03-09")
    book = a_book(dear, cheap)
    (shipment,) = planned(book, [an_order("A", deliver_by=None)], settings()).shipped
    assert shipment.carrier == "dear"
    assert shipment.baseline_cents == shipment.cost_cents


# --- a chosen pickup point's opening: the quote's rule in the plan and its checker ---------------


def a_point(closures: tuple[tuple[date, date], ...] = (), saturday: bool = True) -> PickupPoint:
    weekday = ((time(9), time(19)),)
    hours = (weekday,) * 5 + ((((time(9), time(12)),),) if saturday else ((),)) + ((),)
    return PickupPoint(
        "PT1", "Tabac", "3 place Carnot", "69002", "Lyon", "FR", 45.7485, 4.8276, PointKind.RELAY, hours, closures
    )


@pytest.mark.parametrize(
    ("closures", "saturday", "promise", "planned"),
    [
        ((), True, date(2026, 3, 6), True),
        # closed from the day after the ship day: the parcel arrives (Thu 5 to Fri 6) while it is shut
        (((date(2026, 3, 4), date(2026, 3, 31)),), True, date(2026, 3, 6), False),
        # shut on Friday 6, the carrier's latest: open again on Saturday 7, within a promise of the 7th
        (((date(2026, 3, 6), date(2026, 3, 6)),), True, date(2026, 3, 7), True),
        (((date(2026, 3, 6), date(2026, 3, 6)),), True, date(2026, 3, 6), False),
        # ... and with no Saturday hours it opens on Monday 9: too late for the 7th, not for the 9th
        (((date(2026, 3, 6), date(2026, 3, 6)),), False, date(2026, 3, 7), False),
        (((date(2026, 3, 6), date(2026, 3, 6)),), False, date(2026, 3, 9), True),
        # no promise: any opening within the look-ahead; none in it, not planned
        (((date(2026, 3, 6), date(2026, 3, 8)),), True, None, True),
        (((date(2026, 3, 1), date(2026, 4, 30)),), True, None, False),
    ],
)
def test_a_pickup_point_order_is_planned_only_if_its_point_opens_in_time(
    closures: tuple[tuple[date, date], ...], saturday: bool, promise: date | None, planned: bool
) -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))  # RELAY: 2 to 3 business days, Tue 3 -> Thu 5 to Fri 6
    order = an_order("A", mode="pickup_point", carrier="acme", pickup_point_id="PT1", deliver_by=promise)
    points = {"A": a_point(closures, saturday)}
    plan = plan_orders(book, [order], TUESDAY, settings(), points=points)
    assert check_plan(book, [order], plan, settings(), points=points) == []
    if planned:
        assert [(s.orders, s.service, s.latest) for s in plan.shipped] == [(("A",), "RELAY", date(2026, 3, 6))]
    else:
        assert (plan.shipments, plan.unplannable) == ((), {"A": POINT_SHUT})
    # The checker reads the point's hours and closures itself: the plan made without them is refused
    # exactly when the point does not open in time.
    blind = plan_orders(book, [order], TUESDAY, settings())
    problems = check_plan(book, [order], blind, settings(), points=points)
    assert bool(problems) is not planned
    assert all("PT1" in p for p in problems)
