"""The manager's console in a real headless chromium at a phone's width: sign in with a key, open
the spend page, the free-shipping simulator from it, the shipping policy (set from its form) and
an order; the charts render, nothing leaves
the loopback, nothing overflows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.browser import LOOPBACK, follow, requested_urls
from tests.tracked import tracked_shipment


@pytest.mark.slow
def test_a_manager_on_a_phone_sees_the_spend_charts_and_an_order(
    container: Any, client: Any, manager: dict[str, str], served: str, browser: Any
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    tracked_shipment(container, client, manager)
    browser.set_window_size(390, 844)
    browser.get(f"{served}/manager/sign-in?lang=en")  # English, kept in the cookie
    browser.find_element(By.NAME, "key").send_keys(manager["Authorization"].split()[1])
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    WebDriverWait(browser, 20).until(lambda d: d.current_url == f"{served}/manager/")  # signed in
    browser.get(f"{served}/manager/spend?since=2026-01-01&until=2026-03-31")
    charts = browser.find_elements(By.CSS_SELECTOR, "figure svg")
    assert len(charts) == 6 and all(c.size["width"] > 0 and c.size["height"] > 0 for c in charts)
    assert all(c.size["width"] <= 390 for c in charts), [c.size for c in charts]
    assert "March 2026" in browser.find_element(By.ID, "spend").text

    follow(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "free-shipping threshold"))
    thresholds = browser.find_element(By.NAME, "thresholds")
    thresholds.clear()
    thresholds.send_keys("40; 60")
    browser.find_element(By.CSS_SELECTOR, "#simulate button").click()
    WebDriverWait(browser, 20).until(lambda d: "thresholds=40" in d.current_url)  # the simulation's page, not the last
    rows = browser.find_elements(By.CSS_SELECTOR, "#thresholds tr")[1:]
    # the one order, a 50 EUR cart, ships free from 40 EUR and not from 60
    assert [r.text.split()[:2] for r in rows] == [["40.00", "1"], ["60.00", "0"]]

    menu = browser.find_element(By.CSS_SELECTOR, "#menu")
    follow(browser, menu.find_element(By.PARTIAL_LINK_TEXT, "shipping policy"))
    free_above = browser.find_element(By.NAME, "free_above")
    free_above.clear()
    free_above.send_keys("45,50")
    browser.find_element(By.CSS_SELECTOR, "#set-policy button").click()
    saved = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))  # the page is replaced
    saved.until(lambda d: "within a second" in d.find_element(By.TAG_NAME, "main").text)
    assert "Free from a cart of €45.50." in browser.find_element(By.ID, "rules").text
    assert client.get("/api/v1/shipping-policy", headers=manager).get_json()["free_above"] == 45.5
    _fits_the_phone(browser)

    browser.get(f"{served}/manager/orders/A-1001")
    assert "Order A-1001" in browser.find_element(By.TAG_NAME, "h2").text
    _fits_the_phone(browser)
    urls = requested_urls(browser)
    elsewhere = [u for u in urls if not u.startswith((f"{served}/", "data:"))]
    assert elsewhere == [], f"requests left {LOOPBACK}: {elsewhere}"


def _fits_the_phone(browser: Any) -> None:
    width = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is wider than the phone: {width}"
