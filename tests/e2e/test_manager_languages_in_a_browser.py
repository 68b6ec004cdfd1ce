"""The manager's pages in a real headless chromium at a phone's width: French after signing in,
English after a click on EN (and on the pages that follow), French again after FR; the header fits."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tracked import tracked_shipment


@pytest.mark.slow
def test_a_manager_signs_in_reads_french_clicks_en_reads_english_and_back(
    container: Any, client: Any, manager: dict[str, str], served: str, browser: Any
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def heading_once_loaded(starts: str) -> str:
        """The page's heading, once the page the click led to shows one starting so (the old page's
        headings may vanish while they are read: the wait reads again)."""
        wait = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))
        return str(
            wait.until(
                lambda d: next((h.text for h in d.find_elements(By.TAG_NAME, "h2") if h.text.startswith(starts)), None)
            )
        )

    tracked_shipment(container, client, manager)
    browser.set_window_size(390, 844)
    browser.get(f"{served}/manager/sign-in")
    assert browser.find_element(By.TAG_NAME, "h2").text == "Connexion"
    browser.find_element(By.NAME, "key").send_keys(manager["Authorization"].split()[1])
    browser.find_element(By.CSS_SELECTOR, "main form button").click()

    assert heading_once_loaded("Transporteurs au ") == "Transporteurs au 3 mars 2026"  # the clock tracked_shipment left
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    browser.find_element(By.LINK_TEXT, "commandes").click()
    assert heading_once_loaded("Commandes") == "Commandes"
    assert "6 mars 2026" in browser.find_element(By.ID, "orders").text
    width = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is wider than the phone: {width}"

    browser.find_element(By.ID, "lang-en").click()
    assert heading_once_loaded("Orders") == "Orders"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert "6 March 2026" in browser.find_element(By.ID, "orders").text
    browser.find_element(By.CSS_SELECTOR, "#orders a").click()  # the next page, without ?lang: the cookie
    assert heading_once_loaded("Order A-1001")
    assert "Cart" in browser.find_element(By.CSS_SELECTOR, "dl.facts").text

    browser.find_element(By.ID, "lang-fr").click()
    assert heading_once_loaded("Commande A-1001")
    assert "Panier\n50,00 €" in browser.find_element(By.CSS_SELECTOR, "dl.facts").text  # (its text shows a space)
