"""The manager pages' sessions and forms: a cookie ends with sign-out, key revocation or lapse;
every state-changing request needs this site's Origin and the form's CSRF token; cookies are
HttpOnly, SameSite and, when configured for TLS, Secure. The bearer-key API is not concerned."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.test_manager_pages import EXAMPLE, csrf_token, sign_in, token_in
from tests.conftest import Clock
from tms.app import create_app
from tms.bootstrap import Container
from tms.domain.access import hash_secret
from tms.web.pages import SESSION_COOKIE


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(SESSION_COOKIE, path="/manager")
    assert cookie is not None, "no session cookie"
    return cookie.value


def a_draft_card(client: FlaskClient, manager: dict[str, str]) -> int:
    response = client.post("/api/v1/rate-cards", json=EXAMPLE, headers=manager)
    assert response.status_code == 201
    card_id: int = response.get_json()["rate_card"]["id"]
    return card_id


def status_of(client: FlaskClient, manager: dict[str, str], card_id: int) -> str:
    status: str = client.get(f"/api/v1/rate-cards/{card_id}", headers=manager).get_json()["status"]
    return status


def test_the_cookie_holds_only_a_random_token_whose_hash_the_store_keeps(
    client: FlaskClient, manager: dict[str, str], container: Container
) -> None:
    sign_in(client, manager)
    token = session_cookie(client)
    assert manager["Authorization"].split()[1] not in token and len(token) >= 40
    with container.uow() as uow:
        stored = uow.manager_sessions.by_hash(hash_secret(token))
    assert stored is not None and stored.revoked_at is None and stored.token_hash != token


def test_a_cookie_reused_after_sign_out_is_refused(client: FlaskClient, manager: dict[str, str]) -> None:
    sign_in(client, manager)
    token = session_cookie(client)
    assert client.get("/manager/").status_code == 200

    signed_out = client.post("/manager/sign-out", data={"csrf_token": csrf_token(client)})
    assert signed_out.status_code == 302 and signed_out.headers["Location"].endswith("/manager/sign-in")
    assert client.get_cookie(SESSION_COOKIE, path="/manager") is None  # the browser is told to forget it

    client.set_cookie(SESSION_COOKIE, token, path="/manager")  # a copy of the cookie, kept from before
    again = client.get("/manager/")
    assert again.status_code == 302 and "/manager/sign-in" in again.headers["Location"]


def test_revoking_the_key_ends_its_page_sessions_at_once(client: FlaskClient, admin: dict[str, str]) -> None:
    created = client.post("/api/v1/keys", json={"name": "ops manager", "role": "manager"}, headers=admin).get_json()
    sign_in(client, {"Authorization": f"Bearer {created['key']}"})
    assert client.get("/manager/").status_code == 200

    assert client.delete(f"/api/v1/keys/{created['id']}", headers=admin).status_code == 200

    refused = client.get("/manager/")
    assert refused.status_code == 302 and "/manager/sign-in" in refused.headers["Location"]
    assert client.get_cookie(SESSION_COOKIE, path="/manager") is None


def test_a_session_lapses_when_idle_and_at_its_absolute_end(
    client: FlaskClient, manager: dict[str, str], clock: Clock
) -> None:
    start = clock.now
    sign_in(client, manager)
    for minutes in (25, 50, 75):  # each page request keeps it alive for 30 more minutes
        clock.now = start + timedelta(minutes=minutes)
        assert client.get("/manager/").status_code == 200
    clock.now = start + timedelta(minutes=75 + 31)
    assert client.get("/manager/").status_code == 302

    sign_in(client, manager)
    start = clock.now
    for minutes in range(20, 12 * 60, 20):
        clock.now = start + timedelta(minutes=minutes)
        assert client.get("/manager/").status_code == 200
    clock.now = start + timedelta(hours=12)
    assert client.get("/manager/").status_code == 302  # in use all along, but 12 hours after sign-in


def test_the_lifetimes_come_from_the_settings(container: Container, manager: dict[str, str], clock: Clock) -> None:
    container.settings = replace(container.settings, session_idle_minutes=5, session_absolute_hours=1)
    client = create_app(container=container).test_client()
    start = clock.now
    sign_in(client, manager)
    for minutes in (4, 8):
        clock.now = start + timedelta(minutes=minutes)
        assert client.get("/manager/").status_code == 200
    clock.now = start + timedelta(minutes=14)
    assert client.get("/manager/").status_code == 302  # 6 minutes idle
    sign_in(client, manager)
    start = clock.now
    for minutes in range(4, 60, 4):
        clock.now = start + timedelta(minutes=minutes)
        assert client.get("/manager/").status_code == 200
    clock.now = start + timedelta(minutes=61)
    assert client.get("/manager/").status_code == 302  # an hour after sign-in


def test_lifetimes_that_are_not_positive_are_refused_at_start(container: Container) -> None:
    container.settings = replace(container.settings, session_idle_minutes=0)
    with pytest.raises(ValueError, match="idle_minutes"):
        create_app(container=container)


@pytest.mark.parametrize("sent", [None, "", "not-the-token", "other-session"])
def test_a_post_without_the_forms_csrf_token_is_refused_and_changes_nothing(
    client: FlaskClient, app: Flask, manager: dict[str, str], sent: str | None
) -> None:
    card_id = a_draft_card(client, manager)
    sign_in(client, manager)
    if sent == "other-session":  # a real token, but given to another browser
        other = app.test_client()
        sign_in(other, manager)
        sent = csrf_token(other, f"/manager/rate-cards/{card_id}")
        assert sent != csrf_token(client, f"/manager/rate-cards/{card_id}")
    data = {} if sent is None else {"csrf_token": sent}

    refused = client.post(f"/manager/rate-cards/{card_id}/activate", data=data)

    assert refused.status_code == 403 and b"reload it" in refused.data
    assert status_of(client, manager, card_id) == "draft"
    upload = client.post(
        "/manager/rate-cards",
        data={"file": (io.BytesIO(b"{}"), "offer.json"), **data},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 403
    signed_out = client.post("/manager/sign-out", data=data)
    assert signed_out.status_code == 403 and client.get("/manager/").status_code == 200  # still signed in


def test_the_sign_in_form_needs_its_csrf_token_too(client: FlaskClient, manager: dict[str, str]) -> None:
    key = manager["Authorization"].split()[1]
    assert client.post("/manager/sign-in", data={"key": key}).status_code == 403
    assert client.get_cookie(SESSION_COOKIE, path="/manager") is None
    csrf_token(client, "/manager/sign-in")  # the form was given to this browser, but not sent back
    assert client.post("/manager/sign-in", data={"key": key, "csrf_token": "forged"}).status_code == 403
    assert client.get_cookie(SESSION_COOKIE, path="/manager") is None


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "http://localhost:8443"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/manager/rate-cards/1"},
        {"Origin": "https://evil.example", "Referer": "http://localhost/manager/"},
    ],
)
def test_a_post_from_another_site_is_refused_even_with_the_cookie_and_token(
    client: FlaskClient, manager: dict[str, str], headers: dict[str, str]
) -> None:
    card_id = a_draft_card(client, manager)
    sign_in(client, manager)
    token = csrf_token(client, f"/manager/rate-cards/{card_id}")

    refused = client.post(f"/manager/rate-cards/{card_id}/activate", data={"csrf_token": token}, headers=headers)

    assert refused.status_code == 403 and b"did not come from this site" in refused.data
    assert status_of(client, manager, card_id) == "draft"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://localhost"},
        {"Origin": "https://localhost"},
        {"Origin": "http://localhost:80"},
        {"Referer": "http://localhost/manager/rate-cards/1"},
        {},
    ],
)
def test_a_post_from_this_sites_pages_is_accepted(
    client: FlaskClient, manager: dict[str, str], headers: dict[str, str]
) -> None:
    card_id = a_draft_card(client, manager)
    sign_in(client, manager)
    token = csrf_token(client, f"/manager/rate-cards/{card_id}")

    response = client.post(f"/manager/rate-cards/{card_id}/activate", data={"csrf_token": token}, headers=headers)

    assert response.status_code == 302
    assert status_of(client, manager, card_id) == "active"


def test_behind_tls_a_plain_http_origin_is_refused(container: Container, manager: dict[str, str]) -> None:
    container.settings = replace(container.settings, session_cookie_secure=True)
    client = create_app(container=container).test_client()
    card_id = a_draft_card(client, manager)
    sign_in(client, manager)
    token = csrf_token(client, f"/manager/rate-cards/{card_id}")
    path = f"/manager/rate-cards/{card_id}/activate"

    refused = client.post(path, data={"csrf_token": token}, headers={"Origin": "http://localhost"})
    assert refused.status_code == 403
    accepted = client.post(path, data={"csrf_token": token}, headers={"Origin": "https://localhost"})
    assert accepted.status_code == 302 and status_of(client, manager, card_id) == "active"


def test_the_api_with_a_bearer_key_needs_no_csrf_token_whatever_its_origin(
    client: FlaskClient, manager: dict[str, str]
) -> None:
    card_id = a_draft_card(client, manager)
    response = client.post(
        f"/api/v1/rate-cards/{card_id}/activate", headers={**manager, "Origin": "https://evil.example"}
    )
    assert response.status_code == 200 and status_of(client, manager, card_id) == "active"


def _set_cookies(response_headers: list[str], name: str) -> list[str]:
    return [h for h in response_headers if h.startswith(f"{name}=")]


def test_the_cookies_are_httponly_samesite_and_only_for_the_pages(client: FlaskClient, manager: dict[str, str]) -> None:
    key = manager["Authorization"].split()[1]
    signed = client.post("/manager/sign-in", data={"key": key, "csrf_token": csrf_token(client, "/manager/sign-in")})
    (cookie,) = _set_cookies(signed.headers.getlist("Set-Cookie"), SESSION_COOKIE)
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes and attributes["samesite"] == "SameSite=Strict"
    assert attributes["path"] == "Path=/manager" and "secure" not in attributes
    assert "no-store" in signed.headers["Cache-Control"]


def test_the_cookies_are_secure_when_configured_for_tls(container: Container, manager: dict[str, str]) -> None:
    container.settings = replace(container.settings, session_cookie_secure=True)
    client = create_app(container=container).test_client()
    page = client.get("/manager/sign-in", base_url="https://localhost")
    token = token_in(page.data)
    key = manager["Authorization"].split()[1]

    signed = client.post("/manager/sign-in", data={"key": key, "csrf_token": token}, base_url="https://localhost")

    assert signed.status_code == 302
    cookies = signed.headers.getlist("Set-Cookie") + page.headers.getlist("Set-Cookie")
    for name in (SESSION_COOKIE, "session"):
        (cookie,) = _set_cookies(cookies, name)
        assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Strict" in cookie
