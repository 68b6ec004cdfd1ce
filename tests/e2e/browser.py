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
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, timeout_s).until(expected_conditions.staleness_of(page))


def requested_urls(driver: Any) -> list[str]:
    """Every URL the page asked for, from the browser's performance (DevTools network) log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls
