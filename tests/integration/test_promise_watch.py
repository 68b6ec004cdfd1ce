"""The promise watch through the store: a planned order dispatched, its carrier's events, the watch
every few minutes; the shipment's prediction and verdict, its delivery, and the on-time rates.

The card's HOME service takes 2 business days, its RELAY one 2-3; the run plans Tuesday 3 March
2026 for pickup that day (delivered Monday to Saturday)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.integration.test_consolidation import TUESDAY, a_card, api_order, settings
from tms.domain.tracking import EventKind, TrackingEvent
from tms.scheduler import promise_watch_job
from tms.services.consolidation import run_consolidation
from tms.services.tracking import record_events

CARRIER = "colissimo"


@pytest.fixture()
def planned(container, client, manager):
    """Activate the card, register the orders, plan Tuesday: the shipments as the API shows them."""

    def plan(*orders: dict[str, Any]) -> list[dict[str, Any]]:
        card = a_card(CARRIER, home=6.0, relay=4.5)
        assert client.post("/api/v1/rate-cards?activate=true", json=card, headers=manager).status_code == 201
        for order in orders:
            answer = client.post("/api/v1/orders", json=order, headers=manager)
            assert answer.status_code == 201, answer.get_json()
        run_id, _ = run_consolidation(container.uow(), container.fresh_book(), TUESDAY, settings(), now=container.now())
        return client.get(f"/api/v1/shipments?run_id={run_id}", headers=manager).get_json()

    return plan


def event(number: str, kind: EventKind, at: datetime, code: str = "", **more: Any) -> TrackingEvent:
    return TrackingEvent(CARRIER, number, code or kind.value, kind, at, **more)


def show(client, manager, shipment_id: int) -> dict[str, Any]:
    return client.get(f"/api/v1/shipments/{shipment_id}", headers=manager).get_json()


def test_a_home_parcel_is_on_track_then_late_then_delivered_late(container, client, manager, planned) -> None:
    order = {**api_order("A", deliver_by="2026-03-06"), "email": "lea@example.fr", "language": "en"}
    (shipment,) = planned(order)
    assert (shipment["promised_by"], shipment["promise_status"]) == ("2026-03-06", None)
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/t/[A-Za-z0-9_-]{32}", shipment["tracking_url"])

    container.clock.now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    path = f"/api/v1/shipments/{shipment['id']}/dispatch"
    dispatched = client.post(path, json={"tracking_numbers": ["6A100"]}, headers=manager).get_json()
    # Reviewed as dispatched: picked up today at the earliest, 2 days: Thursday 5 March.
    assert (dispatched["predicted_on"], dispatched["promise_status"]) == ("2026-03-05", "on_track")

    # Scanned on Wednesday instead: Friday 6, still the day promised.
    container.clock.now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    record_events(
        container.uow(),
        [event("6A100", EventKind.PICKED_UP, datetime(2026, 3, 4, 8, 0, tzinfo=UTC))],
        source="poll",
        now=container.now(),
        watch=container.promise_watch,
    )
    assert (show(client, manager, shipment["id"])["predicted_on"], "on_track") == ("2026-03-06", "on_track")
    assert show(client, manager, shipment["id"])["promise_status"] == "on_track"

    # An exception on Thursday: two days again from it, Saturday 7, past the promise: late.
    container.clock.now = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    record_events(
        container.uow(),
        [event("6A100", EventKind.EXCEPTION, datetime(2026, 3, 5, 7, 0, tzinfo=UTC))],
        source="webhook",
        now=container.now(),
        watch=container.promise_watch,
    )
    late = show(client, manager, shipment["id"])
    assert (late["predicted_on"], late["promise_status"]) == ("2026-03-07", "late")
    listed = client.get("/api/v1/shipments?promise_status=late", headers=manager).get_json()
    assert [s["id"] for s in listed] == [shipment["id"]]
    assert client.get("/api/v1/shipments?promise_status=at_risk", headers=manager).get_json() == []

    # The watch again, at the same moment: nothing changes.
    report = promise_watch_job(container)
    assert report is not None and (report.reviewed, report.late, report.failed) == (1, 1, 0)
    assert show(client, manager, shipment["id"]) == late

    # Delivered on Monday: delivered late, the order delivered with it.
    container.clock.now = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    record_events(
        container.uow(),
        [event("6A100", EventKind.DELIVERED, datetime(2026, 3, 9, 11, 0, tzinfo=UTC))],
        source="poll",
        now=container.now(),
        watch=container.promise_watch,
    )
    done = show(client, manager, shipment["id"])
    assert (done["status"], done["delivered_on"], done["promise_status"]) == (
        "delivered",
        "2026-03-09",
        "delivered_late",
    )
    assert client.get("/api/v1/orders/A", headers=manager).get_json()["status"] == "delivered"
    # Delivered shipments are no longer watched.
    assert promise_watch_job(container).reviewed == 0  # type: ignore[union-attr]


def test_no_news_after_the_planned_pickup_puts_a_shipment_at_risk_then_late(
    container, client, manager, planned
) -> None:
    (shipment,) = planned(api_order("A", deliver_by="2026-03-06"))
    client.post(f"/api/v1/shipments/{shipment['id']}/dispatch", json={"tracking_numbers": ["6A1"]}, headers=manager)
    # Thursday, no pickup scan yet: picked up Thursday at best, delivered Saturday 7: late.
    container.clock.now = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    assert promise_watch_job(container).late == 1  # type: ignore[union-attr]
    assert show(client, manager, shipment["id"])["predicted_on"] == "2026-03-07"


def test_at_a_pickup_point_arriving_there_is_the_delivery_promised(container, client, manager, planned) -> None:
    order = {
        **api_order("P", deliver_by="2026-03-06"),
        "mode": "pickup_point",
        "carrier": CARRIER,
        "pickup_point_id": "PT1",
    }
    (shipment,) = planned(order)
    assert shipment["mode"] == "pickup_point"
    client.post(f"/api/v1/shipments/{shipment['id']}/dispatch", json={"tracking_numbers": ["6A7"]}, headers=manager)
    # RELAY is 2-3 days from Tuesday: Thursday 5 .. Friday 6: on track.
    assert show(client, manager, shipment["id"])["promise_status"] == "on_track"
    container.clock.now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    available = event(
        "6A7", EventKind.AVAILABLE_FOR_PICKUP, datetime(2026, 3, 5, 10, 0, tzinfo=UTC), held_until=date(2026, 3, 19)
    )
    record_events(container.uow(), [available], source="webhook", now=container.now(), watch=container.promise_watch)
    arrived = show(client, manager, shipment["id"])
    assert (arrived["status"], arrived["delivered_on"], arrived["promise_status"]) == (
        "delivered",
        "2026-03-05",
        "delivered_on_time",
    )


def test_on_time_rates_per_carrier_and_per_lane_count_delivered_shipments_against_their_promise(
    container, client, manager, planned
) -> None:
    shipments = planned(
        api_order("A", deliver_by="2026-03-05"),
        {
            **api_order("B", "8 rue Haute", deliver_by="2026-03-10"),
            "destination": {
                "name": "Paul",
                "line1": "8 rue Haute",
                "postcode": "75011",
                "city": "Paris",
                "country": "FR",
            },
        },
    )
    by_order = {s["orders"][0]: s for s in shipments}
    for ref, number in (("A", "6A1"), ("B", "6A2")):
        path = f"/api/v1/shipments/{by_order[ref]['id']}/dispatch"
        assert client.post(path, json={"tracking_numbers": [number]}, headers=manager).status_code == 200
    delivered = [
        event("6A1", EventKind.DELIVERED, datetime(2026, 3, 6, 10, 0, tzinfo=UTC)),  # a day after its promise
        event("6A2", EventKind.DELIVERED, datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
    ]
    container.clock.now = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
    record_events(container.uow(), delivered, source="csv", now=container.now(), watch=container.promise_watch)

    query = "/api/v1/shipments/on-time?since=2026-03-01&until=2026-03-31"
    assert client.get(query, headers=manager).get_json() == [
        {
            "carrier": CARRIER,
            "service": None,
            "destination": None,
            "delivered": 2,
            "on_time": 1,
            "on_time_rate": 0.5,
            "late_days_mean": 1.0,
        }
    ]
    lanes = client.get(query + "&by=lane", headers=manager).get_json()
    assert [(r["destination"], r["on_time_rate"]) for r in lanes] == [("FR-69", 0.0), ("FR-75", 1.0)]
    assert client.get(query.replace("2026-03-31", "2026-02-01"), headers=manager).status_code == 422
    assert client.get(query + "&by=zone", headers=manager).status_code == 422


def test_an_order_takes_the_shoppers_address_and_language_or_names_the_field_it_refuses(client, manager) -> None:
    from tests.integration.test_consolidation import a_card as card

    client.post("/api/v1/rate-cards?activate=true", json=card(CARRIER, home=6.0, relay=4.5), headers=manager)
    for field, value in (("email", "lea.example.fr"), ("email", "lea @example.fr"), ("language", "de")):
        answer = client.post("/api/v1/orders", json={**api_order("Z"), field: value}, headers=manager)
        assert answer.status_code == 422
        assert [e["field"] for e in answer.get_json()["errors"]] == [field]
    assert client.get("/api/v1/orders/Z", headers=manager).status_code == 404
    good = client.post("/api/v1/orders", json={**api_order("Z"), "email": "lea@example.fr"}, headers=manager)
    assert good.status_code == 201
    assert (good.get_json()["email"], good.get_json()["language"]) == ("lea@example.fr", None)


POINTS = (
    "id,name,address,postcode,city,country,latitude,longitude,kind,"
    "monday,tuesday,wednesday,thursday,friday,saturday,sunday,closures\n"
    "PT1,Tabac de la Gare,3 place Carnot,69002,Lyon,FR,45.7485,4.8276,relay,"
    "09:00-19:00,09:00-19:00,09:00-19:00,09:00-19:00,09:00-19:00,09:00-12:00,,2026-03-01/2026-03-20\n"
    "PT2,Presse du Rhône,8 quai Perrache,69002,Lyon,FR,45.7460,4.8260,relay,"
    "09:00-19:00,09:00-19:00,09:00-19:00,09:00-19:00,09:00-19:00,09:00-12:00,,\n"
    "PT3,Fleurs Bellecour,2 rue Colonel Chambonnet,69002,Lyon,FR,45.7700,4.8600,relay,"
    "09:00-19:00,09:00-19:00,09:00-19:00,09:00-19:00,09:00-19:00,09:00-12:00,,2026-03-04/2026-03-31\n"
    "PT4,Librairie Ainay,5 rue Vaubecour,69002,Lyon,FR,45.7710,4.8610,relay,"
    "09:00-19:00,09:00-19:00,09:00-19:00,09:00-19:00,09:00-19:00,09:00-12:00,,2026-03-06\n"
)


def test_a_point_closed_until_the_promise_or_gone_from_the_directory_needs_attention_with_a_replacement(
    container, client, manager
) -> None:
    """Shipped on Tuesday 3 March, RELAY (2 to 3 business days) delivers by Friday 6. PT1 is closed
    until the 20th, PT3 from Wednesday 4 on (open on the ship day: the parcel arrives when it is
    closed), PT4 on Friday 6 alone (it opens on Saturday 7: in time for a promise of the 7th, not of
    the 6th)."""
    import io

    from tms.scheduler import consolidate

    card = a_card(CARRIER, home=6.0, relay=4.5)
    assert client.post("/api/v1/rate-cards?activate=true", json=card, headers=manager).status_code == 201
    answer = client.post(
        f"/api/v1/pickup-directories?carrier={CARRIER}&activate=true",
        data={"file": (io.BytesIO(POINTS.encode()), "points.csv")},
        headers=manager,
        content_type="multipart/form-data",
    )
    assert answer.status_code in (200, 201), answer.get_json()
    container.pickup_index.refresh()
    relay = {"mode": "pickup_point", "carrier": CARRIER}
    for ref, point, promise in (
        ("CLOSED", "PT1", "2026-03-06"),
        ("GONE", "PT9", "2026-03-06"),
        ("OPEN", "PT2", "2026-03-06"),
        ("CLOSING", "PT3", "2026-03-06"),
        ("LATE", "PT4", "2026-03-06"),
        ("NEXT-DAY", "PT4", "2026-03-07"),
    ):
        order = {**api_order(ref, line1=f"{ref} rue", deliver_by=promise), **relay, "pickup_point_id": point}
        assert client.post("/api/v1/orders", json=order, headers=manager).status_code == 201
    _, plan = consolidate(container, TUESDAY, "test")
    assert sorted(ref for s in plan.shipped for ref in s.orders) == ["NEXT-DAY", "OPEN"]
    assert {s.orders[0]: s.latest for s in plan.shipped} == {"OPEN": date(2026, 3, 6), "NEXT-DAY": date(2026, 3, 6)}
    orders = {o["order_ref"]: o for o in client.get("/api/v1/orders", headers=manager).get_json()}
    assert orders["OPEN"]["status"] == "planned"
    closed, gone = orders["CLOSED"], orders["GONE"]
    assert (closed["status"], gone["status"]) == ("needs_attention", "needs_attention")
    assert closed["attention"].startswith("pickup point PT1 is not open to collect the parcel by 2026-03-06")
    assert "nearest open: PT2 Presse du Rhône, 8 quai Perrache, 69002 Lyon (0.3 km)" in closed["attention"]
    for ref, point in (("CLOSING", "PT3"), ("LATE", "PT4")):
        assert orders[ref]["status"] == "needs_attention"
        assert orders[ref]["attention"].startswith(
            f"pickup point {point} is not open to collect the parcel by 2026-03-06"
        )
    assert "nearest open: PT4 Librairie Ainay" in orders["CLOSING"]["attention"]  # 0.1 km from PT3
    assert gone["attention"].startswith(f"pickup point PT9 is no longer in {CARRIER}'s directory")
    assert "nearest open: PT" in gone["attention"]
