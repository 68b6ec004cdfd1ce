"""What the entrypoints (API, CLI, scheduler) get from the wiring: the store, the clock, the settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from tms.services.capacity import LiveBookings
from tms.services.pickup_points import LivePointIndex
from tms.services.planning import PlanSettings
from tms.services.promises import PromiseWatch
from tms.services.quoting import LiveQuoteBook, QuoteBook, WarehouseSetup
from tms.services.unit_of_work import UnitOfWork


class ServiceContext(Protocol):
    settings: Any
    quote_book: LiveQuoteBook
    pickup_index: LivePointIndex
    bookings: LiveBookings
    warehouses: list[WarehouseSetup]
    plan_settings: PlanSettings
    promise_watch: PromiseWatch

    def uow(self) -> UnitOfWork: ...

    def now(self) -> datetime: ...

    def fresh_book(self) -> QuoteBook: ...
