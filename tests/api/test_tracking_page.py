"""The shopper's tracking page /t/<token>: no key, French or English, what the promise watch says."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from tests.tracked import tracked_shipment
from tms.domain.tracking import EventKind


def page_path(shipment: dict) -> str:
    return urlsplit(shipment["tracking_url"]).path


def test_the_page_needs_no_key_and_shows_the_promise_and_the_carriers_events_in_french(
    container, client, manager
) -> None:
    picked = (EventKind.PICKED_UP, datetime(2026, 3, 3, 15, 0, tzinfo=UTC))
    shipment = tracked_shipment(container, client, manager, events=(picked,))
    answer = client.get(page_path(shipment))
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Content-Language"] == "fr"
    html = answer.get_data(as_text=True)
    assert "6 mars 2026" in html  # the date shown at checkout
    assert "5 mars 2026" in html  # picked up Tuesday, 2 days: Thursday
    assert "Pris en charge par le transporteur" in html and "3 mars 2026, 16:00" in html  # Paris time
    assert "A-1001" in html and "lea@example.fr" not in html


def test_english_from_the_order_from_the_browser_or_asked(container, client, manager) -> None:
    shipment = tracked_shipment(container, client, manager, language="en")
    path = page_path(shipment)
    assert "6 March 2026" in client.get(path).get_data(as_text=True)
    assert "6 mars 2026" in client.get(path + "?lang=fr").get_data(as_text=True)
    assert client.get(path + "?lang=de").headers["Content-Language"] == "en"


def test_the_browsers_language_decides_when_the_order_has_none(container, client, manager) -> None:
    path = page_path(tracked_shipment(container, client, manager))
    assert client.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"}).headers["Content-Language"] == "en"
    assert client.get(path, headers={"Accept-Language": "de-DE"}).headers["Content-Language"] == "fr"


def test_a_late_parcel_says_so_with_its_new_date(container, client, manager) -> None:
    exception = (EventKind.EXCEPTION, datetime(2026, 3, 5, 7, 0, tzinfo=UTC))
    shipment = tracked_shipment(container, client, manager, language="en", events=(exception,))
    assert shipment["promise_status"] == "late"
    html = client.get(page_path(shipment)).get_data(as_text=True)
    assert "late: it is now expected on 7 March 2026" in html


def test_at_the_pickup_point_the_page_shows_the_point_its_hours_and_the_last_day(container, client, manager) -> None:
    waiting = (EventKind.AVAILABLE_FOR_PICKUP, datetime(2026, 3, 5, 10, 0, tzinfo=UTC))
    shipment = tracked_shipment(
        container, client, manager, pickup=True, events=(waiting,), held_until=date(2026, 3, 19)
    )
    html = client.get(page_path(shipment)).get_data(as_text=True)
    assert "jusqu&#39;au 19 mars 2026" in html or "jusqu'au 19 mars 2026" in html
    assert "Tabac de la Gare" in html and "3 place Carnot" in html and "69002 Lyon" in html
    assert "09:00–12:00, 14:00–19:00" in html and "fermé" in html  # Monday; closed on Sunday


def test_an_unknown_or_malformed_token_is_404(client) -> None:
    for token in ("x" * 32, "y" * 44, "%00"):
        assert client.get(f"/t/{token}").status_code == 404


def test_the_manager_dashboard_lists_the_late_shipment_and_the_on_time_rates(container, client, manager) -> None:
    from tests.api.test_manager_pages import sign_in

    exception = (EventKind.EXCEPTION, datetime(2026, 3, 5, 7, 0, tzinfo=UTC))
    shipment = tracked_shipment(container, client, manager, events=(exception,))
    sign_in(client, manager)
    html = client.get("/manager/").get_data(as_text=True)
    promises = html[html.index('id="promises"') : html.index("On time, deliveries")]
    assert "A-1001" in promises and "6 March 2026" in promises and "7 March 2026" in promises
    assert '<td class="promise-late">late</td>' in promises
    assert shipment["tracking_url"] in promises
    assert "No delivery with a promised date yet." in html

    delivered = (EventKind.DELIVERED, datetime(2026, 3, 7, 10, 0, tzinfo=UTC))
    from tests.tracked import CARRIER
    from tms.domain.tracking import TrackingEvent
    from tms.services.tracking import record_events

    container.clock.now = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    event = TrackingEvent(CARRIER, "6A100", "DI1", delivered[0], delivered[1])
    record_events(container.uow(), [event], source="poll", now=container.now(), watch=container.promise_watch)
    sign_in(client, manager)  # two days later: the session has ended
    html = client.get("/manager/").get_data(as_text=True)
    assert "No shipment is at risk or late." in html
    on_time = html[html.index("On time, deliveries") :]
    assert f"<td>{CARRIER}</td>" in on_time and "0.0%" in on_time and "1.0" in on_time
