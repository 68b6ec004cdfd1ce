"""The nightly plan dates an option with its lane's observed p90 where the lane has enough
deliveries, with the card's transit otherwise; the independent checker holds it to the same rule.

Two home services to Lyon, both 2 business days on their cards, picked up Monday to Friday from a
Paris warehouse: acme at 6.00, swift at 7.00. The order is placed on Monday 2 March 2026 at 10:00
and promised by Wednesday 4 March: two business days after a Monday pickup.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from carriers.readers import read_json
from solvers.boxing import BoxType
from tms.domain.delivery import Warehouse
from tms.domain.orders import Address, Item, Order
from tms.domain.policy import ShippingPolicy, WarehouseCosts
from tms.domain.tracking import DeliveredRecord, InTransitRecord
from tms.services.plan_check import check_plan
from tms.services.planning import PlanSettings, plan_orders
from tms.services.quoting import QuoteBook, WarehouseSetup

SETTINGS = PlanSettings(box_types=(BoxType("M", 350, 250, 180, 12_000, 55),), holding=False)
MONDAY = date(2026, 3, 2)
WAREHOUSE = WarehouseSetup(Warehouse("PAR1"), WarehouseCosts(50, 150, 200))


def a_card(code: str, price: float, transit: list[int]) -> dict[str, Any]:
    return {
        "carrier": {"code": code, "name": code.title()},
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "fuel_percent": 0,
        "notes": "",
        "services": [
            {
                "code": "HOME",
                "name": "Home",
                "mode": "home",
                "speed": "standard",
                "pickup_cutoff": "17:00",
                "pickup_days": "Mon-Fri",
                "delivery_days": "Mon-Fri",
                "max_weight_kg": 30,
                "max_length_cm": None,
                "max_length_girth_cm": None,
                "max_dimensions_sum_cm": None,
                "volumetric_divisor": None,
                "transit": {"FR": transit},
            }
        ],
        "zones": [{"code": "FR", "name": "France", "entries": [{"country": "FR", "postcodes": ""}]}],
        "prices": [
            {"service": "HOME", "zone": "FR", "brackets": [{"to_kg": 10, "price": price}], "extra_kg_price": None}
        ],
        "surcharges": [],
        "tiers": [],
    }


def history(carrier: str, days_after_monday: int, parcels: int = 30) -> list[DeliveredRecord]:
    """Parcels to Lyon picked up on Monday 16 February and delivered `days_after_monday` days later."""
    picked = datetime(2026, 2, 16, 17, 0, tzinfo=UTC)
    delivered = picked + timedelta(days=days_after_monday)
    return [
        DeliveredRecord(n, f"{carrier}{n}", carrier, "HOME", "FR", "69003", picked.date(), picked, delivered)
        for n in range(parcels)
    ]


def an_order() -> Order:
    return Order(
        order_ref="O-1",
        warehouse="PAR1",
        ordered_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        address=Address("Léa Martin", "12 rue Neuve", "69003", "Lyon", "FR"),
        mode="home",
        items=(Item("SKU", 1_500, 200, 150, 80),),
        cart_value_cents=5_000,
        deliver_by=date(2026, 3, 4),
    )


def planned(cards: list[dict[str, Any]], deliveries: list[DeliveredRecord]) -> tuple[str | None, date | None]:
    """(carrier, latest) of the order's shipment, or (None, None) when unplannable; the checker agrees."""
    book = QuoteBook.of_cards(
        [read_json(c) for c in cards], ShippingPolicy(), [WAREHOUSE], deliveries=deliveries, today=MONDAY
    )
    order = an_order()
    plan = plan_orders(book, [order], MONDAY, SETTINGS, run_at=time(15, 0))  # the cut-off run sees it
    assert check_plan(book, [order], plan, SETTINGS) == []
    if not plan.shipments:
        return None, None
    (shipment,) = plan.shipments
    return shipment.carrier, shipment.latest


def test_without_deliveries_the_plan_takes_the_cheapest_service_its_card_says_is_in_time() -> None:
    cards = [a_card("acme", 6.00, [2, 2]), a_card("swift", 7.00, [2, 2])]
    assert planned(cards, []) == ("acme", date(2026, 3, 4))


def test_a_lane_whose_p90_breaks_the_promise_is_left_for_one_that_keeps_it() -> None:
    cards = [a_card("acme", 6.00, [2, 2]), a_card("swift", 7.00, [2, 2])]
    # acme's parcels took 4 business days (Mon -> Fri), swift's 2 (Mon -> Wed)
    assert planned(cards, history("acme", 4) + history("swift", 2)) == ("swift", date(2026, 3, 4))


def test_a_lane_with_too_few_deliveries_keeps_its_cards_transit() -> None:
    cards = [a_card("acme", 6.00, [2, 2]), a_card("swift", 7.00, [2, 2])]
    assert planned(cards, history("acme", 4, parcels=29)) == ("acme", date(2026, 3, 4))


def test_a_lane_faster_than_its_card_may_keep_a_promise_the_card_would_not() -> None:
    cards = [a_card("acme", 6.00, [3, 3])]  # the card says Thursday, its parcels arrive next day
    assert planned(cards, []) == (None, None)
    assert planned(cards, history("acme", 1)) == ("acme", date(2026, 3, 3))


def test_the_checker_refuses_a_plan_dated_with_the_card_where_the_lane_is_observed_slower() -> None:
    cards = [read_json(c) for c in (a_card("acme", 6.00, [2, 2]), a_card("swift", 7.00, [2, 2]))]
    blind = QuoteBook.of_cards(cards, ShippingPolicy(), [WAREHOUSE], today=MONDAY)
    learned = QuoteBook.of_cards(cards, ShippingPolicy(), [WAREHOUSE], deliveries=history("acme", 4), today=MONDAY)
    order = an_order()
    plan = plan_orders(blind, [order], MONDAY, SETTINGS, run_at=time(15, 0))
    assert [s.carrier for s in plan.shipments] == ["acme"]
    assert check_plan(learned, [order], plan, SETTINGS) == [
        "order O-1 may arrive 2026-03-06, after its promise 2026-03-04"
    ]


def test_the_book_learns_from_the_parcels_in_transit_that_they_take_longer_than_they_have_been_on_their_way() -> None:
    # 30 acme parcels delivered in 1 day two weeks ago; 40 picked up on Thursday 26 February still on
    # their way as Monday 2 March starts: more than 1 business day (Friday), none delivered. Those
    # picked up on the Monday itself say nothing yet, nor those of a service no card has.
    cards = [read_json(a_card("acme", 6.00, [1, 1]))]
    thursday = datetime(2026, 2, 26, 17, 0, tzinfo=UTC)
    in_transit = [InTransitRecord(100 + n, f"L{n}", "acme", "HOME", "FR", "69003", thursday) for n in range(40)]
    in_transit += [InTransitRecord(200, "M1", "acme", "HOME", "FR", "69003", datetime(2026, 3, 2, 8, 0, tzinfo=UTC))]
    in_transit += [InTransitRecord(300, "X1", "acme", "EXPRESS", "FR", "69003", thursday)]
    lane = ("acme", "HOME", "FR")
    blind = QuoteBook.of_cards(cards, ShippingPolicy(), [WAREHOUSE], deliveries=history("acme", 1), today=MONDAY)
    assert blind.learned[lane].overall.cdf == (0.0, 1.0)
    book = QuoteBook.of_cards(
        cards, ShippingPolicy(), [WAREHOUSE], deliveries=history("acme", 1), today=MONDAY, in_transit=in_transit
    )
    # a slip seen before any late parcel arrives: figured from the recent parcels, none within 1 day
    assert book.learned[lane].overall.cdf == (0.0, 0.0, 1.0)
