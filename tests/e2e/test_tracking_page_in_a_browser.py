"""The shopper's tracking page in a real headless chromium, at a phone's width: it reads in
French, switches to English, fits the screen, and asks nothing of any host but this service."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.browser import LOOPBACK, follow, requested_urls
from tests.tracked import tracked_shipment
from tms.domain.tracking import EventKind


@pytest.mark.slow
def test_a_shopper_follows_the_parcel_to_the_pickup_point_on_a_phone(
    container: Any, client: Any, manager: dict[str, str], served: str, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    events = (
        (EventKind.PICKED_UP, datetime(2026, 3, 3, 15, 0, tzinfo=UTC)),
        (EventKind.AVAILABLE_FOR_PICKUP, datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
    )
    # The shopper ordered in French (the browser here says en-US: the order's language comes first).
    shipment = tracked_shipment(
        container, client, manager, pickup=True, language="fr", events=events, held_until=date(2026, 3, 19)
    )
    browser.set_window_size(390, 844)
    browser.get(served + urlsplit(shipment["tracking_url"]).path)

    headline = browser.find_element(By.ID, "headline").text
    assert headline == "Votre colis vous attend au point de retrait jusqu'au 19 mars 2026."
    assert browser.find_element(By.ID, "promised").text == "6 mars 2026"
    assert "Tabac de la Gare" in browser.find_element(By.ID, "point").text
    rows = browser.find_elements(By.CSS_SELECTOR, "#hours tr")
    assert [r.text for r in rows][0] == "lundi 09:00–12:00, 14:00–19:00" and len(rows) == 7
    steps = browser.find_elements(By.CSS_SELECTOR, "#history li .what")
    assert [s.text for s in steps] == ["Disponible au point de retrait", "Pris en charge par le transporteur"]
    width = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is wider than the phone: {width}"

    follow(browser, browser.find_element(By.ID, "language"))
    assert browser.find_element(By.ID, "headline").text == (
        "Your parcel is waiting for you at the pickup point until 19 March 2026."
    )
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    urls = requested_urls(browser)
    elsewhere = [u for u in urls if not u.startswith((f"{served}/", "data:"))]
    assert elsewhere == [], f"requests left {LOOPBACK}: {elsewhere}"
