"""The pickup days each carrier can still take, kept in memory for the checkout (`tms.domain.capacity`).

A quote reads the sold-out days from memory, never from the store. Each process adds the orders it
registers at once, and reloads every process's bookings from the store every few seconds (a
grouped count over the open orders), so that another worker's sales are seen within that time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import date

from tms.domain.capacity import Day, PickupBookings
from tms.domain.orders import Order
from tms.domain.plans import CarrierLimits
from tms.services.unit_of_work import UnitOfWork


def load_bookings(uow: UnitOfWork, limits: Mapping[str, CarrierLimits], today: date) -> PickupBookings:
    with uow:
        return PickupBookings(limits, uow.orders.bookings(since=today))


class LiveBookings:
    """The bookings in use, reloaded from the store every `poll_s` seconds by a thread of its own."""

    def __init__(self, load: Callable[[], PickupBookings], poll_s: float = 5.0) -> None:
        self._load = load
        self._poll_s = poll_s
        self._bookings: PickupBookings | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def current(self) -> PickupBookings:
        bookings = self._bookings
        if bookings is None or self._thread is None:
            with self._lock:
                if self._bookings is None:
                    self.refresh()
                if self._thread is None and self._poll_s > 0:
                    self._thread = threading.Thread(target=self._watch, name="pickup-bookings", daemon=True)
                    self._thread.start()
            bookings = self._bookings
        assert bookings is not None
        return bookings

    def full(self) -> frozenset[Day]:
        """The (warehouse, carrier, day) sold out: what a quote skips."""
        return self.current().full

    def book(self, order: Order) -> None:
        """A registered order's booking, seen by this process's next quote."""
        if order.carrier and order.ships_on is not None:
            bookings = self.current()  # a reload meanwhile reads this order from the store
            with self._lock:
                bookings.book(order.warehouse, order.carrier, order.ships_on, order.weight_g)

    def refresh(self) -> None:
        self._bookings = self._load()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stopped.wait(self._poll_s):
            try:
                self.refresh()
            except Exception:  # a database blip must not kill the watcher; the last bookings stay in use
                self._stopped.wait(1.0)
