"""Wiring: settings -> engine -> unit-of-work factory. Built by create_app() or the CLI, never at import."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from carriers.model import WEEKDAY_NAMES
from solvers.boxing import BoxType
from tms.domain.delivery import NIGHT_RUN, Warehouse
from tms.domain.plans import CarrierLimits
from tms.domain.policy import WarehouseCosts
from tms.domain.units import cents_from_amount, grams_from_kg, mm_from_cm
from tms.persistence.db import make_engine, make_session_factory
from tms.persistence.unit_of_work import SqlUnitOfWork
from tms.services.capacity import LiveBookings, load_bookings
from tms.services.packing import refuse_uncarriable_boxes
from tms.services.pickup_points import LivePointIndex, load_point_index, point_index_signature
from tms.services.planning import PlanSettings
from tms.services.promises import PromiseWatch
from tms.services.quoting import (
    DeliveryLearning,
    LiveQuoteBook,
    QuoteBook,
    WarehouseSetup,
    deliveries_signature,
    load_quote_book,
    quote_inputs_signature,
)
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
        self.warehouses = load_warehouses(
            self.settings.path(self.settings.warehouses_file), night_run=_clock(self.settings.consolidation_run_at)
        )
        self.plan_settings = load_plan_settings(self.settings)
        self.learning = DeliveryLearning(
            min_deliveries=self.settings.learning_min_deliveries,
            half_life_days=self.settings.learning_half_life_days,
            min_on_time_probability=self.settings.quote_min_on_time_probability,
            timezone=self.settings.timezone,
            refresh_s=self.settings.learning_refresh_s,
        )
        self.quote_book = LiveQuoteBook(
            load=lambda: load_quote_book(self.uow(), self.warehouses, self.today(), self.learning),
            signature=lambda: quote_inputs_signature(self.uow(), self.today()),
            deliveries=lambda: deliveries_signature(self.uow()),
            deliveries_every_s=self.learning.refresh_s,
        )
        self.pickup_index = LivePointIndex(
            load=lambda known: load_point_index(self.uow(), known, radius_km=self.settings.pickup_radius_km),
            signature=lambda: point_index_signature(self.uow()),
        )
        self.bookings = LiveBookings(
            load=lambda: load_bookings(self.uow(), self.plan_settings.carrier_limits, self.today()),
            poll_s=self.settings.quote_bookings_poll_s,
        )
        self.promise_watch = PromiseWatch(
            timezone=self.settings.timezone,
            public_url=self.settings.public_url,
            compensation_code=self.settings.promises_compensation_code,
            feedback_url=self.settings.promises_feedback_url,
            point=lambda carrier, point_id: self.pickup_index.current().point(carrier, point_id),
            figures=lambda lane: self.quote_book.current().learned.get(lane),
        )

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today in the business's time zone (settings.timezone)."""
        return self.now().astimezone(ZoneInfo(self.settings.timezone)).date()

    def stop(self) -> None:
        """Stop watching the store: the watchers' threads end, their last copies stay in use."""
        self.quote_book.stop()
        self.pickup_index.stop()
        self.bookings.stop()

    def close(self) -> None:
        """Stop watching the store and close the database connections. A watcher still reading when
        the pool is disposed would keep its connection open, outside any pool, until collected."""
        self.stop()
        self.engine.dispose()

    def fresh_book(self) -> QuoteBook:
        """The cards as stored right now (the nightly run does not rely on a watcher's copy)."""
        return load_quote_book(self.uow(), self.warehouses, self.today(), self.learning)

    def refuse_uncarriable_boxes(self) -> None:
        """Raise UncarriableBoxes for a configured box type that no service of the cards in force today
        carries. Box types are read with the settings, cards live in the store: this is checked where
        both are known, when the planning scheduler (or a run by hand) starts; an empty store passes."""
        in_force = self.fresh_book().timeline.all_in_force(self.today())
        refuse_uncarriable_boxes(self.plan_settings.box_types, [(c, v.card.compiled) for c, v in in_force])


def build_container(settings: Settings) -> Container:
    engine = make_engine(
        settings.database_url,
        connect_timeout_s=settings.database_connect_timeout_s,
        statement_timeout_s=settings.database_statement_timeout_s,
        pool_timeout_s=settings.database_pool_timeout_s,
    )
    return Container(settings=settings, engine=engine)


def _weekdays(names: list[str]) -> frozenset[int]:
    return frozenset(WEEKDAY_NAMES.index(name[:3].title()) for name in names)


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time(hours, minutes)


def load_warehouses(path: Path, night_run: time = NIGHT_RUN) -> list[WarehouseSetup]:
    """Warehouses from TOML (see config/warehouses.toml); the first is the default origin. Without
    `planning_runs`, a warehouse plans at `night_run` and at its order cut-off."""
    entries = tomllib.loads(path.read_text())["warehouses"]
    setups = []
    for entry in entries:
        cutoff = _clock(entry.get("order_cutoff", "15:00"))
        runs = tuple(_clock(t) for t in entry.get("planning_runs", [])) or (night_run, cutoff)
        warehouse = Warehouse(
            code=entry["code"],
            country=entry.get("country", "FR"),
            timezone=entry.get("timezone", "Europe/Paris"),
            order_cutoff=cutoff,
            handling_days=int(entry.get("handling_days", 0)),
            working_weekdays=_weekdays(entry.get("working_days", ["Mon", "Tue", "Wed", "Thu", "Fri"])),
            postcode=str(entry.get("postcode", "")),
            planning_runs=runs,
        )
        costs = WarehouseCosts(
            packaging_cents=cents_from_amount(entry.get("packaging", 0)),
            handling_cents=cents_from_amount(entry.get("handling", 0)),
            indirect_cents=cents_from_amount(entry.get("indirect", 0)),
        )
        setups.append(WarehouseSetup(warehouse, costs, entry.get("name", "")))
    return setups


def load_plan_settings(settings: Settings) -> PlanSettings:
    """Box types, carrier capacities and solver limits for the nightly run."""
    boxes = [
        BoxType(
            code=entry["code"],
            inner_length_mm=mm_from_cm(entry["inner_cm"][0]),
            inner_width_mm=mm_from_cm(entry["inner_cm"][1]),
            inner_height_mm=mm_from_cm(entry["inner_cm"][2]),
            max_weight_g=grams_from_kg(entry["max_kg"]),
            cost_cents=cents_from_amount(entry["cost"]),
        )
        for entry in tomllib.loads(settings.path(settings.consolidation_boxes_file).read_text())["boxes"]
    ]
    limits = {
        code: CarrierLimits(
            parcels_per_day=entry.get("parcels_per_day"),
            weight_g_per_day=None if entry.get("kg_per_day") is None else grams_from_kg(entry["kg_per_day"]),
        )
        for code, entry in tomllib.loads(settings.path(settings.consolidation_carriers_file).read_text()).items()
    }
    return PlanSettings(
        box_types=tuple(boxes),
        carrier_limits=limits,
        holding=settings.consolidation_holding,
        hold_cost_cents=cents_from_amount(settings.consolidation_hold_cost),
        fill_ratio=settings.consolidation_fill_ratio,
        time_limit_s=settings.consolidation_time_limit_s,
        workers=settings.consolidation_workers,
    )
