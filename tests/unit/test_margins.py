"""An order's share of its shipment's cost, and what a free-shipping threshold would have meant."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from tms.domain.margins import ShippedOrder, cost_shares, free_shipping_at, order_costs

DAY = date(2026, 3, 3)


def shipped(ref: str, shipment: int = 1, *, cost: int = 1000, weight: int = 1000, cart: int = 5000, paid=None):
    return ShippedOrder(shipment, DAY, cost, ref, weight, cart, paid)


def test_a_shipments_cost_is_shared_by_weight_and_the_odd_cents_go_to_the_largest_remainders() -> None:
    assert cost_shares(1000, [1000, 3000]) == [250, 750]
    assert cost_shares(1000, [1, 1, 1]) == [334, 333, 333]  # 333.33 each: the first takes the odd cent
    assert cost_shares(100, [1, 2]) == [33, 67]  # 33.33 and 66.67: the larger remainder takes it
    assert cost_shares(901, [0, 0]) == [451, 450]  # weightless orders share equally
    assert cost_shares(500, []) == []


@given(
    st.integers(min_value=0, max_value=10_000_000),
    st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=12),
)
def test_the_shares_add_up_to_the_cost_and_each_is_within_a_cent_of_its_exact_part(cost: int, weights) -> None:
    shares = cost_shares(cost, weights)
    assert sum(shares) == cost
    total = sum(weights) or len(weights)
    for share, weight in zip(shares, weights if sum(weights) else [1] * len(weights), strict=True):
        exact = Fraction(cost * weight, total)
        assert abs(share - exact) < 1


def test_each_order_gets_its_share_of_its_own_shipment_only() -> None:
    costs = order_costs(
        [
            shipped("B", 2, cost=700, weight=500, paid=0),
            shipped("A1", 1, cost=1000, weight=1000, paid=490),
            shipped("A2", 1, cost=1000, weight=3000, paid=0),
        ]
    )
    assert [(c.order_ref, c.cost_cents, c.margin_cents, c.shipped_free) for c in costs] == [
        ("A1", 250, 240, False),
        ("A2", 750, -750, True),
        ("B", 700, -700, True),
    ]
    assert order_costs([shipped("C", paid=None)])[0].margin_cents is None


def test_a_threshold_frees_the_carts_that_reach_it_and_counts_those_whose_margin_does_not_pay_for_it() -> None:
    costs = order_costs(
        [
            shipped("small", 1, cost=600, cart=3000, paid=490),
            shipped("edge", 2, cost=600, cart=4900, paid=490),  # 49.00 reaches a 49 EUR threshold
            shipped("large", 3, cost=900, cart=12000, paid=0),
        ]
    )
    at_49 = free_shipping_at(costs, 4900, margin_rate_bp=1000)  # 10 %: 4.90 of margin on the 49 EUR cart
    assert (at_49.orders, at_49.free_orders, at_49.cost_cents, at_49.revenue_cents, at_49.paid_cents) == (
        3,
        2,
        1500,
        16900,
        490,
    )
    assert at_49.not_paid_for == 1  # the 49 EUR cart earns 4.90 against 6.00 of shipping; 120 EUR earns 12.00
    assert at_49.free_share == 2 / 3 and at_49.cost_of_revenue == 1500 / 16900
    nobody = free_shipping_at(costs, 20000, margin_rate_bp=1000)
    assert (nobody.free_orders, nobody.cost_cents, nobody.cost_of_revenue) == (0, 0, None)
