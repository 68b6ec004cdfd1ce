"""The checkout sells a carrier's pickup day only while the carrier has room: bookings per warehouse,
carrier and day against the daily limits, the next pickup day with room, and the quote dated from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from carriers.readers import read_json
from tests.documents import a_service_document
from tests.unit.test_quoting import WAREHOUSE, a_france_card
from tms.domain.capacity import Booking, PickupBookings, full_days
from tms.domain.delivery import CarrierSchedule, Warehouse, pickup_with_room
from tms.domain.parcels import Parcel
from tms.domain.plans import CarrierLimits
from tms.domain.policy import Cart, ShippingPolicy
from tms.domain.quotes import Destination, Promise, QuoteRequest
from tms.services.quoting import QuoteBook, quote_order

MONDAY = date(2026, 3, 2)
LIMITS = {"alpha": CarrierLimits(parcels_per_day=2), "beta": CarrierLimits(weight_g_per_day=5000)}


def test_a_day_is_full_once_its_bookings_reach_the_parcel_or_the_weight_limit() -> None:
    bookings = PickupBookings(LIMITS)
    bookings.book("PAR1", "alpha", MONDAY, 100)
    assert bookings.full == frozenset()
    bookings.book("PAR1", "alpha", MONDAY, 100)
    bookings.book("PAR1", "beta", MONDAY, 4000)
    assert bookings.full == {("PAR1", "alpha", MONDAY)}
    bookings.book("PAR1", "beta", MONDAY, 1000)
    bookings.book("LYS1", "alpha", MONDAY, 100)  # another warehouse: its own pickups
    bookings.book("PAR1", "gamma", MONDAY, 90_000)  # no limit configured
    assert bookings.full == {("PAR1", "alpha", MONDAY), ("PAR1", "beta", MONDAY)}
    reloaded = PickupBookings(LIMITS, bookings.bookings())
    assert reloaded.full == bookings.full
    assert full_days([Booking("PAR1", "alpha", MONDAY, 1, 0)], LIMITS) == frozenset()


def test_the_next_pickup_day_with_room_skips_full_days_weekends_holidays_and_days_without_pickup() -> None:
    warehouse = Warehouse("PAR1")  # Monday to Friday, France's public holidays
    weekdays = CarrierSchedule(time(17), frozenset(range(5)), frozenset(range(6)))
    tuesdays_thursdays = CarrierSchedule(time(17), frozenset({1, 3}), frozenset(range(6)))
    full = {date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 6), date(2026, 4, 3)}

    def room(ships_on: date, schedule: CarrierSchedule) -> date:
        return pickup_with_room(ships_on, warehouse, schedule, full.__contains__)

    assert room(date(2026, 3, 4), weekdays) == date(2026, 3, 4)  # not full: itself
    assert room(date(2026, 3, 2), weekdays) == date(2026, 3, 4)  # Monday and Tuesday full
    assert room(date(2026, 3, 6), weekdays) == date(2026, 3, 9)  # Friday full: Monday
    assert room(date(2026, 4, 3), weekdays) == date(2026, 4, 7)  # Friday full, Easter Monday 6 April off
    assert room(date(2026, 3, 3), tuesdays_thursdays) == date(2026, 3, 5)  # Tuesday full: Thursday


def a_request(deliver_by: date | None = None) -> QuoteRequest:
    return QuoteRequest(
        "R",
        datetime(2026, 3, 2, 9, tzinfo=UTC),  # Monday 10:00 in Paris
        Destination("FR", "75001"),
        (Parcel(1000, 300, 200, 100),),
        Cart(5000),
        Promise(deliver_by=deliver_by),
    )


def test_a_carrier_sold_out_today_is_dated_from_its_next_day_with_room_and_left_out_if_that_breaks_the_promise():
    book = QuoteBook.of_cards(
        [
            read_json(a_france_card("alpha", [(a_service_document("HOME", "home"), 30, 6.0)], 0)),
            read_json(a_france_card("beta", [(a_service_document("HOME", "home"), 30, 7.0)], 0)),
        ],
        ShippingPolicy(),
        [WAREHOUSE],
    )
    free = quote_order(book, a_request())
    assert [(o.carrier, o.ships_on) for o in free.options] == [("alpha", MONDAY), ("beta", MONDAY)]
    assert quote_order(book, a_request(), full=frozenset({("LYS1", "alpha", MONDAY)})) == free  # another warehouse

    sold_out = frozenset({("PAR1", "alpha", MONDAY)})
    later = quote_order(book, a_request(), full=sold_out)
    # Picked up Tuesday, delivered in 1 to 2 days (Monday to Saturday): Wednesday to Thursday.
    alpha, beta = later.options
    assert (alpha.carrier, alpha.ships_on, alpha.earliest, alpha.latest) == (
        "alpha",
        date(2026, 3, 3),
        date(2026, 3, 4),
        date(2026, 3, 5),
    )
    assert (beta.carrier, beta.ships_on, beta.latest) == ("beta", MONDAY, date(2026, 3, 4))
    assert alpha.total_cents == free.options[0].total_cents  # the price stays

    tight = quote_order(book, a_request(deliver_by=date(2026, 3, 4)), full=sold_out)
    assert [o.carrier for o in tight.options] == ["beta"] and tight.recommended is not None
    assert tight.recommended.carrier == "beta"
    assert [(e.carrier, e.reason) for e in tight.excluded] == [("alpha", "carrier_full")]
    assert "2026-03-05, after 2026-03-04" in tight.excluded[0].detail
