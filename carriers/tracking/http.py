"""Ask a carrier's tracking API about one parcel over HTTP, with a bounded timeout."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from carriers.tracking import TrackingRequest

MAX_ANSWER_BYTES = 2 * 1024 * 1024


class TrackingUnavailable(Exception):
    """The carrier's API did not answer usefully (network, timeout, a 5xx, not JSON)."""


def fetch_document(request: TrackingRequest, timeout_s: float) -> Any:
    """The JSON document the carrier answered; a 404 is an empty answer (None)."""
    http_request = urllib.request.Request(request.url, headers=dict(request.headers), method="GET")
    try:
        with urllib.request.urlopen(http_request, timeout=timeout_s) as answer:  # noqa: S310 (configured URL)
            body = answer.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise TrackingUnavailable(f"{request.url}: HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise TrackingUnavailable(f"{request.url}: {error}") from None
    if len(body) > MAX_ANSWER_BYTES:
        raise TrackingUnavailable(f"{request.url}: answer larger than {MAX_ANSWER_BYTES} bytes")
    try:
        return json.loads(body)
    except ValueError as error:
        raise TrackingUnavailable(f"{request.url}: not JSON ({error})") from None
