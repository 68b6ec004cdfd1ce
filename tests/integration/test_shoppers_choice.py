"""The shopper's choice is a contract: the plan may change carrier or service only to one with the same
mode, a speed class at least as fast and at least the same features (signature, appointment, insurance).

The finding behind it: an order whose shopper chose home delivery with signature (900 EUR cart) was
planned on a service without signature, 150 times out of 164.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.documents import a_service_document
from tests.integration.test_consolidation import TUESDAY, a_book, a_card, an_order, planned, settings
from tms.domain.features import Features, SpeedClass
from tms.services.orders import with_chosen_features
from tms.services.plan_check import check_plan
from tms.services.planning import plan_orders


def a_card_with(code: str, *services: tuple[str, float, dict[str, Any]], valid_from: str = "2026-01-01"):
    """A card of home services (code, price up to 2 kg, their fields) to zone FR, J+2."""
    return a_card(
        code,
        home=0,
        relay=0,
        valid_from=valid_from,
        services=[
            a_service_document(name, "home", name=name, transit={"FR": [2, 2]}, **fields)
            for name, _, fields in services
        ],
        prices=[
            {
                "service": name,
                "zone": "FR",
                "extra_kg_price": None,
                "brackets": [{"to_kg": 2, "price": price}, {"to_kg": 30, "price": price + 4}],
            }
            for name, price, _ in services
        ],
    )


SIGNED = {"signature": True}


def test_an_order_with_signature_is_planned_only_on_a_signature_service_though_one_without_is_cheaper() -> None:
    book = a_book(
        a_card_with("acme", ("HOME", 6.0, {}), ("HOME_SIG", 7.2, SIGNED)),
        a_card_with("beta", ("HOME", 5.0, {})),
    )
    order = an_order("A", carrier="acme", service="HOME_SIG", cart_value_cents=90_000)
    plan = planned(book, [order], settings())
    assert [(s.carrier, s.service) for s in plan.shipments] == [("acme", "HOME_SIG")]
    # A shopper who chose no signature still gets the cheapest home service of any carrier.
    plain = planned(book, [an_order("B", carrier="acme", service="HOME")], settings())
    assert [(s.carrier, s.service) for s in plain.shipments] == [("beta", "HOME")]


def test_another_carrier_may_take_the_order_when_it_has_the_same_features() -> None:
    book = a_book(
        a_card_with("acme", ("HOME_SIG", 7.2, SIGNED)),
        a_card_with("beta", ("HOME", 5.0, {}), ("SIGNED", 6.5, SIGNED)),
    )
    plan = planned(book, [an_order("A", carrier="acme", service="HOME_SIG")], settings())
    assert [(s.carrier, s.service) for s in plan.shipments] == [("beta", "SIGNED")]


def test_an_express_choice_is_not_moved_to_a_slower_service_nor_insurance_to_a_smaller_cover() -> None:
    book = a_book(
        a_card_with(
            "acme",
            ("STD", 5.0, {"insurance_cover": 100}),
            ("EXP", 9.0, {"speed": "express", "insurance_cover": 100}),
            ("EXP_INS", 9.5, {"speed": "express", "insurance_cover": 1000}),
        )
    )
    express = planned(book, [an_order("A", carrier="acme", service="EXP")], settings())
    assert [s.service for s in express.shipments] == ["EXP"]
    insured = an_order("B", features=Features(insurance_cents=50_000))
    assert [s.service for s in planned(book, [insured], settings()).shipments] == ["EXP_INS"]


def test_features_the_order_states_are_kept_without_naming_a_service() -> None:
    book = a_book(a_card_with("acme", ("HOME", 6.0, {}), ("APPT", 8.0, {"appointment": True})))
    order = an_order("A", features=Features(appointment=True))
    assert [s.service for s in planned(book, [order], settings()).shipments] == ["APPT"]
    impossible = an_order("B", features=Features(signature=True))
    plan = plan_orders(book, [impossible], TUESDAY, settings())
    assert plan.shipments == () and "no service keeps the promise" in plan.unplannable["B"]


def test_a_merged_shipment_keeps_every_feature_any_of_its_orders_chose() -> None:
    book = a_book(a_card_with("acme", ("HOME", 6.0, {}), ("HOME_SIG", 6.5, SIGNED)))
    # A sorts first and chose nothing; B, to the same address, chose a signature.
    orders = [an_order("A", carrier="acme", service="HOME"), an_order("B", carrier="acme", service="HOME_SIG")]
    plan = planned(book, orders, settings())
    assert [(s.orders, s.service) for s in plan.shipments] == [(("A", "B"), "HOME_SIG")]


def test_the_features_recorded_at_checkout_hold_when_the_card_changes_before_the_night_run() -> None:
    at_checkout = a_book(a_card_with("acme", ("HOME", 6.0, {}), ("PLUS", 7.0, SIGNED)))
    order = with_chosen_features(at_checkout, an_order("A", carrier="acme", service="PLUS"))
    assert order.features == Features(SpeedClass.STANDARD, signature=True)
    # A new card, in force since before the order, drops the signature from PLUS; another carrier signs.
    tonight = a_book(
        a_card_with("acme", ("HOME", 6.0, {}), ("PLUS", 7.0, {})),
        a_card_with("beta", ("SIGNED", 9.0, SIGNED)),
    )
    plan = planned(tonight, [order], settings())
    assert [(s.carrier, s.service) for s in plan.shipments] == [("beta", "SIGNED")]


def test_an_order_naming_a_service_no_card_has_records_only_what_it_states() -> None:
    book = a_book(a_card_with("acme", ("HOME", 6.0, {})))
    order = with_chosen_features(book, an_order("A", carrier="acme", service="GONE"))
    assert order.features == Features()
    assert [s.service for s in planned(book, [order], settings()).shipments] == ["HOME"]


def test_the_checker_refuses_a_plan_that_drops_a_feature_the_shopper_chose() -> None:
    book = a_book(a_card_with("acme", ("HOME", 6.0, {}), ("HOME_SIG", 7.2, SIGNED | {"speed": "express"})))
    orders = [an_order("A", carrier="acme", service="HOME_SIG")]
    plan = planned(book, orders, settings())
    s = plan.shipments[0]
    # The same shipment on the service without signature, its cost restated to match that service.
    dropped = dataclasses.replace(s, service="HOME", cost_cents=s.cost_cents - 120, transport_cents=600)
    bad = dataclasses.replace(plan, shipments=(dropped,), cost_cents=dropped.cost_cents)
    problems = check_plan(book, orders, bad, settings())
    assert "order A: acme HOME has no signature, which its shopper chose" in problems
    assert "order A: acme HOME is standard, slower than express, which its shopper chose" in problems
    recorded = [dataclasses.replace(orders[0], service=None, features=Features(insurance_cents=100))]
    assert any("covers 0 cents, less than 100" in p for p in check_plan(book, recorded, plan, settings()))
