"""What the browser tests share: Debian's chromium and its driver, the loopback, the page's requests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
LOOPBACK = "127.0.0.1"


def require_a_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{', '.join(missing)} missing: CI must install chromium and chromium-driver (.ci/run does)")
    pytest.skip(f"{', '.join(missing)} missing: apt-get install chromium chromium-driver to run this test")


def follow(driver: Any, element: Any, timeout_s: float = 20) -> None:
    """Click a link or button that leads to another page, and wait until that page replaced this one
    (a click may return before the navigation starts: reading at once could read the old page)."""
    from selenium.webdriver.common.by import By

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait_until_gone(driver, page, timeout_s)


def wait_until_gone(driver: Any, element: Any, timeout_s: float = 20) -> None:
    """Wait until `element` is no longer in the page shown: the next page replaced it. Asked about
    an element mid-navigation, Chromium may answer that its node "does not belong to the document"
    rather than that it is stale (selenium's staleness_of lets that error through): both mean gone."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def gone(_: Any) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    WebDriverWait(driver, timeout_s).until(gone)


def requested_urls(driver: Any) -> list[str]:
    """Every URL the page asked for, from the browser's performance (DevTools network) log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls
