"""In-process quote latency on the synthetic card set (10 carriers x 4 services x 30 zones x 30 brackets).

Two books in the same run: the cards alone, and the cards with learned delivery times on every lane
(160 delivered parcels each, 32 per pickup weekday, so every weekday cell has figures of its own):
the price of each option's on-time probability and observed days."""

from __future__ import annotations

import random
import statistics
import time
import timeit
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from bench.synthetic import random_order, synthetic_cards
from tms.api.quote_io import parse_quote_request, quote_json
from tms.domain.capacity import Day
from tms.domain.delivery import Warehouse
from tms.domain.policy import ShippingPolicy, WarehouseCosts
from tms.domain.tracking import DeliveredRecord
from tms.services.quoting import LiveQuoteBook, QuoteBook, WarehouseSetup, quote_order


def build_book(learned: bool = False) -> QuoteBook:
    cards = synthetic_cards()
    return book_of(cards, delivered_everywhere(cards) if learned else [])


def book_of(cards: list[Any], deliveries: list[DeliveredRecord]) -> QuoteBook:
    warehouse = WarehouseSetup(Warehouse("PAR1"), WarehouseCosts(50, 150, 200))
    return QuoteBook.of_cards(
        cards, ShippingPolicy(free_above_cents=4900), [warehouse], deliveries=deliveries, today=LEARNED_ON
    )


LEARNED_ON = date(2026, 3, 31)


def delivered_everywhere(cards: list[Any]) -> list[DeliveredRecord]:
    """160 parcels per (carrier, service, zone), to a postcode of the zone, picked up over the 5
    weekdays of March 2026's last 32 weeks' worth of days and delivered 1 to 3 days later."""
    records = []
    rng = random.Random(5)
    for card in cards:
        for zone in card.zones:
            entry = zone.entries[0]
            prefix = entry.prefix.split(",")[0] if entry.prefix else ""
            postcode = (prefix + "000")[:5] if entry.country == "FR" else "1000"
            for service in card.services:
                for n in range(160):
                    picked = datetime(2026, 3, 2, 16, 0, tzinfo=UTC) + timedelta(days=n % 5 + 7 * (n // 5 % 3))
                    arrived = picked + timedelta(days=rng.choice((1, 1, 2, 3)))
                    records.append(
                        DeliveredRecord(
                            len(records),
                            f"T{len(records)}",
                            card.carrier_code,
                            service.code,
                            entry.country,
                            postcode,
                            picked.date(),
                            picked,
                            arrived,
                        )
                    )
    return records


def reference_loop_us() -> float:
    """This machine's speed at plain Python: `python -m timeit "sum(range(1000))"` (best of 5), in us.
    Figures from machines that differ here do not compare directly."""
    return round(min(timeit.repeat("sum(range(1000))", number=2_000, repeat=5)) / 2_000 * 1e6, 1)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def sold_out_mondays(book: QuoteBook) -> frozenset[Day]:
    """Every carrier's Monday pickups sold out at every warehouse, all year: the quotes that would ship
    on a Monday are dated from the carrier's Tuesday (`tms.domain.capacity`)."""
    first = date(2026, 1, 5)
    mondays = [first + timedelta(weeks=n) for n in range(60)]
    return frozenset((w, c, d) for w in book.warehouses for c in book.carriers for d in mondays)


def measure(book: QuoteBook, quotes: int, full: frozenset[Day] = frozenset()) -> dict[str, Any]:
    rng = random.Random(11)
    for i in range(500):  # warm up: the holiday calendars, the lanes of the common destinations
        quote_order(book, parse_quote_request(random_order(rng, -i)))
    # Every measured order is a new one: nothing is answered from an earlier identical request.
    bodies = [orjson.dumps(random_order(rng, i)) for i in range(quotes)]
    requests = [parse_quote_request(orjson.loads(b)) for b in bodies]

    quote_us, full_us, options = [], [], []
    for body, request in zip(bodies, requests, strict=True):
        t0 = time.perf_counter_ns()
        result = quote_order(book, request, full=full)
        t1 = time.perf_counter_ns()
        quote_json(quote_order(book, parse_quote_request(orjson.loads(body)), full=full))
        t2 = time.perf_counter_ns()
        quote_us.append((t1 - t0) / 1000)
        full_us.append((t2 - t1) / 1000)
        options.append(len(result.options))
    return {
        "quotes": quotes,
        "services": sum(len(live.services) for _, live in book.cards_on(date.max)),
        "learned_lanes": len(book.learned),
        "mean_options": round(statistics.mean(options), 1),
        "quote_median_us": round(statistics.median(quote_us), 1),
        "quote_p99_us": round(_percentile(quote_us, 0.99), 1),
        "with_json_median_us": round(statistics.median(full_us), 1),
        "with_json_p99_us": round(_percentile(full_us, 0.99), 1),
    }


def while_deliveries_arrive(
    cards: list[Any], deliveries: list[DeliveredRecord], refresh_s: float, seconds: float = 12.0
) -> dict[str, Any]:
    """Quotes for `seconds` from a LiveQuoteBook (polling every 0.25 s, as served) while a delivery
    is recorded every 0.5 s, each rebuild the whole book with learned times. `refresh_s` is
    `learning.refresh_s`: 0 rebuilds for every delivery, as before it existed."""
    builds = 0

    def load() -> QuoteBook:
        nonlocal builds
        builds += 1
        return book_of(cards, deliveries)

    book = LiveQuoteBook(
        load=load,
        signature=lambda: "cards unchanged",
        deliveries=lambda: int(time.monotonic() / 0.5),  # the newest delivery's id, one more per 0.5 s
        deliveries_every_s=refresh_s,
    )
    rng = random.Random(13)
    requests = [parse_quote_request(random_order(rng, i)) for i in range(2_000)]
    book.current()  # the first build, before the clock starts
    quote_us = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:  # bounded by the clock; the orders go round
        for request in requests[len(quote_us) % len(requests) :][:100]:
            t0 = time.perf_counter_ns()
            quote_order(book.current(), request)
            quote_us.append((time.perf_counter_ns() - t0) / 1000)
    book.stop()
    return {
        "refresh_s": refresh_s,
        "seconds": seconds,
        "rebuilds": builds - 1,
        "quotes_per_s": round(len(quote_us) / seconds),
        "quote_median_us": round(statistics.median(quote_us), 1),
        "quote_p99_us": round(_percentile(quote_us, 0.99), 1),
    }


def run(quotes: int = 20_000) -> dict[str, Any]:
    reference = reference_loop_us()
    synthetic = synthetic_cards()
    deliveries = delivered_everywhere(synthetic)
    started = time.perf_counter()  # the book alone: the cards are read and the history made already
    learned_book = book_of(synthetic, deliveries)
    build_s = round(time.perf_counter() - started, 2)
    cards = book_of(synthetic, [])
    rows = {
        "cards only": measure(cards, quotes),
        "with learned times": measure(learned_book, quotes),
        "sold-out Mondays": measure(cards, quotes, sold_out_mondays(cards)),
    }
    print(
        "\nQuote, in process (one-parcel orders; '+JSON' adds request parsing and writing the JSON answer);"
        f" reference loop sum(range(1000)): {reference} us; the book with learned times"
        f" ({len(deliveries):,} deliveries) built in {build_s} s"
    )
    header = ("book", "quotes", "services", "lanes", "options", "median us", "p99 us", "+JSON med", "+JSON p99")
    print(f"{header[0]:>20} " + " ".join(f"{h:>10}" for h in header[1:]))
    keys = ("quotes", "services", "learned_lanes", "mean_options", "quote_median_us", "quote_p99_us")
    for name, row in rows.items():
        values = (*keys, "with_json_median_us", "with_json_p99_us")
        print(f"{name:>20} " + " ".join(f"{row[k]:>10}" for k in values))
    streaming = [while_deliveries_arrive(synthetic, deliveries, refresh_s) for refresh_s in (0.0, 60.0)]
    print(
        "\nQuotes from the live book while a delivery is recorded every 0.5 s (each rebuild: the whole"
        " book with learned times, in a thread of this process)"
    )
    header = ("learning.refresh_s", "seconds", "rebuilds", "quotes/s", "median us", "p99 us")
    print(f"{header[0]:>20} " + " ".join(f"{h:>10}" for h in header[1:]))
    for row in streaming:
        values = ("seconds", "rebuilds", "quotes_per_s", "quote_median_us", "quote_p99_us")
        print(f"{row['refresh_s']:>20} " + " ".join(f"{row[k]:>10}" for k in values))
    return {
        "reference_loop_us": reference,
        "learned_book_build_s": build_s,
        **rows,
        "while_deliveries_arrive": streaming,
    }


if __name__ == "__main__":
    run()
