"""The nightly plan at scale on the demo cards: 1,000, 10,000 and 100,000 pending orders.

Realistic demo data: the four demo carriers' 2026 cards, consignees that repeat (a
fifth of the orders go to an address or pickup point that has another order), a
catalogue of items, home and pickup-point orders, promises of 2 to 6 days, and daily
capacities of three carriers set to bind (a share of the night's parcels each).
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from carriers.readers import read_json
from tms.bootstrap import load_plan_settings, load_warehouses
from tms.domain.orders import Address, Item, Order
from tms.domain.plans import CarrierLimits
from tms.domain.policy import ShippingPolicy
from tms.services.plan_check import check_plan
from tms.services.planning import PlanSettings, plan_orders
from tms.services.quoting import QuoteBook
from tms.settings import load_settings

SHIPPING_DATE = date(2026, 3, 3)  # a Tuesday
CATALOGUE = [  # (weight g, length, width, height mm)
    (250, 200, 150, 40),
    (400, 300, 200, 50),
    (900, 330, 220, 120),
    (1200, 350, 250, 130),
    (2500, 400, 300, 200),
    (150, 150, 100, 30),
    (3800, 450, 350, 250),
    (600, 250, 250, 100),
]
CITIES = [
    ("75011", "Paris"),
    ("69003", "Lyon"),
    ("13001", "Marseille"),
    ("31000", "Toulouse"),
    ("33000", "Bordeaux"),
    ("59000", "Lille"),
    ("44000", "Nantes"),
    ("67000", "Strasbourg"),
    ("20000", "Ajaccio"),
    ("35000", "Rennes"),
]


def demo_book() -> QuoteBook:
    settings = load_settings()
    cards = [
        read_json(json.loads(path.read_text()))
        for path in sorted(settings.path(settings.demo_rate_cards_dir).glob("*.json"))
    ]
    return QuoteBook.of_cards(cards, ShippingPolicy(), load_warehouses(settings.path(settings.warehouses_file)))


def random_orders(count: int, rng: random.Random) -> list[Order]:
    orders: list[Order] = []
    for n in range(count):
        if orders and rng.random() < 0.2:  # another order for an earlier consignee
            twin = rng.choice(orders)
            address, mode, carrier, point = twin.address, twin.mode, twin.carrier, twin.pickup_point_id
        else:
            postcode, city = rng.choice(CITIES)
            address = Address(f"Client {n}", f"{rng.randint(1, 200)} rue {n}", postcode, city, "FR")
            mode = "pickup_point" if rng.random() < 0.3 else "home"
            carrier = rng.choice(["mondial_relay", "colissimo", "dpd"]) if mode == "pickup_point" else None
            point = f"PT{rng.randint(1, 5000)}" if mode == "pickup_point" else None
        items = tuple(
            Item(f"SKU{k}", *CATALOGUE[k]) for k in rng.choices(range(len(CATALOGUE)), k=rng.choice([1, 1, 1, 2, 3]))
        )
        orders.append(
            Order(
                order_ref=f"O{n:06d}",
                warehouse="PAR1",
                ordered_at=datetime(2026, 3, 2, 12, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 600)),
                address=address,
                mode=mode,
                items=items,
                cart_value_cents=rng.randint(1500, 20000),
                deliver_by=SHIPPING_DATE + timedelta(days=rng.randint(4, 9)),
                carrier=carrier,
                pickup_point_id=point,
            )
        )
    return orders


def bench_settings(count: int) -> PlanSettings:
    base = load_plan_settings(load_settings())
    # Binding capacities: each of three carriers takes at most a share of the night's parcels.
    limits = {
        "colissimo": CarrierLimits(parcels_per_day=int(count * 0.35), weight_g_per_day=count * 700),
        "mondial_relay": CarrierLimits(parcels_per_day=int(count * 0.30), weight_g_per_day=count * 600),
        "dpd": CarrierLimits(parcels_per_day=int(count * 0.25), weight_g_per_day=count * 500),
    }
    return PlanSettings(
        box_types=base.box_types,
        carrier_limits=limits,
        holding=True,
        hold_cost_cents=base.hold_cost_cents,
        fill_ratio=base.fill_ratio,
        time_limit_s=120 if count <= 10_000 else 540,
        workers=2,
    )


def run(sizes: tuple[int, ...] = (1_000, 10_000, 100_000)) -> list[dict[str, Any]]:
    book = demo_book()
    rows = []
    print("\nNightly plan on the demo cards (3 carriers with binding daily capacities, holding on)")
    header = ("orders", "shipments", "held", "unplan.", "wall s", "solver s", "gap %", "savings %", "status", "check")
    print(" ".join(f"{h:>10}" for h in header))
    for count in sizes:
        orders = random_orders(count, random.Random(count))
        settings = bench_settings(count)
        started = time.perf_counter()
        plan = plan_orders(book, orders, SHIPPING_DATE, settings)
        wall = time.perf_counter() - started
        problems = check_plan(book, orders, plan, settings)
        summary = plan.summary()
        row = {
            "orders": count,
            "shipments": summary["shipments_out"],
            "held": summary["orders_held"],
            "unplannable": summary["orders_unplannable"],
            "wall_s": round(wall, 1),
            "solver_s": summary["solver_seconds"],
            "gap_percent": round(100 * plan.gap, 3),
            "savings_percent": round(100 * (plan.baseline_cents - plan.cost_cents) / max(1, plan.baseline_cents), 2),
            "cost": summary["cost"],
            "baseline": summary["baseline_cost"],
            "lower_bound": summary["lower_bound"],
            "status": plan.solver_status,
            "method": plan.solver_method,
            "checker_problems": len(problems),
        }
        rows.append(row)
        values = (
            count,
            row["shipments"],
            row["held"],
            row["unplannable"],
            row["wall_s"],
            row["solver_s"],
            row["gap_percent"],
            row["savings_percent"],
            row["status"],
            "ok" if not problems else len(problems),
        )
        print(" ".join(f"{v:>10}" for v in values))
    return rows


if __name__ == "__main__":
    import sys

    run(tuple(int(a) for a in sys.argv[1:]) or (1_000, 10_000, 100_000))
