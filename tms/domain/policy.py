"""What the customer pays for shipping, and what a delivery costs the merchant.

Merchant cost of a delivery = transport (card price + surcharges - discounts)
+ packaging (per parcel) + handling + indirect costs (returns, customer
service), each configured per warehouse.

The free-shipping policy is checked in a fixed order, the first rule that
holds wins: unconditional, promotion period, loyalty tier, eligible
categories, cart threshold. Otherwise the customer pays a flat price, or
the option's cost plus a margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from tms.domain.errors import Problem


@dataclass(frozen=True)
class WarehouseCosts:
    packaging_cents: int = 0  # per parcel
    handling_cents: int = 0  # per order
    indirect_cents: int = 0  # per order: returns, customer service

    def merchant_cost_cents(self, transport_cents: int, parcels: int) -> int:
        return transport_cents + self.packaging_cents * parcels + self.handling_cents + self.indirect_cents


@dataclass(frozen=True)
class Promotion:
    starts_on: date
    ends_on: date  # inclusive

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class ShippingPolicy:
    currency: str = "EUR"
    free_always: bool = False
    free_above_cents: int | None = None  # cart value from which shipping is free
    free_tiers: frozenset[str] = frozenset()  # loyalty tiers that ship free
    promotion: Promotion | None = None
    free_categories: frozenset[str] = frozenset()  # a cart made only of these ships free
    flat_price_cents: int | None = None  # else: what a paying customer pays...
    markup_bp: int = 0  # ...or the option's cost plus this markup
    margin_rate_bp: int = 3000  # the merchant's product margin, for the break-even cart value


class Cart(NamedTuple):
    value_cents: int
    categories: frozenset[str] = frozenset()
    customer_tier: str | None = None
    currency: str = "EUR"


class FreeShipping(NamedTuple):
    applies: bool
    rule: str | None  # "always", "promotion", "loyalty", "categories", "threshold"
    threshold_cents: int | None
    missing_cents: int | None  # how much more cart value would make it free (None without a threshold)


def free_shipping(policy: ShippingPolicy, cart: Cart, on: date) -> FreeShipping:
    threshold = policy.free_above_cents
    missing = None if threshold is None else max(0, threshold - cart.value_cents)
    rule: str | None = None
    if policy.free_always:
        rule = "always"
    elif policy.promotion is not None and policy.promotion.covers(on):
        rule = "promotion"
    elif cart.customer_tier is not None and cart.customer_tier in policy.free_tiers:
        rule = "loyalty"
    elif policy.free_categories and cart.categories and cart.categories <= policy.free_categories:
        rule = "categories"
    elif threshold is not None and cart.value_cents >= threshold:
        rule = "threshold"
    if rule is not None:
        missing = 0 if missing is not None else None
    return FreeShipping(applies=rule is not None, rule=rule, threshold_cents=threshold, missing_cents=missing)


def customer_price_cents(policy: ShippingPolicy, free: FreeShipping, cost_cents: int) -> int:
    """What the customer pays for an option that costs the merchant `cost_cents`."""
    if free.applies:
        return 0
    if policy.flat_price_cents is not None:
        return policy.flat_price_cents
    return cost_cents + (cost_cents * policy.markup_bp + 5000) // 10000


def break_even_cart_cents(cost_cents: int, margin_rate_bp: int) -> int:
    """The cart value whose margin pays for free shipping: cost / margin rate, to the nearest cent
    (10.00 at 30 % -> 33.33)."""
    if margin_rate_bp <= 0:
        raise ValueError("the margin rate must be positive")
    return (cost_cents * 20000 + margin_rate_bp) // (2 * margin_rate_bp)


# The policy's limits, whoever sets it (the API's body, the manager's page): amounts in cents,
# percentages in basis points, as `ShippingPolicy` holds them.
POLICY_CURRENCIES = ("EUR",)
POLICY_AMOUNT_MAX_CENTS = 1_000_000_000  # 10,000,000.00
POLICY_MARKUP_MAX_BP = 100_000  # 1,000 %
POLICY_LIST_MAX = 100  # loyalty tiers or categories
POLICY_NAME_MAX = 64  # a loyalty tier, a product category
POLICY_YEARS = (2000, 2100)  # a promotion's days


def _a_name(text: str) -> bool:
    """A loyalty tier or category: written as is in a list separated by commas (the manager's form)."""
    return 0 < len(text) <= POLICY_NAME_MAX and text == text.strip() and text.isprintable() and "," not in text


def policy_problems(policy: ShippingPolicy) -> list[Problem]:
    """What breaks the policy's rules, each under the name the policy document gives its field
    (`free_above`, `promotion.ends_on`, ...); empty when the policy may be set."""
    problems: list[Problem] = []
    if policy.currency not in POLICY_CURRENCIES:
        problems.append(Problem("must be EUR", field="currency"))
    for name, cents in (("free_above", policy.free_above_cents), ("flat_price", policy.flat_price_cents)):
        if cents is not None and not 0 <= cents <= POLICY_AMOUNT_MAX_CENTS:
            problems.append(Problem("must be an amount from 0 to 10000000", field=name))
    if not 0 <= policy.markup_bp <= POLICY_MARKUP_MAX_BP:
        problems.append(Problem("must be between 0 and 1000", field="markup_percent"))
    if not 1 <= policy.margin_rate_bp <= 10_000:
        problems.append(Problem("must be between 0.01 and 100", field="margin_percent"))
    if policy.promotion is not None:
        for name in ("starts_on", "ends_on"):
            if not POLICY_YEARS[0] <= getattr(policy.promotion, name).year <= POLICY_YEARS[1]:
                problems.append(
                    Problem(f"must be a day of {POLICY_YEARS[0]} to {POLICY_YEARS[1]}", field=f"promotion.{name}")
                )
        if policy.promotion.ends_on < policy.promotion.starts_on:
            problems.append(Problem("ends before it starts", field="promotion.ends_on"))
    for name, names in (("free_tiers", policy.free_tiers), ("free_categories", policy.free_categories)):
        if len(names) > POLICY_LIST_MAX:
            problems.append(Problem(f"must list at most {POLICY_LIST_MAX}", field=name))
        elif any(not _a_name(text) for text in names):
            problems.append(
                Problem(
                    f"each must be 1 to {POLICY_NAME_MAX} printable characters, no comma, no space at either end",
                    field=name,
                )
            )
    return problems
