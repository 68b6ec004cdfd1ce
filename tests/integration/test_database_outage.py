"""While the database is down or hung, known keys stay valid from the worker's cache, and a
revoked key still stops within seconds while the database answers."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import exc

from tms.api.auth import KeyCache
from tms.domain.access import ApiKey, Role

# --- the key cache, on its own ----------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def a_key(key_id: int = 1) -> ApiKey:
    return ApiKey(key_id, "shop", Role.CHECKOUT, "hash", "tms_abc", datetime(2026, 1, 1, tzinfo=UTC))


def database_down(_secret: str) -> ApiKey | None:
    raise exc.OperationalError("SELECT", {}, Exception("connection refused"))


def test_a_known_key_stays_valid_when_its_check_again_finds_the_database_down() -> None:
    clock, key = FakeClock(), a_key()
    cache = KeyCache(ttl_s=5, clock=clock)
    assert cache.lookup("tms_secret", lambda _s: key) == key
    clock.now += 6
    assert cache.lookup("tms_secret", database_down) == key
    clock.now += 60
    assert cache.lookup("tms_secret", database_down) == key


def test_a_revoked_key_stops_at_its_first_use_after_the_ttl_while_the_database_answers() -> None:
    clock = FakeClock()
    cache = KeyCache(ttl_s=5, clock=clock)
    assert cache.lookup("tms_secret", lambda _s: a_key()) is not None
    clock.now += 4
    assert cache.lookup("tms_secret", lambda _s: None) is not None  # still within the ttl
    clock.now += 2
    assert cache.lookup("tms_secret", lambda _s: None) is None


def test_a_check_again_that_hangs_does_not_hold_the_request_past_its_short_wait() -> None:
    clock, released = FakeClock(), threading.Event()
    cache = KeyCache(ttl_s=5, recheck_wait_s=0.05, clock=clock)
    cache.lookup("tms_secret", lambda _s: a_key())
    clock.now += 6

    def hung(_secret: str) -> ApiKey | None:
        released.wait(10)
        return None

    started = time.monotonic()
    try:
        answers = [cache.lookup("tms_secret", hung) for _ in range(50)]
        took = time.monotonic() - started
    finally:
        released.set()
    assert all(answer is not None for answer in answers)
    assert took < 1.0  # one request waited 0.05 s; the others did not wait for the same check


def test_a_key_never_seen_cannot_be_told_without_the_database() -> None:
    cache = KeyCache(ttl_s=5, clock=FakeClock())
    with pytest.raises(exc.OperationalError):
        cache.lookup("tms_unknown", database_down)


def test_a_flood_of_unknown_keys_does_not_push_known_keys_out() -> None:
    cache = KeyCache(ttl_s=5, max_entries=10, clock=FakeClock())
    cache.lookup("tms_known", lambda _s: a_key())
    for n in range(25):
        cache.lookup(f"tms_unknown_{n}", lambda _s: None)
    assert cache.lookup("tms_known", database_down) is not None
