"""In-process quote latency on the synthetic card set (10 carriers x 4 services x 30 zones x 30 brackets)."""

from __future__ import annotations

import random
import statistics
import time
import timeit
from datetime import date
from typing import Any

import orjson

from bench.synthetic import random_order, synthetic_cards
from tms.api.quote_io import parse_quote_request, quote_json
from tms.domain.delivery import Warehouse
from tms.domain.policy import ShippingPolicy, WarehouseCosts
from tms.services.quoting import QuoteBook, WarehouseSetup, quote_order


def build_book() -> QuoteBook:
    warehouse = WarehouseSetup(Warehouse("PAR1"), WarehouseCosts(50, 150, 200))
    return QuoteBook.of_cards(synthetic_cards(), ShippingPolicy(free_above_cents=4900), [warehouse])


def reference_loop_us() -> float:
    """This machine's speed at plain Python: `python -m timeit "sum(range(1000))"` (best of 5), in us.
    Figures from machines that differ here do not compare directly."""
    return round(min(timeit.repeat("sum(range(1000))", number=2_000, repeat=5)) / 2_000 * 1e6, 1)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(quotes: int = 20_000) -> dict[str, Any]:
    book = build_book()
    rng = random.Random(11)
    for i in range(500):  # warm up: the holiday calendars, the lanes of the common destinations
        quote_order(book, parse_quote_request(random_order(rng, -i)))
    # Every measured order is a new one: nothing is answered from an earlier identical request.
    bodies = [orjson.dumps(random_order(rng, i)) for i in range(quotes)]
    requests = [parse_quote_request(orjson.loads(b)) for b in bodies]

    quote_us, full_us, options = [], [], []
    for body, request in zip(bodies, requests, strict=True):
        t0 = time.perf_counter_ns()
        result = quote_order(book, request)
        t1 = time.perf_counter_ns()
        quote_json(quote_order(book, parse_quote_request(orjson.loads(body))))
        t2 = time.perf_counter_ns()
        quote_us.append((t1 - t0) / 1000)
        full_us.append((t2 - t1) / 1000)
        options.append(len(result.options))
    row = {
        "reference_loop_us": reference_loop_us(),
        "quotes": quotes,
        "services": sum(len(live.services) for _, live in book.cards_on(date.max)),
        "mean_options": round(statistics.mean(options), 1),
        "quote_median_us": round(statistics.median(quote_us), 1),
        "quote_p99_us": round(_percentile(quote_us, 0.99), 1),
        "with_json_median_us": round(statistics.median(full_us), 1),
        "with_json_p99_us": round(_percentile(full_us, 0.99), 1),
    }
    print(
        "\nQuote, in process (one-parcel orders; '+JSON' adds request parsing and writing the JSON answer);"
        f" reference loop sum(range(1000)): {row['reference_loop_us']} us"
    )
    header = ("quotes", "services", "options", "median us", "p99 us", "+JSON med", "+JSON p99")
    print(" ".join(f"{h:>10}" for h in header))
    keys = ("quotes", "services", "mean_options", "quote_median_us", "quote_p99_us")
    print(" ".join(f"{row[k]:>10}" for k in (*keys, "with_json_median_us", "with_json_p99_us")))
    return row


if __name__ == "__main__":
    run()
