"""A shipment the shopper can track, made through the API as a shop would: the card and the pickup
directory activated, the order registered, the run, the dispatch, then the carrier's events."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

from tests.integration.test_consolidation import TUESDAY, a_card, api_order, settings
from tms.domain.tracking import EventKind, TrackingEvent
from tms.services.consolidation import run_consolidation
from tms.services.tracking import record_events

CARRIER = "colissimo"
POINT_CSV = (
    "id,name,address,postcode,city,country,latitude,longitude,kind,"
    "monday,tuesday,wednesday,thursday,friday,saturday,sunday\n"
    "PT1,Tabac de la Gare,3 place Carnot,69002,Lyon,FR,45.7485,4.8276,relay,"
    "09:00-12:00 14:00-19:00,09:00-19:00,09:00-19:00,09:00-19:00,09:00-19:00,09:00-12:00,\n"
)


def tracked_shipment(
    container: Any,
    client: Any,
    manager: dict[str, str],
    *,
    pickup: bool = False,
    language: str | None = None,
    events: tuple[tuple[EventKind, datetime], ...] = (),
    held_until: date | None = None,
) -> dict[str, Any]:
    assert (
        client.post("/api/v1/rate-cards?activate=true", json=a_card(CARRIER, 6.0, 4.5), headers=manager).status_code
        == 201
    )
    order = {**api_order("A-1001", deliver_by="2026-03-06"), "email": "lea@example.fr"}
    if language:
        order["language"] = language
    if pickup:
        answer = client.post(
            f"/api/v1/pickup-directories?carrier={CARRIER}&activate=true",
            data={"file": (io.BytesIO(POINT_CSV.encode()), "points.csv")},
            headers=manager,
            content_type="multipart/form-data",
        )
        assert answer.status_code in (200, 201), answer.get_json()
        container.pickup_index.refresh()
        order.update(mode="pickup_point", carrier=CARRIER, pickup_point_id="PT1")
    assert client.post("/api/v1/orders", json=order, headers=manager).status_code == 201
    run_id, _ = run_consolidation(container.uow(), container.fresh_book(), TUESDAY, settings(), now=container.now())
    (shipment,) = client.get(f"/api/v1/shipments?run_id={run_id}", headers=manager).get_json()
    container.clock.now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    path = f"/api/v1/shipments/{shipment['id']}/dispatch"
    assert client.post(path, json={"tracking_numbers": ["6A100"]}, headers=manager).status_code == 200
    for kind, at in events:
        container.clock.now = at
        event = TrackingEvent(
            CARRIER,
            "6A100",
            kind.value.upper(),
            kind,
            at,
            description=f"Le transporteur dit : {kind.value}",
            location="Lyon",
            pickup_point="Tabac de la Gare" if kind is EventKind.AVAILABLE_FOR_PICKUP else "",
            held_until=held_until if kind is EventKind.AVAILABLE_FOR_PICKUP else None,
        )
        record_events(container.uow(), [event], source="webhook", now=at, watch=container.promise_watch)
    shown: dict[str, Any] = client.get(f"/api/v1/shipments/{shipment['id']}", headers=manager).get_json()
    return shown
