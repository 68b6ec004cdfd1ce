"""Packing belongs to the service: only boxes the service accepts, costed as boxes plus postage, chosen
together with the service; an order is unplannable only when no box and service can carry it.

Plans for Tuesday 3 March 2026 from warehouse PAR1 (config/warehouses.toml), orders to Lyon.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from carriers.pricing import compile_card
from carriers.readers import read_json
from solvers.boxing import BoxType
from tests.documents import a_service_document
from tms.bootstrap import load_plan_settings, load_warehouses
from tms.domain.orders import Address, Item, Order
from tms.domain.plans import Plan
from tms.domain.policy import ShippingPolicy
from tms.services.packing import (
    EXACT_UP_TO_ITEMS,
    CheapestPacking,
    UncarriableBoxes,
    cheapest_by_count,
    refuse_uncarriable_boxes,
    uncarriable_boxes,
)
from tms.services.plan_check import check_plan
from tms.services.planning import NO_CAPACITY, PlanSettings, plan_orders
from tms.services.quoting import QuoteBook
from tms.settings import load_settings

TUESDAY = date(2026, 3, 3)
DEMO = Path(__file__).resolve().parents[2] / "config" / "demo"
# The box types before this rule: XL (80 x 60 x 40 cm) is past 150 cm of L + W + H and, at 5000 cm3/kg,
# weighs 38.4 kg: past the last bracket of the express carriers.
OLD_BOXES = (
    BoxType("S", 250, 180, 100, 5_000, 35),
    BoxType("M", 350, 250, 180, 12_000, 55),
    BoxType("L", 500, 400, 300, 25_000, 95),
    BoxType("XL", 800, 600, 400, 30_000, 180),
)


def demo_card(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DEMO / f"{name}.json").read_text())
    return document


def a_flat_card(per_parcel: float, **service: Any) -> dict[str, Any]:
    """One home service at one price per parcel up to 30 kg."""
    return {
        "carrier": {"code": "flat", "name": "Flat"},
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "fuel_percent": 0,
        "notes": "",
        "services": [a_service_document("HOME", "home", transit={"FR": [2, 2]}, **service)],
        "zones": [{"code": "FR", "name": "France", "entries": [{"country": "FR", "postcodes": ""}]}],
        "prices": [
            {"service": "HOME", "zone": "FR", "extra_kg_price": None, "brackets": [{"to_kg": 30, "price": per_parcel}]}
        ],
        "surcharges": [],
        "tiers": [],
    }


def a_book(*documents: dict[str, Any]) -> QuoteBook:
    settings = load_settings()
    warehouses = load_warehouses(settings.path(settings.warehouses_file))
    return QuoteBook.of_cards([read_json(d) for d in documents], ShippingPolicy(), warehouses)


def an_order(ref: str, *items: Item) -> Order:
    return Order(
        order_ref=ref,
        warehouse="PAR1",
        ordered_at=datetime(2026, 3, 2, 15, tzinfo=UTC),
        address=Address("Léa Martin", "12 rue Neuve", "69003", "Lyon", "FR"),
        mode="home",
        items=items,
        cart_value_cents=5000,
        deliver_by=date(2026, 3, 10),
    )


def settings(box_types: tuple[BoxType, ...]) -> PlanSettings:
    return PlanSettings(box_types=box_types, holding=False, time_limit_s=10, workers=1)


def planned(book: QuoteBook, orders: list[Order], plan_settings: PlanSettings) -> Plan:
    plan = plan_orders(book, orders, TUESDAY, plan_settings)
    assert check_plan(book, orders, plan, plan_settings) == []
    return plan


def test_a_long_item_plans_on_colissimo_in_a_box_colissimo_accepts_with_the_shipped_box_types() -> None:
    book = a_book(demo_card("colissimo"))
    plan_settings = load_plan_settings(load_settings())
    order = an_order("ROD", Item("ROD", 1_000, 510, 200, 100))

    plan = planned(book, [order], plan_settings)

    assert plan.unplannable == {}
    (shipment,) = plan.shipments
    assert (shipment.carrier, shipment.service, shipment.parcels) == ("colissimo", "HOME", 1)
    box = next(b for b in plan_settings.box_types if b.code == shipment.boxes[0][0])
    assert box.inner_length_mm + box.inner_width_mm + box.inner_height_mm <= 1500  # Colissimo's L + W + H
    assert shipment.transport_cents == 1094  # 9.70 for 1 kg (no volumetric weight at Colissimo) + 12.75 % fuel


def test_two_heavy_items_ship_as_two_large_boxes_rather_than_one_box_no_service_takes() -> None:
    book = a_book(demo_card("colissimo"))
    order = an_order("PAIR", Item("CASE", 2_200, 445, 350, 190, quantity=2))

    plan = planned(book, [order], settings(OLD_BOXES))

    assert plan.unplannable == {}
    (shipment,) = plan.shipments
    assert [box for box, _ in shipment.boxes] == ["L", "L"]
    assert shipment.transport_cents == 2 * 1494  # 2.2 kg each: the 3 kg bracket, 13.25 + 12.75 % fuel
    assert shipment.packaging_cents == 2 * 95


def test_one_large_box_beats_a_cheaper_pair_of_boxes_when_the_postage_of_a_second_parcel_says_so() -> None:
    book = a_book(a_flat_card(5.90))
    # Apart they fit M and S (0.90); together only L (0.95); each parcel costs 5.90.
    order = an_order("TWO", Item("BIG", 1_000, 330, 240, 170), Item("SMALL", 1_000, 200, 150, 80))

    plan = planned(book, [order], settings(OLD_BOXES))

    (shipment,) = plan.shipments
    assert [box for box, _ in shipment.boxes] == ["L"]
    assert (shipment.parcels, shipment.transport_cents, shipment.packaging_cents) == (1, 590, 95)


def test_two_parcels_beat_one_when_the_heavier_bracket_costs_more_than_a_second_parcel() -> None:
    card = a_flat_card(5.0)
    card["prices"][0]["brackets"] = [{"to_kg": 2, "price": 4.0}, {"to_kg": 30, "price": 12.0}]
    book = a_book(card)
    order = an_order("TWO", Item("A", 1_500, 200, 150, 80), Item("B", 1_500, 200, 150, 80))

    plan = planned(book, [order], settings(OLD_BOXES))

    (shipment,) = plan.shipments
    assert [box for box, _ in shipment.boxes] == ["S", "S"]  # 2 x (4.00 + 0.35) < 12.00 + 0.55
    assert shipment.cost_cents - shipment.other_cents == 2 * (400 + 35)


def test_a_service_is_offered_only_the_boxes_it_accepts_and_the_plan_chooses_service_and_packing_together() -> None:
    # Locker: 60 cm longest side; home: anything. The long item needs XL on both; the locker-sized M
    # box makes the cheap service possible for the small one.
    limited = a_flat_card(3.0, max_length_cm=60, max_dimensions_sum_cm=120)
    limited["carrier"] = {"code": "small", "name": "Small"}
    book = a_book(limited, a_flat_card(6.0))
    small = an_order("SMALL", Item("BOOK", 500, 300, 200, 50))
    long = dataclasses.replace(
        an_order("LONG", Item("ROD", 500, 700, 100, 100)), address=Address("Léa Martin", "3 rue", "69003", "Lyon", "FR")
    )

    plan = planned(book, [small, long], settings(OLD_BOXES))

    carriers = {s.orders[0]: (s.carrier, [b for b, _ in s.boxes]) for s in plan.shipments}
    assert carriers == {"SMALL": ("small", ["M"]), "LONG": ("flat", ["XL"])}


def test_an_order_whose_boxes_no_service_accepts_says_so_and_does_not_wait_for_capacity() -> None:
    book = a_book(demo_card("colissimo"))
    order = an_order("ROD", Item("ROD", 1_000, 510, 200, 100))  # only XL takes it: Colissimo does not

    plan = planned(book, [order], settings(OLD_BOXES))

    assert plan.unplannable == {"ROD": "no service that keeps the promise accepts boxes that hold the items"}
    assert plan.unplannable["ROD"] != NO_CAPACITY


def test_an_item_no_box_takes_is_reported_as_such() -> None:
    book = a_book(demo_card("colissimo"))
    order = an_order("SOFA", Item("SOFA", 20_000, 2_000, 900, 800))
    plan = planned(book, [order], settings(OLD_BOXES))
    assert plan.unplannable["SOFA"].startswith("no box fits: no box type takes item(s) SOFA/0/0")


# --- the box types at start-up ------------------------------------------------------------------


def demo_cards() -> list[tuple[str, Any]]:
    cards = [read_json(json.loads(path.read_text())) for path in sorted(DEMO.glob("*.json"))]
    return [(card.carrier_code, compile_card(card)) for card in cards]


def test_the_shipped_box_types_are_all_carried_by_the_demo_carriers() -> None:
    assert uncarriable_boxes(load_plan_settings(load_settings()).box_types, demo_cards()) == []


def test_a_box_type_no_service_carries_is_refused_naming_the_box_and_why() -> None:
    with pytest.raises(UncarriableBoxes) as refused:
        refuse_uncarriable_boxes(OLD_BOXES, demo_cards())
    message = str(refused.value)
    assert "box type XL (800 x 600 x 400 mm) is carried by no service" in message
    assert "colissimo HOME: oversize (L + W + H 1800 mm > max 1500 mm)" in message
    assert "chronopost C13: weight_not_priced (volumetric 38400 g is past the last bracket, 30000 g)" in message
    assert "box type L" not in message


def test_a_large_group_is_packed_three_ways_on_the_accepted_boxes_and_the_cheapest_with_postage_is_kept() -> None:
    # 8 items (past the exact search) of 2.4 l: a cheap M holds five (15.75 l x 0.85), L all of them.
    shapes = [(500, 200, 150, 80)] * (EXACT_UP_TO_ITEMS + 2)
    boxes = (BoxType("M", 350, 250, 180, 12_000, 10), BoxType("L", 500, 400, 300, 25_000, 95))

    free = cheapest_by_count(shapes, boxes, lambda box, weight_g: 0, 0.85)
    per_parcel = cheapest_by_count(shapes, boxes, lambda box, weight_g: 590, 0.85)

    assert min(free.values(), key=lambda p: p.cost_cents) == free[2] and free[2].cost_cents == 20  # two M
    assert per_parcel[1] == CheapestPacking(95 + 590, (("L", tuple(range(8))),))  # fewest parcels
    assert min(per_parcel.values(), key=lambda p: p.cost_cents) == per_parcel[1]


def test_a_large_order_plans_on_boxes_its_service_accepts() -> None:
    book = a_book(demo_card("colissimo"))
    order = an_order(
        "BULK", Item("CASE", 2_200, 445, 350, 190, quantity=4), Item("BOOK", 400, 300, 200, 50, quantity=4)
    )

    plan = planned(book, [order], settings(OLD_BOXES))

    (shipment,) = plan.shipments
    assert "XL" not in {box for box, _ in shipment.boxes}  # past Colissimo's 150 cm


def test_a_box_is_filled_only_up_to_what_its_service_weighs_and_prices() -> None:
    book = a_book(demo_card("colissimo"))  # Point Retrait: up to 5 kg
    order = dataclasses.replace(an_order("PAIR", Item("JAR", 3_000, 200, 150, 80, quantity=2)), mode="pickup_point")

    plan = planned(book, [order], settings(OLD_BOXES))

    (shipment,) = plan.shipments
    assert (shipment.service, [box for box, _ in shipment.boxes]) == ("PICKUP", ["S", "S"])  # not 6 kg in one M


def test_the_checker_refuses_a_box_the_planned_service_does_not_accept() -> None:
    book = a_book(demo_card("colissimo"))
    order = an_order("ROD", Item("ROD", 1_000, 510, 200, 100))
    plan_settings = settings((*OLD_BOXES, BoxType("LONG", 600, 250, 150, 10_000, 75)))
    plan = planned(book, [order], plan_settings)
    (shipment,) = plan.shipments
    assert shipment.boxes == (("LONG", ("ROD/0/0",)),)

    in_xl = dataclasses.replace(
        shipment, boxes=(("XL", ("ROD/0/0",)),), packaging_cents=180, cost_cents=shipment.cost_cents + 105
    )
    problems = check_plan(book, [order], dataclasses.replace(plan, shipments=(in_xl,)), plan_settings)

    assert any("does not serve it (oversize: parcel 1: L + W + H 1800 mm > max 1500 mm)" in p for p in problems)
