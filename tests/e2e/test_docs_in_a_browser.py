"""/api/v1/docs in a real headless browser: Swagger UI renders the operations from this service
alone, without any request leaving 127.0.0.1 (the page must work offline).

Needs Debian's `chromium` and `chromium-driver`; skipped without them, except in CI (CI=true), where
`.ci/run` installs them and their absence is a failure.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.browser import LOOPBACK, requested_urls


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
