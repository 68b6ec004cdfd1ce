"""Shared fixtures: a migrated database (SQLite, or PostgreSQL from TMS_TEST_DATABASE_URL),
emptied after every test, an app wired to it with a settable clock, and API keys per role."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text

from tms.app import create_app
from tms.bootstrap import Container
from tms.persistence.db import make_engine
from tms.persistence.migrate import upgrade
from tms.persistence.tables import Base
from tms.services.access import create_api_key
from tms.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent

# Property tests check behaviour, not speed: a loaded machine's pause of a few hundred milliseconds
# must not fail one as "too slow" (the default deadline is 200 ms per example).
hypothesis_settings.register_profile("tms", deadline=None)
hypothesis_settings.load_profile("tms")


class Clock:
    """A clock the test sets: `clock.now = datetime(...)`."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TMS_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as connection:  # start from an empty schema whatever an earlier run left
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def clock() -> Clock:
    return Clock()


# The threads a container starts to watch the store (quote book, pickup points, bookings), and
# those a request leaves to finish on their own (an API key checked again, a health probe).
WATCHERS = frozenset({"quote-book-watch", "pickup-index-watch", "pickup-bookings"})
ERRANDS = frozenset({"key-recheck", "database-probe"})
ERRAND_WAIT_S = 15.0  # past any connect or statement timeout a test sets


@pytest.fixture(autouse=True)
def no_database_thread_outlives_its_test() -> Iterator[None]:
    """A watcher left running reads the shared engine through later tests; one caught reading when
    the engine is disposed keeps its connection open outside the pool (a ResourceWarning, at random).
    The errands a request started end by themselves: the test waits for them."""
    before = set(threading.enumerate())
    yield
    for thread in threading.enumerate():
        if thread.name in ERRANDS and thread not in before:
            thread.join(ERRAND_WAIT_S)
    started = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    left = sorted(t.name for t in started if t.name in WATCHERS | ERRANDS)
    assert not left, f"the test left threads running on the database: {left} (stop the containers it made)"


@pytest.fixture()
def container(engine: Engine, database_url: str, clock: Clock) -> Iterator[Container]:
    settings = load_settings({"database_url": database_url})
    container = Container(settings=settings, engine=engine, clock=clock)
    yield container
    container.stop()
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture()
def container_with(
    engine: Engine, database_url: str, container: Container
) -> Iterator[Callable[[dict[str, Any]], Container]]:
    """`container_with({setting: value})`: another container on the same database and clock, with
    those settings; stopped after the test (its tables are emptied with the main container's)."""
    made: list[Container] = []

    def make(overrides: dict[str, Any]) -> Container:
        settings = load_settings({"database_url": database_url, **overrides})
        made.append(Container(settings=settings, engine=engine, clock=container.clock))
        return made[-1]

    yield make
    for other in made:
        other.stop()


@pytest.fixture()
def app(container: Container) -> Flask:
    app = create_app(container=container)
    app.config["TESTING"] = True
    return app


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _key(container: Container, role: str) -> dict[str, str]:
    _, secret = create_api_key(container.uow(), name=f"test {role}", role=role, now=container.now())
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture()
def manager(container: Container) -> dict[str, str]:
    """Headers of a manager's key."""
    return _key(container, "manager")


@pytest.fixture()
def checkout(container: Container) -> dict[str, str]:
    return _key(container, "checkout")


@pytest.fixture()
def admin(container: Container) -> dict[str, str]:
    return _key(container, "admin")
