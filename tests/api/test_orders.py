"""Orders awaiting shipment through the API: register (idempotent), list, cancel, refuse bad ones."""

from __future__ import annotations

import copy
from typing import Any

import pytest

ORDERS = "/api/v1/orders"


def an_order(**changes: Any) -> dict[str, Any]:
    order = {
        "order_ref": "A-2001",
        "ordered_at": "2026-03-02T10:00:00+01:00",
        "origin": "PAR1",
        "destination": {
            "name": "Léa Martin",
            "line1": "12, rue de l'Église",
            "postcode": "69003",
            "city": "Lyon",
            "country": "FR",
        },
        "mode": "home",
        "carrier": "colissimo",
        "service": "HOME",
        "promise": {"deliver_by": "2026-03-10"},
        "items": [{"sku": "SHOE-42", "weight_kg": 1.2, "length_cm": 33, "width_cm": 22, "height_cm": 12}],
        "cart": {"value": 89.9, "currency": "EUR"},
    }
    order.update(changes)
    return order


def test_a_paid_order_is_registered_as_pending_in_exact_units(client, checkout) -> None:
    response = client.post(ORDERS, json=an_order(), headers=checkout)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending" and body["warehouse"] == "PAR1"
    assert body["items"][0] == {
        "sku": "SHOE-42",
        "weight_g": 1200,
        "length_mm": 330,
        "width_mm": 220,
        "height_mm": 120,
        "quantity": 1,
    }
    assert body["consignee_key"] == "addr:FR|69003|LYON|12 RUE DE L EGLISE|LEA MARTIN"


def test_what_the_shopper_paid_for_shipping_is_kept_to_the_cent(client, checkout, manager) -> None:
    paid = client.post(ORDERS, json=an_order(cart={"value": 89.9, "shipping_paid": 4.905}), headers=checkout)
    free = client.post(ORDERS, json=an_order(order_ref="A-2002", cart={"value": 89.9}), headers=checkout)
    assert (paid.status_code, free.status_code) == (201, 201), (paid.get_json(), free.get_json())
    listed = {o["order_ref"]: o["shipping_paid"] for o in client.get(ORDERS, headers=manager).get_json()}
    assert listed == {"A-2001": 4.91, "A-2002": None}


def test_posting_the_same_order_again_is_idempotent(client, checkout, manager) -> None:
    first = client.post(ORDERS, json=an_order(), headers=checkout)
    again = client.post(ORDERS, json=an_order(), headers=checkout)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert len(client.get(ORDERS, headers=manager).get_json()) == 1


def test_another_order_with_a_taken_ref_is_409_and_changes_nothing(client, checkout, manager) -> None:
    client.post(ORDERS, json=an_order(), headers=checkout)
    response = client.post(ORDERS, json=an_order(cart={"value": 10, "currency": "EUR"}), headers=checkout)
    assert response.status_code == 409
    assert client.get(f"{ORDERS}/A-2001", headers=manager).get_json()["status"] == "pending"


def test_orders_are_listed_and_filtered_by_status_and_consignee(client, checkout, manager) -> None:
    client.post(ORDERS, json=an_order(), headers=checkout)
    other = an_order(order_ref="A-2002")
    other["destination"] = {**other["destination"], "line1": "3 place Bellecour"}
    client.post(ORDERS, json=other, headers=checkout)
    client.post(f"{ORDERS}/A-2002/cancel", headers=checkout)

    pending = client.get(f"{ORDERS}?status=pending", headers=manager).get_json()
    assert [o["order_ref"] for o in pending] == ["A-2001"]
    key = pending[0]["consignee_key"]
    same = client.get(ORDERS, query_string={"consignee_key": key}, headers=manager).get_json()
    assert [o["order_ref"] for o in same] == ["A-2001"]


def test_only_a_pending_order_can_be_cancelled(client, checkout) -> None:
    client.post(ORDERS, json=an_order(), headers=checkout)
    first = client.post(f"{ORDERS}/A-2001/cancel", headers=checkout)
    assert first.status_code == 200 and first.get_json()["status"] == "cancelled"
    assert client.post(f"{ORDERS}/A-2001/cancel", headers=checkout).status_code == 409
    assert client.post(f"{ORDERS}/NOPE/cancel", headers=checkout).status_code == 404


def _without(field: str) -> dict[str, Any]:
    order = an_order()
    del order[field]
    return order


BAD_ORDERS = {
    "destination.postcode": an_order(destination={**an_order()["destination"], "postcode": "6900"}),
    "destination.country": an_order(destination={**an_order()["destination"], "country": "XX"}),
    "items[0].weight_kg": an_order(items=[{"sku": "X", "weight_kg": 0, "length_cm": 1, "width_cm": 1, "height_cm": 1}]),
    "mode": an_order(mode="drone"),
    "promise.deliver_after": an_order(promise={"deliver_by": "2026-03-05", "deliver_after": "2026-03-06"}),
    "ordered_at": an_order(ordered_at="2026-03-02T10:00:00"),
    "items": _without("items"),
    "origin": an_order(origin="NOWHERE"),
    "cart.shipping_paid": an_order(cart={"value": 89.9, "shipping_paid": -1}),
    "cart.shipping_paid ": an_order(cart={"value": 89.9, "shipping_paid": "free"}),
}


@pytest.mark.parametrize("field", sorted(BAD_ORDERS))
def test_an_invalid_order_is_422_naming_the_field_and_nothing_is_stored(field, client, checkout, manager) -> None:
    response = client.post(ORDERS, json=copy.deepcopy(BAD_ORDERS[field]), headers=checkout)
    assert response.status_code == 422, response.get_json()
    assert field.strip() in [e.get("field") for e in response.get_json()["errors"]], response.get_json()
    assert client.get(ORDERS, headers=manager).get_json() == []


def test_a_pickup_point_order_needs_its_carrier(client, checkout) -> None:
    order = an_order(mode="pickup_point", carrier=None, pickup_point_id="MR-069123")
    response = client.post(ORDERS, json=order, headers=checkout)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["carrier"]


def test_an_order_refuses_what_the_quote_refuses_with_the_same_words(client, checkout) -> None:
    order = an_order(items=[{"sku": "X", "weight_kg": "NaN", "length_cm": 1, "width_cm": 1, "height_cm": 1}])
    order["destination"] = {**order["destination"], "street": "rue"}
    response = client.post(ORDERS, json=order, headers=checkout)
    assert response.status_code == 422
    assert sorted((e["field"], e["message"]) for e in response.get_json()["errors"]) == [
        ("destination.street", "unknown field"),
        ("items[0].weight_kg", "must be a finite number"),
    ]


def test_an_order_body_that_is_not_an_object_is_422_on_body(client, checkout) -> None:
    response = client.post(ORDERS, json=[1, 2], headers=checkout)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["body"]


def test_an_order_with_an_item_no_box_takes_is_refused_naming_the_item(client, checkout, manager) -> None:
    items = [
        {"sku": "SHOE-42", "weight_kg": 1.2, "length_cm": 33, "width_cm": 22, "height_cm": 12},
        {"sku": "SOFA", "weight_kg": 40, "length_cm": 200, "width_cm": 90, "height_cm": 80},
        {"sku": "ANVIL", "weight_kg": 31, "length_cm": 20, "width_cm": 20, "height_cm": 20},  # past every box's kg
    ]
    response = client.post(ORDERS, json=an_order(items=items), headers=checkout)
    assert response.status_code == 422, response.get_json()
    assert [e["field"] for e in response.get_json()["errors"]] == ["items[1]", "items[2]"]
    assert "fits no box (the largest is 60 x 40 x 40 cm, up to 30 kg)" in response.get_json()["errors"][0]["message"]
    assert client.get(f"{ORDERS}/A-2001", headers=manager).status_code == 404  # nothing stored
    # A long item that fits the largest box turned on its side is accepted.
    tube = {"sku": "TUBE", "weight_kg": 1, "length_cm": 40, "width_cm": 10, "height_cm": 58}
    assert client.post(ORDERS, json=an_order(items=[tube]), headers=checkout).status_code == 201


def a_checkout_key(client, admin, channel: str | None = None) -> dict[str, str]:
    body = {"name": f"shop {channel}", "role": "checkout", **({"channel": channel} if channel else {})}
    created = client.post("/api/v1/keys", json=body, headers=admin)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["channel"] == (channel or f"key-{created.get_json()['id']}")
    return {"Authorization": f"Bearer {created.get_json()['key']}"}


def test_a_checkout_key_cancels_its_channels_orders_and_not_another_channels(client, admin, manager) -> None:
    shop_fr, shop_fr_again, shop_be = (a_checkout_key(client, admin, c) for c in ("shop-fr", "shop-fr", "shop-be"))
    registered = client.post(ORDERS, json=an_order(), headers=shop_fr)
    assert registered.status_code == 201 and registered.get_json()["channel"] == "shop-fr"
    client.post(ORDERS, json=an_order(order_ref="A-2002"), headers=shop_fr)

    refused = client.post(f"{ORDERS}/A-2001/cancel", headers=shop_be)
    unknown = client.post(f"{ORDERS}/A-9999/cancel", headers=shop_be)
    assert (refused.status_code, refused.get_json()["code"]) == (unknown.status_code, unknown.get_json()["code"])
    assert refused.status_code == 404
    assert client.get(f"{ORDERS}/A-2001", headers=manager).get_json()["status"] == "pending"

    cancelled = client.post(f"{ORDERS}/A-2001/cancel", headers=shop_fr_again)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert client.post(f"{ORDERS}/A-2002/cancel", headers=manager).status_code == 200


def test_checkout_keys_created_without_a_channel_each_cancel_only_their_own_orders(client, admin) -> None:
    first, second = a_checkout_key(client, admin), a_checkout_key(client, admin)
    client.post(ORDERS, json=an_order(), headers=first)
    assert client.post(f"{ORDERS}/A-2001/cancel", headers=second).status_code == 404
    assert client.post(f"{ORDERS}/A-2001/cancel", headers=first).status_code == 200


def test_the_same_order_posted_by_another_channel_is_409_and_keeps_its_channel(client, admin, manager) -> None:
    shop_fr, shop_be = a_checkout_key(client, admin, "shop-fr"), a_checkout_key(client, admin, "shop-be")
    client.post(ORDERS, json=an_order(), headers=shop_fr)
    assert client.post(ORDERS, json=an_order(), headers=shop_be).status_code == 409
    assert client.get(f"{ORDERS}/A-2001", headers=manager).get_json()["channel"] == "shop-fr"


@pytest.mark.parametrize("channel", ["Shop FR", "key-7", "-shop", "x" * 65, 7])
def test_a_key_with_a_channel_that_cannot_name_one_is_422_on_channel(channel, client, admin) -> None:
    response = client.post("/api/v1/keys", json={"name": "shop", "role": "checkout", "channel": channel}, headers=admin)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["channel"]
    assert len(client.get("/api/v1/keys", headers=admin).get_json()) == 1  # the admin's own


def _activate_demo_colissimo(client, manager, container) -> None:
    import json

    from tests.carriers.builders import ROOT

    card = json.loads((ROOT / "config" / "demo" / "colissimo.json").read_text(encoding="utf-8"))
    assert client.post("/api/v1/rate-cards?activate=true", json=card, headers=manager).status_code == 201
    container.quote_book.refresh()


def test_an_order_records_the_features_of_the_service_its_shopper_chose(client, checkout, manager, container) -> None:
    _activate_demo_colissimo(client, manager, container)
    body = an_order(service="HOME_SIG", features={"insurance_cover": 900})
    response = client.post(ORDERS, json=body, headers=checkout)
    assert response.status_code == 201, response.get_json()
    recorded = {"speed": "standard", "signature": True, "appointment": False, "insurance_cover": 900.0}
    assert response.get_json()["features"] == recorded
    assert client.get(f"{ORDERS}/A-2001", headers=manager).get_json()["features"] == recorded
    # The same order posted again is the same order, though it states less than was recorded.
    assert client.post(ORDERS, json=body, headers=checkout).status_code == 200
    plain = client.post(ORDERS, json=an_order(order_ref="A-2002"), headers=checkout).get_json()
    assert plain["features"] == {"speed": "standard", "signature": False, "appointment": False, "insurance_cover": None}


@pytest.mark.parametrize(
    ("features", "field"),
    [
        ({"signature": "yes"}, "signature"),
        ({"appointment": 1}, "appointment"),
        ({"speed": "fast"}, "speed"),
        ({"insurance_cover": -5}, "insurance_cover"),
        ({"insurance_cover": "a lot"}, "insurance_cover"),
        ({"gift_wrap": True}, "gift_wrap"),
    ],
)
def test_a_bad_feature_is_422_naming_its_field(client, checkout, manager, features, field) -> None:
    response = client.post(ORDERS, json=an_order(features=features), headers=checkout)
    assert response.status_code == 422, response.get_json()
    assert [e.get("field") for e in response.get_json()["errors"]] == [f"features.{field}"]
    assert client.get(ORDERS, headers=manager).get_json() == []
