"""One rule for unknown fields on every JSON endpoint, limits on identifiers stated in the OpenAPI
document, and errors that never echo a huge input back."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.test_orders import an_order
from tests.api.test_quotes import a_card
from tests.api.test_quotes import an_order as a_quote_request
from tests.api.test_rate_cards import an_example_card

SMALL_ANSWER = 3000  # bytes: an error answer about one field, whatever the input's size

# A valid body of each endpoint, with one field it does not define.
WITH_AN_UNKNOWN_FIELD: dict[str, tuple[str, str, str, dict[str, Any], str]] = {
    "order": ("POST", "/api/v1/orders", "checkout", {**an_order(), "colour": "red"}, "colour"),
    "order's item": (
        "POST",
        "/api/v1/orders",
        "checkout",
        an_order(items=[{**an_order()["items"][0], "colour": "red"}]),
        "items[0].colour",
    ),
    "plan": (
        "POST",
        "/api/v1/plans",
        "manager",
        {"shipping_date": "2026-03-03", "orders": [an_order()], "colour": "red"},
        "colour",
    ),
    "plan's order": (
        "POST",
        "/api/v1/plans",
        "manager",
        {"shipping_date": "2026-03-03", "orders": [{**an_order(), "colour": "red"}]},
        "orders[0].colour",
    ),
    "shipping policy": ("PUT", "/api/v1/shipping-policy", "manager", {"free_above": 49, "colour": "red"}, "colour"),
    "fuel surcharge": (
        "PUT",
        "/api/v1/carriers/acme/fuel-surcharge",
        "manager",
        {"percent": 12.5, "valid_from": "2026-04-01", "colour": "red"},
        "colour",
    ),
    "API key": ("POST", "/api/v1/keys", "admin", {"name": "shop", "role": "checkout", "colour": "red"}, "colour"),
    "quote": ("POST", "/api/v1/quotes", "checkout", {**a_quote_request(), "colour": "red"}, "colour"),
}


@pytest.mark.parametrize("case", sorted(WITH_AN_UNKNOWN_FIELD))
def test_a_field_the_body_does_not_define_is_refused_by_every_endpoint_in_the_same_words(
    case: str, client: FlaskClient, admin: dict[str, str], request: pytest.FixtureRequest
) -> None:
    method, url, role, body, field = WITH_AN_UNKNOWN_FIELD[case]
    headers = request.getfixturevalue(role)
    keys_before = client.get("/api/v1/keys", headers=admin).get_json()
    response = client.open(url, method=method, json=copy.deepcopy(body), headers=headers)
    assert response.status_code == 422, response.get_json()
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [(field, "unknown field")]
    assert client.get("/api/v1/orders", headers=admin).get_json() == []
    assert client.get("/api/v1/keys", headers=admin).get_json() == keys_before


def test_an_order_ref_past_64_characters_is_refused_by_the_order_and_the_quote(
    client: FlaskClient, checkout: dict[str, str]
) -> None:
    for url, body in (("/api/v1/orders", an_order), ("/api/v1/quotes", a_quote_request)):
        response = client.post(url, json=body(order_ref="A" * 65), headers=checkout)
        assert response.status_code == 422
        assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [
            ("order_ref", "must be at most 64 characters")
        ]
    assert client.post("/api/v1/orders", json=an_order(order_ref="A" * 64), headers=checkout).status_code == 201


def test_the_openapi_document_states_the_identifiers_limits(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["OrderIn"]["properties"]["order_ref"]["maxLength"] == 64
    assert schemas["QuoteRequest"]["properties"]["order_ref"]["maxLength"] == 64
    assert schemas["QuoteRequest"]["properties"]["origin"]["maxLength"] == 40
    assert schemas["ApiKeyCreate"]["properties"]["channel"]["maxLength"] == 64


HUGE = 5 * 1024 * 1024
A_HUGE_POSTCODE = {**an_order()["destination"], "postcode": "9" * HUGE}


def test_a_5_mb_order_ref_is_not_echoed_back(
    client: FlaskClient, checkout: dict[str, str], cards: Callable[..., None]
) -> None:
    """With a card in force the quote would otherwise answer 200 and write the 5 MB reference back."""
    cards(a_card())
    for url, body in (("/api/v1/quotes", a_quote_request), ("/api/v1/orders", an_order)):
        response = client.post(url, json=body(order_ref="A" * HUGE), headers=checkout)
        assert response.status_code == 422
        assert len(response.get_data()) < SMALL_ANSWER
        assert [e["field"] for e in response.get_json()["errors"]] == ["order_ref"]


@pytest.mark.parametrize(
    ("url", "role", "body", "field"),
    [
        ("/api/v1/quotes", "checkout", a_quote_request(destination={"country": "X" * HUGE, "postcode": "1"}), None),
        ("/api/v1/orders", "checkout", an_order(destination=A_HUGE_POSTCODE), None),
        ("/api/v1/orders", "checkout", {**an_order(), "x" * HUGE: 1}, None),
        ("/api/v1/rate-cards", "manager", an_example_card(currency="E" * HUGE), "currency"),
        ("/api/v1/shipping-policy", "manager", {"currency": "E" * HUGE}, "currency"),
    ],
)
def test_an_error_about_a_huge_value_quotes_only_its_beginning(
    url: str, role: str, body: dict[str, Any], field: str | None, client: FlaskClient, request: pytest.FixtureRequest
) -> None:
    method = "PUT" if url.endswith("policy") else "POST"
    response = client.open(url, method=method, json=body, headers=request.getfixturevalue(role))
    assert response.status_code == 422
    assert len(response.get_data()) < SMALL_ANSWER, response.get_data()[:SMALL_ANSWER]
    if field is not None:
        assert field in [e.get("field") for e in response.get_json()["errors"]]


def test_a_huge_order_ref_in_the_path_is_not_echoed_back(client: FlaskClient, manager: dict[str, str]) -> None:
    response = client.post(f"/api/v1/orders/{'A' * 100_000}/cancel", headers=manager)
    assert response.status_code == 404
    assert len(response.get_data()) < SMALL_ANSWER


QUERIES_WITH_AN_UNKNOWN_PARAMETER = [
    ("GET", "/api/v1/rate-cards?carrierr=acme", "carrierr"),
    ("GET", "/api/v1/rate-cards/in-force?carrier=acme&day=2026-03-02", "day"),
    ("GET", "/api/v1/orders?state=pending", "state"),
    ("GET", "/api/v1/shipping-policy/break-even?cost=10&margin=30", "margin"),
]


@pytest.mark.parametrize(("method", "url", "field"), QUERIES_WITH_AN_UNKNOWN_PARAMETER)
def test_a_query_parameter_the_endpoint_does_not_define_is_refused_naming_it(
    method: str, url: str, field: str, client: FlaskClient, manager: dict[str, str]
) -> None:
    response = client.open(url, method=method, headers=manager)
    assert response.status_code == 422, response.get_json()
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [(field, "unknown field")]


def test_a_misspelt_dry_run_is_refused_rather_than_storing_the_card(
    client: FlaskClient, manager: dict[str, str]
) -> None:
    response = client.post("/api/v1/rate-cards?dryrun=true", json=an_example_card(), headers=manager)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["dryrun"]
    assert client.get("/api/v1/rate-cards", headers=manager).get_json() == []
