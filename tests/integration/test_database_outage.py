"""While the database is down or hung, quotes keep answering from memory for known keys, writes and
`/healthz` answer 503 within the configured timeouts, and everything recovers without a restart.

The PostgreSQL tests start their own server (initdb + pg_ctl in a temporary directory, on a free
loopback port), stop it (`pg_ctl stop -m immediate`) or freeze it (SIGSTOP to the postmaster and
its backends), and print what they measured (run with `-s` to see it). Every load is bounded in
count and in time.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import exc, text

from tests.api.test_orders import an_order as a_paid_order
from tests.api.test_quotes import a_card, an_order
from tms.api.auth import KeyCache
from tms.app import create_app
from tms.domain.access import ApiKey, Role
from tms.persistence.db import ANSWER_GRACE_S, is_database_outage
from tms.persistence.migrate import upgrade
from tms.services.access import create_api_key

QUOTES, ORDERS = "/api/v1/quotes", "/api/v1/orders"
CONNECT_S = 2  # libpq's smallest connect timeout
STATEMENT_S = 2.0
HEALTH_S = 1.0
RETRY_AFTER_S = 7
KEY_TTL_S = 0.5  # short, so that every known key is checked again during each outage
MARGIN_S = 2.0  # scheduling on a shared machine; the bounds asserted are behaviour, not speed
QUOTES_PER_LOAD, LOAD_THREADS, LOAD_LIMIT_S = 500, 3, 60.0
HANG_LIMIT_S = 30.0  # a request still waiting then would wait as long as the database hangs


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


# --- which failures are outages ---------------------------------------------------------------


def test_an_unreachable_or_locked_database_is_an_outage_and_a_wrong_statement_is_not() -> None:
    assert is_database_outage(exc.TimeoutError("QueuePool limit reached"))
    assert is_database_outage(exc.OperationalError("x", {}, sqlite3.OperationalError("database is locked")))
    assert not is_database_outage(exc.OperationalError("x", {}, sqlite3.OperationalError("no such table: x")))
    assert not is_database_outage(exc.IntegrityError("x", {}, Exception("duplicate key")))
    assert not is_database_outage(ValueError("a bug"))


# --- SQLite: a write waiting for another writer's lock ----------------------------------------


def test_a_write_blocked_by_another_writer_answers_503_after_the_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    upgrade(url)
    app = create_app({"database_url": url, "database_statement_timeout_s": 0.5, "database_retry_after_s": 7})
    container = app.extensions["tms"]
    other_writer = sqlite3.connect(tmp_path / "locked.sqlite3", isolation_level=None)
    try:
        checkout = _headers(app, "checkout")
        client = app.test_client()
        assert client.post(ORDERS, json=a_paid_order(order_ref="L-1"), headers=checkout).status_code == 201
        other_writer.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        response = client.post(ORDERS, json=a_paid_order(order_ref="L-2"), headers=checkout)
        took = time.monotonic() - started
        other_writer.execute("ROLLBACK")
        assert response.status_code == 503, response.get_json()
        assert response.get_json()["code"] == "service_unavailable"
        assert set(response.get_json()) == {"status", "code", "message", "errors"}
        assert response.headers["Retry-After"] == "7"
        assert 0.4 < took < 0.5 + MARGIN_S
        assert client.post(ORDERS, json=a_paid_order(order_ref="L-2"), headers=checkout).status_code == 201
    finally:
        other_writer.close()
        container.close()


# --- PostgreSQL: a server of the test's own, stopped and frozen -------------------------------


def _postgres_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: [int(n) for n in re.findall(r"\d+", p)])
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresServer:
    """A throw-away PostgreSQL server on 127.0.0.1, run as the postgres user when we are root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_postgres = os.geteuid() == 0
        self.data = Path(tempfile.mkdtemp(prefix="tms-outage-pg-"))
        self.port = _free_port()
        self.frozen: list[int] = []
        if self.as_postgres:
            os.chown(self.data, pwd.getpwnam("postgres").pw_uid, -1)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.data / "log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-t", "60", "-l", log, "start")

    def stop_immediately(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def _postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def freeze(self) -> None:
        """SIGSTOP the postmaster, then every process it started (its backends and helpers)."""
        postmaster = self._postmaster()
        os.kill(postmaster, signal.SIGSTOP)
        self.frozen = [postmaster]
        for stat in glob.glob("/proc/[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == postmaster:
                    pid = int(stat.split("/")[2])
                    os.kill(pid, signal.SIGSTOP)
                    self.frozen.append(pid)

    def thaw(self) -> None:
        for pid in reversed(self.frozen):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.frozen = []

    def remove(self) -> None:
        self.thaw()
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.stop_immediately()
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL's binaries (initdb, pg_ctl) are not installed: the outage tests need a real server")
    if os.geteuid() == 0 and (shutil.which("runuser") is None or not _user_exists("postgres")):
        pytest.skip("running as root without a postgres user (and runuser) to run PostgreSQL as")
    server = PostgresServer(bindir)
    try:
        server.start()
        upgrade(server.url)
        yield server
    finally:
        server.remove()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _headers(app: Flask, role: str) -> dict[str, str]:
    container = app.extensions["tms"]
    _, secret = create_api_key(container.uow(), name=f"outage {role}", role=role, now=container.now())
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class Shop:
    """The app on the test's server, with a checkout key, a manager key and an active card."""

    app: Flask
    checkout: dict[str, str]
    manager: dict[str, str]
    writes: int = 0
    figures: list[str] = field(default_factory=list)

    def quote(self) -> int:
        return int(self.app.test_client().post(QUOTES, json=an_order(), headers=self.checkout).status_code)

    def write(self) -> tuple[Any, float]:
        self.writes += 1
        order = a_paid_order(order_ref=f"W-{id(self)}-{self.writes}")
        return within(HANG_LIMIT_S, lambda: self.app.test_client().post(ORDERS, json=order, headers=self.checkout))

    def health(self) -> tuple[int, float]:
        response, took = within(HANG_LIMIT_S, lambda: self.app.test_client().get("/healthz"))
        return response.status_code, took


def within(limit_s: float, call: Callable[[], Any]) -> tuple[Any, float]:
    """`call()` and how long it took; a failure rather than a hung test when it takes over `limit_s`."""
    outcome: list[Any] = []
    started = time.monotonic()
    worker = threading.Thread(target=lambda: outcome.append(call()), daemon=True)
    worker.start()
    worker.join(limit_s)
    if not outcome:
        pytest.fail(f"no answer within {limit_s:g} s: the request waits on the database")
    return outcome[0], time.monotonic() - started


@pytest.fixture()
def shop(postgres: PostgresServer) -> Iterator[Shop]:
    app = create_app(
        {
            "database_url": postgres.url,
            "database_connect_timeout_s": CONNECT_S,
            "database_statement_timeout_s": STATEMENT_S,
            "database_pool_timeout_s": STATEMENT_S,
            "database_health_timeout_s": HEALTH_S,
            "database_retry_after_s": RETRY_AFTER_S,
        }
    )
    app.extensions["tms_key_cache"] = KeyCache(ttl_s=KEY_TTL_S)
    container = app.extensions["tms"]
    shop = Shop(app, {}, {})
    try:
        shop.checkout, shop.manager = _headers(app, "checkout"), _headers(app, "manager")
        response = app.test_client().post("/api/v1/rate-cards?activate=true", json=a_card(), headers=shop.manager)
        assert response.status_code in (200, 201), response.get_json()  # stored by an earlier test, or now
        container.quote_book.refresh()
        assert shop.quote() == 200 and shop.write()[0].status_code == 201 and shop.health()[0] == 200
        yield shop
    finally:
        postgres.thaw()
        container.stop()
        for thread in threading.enumerate():  # a health probe or key check still out: done before the pool
            if thread.name in ("database-probe", "key-recheck"):
                thread.join(timeout=10)
        container.engine.dispose()
        for line in shop.figures:
            print(line)


@dataclass
class Load:
    answered: Counter[int]
    seconds: float
    slowest_s: float

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.answered.items() if status != 200)


def quote_load(quote: Callable[[], int], count: int = QUOTES_PER_LOAD, threads: int = LOAD_THREADS) -> Load:
    """`count` quotes from `threads` threads, stopping at LOAD_LIMIT_S whatever is left."""
    answered: Counter[int] = Counter()
    slowest = [0.0]
    lock = threading.Lock()
    started = time.monotonic()

    def worker(share: int) -> None:
        for _ in range(share):
            if time.monotonic() - started > LOAD_LIMIT_S:
                return
            before = time.monotonic()
            try:
                status = quote()
            except Exception:  # counted, not raised: the load must finish to be measured
                status = -1
            took = time.monotonic() - before
            with lock:
                answered[status] += 1
                slowest[0] = max(slowest[0], took)

    pool = [threading.Thread(target=worker, args=(count // threads + (n < count % threads),)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(LOAD_LIMIT_S + 30)
    return Load(answered, time.monotonic() - started, slowest[0])


def recover(shop: Shop) -> tuple[int, float]:
    """Writes until one succeeds (at most 20 tries or 30 s): how many failed first, and how long it took."""
    started, failed = time.monotonic(), 0
    while failed < 20 and time.monotonic() - started < 30:
        response, _took = shop.write()
        if response.status_code == 201:
            return failed, time.monotonic() - started
        assert response.status_code == 503, response.get_json()
        failed += 1
        time.sleep(0.2)
    pytest.fail(f"writes did not succeed again within 30 s ({failed} failed)")


def an_outage_is_survived(shop: Shop, kind: str, write_bound_s: float) -> None:
    """The checks common to both outages, with the database already down or frozen."""
    time.sleep(KEY_TTL_S + 0.1)  # every key the worker knows is now due for its check again
    status, health_s = shop.health()
    assert status == 503
    assert health_s < HEALTH_S + MARGIN_S
    response, write_s = shop.write()
    assert response.status_code == 503, response.get_json()
    body = response.get_json()
    assert body["code"] == "service_unavailable" and set(body) == {"status", "code", "message", "errors"}
    assert response.headers["Retry-After"] == str(RETRY_AFTER_S)
    assert write_s < write_bound_s
    load = quote_load(shop.quote)
    unknown = shop.app.test_client().post(QUOTES, json=an_order(), headers={"Authorization": "Bearer tms_never_seen"})
    shop.figures.append(
        f"{kind}: /healthz 503 in {health_s:.2f} s (its timeout {HEALTH_S:g} s); write 503 in {write_s:.2f} s "
        f"(timeouts add up to {write_bound_s - MARGIN_S:g} s, asserted < {write_bound_s:g} s); "
        f"{sum(load.answered.values())} quotes from {LOAD_THREADS} threads "
        f"in {load.seconds:.2f} s, {load.failed} failed, slowest {load.slowest_s * 1000:.0f} ms; "
        f"a key never seen: {unknown.status_code}"
    )
    assert sum(load.answered.values()) == QUOTES_PER_LOAD
    assert load.failed == 0, load.answered
    assert unknown.status_code == 503  # it may be valid: the store cannot tell, so not 401


@pytest.mark.slow
def test_quotes_keep_answering_and_writes_fail_fast_while_postgresql_is_stopped(
    shop: Shop, postgres: PostgresServer
) -> None:
    postgres.stop_immediately()
    try:
        an_outage_is_survived(shop, "stopped", write_bound_s=CONNECT_S + MARGIN_S)
    finally:
        postgres.start()
    failed, took = recover(shop)
    shop.figures.append(f"stopped: after the restart, writes succeed again in {took:.2f} s ({failed} failed first)")
    assert failed <= 1
    assert shop.health()[0] == 200 and shop.quote() == 200


def fill_the_pool(shop: Shop, connections: int = 4) -> None:
    """Leave `connections` idle connections in the pool, as a busy worker would have them."""
    engine = shop.app.extensions["tms"].engine
    held = [engine.connect() for _ in range(connections)]
    for connection in held:
        connection.close()


@pytest.mark.slow
def test_quotes_keep_answering_and_writes_fail_in_time_while_postgresql_is_frozen(
    shop: Shop, postgres: PostgresServer
) -> None:
    fill_the_pool(shop)
    postgres.freeze()
    try:
        # a pooled connection's ping waits the connect timeout, then a new connection as long
        an_outage_is_survived(shop, "frozen", write_bound_s=2 * CONNECT_S + MARGIN_S)
    finally:
        postgres.thaw()
    failed, took = recover(shop)
    shop.figures.append(f"frozen: after SIGCONT, writes succeed again in {took:.2f} s ({failed} failed first)")
    assert failed <= 1
    assert shop.health()[0] == 200 and shop.quote() == 200


@pytest.mark.slow
def test_a_statement_and_a_rollback_give_up_on_a_server_frozen_in_the_middle_of_a_transaction(
    shop: Shop, postgres: PostgresServer
) -> None:
    engine = shop.app.extensions["tms"].engine
    connection = engine.connect()
    connection.execute(text("SELECT 1"))  # the transaction is open, its connection checked out
    postgres.freeze()
    try:
        started = time.monotonic()
        error, took = within(HANG_LIMIT_S, lambda: _failure(lambda: connection.execute(text("SELECT 1"))))
        closing, closed_in = within(HANG_LIMIT_S, lambda: _failure(connection.close))
    finally:
        postgres.thaw()
    shop.figures.append(
        f"frozen mid-transaction: the statement gave up in {took:.2f} s "
        f"(statement timeout {STATEMENT_S:g} s + {ANSWER_GRACE_S:g} s), closing took {closed_in:.2f} s"
    )
    assert isinstance(error, exc.OperationalError) and is_database_outage(error)
    assert STATEMENT_S < took < STATEMENT_S + ANSWER_GRACE_S + MARGIN_S
    assert closing is None and closed_in < STATEMENT_S + ANSWER_GRACE_S + MARGIN_S
    assert time.monotonic() - started < 2 * (STATEMENT_S + ANSWER_GRACE_S + MARGIN_S)
    failed, _took = recover(shop)
    assert failed <= 1


def _failure(call: Callable[[], Any]) -> BaseException | None:
    try:
        call()
    except Exception as error:
        return error
    return None


@pytest.mark.slow
def test_a_revoked_key_stops_within_seconds_while_postgresql_is_up(shop: Shop) -> None:
    from tms.services.access import list_api_keys, revoke_api_key

    container = shop.app.extensions["tms"]
    assert shop.quote() == 200
    secret = shop.checkout["Authorization"].split()[1]
    checkout_key = next(k for k in list_api_keys(container.uow()) if k.display_prefix == secret[:10])
    revoke_api_key(container.uow(), checkout_key.id, container.now())
    time.sleep(KEY_TTL_S + 0.1)  # due for its check: the next request starts it (and waits 0.2 s for it)
    deadline = time.monotonic() + 5.0
    answers = [shop.quote()]
    while answers[-1] == 200 and time.monotonic() < deadline:
        time.sleep(0.05)
        answers.append(shop.quote())
    assert answers[-1] == 401, answers
    assert set(answers[:-1]) <= {200}
