"""The app's own cost per request, in process: the WSGI app called directly, no server, no network.

The HTTP benchmark's throughput swings with whatever else the machine runs; this one
isolates what the app spends per answer, so that a change to the quote path can be
judged on its own. It builds the app on a fresh SQLite database holding the synthetic
cards (as the HTTP benchmark does) and calls it with prepared WSGI environs: `GET /ping`,
quotes of 2,000 distinct orders (full and summary views) and Shopify callbacks of 1,000, in alternating batches of
400 requests, twelve rounds. Each figure is the fastest round's mean, the steadiest
statistic on a shared machine.

A second pass times the quote endpoint's parts inside those requests (reading the key and
the body, parsing the order, quoting, writing the answer): in context, with the rest of
the request between two calls, each costs more than alone in a loop.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.http import QUOTES, SHOPIFY, _load
from bench.synthetic import random_order, random_shopify_rate

Environ = tuple[dict[str, Any], bytes]
QUOTE_PARTS = ["json_object", "parse_quote_body", "quote_order", "quote_json"]


def _environ(path: str, key: str, body: dict[str, Any] | None = None) -> Environ:
    from werkzeug.test import EnvironBuilder

    if body is None:
        environ = EnvironBuilder(path=path).get_environ()
    else:
        environ = EnvironBuilder(
            path=path,
            method="POST",
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        ).get_environ()
    return environ, environ["wsgi.input"].read()


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
    if not status.startswith("200"):
        raise AssertionError(f"the benchmark's request was answered {status}")


def _batch(app: Callable[..., Any], environs: list[Environ], start: int, size: int) -> float:
    """Mean microseconds per request over `size` requests taken in turn from `environs`."""
    prepared = []
    for i in range(start, start + size):
        environ, body = environs[i % len(environs)]
        prepared.append({**environ, "wsgi.input": io.BytesIO(body)})
    t0 = time.perf_counter_ns()
    for environ in prepared:
        answer = app(environ, _start_response)
        b"".join(answer)
        answer.close()
    return (time.perf_counter_ns() - t0) / size / 1000


def _fastest(
    app: Callable[..., Any], named: dict[str, list[Environ]], rounds: int = 12, size: int = 400
) -> dict[str, float]:
    for environs in named.values():  # warm up: lanes, windows, kept JSON fragments
        _batch(app, environs, 0, len(environs))
    means: dict[str, list[float]] = {name: [] for name in named}
    for r in range(rounds):  # alternate, so a slow spell of the machine weighs on each alike
        for name, environs in named.items():
            means[name].append(_batch(app, environs, r * size, size))
    return {name: round(min(values), 1) for name, values in means.items()}


@contextmanager
def _timed(module: Any, names: list[str], spent: dict[str, int]) -> Iterator[None]:
    """Within the block, calls of `module.<name>` add their nanoseconds to `spent[name]`."""
    originals = {name: getattr(module, name) for name in names}

    def timer(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter_ns()
            try:
                return original(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter_ns() - t0

        return timed

    for name, original in originals.items():
        spent[name] = 0
        setattr(module, name, timer(name, original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(module, name, original)


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TMS_DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        tms = str(Path(sys.executable).parent / "tms")
        subprocess.run([tms, "db", "upgrade"], env=dict(os.environ), check=True, capture_output=True)
        key = _load(dict(os.environ), tmp)

        from tms.api import auth, quotes
        from tms.app import create_app

        app = create_app()
        rng = random.Random(5)
        orders = [random_order(rng, i) for i in range(2000)]
        named = {
            "/ping": [_environ("/ping", key)],
            QUOTES: [_environ(QUOTES, key, order) for order in orders],
            f"{QUOTES} (summary)": [_environ(QUOTES, key, {**order, "view": "summary"}) for order in orders],
            SHOPIFY: [_environ(SHOPIFY, key, random_shopify_rate(rng)) for _ in range(1000)],
        }
        row: dict[str, Any] = {"us_per_request": _fastest(app, named)}
        parts: dict[str, list[float]] = {}
        for r in range(8):  # each part's fastest round, as for the endpoints
            spent: dict[str, int] = {}
            with _timed(auth, ["_authenticated_key"], spent), _timed(quotes, QUOTE_PARTS, spent):
                _batch(app, named[QUOTES], r * 400, 400)
            for name, ns in spent.items():
                parts.setdefault(name, []).append(ns / 400 / 1000)
        row["quote_parts_us"] = {name: round(min(us), 1) for name, us in parts.items()}
    per = row["us_per_request"]
    print("\nThe app in process (WSGI called directly, no server): us per request, fastest round's mean")
    print(f"{'endpoint':<40} {'us':>7} {'above /ping':>12}")
    for name, us in per.items():
        print(f"{name:<40} {us:>7.1f} {us - per['/ping']:>12.1f}")
    print("Inside the quote's requests (us per request, fastest round's mean; the rest is Flask's and the response's):")
    for name, us in row["quote_parts_us"].items():
        print(f"  {name:<38} {us:>7.1f}")
    return row


if __name__ == "__main__":
    run()
