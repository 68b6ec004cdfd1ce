"""Through the API: once the orders sold for a carrier's pickup day reach its daily limit, the checkout
dates that carrier from its next day with room, the order records the day it was sold, another process
reloads the same sold-out days from the store, and the runs ship every order by its promise."""

from __future__ import annotations

from datetime import date

from tests.integration.test_consolidation import TUESDAY, a_card, api_order, settings
from tms.domain.orders import OrderStatus
from tms.domain.plans import CarrierLimits
from tms.services.capacity import LiveBookings, load_bookings
from tms.services.consolidation import run_consolidation

LIMITS = {"acme": CarrierLimits(parcels_per_day=2)}
WEDNESDAY = date(2026, 3, 4)


def quoted_days(client, headers) -> dict[str, tuple[str, str]]:
    body = {
        "order_ref": "Q",
        "ordered_at": "2026-03-02T16:00:00+01:00",  # Monday after PAR1's 15:00 cut-off: ready Tuesday
        "destination": {"country": "FR", "postcode": "69003", "city": "Lyon"},
        "parcels": [{"weight_kg": 1, "length_cm": 20, "width_cm": 15, "height_cm": 8}],
        "cart": {"value": 50, "currency": "EUR"},
    }
    answer = client.post("/api/v1/quotes", json=body, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return {o["service"]: (o["delivery"]["ships_on"], o["delivery"]["latest"]) for o in answer.get_json()["options"]}


def test_a_sold_out_pickup_day_is_not_sold_again_and_every_order_ships_by_the_date_it_was_shown(
    container, client, manager
) -> None:
    container.bookings.stop()
    container.bookings = LiveBookings(load=lambda: load_bookings(container.uow(), LIMITS, container.today()), poll_s=0)
    assert client.post("/api/v1/rate-cards?activate=true", json=a_card("acme", 6.0, 4.5), headers=manager).status_code
    container.quote_book.refresh()

    # HOME takes 2 days, delivered Monday to Saturday: picked up Tuesday, delivered Thursday.
    assert quoted_days(client, manager)["HOME"] == ("2026-03-03", "2026-03-05")
    shown = {}
    for n, ref in enumerate(("A-1", "A-2", "A-3")):
        order = {**api_order(ref, line1=f"{n + 1} rue des Lilas"), "carrier": "acme", "service": "HOME"}
        days = quoted_days(client, manager)
        order["promise"] = {"deliver_by": days["HOME"][1]}  # the latest date the shopper was shown
        answer = client.post("/api/v1/orders", json=order, headers=manager)
        assert answer.status_code == 201, answer.get_json()
        shown[ref] = (answer.get_json()["requested"]["ships_on"], days["HOME"][1])
    # Two orders fill Tuesday: the third was sold Wednesday, delivered Friday; Wednesday has room for one more.
    assert shown == {
        "A-1": ("2026-03-03", "2026-03-05"),
        "A-2": ("2026-03-03", "2026-03-05"),
        "A-3": ("2026-03-04", "2026-03-06"),
    }
    assert quoted_days(client, manager)["HOME"][0] == "2026-03-04"

    elsewhere = LiveBookings(load=lambda: load_bookings(container.uow(), LIMITS, container.today()), poll_s=0)
    assert elsewhere.full() == {("PAR1", "acme", TUESDAY)}  # another process reads the same from the store

    plan = settings(carrier_limits=LIMITS, holding=True)
    run_consolidation(container.uow(), container.fresh_book(), TUESDAY, plan, now=container.now())
    run_consolidation(container.uow(), container.fresh_book(), WEDNESDAY, plan, now=container.now())
    orders = {o["order_ref"]: o for o in client.get("/api/v1/orders", headers=manager).get_json()}
    statuses = {ref: (o["status"], o["attention"]) for ref, o in orders.items()}
    assert statuses == dict.fromkeys(shown, (OrderStatus.PLANNED.value, None))  # none left for want of room
    for ref, (_, latest) in shown.items():
        planned = client.get(f"/api/v1/shipments/{orders[ref]['planned']['shipment_id']}", headers=manager).get_json()
        assert planned["detail"]["delivery"]["latest"] <= latest, ref  # each delivered by the date it was shown
