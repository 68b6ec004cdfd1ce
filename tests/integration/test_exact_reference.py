"""The plan against an exact reference written from the rules (`bench.reference_plan`), on small random
instances: up to 12 orders, 3 carriers, 3 box types, holding on and off, repeat consignees.

The reference is never dearer than the plan and never leaves out more orders; both pass the
independent checker. The distribution of (plan - exact) / exact is printed (pytest -s) and reported by
`python -m bench.exact`.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from bench.exact import an_instance, compare, distribution
from bench.reference_plan import as_plan, exact_plan, set_partitions
from carriers.readers import read_json
from solvers.boxing import BoxType
from tests.documents import a_service_document
from tms.bootstrap import load_warehouses
from tms.domain.orders import Address, Item, Order
from tms.domain.plans import CarrierLimits
from tms.domain.policy import ShippingPolicy
from tms.services.plan_check import check_plan
from tms.services.planning import PlanSettings
from tms.services.quoting import QuoteBook
from tms.settings import load_settings

TUESDAY = date(2026, 3, 3)
BOXES = (
    BoxType("S", 250, 180, 100, 5_000, 35),
    BoxType("M", 350, 250, 180, 12_000, 55),
    BoxType("L", 500, 400, 300, 25_000, 95),
)


def test_the_partitions_of_n_items_are_the_bell_numbers_each_covering_every_item_once() -> None:
    assert [len(set_partitions(n)) for n in range(7)] == [1, 1, 2, 5, 15, 52, 203]
    for partition in set_partitions(4):
        assert sum(partition) == 0b1111 and all(a & b == 0 for a in partition for b in partition if a is not b)


def a_book(home: float) -> QuoteBook:
    card = {
        "carrier": {"code": "acme", "name": "Acme"},
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "fuel_percent": 0,
        "notes": "",
        "services": [a_service_document("HOME", "home", transit={"FR": [2, 2]})],
        "zones": [{"code": "FR", "name": "France", "entries": [{"country": "FR", "postcodes": ""}]}],
        "prices": [
            {
                "service": "HOME",
                "zone": "FR",
                "extra_kg_price": None,
                "brackets": [{"to_kg": 2, "price": home}, {"to_kg": 30, "price": home + 4}],
            }
        ],
        "surcharges": [],
        "tiers": [{"min_parcels": 100, "discount_percent": 10}],
    }
    settings = load_settings()
    warehouses = load_warehouses(settings.path(settings.warehouses_file))
    return QuoteBook.of_cards([read_json(card)], ShippingPolicy(), warehouses)


def an_order(ref: str, line1: str = "12 rue Neuve") -> Order:
    return Order(
        order_ref=ref,
        warehouse="PAR1",
        ordered_at=datetime(2026, 3, 2, 15, tzinfo=UTC),
        address=Address("Léa Martin", line1, "69003", "Lyon", "FR"),
        mode="home",
        items=(Item(f"SKU-{ref}", 1000, 200, 150, 80),),
        cart_value_cents=5000,
        deliver_by=date(2026, 3, 10),
    )


def test_the_reference_merges_two_orders_to_one_consignee_into_one_box_and_reaches_the_tier_it_pays_for() -> None:
    book = a_book(6.0)
    orders = [an_order("A"), an_order("B"), an_order("C", line1="3 place Bellecour")]
    exact = exact_plan(book, orders, TUESDAY, box_types=BOXES, holding=False, month_parcels={"acme": 98})
    # A+B: 2 kg in box M (two 2.4 l items need more than S's 3.8 l); C alone in S. 98 + 2 parcels reach the
    # 10 % tier: 5.40 per parcel. Handling 1.50 and indirect 2.00 per order.
    assert sorted(s.orders for s in exact.shipments) == [("A", "B"), ("C",)]
    assert exact.objective_cents == (540 + 55) + (540 + 35) + 3 * 350
    plan = as_plan(exact, TUESDAY, BOXES, 10)
    assert check_plan(book, orders, plan, PlanSettings(box_types=BOXES, holding=False), {"acme": 98}) == []


def test_a_full_carrier_leaves_out_as_few_orders_as_it_can() -> None:
    book = a_book(6.0)
    orders = [an_order("A"), an_order("B", line1="2 rue"), an_order("C", line1="3 rue")]
    exact = exact_plan(
        book, orders, TUESDAY, box_types=BOXES, holding=False, carrier_limits={"acme": CarrierLimits(parcels_per_day=2)}
    )
    assert len(exact.dropped) == 1 and len(exact.shipments) == 2


INSTANCES = 200


def test_on_random_small_instances_the_exact_plan_is_never_dearer_and_both_plans_keep_the_rules() -> None:
    rng = random.Random(20260303)
    gaps = []
    for k in range(INSTANCES):
        instance = an_instance(rng)
        outcome = compare(instance)
        assert outcome.problems == [], f"instance {k}: the checker refuses the plan"
        assert outcome.exact_problems == [], f"instance {k}: the checker refuses the reference plan"
        assert outcome.exact.optimal, f"instance {k}: the reference is not proven optimal"
        # Never dearer: it leaves out no more orders and, leaving out as many, costs no more.
        assert outcome.gap >= 0, f"instance {k}: the reference is dearer than the plan ({outcome.gap:.4%})"
        gaps.append(outcome.gap)
    figures = distribution(gaps)
    print("\nplan against the exact reference:", figures)
    assert figures["exact dearer (must be 0)"] == 0


def test_the_plan_is_within_1_percent_of_the_exact_plan_on_at_least_95_percent_of_instances() -> None:
    """Every split of a consignee's orders tried, and a merged shipment the capacities leave out whole
    split and solved again: 98.5 % of these 200 instances within 1 % (the greedy merge alone: 92.5 %).
    The rest: merges decided before the capacities and tiers are known (python -m bench.exact)."""
    rng = random.Random(7)
    gaps = [compare(an_instance(rng)).gap for _ in range(INSTANCES)]
    found = distribution(gaps)
    assert found["within 1.0%"] >= 0.95, found
