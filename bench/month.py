"""A month of orders through the checkout and every planning run, on the demo cards.

A seeded generator of our own: about 600 orders a day over the 22 working days of March 2026,
from two warehouses (PAR1 and LYS1, config/warehouses.toml), 70 % home and 30 % pickup point,
15 % of the consignees ordering again with their name or address written differently ("41 rue
Saint-Honoré" / "41 r. St-Honore", "Léa Martin" / "MARTIN Léa"), some heavy and multi-item orders.

Each order is first quoted as the checkout quotes it (`quote_order`, its items as parcels, at the
time it is placed); the shopper takes the cheapest option of the mode they want, and the shop
registers the order with that carrier, service and the latest date shown, as the order endpoint
does. Then every planning run of every warehouse happens in turn, on a real (SQLite) database,
through the same `run_consolidation` as the scheduler, which refuses any plan its checker refuses.

Reported: orders never shipped (and why), savings against the baseline (each shipped order alone on
its first possible day, cheapest service keeping its promise), the gap between each run's cost
and the solver's proven lower bound for that run, and the time per run, and each carrier's busiest day
per warehouse against its daily limit.

`python -m bench.month 600` uses the carriers' daily limits of config/carriers.toml, `python -m bench.month
600 none` none. Figures of March 2026 at 600 orders a day (seed 2026): with the limits, every order ships
(the checkout sells Mondial Relay's sold-out days away, its busiest days at 300 parcels, its limit, at both
warehouses) and the plan saves 0.17 % against the baseline (146,474.55 EUR against 146,723.33), which ignores
capacities; without limits every order ships and the plan saves 0.30 %. No order ships after the ship day
its checkout showed, so the baseline on each order's first possible day is the one of the day it ships.
Gap to the proven bound under 0.001 % (every run); runs take 0.4 s (median), 1.9 s at most (766 orders);
1.5 s at most without limits.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tms.bootstrap import Container, build_container
from tms.domain.capacity import Day
from tms.domain.delivery import is_working_day
from tms.domain.errors import InvalidInput
from tms.domain.modes import DeliveryMode
from tms.domain.orders import Address, Item, Order, OrderStatus
from tms.domain.parcels import Parcel
from tms.domain.policy import Cart
from tms.domain.quotes import Destination, Promise, QuoteRequest
from tms.persistence.migrate import upgrade
from tms.services.capacity import LiveBookings, load_bookings
from tms.services.consolidation import run_consolidation
from tms.services.demo import load_demo
from tms.services.orders import register_order
from tms.services.quoting import QuoteBook, quote_order
from tms.settings import load_settings

PARIS = ZoneInfo("Europe/Paris")
FIRST_DAY, LAST_DAY = date(2026, 3, 1), date(2026, 3, 31)
PATIENCE_DAYS = 2  # later than this past its usual date, a shopper takes another option
WORKING_DAYS = 22  # Monday to Friday in March 2026, no public holiday
# (weight g, length, width, height mm): the shop's catalogue, with two heavy items
CATALOGUE = [
    (250, 200, 150, 40),
    (400, 300, 200, 50),
    (900, 330, 220, 120),
    (1200, 350, 250, 130),
    (2500, 400, 300, 200),
    (150, 150, 100, 30),
    (600, 250, 250, 100),
    (1000, 510, 200, 100),  # light but long
    (2200, 445, 350, 190),
    (9500, 450, 350, 300),  # heavy
    (17000, 600, 400, 300),  # heavy and big
]
CATALOGUE_WEIGHTS = [14, 14, 12, 10, 8, 12, 10, 4, 6, 2, 1]
CITIES = [  # postcode, city, street names the consignees live in
    ("75001", "Paris", ["rue Saint-Honoré", "avenue de l'Opéra", "boulevard de Sébastopol"]),
    ("75011", "Paris", ["rue de la Roquette", "boulevard Voltaire", "avenue Parmentier"]),
    ("69003", "Lyon", ["rue Paul Bert", "cours Lafayette", "avenue Félix Faure"]),
    ("13001", "Marseille", ["rue Sainte-Barbe", "boulevard Dugommier", "place Sadi-Carnot"]),
    ("31000", "Toulouse", ["rue Saint-Rome", "allée Jean Jaurès", "boulevard de Strasbourg"]),
    ("33000", "Bordeaux", ["rue Sainte-Catherine", "cours de l'Intendance", "place Gambetta"]),
    ("59000", "Lille", ["rue Faidherbe", "boulevard de la Liberté", "impasse du Moulin"]),
    ("44000", "Nantes", ["rue Crébillon", "chemin de la Censive", "faubourg Saint-Clément"]),
    ("67000", "Strasbourg", ["rue du Vieux-Marché-aux-Poissons", "avenue de la Forêt-Noire", "quai Kléber"]),
    ("20000", "Ajaccio", ["cours Napoléon", "boulevard Pascal Rossini", "rue Fesch"]),
    ("35000", "Rennes", ["rue Saint-Malo", "boulevard de la Liberté", "place des Lices"]),
]
FIRST_NAMES = ["Léa", "Lucas", "Chloé", "Hugo", "Inès", "Jules", "Zoé", "Louis", "Manon", "Gabriel", "Anaïs", "Noé"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"]
ABBREVIATIONS = [("rue ", "r. "), ("avenue ", "av. "), ("boulevard ", "bd "), ("Saint-", "St-"), ("Sainte-", "Ste-")]
ABBREVIATIONS += [("place ", "pl. "), ("chemin ", "chem. "), ("impasse ", "imp. "), ("faubourg ", "fbg ")]
ACCENTS = str.maketrans("éèêàçôûîïÉ", "eeeacouiiE")


def written_differently(address: Address, rng: random.Random) -> Address:
    """The same person at the same address as another shopper might type it again."""
    line, name = address.line1, address.name
    for full, short in ABBREVIATIONS:
        if full in line and rng.random() < 0.7:
            line = line.replace(full, short)
    if rng.random() < 0.5:
        line = line.translate(ACCENTS)
    if rng.random() < 0.3:
        line = line.upper()
    first, last = name.split(" ", 1)
    name = rng.choice([f"{last} {first}", f"{last.upper()} {first}", f"{first}  {last}", name.lower()])
    return replace(address, name=name, line1=line)


def customers(rng: random.Random, count: int) -> list[Address]:
    people = []
    for n in range(count):
        postcode, city, streets = rng.choice(CITIES)
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}-{n}"
        people.append(Address(name, f"{rng.randint(1, 120)} {rng.choice(streets)}", postcode, city, "FR"))
    return people


def order_times(rng: random.Random, per_working_day: int) -> list[datetime]:
    """Order times over the month (Paris time), as many in all as per_working_day x 22, every day
    of the week, more in the evening."""
    days = (LAST_DAY - FIRST_DAY).days + 1
    total = per_working_day * WORKING_DAYS
    moments = []
    for _ in range(total):
        day = FIRST_DAY + timedelta(days=rng.randrange(days))
        hour = rng.choices(range(24), weights=[1] * 7 + [3] * 5 + [4] * 6 + [6] * 5 + [2])[0]
        moments.append(datetime.combine(day, clock(hour, rng.randrange(60)), PARIS))
    return sorted(moments)


def shoppers_choice(
    book: QuoteBook, order: Order, rng: random.Random, full: frozenset[Day] = frozenset()
) -> Order | None:
    """The order as the checkout sells it: quoted at its time, the shopper takes the cheapest option of
    their mode (the other mode when theirs has none); None when the checkout offers nothing. With
    sold-out pickup days (`full`), the shopper still takes it if it arrives at most PATIENCE_DAYS
    after it would have with room, else the cheapest option of their mode arriving by then (or,
    with none, the one that arrives first)."""
    parcels = tuple(Parcel(i.weight_g, i.length_mm, i.width_mm, i.height_mm) for i in order.items)
    request = QuoteRequest(
        order.order_ref,
        order.ordered_at,
        Destination(order.address.country, order.address.postcode, order.address.city),
        parcels,
        Cart(order.cart_value_cents),
        Promise(),
        origin=order.warehouse,
    )
    usual = quote_order(book, request)
    if not usual.options:
        return None
    wanted = [o for o in usual.options if o.offer.mode == order.mode] or list(usual.options)
    chosen = min(wanted)
    if full:
        offered = quote_order(book, request, full=full).options
        mine = [o for o in offered if o.offer.mode == chosen.offer.mode]
        patience = chosen.latest + timedelta(days=PATIENCE_DAYS)
        in_time = [o for o in mine if o.latest <= patience]
        if not mine:
            return None
        chosen = min(in_time) if in_time else min(mine, key=lambda o: (o.latest, o))
    mode = DeliveryMode(chosen.offer.mode)
    point = None
    if mode != DeliveryMode.HOME:
        point = f"{chosen.offer.carrier[:2].upper()}-{order.address.postcode}-{rng.randint(1, 8)}"
    return replace(
        order,
        mode=mode,
        carrier=chosen.offer.carrier,
        service=chosen.offer.service,
        deliver_by=chosen.latest,
        pickup_point_id=point,
    )


def month_of_orders(per_working_day: int, seed: int) -> list[Order]:
    rng = random.Random(seed)
    people = customers(rng, per_working_day * WORKING_DAYS)
    regulars: list[Address] = []
    orders = []
    for n, moment in enumerate(order_times(rng, per_working_day)):
        if regulars and rng.random() < 0.15:
            address = written_differently(rng.choice(regulars), rng)
        else:
            address = people[n]
            if rng.random() < 0.3:
                regulars.append(address)
        kinds = rng.choices(range(len(CATALOGUE)), weights=CATALOGUE_WEIGHTS, k=rng.choice([1] * 6 + [2, 2, 3, 4]))
        items = tuple(Item(f"SKU{k}", *CATALOGUE[k]) for k in kinds)
        orders.append(
            Order(
                order_ref=f"M{n:06d}",
                warehouse="PAR1" if rng.random() < 0.6 else "LYS1",
                ordered_at=moment.astimezone(UTC),
                address=address,
                mode=DeliveryMode.PICKUP_POINT if rng.random() < 0.3 else DeliveryMode.HOME,
                items=items,
                cart_value_cents=rng.randint(1500, 25000),
            )
        )
    return orders


def run(per_working_day: int = 600, seed: int = 2026, capacities: str = "config") -> dict[str, Any]:
    """`capacities`: "config", the carriers' daily limits of config/carriers.toml; "none", no limit."""
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'month.db'}"
        upgrade(url)
        container = build_container(load_settings({"database_url": url}))
        try:
            return _month(container, per_working_day, seed, capacities)
        finally:
            container.close()


def _month(container: Container, per_working_day: int, seed: int, capacities: str) -> dict[str, Any]:
    settings = container.settings
    if capacities not in ("config", "none"):
        raise ValueError(f"capacities must be 'config' or 'none', not {capacities!r}")
    plan_settings = container.plan_settings
    if capacities == "none":
        plan_settings = replace(plan_settings, carrier_limits={})
    loads: Counter[tuple[str, str, str]] = Counter()  # (day, warehouse, carrier) -> parcels shipped
    load_demo(container.uow, settings.path(settings.demo_rate_cards_dir), datetime(2026, 2, 1, tzinfo=UTC))
    generated = month_of_orders(per_working_day, seed)
    rng = random.Random(seed + 1)
    book = container.fresh_book()
    # The checkout's view of the carriers' pickups: what the orders registered so far book.
    bookings = LiveBookings(
        load=lambda: load_bookings(container.uow(), plan_settings.carrier_limits, FIRST_DAY), poll_s=0
    )
    checkout_s = 0.0
    sold = 0
    pushed: Counter[int] = Counter()  # calendar days later than its first pickup day -> orders sold so
    warehouses = {code: setup.warehouse for code, setup in book.warehouses.items()}
    refused: Counter[str] = Counter()
    queue = sorted(generated, key=lambda o: o.ordered_at)
    runs: list[dict[str, Any]] = []
    # Every run of every warehouse in time order: an order is registered when it is placed, so a run
    # sees the orders placed before its moment (those of the other warehouse too, as the shop's are).
    slots = []
    day = FIRST_DAY
    while day <= LAST_DAY + timedelta(days=7):  # the last orders' runs happen in early April
        for code, site in sorted(warehouses.items()):
            if is_working_day(site, day):
                slots += [
                    (datetime.combine(day, at, site.zone).astimezone(UTC), code, day, at) for at in site.planning_runs
                ]
        day += timedelta(days=1)
    for moment, code, day, run_at in sorted(slots):
        while queue and queue[0].ordered_at < moment:
            started = time.perf_counter()
            order = shoppers_choice(book, queue.pop(0), rng, bookings.full())
            checkout_s += time.perf_counter() - started
            if order is None:
                continue
            sold += 1
            try:
                stored, _ = register_order(
                    container.uow(),
                    order,
                    known_warehouses=set(warehouses),
                    now=order.ordered_at,
                    box_types=container.plan_settings.box_types,
                    book=book,
                    bookings=bookings,
                )
                first = book.shown_window(order)  # its first pickup day, had its carrier had room
                if first is not None and stored.ships_on is not None and stored.ships_on > first[0]:
                    pushed[(stored.ships_on - first[0]).days] += 1
            except InvalidInput as error:
                refused[error.problems[0].message if error.problems else str(error)] += 1
        t0 = time.perf_counter()
        _, plan = run_consolidation(
            container.uow(),
            container.fresh_book(),
            day,
            plan_settings,
            now=moment,
            trigger="bench",
            warehouse=code,
            run_at=run_at,
        )
        wall = time.perf_counter() - t0
        for shipment in plan.shipped:
            loads[(day.isoformat(), code, shipment.carrier)] += shipment.parcels
        if plan.orders_in:
            runs.append(_run_row(day, code, run_at, plan, wall))
    peaks: dict[str, int] = {}
    for (_, code, carrier), parcels in loads.items():
        peaks[f"{code}/{carrier}"] = max(peaks.get(f"{code}/{carrier}", 0), parcels)
    limits = {c: lim.parcels_per_day for c, lim in plan_settings.carrier_limits.items()}
    report = _report(container, generated, sold, refused, runs, checkout_s, capacities, limits, peaks)
    report["sold_on_a_later_pickup_day"] = sum(pushed.values())
    report["later_by_days"] = dict(sorted(pushed.items()))
    return report


def _run_row(day: date, warehouse: str, run_at: clock, plan: Any, wall: float) -> dict[str, Any]:
    return {
        "day": day.isoformat(),
        "warehouse": warehouse,
        "run_at": run_at.strftime("%H:%M"),
        "orders_in": plan.orders_in,
        "shipped": sum(len(s.orders) for s in plan.shipped),
        "unplannable": len(plan.unplannable),
        "cost_cents": plan.cost_cents,
        "baseline_cents": plan.baseline_cents,
        "objective_cents": plan.objective_cents,
        "bound_cents": plan.lower_bound_cents,
        "wall_s": round(wall, 3),
        "status": plan.solver_status,
    }


def _gap_percent(run: dict[str, Any]) -> float:
    """How far the run's plan may be from the best plan of its model: objective against proven bound."""
    return 100 * (run["objective_cents"] - run["bound_cents"]) / max(1, run["objective_cents"])


def _report(
    container: Container,
    generated: list[Order],
    sold: int,
    refused: Counter[str],
    runs: list[dict[str, Any]],
    checkout_s: float,
    capacities: str,
    limits: dict[str, int | None],
    peaks: dict[str, int],
) -> dict[str, Any]:
    with container.uow() as uow:
        statuses = Counter(o.status for o in uow.orders.list(limit=10**6, offset=0))
        attention = Counter(
            o.attention or "?" for o in uow.orders.list(status=OrderStatus.NEEDS_ATTENTION, limit=10**6, offset=0)
        )
    cost = sum(r["cost_cents"] for r in runs)
    baseline = sum(r["baseline_cents"] for r in runs)
    objective = sum(r["objective_cents"] for r in runs)
    bound = sum(r["bound_cents"] for r in runs)
    big = [r for r in runs if r["orders_in"] >= 300]
    walls = [r["wall_s"] for r in runs]
    never = sold - statuses[OrderStatus.PLANNED] - statuses[OrderStatus.DISPATCHED]
    row = {
        "capacities": capacities,
        "orders_generated": len(generated),
        "orders_sold": sold,
        "checkout_s": round(checkout_s, 1),
        "refused_at_registration": sum(refused.values()),
        "runs": len(runs),
        "shipped": statuses[OrderStatus.PLANNED] + statuses[OrderStatus.DISPATCHED],
        "never_shipped": never,
        "never_shipped_percent": round(100 * never / max(1, sold), 2),
        "needs_attention": dict(attention),
        "still_pending": statuses[OrderStatus.PENDING],
        "cost_eur": cost / 100,
        "baseline_eur": baseline / 100,
        "savings_percent": round(100 * (baseline - cost) / max(1, baseline), 2),
        "gap_to_bound_percent": round(100 * (objective - bound) / max(1, objective), 3),
        "worst_run_gap_percent": round(max(map(_gap_percent, runs), default=0), 3),
        "run_median_s": round(statistics.median(walls), 2) if walls else 0,
        "run_max_s": max(walls, default=0),
        "largest_run_orders": max((r["orders_in"] for r in runs), default=0),
        "runs_of_300_or_more": len(big),
        "statuses": {str(k): v for k, v in statuses.items()},
        "parcels_per_day_limit": limits,
        "busiest_day_parcels": dict(sorted(peaks.items())),
    }
    print("\nA month of orders (March 2026): checkout quote, registration, every planning run of two warehouses")
    for key, value in row.items():
        print(f"  {key:<28} {value}")
    print(f"\n{'day':<11}{'wh':<6}{'run':<7}{'in':>6}{'shipped':>9}{'unplan.':>9}{'savings %':>10}{'gap %':>8}{'s':>7}")
    for r in runs:
        saving = 100 * (r["baseline_cents"] - r["cost_cents"]) / max(1, r["baseline_cents"])
        gap = _gap_percent(r)
        print(
            f"{r['day']:<11}{r['warehouse']:<6}{r['run_at']:<7}{r['orders_in']:>6}{r['shipped']:>9}"
            f"{r['unplannable']:>9}{saving:>10.2f}{gap:>8.3f}{r['wall_s']:>7.2f}"
        )
    return row


if __name__ == "__main__":
    import sys

    run(int(sys.argv[1]) if len(sys.argv) > 1 else 600, capacities=sys.argv[2] if len(sys.argv) > 2 else "config")
