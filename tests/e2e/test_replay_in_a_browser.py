"""The replay form in a real headless chromium: from a draft card's page, a period typed and sent,
the results page with its totals and lanes; a wrong period is named beside its field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.e2e.browser import wait_until_gone
from tests.replaying import LYON, PARIS, PastShipments, a_stored_card, an_offer, the_current_card


@pytest.mark.slow
def test_a_manager_replays_a_draft_on_septembers_shipments_from_its_page(
    container: Any, client: Any, manager: dict[str, str], served: str, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    current = a_stored_card(container.uow(), the_current_card())
    past = PastShipments(container.uow(), current)
    past.add(date(2026, 9, 2), LYON, [[800]], transport_cents=600)
    past.add(date(2026, 9, 3), PARIS, [[2000]], transport_cents=600)
    draft = a_stored_card(container.uow(), an_offer(), activate=False)

    browser.get(f"{served}/manager/sign-in")
    browser.find_element(By.NAME, "key").send_keys(manager["Authorization"].split()[1])
    button = browser.find_element(By.CSS_SELECTOR, "form button")
    button.click()
    wait_until_gone(browser, button)  # signed in
    browser.get(f"{served}/manager/rate-cards/{draft.id}")

    def send(since: str, until: str) -> None:
        form = browser.find_element(By.ID, "replay")
        for name, value in (("since", since), ("until", until)):
            field = form.find_element(By.NAME, name)
            browser.execute_script("arguments[0].value = arguments[1]", field, value)
        form.find_element(By.CSS_SELECTOR, "button").click()
        wait_until_gone(browser, form)  # the next page is in

    send("2026-09-30", "2026-09-01")
    assert "must be on or after since" in browser.find_element(By.ID, "until-problem").text
    assert browser.find_element(By.NAME, "since").get_attribute("value") == "2026-09-30"

    send("2026-09-01", "2026-09-30")

    def amount(element_id: str) -> str:  # French amounts: a (narrow) no-break space before the sign
        return browser.find_element(By.ID, element_id).text.replace("\u202f", " ").replace("\xa0", " ")

    assert amount("actual") == "12,00 €"
    assert amount("candidate") == "11,00 €"  # 4.40 + 6.60, below the 3-parcel tier
    lanes = browser.find_element(By.ID, "lanes").text
    assert "Lyon (LYON)" in lanes and "Paris (PARIS)" in lanes
