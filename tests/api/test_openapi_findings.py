"""What the OpenAPI fuzz test found, each kept as a plain test: bad input answers 422, never 500."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

POLICY = "/api/v1/shipping-policy"


@pytest.mark.parametrize("field", ["free_above", "flat_price"])
def test_a_policy_amount_too_large_to_price_is_refused_naming_it(
    client: FlaskClient, manager: dict[str, str], field: str
) -> None:
    response = client.put(POLICY, json={field: 1.45e308}, headers=manager)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
    assert client.put(POLICY, json={field: 10_000_000}, headers=manager).status_code == 200


@pytest.mark.parametrize(
    ("text", "field"),
    [("gold\x00", "free_tiers[1]"), ("\ud83d", "body")],  # a NUL; a lone surrogate: the body is not UTF-8 JSON
)
def test_policy_text_that_a_store_cannot_keep_is_refused_naming_it(
    client: FlaskClient, manager: dict[str, str], text: str, field: str
) -> None:
    body = json.dumps({"free_tiers": ["silver", text]})  # written as \u0000 and \ud83d
    response = client.put(POLICY, data=body, content_type="application/json", headers=manager)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
    assert client.get(POLICY, headers=manager).get_json()["free_tiers"] == []


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/rate-cards/in-force?carrier=col%00issimo",
        "/api/v1/rate-cards?carrier=col%00issimo",
        "/api/v1/orders?consignee_key=a%00b",
    ],
)
def test_a_query_naming_text_that_a_store_cannot_keep_is_refused(
    client: FlaskClient, manager: dict[str, str], query: str
) -> None:
    response = client.get(query, headers=manager)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["message"] == "must not contain a NUL character"


def test_an_empty_carrier_for_the_card_in_force_is_refused_naming_the_field(
    client: FlaskClient, manager: dict[str, str]
) -> None:
    for blank in ("", "%20%20"):
        response = client.get(f"/api/v1/rate-cards/in-force?carrier={blank}", headers=manager)
        assert response.status_code == 422, blank
        assert response.get_json()["errors"] == [{"field": "carrier", "message": "must name a carrier"}]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/orders/a%00b"),
        ("POST", "/api/v1/orders/a%00b/cancel"),
        ("GET", "/api/v1/carriers/a%00b/fuel-surcharge"),
    ],
)
def test_a_path_holding_a_nul_character_names_nothing(
    client: FlaskClient, manager: dict[str, str], method: str, path: str
) -> None:
    response = client.open(path, method=method, headers=manager)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"
