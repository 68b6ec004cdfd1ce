"""Wiring: settings -> engine -> unit-of-work factory. Built by create_app() or the CLI, never at import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from tms.persistence.db import make_engine, make_session_factory
from tms.persistence.unit_of_work import SqlUnitOfWork
from tms.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    """What use cases need from the outside world, in one place."""

    settings: Settings
    engine: Engine
    clock: Callable[[], datetime] = field(default=utc_now)

    def __post_init__(self) -> None:
        self._session_factory = make_session_factory(self.engine)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory)

    def now(self) -> datetime:
        return self.clock()


def build_container(settings: Settings) -> Container:
    return Container(settings=settings, engine=make_engine(settings.database_url))
