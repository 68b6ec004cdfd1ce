"""Tracking events in through the API: the carrier's signed webhook, its CSV export; and out: a
shipment's events and the unmatched ones."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tms.app import create_app
from tms.bootstrap import Container
from tms.domain.rate_cards import CardStatus

SECRET = "webhook-secret-for-tests"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tracking"


@pytest.fixture()
def signed_container(container_with: Callable[[dict[str, Any]], Container]) -> Container:
    return container_with({"tracking_colissimo_webhook_secret": SECRET})


@pytest.fixture()
def tracking_client(signed_container: Container) -> FlaskClient:
    app = create_app(container=signed_container)
    app.config["TESTING"] = True
    return app.test_client()


def dispatched_shipment(container: Container, numbers: list[str]) -> int:
    with container.uow() as uow:
        uow.carriers.ensure("colissimo", "Colissimo", NOW)
        card = uow.rate_cards.add(
            carrier_code="colissimo",
            valid_from=date(2026, 1, 1),
            currency="EUR",
            status=CardStatus.DRAFT,
            checksum="c1",
            source_format="json",
            source_name="card.json",
            uploaded_at=NOW,
            uploaded_by="manager",
            document={"carrier": "colissimo"},
        )
        run_id = uow.runs.add(
            shipping_date=date(2026, 3, 2),
            warehouse="PAR1",
            run_at="02:30",
            status="succeeded",
            trigger="test",
            started_at=NOW,
            finished_at=NOW,
            summary={},
        )
        shipment_id = uow.runs.add_shipment(
            run_id=run_id,
            ships_on=date(2026, 3, 2),
            carrier="colissimo",
            service="HOME",
            mode="home",
            parcels=len(numbers),
            weight_g=1000,
            cost_cents=700,
            rate_card_id=card.id,
            detail={},
        )
        uow.shipments.dispatch(shipment_id, numbers, NOW)
        uow.commit()
    return shipment_id


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Tracking-Signature": f"sha256={signature}", "Content-Type": "application/json"}


def colissimo_body() -> bytes:
    return (FIXTURES / "colissimo.json").read_bytes()


def test_a_signed_webhook_stores_the_events_on_their_shipment_once(
    tracking_client: FlaskClient, signed_container: Container, manager: dict[str, str]
) -> None:
    shipment_id = dispatched_shipment(signed_container, ["6A12345678901"])
    body = colissimo_body()
    first = tracking_client.post("/api/v1/carriers/colissimo/tracking-events", data=body, headers=signed(body))
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"received": 5, "stored": 5, "duplicates": 0, "unmatched": 0}
    again = tracking_client.post("/api/v1/carriers/colissimo/tracking-events", data=body, headers=signed(body))
    assert again.get_json() == {"received": 5, "stored": 0, "duplicates": 5, "unmatched": 0}
    events = tracking_client.get(f"/api/v1/shipments/{shipment_id}/events", headers=manager).get_json()
    assert [(e["code"], e["kind"]) for e in events][-2:] == [("AG1", "available_for_pickup"), ("ZZ9", "unknown")]
    assert events[-2]["pickup_point"] == "Bureau de Poste Paris Louvre"
    assert {e["source"] for e in events} == {"webhook"}


def test_a_bad_signature_is_401_and_stores_nothing(
    tracking_client: FlaskClient, signed_container: Container, manager: dict[str, str]
) -> None:
    body = colissimo_body()
    for headers in (signed(body, "wrong"), {"Content-Type": "application/json"}, signed(body + b" ")):
        answer = tracking_client.post(
            "/api/v1/carriers/colissimo/tracking-events", data=body.strip() if headers else body, headers=headers
        )
        assert answer.status_code == 401
    unsigned_carrier = tracking_client.post("/api/v1/carriers/dpd/tracking-events", data=body, headers=signed(body))
    assert unsigned_carrier.status_code == 401  # no secret set for DPD: its webhook is closed
    assert tracking_client.get("/api/v1/tracking-events/unmatched", headers=manager).get_json() == []


def test_an_event_for_an_unknown_tracking_number_is_stored_unmatched_and_listed(
    tracking_client: FlaskClient, manager: dict[str, str]
) -> None:
    body = colissimo_body()
    answer = tracking_client.post("/api/v1/carriers/colissimo/tracking-events", data=body, headers=signed(body))
    assert answer.get_json()["unmatched"] == 5
    unmatched = tracking_client.get("/api/v1/tracking-events/unmatched?carrier=colissimo", headers=manager)
    assert [e["tracking_number"] for e in unmatched.get_json()] == ["6A12345678901"] * 5
    assert {e["shipment_id"] for e in unmatched.get_json()} == {None}


def test_a_malformed_carrier_document_is_422_naming_the_field(tracking_client: FlaskClient) -> None:
    document = json.loads(colissimo_body())
    del document["shipment"]["event"][2]["code"]
    body = json.dumps(document).encode()
    answer = tracking_client.post("/api/v1/carriers/colissimo/tracking-events", data=body, headers=signed(body))
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["field"] == "shipment.event[2].code"
    document = json.loads(colissimo_body())
    nul = json.dumps({**document, "shipment": {**document["shipment"], "idShip": "6A\u0000"}}).encode()
    refused = tracking_client.post("/api/v1/carriers/colissimo/tracking-events", data=nul, headers=signed(nul))
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["field"] == "shipment.idShip"


def test_an_unknown_carrier_has_no_webhook(tracking_client: FlaskClient) -> None:
    answer = tracking_client.post("/api/v1/carriers/nobody/tracking-events", data=b"{}", headers=signed(b"{}"))
    assert answer.status_code == 404


CSV = (
    "tracking_number;code;occurred_at;description;location;pickup_point;held_until\n"
    "31234567;PEC;2026-03-03T09:00:00+01:00;Pris en charge;Bondoufle;;\n"
    "31234567;DIS_RELAIS;2026-03-05T10:20:00+01:00;Au relais;Lyon;069123;2026-03-19\n"
    "31234567;XX;2026-03-05T11:00:00+01:00;;;;\n"
)


def test_a_csv_export_is_stored_whole(tracking_client: FlaskClient, manager: dict[str, str]) -> None:
    headers = {**manager, "Content-Type": "text/csv"}
    answer = tracking_client.post("/api/v1/carriers/mondial_relay/tracking-events/import", data=CSV, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"received": 3, "stored": 3, "duplicates": 0, "unmatched": 3}
    events = tracking_client.get("/api/v1/tracking-events/unmatched", headers=manager).get_json()
    assert [e["kind"] for e in events] == ["picked_up", "available_for_pickup", "unknown"]
    assert events[1]["held_until"] == "2026-03-19"


def test_a_csv_with_a_bad_cell_is_refused_whole_naming_row_and_column(
    tracking_client: FlaskClient, manager: dict[str, str]
) -> None:
    bad = CSV.replace("2026-03-05T10:20:00+01:00", "demain").replace("2026-03-19", "19/03")
    headers = {**manager, "Content-Type": "text/csv"}
    answer = tracking_client.post("/api/v1/carriers/mondial_relay/tracking-events/import", data=bad, headers=headers)
    assert answer.status_code == 422
    assert [(p["row"], p["column"]) for p in answer.get_json()["errors"]] == [(3, "occurred_at"), (3, "held_until")]
    assert tracking_client.get("/api/v1/tracking-events/unmatched", headers=manager).get_json() == []
    missing = tracking_client.post(
        "/api/v1/carriers/mondial_relay/tracking-events/import", data="tracking_number;code\n1;2\n", headers=headers
    )
    assert [(p["row"], p["column"]) for p in missing.get_json()["errors"]] == [(1, "occurred_at")]


def test_the_events_of_a_missing_shipment_are_404(tracking_client: FlaskClient, manager: dict[str, str]) -> None:
    assert tracking_client.get("/api/v1/shipments/999/events", headers=manager).status_code == 404
