"""The benchmarks measure what they say: the parts the wsgi benchmark times exist, and the month
benchmark's orders are what it claims (repeat consignees the consignee rule merges, orders sold as quoted)."""

from __future__ import annotations

import json
import random
from dataclasses import astuple

from bench import month
from bench.wsgi import QUOTE_PARTS
from carriers.readers import read_json
from tests.conftest import ROOT
from tms.api import auth, quotes
from tms.bootstrap import load_warehouses
from tms.domain.consignees import address_identity
from tms.domain.policy import ShippingPolicy
from tms.services.quoting import QuoteBook


def month_book() -> QuoteBook:
    cards = [read_json(json.loads(p.read_text())) for p in sorted((ROOT / "config" / "demo").glob("*.json"))]
    return QuoteBook.of_cards(cards, ShippingPolicy(), load_warehouses(ROOT / "config" / "warehouses.toml"))


def test_every_part_the_wsgi_benchmark_times_exists() -> None:
    assert [name for name in QUOTE_PARTS if not callable(getattr(quotes, name, None))] == []
    assert callable(getattr(auth, "_authenticated_key", None))


def test_the_month_benchmark_writes_a_repeat_consignee_as_the_consignee_rule_still_merges() -> None:
    """The month's repeat consignees are the same people written differently: the consignee rule
    (PRODUCT.md) must see each variant as its original, or the benchmark measures missed merges."""
    rng = random.Random(5)
    people = month.customers(rng, 300)
    for person in people:
        variant = month.written_differently(person, rng)
        assert variant != person or person.line1.isupper()
        assert address_identity(*astuple(variant)) == address_identity(*astuple(person)), (person, variant)


def test_the_month_benchmark_sells_each_order_as_the_checkout_quotes_it() -> None:
    """An order is registered with the carrier, service and latest date the cheapest option of its
    mode showed at checkout."""
    book = month_book()
    orders = month.month_of_orders(2, seed=3)[:20]
    rng = random.Random(1)
    for order in orders:
        sold = month.shoppers_choice(book, order, rng)
        assert sold is not None
        assert (sold.carrier, sold.service) != (None, None)
        assert sold.deliver_by is not None and sold.deliver_by > order.ordered_at.date()
        assert (sold.pickup_point_id is None) == (sold.mode == "home")
