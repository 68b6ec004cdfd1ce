"""Engine and session factory, created on demand by the app or the CLI (never at import).

With timeouts (the app and the scheduler pass them from the settings), no call waits on the
database for ever: connecting gives up after `connect_timeout_s`, the server cancels a statement
after `statement_timeout_s`, and a server that stops answering altogether (a frozen host, a
network cut) is given up by the client too, since its own timer cannot fire then.
"""

from __future__ import annotations

import inspect
import logging
import sqlite3
import threading
import time
from typing import Any

import psycopg
from psycopg.abc import PQGen
from sqlalchemy import Engine, create_engine, event, exc, make_url, text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

ANSWER_GRACE_S = 1.0  # past the statement timeout, a server that sent nothing back is unreachable
SQLITE_BUSY_TIMEOUT_S = 30.0  # how long SQLite waits for another writer's lock when not told
PROGRAM_LIMIT_SQLSTATE = "54"  # PostgreSQL "program limit exceeded": an OperationalError that is a bug
SQLITE_OUTAGE_WORDS = ("locked", "unable to open", "disk i/o error")
WAIT_TAKES_A_TIMEOUT = "timeout" in inspect.signature(psycopg.Connection.wait).parameters  # recent psycopg 3


def make_engine(
    url: str,
    *,
    connect_timeout_s: int | None = None,
    statement_timeout_s: float | None = None,
    pool_timeout_s: float | None = None,
    **options: Any,
) -> Engine:
    """An engine for `url`. Without timeouts (migrations, tests' own engines) it waits as long as
    the database takes; with them, see the module's docstring. On SQLite the statement timeout is
    the busy timeout (how long a write waits for another writer's lock). A timeout of 0 is none."""
    connect_timeout_s = connect_timeout_s or None
    statement_timeout_s = statement_timeout_s or None
    # An in-memory SQLite database has one connection per thread and no pool to wait for.
    if pool_timeout_s is not None and ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
        options["pool_timeout"] = pool_timeout_s
    if url.startswith("sqlite"):
        busy_s = SQLITE_BUSY_TIMEOUT_S if statement_timeout_s is None else statement_timeout_s
        engine = create_engine(url, connect_args={"timeout": busy_s}, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    connect_args: dict[str, Any] = dict(options.pop("connect_args", {}))
    if connect_timeout_s is not None:
        connect_args["connect_timeout"] = connect_timeout_s
    if statement_timeout_s is not None:
        given = make_url(url).query.get("options", connect_args.get("options", ""))
        given = " ".join(given) if isinstance(given, tuple) else given
        connect_args["options"] = f"{given} -c statement_timeout={round(statement_timeout_s * 1000)}".strip()
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **options)
    if url.startswith("postgresql+psycopg") and (connect_timeout_s is not None or statement_timeout_s is not None):
        if WAIT_TAKES_A_TIMEOUT:
            _bound_waits(engine, connect_timeout_s, statement_timeout_s)
        else:
            log.warning("psycopg %s cannot bound its waits: a hung server can hold requests", psycopg.__version__)
    return engine


def _bound_waits(engine: Engine, connect_timeout_s: int | None, statement_timeout_s: float | None) -> None:
    """Make psycopg give up on a server that does not answer: a checked-out connection waits at most
    the statement timeout plus a grace for any answer (a statement, a commit, a rollback), an idle
    pooled connection at most the connect timeout for the pool's liveness ping."""
    busy_s = None if statement_timeout_s is None else statement_timeout_s + ANSWER_GRACE_S
    idle_s = connect_timeout_s if connect_timeout_s is not None else busy_s

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.answer_timeout_s = idle_s  # the dialect's first queries are as short as a ping
        return connection

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.answer_timeout_s = busy_s  # after the pool's ping: now it runs real work

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.answer_timeout_s = idle_s


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection that waits at most `answer_timeout_s` for any answer of the server.

    Every exchange with the server (a statement, a commit, a rollback, a ping) goes through
    `wait`; past the deadline the connection is closed, as one whose server went away, and the
    pool replaces it."""

    answer_timeout_s: float | None = None

    def wait(self, gen: PQGen[Any], *args: Any, **kwargs: Any) -> Any:
        limit_s = self.answer_timeout_s
        if limit_s is None or len(args) > 1 or kwargs.get("timeout") is not None:
            return super().wait(gen, *args, **kwargs)
        started = time.monotonic()
        try:
            return super().wait(gen, *args, **{**kwargs, "timeout": limit_s})
        except psycopg.OperationalError as error:
            if self.closed or time.monotonic() - started < limit_s:
                raise
            self.pgconn.finish()  # the exchange was cut half-way: nothing more can be said on it
            raise psycopg.OperationalError(f"the database did not answer within {limit_s:g} s") from error


def is_database_outage(error: BaseException) -> bool:
    """Does `error` say the database could not be reached, or did not answer in time (rather than
    that a statement is wrong)? Such a failure is the store's, not the request's nor the code's."""
    if isinstance(error, exc.TimeoutError):  # no pooled connection came free within pool_timeout
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, exc.OperationalError):
        return False
    original = error.orig
    if isinstance(original, sqlite3.Error):  # SQLite says "no such table" with the same class
        return any(word in str(original).lower() for word in SQLITE_OUTAGE_WORDS)
    sqlstate = getattr(original, "sqlstate", None) or ""
    return not sqlstate.startswith(PROGRAM_LIMIT_SQLSTATE)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def database_is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure to reach the database means "not healthy", not a crash
        return False


class DatabaseProbe:
    """`database_is_reachable` with a deadline, for health checks: an answer within `timeout_s`
    whatever the database does. One probe runs at a time; callers meanwhile share its result."""

    def __init__(self, engine: Engine, timeout_s: float) -> None:
        self.engine = engine
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._running: _Probe | None = None

    def reachable(self) -> bool:
        with self._lock:
            probe = self._running
            if probe is None:
                probe = self._running = _Probe()
                threading.Thread(target=self._run, args=(probe,), daemon=True, name="database-probe").start()
        if not probe.done.wait(self.timeout_s):
            log.warning("the database did not answer the health check within %g s", self.timeout_s)
            return False
        return probe.reachable

    def _run(self, probe: _Probe) -> None:
        probe.reachable = database_is_reachable(self.engine)
        with self._lock:
            self._running = None
        probe.done.set()


class _Probe:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.reachable = False
