"""The outbox's rules on the in-memory unit of work: what `notify` writes, how the worker sends it at
least once (a crash on either side of the send), retries, gives up and replays; the webhook signature;
dates in French and English; the e-mails rendered for each topic in both languages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.fakes import FakeStore
from tms.domain.errors import Conflict, InvalidInput, NotFound
from tms.domain.notifications import (
    Channel,
    MessageStatus,
    OutboxMessage,
    RetryPolicy,
    WebhookSubscription,
    event_id,
    idempotency_key,
    normalise_language,
    signature_matches,
    webhook_body,
    webhook_signature,
    webhook_url_problem,
    written_date,
)
from tms.notify.email import EmailRenderer, Shop
from tms.services.notifications import (
    DeliveryFailed,
    Recipient,
    Senders,
    Topic,
    delete_webhook,
    deliver_due,
    notify,
    register_webhook,
    replay_message,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POINT = {
    "id": "CO-1234",
    "name": "Tabac de la Gare",
    "address": "12 rue de la Gare",
    "postcode": "69003",
    "city": "Lyon",
    "hours": {"monday": ["09:00-12:00", "14:00-19:00"], "saturday": ["09:00-12:00"]},
}


def shipped_facts(**changes: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "shipment_id": 7,
        "carrier": "colissimo",
        "carrier_name": "Colissimo",
        "service": "HOME",
        "tracking_numbers": ["6A12345678901"],
        "tracking_url": "https://shop.example/t/tok-7",
        "promised_date": "2026-03-05",
    }
    return {**facts, **changes}


def a_recipient(order_ref: str = "A-1", email: str = "lea@example.com", **changes: Any) -> Recipient:
    fields: dict[str, Any] = {
        "order_ref": order_ref,
        "email": email,
        "language": "fr",
        "name": "Léa Martin",
        "items": (("SHOE-42", 2),),
    }
    return Recipient(**{**fields, **changes})


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Crash(BaseException):
    """The worker's process stops (not an error a sender reports)."""


@dataclass
class Receivers:
    """Senders that record what they were given; `fail` makes the next ones fail, `crash_after_send`
    stops the worker once the receiver has the message."""

    emails: list[OutboxMessage] = field(default_factory=list)
    hooks: list[tuple[OutboxMessage, str, datetime]] = field(default_factory=list)
    fail: list[DeliveryFailed] = field(default_factory=list)
    crash_after_send: bool = False

    def send(self, message: OutboxMessage, *rest: Any) -> None:
        if self.fail:
            raise self.fail.pop(0)
        if message.channel is Channel.EMAIL:
            self.emails.append(message)
        else:
            subscription: WebhookSubscription = rest[0]
            self.hooks.append((message, subscription.url, rest[1]))
        if self.crash_after_send:
            raise Crash()

    def senders(self, email: bool = True, webhook: bool = True) -> Senders:
        return Senders(email=self if email else None, webhook=self if webhook else None)


@pytest.fixture()
def store() -> FakeStore:
    return FakeStore()


def subscribe(store: FakeStore, *topics: Topic, url: str = "https://shop.example/hooks") -> WebhookSubscription:
    return register_webhook(store.uow(), url=url, topics=list(topics), now=NOW)


def write(store: FakeStore, topic: Topic = Topic.SHIPPED, key: str = "shipment:7:shipped", **kwargs: Any) -> int:
    kwargs.setdefault("recipients", [a_recipient()])
    kwargs.setdefault("facts", shipped_facts())
    with store.uow() as uow:
        written = notify(uow, topic, key=key, now=NOW, **kwargs)
        uow.commit()
    return written


def messages(store: FakeStore) -> list[OutboxMessage]:
    with store.uow() as uow:
        return sorted(uow.outbox.list(), key=lambda m: m.id)


# --- notify ---------------------------------------------------------------------------------------


def test_notify_writes_one_email_per_address_and_one_webhook_per_subscription_to_the_topic(store: FakeStore) -> None:
    hook = subscribe(store, Topic.SHIPPED, Topic.DELIVERED)
    subscribe(store, Topic.DELAYED)  # another topic: not written
    recipients = [
        a_recipient("A-1", "Lea@Example.com"),
        a_recipient("A-2", "lea@example.com", items=(("SOCK-1", 3),)),  # the same shopper, shipped together
        a_recipient("B-1", "", name="No address"),
        a_recipient("C-1", "not an address"),
        a_recipient("D-1", "tom@example.com", language="en", name="Tom"),
    ]
    assert write(store, recipients=recipients) == 3
    email_lea, email_tom, webhook = messages(store)
    assert [m.channel for m in (email_lea, email_tom, webhook)] == [Channel.EMAIL, Channel.EMAIL, Channel.WEBHOOK]
    assert (email_lea.recipient, email_lea.topic, email_lea.status) == ("lea@example.com", Topic.SHIPPED, "pending")
    assert email_lea.payload == {
        "email": "Lea@Example.com",
        "name": "Léa Martin",
        "language": "fr",
        "orders": [
            {"order_ref": "A-1", "items": [{"sku": "SHOE-42", "quantity": 2}]},
            {"order_ref": "A-2", "items": [{"sku": "SOCK-1", "quantity": 3}]},
        ],
        "facts": shipped_facts(),
    }
    assert email_lea.idempotency_key == idempotency_key("shipment:7:shipped", Channel.EMAIL, "lea@example.com")
    assert email_lea.next_attempt_at == NOW and email_lea.event_key == "shipment:7:shipped"
    assert webhook.recipient == str(hook.id)
    assert webhook.payload["id"] == event_id("shipment:7:shipped") and webhook.payload["type"] == "shipment.shipped"
    assert webhook.payload["created_at"] == "2026-03-02T09:00:00+00:00"
    assert webhook.payload["data"]["tracking_url"] == "https://shop.example/t/tok-7"
    assert [o["order_ref"] for o in webhook.payload["data"]["orders"]] == ["A-1", "A-2", "B-1", "C-1", "D-1"]
    assert "email" not in webhook.payload["data"]["orders"][0]  # the shopper's address stays out of webhooks


def test_the_same_change_notified_again_writes_nothing_and_another_change_writes_anew(store: FakeStore) -> None:
    subscribe(store, Topic.DELAYED)
    facts = shipped_facts(new_date="2026-03-09", compensation_code=None)
    assert write(store, Topic.DELAYED, "shipment:7:delayed:2026-03-09", facts=facts) == 2
    assert write(store, Topic.DELAYED, "shipment:7:delayed:2026-03-09", facts=facts) == 0
    assert write(store, Topic.DELAYED, "shipment:7:delayed:2026-03-11", facts={**facts, "new_date": "2026-03-11"}) == 2
    assert len(messages(store)) == 4


def test_a_change_rolled_back_leaves_no_message(store: FakeStore) -> None:
    subscribe(store, Topic.SHIPPED)
    with store.uow() as uow:
        assert notify(uow, Topic.SHIPPED, key="shipment:7:shipped", recipients=[a_recipient()], facts={}, now=NOW) == 2
        uow.rollback()  # the dispatch failed after notify: its messages go with it
    assert messages(store) == []


def test_a_key_must_name_the_change(store: FakeStore) -> None:
    with store.uow() as uow, pytest.raises(ValueError):
        notify(uow, Topic.SHIPPED, key="", recipients=[a_recipient()], facts={}, now=NOW)


# --- the worker -----------------------------------------------------------------------------------


def test_due_messages_are_sent_and_marked_sent_only_after_the_send(store: FakeStore) -> None:
    subscribe(store, Topic.SHIPPED)
    write(store)
    receivers, clock = Receivers(), Clock()
    report = deliver_due(store.uow(), receivers.senders(), clock=clock)
    assert (report.claimed, report.sent, report.retried, report.dead) == (2, 2, 0, 0)
    assert [m.recipient for m in receivers.emails] == ["lea@example.com"]
    assert [(url, at) for _, url, at in receivers.hooks] == [("https://shop.example/hooks", NOW)]
    assert {(m.status, m.attempts, m.sent_at) for m in messages(store)} == {(MessageStatus.SENT, 1, NOW)}
    assert deliver_due(store.uow(), receivers.senders(), clock=clock).claimed == 0  # nothing sent twice


def test_a_crash_after_the_change_committed_and_before_any_send_loses_nothing(store: FakeStore) -> None:
    write(store)  # committed; the worker never ran (the process stopped)
    receivers = Receivers()
    deliver_due(store.uow(), receivers.senders(), clock=Clock())  # the next pass, after a restart
    assert len(receivers.emails) == 1 and messages(store)[0].status is MessageStatus.SENT


def test_a_crash_after_the_send_and_before_the_mark_sends_again_with_the_same_key(store: FakeStore) -> None:
    subscribe(store, Topic.SHIPPED)
    write(store)
    receivers, clock = Receivers(crash_after_send=True), Clock()
    with pytest.raises(Crash):
        deliver_due(store.uow(), receivers.senders(), clock=clock)
    assert len(receivers.emails) == 1 and receivers.hooks == []
    receivers.crash_after_send = False
    assert deliver_due(store.uow(), receivers.senders(), clock=clock).claimed == 0  # the batch is leased
    clock.now = NOW + timedelta(seconds=RetryPolicy().lease_s)  # the lease ends
    assert deliver_due(store.uow(), receivers.senders(), clock=clock).sent == 2
    assert len(receivers.hooks) == 1  # the webhook, claimed but never sent, goes once
    first, again = receivers.emails
    assert first.idempotency_key == again.idempotency_key and first.payload == again.payload
    assert all(m.status is MessageStatus.SENT for m in messages(store))


def test_a_failure_is_retried_with_exponential_backoff_and_its_error_kept(store: FakeStore) -> None:
    write(store)
    policy = RetryPolicy(base_s=30, cap_s=120, email_max_attempts=10)
    receivers, clock = Receivers(fail=[DeliveryFailed("421 try later")] * 4), Clock()
    waits = []
    for _ in range(4):
        report = deliver_due(store.uow(), receivers.senders(), clock=clock, policy=policy)
        assert report.retried == 1
        (message,) = messages(store)
        waits.append((message.next_attempt_at - clock.now).total_seconds())
        assert deliver_due(store.uow(), receivers.senders(), clock=clock, policy=policy).claimed == 0  # not yet due
        clock.now = message.next_attempt_at
    assert waits == [30, 60, 120, 120]  # doubling, capped
    assert (message.attempts, message.last_error) == (4, "421 try later")
    assert deliver_due(store.uow(), receivers.senders(), clock=clock, policy=policy).sent == 1


def test_an_email_is_dead_after_its_tries_and_a_refused_address_at_once(store: FakeStore) -> None:
    write(store)
    write(store, key="shipment:8:shipped", recipients=[a_recipient("B-1", "tom@example.com")])
    policy = RetryPolicy(base_s=1, cap_s=1, email_max_attempts=3)
    receivers = Receivers(fail=[DeliveryFailed("550 no such user", permanent=True), DeliveryFailed("timeout")])
    receivers.fail += [DeliveryFailed("timeout")] * 2
    clock = Clock()
    for _ in range(3):
        deliver_due(store.uow(), receivers.senders(), clock=clock, policy=policy)
        clock.now += timedelta(seconds=1)
    refused, timing_out = messages(store)  # tried in this order: the first send is refused for good
    assert (refused.status, refused.attempts, refused.last_error) == (MessageStatus.DEAD, 1, "550 no such user")
    assert (timing_out.status, timing_out.attempts, timing_out.last_error) == (MessageStatus.DEAD, 3, "timeout")


def test_a_webhook_is_retried_for_its_window_then_dead_and_a_replay_gives_it_another(store: FakeStore) -> None:
    subscribe(store, Topic.SHIPPED)
    write(store, recipients=[])
    policy = RetryPolicy(base_s=60, cap_s=3600, webhook_window_h=24)
    receivers, clock = Receivers(fail=[DeliveryFailed("HTTP 503")] * 100), Clock()
    passes = 0
    while messages(store)[0].status is MessageStatus.PENDING and passes < 100:
        deliver_due(store.uow(), receivers.senders(), clock=clock, policy=policy)
        clock.now = max(clock.now, messages(store)[0].next_attempt_at)
        passes += 1
    (dead,) = messages(store)
    assert dead.status is MessageStatus.DEAD and dead.last_error == "HTTP 503"
    tried_for = clock.now - NOW
    assert timedelta(hours=23) <= tried_for <= timedelta(hours=24)  # the last try inside the window
    assert dead.attempts == 29  # 60 s doubling to the hour's cap: 7 tries in the first 63 min, then hourly

    replayed = replay_message(store.uow(), dead.id, now=clock.now, policy=policy)
    assert (replayed.status, replayed.attempts, replayed.next_attempt_at) == ("pending", 0, clock.now)
    receivers.fail = []
    assert deliver_due(store.uow(), receivers.senders(), clock=clock, policy=policy).sent == 1
    with pytest.raises(Conflict):
        replay_message(store.uow(), dead.id, now=clock.now, policy=policy)  # sent: nothing to replay
    with pytest.raises(NotFound):
        replay_message(store.uow(), 999, now=clock.now, policy=policy)


def test_a_webhook_of_a_deleted_subscription_is_dead_and_cannot_be_replayed(store: FakeStore) -> None:
    hook = subscribe(store, Topic.SHIPPED)
    write(store, recipients=[])
    delete_webhook(store.uow(), hook.id)
    receivers = Receivers()
    assert deliver_due(store.uow(), receivers.senders(), clock=Clock()).dead == 1
    (message,) = messages(store)
    assert receivers.hooks == [] and message.last_error == "the webhook subscription was deleted"
    with pytest.raises(Conflict):
        replay_message(store.uow(), message.id, now=NOW, policy=RetryPolicy())
    with pytest.raises(NotFound):
        delete_webhook(store.uow(), hook.id)


def test_a_channel_without_a_sender_waits_and_a_pass_sends_bounded_batches(store: FakeStore) -> None:
    subscribe(store, Topic.SHIPPED)
    for n in range(7):
        write(store, key=f"shipment:{n}:shipped", recipients=[a_recipient(f"A-{n}", f"s{n}@example.com")])
    receivers = Receivers()
    report = deliver_due(store.uow(), receivers.senders(email=False), clock=Clock(), batch_size=2, max_batches=2)
    assert (report.claimed, report.sent, len(receivers.hooks), receivers.emails) == (4, 4, 4, [])
    report = deliver_due(store.uow(), receivers.senders(), clock=Clock(), batch_size=2, max_batches=10)
    assert (report.sent, len(receivers.emails), len(receivers.hooks)) == (10, 7, 7)


def test_a_sender_that_breaks_leaves_its_message_to_retry_and_the_others_go(store: FakeStore) -> None:
    write(store)
    write(store, key="shipment:8:shipped", recipients=[a_recipient("B-1", "tom@example.com")])

    class Broken(Receivers):
        def send(self, message: OutboxMessage, *rest: Any) -> None:
            if message.recipient == "lea@example.com":
                raise KeyError("point")
            super().send(message, *rest)

    receivers = Broken()
    report = deliver_due(store.uow(), receivers.senders(), clock=Clock())
    assert (report.sent, report.retried) == (1, 1)
    assert messages(store)[0].last_error == "KeyError: 'point'"


# --- registering webhooks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://shop.example/h",
        "https://",
        "shop.example/hooks",
        "https://user:pw@shop.example/h",
        "https://shop.example/h#x",
        "https://shop.example/a b",
        "https://shop.example:99999/h",
        "https://shop.example/" + "a" * 2000,
    ],
)
def test_a_webhook_url_must_be_plain_http_or_https(url: str) -> None:
    assert webhook_url_problem(url) is not None


def test_registering_a_webhook_refuses_a_bad_url_and_no_topics_naming_each(store: FakeStore) -> None:
    assert webhook_url_problem("http://127.0.0.1:8080/hooks?shop=1") is None
    with pytest.raises(InvalidInput) as refused:
        register_webhook(store.uow(), url="ftp://x", topics=[], now=NOW)
    assert [p.field for p in refused.value.problems] == ["url", "topics"]
    hook = register_webhook(store.uow(), url="https://a.example/h", topics=[Topic.SHIPPED] * 2, now=NOW)
    assert hook.topics == (Topic.SHIPPED,) and hook.secret.startswith("whsec_") and len(hook.secret) > 40


# --- signature, schedule, dates -------------------------------------------------------------------


def test_the_signature_is_the_hmac_of_the_timestamp_and_body_and_a_receiver_checks_it() -> None:
    body = webhook_body({"b": 1, "a": "é"})
    assert body == '{"a":"é","b":1}'.encode()
    header = webhook_signature("whsec_x", body, 1_772_442_000)
    assert header.startswith("t=1772442000,v1=") and len(header.split("v1=")[1]) == 64
    assert signature_matches("whsec_x", body, header, now=1_772_442_100)
    assert not signature_matches("whsec_y", body, header, now=1_772_442_100)  # another secret
    assert not signature_matches("whsec_x", body + b" ", header, now=1_772_442_100)  # another body
    assert not signature_matches("whsec_x", body, header, now=1_772_442_000 + 301)  # too old
    assert not signature_matches("whsec_x", body, "t=abc,v1=00", now=0)


def test_the_retry_delays_double_from_the_base_up_to_the_cap() -> None:
    policy = RetryPolicy(base_s=30, cap_s=3600)
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 7, 8, 9, 1000)] == [
        30,
        60,
        120,
        1920,
        3600,
        3600,
        3600,
    ]


def test_dates_are_written_the_french_way_in_french_and_the_english_way_in_english() -> None:
    assert written_date("2026-03-02", "fr") == "2 mars 2026"
    assert written_date(date(2026, 8, 1), "fr") == "1er août 2026"
    assert written_date("2026-03-02", "en") == "2 March 2026"
    assert written_date("2026-12-25", "de") == "25 décembre 2026"  # anything else: French
    assert [normalise_language(t) for t in ("en-GB", "EN", "fr_FR", "es", "")] == ["en", "en", "fr", "fr", "fr"]


# --- the e-mails ----------------------------------------------------------------------------------

SHOP = Shop(name="Maison <Lumière>", sender="commandes@boutique.example", logo_url="https://cdn.example/logo.png")
FACTS = {
    Topic.SHIPPED: shipped_facts(),
    Topic.DELAYED: shipped_facts(new_date="2026-03-09", compensation_code="SORRY10"),
    Topic.AVAILABLE_FOR_PICKUP: shipped_facts(point=POINT, held_until="2026-03-16"),
    Topic.DELIVERED: shipped_facts(feedback_url="https://shop.example/avis/A-1"),
}
EXPECTED = {
    ("fr", Topic.SHIPPED): ("votre commande A-1 est en route", ["5 mars 2026", "2 × SHOE-42", "Colissimo"]),
    ("en", Topic.SHIPPED): ("your order A-1 is on its way", ["5 March 2026", "2 × SHOE-42", "Colissimo"]),
    ("fr", Topic.DELAYED): ("plus tard que prévu", ["Nous sommes désolés", "9 mars 2026", "SORRY10"]),
    ("en", Topic.DELAYED): ("later than planned", ["We are sorry", "9 March 2026", "SORRY10"]),
    ("fr", Topic.AVAILABLE_FOR_PICKUP): (
        "vous attend à Tabac de la Gare",
        ["12 rue de la Gare", "69003 Lyon", "lundi : 09:00-12:00, 14:00-19:00", "dimanche : fermé", "16 mars 2026"],
    ),
    ("en", Topic.AVAILABLE_FOR_PICKUP): (
        "waiting for you at Tabac de la Gare",
        ["12 rue de la Gare", "Monday: 09:00-12:00, 14:00-19:00", "Sunday: closed", "16 March 2026"],
    ),
    ("fr", Topic.DELIVERED): ("est livrée", ["livrée par Colissimo", "https://shop.example/avis/A-1"]),
    ("en", Topic.DELIVERED): ("has been delivered", ["delivered by Colissimo", "https://shop.example/avis/A-1"]),
}


def rendered(store: FakeStore, topic: Topic, language: str) -> Any:
    recipients = [a_recipient(language=language)]
    write(store, topic, f"shipment:7:{topic}:{language}", facts=FACTS[topic], recipients=recipients)
    message = messages(store)[-1]
    return message, EmailRenderer(SHOP).render(message)


@pytest.mark.parametrize(("language", "topic"), list(EXPECTED))
def test_each_topic_is_written_in_french_and_english_with_text_and_html(
    store: FakeStore, language: str, topic: Topic
) -> None:
    message, mail = rendered(store, topic, language)
    subject, phrases = EXPECTED[(language, topic)]
    assert mail["Subject"].startswith("Maison <Lumière>") and subject in mail["Subject"]
    assert mail["Message-ID"] == f"<{message.idempotency_key}@boutique.example>"
    assert mail["To"] == "Léa Martin <lea@example.com>" and "commandes@boutique.example" in mail["From"]
    assert mail["Content-Language"] == language
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for phrase in phrases:
        assert phrase in text, phrase
    assert "Maison &lt;Lumière&gt;" in html and "Maison <Lumière>" not in html  # autoescaped
    assert 'src="https://cdn.example/logo.png"' in html and f'lang="{language}"' in html


def test_the_html_part_escapes_what_the_shopper_typed_and_drops_links_that_are_not_web(store: FakeStore) -> None:
    write(
        store,
        key="shipment:9:shipped",
        facts=shipped_facts(tracking_url="javascript:alert(1)"),
        recipients=[a_recipient(name='<script>alert("x")</script>\r\nBcc: x@example.net', language="de")],
    )
    mail = EmailRenderer(SHOP).render(messages(store)[-1])
    assert "\n" not in str(mail["To"]) and mail["Bcc"] is None  # a line break in a name adds no header
    html = mail.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html and "javascript:" not in mail.get_body(("plain",)).get_content()
    assert mail["Content-Language"] == "fr"  # a language neither French nor English: the shop's default


def test_the_verification_example_of_the_docs_accepts_what_the_service_signs() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "notifications.md").read_text()
    example = next(block for block in text.split("```python\n")[1:] if "def verified" in block).split("```")[0]
    namespace: dict[str, Any] = {}
    exec(example, namespace)  # noqa: S102 (the documentation's own example)
    body = webhook_body({"type": "shipment.shipped"})
    now = int(datetime.now(UTC).timestamp())
    assert namespace["verified"]("whsec_x", body, webhook_signature("whsec_x", body, now))
    assert not namespace["verified"]("whsec_x", body + b"x", webhook_signature("whsec_x", body, now))
    assert not namespace["verified"]("whsec_x", body, webhook_signature("whsec_x", body, now - 3600))
