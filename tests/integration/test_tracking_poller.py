"""The scheduler's tracking poll against a real HTTP server on loopback playing the carriers:
each carrier's API asked about its open parcels, in its own format, with a bounded timeout."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_tracking import dispatched_shipment
from tms.bootstrap import Container
from tms.scheduler import tracking_poll_job

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tracking"
TIMEOUT_S = 0.5
STALL_S = 6.0  # how long the carrier sits on a SLOW parcel: far past the timeout, whatever the machine's load


class PlaysTheCarrier(BaseHTTPRequestHandler):
    """Answers La Poste's Suivi v2 for the fixture's parcel; 404 for other numbers; a stalled answer
    for SLOW; keeps the requests it got (path, key header)."""

    seen: list[tuple[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.seen.append((self.path, self.headers.get("X-Okapi-Key", "")))
        if self.path.startswith("/suivi/v2/idships/6A12345678901"):
            body = (FIXTURES / "colissimo.json").read_bytes()
        elif "SLOW" in self.path:
            time.sleep(STALL_S)  # the client has given up; nothing is written back
            return
        else:
            body = json.dumps({"returnCode": 404}).encode()
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def carrier_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), PlaysTheCarrier)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    PlaysTheCarrier.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/suivi/v2"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture()
def polling(container_with: Callable[[dict[str, Any]], Container], carrier_url: str) -> Container:
    return container_with(
        {
            "tracking_timeout_s": TIMEOUT_S,
            "tracking_colissimo_url": carrier_url,
            "tracking_colissimo_api_key": "okapi-test-key",
        }
    )


def test_the_poll_asks_the_carrier_about_each_open_parcel_and_stores_its_events(polling: Container) -> None:
    shipment_id = dispatched_shipment(polling, ["6A12345678901", "6A00000000000"])
    report = tracking_poll_job(polling)
    assert report is not None
    assert (report.asked, report.failed, report.recorded.stored, report.recorded.unmatched) == (2, 0, 5, 0)
    assert sorted(PlaysTheCarrier.seen) == [
        ("/suivi/v2/idships/6A00000000000?lang=fr_FR", "okapi-test-key"),
        ("/suivi/v2/idships/6A12345678901?lang=fr_FR", "okapi-test-key"),
    ]
    with polling.uow() as uow:
        assert [s.event.code for s in uow.tracking.for_shipment(shipment_id)] == ["DR1", "PC1", "ET1", "AG1", "ZZ9"]
    again = tracking_poll_job(polling)
    assert again is not None and (again.recorded.stored, again.recorded.duplicates) == (0, 5)


def test_a_carrier_that_does_not_answer_in_time_is_given_up_and_the_others_are_still_stored(
    polling: Container,
) -> None:
    dispatched_shipment(polling, ["SLOW1", "6A12345678901"])
    started = time.monotonic()
    report = tracking_poll_job(polling)
    elapsed = time.monotonic() - started
    assert report is not None and (report.asked, report.failed, report.recorded.stored) == (2, 1, 5)
    # It gave up at its timeout (plus the other call and the storing), not when the stalled answer ended.
    assert elapsed < STALL_S - 2, f"the poll waited {elapsed:.2f} s for a {TIMEOUT_S} s timeout"


def test_a_delivered_parcel_is_not_asked_about_again(polling: Container) -> None:
    from tms.domain.tracking import EventKind, TrackingEvent
    from tms.services.tracking import record_events

    dispatched_shipment(polling, ["6A12345678901"])
    delivered = TrackingEvent(
        carrier="colissimo",
        tracking_number="6A12345678901",
        code="DI1",
        kind=EventKind.DELIVERED,
        occurred_at=polling.now(),
    )
    record_events(polling.uow(), [delivered], source="csv", now=polling.now())
    report = tracking_poll_job(polling)
    assert report is not None and report.asked == 0 and PlaysTheCarrier.seen == []


def test_without_a_carrier_url_nothing_is_polled(container: Container) -> None:
    assert tracking_poll_job(container) is None
