"""Fixtures of the browser tests: the app served on a loopback port, Debian's headless chromium.

Needs Debian's `chromium` and `chromium-driver`; skipped without them, except in CI (CI=true), where
`.ci/run` installs them and their absence is a failure.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.e2e.browser import CHROMEDRIVER, CHROMIUM, LOOPBACK, require_a_browser


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
def browser(served: str) -> Iterator[Any]:
    """Made after `served` (so quit before it: the browser's keep-alive connections would hold the
    server's handler threads, on the app's engine, past the test)."""
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
