"""Synthetic rate cards and orders at the scale of the benchmarks (seeded, so runs compare)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from carriers.model import RateCard
from carriers.readers import read_json

MODES = ["home", "pickup_point", "home", "locker"]


def _zones(count: int) -> list[dict[str, Any]]:
    """Mainland France split by department prefixes, Corsica, and Belgium: `count` zones in all."""
    departments = [f"{d:02d}" for d in range(1, 96) if d != 20]
    groups = count - 2
    zones = []
    for g in range(groups):
        prefixes = departments[g::groups]
        zones.append(
            {"code": f"Z{g:02d}", "name": f"Zone {g}", "entries": [{"country": "FR", "postcodes": ",".join(prefixes)}]}
        )
    zones.append({"code": "COR", "name": "Corsica", "entries": [{"country": "FR", "postcodes": "20"}]})
    zones.append({"code": "BE", "name": "Belgium", "entries": [{"country": "BE", "postcodes": ""}]})
    return zones


def card_document(carrier: int, services: int, zones: int, brackets: int, rng: random.Random) -> dict[str, Any]:
    zone_docs = _zones(zones)
    bounds = [round(0.25 * (i + 1) * (1 + i / 10), 2) for i in range(brackets)]
    service_docs, grids = [], []
    for s in range(services):
        code = f"S{s}"
        transit = {z["code"]: [1 + s % 2, 2 + s % 3] for z in zone_docs}
        service_docs.append(
            {
                "code": code,
                "name": f"Service {s}",
                "mode": MODES[s % len(MODES)],
                "speed": "standard",
                "pickup_cutoff": "17:00",
                "pickup_days": "Mon-Fri",
                "delivery_days": "Mon-Sat",
                "max_weight_kg": 30,
                "max_length_cm": 120,
                "max_length_girth_cm": 300,
                "max_dimensions_sum_cm": None,
                "volumetric_divisor": 5000 if s % 2 else None,
                "transit": transit,
            }
        )
        for z in zone_docs:
            start = rng.randint(400, 900)
            prices, price = [], start
            for _ in bounds:
                price += rng.randint(5, 90)
                prices.append(price / 100)
            grids.append(
                {
                    "service": code,
                    "zone": z["code"],
                    "extra_kg_price": 1.2,
                    "brackets": [{"to_kg": b, "price": p} for b, p in zip(bounds, prices, strict=True)],
                }
            )
    return {
        "carrier": {"code": f"carrier{carrier:02d}", "name": f"Carrier {carrier}"},
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "fuel_percent": 12.5,
        "notes": "synthetic",
        "services": service_docs,
        "zones": zone_docs,
        "prices": grids,
        "surcharges": [
            {
                "kind": "remote_area",
                "name": "Islands",
                "amount": 4.5,
                "services": [],
                "areas": [{"country": "FR", "postcodes": "17410,29242,56360"}],
            },
            {
                "kind": "oversize",
                "name": "Oversize",
                "amount": 12.0,
                "services": [],
                "min_length_cm": 100,
                "min_length_girth_cm": None,
                "min_weight_kg": None,
            },
        ],
        "tiers": [{"min_parcels": 1000, "discount_percent": 5}, {"min_parcels": 5000, "discount_percent": 8}],
    }


def synthetic_documents(
    carriers: int = 10, services: int = 4, zones: int = 30, brackets: int = 30, seed: int = 7
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [card_document(c, services, zones, brackets, rng) for c in range(carriers)]


def synthetic_cards(**sizes: int) -> list[RateCard]:
    return [read_json(d) for d in synthetic_documents(**sizes)]


def random_order(rng: random.Random, ref: int) -> dict[str, Any]:
    """A one-parcel checkout order as the API receives it."""
    if rng.random() < 0.9:
        department = rng.choice([d for d in range(1, 96) if d != 20] + [20])
        destination = {"country": "FR", "postcode": f"{department:02d}{rng.randint(0, 999):03d}", "city": "X"}
    else:
        destination = {"country": "BE", "postcode": f"{rng.randint(1000, 9999)}", "city": "X"}
    ordered = datetime(2026, 3, 2, 8, 0, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 60 * 24 * 200))
    return {
        "order_ref": f"B-{ref}",
        "ordered_at": ordered.isoformat(),
        "destination": destination,
        "parcels": [
            {
                "weight_kg": round(rng.uniform(0.1, 20), 3),
                "length_cm": rng.randint(10, 80),
                "width_cm": rng.randint(10, 50),
                "height_cm": rng.randint(5, 40),
            }
        ],
        "cart": {"value": round(rng.uniform(5, 200), 2), "currency": "EUR", "categories": []},
        "promise": {"deliver_by": (ordered.date() + timedelta(days=rng.randint(2, 8))).isoformat()},
    }


FIRST_DAY = date(2026, 1, 1)


def random_shopify_rate(rng: random.Random) -> dict[str, Any]:
    """A Shopify CarrierService rate request (grams, prices in cents), as the checkout callback receives it."""
    order = random_order(rng, 0)
    destination = order["destination"]
    items = [
        {"grams": rng.randint(100, 4000), "quantity": rng.randint(1, 3), "price": rng.randint(500, 9000)}
        for _ in range(rng.randint(1, 3))
    ]
    return {
        "rate": {
            "origin": {"country": "FR", "postal_code": "75011"},
            "destination": {"country": destination["country"], "postal_code": destination["postcode"], "city": "X"},
            "items": [{**item, "requires_shipping": True} for item in items],
            "currency": "EUR",
        }
    }
