"""The independent checker refuses a plan that breaks the consignee rule, the ready days or the tiers.

Each test plans a small case, breaks the plan (or the orders it is checked against) by hand in one way,
and sees the checker name the broken rule. Warehouse PAR1, runs at 02:30 and 15:00 local time, order
cut-off 15:00; shipping date Tuesday 3 March 2026 (Paris is UTC+1).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time

from tests.integration.test_consolidation import TUESDAY, a_book, a_card, an_order, settings
from tms.domain.orders import Address, Order
from tms.domain.plans import CarrierLimits, Plan, PlannedShipment
from tms.services.plan_check import check_plan
from tms.services.planning import plan_orders

WEDNESDAY = date(2026, 3, 4)


def a_point_order(ref: str, name: str = "Léa Martin", point: str = "PT-1") -> Order:
    return an_order(ref, mode="pickup_point", carrier="acme", pickup_point_id=point, address=Address(name, *_LYON))


_LYON = ("12 rue Neuve", "69003", "Lyon", "FR")


def to(order: Order, name: str, line1: str) -> Order:
    return dataclasses.replace(order, address=Address(name, line1, *_LYON[1:]))


def with_shipment(plan: Plan, shipment: PlannedShipment) -> Plan:
    """The plan with its one shipment replaced, its totals following."""
    held = shipment.held
    return dataclasses.replace(
        plan,
        shipments=(shipment,),
        cost_cents=0 if held else shipment.cost_cents,
        baseline_cents=0 if held else shipment.baseline_cents,
        objective_cents=shipment.cost_cents,
    )


# --- the consignee rule ------------------------------------------------------------------------------


def test_orders_to_two_addresses_in_one_shipment_are_refused_and_one_consignee_written_two_ways_is_not() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    orders = [an_order("A"), an_order("B")]
    plan = plan_orders(book, orders, TUESDAY, settings())
    assert [s.orders for s in plan.shipments] == [("A", "B")]

    elsewhere = [
        orders[0],
        dataclasses.replace(orders[1], address=Address("Léa Martin", "3 place Bellecour", *_LYON[1:])),
    ]
    assert any("mixes consignees" in p for p in check_plan(book, elsewhere, plan, settings()))
    someone_else = [orders[0], to(orders[1], "Marc Petit", "12 rue Neuve")]
    assert any("mixes consignees" in p for p in check_plan(book, someone_else, plan, settings()))
    written_otherwise = [
        orders[0],
        dataclasses.replace(orders[1], address=Address("MARTIN Lea", "12 r. Neuve", *_LYON[1:])),
    ]
    assert check_plan(book, written_otherwise, plan, settings()) == []


def test_pickup_point_orders_travel_together_only_for_the_same_person_at_the_same_point() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    orders = [a_point_order("A"), a_point_order("B")]
    plan = plan_orders(book, orders, TUESDAY, settings())
    assert [s.orders for s in plan.shipments] == [("A", "B")]
    assert check_plan(book, orders, plan, settings()) == []

    other_point = [orders[0], a_point_order("B", point="PT-2")]
    assert any("mixes consignees" in p for p in check_plan(book, other_point, plan, settings()))
    other_person = [orders[0], a_point_order("B", name="Marc Petit")]
    assert any("mixes consignees" in p for p in check_plan(book, other_person, plan, settings()))
    home_and_point = [orders[0], an_order("B")]
    assert any("mixes consignees, warehouses or modes" in p for p in check_plan(book, home_and_point, plan, settings()))


def test_a_shipment_stating_another_mode_than_its_shoppers_is_refused() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    orders = [an_order("A")]
    plan = plan_orders(book, orders, TUESDAY, settings())
    restated = with_shipment(plan, dataclasses.replace(plan.shipments[0], mode="pickup_point"))
    assert any("states mode pickup_point" in p for p in check_plan(book, orders, restated, settings()))


# --- ready days --------------------------------------------------------------------------------------


def test_an_order_placed_after_the_run_is_refused_on_todays_pickup() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    orders = [an_order("A")]  # placed on Monday at 16:00 local time: ready for Tuesday's night run
    plan = plan_orders(book, orders, TUESDAY, settings())
    assert check_plan(book, orders, plan, settings()) == []
    # Placed on Tuesday at 09:30: the 15:00 run may ship it today, the 02:30 run never saw it.
    later = [dataclasses.replace(orders[0], ordered_at=datetime(2026, 3, 3, 8, 30, tzinfo=UTC))]
    problems = check_plan(book, later, plan, settings())
    assert problems == ["order A ships on 2026-03-03 from the 02:30 run, which it was placed after"]
    from_the_afternoon_run = dataclasses.replace(plan, run_at=time(15, 0))
    assert check_plan(book, later, from_the_afternoon_run, settings()) == []


def test_an_order_ready_for_this_plan_may_not_be_said_to_wait() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    orders = [an_order("A")]
    parked = Plan(TUESDAY, 1, (), {}, 0, 0, 0, 0.0, "optimal", "none", 0.0, 0.0, {"A": WEDNESDAY})
    problems = check_plan(book, orders, parked, settings())
    assert problems == ["order A is said to wait until 2026-03-04, but acme HOME may take it on 2026-03-03"]
    past = dataclasses.replace(parked, waiting={"A": date(2026, 3, 2)})
    assert any(
        "waits until 2026-03-02, before this plan's day" in p for p in check_plan(book, orders, past, settings())
    )


def test_an_order_not_ready_within_the_plan_waits_and_the_checker_agrees() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    # Placed on Tuesday at 16:00 local time, past the order cut-off: it ships on Wednesday.
    orders = [an_order("A", ordered_at=datetime(2026, 3, 3, 15, tzinfo=UTC))]
    plan = plan_orders(book, orders, TUESDAY, settings())
    assert plan.waiting == {"A": WEDNESDAY}
    assert check_plan(book, orders, plan, settings()) == []
    # Placed after the run's moment, it is not this run's even with holding: it waits for a later run.
    held = plan_orders(book, orders, TUESDAY, settings(holding=True))
    assert (held.shipments, list(held.waiting)) == ((), ["A"])
    assert check_plan(book, orders, held, settings(holding=True)) == []
    # An order placed before the run's moment, ready on Tuesday, said to wait for Wednesday: refused.
    ready = [an_order("B")]
    shipped = plan_orders(book, ready, TUESDAY, settings())
    waiting = Plan(**{**shipped.__dict__, "shipments": (), "waiting": {"B": WEDNESDAY}})
    assert any("may take it on 2026-03-03" in p for p in check_plan(book, ready, waiting, settings()))
    # An order placed after the run's moment is not this run's: it may wait for a later run.
    assert check_plan(book, orders, plan, settings(holding=True)) == []


def test_an_order_shipped_before_its_ship_day_is_refused() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    orders = [an_order("A")]
    plan = plan_orders(book, orders, TUESDAY, settings())
    # Placed on Tuesday at 16:00 local time: its first ship day is Wednesday.
    too_soon = [dataclasses.replace(orders[0], ordered_at=datetime(2026, 3, 3, 15, tzinfo=UTC))]
    assert any("before it can (2026-03-04)" in p for p in check_plan(book, too_soon, plan, settings()))


# --- tiers on shipped parcels ------------------------------------------------------------------------


def test_tiers_count_the_parcels_shipped_today_never_the_held_ones() -> None:
    """A 10 % tier from 100 parcels; acme takes one parcel a day, so of two orders one ships today, one is held."""
    card = a_card("acme", home=6.0, relay=4.5, tiers=[{"min_parcels": 100, "discount_percent": 10}])
    book = a_book(card)
    orders = [an_order("A"), an_order("B", line1="2 rue")]
    one_a_day = settings(holding=True, carrier_limits={"acme": CarrierLimits(parcels_per_day=1)})

    # 99 this month + today's parcel reach the tier: today's shipment at 5.40, the held one at the month's 6.00.
    plan = plan_orders(book, orders, TUESDAY, one_a_day, {"acme": 99})
    assert check_plan(book, orders, plan, one_a_day, {"acme": 99}) == []
    today, held = sorted(plan.shipments, key=lambda s: s.held)
    assert (today.transport_cents, held.transport_cents) == (540, 600)
    held_at_todays_tier = dataclasses.replace(held, transport_cents=540, cost_cents=held.cost_cents - 60)
    bad = dataclasses.replace(plan, shipments=(today, held_at_todays_tier), objective_cents=plan.objective_cents - 60)
    problems = check_plan(book, orders, bad, one_a_day, {"acme": 99})
    assert any(f"shipment {held.orders[0]} states 540 cents of transport" in p for p in problems)
    assert any("by its card" in p for p in problems)

    # 98 this month + today's parcel stay below: counting the held parcel would wrongly reach the tier.
    below = plan_orders(book, orders, TUESDAY, one_a_day, {"acme": 98})
    assert check_plan(book, orders, below, one_a_day, {"acme": 98}) == []
    today, held = sorted(below.shipments, key=lambda s: s.held)
    assert today.transport_cents == 600
    counted_held = dataclasses.replace(today, transport_cents=540, cost_cents=today.cost_cents - 60)
    bad = dataclasses.replace(
        below,
        shipments=(counted_held, held),
        cost_cents=below.cost_cents - 60,
        objective_cents=below.objective_cents - 60,
    )
    problems = check_plan(book, orders, bad, one_a_day, {"acme": 98})
    assert any(f"shipment {today.orders[0]} states 540 cents of transport" in p for p in problems)


def test_transport_and_handling_must_be_the_ones_the_card_and_warehouse_give_even_when_the_total_is_right() -> None:
    book = a_book(a_card("acme", home=6.0, relay=4.5))
    orders = [an_order("A")]
    plan = plan_orders(book, orders, TUESDAY, settings())
    s = plan.shipments[0]
    shifted = dataclasses.replace(s, transport_cents=s.transport_cents - 100, other_cents=s.other_cents + 100)
    problems = check_plan(book, orders, with_shipment(plan, shifted), settings())
    assert problems == [
        "shipment A states 500 cents of transport, its card at the tier reached says 600",
        "shipment A states 450 cents of handling and indirect, they are 350",
    ]
