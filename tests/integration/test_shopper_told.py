"""The shopper told, end to end: the order's dispatch, the carrier's events and the promise watch
write their messages with the change; the scheduler's job sends them to a real SMTP server on
loopback. Each message once, in the shopper's language, with the shipment's own tracking page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.integration.test_outbox_delivery import outbox, smtp_settings
from tests.smtp import Mailbox
from tests.tracked import tracked_shipment
from tms.app import create_app
from tms.bootstrap import Container
from tms.domain.notifications import Topic
from tms.domain.tracking import EventKind
from tms.notify import build_senders
from tms.scheduler import deliver_notifications_job, promise_watch_job


@pytest.fixture()
def shop(container_with: Callable[[dict[str, Any]], Container]) -> Container:
    """The service with a compensation code for late parcels."""
    return container_with(
        {"promises_compensation_code": "PARDON10", "promises_feedback_url": "https://shop.example/avis"}
    )


@pytest.fixture()
def shop_client(shop: Container) -> Any:
    app = create_app(container=shop)
    app.config["TESTING"] = True
    return app.test_client()


def sent(shop: Container, mailbox: tuple[Mailbox, int]) -> list[EmailMessage]:
    box, port = mailbox
    before = len(box.received)
    report = deliver_notifications_job(shop, build_senders(smtp_settings(shop, port)))
    assert report is not None and report.retried == 0 and report.dead == 0
    return box.received[before:]


def text(message: EmailMessage) -> str:
    return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_shipped_then_late_each_told_once_with_the_new_date_and_the_code(
    shop: Container, shop_client: Any, manager: dict[str, str], mailbox: tuple[Mailbox, int]
) -> None:
    shipment = tracked_shipment(shop, shop_client, manager)
    (shipped,) = sent(shop, mailbox)
    assert str(shipped["To"]) == "Léa <lea@example.fr>"
    assert "A-1001" in str(shipped["Subject"])
    assert shipment["tracking_url"] in text(shipped) and "6 mars 2026" in text(shipped)
    assert shop_client.get(urlsplit(shipment["tracking_url"]).path).status_code == 200

    # An exception: late, now expected Saturday 7 March. The watch, run again and again, tells it once.
    from tests.tracked import CARRIER
    from tms.domain.tracking import TrackingEvent
    from tms.services.tracking import record_events

    shop.clock.now = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    event = TrackingEvent(CARRIER, "6A100", "EXC", EventKind.EXCEPTION, datetime(2026, 3, 5, 7, 0, tzinfo=UTC))
    record_events(shop.uow(), [event], source="webhook", now=shop.now(), watch=shop.promise_watch)
    for _ in range(3):
        promise_watch_job(shop)
    assert [m.topic for m in outbox(shop)] == [Topic.SHIPPED, Topic.DELAYED]
    (delayed,) = sent(shop, mailbox)
    assert "7 mars 2026" in text(delayed) and "PARDON10" in text(delayed)
    assert sent(shop, mailbox) == []

    # Monday 9, nothing new since the exception: its transit again from yesterday, Tuesday 10, a new
    # date, so one more message.
    shop.clock.now = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    promise_watch_job(shop)
    (later,) = sent(shop, mailbox)
    assert "10 mars 2026" in text(later)


def test_at_the_point_the_shopper_hears_where_when_and_until_when_then_thanks_after_collecting(
    shop: Container, shop_client: Any, manager: dict[str, str], mailbox: tuple[Mailbox, int]
) -> None:
    events = (
        (EventKind.AVAILABLE_FOR_PICKUP, datetime(2026, 3, 5, 10, 0, tzinfo=UTC)),
        (EventKind.DELIVERED, datetime(2026, 3, 6, 17, 0, tzinfo=UTC)),
    )
    tracked_shipment(
        shop, shop_client, manager, pickup=True, language="en", events=events, held_until=date(2026, 3, 19)
    )
    assert [m.topic for m in outbox(shop)] == [Topic.SHIPPED, Topic.AVAILABLE_FOR_PICKUP, Topic.DELIVERED]
    shipped, waiting, delivered = sent(shop, mailbox)
    assert "At the pickup point you chose:\nTabac de la Gare, 3 place Carnot, 69002 Lyon" in text(shipped).replace(
        "\r", ""
    )
    assert "14:00" in text(shipped)  # its hours
    body = text(waiting)
    assert "Tabac de la Gare" in body and "3 place Carnot" in body and "19 March 2026" in body
    assert "14:00" in body  # its hours
    assert str(delivered["Subject"]).endswith("your order A-1001 has been delivered")
    assert "https://shop.example/avis" in text(delivered)
    promise_watch_job(shop)
    assert len(outbox(shop)) == 3
