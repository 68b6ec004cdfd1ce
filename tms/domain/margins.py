"""What each shipped order's shipping cost the merchant against what its shopper paid for it.

A shipment's cost (transport, packaging, handling) is shared among its orders in proportion to
their weight, the largest remainders taking the odd cents, so that the shares add up to the
shipment's cost exactly; weightless orders share equally. The margin of an order is what its
shopper paid for shipping less its share; an order that does not say what its shopper paid
(`shipping_paid` left out at registration) has no margin and counts apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ShippedOrder:
    """One order of a shipment, with what the whole shipment cost."""

    shipment_id: int
    ships_on: date
    shipment_cost_cents: int
    order_ref: str
    weight_g: int
    cart_value_cents: int
    shipping_paid_cents: int | None  # None: the shop did not say


@dataclass(frozen=True)
class OrderShippingCost:
    """A shipped order with its share of its shipment's cost."""

    order_ref: str
    ships_on: date
    cart_value_cents: int
    shipping_paid_cents: int | None
    cost_cents: int

    @property
    def margin_cents(self) -> int | None:
        return None if self.shipping_paid_cents is None else self.shipping_paid_cents - self.cost_cents

    @property
    def shipped_free(self) -> bool:
        return self.shipping_paid_cents == 0


def cost_shares(cost_cents: int, weights_g: Sequence[int]) -> list[int]:
    """`cost_cents` split in proportion to the weights, in whole cents adding up to it exactly."""
    if not weights_g:
        return []
    total = sum(weights_g)
    weights = weights_g if total > 0 else [1] * len(weights_g)
    total = sum(weights)
    exact = [cost_cents * w for w in weights]
    shares = [e // total for e in exact]
    left = cost_cents - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] % total), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


def order_costs(orders: Iterable[ShippedOrder]) -> list[OrderShippingCost]:
    """Each order with its share of its shipment's cost; a shipment's orders must all be given."""
    by_shipment: dict[int, list[ShippedOrder]] = {}
    for order in orders:
        by_shipment.setdefault(order.shipment_id, []).append(order)
    found = []
    for members in by_shipment.values():
        members.sort(key=lambda o: o.order_ref)
        shares = cost_shares(members[0].shipment_cost_cents, [o.weight_g for o in members])
        found += [
            OrderShippingCost(o.order_ref, o.ships_on, o.cart_value_cents, o.shipping_paid_cents, share)
            for o, share in zip(members, shares, strict=True)
        ]
    return sorted(found, key=lambda o: (o.ships_on, o.order_ref))


@dataclass(frozen=True)
class FreeShippingAt:
    """What a free-shipping threshold would have meant on past orders."""

    threshold_cents: int
    orders: int  # of the period's shipped orders
    free_orders: int  # whose cart reached the threshold
    cost_cents: int  # what shipping those orders cost the merchant
    revenue_cents: int  # their carts
    paid_cents: int  # what their shoppers did pay for shipping, given up
    not_paid_for: int  # free orders whose product margin does not cover their shipping

    @property
    def free_share(self) -> float | None:
        return self.free_orders / self.orders if self.orders else None

    @property
    def cost_of_revenue(self) -> float | None:
        return self.cost_cents / self.revenue_cents if self.revenue_cents else None


def free_shipping_at(
    orders: Sequence[OrderShippingCost], threshold_cents: int, *, margin_rate_bp: int
) -> FreeShippingAt:
    """Orders whose cart reached `threshold_cents` ship free: how many, what their shipping cost, and
    how many of them earn less product margin (cart x margin rate) than their shipping cost."""
    free = [o for o in orders if o.cart_value_cents >= threshold_cents]
    return FreeShippingAt(
        threshold_cents=threshold_cents,
        orders=len(orders),
        free_orders=len(free),
        cost_cents=sum(o.cost_cents for o in free),
        revenue_cents=sum(o.cart_value_cents for o in free),
        paid_cents=sum(o.shipping_paid_cents or 0 for o in free),
        not_paid_for=sum(1 for o in free if o.cart_value_cents * margin_rate_bp < o.cost_cents * 10_000),
    )
