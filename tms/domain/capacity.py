"""The pickup days the checkout may still sell, carrier by carrier, at each warehouse.

The plan keeps each carrier's daily limits (config/carriers.toml: parcels and kg per pickup); a
checkout that sells a day past them makes a promise the plan cannot keep. So each open order
(pending or planned: not dispatched, cancelled or delivered) books one parcel and its weight on the
day the checkout showed it leaving (`Order.ships_on`), with its carrier, at its warehouse. A day is
full for a carrier at a warehouse once its bookings reach either limit; the checkout then dates that
carrier's options from its next pickup day with room (`pickup_with_room`), and an option that no
longer keeps the shopper's promise is left out as `carrier_full`.

One parcel per order is a floor: the plan merges a consignee's orders into fewer parcels, and a
large order may need more than one. The plan, which counts the parcels it packs, has the last word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from tms.domain.plans import CarrierLimits

# (warehouse, carrier, pickup day)
Day = tuple[str, str, date]


@dataclass(frozen=True)
class Booking:
    """What the open orders of one carrier at one warehouse book on one pickup day."""

    warehouse: str
    carrier: str
    ships_on: date
    orders: int
    weight_g: int


def full_days(bookings: Iterable[Booking], limits: Mapping[str, CarrierLimits]) -> frozenset[Day]:
    """The (warehouse, carrier, day) whose bookings reach the carrier's parcel or weight limit."""
    found = set()
    for b in bookings:
        limit = limits.get(b.carrier)
        if limit is None:
            continue
        if (limit.parcels_per_day is not None and b.orders >= limit.parcels_per_day) or (
            limit.weight_g_per_day is not None and b.weight_g >= limit.weight_g_per_day
        ):
            found.add((b.warehouse, b.carrier, b.ships_on))
    return frozenset(found)


class PickupBookings:
    """The bookings of the open orders, added to as orders are registered: what `full` reads."""

    def __init__(self, limits: Mapping[str, CarrierLimits], bookings: Iterable[Booking] = ()) -> None:
        self.limits = dict(limits)
        self._booked: dict[Day, list[int]] = {}
        for b in bookings:
            self._add((b.warehouse, b.carrier, b.ships_on), b.orders, b.weight_g)
        self.full: frozenset[Day] = full_days(self.bookings(), self.limits)

    def _add(self, day: Day, orders: int, weight_g: int) -> None:
        entry = self._booked.setdefault(day, [0, 0])
        entry[0] += orders
        entry[1] += weight_g

    def book(self, warehouse: str, carrier: str, ships_on: date, weight_g: int) -> None:
        """One more order on that day (the day turns full when it reaches a limit)."""
        day = (warehouse, carrier, ships_on)
        self._add(day, 1, weight_g)
        orders, grams = self._booked[day]
        if full_days([Booking(warehouse, carrier, ships_on, orders, grams)], self.limits):
            self.full = self.full | {day}

    def bookings(self) -> list[Booking]:
        return [Booking(w, c, d, n, g) for (w, c, d), (n, g) in sorted(self._booked.items())]
