"""The checkout quote through the API: prices, dates, free shipping, exclusions, errors.

The cards here are written for the tests so that every expected figure can be
worked out by hand; warehouse PAR1 (config/warehouses.toml) costs 0.50 of
packaging per parcel, 1.50 of handling and 2.00 of indirect costs per order,
cut-off 15:00 Europe/Paris, Monday to Friday.
"""

from __future__ import annotations

import copy
import io
import json
import time
from typing import Any

import pytest

from tests.documents import a_service_document

QUOTES = "/api/v1/quotes"


def a_service(code: str, mode: str, **changes: Any) -> dict[str, Any]:
    return a_service_document(
        code, mode, **{"max_length_cm": 100, "transit": {"FR": [2, 2], "FR-COR": [3, 4]}, **changes}
    )


def a_grid(service: str, zone: str, prices: list[tuple[float, float]]) -> dict[str, Any]:
    return {
        "service": service,
        "zone": zone,
        "extra_kg_price": None,
        "brackets": [{"to_kg": kg, "price": price} for kg, price in prices],
    }


def a_card(code: str = "acme", **changes: Any) -> dict[str, Any]:
    """Home 6.00 up to 2 kg in mainland France (the worked example's transport), pickup point 4.50."""
    card = {
        "carrier": {"code": code, "name": code.title()},
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "fuel_percent": 0,
        "notes": "",
        "services": [a_service("HOME", "home"), a_service("RELAY", "pickup_point", transit={"FR": [3, 4]})],
        "zones": [
            {"code": "FR", "name": "Mainland", "entries": [{"country": "FR", "postcodes": ""}]},
            {"code": "FR-COR", "name": "Corsica", "entries": [{"country": "FR", "postcodes": "20"}]},
        ],
        "prices": [
            a_grid("HOME", "FR", [(2, 6.00), (10, 9.00)]),
            a_grid("HOME", "FR-COR", [(2, 9.50), (10, 14.00)]),
            a_grid("RELAY", "FR", [(2, 4.50), (10, 7.00)]),
        ],
        "surcharges": [],
        "tiers": [],
    }
    card.update(changes)
    return card


def an_order(**changes: Any) -> dict[str, Any]:
    order = {
        "order_ref": "A-1001",
        "ordered_at": "2026-03-02T10:00:00+01:00",  # a Monday morning in Paris
        "destination": {"country": "FR", "postcode": "69003", "city": "Lyon"},
        "parcels": [{"weight_kg": 2, "length_cm": 30, "width_cm": 20, "height_cm": 10}],
        "cart": {"value": 30.0, "currency": "EUR", "categories": ["shoes"]},
        "customer": {"tier": None},
        "promise": {"deliver_by": "2026-03-10"},
    }
    order.update(changes)
    return order


def quote(client, headers, **changes: Any) -> Any:
    response = client.post(QUOTES, json=an_order(**changes), headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_worked_example_costs_ten_euros(client, checkout, cards) -> None:
    cards(a_card())
    body = quote(client, checkout)
    home = body["cheapest"]["home"]
    # transport 6.00 + packaging 0.50 + handling 1.50 + indirect 2.00
    assert home["cost"] == {
        "base": 6.0,
        "discount": 0.0,
        "fuel": 0.0,
        "surcharges": 0.0,
        "transport": 6.0,
        "packaging": 0.5,
        "handling": 1.5,
        "indirect": 2.0,
        "total": 10.0,
    }
    assert home["customer_price"] == 10.0  # no policy set: the customer pays the cost
    assert home["rate_card"]["version"] == 1


def test_the_cheapest_option_of_each_mode_and_the_recommended_one(client, checkout, cards) -> None:
    cheaper = a_card("budget")
    cheaper["prices"] = [a_grid("HOME", "FR", [(10, 5.00)]), a_grid("RELAY", "FR", [(10, 4.90)])]
    cards(a_card(), cheaper)
    body = quote(client, checkout)
    assert (body["cheapest"]["home"]["carrier"], body["cheapest"]["home"]["cost"]["transport"]) == ("budget", 5.0)
    assert (body["cheapest"]["pickup_point"]["carrier"], body["cheapest"]["pickup_point"]["cost"]["transport"]) == (
        "acme",
        4.5,
    )
    assert body["cheapest"]["locker"] is None
    assert body["recommended"] == body["cheapest"]["pickup_point"]
    totals = [o["cost"]["total"] for o in body["options"]]
    assert totals == sorted(totals) and len(totals) == 4


def test_dates_follow_the_cutoff_and_a_promise_excludes_late_options(client, checkout, cards) -> None:
    cards(a_card())
    # Monday 10:00, before the 15:00 cut-off: picked up Monday; home J+2 -> Wednesday 4 March;
    # relay 3-4 business days (Mon-Sat) -> Thursday 5 to Friday 6 March.
    body = quote(client, checkout)
    by_service = {o["service"]: o["delivery"] for o in body["options"]}
    assert by_service["HOME"] == {"ships_on": "2026-03-02", "earliest": "2026-03-04", "latest": "2026-03-04"}
    assert by_service["RELAY"] == {"ships_on": "2026-03-02", "earliest": "2026-03-05", "latest": "2026-03-06"}

    # Promise Thursday 5th: the relay may arrive on Friday, too late.
    body = quote(client, checkout, promise={"deliver_by": "2026-03-05"})
    assert [o["service"] for o in body["options"]] == ["HOME"]
    assert body["cheapest"]["pickup_point"] is None
    assert [(e["service"], e["reason"]) for e in body["excluded"]] == [("RELAY", "too_late")]


def test_an_order_on_the_evening_before_a_public_holiday_ships_after_it(client, checkout, cards) -> None:
    cards(a_card())
    # Wednesday 13 May 2026 at 18:00, after the cut-off; Thursday 14 May is Ascension Day:
    # released and picked up Friday 15; home J+2 on Mon-Sat -> Saturday 16, Monday 18.
    body = quote(client, checkout, ordered_at="2026-05-13T18:00:00+02:00", promise={})
    home = next(o for o in body["options"] if o["service"] == "HOME")
    assert home["delivery"] == {"ships_on": "2026-05-15", "earliest": "2026-05-18", "latest": "2026-05-18"}


def test_good_friday_is_a_holiday_in_strasbourg_not_in_lyon(client, checkout, cards) -> None:
    cards(a_card())
    # Wednesday 1 April 2026, picked up the same day; home J+2 on Mon-Sat. Good Friday (3 April) is a
    # public holiday in Alsace and Moselle only: Lyon gets Friday 3, Strasbourg Saturday 4.
    arrivals = {}
    for postcode in ("69003", "67000"):
        destination = {"country": "FR", "postcode": postcode, "city": "X"}
        body = quote(client, checkout, ordered_at="2026-04-01T10:00:00+02:00", destination=destination, promise={})
        arrivals[postcode] = next(o for o in body["options"] if o["service"] == "HOME")["delivery"]["latest"]
    assert arrivals == {"69003": "2026-04-03", "67000": "2026-04-04"}


def test_a_corsican_postcode_is_priced_in_the_corsica_zone(client, checkout, cards) -> None:
    cards(a_card())
    body = quote(client, checkout, destination={"country": "FR", "postcode": "20000", "city": "Ajaccio"}, promise={})
    home = next(o for o in body["options"] if o["service"] == "HOME")
    assert home["cost"]["transport"] == 9.5
    assert [(e["service"], e["reason"]) for e in body["excluded"]] == [("RELAY", "zone_not_served")]


def test_free_shipping_above_a_threshold_says_what_is_missing(client, checkout, manager, cards, container) -> None:
    cards(a_card())
    response = client.put("/api/v1/shipping-policy", json={"free_above": 49, "margin_percent": 30}, headers=manager)
    assert response.status_code == 200, response.get_json()
    container.quote_book.refresh()

    body = quote(client, checkout)
    assert body["free_shipping"] == {"applies": False, "rule": None, "threshold": 49.0, "missing": 19.0}
    assert body["cheapest"]["home"]["customer_price"] == 10.0

    body = quote(client, checkout, cart={"value": 49.0, "currency": "EUR"})
    assert body["free_shipping"] == {"applies": True, "rule": "threshold", "threshold": 49.0, "missing": 0.0}
    assert {o["customer_price"] for o in body["options"]} == {0.0}


def test_a_loyalty_tier_ships_free_and_a_flat_price_applies_otherwise(
    client, checkout, manager, cards, container
) -> None:
    cards(a_card())
    client.put("/api/v1/shipping-policy", json={"free_tiers": ["gold"], "flat_price": 4.9}, headers=manager)
    container.quote_book.refresh()
    assert quote(client, checkout, customer={"tier": "gold"})["free_shipping"]["rule"] == "loyalty"
    body = quote(client, checkout, customer={"tier": "silver"})
    assert body["free_shipping"]["applies"] is False
    assert {o["customer_price"] for o in body["options"]} == {4.9}


POLICY = "/api/v1/shipping-policy"


def test_a_promotion_period_is_stored_shown_and_applied_by_quotes(client, checkout, manager, cards, container) -> None:
    cards(a_card())
    promotion = {"starts_on": "2026-03-01", "ends_on": "2026-03-31"}
    response = client.put(POLICY, json={"promotion": promotion}, headers=manager)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["promotion"] == promotion
    shown = client.get(POLICY, headers=manager)
    assert shown.status_code == 200 and shown.get_json() == response.get_json()
    container.quote_book.refresh()
    assert quote(client, checkout)["free_shipping"]["rule"] == "promotion"
    after = quote(client, checkout, ordered_at="2026-04-01T10:00:00+02:00", promise={})
    assert after["free_shipping"]["applies"] is False


def test_a_put_replaces_the_whole_policy_and_shows_every_field(client, manager) -> None:
    client.put(POLICY, json={"free_above": 49, "free_tiers": ["gold"]}, headers=manager)
    response = client.put(POLICY, json={"flat_price": 4.9}, headers=manager)
    assert response.status_code == 200
    assert response.get_json() == {
        "currency": "EUR",
        "free_always": False,
        "free_above": None,
        "free_tiers": [],
        "promotion": None,
        "free_categories": [],
        "flat_price": 4.9,
        "markup_percent": 0.0,
        "margin_percent": 30.0,
    }
    assert client.get(POLICY, headers=manager).get_json() == response.get_json()


BAD_POLICIES = {
    "promotion.ends_on": [
        {"promotion": {"starts_on": "2026-03-01"}},
        {"promotion": {"starts_on": "2026-03-31", "ends_on": "2026-03-01"}},
        {"promotion": {"starts_on": "2026-03-01", "ends_on": "2126-03-31"}},
    ],
    "promotion.starts_on": [{"promotion": {"starts_on": "2026-3-1", "ends_on": "2026-03-31"}}],
    "promotion": [{"promotion": "March"}, {"promotion": ["2026-03-01", "2026-03-31"]}],
    "promotion.until": [{"promotion": {"starts_on": "2026-03-01", "ends_on": "2026-03-31", "until": "x"}}],
    "free_above": [{"free_above": -1}, {"free_above": "NaN"}, {"free_above": True}, {"free_above": 1e300}],
    "flat_price": [{"flat_price": "cheap"}],
    "margin_percent": [{"margin_percent": 0}, {"margin_percent": 0.001}, {"margin_percent": 101}],
    "markup_percent": [{"markup_percent": -5}, {"markup_percent": 5000}],
    "free_tiers": [{"free_tiers": "gold"}, {"free_tiers": [f"t{i}" for i in range(101)]}],
    "free_tiers[1]": [{"free_tiers": ["gold", 3]}, {"free_tiers": ["gold", "x" * 65]}],
    "currency": [{"currency": "USD"}],
    "free_abov": [{"free_abov": 49}],
}


@pytest.mark.parametrize(
    ("field", "policy"), [(field, policy) for field, policies in BAD_POLICIES.items() for policy in policies]
)
def test_a_bad_policy_is_422_naming_the_field_and_the_policy_in_force_stays(field, policy, client, manager) -> None:
    client.put(POLICY, json={"free_above": 49}, headers=manager)
    before = client.get(POLICY, headers=manager).get_json()
    response = client.put(POLICY, json=policy, headers=manager)
    assert response.status_code == 422, response.get_json()
    assert [e["field"] for e in response.get_json()["errors"]] == [field], response.get_json()
    assert client.get(POLICY, headers=manager).get_json() == before


def test_the_break_even_cart_value_of_ten_euros_at_thirty_percent_is_33_33(client, manager) -> None:
    response = client.get("/api/v1/shipping-policy/break-even?cost=10.00&margin_percent=30", headers=manager)
    assert response.status_code == 200
    assert response.get_json()["break_even_cart_value"] == 33.33


def test_a_destination_no_card_covers_gets_no_option_and_every_service_excluded(client, checkout, cards) -> None:
    cards(a_card())
    body = quote(client, checkout, destination={"country": "DE", "postcode": "10115", "city": "Berlin"})
    assert body["options"] == [] and body["recommended"] is None
    assert body["cheapest"] == {"home": None, "pickup_point": None, "locker": None}
    assert sorted((e["carrier"], e["service"], e["reason"]) for e in body["excluded"]) == [
        ("acme", "HOME", "zone_not_served"),
        ("acme", "RELAY", "zone_not_served"),
    ]


def test_too_heavy_and_too_long_parcels_are_excluded_with_their_reason(client, checkout, cards) -> None:
    card = a_card()
    card["services"][1]["max_weight_kg"] = 5
    cards(card)
    body = quote(client, checkout, parcels=[{"weight_kg": 6, "length_cm": 30, "width_cm": 20, "height_cm": 10}])
    assert [(e["service"], e["reason"]) for e in body["excluded"]] == [("RELAY", "overweight")]
    body = quote(client, checkout, parcels=[{"weight_kg": 1, "length_cm": 101, "width_cm": 20, "height_cm": 10}])
    assert sorted(e["reason"] for e in body["excluded"]) == ["oversize", "oversize"]


def test_a_multi_parcel_order_travels_on_one_service_and_costs_the_sum(client, checkout, cards) -> None:
    cards(a_card())
    parcels = [
        {"weight_kg": 1, "length_cm": 30, "width_cm": 20, "height_cm": 10},
        {"weight_kg": 5, "length_cm": 30, "width_cm": 20, "height_cm": 10},
    ]
    home = quote(client, checkout, parcels=parcels)["cheapest"]["home"]
    # 6.00 + 9.00 transport, 2 x 0.50 packaging, 1.50 + 2.00 per order
    assert (home["cost"]["transport"], home["cost"]["packaging"], home["cost"]["total"]) == (15.0, 1.0, 19.5)


def test_the_same_request_gets_the_same_answer(client, checkout, cards) -> None:
    cheaper = a_card("budget")
    cards(a_card(), cheaper)
    assert quote(client, checkout) == quote(client, checkout)


BAD_ORDERS = {
    "destination.country": {"destination": {"country": "XX", "postcode": "75001"}},
    "destination.postcode": {"destination": {"country": "FR", "postcode": "7500"}},
    "parcels[0].weight_kg": {"parcels": [{"weight_kg": 0, "length_cm": 10, "width_cm": 10, "height_cm": 10}]},
    "parcels[0].length_cm": {"parcels": [{"weight_kg": 1, "length_cm": -5, "width_cm": 10, "height_cm": 10}]},
    "promise.deliver_after": {"promise": {"deliver_by": "2026-03-05", "deliver_after": "2026-03-06"}},
    "ordered_at": {"ordered_at": "2025-06-01T10:00:00+02:00"},
    "cart.currency": {"cart": {"value": 10, "currency": "EUX"}},
}


@pytest.mark.parametrize("field", sorted(BAD_ORDERS))
def test_a_bad_order_is_422_naming_the_field(field, client, checkout, cards) -> None:
    cards(a_card())
    response = client.post(QUOTES, json=an_order(**BAD_ORDERS[field]), headers=checkout)
    assert response.status_code == 422, response.get_json()
    assert field in [e["field"] for e in response.get_json()["errors"]]


def test_an_order_time_without_offset_is_422(client, checkout, cards) -> None:
    cards(a_card())
    response = client.post(QUOTES, json=an_order(ordered_at="2026-03-02T10:00:00"), headers=checkout)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["ordered_at"]


def test_quoting_needs_a_key_with_the_checkout_role(client, cards, manager) -> None:
    cards(a_card())
    assert client.post(QUOTES, json=an_order()).status_code == 401
    assert client.post(QUOTES, json=an_order(), headers=manager).status_code == 200


def test_a_newly_activated_card_is_quoted_without_a_restart(client, checkout, manager, cards) -> None:
    """The watcher picks the card up within its poll (0.25 s) and a rebuild; the bound is generous
    for a loaded machine: this checks that it happens, `make bench` how fast."""
    cards(a_card())
    assert quote(client, checkout)["cheapest"]["home"]["cost"]["transport"] == 6.0  # the book now watches the store

    newer = a_card(valid_from="2026-02-01")
    newer["prices"][0] = a_grid("HOME", "FR", [(2, 5.20), (10, 9.00)])
    assert client.post("/api/v1/rate-cards?activate=true", json=newer, headers=manager).status_code == 201

    deadline = time.monotonic() + 10.0
    while quote(client, checkout)["cheapest"]["home"]["cost"]["transport"] != 5.2:
        assert time.monotonic() < deadline, "the new card was not picked up within 10 s"
        time.sleep(0.02)
    assert quote(client, checkout)["cheapest"]["home"]["rate_card"]["version"] == 2


def shopify_request(**changes: Any) -> dict[str, Any]:
    rate = {
        "origin": {"country": "FR", "postal_code": "95500", "city": "Gonesse"},
        "destination": {"country": "FR", "postal_code": "69003", "city": "Lyon"},
        "items": [
            {"name": "Sneakers", "quantity": 1, "grams": 1200, "price": 5990, "requires_shipping": True},
            {"name": "Socks", "quantity": 2, "grams": 100, "price": 990, "requires_shipping": True},
            {"name": "Gift card", "quantity": 1, "grams": 0, "price": 2500, "requires_shipping": False},
        ],
        "currency": "EUR",
        "locale": "fr",
    }
    rate.update(changes)
    return {"rate": rate}


def test_the_shopify_callback_answers_in_shopify_units(client, checkout, cards, clock) -> None:
    cards(a_card())
    response = client.post("/api/v1/integrations/shopify/rates", json=shopify_request(), headers=checkout)
    assert response.status_code == 200, response.get_json()
    rates = response.get_json()["rates"]
    # 1.4 kg in total: home 6.00 + 4.00 of warehouse costs = 1000 cents; relay 4.50 + 4.00 = 850 cents.
    assert sorted((r["service_code"], r["total_price"], r["currency"]) for r in rates) == [
        ("acme:HOME", "1000", "EUR"),
        ("acme:RELAY", "850", "EUR"),
    ]
    for rate in rates:
        assert rate["min_delivery_date"] <= rate["max_delivery_date"]
        assert rate["min_delivery_date"].endswith("+0000")


def test_the_shopify_callback_gives_no_rates_when_nothing_serves(client, checkout, cards) -> None:
    cards(a_card())
    destination = {"country": "DE", "postal_code": "10115", "city": "Berlin"}
    response = client.post(
        "/api/v1/integrations/shopify/rates", json=shopify_request(destination=destination), headers=checkout
    )
    assert response.status_code == 200 and response.get_json() == {"rates": []}


def test_the_openapi_document_describes_the_quote(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/quotes"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("QuoteRequest")
    assert "cheapest" in spec["components"]["schemas"]["Quote"]["properties"]
    # The documentation decorators add no wrapper at run time, yet every answer and the key are documented.
    for path in ("/api/v1/quotes", "/api/v1/integrations/shopify/rates"):
        operation = spec["paths"][path]["post"]
        assert operation["security"] == [{"bearerAuth": []}]
        assert {"200", "401", "403"} <= set(operation["responses"])
    answer = spec["paths"]["/api/v1/quotes"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["oneOf"][0]["$ref"].endswith("/Quote")  # the full view; the summary one is tested below
    assert "422" in spec["paths"]["/api/v1/quotes"]["post"]["responses"]


def test_an_example_order_of_the_documentation_is_accepted_by_both_readers() -> None:
    from tms.api.quote_io import parse_quote_request
    from tms.api.schemas import QuoteRequestSchema

    order = copy.deepcopy(an_order())
    assert QuoteRequestSchema().validate(order) == {}
    assert parse_quote_request(order).order_ref == order["order_ref"]


def _signed(body: bytes, secret: str) -> str:
    import base64
    import hashlib
    import hmac

    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_shopify_may_call_with_its_signature_instead_of_a_key(client, app, cards) -> None:
    import dataclasses
    import json

    cards(a_card())
    container = app.extensions["tms"]
    container.settings = dataclasses.replace(container.settings, shopify_app_secret="s3cret")
    body = json.dumps(shopify_request()).encode()
    url = "/api/v1/integrations/shopify/rates"

    good = client.post(
        url, data=body, content_type="application/json", headers={"X-Shopify-Hmac-Sha256": _signed(body, "s3cret")}
    )
    assert good.status_code == 200 and len(good.get_json()["rates"]) == 2

    forged = client.post(
        url, data=body, content_type="application/json", headers={"X-Shopify-Hmac-Sha256": _signed(body, "guess")}
    )
    assert forged.status_code == 401
    assert client.post(url, data=body, content_type="application/json").status_code == 401


ODD_BODIES = {
    "modes": {"modes": [["home"]]},
    "cart.value": {"cart": {"value": "1e999999", "currency": "EUR"}},
    "ordered_at": {"ordered_at": "0001-01-01T00:00:00+14:00"},
    "promise.deliver_by": {"promise": {"deliver_by": "9999-12-31"}},
    "destination": {"destination": ["FR", "75001"]},
    "parcels[0].weight_kg": {"parcels": [{"weight_kg": True, "length_cm": 1, "width_cm": 1, "height_cm": 1}]},
}


@pytest.mark.parametrize("field", sorted(ODD_BODIES))
def test_odd_json_types_and_extreme_values_are_422_not_500(field, client, checkout, cards) -> None:
    cards(a_card())
    response = client.post(QUOTES, json=an_order(**ODD_BODIES[field]), headers=checkout)
    assert response.status_code == 422, response.get_json()
    assert field in [e["field"] for e in response.get_json()["errors"]]


def test_a_card_in_another_currency_is_excluded_not_mixed_in(client, checkout, cards) -> None:
    cards(a_card(), a_card("nordic", currency="SEK"))
    body = quote(client, checkout)
    assert {o["carrier"] for o in body["options"]} == {"acme"}
    assert {(e["carrier"], e["reason"]) for e in body["excluded"]} == {("nordic", "currency")}


def test_a_shopify_request_with_odd_types_is_422(client, checkout, cards) -> None:
    cards(a_card())
    url = "/api/v1/integrations/shopify/rates"
    assert client.post(url, json=shopify_request(destination="FR"), headers=checkout).status_code == 422
    huge = shopify_request(items=[{"quantity": 1, "grams": 10**400, "price": 1}])
    assert client.post(url, json=huge, headers=checkout).status_code == 422
    bad_sig = client.post(url, json=shopify_request(), headers={"X-Shopify-Hmac-Sha256": "é"})
    assert bad_sig.status_code == 401


@pytest.mark.parametrize(
    ("data", "content_type"),
    [('{"order_ref": ', "application/json"), ("[1, 2]", "application/json"), ("order_ref=A", "text/plain")],
)
def test_a_body_that_is_not_a_json_object_is_422(data, content_type, client, checkout, cards) -> None:
    cards(a_card())
    response = client.post(QUOTES, data=data, content_type=content_type, headers=checkout)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["body"]


def test_a_body_past_the_size_limit_is_422_on_body_and_a_chunked_body_is_read(client, app, checkout, cards) -> None:
    cards(a_card())
    body = json.dumps(an_order()).encode()
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = len(body) - 1
    try:
        too_large = client.post(QUOTES, data=body, content_type="application/json", headers=checkout)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert too_large.status_code == 422
    assert [e["field"] for e in too_large.get_json()["errors"]] == ["body"]
    # No Content-Length: the server ends the stream (as gunicorn does for a chunked body).
    chunked = client.post(
        QUOTES,
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers={**checkout, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert chunked.status_code == 200, chunked.get_json()
    assert chunked.get_json() == quote(client, checkout)


def test_a_body_shorter_than_its_length_or_with_an_odd_length_is_refused_and_werkzeug_reads_it_after(
    client, app, checkout, cards
) -> None:
    from flask import request

    from tms.api.context import request_body

    cards(a_card())
    body = json.dumps(an_order()).encode()
    short = client.post(
        QUOTES,
        data=body,
        headers=checkout,
        content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": str(len(body) + 5)},
    )
    assert short.status_code == 400
    odd = client.post(
        QUOTES,
        data=body,
        content_type="application/json",
        headers=checkout,
        environ_overrides={"CONTENT_LENGTH": "\u00b2"},  # a superscript two: a digit to str.isdigit, not a length
    )
    assert odd.status_code == 422
    assert [e["field"] for e in odd.get_json()["errors"]] == ["body"]
    with app.test_request_context(QUOTES, method="POST", data=body, content_type="application/json"):
        assert request_body() == body
        assert request_body() == body
        assert request.get_data() == body


def test_a_misspelt_field_is_refused_naming_it_rather_than_ignored(client, checkout, cards) -> None:
    cards(a_card())
    response = client.post(QUOTES, json=an_order(promis={"deliver_by": "2026-03-03"}), headers=checkout)
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.get_json()["errors"]] == [("promis", "unknown field")]


def test_a_cart_currency_in_lower_case_or_absent_is_euros(client, checkout, cards) -> None:
    cards(a_card())
    lower = quote(client, checkout, cart={"value": 30.0, "currency": "eur"})
    absent = quote(client, checkout, cart={"value": 30.0})
    assert lower == absent == quote(client, checkout)
    assert {o["carrier"] for o in lower["options"]} == {"acme"}


# --- the summary view


def _lean(option: dict[str, Any] | None) -> dict[str, Any] | None:
    """A full answer's option as the summary view shows it: everything but the cost breakdown."""
    return None if option is None else {k: v for k, v in option.items() if k != "cost"}


def test_the_summary_view_answers_the_cheapest_per_mode_and_the_recommended_option_only(
    client, checkout, cards
) -> None:
    cheaper = a_card("budget")
    cheaper["prices"] = [a_grid("HOME", "FR", [(10, 5.00)]), a_grid("RELAY", "FR", [(10, 4.90)])]
    cards(a_card(), cheaper)
    full = quote(client, checkout)
    summary = quote(client, checkout, view="summary")

    assert set(summary) == {"order_ref", "warehouse", "currency", "cheapest", "recommended", "free_shipping"}
    assert summary["cheapest"] == {mode: _lean(option) for mode, option in full["cheapest"].items()}
    assert summary["cheapest"]["home"]["carrier"] == "budget" and summary["cheapest"]["locker"] is None
    assert summary["recommended"] == _lean(full["recommended"])
    assert summary["recommended"]["customer_price"] == 8.5  # relay 4.50 + the warehouse's 4.00
    assert (summary["currency"], summary["free_shipping"]) == (full["currency"], full["free_shipping"])


def test_the_summary_view_keeps_the_free_shipping_figures(client, checkout, cards, manager) -> None:
    cards(a_card())
    policy = client.put("/api/v1/shipping-policy", json={"free_above": 49}, headers=manager)
    assert policy.status_code == 200, policy.get_json()
    container = client.application.extensions["tms"]
    container.quote_book.refresh()

    summary = quote(client, checkout, view="summary")
    assert summary["free_shipping"] == {"applies": False, "rule": None, "threshold": 49.0, "missing": 19.0}
    assert summary["recommended"]["customer_price"] > 0


def test_the_summary_view_of_an_order_nothing_can_carry_is_empty_not_an_error(client, checkout, cards) -> None:
    cards(a_card())
    heavy = [{"weight_kg": 50, "length_cm": 30, "width_cm": 20, "height_cm": 10}]
    summary = quote(client, checkout, view="summary", parcels=heavy)
    assert summary["recommended"] is None
    assert summary["cheapest"] == {"home": None, "pickup_point": None, "locker": None}


def test_the_full_view_is_the_default(client, checkout, cards) -> None:
    cards(a_card())
    assert quote(client, checkout, view="full") == quote(client, checkout)


@pytest.mark.parametrize("view", ["lean", "", 1, ["summary"], "SUMMARY"])
def test_a_view_other_than_full_or_summary_is_422_naming_view(view, client, checkout, cards) -> None:
    cards(a_card())
    response = client.post(QUOTES, json=an_order(view=view), headers=checkout)
    assert response.status_code == 422, response.get_json()
    assert [e["field"] for e in response.get_json()["errors"]] == ["view"]


def test_a_bad_view_is_named_beside_the_other_bad_fields(client, checkout, cards) -> None:
    cards(a_card())
    response = client.post(QUOTES, json=an_order(view="lean", order_ref=""), headers=checkout)
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["errors"]} == {"view", "order_ref"}


def test_a_null_view_is_the_full_answer_as_any_null_optional_field_is_absent(client, checkout, cards) -> None:
    cards(a_card())
    assert quote(client, checkout, view=None) == quote(client, checkout)


def test_the_openapi_document_describes_the_view_and_the_summary_answer(client) -> None:
    from tms.api.quote_io import parse_quote_body
    from tms.api.schemas import QuoteRequestSchema
    from tms.domain.errors import InvalidInput

    spec = client.get("/api/v1/openapi.json").get_json()
    view = spec["components"]["schemas"]["QuoteRequest"]["properties"]["view"]
    assert view["enum"] == ["full", "summary", None] and view["default"] == "full"  # null: the default
    answer = spec["paths"]["/api/v1/quotes"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert [ref["$ref"].rsplit("/", 1)[1] for ref in answer["oneOf"]] == ["Quote", "QuoteSummary"]
    assert "excluded" not in spec["components"]["schemas"]["QuoteSummary"]["properties"]
    # The schema and the hand-written reader refuse a bad view in the same words, and read a good one alike.
    assert QuoteRequestSchema().validate(an_order(view="lean")) == {"view": ["must be one of full, summary"]}
    with pytest.raises(InvalidInput) as refused:
        parse_quote_body(an_order(view="lean"))
    assert [(p.field, p.message) for p in refused.value.problems] == [("view", "must be one of full, summary")]
    assert QuoteRequestSchema().validate(an_order(view="summary")) == {}
    assert parse_quote_body(an_order(view="summary"))[1] == "summary"


def test_each_option_shows_its_services_features_so_the_shop_can_display_them(client, checkout, cards) -> None:
    signed = a_service("HOME_SIG", "home", signature=True, insurance_cover=500)
    card = a_card(services=[*a_card()["services"], signed])
    card["prices"] = [*card["prices"], a_grid("HOME_SIG", "FR", [(10, 7.20)])]
    cards(card)
    body = quote(client, checkout)
    features = {o["service"]: o["features"] for o in body["options"]}
    assert features["HOME_SIG"] == {"signature": True, "appointment": False, "insurance_cover": 500.0}
    assert features["HOME"] == {"signature": False, "appointment": False, "insurance_cover": None}
    summary = quote(client, checkout, view="summary")
    assert summary["cheapest"]["home"]["features"] == features["HOME"]
