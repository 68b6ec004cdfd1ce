"""The manager pages for API keys (admin only) and a carrier's fuel figures: each form's main action,
its located errors with what was typed kept, and nothing changed on error."""

from __future__ import annotations

import re

from tests.api.test_manager_pages import csrf_token, sign_in


def test_an_admin_creates_a_key_sees_its_secret_once_and_the_key_works_until_revoked(client, admin) -> None:
    sign_in(client, admin)
    token = csrf_token(client, "/manager/keys")
    made = client.post(
        "/manager/keys", data={"name": "Boutique", "role": "checkout", "channel": "shop-fr", "csrf_token": token}
    )
    assert made.status_code == 200
    html = made.get_data(as_text=True)
    secret = re.search(r'<code id="secret">(tms_[^<]+)</code>', html)
    assert secret is not None
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    assert client.get("/api/v1/keys", headers=admin).status_code == 200
    listed = {k["name"]: k for k in client.get("/api/v1/keys", headers=admin).get_json()}
    assert listed["Boutique"]["role"] == "checkout" and listed["Boutique"]["channel"] == "shop-fr"
    assert secret.group(1) not in client.get("/manager/keys").get_data(as_text=True)  # shown once
    quote_body = {"destination": {"country": "FR", "postcode": "69003"}}
    assert client.post("/api/v1/quotes", json=quote_body, headers=bearer).status_code != 401

    key_id = listed["Boutique"]["id"]
    revoked = client.post(f"/manager/keys/{key_id}/revoke", data={"csrf_token": csrf_token(client, "/manager/keys")})
    assert revoked.status_code == 302
    assert client.post("/api/v1/quotes", json=quote_body, headers=bearer).status_code == 401
    again = client.post(f"/manager/keys/{key_id}/revoke", data={"csrf_token": csrf_token(client, "/manager/keys")})
    assert "already revoked" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert client.post("/manager/keys/999999/revoke", data={"csrf_token": csrf_token(client)}).status_code == 404


def test_a_bad_key_form_names_the_field_keeps_what_was_typed_and_creates_nothing(client, admin) -> None:
    sign_in(client, admin)
    before = client.get("/api/v1/keys", headers=admin).get_json()
    for data, field in (
        ({"name": "", "role": "checkout", "channel": ""}, "name"),
        ({"name": "x" * 201, "role": "checkout", "channel": ""}, "name"),
        ({"name": "Boutique", "role": "owner", "channel": ""}, "role"),
        ({"name": "Boutique", "role": "checkout", "channel": "Shop FR"}, "channel"),
    ):
        refused = client.post("/manager/keys", data={**data, "csrf_token": csrf_token(client, "/manager/keys")})
        assert refused.status_code == 422, data
        html = refused.get_data(as_text=True)
        assert f"<strong>{field}</strong>" in html, data
        assert f'value="{data["name"]}"' in html and 'id="secret"' not in html
    assert client.get("/api/v1/keys", headers=admin).get_json() == before


def test_a_manager_who_is_not_an_admin_is_refused_the_key_pages(client, manager) -> None:
    sign_in(client, manager)
    assert client.get("/manager/keys").status_code == 403
    token = csrf_token(client)
    refused = client.post("/manager/keys", data={"name": "x", "role": "admin", "channel": "", "csrf_token": token})
    assert refused.status_code == 403
    assert 'href="/manager/keys"' not in client.get("/manager/").get_data(as_text=True)  # not in the menu


def test_a_manager_sets_a_carriers_fuel_figure_and_the_api_reads_it_back(client, manager) -> None:
    from tests.integration.test_consolidation import a_card

    assert client.post("/api/v1/rate-cards?activate=true", json=a_card("acme", 6.0, 4.5), headers=manager).status_code
    sign_in(client, manager)
    assert 'href="/manager/carriers/acme/fuel"' in client.get("/manager/").get_data(as_text=True)
    token = csrf_token(client, "/manager/carriers/acme/fuel")
    done = client.post(
        "/manager/carriers/acme/fuel", data={"percent": "12,755", "valid_from": "2026-04-01", "csrf_token": token}
    )
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert '<td>1 April 2026</td><td class="num">12.76%</td>' in page  # to the nearest basis point, half up
    figures = client.get("/api/v1/carriers/acme/fuel-surcharge", headers=manager).get_json()
    assert [(f["percent"], f["valid_from"]) for f in figures] == [(12.76, "2026-04-01")]


def test_a_bad_fuel_form_names_the_field_and_sets_nothing(client, manager) -> None:
    from tests.integration.test_consolidation import a_card

    assert client.post("/api/v1/rate-cards?activate=true", json=a_card("acme", 6.0, 4.5), headers=manager).status_code
    sign_in(client, manager)
    for data, field in (
        ({"percent": "lots", "valid_from": "2026-04-01"}, "percent"),
        ({"percent": "101", "valid_from": "2026-04-01"}, "percent"),
        ({"percent": "-1", "valid_from": "2026-04-01"}, "percent"),
        ({"percent": "5", "valid_from": "April"}, "valid_from"),
    ):
        token = csrf_token(client, "/manager/carriers/acme/fuel")
        refused = client.post("/manager/carriers/acme/fuel", data={**data, "csrf_token": token})
        assert refused.status_code == 422, data
        html = refused.get_data(as_text=True)
        assert f"<strong>{field}</strong>" in html and f'value="{data["percent"]}"' in html, data
    assert "None yet." in client.get("/manager/carriers/acme/fuel").get_data(as_text=True)
    assert client.get("/manager/carriers/nope/fuel").status_code == 404
