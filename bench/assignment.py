"""Benchmark of the nightly plan (solvers.assignment) on realistic random instances.

Three carriers (Colissimo, Mondial Relay, Chronopost), two services each, two shipping days;
every shipment keeps 4-8 of the 12 (service, day) options its promise and mode allow; 10 % of
shipments are 2-4 parcels; 10 % may wait (hold cost 1.50 EUR). Costs: the carrier's price per
parcel and kg with +-10 % zone noise, plus 2.50 EUR handling and 0.30 EUR per day of delay;
tier 1 takes 4 % and tier 2 8 % off the transport part. Capacities bind: each carrier takes
35-40 % of the parcels per day and 35-40 % of the grams, and the cheapest carrier is wanted by
more than that; tier thresholds sit 20 % and 30 % of the night's parcels above the month's
volume, so reaching them is a real trade-off.

Run: python -m bench.assignment [sizes...]
"""

from __future__ import annotations

import random
import sys
import time
from typing import Any

from solvers.assignment import CarrierCapacity, Instance, Option, Shipment, solve
from solvers.assignment_check import check

# (carrier, service) -> (cents per parcel, cents per kg)
SERVICES = {
    ("colissimo", "home"): (520, 95),
    ("colissimo", "pickup_point"): (430, 80),
    ("mondial_relay", "pickup_point"): (360, 70),
    ("mondial_relay", "home"): (480, 110),
    ("chronopost", "home"): (610, 85),
    ("chronopost", "pickup_point"): (470, 75),
}
CARRIERS = ("colissimo", "mondial_relay", "chronopost")
PARCEL_SHARE = {"colissimo": 0.40, "mondial_relay": 0.35, "chronopost": 0.35}
WEIGHT_SHARE = {"colissimo": 0.35, "mondial_relay": 0.35, "chronopost": 0.40}
DAYS = 2


def make_instance(n: int, seed: int = 1) -> Instance:
    """A night of `n` shipments (see the module docstring)."""
    rng = random.Random(seed)
    slots = [(carrier, service, day) for (carrier, service) in SERVICES for day in range(DAYS)]
    shipments = []
    for i in range(n):
        parcels = 1 if rng.random() < 0.9 else rng.randint(2, 4)
        weight_g = sum(max(100, min(25_000, int(rng.lognormvariate(7.2, 0.8)))) for _ in range(parcels))
        options = []
        for carrier, service, day in rng.sample(slots, rng.randint(4, 8)):
            per_parcel, per_kg = SERVICES[carrier, service]
            transport = int((per_parcel * parcels + per_kg * weight_g / 1000) * rng.uniform(0.9, 1.1))
            extra = 250 + 30 * day
            costs = tuple(transport - transport * off // 100 + extra for off in (0, 4, 8))
            options.append(Option(carrier, day, costs))
        may_wait = rng.random() < 0.1
        hold = 150 if may_wait else 0
        shipments.append(Shipment(f"s{i}", parcels, weight_g, tuple(options), not may_wait, hold))
    total_parcels = sum(s.parcels for s in shipments)
    total_g = sum(s.weight_g for s in shipments)
    month = 3 * total_parcels
    carriers = tuple(
        CarrierCapacity(
            carrier,
            parcels_per_day=int(PARCEL_SHARE[carrier] * total_parcels / DAYS),
            weight_g_per_day=int(WEIGHT_SHARE[carrier] * total_g / DAYS),
            month_parcels=month,
            tier_thresholds=(month + total_parcels // 5, month + 3 * total_parcels // 10),
        )
        for carrier in CARRIERS
    )
    return Instance(tuple(shipments), carriers, DAYS)


def run(sizes: tuple[int, ...] = (1_000, 10_000, 100_000), gap_limit: float = 0.001) -> list[dict[str, Any]]:
    """Solve one instance per size (time limit 60 s up to 10,000 shipments, 600 s above), check
    each plan independently, print a table and return its rows."""
    rows: list[dict[str, Any]] = []
    header = (
        f"{'shipments':>9} | {'wall s':>7} | {'cost EUR':>12} | {'bound EUR':>12} | {'gap %':>7} | {'status':>10}"
        " | method"
    )
    print(header)
    print("-" * len(header))
    for n in sizes:
        instance = make_instance(n)
        started = time.perf_counter()
        solution = solve(instance, time_limit_s=60.0 if n <= 10_000 else 600.0, workers=2, gap_limit=gap_limit)
        wall = time.perf_counter() - started
        problems = check(instance, solution)
        row = {
            "shipments": n,
            "method": solution.method,
            "wall_s": round(wall, 2),
            "cost_cents": solution.cost_cents,
            "lower_bound_cents": solution.lower_bound_cents,
            "gap_percent": round(100 * solution.gap, 4),
            "status": solution.status,
            "unassigned": len(solution.unassigned),
            "tiers": solution.tiers,
            "checker_problems": problems,
        }
        rows.append(row)
        print(
            f"{n:>9} | {wall:>7.1f} | {solution.cost_cents / 100:>12.2f} | {solution.lower_bound_cents / 100:>12.2f}"
            f" | {100 * solution.gap:>7.4f} | {solution.status:>10} | {solution.method}"
            + (f"  CHECKER: {problems[:3]}" if problems else ""),
            flush=True,
        )
    return rows


if __name__ == "__main__":
    run(tuple(int(arg) for arg in sys.argv[1:]) or (1_000, 10_000, 100_000))
