"""Fixtures of the API tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

CITIES = Path(__file__).resolve().parents[2] / "config" / "demo" / "cities.csv"
ALWAYS = ["00:00-24:00"] * 7
SHOP = ["08:00-20:00"] * 6 + [""]


def points_everywhere(carrier: str) -> bytes:
    """A directory for `carrier` with a relay in every postcode of the demo cities (at the city's
    centre) and a locker per city: the places the API tests send parcels to all have points."""
    rows = []
    with CITIES.open(encoding="utf-8") as file:
        for n, city in enumerate(csv.DictReader(file)):
            lat, lon = float(city["latitude"]), float(city["longitude"])
            for k, postcode in enumerate(city["postcodes"].split()):
                place = [postcode, city["city"], "FR", f"{lat + k * 0.001:.6f}", f"{lon:.6f}"]
                rows.append([f"R{n}-{k}", f"Relais {city['city']} {k}", "1 place de la Gare", *place, "relay", *SHOP])
            place = [city["postcodes"].split()[0], city["city"], "FR", f"{lat:.6f}", f"{lon + 0.002:.6f}"]
            rows.append([f"L{n}", f"Consigne {city['city']}", "2 place de la Gare", *place, "locker", *ALWAYS])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["id", "name", "address", "postcode", "city", "country", "latitude", "longitude", "kind"]
        + ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    )
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture()
def cards(client, manager, container):
    """Upload and activate cards, each carrier with pickup points in every demo city, then make the
    quote book and the point index see them."""

    def load(*documents: dict[str, Any]) -> None:
        for document in documents:
            response = client.post("/api/v1/rate-cards?activate=true", json=document, headers=manager)
            assert response.status_code == 201, response.get_json()
            carrier = document["carrier"]["code"]
            response = client.post(
                f"/api/v1/pickup-directories?carrier={carrier}&activate=true",
                data={"file": (io.BytesIO(points_everywhere(carrier)), f"{carrier}.csv")},
                headers=manager,
                content_type="multipart/form-data",
            )
            assert response.status_code in (200, 201), response.get_json()
        container.quote_book.refresh()

    return load
