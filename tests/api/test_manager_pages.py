"""The manager pages: sign in with a manager key, see the cards, upload (refused or stored), activate."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from carriers.readers import read_json
from carriers.writers import write_xlsx

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "config" / "examples" / "rate-card.json").read_text())


CSRF_TOKEN = re.compile(rb'name="csrf_token" value="([^"]+)"')


def token_in(html: bytes) -> str:
    found = CSRF_TOKEN.search(html)
    assert found is not None, "no CSRF token in the page"
    return found.group(1).decode()


def csrf_token(client, page: str = "/manager/") -> str:
    """The CSRF token in the page's forms, as a browser would send it back."""
    return token_in(client.get(page).data)


def in_english(client) -> None:
    """The pages in English, as a manager who clicked EN (French is the default)."""
    client.set_cookie("lang", "en", path="/manager")


def sign_in(client, headers, language: str | None = "en") -> None:
    """Signed in, the pages in `language` (None: no choice made, the default)."""
    if language:
        client.set_cookie("lang", language, path="/manager")
    key = headers["Authorization"].split()[1]
    response = client.post("/manager/sign-in", data={"key": key, "csrf_token": csrf_token(client, "/manager/sign-in")})
    assert response.status_code == 302


def test_the_pages_need_a_manager_key(client, checkout) -> None:
    in_english(client)
    assert client.get("/manager/").status_code == 302
    token = csrf_token(client, "/manager/sign-in")
    response = client.post("/manager/sign-in", data={"key": checkout["Authorization"].split()[1], "csrf_token": token})
    assert response.status_code == 200 and b"not a manager" in response.data
    assert client.get("/manager/").status_code == 302


def test_a_manager_uploads_a_workbook_compares_and_activates_it(client, manager) -> None:
    sign_in(client, manager)
    assert b"Carriers on" in client.get("/manager/").data
    workbook = write_xlsx(read_json(EXAMPLE))
    response = client.post(
        "/manager/rate-cards",
        data={"file": (io.BytesIO(workbook), "offer.xlsx"), "csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert b"draft" in page.data and b"No other active card" in page.data
    card_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    token = csrf_token(client, f"/manager/rate-cards/{card_id}")
    activated = client.post(
        f"/manager/rate-cards/{card_id}/activate", data={"csrf_token": token}, follow_redirects=True
    )
    assert b"activated" in activated.data
    assert client.get(f"/api/v1/rate-cards/{card_id}", headers=manager).get_json()["status"] == "active"


def test_a_refused_upload_lists_its_problems_and_stores_nothing(client, manager) -> None:
    sign_in(client, manager)
    response = client.post(
        "/manager/rate-cards",
        data={"file": (io.BytesIO(b"%PDF-1.7"), "offer.xlsx"), "csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and b"was refused" in response.data
    assert client.get("/api/v1/rate-cards", headers=manager).get_json() == []
