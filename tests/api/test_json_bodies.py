"""One rule for every JSON body: a wrong Content-Type, an empty body, invalid or too deeply nested
JSON and any value other than an object are a 422 naming `body`, and change nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select

from tms.persistence.tables import Base

# Every endpoint that reads a JSON body, with the role that may call it.
JSON_ENDPOINTS = [
    ("POST", "/api/v1/quotes", "checkout"),
    ("POST", "/api/v1/integrations/shopify/rates", "checkout"),
    ("POST", "/api/v1/orders", "checkout"),
    ("POST", "/api/v1/plans", "manager"),
    ("PUT", "/api/v1/shipping-policy", "manager"),
    ("PUT", "/api/v1/carriers/acme/fuel-surcharge", "manager"),
    ("POST", "/api/v1/keys", "admin"),
    ("POST", "/api/v1/rate-cards", "manager"),
]
DEPTH = 100_000  # far past any parser's nesting limit and the interpreter's recursion limit

BAD_BODIES: dict[str, tuple[bytes, str | None]] = {
    "invalid JSON": (b'{"order_ref": ', "application/json"),
    "not UTF-8": (b'{"order_ref": "\xff"}', "application/json"),
    "an array": (b"[1, 2]", "application/json"),
    "a string": (b'"order"', "application/json"),
    "null": (b"null", "application/json"),
    "empty": (b"", "application/json"),
    "only spaces": (b"  \n", "application/json"),
    "nested too deeply": (b"[" * DEPTH + b"]" * DEPTH, "application/json"),
    "an object nested too deeply": (b'{"a": ' * DEPTH + b"1" + b"}" * DEPTH, "application/json"),
    "sent as text": (b'{"order_ref": "A-1"}', "text/plain"),
    "sent as a form": (b"order_ref=A-1", "application/x-www-form-urlencoded"),
    "sent without a Content-Type": (b'{"order_ref": "A-1"}', None),
}


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {t.name: connection.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def send(client: FlaskClient, method: str, url: str, headers: dict[str, str], data: bytes, content_type: str | None):
    options: dict[str, Any] = {"method": method, "data": data, "headers": headers}
    if content_type is not None:
        options["content_type"] = content_type
    return client.open(url, **options)


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
@pytest.mark.parametrize(("method", "url", "role"), JSON_ENDPOINTS)
def test_a_body_that_is_not_one_json_object_is_422_naming_body_and_changes_nothing(
    case: str, method: str, url: str, role: str, client: FlaskClient, engine: Engine, request: pytest.FixtureRequest
) -> None:
    headers = request.getfixturevalue(role)
    data, content_type = BAD_BODIES[case]
    before = row_counts(engine)
    response = send(client, method, url, headers, data, content_type)
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["status"] == 422 and body["code"] == "invalid_input"
    assert [e.get("field") for e in body["errors"]] == ["body"], body
    assert row_counts(engine) == before


@pytest.mark.parametrize(("method", "url", "role"), JSON_ENDPOINTS)
def test_a_value_nested_as_deep_as_the_parsers_allow_is_a_422_not_a_500(
    method: str, url: str, role: str, client: FlaskClient, request: pytest.FixtureRequest
) -> None:
    # 1010 levels: orjson reads it (its limit is 1024); Python's own parser would recurse past its limit.
    depth = 1010
    data = b'{"rate": ' + b"[" * depth + b"]" * depth + b"}"
    response = send(client, method, url, request.getfixturevalue(role), data, "application/json")
    assert response.status_code == 422, response.get_data(as_text=True)[:500]


def test_a_json_file_nested_too_deeply_in_an_uploaded_card_is_422_naming_the_file(
    client: FlaskClient, manager: dict[str, str], engine: Engine
) -> None:
    before = row_counts(engine)
    for depth in (1010, DEPTH):
        deep = b"[" * depth + b"]" * depth
        response = client.post(
            "/api/v1/rate-cards",
            data={"file": (io.BytesIO(deep), "card.json")},
            headers=manager,
            content_type="multipart/form-data",
        )
        assert response.status_code == 422, response.get_data(as_text=True)[:500]
        assert [e.get("field") for e in response.get_json()["errors"]] == ["file"]
    assert row_counts(engine) == before


def test_the_policy_is_not_reset_by_a_put_without_a_body(client: FlaskClient, manager: dict[str, str]) -> None:
    assert client.put("/api/v1/shipping-policy", json={"free_above": 49}, headers=manager).status_code == 200
    for options in ({}, {"data": b"", "content_type": "application/json"}):
        response = client.put("/api/v1/shipping-policy", headers=manager, **options)
        assert response.status_code == 422
        assert [e["field"] for e in response.get_json()["errors"]] == ["body"]
    assert client.get("/api/v1/shipping-policy", headers=manager).get_json()["free_above"] == 49
