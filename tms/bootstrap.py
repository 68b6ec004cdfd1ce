"""Wiring: settings -> engine -> unit-of-work factory. Built by create_app() or the CLI, never at import."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from carriers.model import WEEKDAY_NAMES
from tms.domain.delivery import Warehouse
from tms.domain.policy import WarehouseCosts
from tms.persistence.db import make_engine, make_session_factory
from tms.persistence.unit_of_work import SqlUnitOfWork
from tms.services.quoting import LiveQuoteBook, WarehouseSetup, load_quote_book, quote_inputs_signature
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
        self.warehouses = load_warehouses(self.settings.path(self.settings.warehouses_file))
        self.quote_book = LiveQuoteBook(
            load=lambda: load_quote_book(self.uow(), self.warehouses),
            signature=lambda: quote_inputs_signature(self.uow()),
        )

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory)

    def now(self) -> datetime:
        return self.clock()


def build_container(settings: Settings) -> Container:
    return Container(settings=settings, engine=make_engine(settings.database_url))


def _weekdays(names: list[str]) -> frozenset[int]:
    return frozenset(WEEKDAY_NAMES.index(name[:3].title()) for name in names)


def _cents(value: Any) -> int:
    return int(Decimal(str(value)) * 100)


def load_warehouses(path: Path) -> list[WarehouseSetup]:
    """Warehouses from TOML (see config/warehouses.toml); the first is the default origin."""
    entries = tomllib.loads(path.read_text())["warehouses"]
    setups = []
    for entry in entries:
        hours, minutes = (int(part) for part in entry.get("order_cutoff", "15:00").split(":"))
        warehouse = Warehouse(
            code=entry["code"],
            country=entry.get("country", "FR"),
            timezone=entry.get("timezone", "Europe/Paris"),
            order_cutoff=time(hours, minutes),
            handling_days=int(entry.get("handling_days", 0)),
            working_weekdays=_weekdays(entry.get("working_days", ["Mon", "Tue", "Wed", "Thu", "Fri"])),
        )
        costs = WarehouseCosts(
            packaging_cents=_cents(entry.get("packaging", 0)),
            handling_cents=_cents(entry.get("handling", 0)),
            indirect_cents=_cents(entry.get("indirect", 0)),
        )
        setups.append(WarehouseSetup(warehouse, costs, entry.get("name", "")))
    return setups
