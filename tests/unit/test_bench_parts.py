"""The benchmarks time the quote's parts by name: each name must still be a part of the code."""

from __future__ import annotations

from bench.wsgi import QUOTE_PARTS
from tms.api import auth, quotes


def test_every_part_the_wsgi_benchmark_times_exists() -> None:
    assert [name for name in QUOTE_PARTS if not callable(getattr(quotes, name, None))] == []
    assert callable(getattr(auth, "_authenticated_key", None))
