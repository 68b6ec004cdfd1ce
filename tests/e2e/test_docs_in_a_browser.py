"""/api/v1/docs in a real headless browser: Swagger UI renders the operations from this service
alone, without any request leaving 127.0.0.1 (the page must work offline).

Needs Debian's `chromium` and `chromium-driver`; skipped without them, except in CI (CI=true), where
`.ci/run` installs them and their absence is a failure.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

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


@pytest.fixture()
def served(app: Flask) -> Iterator[str]:
    """The app served by werkzeug on a free loopback port, in a thread."""
    server = make_server(LOOPBACK, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture()
def browser() -> Iterator[Any]:
    require_a_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # run as root in CI
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-background-networking",
        "--window-size=1280,2000",
        # Every host but the loopback fails to resolve: a request elsewhere cannot succeed by chance.
        f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {LOOPBACK}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver: Any) -> list[str]:
    """Every URL the page asked for, from the browser's performance (DevTools network) log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


@pytest.mark.slow
def test_the_docs_render_every_operation_without_leaving_the_loopback(served: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{served}/api/v1/docs")
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    paths = {e.text.replace("\u200b", "") for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}

    assert "/api/v1/quotes" in paths
    assert {"/api/v1/rate-cards", "/api/v1/orders", "/api/v1/shipping-policy"} <= paths
    assert browser.find_elements(By.CSS_SELECTOR, ".opblock-post"), "the operations' methods are shown"
    urls = requested_urls(browser)
    assert f"{served}/api/v1/openapi.json" in urls and f"{served}/api/v1/docs/assets/swagger-ui-bundle.js" in urls
    elsewhere = [u for u in urls if not u.startswith((f"{served}/", "data:", "blob:"))]
    assert elsewhere == [], f"requests left {LOOPBACK}: {elsewhere}"
