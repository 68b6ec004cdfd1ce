"""The merchant's webhooks and the outbox through the API: admin only, the secret shown once, bad input
named and refused with nothing stored, dead letters listed and replayed."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tms.bootstrap import Container
from tms.services.notifications import Recipient, Topic, notify

URL = "https://shop.example/hooks"


def create(client: FlaskClient, headers: dict[str, str], body: Any) -> Any:
    return client.post("/api/v1/webhooks", json=body, headers=headers)


def test_an_admin_registers_a_webhook_and_sees_its_secret_once(client: FlaskClient, admin: dict[str, str]) -> None:
    response = create(client, admin, {"url": URL, "topics": ["shipment.shipped", "shipment.delivered"]})
    assert response.status_code == 201
    created = response.get_json()
    assert created["secret"].startswith("whsec_") and created["active"] is True
    assert created["topics"] == ["shipment.shipped", "shipment.delivered"] and created["url"] == URL
    listed = client.get("/api/v1/webhooks", headers=admin).get_json()
    assert [h["id"] for h in listed] == [created["id"]] and "secret" not in listed[0]


def test_a_manager_may_not_touch_webhooks_or_the_outbox(client: FlaskClient, manager: dict[str, str]) -> None:
    assert create(client, manager, {"url": URL, "topics": ["shipment.shipped"]}).status_code == 403
    assert client.get("/api/v1/webhooks", headers=manager).status_code == 403
    assert client.get("/api/v1/outbox", headers=manager).status_code == 403
    assert client.post("/api/v1/outbox/1/replay", headers=manager).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://shop.example/h", "topics": ["shipment.shipped"]}, "url"),
        ({"url": "https://user:pw@shop.example/h", "topics": ["shipment.shipped"]}, "url"),
        ({"url": "/hooks", "topics": ["shipment.shipped"]}, "url"),
        ({"topics": ["shipment.shipped"]}, "url"),
        ({"url": URL, "topics": []}, "topics"),
        ({"url": URL}, "topics"),
        ({"url": URL, "topics": ["shipment.lost"]}, "topics[0]"),
        ({"url": URL, "topics": "shipment.shipped"}, "topics"),
        ({"url": URL, "topics": ["shipment.shipped"], "secret": "mine"}, "secret"),
    ],
)
def test_a_bad_webhook_is_refused_naming_its_field_and_nothing_is_stored(
    client: FlaskClient, admin: dict[str, str], body: Any, field: str
) -> None:
    response = create(client, admin, body)
    assert response.status_code == 422
    assert field in [problem["field"] for problem in response.get_json()["errors"]]
    assert client.get("/api/v1/webhooks", headers=admin).get_json() == []


def test_a_deleted_webhook_is_gone_and_deleting_it_again_is_404(client: FlaskClient, admin: dict[str, str]) -> None:
    created = create(client, admin, {"url": URL, "topics": ["shipment.shipped"]}).get_json()
    assert client.delete(f"/api/v1/webhooks/{created['id']}", headers=admin).status_code == 204
    assert client.get("/api/v1/webhooks", headers=admin).get_json() == []
    assert client.delete(f"/api/v1/webhooks/{created['id']}", headers=admin).status_code == 404
    assert client.delete("/api/v1/webhooks/99999999999", headers=admin).status_code == 404


def test_the_outbox_lists_messages_by_status_pages_them_and_refuses_a_bad_query(
    client: FlaskClient, admin: dict[str, str], container: Container
) -> None:
    with container.uow() as uow:
        for n in range(3):
            recipient = Recipient(f"A-{n}", f"s{n}@example.com", "fr", "Léa", (("SKU", 1),))
            notify(
                uow,
                Topic.DELIVERED,
                key=f"shipment:{n}:delivered",
                recipients=[recipient],
                facts={},
                now=container.now(),
            )
        uow.commit()
    listed = client.get("/api/v1/outbox?status=pending&limit=2", headers=admin).get_json()
    assert [m["recipient"] for m in listed] == ["s2@example.com", "s1@example.com"]  # newest first
    assert listed[0]["channel"] == "email" and listed[0]["attempts"] == 0 and listed[0]["last_error"] == ""
    assert [m["recipient"] for m in client.get("/api/v1/outbox?offset=2", headers=admin).get_json()] == [
        "s0@example.com"
    ]
    assert client.get("/api/v1/outbox?status=dead", headers=admin).get_json() == []
    for query in ("status=lost", "limit=0", "offset=-1", "state=dead"):
        response = client.get(f"/api/v1/outbox?{query}", headers=admin)
        assert response.status_code == 422, query
        assert response.get_json()["errors"][0]["field"] == query.split("=")[0]


def test_replaying_a_pending_message_makes_it_due_now_and_an_unknown_one_is_404(
    client: FlaskClient, admin: dict[str, str], container: Container
) -> None:
    with container.uow() as uow:
        recipient = Recipient("A-1", "lea@example.com", "fr", "Léa", (("SKU", 1),))
        notify(uow, Topic.SHIPPED, key="shipment:1:shipped", recipients=[recipient], facts={}, now=container.now())
        uow.commit()
    (message,) = client.get("/api/v1/outbox", headers=admin).get_json()
    response = client.post(f"/api/v1/outbox/{message['id']}/replay", headers=admin)
    assert response.status_code == 200 and response.get_json()["status"] == "pending"
    assert client.post("/api/v1/outbox/99999999999/replay", headers=admin).status_code == 404
