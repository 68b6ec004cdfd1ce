"""The outbox end to end, on the store the suite runs on: e-mails to a real SMTP server (aiosmtpd) and
webhooks to a real HTTP receiver, both on loopback, sent by the scheduler's job. A crash on either side
of a send loses nothing, and what it sends twice carries the same idempotency key."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.smtp import Mailbox
from tms.bootstrap import Container
from tms.domain.notifications import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, OutboxMessage, signature_matches
from tms.notify import build_senders
from tms.scheduler import deliver_notifications_job
from tms.services.notifications import Recipient, Senders, Topic, notify
from tms.settings import Settings

FACTS = {
    "shipment_id": 7,
    "carrier": "colissimo",
    "carrier_name": "Colissimo",
    "service": "HOME",
    "tracking_numbers": ["6A12345678901"],
    "tracking_url": "https://shop.example/t/tok-7",
    "promised_date": "2026-03-05",
}


def smtp_settings(container: Container, port: int) -> Settings:
    return replace(
        container.settings,
        notifications_smtp_host="127.0.0.1",
        notifications_smtp_port=port,
        notifications_smtp_timeout_s=5.0,
        notifications_sender="commandes@boutique.example",
        notifications_shop_name="Maison Lumière",
        notifications_webhook_timeout_s=0.5,
    )


def shipped(container: Container, recipients: list[Recipient], key: str = "shipment:7:shipped", **kwargs: Any) -> int:
    """The change and its messages, committed together (as dispatch does)."""
    with container.uow() as uow:
        written = notify(uow, Topic.SHIPPED, key=key, recipients=recipients, facts=FACTS, now=container.now(), **kwargs)
        uow.commit()
    return written


def lea(language: str = "fr", address: str = "lea@example.com", order_ref: str = "A-1") -> Recipient:
    return Recipient(order_ref, address, language, "Léa Martin", (("SHOE-42", 2),))


def outbox(container: Container) -> list[OutboxMessage]:
    with container.uow() as uow:
        return sorted(uow.outbox.list(), key=lambda m: m.id)


class Crash(BaseException):
    """The scheduler's process stops."""


class CrashAfterSending:
    """Sends for real, then stops the process before the outcome is recorded."""

    def __init__(self, sender: Any) -> None:
        self.sender = sender

    def send(self, *args: Any) -> None:
        self.sender.send(*args)
        raise Crash()


# --- E-mail ---------------------------------------------------------------------------------------


def test_the_shopper_gets_the_email_in_their_language_from_a_real_smtp_server(
    container: Container, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    assert shipped(container, [lea("fr"), lea("en", "tom@example.com", "B-1")]) == 2
    report = deliver_notifications_job(container, build_senders(smtp_settings(container, port)))
    assert report is not None and (report.sent, report.retried) == (2, 0)
    by_address = {str(m["To"]): m for m in box.received}
    french, english = by_address["Léa Martin <lea@example.com>"], by_address["Léa Martin <tom@example.com>"]
    assert french["Subject"] == "Maison Lumière : votre commande A-1 est en route"
    assert english["Subject"] == "Maison Lumière: your order B-1 is on its way"
    assert "Livraison prévue le 5 mars 2026." in french.get_body(("plain",)).get_content()
    assert "Expected delivery: 5 March 2026." in english.get_body(("plain",)).get_content()
    assert 'href="https://shop.example/t/tok-7"' in french.get_body(("html",)).get_content()
    keys = {m.recipient: m.idempotency_key for m in outbox(container)}
    assert french["Message-ID"] == f"<{keys['lea@example.com']}@boutique.example>"
    assert all(m.status == "sent" and m.sent_at == container.now() for m in outbox(container))


def test_a_crash_after_the_smtp_server_took_the_email_sends_it_again_with_the_same_message_id(
    container: Container, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    shipped(container, [lea()])
    real = build_senders(smtp_settings(container, port))
    with pytest.raises(Crash):
        deliver_notifications_job(container, Senders(email=CrashAfterSending(real.email)))
    assert len(box.received) == 1 and outbox(container)[0].status == "pending"  # sent, not marked
    assert deliver_notifications_job(container, real).claimed == 0  # leased: not sent again at once
    container.clock.now += timedelta(seconds=container.settings.notifications_lease_s)
    assert deliver_notifications_job(container, real).sent == 1
    first, again = box.received
    assert first["Message-ID"] == again["Message-ID"] and first["Subject"] == again["Subject"]
    assert len(box.received) == 2 and outbox(container)[0].status == "sent"


def test_a_crash_after_the_change_and_before_the_worker_ran_loses_nothing(
    container: Container, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    shipped(container, [lea()])  # committed; then the process stopped before any delivery pass
    restarted = build_senders(smtp_settings(container, port))
    assert deliver_notifications_job(container, restarted).sent == 1 and len(box.received) == 1


def test_a_change_rolled_back_sends_nothing(container: Container, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    with container.uow() as uow:
        notify(uow, Topic.SHIPPED, key="shipment:7:shipped", recipients=[lea()], facts=FACTS, now=container.now())
    assert outbox(container) == []
    assert deliver_notifications_job(container, build_senders(smtp_settings(container, port))).claimed == 0
    assert box.received == []


def test_a_server_that_says_later_is_tried_again_and_a_refused_address_is_a_dead_letter(
    container: Container, mailbox: tuple[Mailbox, int], client: FlaskClient, admin: dict[str, str]
) -> None:
    box, port = mailbox
    box.refuse_data = 1
    shipped(container, [lea()])
    shipped(container, [lea(address="nobody@example.com", order_ref="B-1")], key="shipment:8:shipped")
    senders = build_senders(smtp_settings(container, port))
    report = deliver_notifications_job(container, senders)
    assert report is not None and (report.sent, report.retried, report.dead) == (0, 1, 1)
    later, refused = outbox(container)
    assert "451" in later.last_error and later.next_attempt_at == container.now() + timedelta(seconds=30)
    assert refused.status == "dead" and "550" in refused.last_error
    dead = client.get("/api/v1/outbox?status=dead", headers=admin).get_json()
    assert [(m["id"], m["attempts"], m["recipient"]) for m in dead] == [(refused.id, 1, "nobody@example.com")]
    container.clock.now += timedelta(seconds=30)
    assert deliver_notifications_job(container, senders).sent == 1 and len(box.received) == 1


# --- Webhooks -------------------------------------------------------------------------------------


@dataclass
class Receiver:
    """A merchant's endpoint: checks each request's signature with the secret, keeps what it got, answers
    503 to the first `fail` requests (or stalls past the client's timeout when `stall`)."""

    secret: str = ""
    clock: Callable[[], datetime] | None = None  # the time the receiver checks the signature's against
    fail: int = 0
    stall: bool = False
    got: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)  # (key, body, signature ok)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture()
def receiver(container: Container) -> Iterator[tuple[Receiver, str]]:
    state = Receiver(clock=container.now)  # the worker signs at the container's (test) clock

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            now = int(state.clock().timestamp() if state.clock else time.time())
            signed = signature_matches(state.secret, body, self.headers[SIGNATURE_HEADER], now=now)
            with state.lock:
                state.got.append((self.headers[IDEMPOTENCY_HEADER], json.loads(body), signed))
                failing = state.fail > 0
                state.fail -= failing
            if state.stall:
                time.sleep(1.5)  # past the client's 0.5 s timeout
                return
            self.send_response(503 if failing or not signed else 204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()
    server.server_close()


def register(client: FlaskClient, admin: dict[str, str], url: str, *topics: str) -> dict[str, Any]:
    response = client.post("/api/v1/webhooks", json={"url": url, "topics": list(topics)}, headers=admin)
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()
    return created


def test_a_webhook_is_signed_with_the_secret_and_carries_its_idempotency_key(
    container: Container, client: FlaskClient, admin: dict[str, str], receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    hook = register(client, admin, url, "shipment.shipped")
    state.secret = hook["secret"]
    shipped(container, [lea()])
    report = deliver_notifications_job(container, build_senders(smtp_settings(container, 1)))
    assert report is not None and report.sent == 1  # the webhook; the e-mail's server (port 1) refused
    ((key, body, signed),) = state.got
    (message,) = [m for m in outbox(container) if m.channel == "webhook"]
    assert signed and key == message.idempotency_key
    assert body["type"] == "shipment.shipped" and body["data"]["tracking_numbers"] == ["6A12345678901"]
    assert set(body) == {"id", "type", "created_at", "data"}
    assert body["data"]["orders"] == [{"order_ref": "A-1", "items": [{"sku": "SHOE-42", "quantity": 2}]}]


def test_a_receiver_that_fails_twice_gets_it_the_third_time_with_backoff(
    container: Container, client: FlaskClient, admin: dict[str, str], receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.secret = register(client, admin, url, "shipment.shipped")["secret"]
    state.fail = 2
    shipped(container, [])
    senders = Senders(webhook=build_senders(container.settings).webhook)
    waits = []
    for _ in range(3):
        deliver_notifications_job(container, senders)
        (message,) = outbox(container)
        waits.append((message.next_attempt_at - container.now()).total_seconds())
        container.clock.now = max(container.now(), message.next_attempt_at)
    assert message.status == "sent" and message.attempts == 3 and "HTTP 503" in message.last_error
    assert waits[:2] == [30, 60]
    assert len({key for key, _, _ in state.got}) == 1 and len(state.got) == 3  # one message, tried 3 times


def test_a_receiver_that_keeps_failing_is_given_up_after_24_hours_and_replayed(
    container: Container, client: FlaskClient, admin: dict[str, str], receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.secret = register(client, admin, url, "shipment.shipped")["secret"]
    state.fail = 10_000
    shipped(container, [])
    senders = Senders(webhook=build_senders(replace(container.settings, notifications_webhook_timeout_s=0.5)).webhook)
    written_at = container.now()
    passes = 0
    while outbox(container)[0].status == "pending" and passes < 60:
        deliver_notifications_job(container, senders)
        container.clock.now = max(container.now(), outbox(container)[0].next_attempt_at)
        passes += 1
    (dead,) = outbox(container)
    # 30 s doubling to the hour's cap: 8 tries in the first 64 min, then hourly up to 24 h after writing
    assert dead.status == "dead" and dead.attempts == len(state.got) == 30
    assert container.now() - written_at <= timedelta(hours=24)
    listed = client.get("/api/v1/outbox", query_string={"status": "dead"}, headers=admin).get_json()
    assert [(m["id"], m["attempts"], m["last_error"]) for m in listed] == [(dead.id, 30, dead.last_error)]

    state.fail = 0
    replayed = client.post(f"/api/v1/outbox/{dead.id}/replay", headers=admin)
    assert replayed.status_code == 200 and replayed.get_json()["status"] == "pending"
    assert deliver_notifications_job(container, senders).sent == 1
    assert len({key for key, _, _ in state.got}) == 1  # every try, and the replay, with the same key
    assert client.post(f"/api/v1/outbox/{dead.id}/replay", headers=admin).status_code == 409
    assert client.get("/api/v1/outbox?status=dead", headers=admin).get_json() == []


def test_a_receiver_that_stalls_is_a_timeout_tried_again(
    container: Container, client: FlaskClient, admin: dict[str, str], receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.secret = register(client, admin, url, "shipment.shipped")["secret"]
    state.stall = True
    shipped(container, [])
    senders = Senders(webhook=build_senders(replace(container.settings, notifications_webhook_timeout_s=0.5)).webhook)
    report = deliver_notifications_job(container, senders)
    assert report is not None and report.retried == 1
    assert "timed out" in outbox(container)[0].last_error


def test_a_crash_after_the_receiver_took_the_webhook_sends_it_again_with_the_same_key_and_nothing_else(
    container: Container, client: FlaskClient, admin: dict[str, str], receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.secret = register(client, admin, url, "shipment.shipped", "shipment.delivered")["secret"]
    shipped(container, [lea()])
    real = Senders(webhook=build_senders(container.settings).webhook)
    with pytest.raises(Crash):
        deliver_notifications_job(container, Senders(webhook=CrashAfterSending(real.webhook)))
    container.clock.now += timedelta(seconds=container.settings.notifications_lease_s)
    assert deliver_notifications_job(container, real).sent == 1
    assert deliver_notifications_job(container, real).claimed == 0
    (first_key, first_body, _), (second_key, second_body, _) = state.got
    assert first_key == second_key and first_body == second_body and len(state.got) == 2


def test_a_deleted_webhook_is_sent_nothing_more(
    container: Container, client: FlaskClient, admin: dict[str, str], receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    hook = register(client, admin, url, "shipment.shipped")
    shipped(container, [])
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin).status_code == 204
    shipped(container, [], key="shipment:8:shipped")  # after the deletion: no message for it
    report = deliver_notifications_job(container, Senders(webhook=build_senders(container.settings).webhook))
    assert report is not None and report.dead == 1 and state.got == []
    assert len(outbox(container)) == 1
