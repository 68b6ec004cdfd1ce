"""Pickup points at scale: a 20,000-point directory read and checked, uploaded through the API (stored,
activated, the index rebuilt), the index of 4 carriers x 20,000 points built from the store, and the
nearest suitable points asked of it (what the checkout's quote will ask: N nearest of carrier C
within R km) against a scan of every point with numpy.

python -m bench pickup            # the benchmark (SQLite in a temporary directory, or TMS_BENCH_DATABASE_URL)
python -m bench.pickup demo       # write the demo directories config/demo/pickup/<carrier>.csv

Points are drawn around the cities of config/demo/cities.csv (real coordinates), seeded so
that runs compare.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from carriers.points import COLUMNS as POINT_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
CITIES = ROOT / "config" / "demo" / "cities.csv"
COLUMNS = list(POINT_COLUMNS)
MAX_UPLOAD_S = 10.0
POINTS = 20_000
CARRIERS = ("chronopost", "colissimo", "dpd", "mondial_relay")
SHOP_HOURS = ["09:00-12:30 14:00-19:00"] * 5 + ["09:00-12:30", ""]
LATE_HOURS = ["08:00-20:00"] * 6 + ["09:00-13:00"]
ALWAYS = ["00:00-24:00"] * 7
SHOPS = ("Tabac", "Presse", "Supérette", "Fleuriste", "Pressing", "Librairie", "Épicerie", "Cordonnerie")
STREETS = ("rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Gambetta", "place de la Mairie")


def cities() -> list[dict[str, Any]]:
    with CITIES.open(encoding="utf-8") as file:
        return [
            {
                "city": row["city"],
                "latitude": float(row["latitude"]),
                "longitude": float(row["longitude"]),
                "spread_km": float(row["spread_km"]),
                "points": int(row["points"]),
                "postcodes": row["postcodes"].split(),
            }
            for row in csv.DictReader(file)
        ]


def _near(rng: random.Random, city: dict[str, Any], spread_km: float) -> tuple[float, float]:
    north, east = rng.gauss(0, spread_km / 2), rng.gauss(0, spread_km / 2)
    latitude = city["latitude"] + north / 111.2
    longitude = city["longitude"] + east / (111.2 * math.cos(math.radians(city["latitude"])))
    return round(latitude, 6), round(longitude, 6)


def point_row(rng: random.Random, prefix: str, number: int, city: dict[str, Any], spread_km: float) -> list[str]:
    """One point near the city: a relay mostly, a locker one time in five."""
    latitude, longitude = _near(rng, city, spread_km)
    locker = rng.random() < 0.2
    if locker:
        name, hours, weight, length = f"Consigne {city['city']} {number}", ALWAYS, "20", ""
        compartments = "8x38x64;19x38x64;39x38x64"
    else:
        name = f"{rng.choice(SHOPS)} {city['city']} {number}"
        hours = rng.choice((SHOP_HOURS, LATE_HOURS))
        weight, length, compartments = rng.choice(("20", "30")), rng.choice(("100", "120")), ""
    closures = "2026-08-03/2026-08-23" if not locker and rng.random() < 0.1 else ""
    return [
        f"{prefix}{number:06d}",
        name,
        f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
        rng.choice(city["postcodes"]),
        city["city"],
        "FR",
        f"{latitude:.6f}",
        f"{longitude:.6f}",
        "locker" if locker else "relay",
        *hours,
        closures,
        weight,
        length,
        compartments,
    ]


def directory_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


def synthetic_directory(count: int, seed: int, prefix: str = "P") -> bytes:
    """`count` points spread over the cities in proportion to their demo counts, wider (x4) so that
    a large directory is not stacked on a few streets."""
    rng = random.Random(seed)
    places = cities()
    chosen = rng.choices(places, [c["points"] for c in places], k=count)
    rows = [point_row(rng, prefix, n, city, city["spread_km"] * 4) for n, city in enumerate(chosen)]
    return directory_csv(rows)


def write_demo() -> None:
    """The demo directories: for each demo carrier, each city's count of points within its spread."""
    prefixes = {"chronopost": "CH", "colissimo": "CO", "dpd": "DP", "mondial_relay": "MR"}
    for seed, carrier in enumerate(CARRIERS):
        rng = random.Random(1000 + seed)
        rows = []
        for city in cities():
            for _ in range(city["points"]):
                rows.append(point_row(rng, prefixes[carrier], len(rows) + 1, city, city["spread_km"]))
        path = CITIES.parent / "pickup" / f"{carrier}.csv"
        path.write_bytes(directory_csv(rows))
        print(f"{path.relative_to(ROOT)}: {len(rows)} points")


# -- the benchmark


def _median_us(call: Any, rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        call()
        timings.append(time.perf_counter_ns() - start)
    return statistics.median(timings) / 1000


def _scan(latitudes: np.ndarray, longitudes: np.ndarray, lat: float, lon: float, n: int) -> np.ndarray:
    """Every point's haversine distance, then the n smallest: the scan the index replaces."""
    phi, lam = np.radians(lat), np.radians(lon)
    a = np.sin((latitudes - phi) / 2) ** 2 + np.cos(phi) * np.cos(latitudes) * np.sin((longitudes - lam) / 2) ** 2
    return np.argpartition(a, n)[:n]


def run() -> dict[str, Any]:
    from carriers.points import read_points_csv

    data = synthetic_directory(POINTS, seed=1)
    start = time.perf_counter()
    directory = read_points_csv(data)
    read_s = time.perf_counter() - start
    assert len(directory.points) == POINTS

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("TMS_DATABASE_URL", os.environ.get("TMS_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/b.db")
        from tms.app import create_app
        from tms.bootstrap import Container
        from tms.persistence.migrate import upgrade
        from tms.services.access import create_api_key
        from tms.services.pickup_points import load_point_index

        upgrade(os.environ["TMS_DATABASE_URL"])
        app = create_app()
        container: Container = app.extensions["tms"]
        now = container.now()
        _, secret = create_api_key(container.uow(), name="bench", role="manager", now=now)
        headers = {"Authorization": f"Bearer {secret}"}
        with container.uow() as uow:
            for code in CARRIERS:
                uow.carriers.ensure(code, code, now)
            uow.commit()
        client = app.test_client()
        uploads = []
        for number, code in enumerate(CARRIERS):
            body = data if number == 0 else synthetic_directory(POINTS, seed=1 + number)
            start = time.perf_counter()
            response = client.post(
                f"/api/v1/pickup-directories?carrier={code}&activate=true",
                data={"file": (io.BytesIO(body), f"{code}.csv")},
                headers=headers,
                content_type="multipart/form-data",
            )
            uploads.append(time.perf_counter() - start)
            assert response.status_code == 201, response.get_json()
        start = time.perf_counter()
        index = load_point_index(container.uow())
        build_s = time.perf_counter() - start
        assert index.point_count == POINTS * len(CARRIERS)

        at = datetime(2026, 3, 3, 10, 0)
        rng = random.Random(7)
        places = cities()
        probes = [_near(rng, c, c["spread_km"] * 2) for c in rng.choices(places, [c["points"] for c in places], k=200)]
        cycle = iter(probes * 1000)

        def nearest_one_carrier() -> None:
            lat, lon = next(cycle)
            index.nearest(lat, lon, 3, carriers=["colissimo"], radius_km=15, weight_g=2000, at=at)

        def nearest_all() -> None:
            lat, lon = next(cycle)
            index.nearest(lat, lon, 10, weight_g=2000, at=at)

        tree = index.by_carrier["colissimo"]
        lat_r = np.radians([p.latitude for p in tree.points])
        lon_r = np.radians([p.longitude for p in tree.points])

        def scan_one_carrier() -> None:
            lat, lon = next(cycle)
            _scan(lat_r, lon_r, lat, lon, 3)

        checkout_key = create_api_key(container.uow(), name="bench checkout", role="checkout", now=now)[1]
        checkout = {"Authorization": f"Bearer {checkout_key}"}

        def endpoint() -> None:
            lat, lon = next(cycle)
            response = client.get(f"/api/v1/pickup-points?lat={lat}&lon={lon}&limit=10", headers=checkout)
            assert response.status_code == 200

        timings = {
            "index.nearest, 1 carrier, N=3 within 15 km": _median_us(nearest_one_carrier, 3000),
            "index.nearest, 4 carriers, N=10": _median_us(nearest_all, 2000),
            "numpy scan of 20,000 points, 1 carrier, N=3": _median_us(scan_one_carrier, 2000),
            "GET /api/v1/pickup-points (limit 10)": _median_us(endpoint, 500),
        }
        container.close()

    print(f"\nPickup points: {POINTS:,}-point directories ({len(data) / 1e6:.1f} MB of CSV)")
    print(f"  read and checked (carriers.points.read_points_csv)   {read_s:7.2f} s")
    for code, seconds in zip(CARRIERS, uploads, strict=True):
        print(f"  upload {code:<14} (POST, stored, activated, index rebuilt) {seconds:7.2f} s")
    print(f"  index of {len(CARRIERS)} x {POINTS:,} points built from the store   {build_s:7.2f} s")
    print("Nearest points (median of calls, us):")
    for name, us in timings.items():
        print(f"  {name:<46} {us:9.1f}")
    return {
        "points": POINTS,
        "csv_mb": round(len(data) / 1e6, 2),
        "read_s": round(read_s, 3),
        "uploads_s": [round(s, 3) for s in uploads],
        "max_upload_s": MAX_UPLOAD_S,
        "index_build_s": round(build_s, 3),
        "median_us": {name: round(us, 1) for name, us in timings.items()},
        "quote": quote_cost(),
    }


def quote_cost(quotes: int = 20_000) -> dict[str, Any]:
    """What the pickup points add to the in-process quote (`quote_order`), on the quote benchmark's
    cards (10 carriers x 4 services, a pickup-point and a locker service each) with 4 of the carriers
    holding a 20,000-point directory: the same orders quoted without points, with points from a
    postcode first seen (the index's per-place caches emptied just before), from that postcode again,
    and with the shopper's coordinates, in alternation. The orders go to the postcodes of the demo
    cities (where the points are); each is a new order."""
    from bench.quote import build_book
    from bench.synthetic import random_order
    from carriers.points import read_points_csv
    from tms.api.quote_io import parse_quote_request
    from tms.domain.pickup_points import DirectoryRecord, DirectoryStatus
    from tms.services.pickup_points import CarrierPoints, PointIndex
    from tms.services.quoting import quote_order

    book = build_book()
    codes = [f"carrier{c:02d}" for c in range(10)]
    with_points = []
    for number, code in enumerate(codes[:4]):
        directory = read_points_csv(synthetic_directory(POINTS, seed=100 + number, prefix=code[-2:]))
        record = DirectoryRecord(
            number + 1, code, 1, DirectoryStatus.ACTIVE, "", POINTS, "csv", "", datetime.now(), "", None, None, {}
        )
        with_points.append(CarrierPoints(code, record, directory.points))
    index = PointIndex(with_points, codes)
    rng = random.Random(13)
    places = cities()
    weights = [c["points"] for c in places]

    def order(ref: int, coordinates: bool) -> Any:
        body = random_order(rng, ref)
        city = rng.choices(places, weights)[0]
        body["destination"] = {"country": "FR", "postcode": rng.choice(city["postcodes"]), "city": city["city"]}
        if coordinates:
            latitude, longitude = _near(rng, city, city["spread_km"])
            body["destination"].update(latitude=latitude, longitude=longitude)
        return parse_quote_request(body)

    for i in range(500):  # warm up, as the quote benchmark does
        quote_order(book, order(-i, False), index)
    timings: dict[str, list[float]] = {
        "without points": [],
        "points from the postcode": [],
        "a postcode first seen": [],
        "from coordinates": [],
    }
    offered = []
    for i in range(quotes):
        by_postcode, by_position = order(i, False), order(i, True)
        t0 = time.perf_counter_ns()
        quote_order(book, by_postcode)
        t1 = time.perf_counter_ns()
        index.forget_places()  # as if no quote had gone to this postcode since the index was built
        t2 = time.perf_counter_ns()
        quote_order(book, by_postcode, index)
        t3 = time.perf_counter_ns()
        result = quote_order(book, by_postcode, index)  # the postcode's points are known now
        t4 = time.perf_counter_ns()
        quote_order(book, by_position, index)
        t5 = time.perf_counter_ns()
        timings["without points"].append((t1 - t0) / 1000)
        timings["a postcode first seen"].append((t3 - t2) / 1000)
        timings["points from the postcode"].append((t4 - t3) / 1000)
        timings["from coordinates"].append((t5 - t4) / 1000)
        offered.append(len(result.points))
    medians = {name: round(statistics.median(values), 1) for name, values in timings.items()}
    base = medians["without points"]
    print(f"\nThe quote with pickup points ({quotes:,} orders, 4 carriers x {POINTS:,} points; median us)")
    for name, median in medians.items():
        extra = "" if name == "without points" else f"  (+{median - base:.1f})"
        print(f"  {name:<28} {median:8.1f}{extra}")
    print(f"  options offered with points per quote: {statistics.mean(offered):.1f}")
    return {
        "quotes": quotes,
        "median_us": medians,
        "added_us": {name: round(m - base, 1) for name, m in medians.items() if name != "without points"},
        "options_with_points": round(statistics.mean(offered), 1),
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["demo"]:
        write_demo()
    elif sys.argv[1:] == ["quote"]:
        quote_cost()
    else:
        run()
