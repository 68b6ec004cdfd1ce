"""Only the right keys get in: 401 without a valid key, 403 for the wrong role, one error shape."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tms.bootstrap import Container
from tms.domain.access import hash_secret


def test_a_request_without_a_key_is_401_with_the_error_shape(client: FlaskClient) -> None:
    response = client.get("/api/v1/rate-cards")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["status"] == 401 and body["code"] == "unauthenticated"
    assert isinstance(body["message"], str) and body["errors"] == []


def test_an_unknown_key_is_401(client: FlaskClient) -> None:
    response = client.get("/api/v1/rate-cards", headers={"Authorization": "Bearer tms_not-a-real-key"})
    assert response.status_code == 401


def test_a_key_sent_with_another_scheme_is_401(client: FlaskClient, manager: dict[str, str]) -> None:
    secret = manager["Authorization"].split()[1]
    response = client.get("/api/v1/rate-cards", headers={"Authorization": f"Basic {secret}"})
    assert response.status_code == 401


def test_a_checkout_key_may_not_touch_rate_cards(client: FlaskClient, checkout: dict[str, str]) -> None:
    response = client.get("/api/v1/rate-cards", headers=checkout)
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_a_manager_key_may_list_rate_cards_but_not_keys(client: FlaskClient, manager: dict[str, str]) -> None:
    assert client.get("/api/v1/rate-cards", headers=manager).status_code == 200
    assert client.get("/api/v1/keys", headers=manager).status_code == 403


def test_an_admin_creates_a_key_that_works_once_shown_and_is_stored_hashed(
    client: FlaskClient, admin: dict[str, str], container: Container
) -> None:
    response = client.post("/api/v1/keys", json={"name": "shop checkout", "role": "checkout"}, headers=admin)
    assert response.status_code == 201
    created = response.get_json()
    secret = created["key"]
    assert created["role"] == "checkout" and secret.startswith(created["display_prefix"])

    with container.uow() as uow:
        stored = uow.api_keys.get(created["id"])
    assert stored.key_hash == hash_secret(secret) and secret not in stored.key_hash

    listed = client.get("/api/v1/keys", headers=admin).get_json()
    assert all("key" not in k for k in listed)
    assert client.get("/api/v1/rate-cards", headers={"Authorization": f"Bearer {secret}"}).status_code == 403


def test_a_revoked_key_stops_working(client: FlaskClient, admin: dict[str, str], container: Container) -> None:
    created = client.post("/api/v1/keys", json={"name": "temp", "role": "manager"}, headers=admin).get_json()
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/api/v1/rate-cards", headers=headers).status_code == 200

    assert client.delete(f"/api/v1/keys/{created['id']}", headers=admin).status_code == 200

    assert client.get("/api/v1/rate-cards", headers=headers).status_code == 401
    assert client.delete(f"/api/v1/keys/{created['id']}", headers=admin).status_code == 409


def test_creating_a_key_with_an_unknown_role_names_the_field(client: FlaskClient, admin: dict[str, str]) -> None:
    response = client.post("/api/v1/keys", json={"name": "x", "role": "root"}, headers=admin)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["role"]


def test_health_answers_200_when_the_database_is_reachable(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["database"] == "ok"


def test_health_answers_503_when_the_database_is_not(tmp_path) -> None:
    from tms.app import create_app

    app = create_app({"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


def test_the_openapi_document_is_served_and_declares_bearer_security(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/api/v1/rate-cards" in spec["paths"]
    upload = spec["paths"]["/api/v1/rate-cards"]["post"]
    assert {"401", "403", "422"} <= set(upload["responses"])


def test_documented_keeps_only_documentation_and_refuses_what_works_at_run_time() -> None:
    import marshmallow
    from flask_smorest import Blueprint

    from tms.api.auth import documented

    blp = Blueprint("probe", __name__)

    def view() -> None: ...

    assert documented(blp.doc(summary="probe"), blp.alt_response(404, description="gone"))(view) is view
    apidoc = vars(view)["_apidoc"]  # where flask-smorest reads a view's documentation
    assert apidoc["manual_doc"]["summary"] == "probe"
    assert "404" in str(apidoc["response"]["responses"])
    with pytest.raises(TypeError):
        documented(blp.arguments(marshmallow.Schema))
    with pytest.raises(TypeError):
        documented(blp.response(200))

    async def coroutine() -> None: ...

    with pytest.raises(TypeError):
        documented(blp.doc(summary="probe"))(coroutine)
