"""Offer comparison by replay: 10,000 past shipments in a SQLite database, priced again on a draft card.

A seeded generator of our own: over September to November 2026, shipments on the demo cards
(config/demo), 70 % home and 30 % pickup point, to the demo cities and a few to Corsica and overseas,
one to three items of a small catalogue in one or two boxes of config/boxes.toml, each with the
postage the pricing engine gives on the card it shipped on. They are written as runs write them (the
shipment's document, its orders planned in it), in bulk.

Timed: `replay_cards` reading the period from the store and pricing every shipment, in two forms:
- `offer_all`: a draft DPD offer (its prices 10 % lower, no overseas zone) with scope all: every
  shipment moved onto it (those of other carriers to pickup points are not carried);
- `set_of_two`: the DPD draft and a Colissimo draft (prices 5 % higher) each in place of its carrier.
The issue's target: under 5 s on 10,000 shipments. Measured (median of 3, SQLite, one process):
0.87 s for offer_all (5,488 carried, 4,512 not: other carriers' pickup points, no signed or express
home service at DPD) and 0.73 s for set_of_two (5,619 carried); writing the shipments takes 1.0 s.

`python -m bench replay` (10,000 shipments), `python -m bench.replay 20000` for another count.
"""

from __future__ import annotations

import copy
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from carriers.pricing import NotServed, price_on_card
from carriers.readers import read_json
from solvers.boxing import BoxType
from solvers.boxing import Item as BoxItem
from tms.bootstrap import Container, build_container
from tms.domain.plans import PlannedShipment, shipment_document
from tms.persistence.migrate import upgrade
from tms.persistence.tables import ConsolidationRunRow, OrderRow, ShipmentRow
from tms.services.demo import load_demo
from tms.services.packing import box_parcel
from tms.services.rate_cards import list_rate_cards, load_card, store_rate_card
from tms.services.replay import Scope, replay_cards
from tms.settings import load_settings

SINCE, UNTIL = date(2026, 9, 1), date(2026, 11, 30)
STAMP = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
CATALOGUE = [
    (250, 200, 150, 40),
    (400, 300, 200, 50),
    (900, 330, 220, 120),
    (1200, 350, 250, 130),
    (2500, 400, 300, 200),
]
ROOT = Path(__file__).resolve().parents[1]
REPEATS = 3


def run(shipments: int = 10_000, seed: int = 2026) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'replay.db'}"
        upgrade(url)
        container = build_container(load_settings({"database_url": url}))
        try:
            return _bench(container, shipments, seed)
        finally:
            container.close()


def _bench(container: Container, count: int, seed: int) -> dict[str, Any]:
    settings = container.settings
    load_demo(container.uow, settings.path(settings.demo_rate_cards_dir), STAMP)
    started = time.perf_counter()
    written = _write_shipments(container, count, seed)
    setup_s = time.perf_counter() - started
    dpd = _draft(container, "dpd", 0.90, drop_zone="FR-OM")
    colissimo = _draft(container, "colissimo", 1.05)
    boxes = container.plan_settings.box_types
    forms: dict[str, tuple[list[int], Scope]] = {
        "offer_all": ([], Scope.ALL),
        "set_of_two": ([colissimo], Scope.CARRIERS),
    }
    results: dict[str, Any] = {"shipments": written, "setup_s": round(setup_s, 2)}
    print(f"{written} shipments from {SINCE} to {UNTIL} written in {setup_s:.1f} s")
    heads = f"{'median s':>9} {'best s':>7} {'carried':>8} {'not':>6} {'actual EUR':>11} {'offer EUR':>10} {'%':>7}"
    print(f"{'form':<12} {heads}")
    for name, (with_cards, scope) in forms.items():
        seconds = []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            replay = replay_cards(
                container.uow(),
                dpd,
                since=SINCE,
                until=UNTIL,
                with_cards=with_cards,
                scope=scope,
                box_types=boxes,
            )
            seconds.append(time.perf_counter() - t0)
        results[name] = {
            "median_s": round(statistics.median(seconds), 3),
            "best_s": round(min(seconds), 3),
            "replayed": replay.replayed,
            "carried": replay.carried,
            "not_carried": len(replay.not_carried),
            "actual_eur": replay.actual_cents / 100,
            "candidate_eur": replay.candidate_cents / 100,
            "difference_percent": replay.difference_percent,
            "lanes": len(replay.lanes),
            "tiers": [(t.carrier, t.month.isoformat()[:7], t.parcels, t.level) for t in replay.tiers],
        }
        r = results[name]
        print(
            f"{name:<12} {r['median_s']:>9.3f} {r['best_s']:>7.3f} {r['carried']:>8} {r['not_carried']:>6} "
            f"{r['actual_eur']:>11.2f} {r['candidate_eur']:>10.2f} {r['difference_percent']:>7}"
        )
    return results


def _draft(container: Container, carrier: str, factor: float, drop_zone: str | None = None) -> int:
    """A draft of the carrier's demo card, every price times `factor` (and without `drop_zone`)."""
    document = copy.deepcopy(json.loads((ROOT / "config" / "demo" / f"{carrier}.json").read_text()))
    document["valid_from"] = "2027-01-01"
    for grid in document["prices"]:
        for bracket in grid["brackets"]:
            bracket["price"] = round(bracket["price"] * factor, 2)
    if drop_zone:
        document["zones"] = [z for z in document["zones"] if z["code"] != drop_zone]
        document["prices"] = [g for g in document["prices"] if g["zone"] != drop_zone]
        for service in document["services"]:
            service["transit"] = {z: t for z, t in service["transit"].items() if z != drop_zone}
    outcome = store_rate_card(
        container.uow(),
        read_json(document),
        source_format="json",
        source_name=f"{carrier}-offer.json",
        uploaded_by="bench",
        activate=False,
        now=STAMP,
    )
    return outcome.record.id


def _places() -> list[tuple[str, str]]:
    places: list[tuple[str, str]] = []
    for line in (ROOT / "config" / "demo" / "cities.csv").read_text().splitlines()[1:]:
        fields = line.split(",")
        places.extend((postcode, fields[0]) for postcode in fields[-1].split())
    return places


def _write_shipments(container: Container, count: int, seed: int) -> int:
    """`count` shipments over the period, one run per ship day, written in bulk."""
    rng = random.Random(seed)
    records = list_rate_cards(container.uow())
    cards = [(r, load_card(r)) for r in records]
    boxes: list[BoxType] = sorted(container.plan_settings.box_types, key=lambda b: b.cost_cents)
    places = _places() + [("20000", "Ajaccio"), ("20200", "Bastia"), ("97400", "Saint-Denis")]
    days = [
        SINCE + timedelta(days=n) for n in range((UNTIL - SINCE).days + 1) if (SINCE + timedelta(days=n)).weekday() < 5
    ]
    runs, shipments, orders = [], [], []
    made = 0
    while made < count:
        day = rng.choice(days)
        record, card = rng.choice(cards)
        mode = "pickup_point" if rng.random() < 0.3 else "home"
        services = [s for s in card.services if s.mode == mode]
        if not services:
            continue
        service = rng.choice(services)
        postcode, city = rng.choice(places)
        items = [rng.choice(CATALOGUE) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        ref = f"B-{made + 1}"
        held = [[n] for n in range(len(items))] if len(items) == 3 and rng.random() < 0.5 else [list(range(len(items)))]
        placed, parcels = [], []
        for block in held:
            contents = [BoxItem(f"{ref}/{i}/0", *items[i]) for i in block]
            box = next(b for b in boxes if b.holds(contents, container.plan_settings.fill_ratio))
            placed.append((box.code, tuple(f"{ref}/{i}/0" for i in block)))
            parcels.append(box_parcel(box, sum(items[i][0] for i in block)))
        price = price_on_card(card, service.code, "FR", postcode, parcels, fuel_bp=card.fuel_bp, parcels_this_month=0)
        if isinstance(price, NotServed):
            continue
        made += 1
        weight = sum(i[0] for i in items)
        planned = PlannedShipment(
            orders=(ref,),
            carrier=record.carrier_code,
            service=service.code,
            mode=mode,
            ships_on=day,
            earliest=day,
            latest=day,
            parcels=len(parcels),
            weight_g=weight,
            boxes=tuple(placed),
            transport_cents=price.total_cents,
            packaging_cents=0,
            other_cents=0,
            cost_cents=price.total_cents,
            rate_card_id=record.id,
            rate_card_version=record.version,
            held=False,
        )
        shipments.append(
            {
                "id": made,
                "run_id": days.index(day) + 1,
                "ships_on": day,
                "carrier": record.carrier_code,
                "service": service.code,
                "mode": mode,
                "parcels": len(parcels),
                "weight_g": weight,
                "cost_cents": price.total_cents,
                "rate_card_id": record.id,
                "detail": shipment_document(planned),
                "status": "delivered",
                "tracking_numbers": [],
                "tracking_token": f"t{made}",
            }
        )
        orders.append(
            {
                "order_ref": ref,
                "status": "delivered",
                "warehouse": "PAR1",
                "ordered_at": datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=UTC),
                "created_at": STAMP,
                "name": f"Client {made}",
                "line1": f"{made} rue Neuve",
                "postcode": postcode,
                "city": city,
                "country": "FR",
                "consignee_key": f"k{made}",
                "mode": mode,
                "carrier": record.carrier_code if mode == "pickup_point" else None,
                "pickup_point_id": f"P{made % 50}" if mode == "pickup_point" else None,
                "cart_value_cents": 5000,
                "items": [
                    {"sku": f"SKU-{n}", "weight_g": w, "length_mm": a, "width_mm": b, "height_mm": c, "quantity": 1}
                    for n, (w, a, b, c) in enumerate(items)
                ],
                "run_id": days.index(day) + 1,
                "shipment_id": made,
            }
        )
    for n, day in enumerate(days, 1):
        runs.append(
            {
                "id": n,
                "shipping_date": day,
                "warehouse": "PAR1",
                "run_at": "06:00",
                "status": "succeeded",
                "trigger": "bench",
                "started_at": STAMP,
                "finished_at": STAMP,
                "summary": {},
                "error": "",
            }
        )
    with container.engine.begin() as connection:
        connection.execute(insert(ConsolidationRunRow), runs)
        connection.execute(insert(ShipmentRow), shipments)
        connection.execute(insert(OrderRow), orders)
    return made


if __name__ == "__main__":
    print(json.dumps(run(*(int(a) for a in sys.argv[1:2])), indent=2, default=str))
