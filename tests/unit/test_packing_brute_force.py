"""The plan's service and packing against brute force on small random cases: 1-3 items, 2-3 box types,
2 services with random limits, divisors and brackets (300 seeds: about half plannable, 90 of those
with several items). Without capacities, the plan's transport + packaging is the least over every
service and every way of putting the items into boxes, priced by the pricing engine; and an order is
unplannable exactly when no such way exists."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from carriers.pricing import NotServed, price_shipment
from carriers.readers import read_json
from solvers.boxing import BoxType
from tests.documents import a_service_document
from tests.unit.test_packing_per_service import TUESDAY, a_book, an_order, settings
from tms.domain.orders import Item
from tms.domain.parcels import Parcel
from tms.services.plan_check import check_plan
from tms.services.planning import NO_CAPACITY, plan_orders

FILL = 0.85


def a_random_card(rng: random.Random) -> dict[str, Any]:
    services, prices = [], []
    for code in ("ONE", "TWO"):
        services.append(
            a_service_document(
                code,
                "home",
                transit={"FR": [2, 2]},
                max_weight_kg=rng.choice([5, 10, 30]),
                max_length_cm=rng.choice([None, 40, 60]),
                max_dimensions_sum_cm=rng.choice([None, 90, 120]),
                max_length_girth_cm=rng.choice([None, 150]),
                volumetric_divisor=rng.choice([None, 4000, 5000]),
            )
        )
        bounds = sorted(rng.sample([0.5, 1, 2, 3, 5, 10], 3))
        price = 0.0
        brackets = []
        for bound in bounds:
            price += rng.randint(100, 800) / 100
            brackets.append({"to_kg": bound, "price": round(price, 2)})
        prices.append({"service": code, "zone": "FR", "extra_kg_price": rng.choice([None, 1.0]), "brackets": brackets})
    return {
        "carrier": {"code": "rand", "name": "Random"},
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "fuel_percent": rng.choice([0, 10]),
        "notes": "",
        "services": services,
        "zones": [{"code": "FR", "name": "France", "entries": [{"country": "FR", "postcodes": ""}]}],
        "prices": prices,
        "surcharges": [],
        "tiers": [],
    }


def random_boxes(rng: random.Random) -> tuple[BoxType, ...]:
    return tuple(
        BoxType(
            code,
            rng.randint(10, 60) * 10,
            rng.randint(10, 40) * 10,
            rng.randint(5, 30) * 10,
            rng.choice([2_000, 5_000, 12_000, 20_000]),
            rng.randint(20, 200),
        )
        for code in ["A", "B", "C"][: rng.randint(2, 3)]
    )


def random_items(rng: random.Random) -> tuple[Item, ...]:
    return tuple(
        Item(
            f"I{n}", rng.randint(100, 4_000), rng.randint(5, 40) * 10, rng.randint(5, 30) * 10, rng.randint(3, 20) * 10
        )
        for n in range(rng.randint(1, 3))
    )


def partitions(items: Sequence[int]) -> Iterator[list[list[int]]]:
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for smaller in partitions(rest):
        yield [[first], *smaller]
        for n in range(len(smaller)):
            yield [*smaller[:n], [first, *smaller[n]], *smaller[n + 1 :]]


def box_takes(box: BoxType, contents: Sequence[Item]) -> bool:
    """The box rules, written again: each item fits in some rotation; total weight; 85 % of the volume
    when two or more items share the box."""
    inner = sorted((box.inner_length_mm, box.inner_width_mm, box.inner_height_mm))
    for item in contents:
        if any(s > i for s, i in zip(sorted((item.length_mm, item.width_mm, item.height_mm)), inner, strict=True)):
            return False
    if sum(i.weight_g for i in contents) > box.max_weight_g:
        return False
    volume = sum(i.length_mm * i.width_mm * i.height_mm for i in contents)
    return len(contents) == 1 or volume <= box.inner_length_mm * box.inner_width_mm * box.inner_height_mm * FILL


def brute_force(card: dict[str, Any], boxes: Sequence[BoxType], items: Sequence[Item]) -> int | None:
    """The least boxes + postage over every service and every packing, or None when none carries the items."""
    rate_card = read_json(card)
    fuel = round(card["fuel_percent"] * 100)
    best: int | None = None
    for blocks in partitions(list(range(len(items)))):
        contents = [[items[i] for i in block] for block in blocks]
        for chosen in itertools.product(*([b for b in boxes if box_takes(b, c)] for c in contents)):
            parcels = [
                Parcel(sum(i.weight_g for i in c), box.inner_length_mm, box.inner_width_mm, box.inner_height_mm)
                for c, box in zip(contents, chosen, strict=True)
            ]
            for service in ("ONE", "TWO"):
                price = price_shipment(rate_card, service, "FR", "FR", "69003", parcels, fuel_bp=fuel, discount_bp=0)
                if isinstance(price, NotServed):
                    continue
                total = price.total_cents + sum(b.cost_cents for b in chosen)
                best = total if best is None else min(best, total)
    return best


@pytest.mark.parametrize("seed", range(300))
def test_the_plans_service_and_packing_cost_what_brute_force_finds_least(seed: int) -> None:
    rng = random.Random(seed)
    card, boxes, items = a_random_card(rng), random_boxes(rng), random_items(rng)
    book = a_book(card)
    order = an_order("O", *items)
    plan_settings = settings(boxes)

    plan = plan_orders(book, [order], TUESDAY, plan_settings)

    assert check_plan(book, [order], plan, plan_settings) == []
    least = brute_force(card, boxes, items)
    if least is None:
        assert "O" in plan.unplannable and plan.unplannable["O"] != NO_CAPACITY
        return
    (shipment,) = plan.shipments
    assert shipment.transport_cents + shipment.packaging_cents == least
