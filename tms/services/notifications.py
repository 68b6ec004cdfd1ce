"""The shopper told, the merchant told: messages written to the outbox in the transaction of the change
that causes them (`notify`), and sent at least once by the worker of the scheduler process
(`deliver_due`) through the senders it is given (SMTP and HTTP live outside the services, in tms.notify).

At least once: a message is marked sent only after its receiver took it, so a worker that stops in
between sends it again when its lease ends, with the same idempotency key (the e-mail's Message-ID,
the webhook's Idempotency-Key header), for the receiver to recognise it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tms.domain.errors import Conflict, InvalidInput, NotFound, Problem
from tms.domain.notifications import (
    EVENT_KEY_MAX,
    Channel,
    MessageStatus,
    OutboxMessage,
    Recipient,
    RetryPolicy,
    Topic,
    WebhookSubscription,
    email_problem,
    event_id,
    idempotency_key,
    webhook_url_problem,
)
from tms.services.unit_of_work import UnitOfWork

__all__ = ["Recipient", "Topic", "notify", "deliver_due"]

log = logging.getLogger("tms.notifications")
SECRET_PREFIX = "whsec_"


# --- Writing: in the caller's transaction -------------------------------------------------------


def notify(
    uow: UnitOfWork,
    topic: Topic,
    *,
    key: str,
    recipients: Sequence[Recipient],
    facts: Mapping[str, Any],
    now: datetime,
) -> int:
    """Write the messages this change causes into the outbox, in the caller's open transaction (the caller
    commits): one e-mail per recipient with an address, one webhook per active subscription to the topic.
    `key` identifies the change (e.g. f"shipment:{id}:shipped", f"shipment:{id}:delayed:{new_date}"); each
    message's idempotency key is derived from it (key + channel + recipient), and a message whose key is
    already in the outbox is not written again. Returns the number of messages written.

    Recipients sharing an address (a consignee's orders shipped together) get one e-mail listing each
    order; a recipient without a plausible address gets none."""
    if not key or len(key) > EVENT_KEY_MAX:
        raise ValueError(f"a change's key is 1 to {EVENT_KEY_MAX} characters: {key[:EVENT_KEY_MAX]!r}...")
    topic = Topic(topic)
    facts = dict(facts)
    written = 0
    for address, orders in _by_address(recipients).items():
        first = orders[0]
        payload = {
            "email": first.email.strip(),
            "name": first.name,
            "language": first.language,
            "orders": [_order(r) for r in orders],
            "facts": facts,
        }
        written += _write(uow, topic, key, Channel.EMAIL, address, payload, now)
    subscriptions = uow.webhooks.active(topic)
    if subscriptions:
        body = {
            "id": event_id(key),
            "type": topic.value,
            "created_at": now.astimezone(UTC).isoformat(),
            "data": {**facts, "orders": [_order(r) for r in recipients]},
        }
        for subscription in subscriptions:
            written += _write(uow, topic, key, Channel.WEBHOOK, str(subscription.id), body, now)
    return written


def _by_address(recipients: Sequence[Recipient]) -> dict[str, list[Recipient]]:
    grouped: dict[str, list[Recipient]] = {}
    for recipient in recipients:
        address = recipient.email.strip()
        if address and email_problem(address) is None:
            grouped.setdefault(address.lower(), []).append(recipient)
    return grouped


def _order(recipient: Recipient) -> dict[str, Any]:
    return {
        "order_ref": recipient.order_ref,
        "items": [{"sku": sku, "quantity": quantity} for sku, quantity in recipient.items],
    }


def _write(
    uow: UnitOfWork, topic: Topic, key: str, channel: Channel, recipient: str, payload: dict[str, Any], now: datetime
) -> int:
    written = uow.outbox.add(
        idempotency_key=idempotency_key(key, channel, recipient),
        event_key=key,
        channel=channel,
        topic=topic,
        recipient=recipient,
        payload=payload,
        created_at=now,
        retry_until=None,  # a webhook's window runs from created_at (RetryPolicy.window_end)
    )
    return 0 if written is None else 1


# --- Sending: the worker of the scheduler process -----------------------------------------------


class DeliveryFailed(Exception):
    """The receiver did not take the message; `permanent` when trying again cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class EmailSender(Protocol):
    def send(self, message: OutboxMessage) -> None:
        """Render the message's e-mail and hand it to the mail server; DeliveryFailed if it was not taken."""


class WebhookSender(Protocol):
    def send(self, message: OutboxMessage, subscription: WebhookSubscription, at: datetime) -> None:
        """POST the message's body to the subscription's URL, signed at `at`; DeliveryFailed unless 2xx."""


@dataclass(frozen=True)
class Senders:
    """The channels the worker can send on; a channel without a sender is left pending."""

    email: EmailSender | None = None
    webhook: WebhookSender | None = None


@dataclass(frozen=True)
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0  # failed, due again later
    dead: int = 0  # failed for good


def deliver_due(
    uow: UnitOfWork,
    senders: Senders,
    *,
    clock: Callable[[], datetime],
    policy: RetryPolicy | None = None,
    batch_size: int = 10,
    max_batches: int = 10,
) -> DeliveryReport:
    """Send the due messages, `batch_size` at a time, `max_batches` batches at most per pass.

    Each batch is claimed in a transaction of its own (leased for `policy.lease_s`), each message's
    outcome recorded in another after its send: sent only once the receiver took it; else one more
    attempt, the error kept, and a next try by the policy's backoff, or dead when the policy gives up."""
    policy = policy or RetryPolicy()
    channels = [c for c, sender in ((Channel.EMAIL, senders.email), (Channel.WEBHOOK, senders.webhook)) if sender]
    claimed = sent = retried = dead = 0
    if not channels:
        return DeliveryReport()
    for _ in range(max_batches):
        now = clock()
        with uow:
            batch = uow.outbox.claim_due(
                now=now, lease_until=now + timedelta(seconds=policy.lease_s), limit=batch_size, channels=channels
            )
            subscriptions = {m.id: uow.webhooks.get(int(m.recipient)) for m in batch if m.channel is Channel.WEBHOOK}
            uow.commit()
        claimed += len(batch)
        for message in batch:
            failure = _send(message, senders, subscriptions.get(message.id), clock())
            with uow:
                at = clock()
                if failure is None:
                    uow.outbox.mark_sent(message.id, at)
                    sent += 1
                else:
                    next_try = None if failure.permanent else policy.next_try(message, at)
                    if next_try is None:
                        uow.outbox.give_up(message.id, error=failure.reason)
                        dead += 1
                        log.warning("outbox message %s (%s) is dead: %s", message.id, message.channel, failure.reason)
                    else:
                        uow.outbox.retry_later(message.id, error=failure.reason, next_attempt_at=next_try)
                        retried += 1
                uow.commit()
        if len(batch) < batch_size:
            break
    return DeliveryReport(claimed=claimed, sent=sent, retried=retried, dead=dead)


def _send(
    message: OutboxMessage, senders: Senders, subscription: WebhookSubscription | None, at: datetime
) -> DeliveryFailed | None:
    """None when the receiver took the message, else why not."""
    try:
        if message.channel is Channel.EMAIL:
            assert senders.email is not None  # only the channels with a sender are claimed
            senders.email.send(message)
        else:
            assert senders.webhook is not None
            if subscription is None or not subscription.active:
                return DeliveryFailed("the webhook subscription was deleted", permanent=True)
            senders.webhook.send(message, subscription, at)
    except DeliveryFailed as failure:
        return failure
    except Exception as error:  # a bug in a sender must not stop the others: kept as the message's error
        log.exception("sending outbox message %s failed unexpectedly", message.id)
        return DeliveryFailed(f"{type(error).__name__}: {error}")
    return None


# --- The merchant's webhooks and the dead letters (the API) -------------------------------------


def register_webhook(uow: UnitOfWork, *, url: str, topics: Sequence[Topic], now: datetime) -> WebhookSubscription:
    """An active subscription with a new secret (the caller shows it once; it signs every body)."""
    problems = []
    url_problem = webhook_url_problem(url)
    if url_problem:
        problems.append(Problem(url_problem, field="url"))
    if not topics:
        problems.append(Problem("must name at least one topic", field="topics"))
    if problems:
        raise InvalidInput("the webhook cannot be registered", problems)
    unique = tuple(dict.fromkeys(Topic(t) for t in topics))
    with uow:
        subscription = uow.webhooks.add(
            url=url, topics=unique, secret=SECRET_PREFIX + secrets.token_urlsafe(32), created_at=now
        )
        uow.commit()
    return subscription


def list_webhooks(uow: UnitOfWork) -> list[WebhookSubscription]:
    with uow:
        return uow.webhooks.active()


def delete_webhook(uow: UnitOfWork, subscription_id: int) -> None:
    """Stop sending to it: its pending messages become dead letters when their turn comes."""
    with uow:
        if not uow.webhooks.deactivate(subscription_id):
            raise NotFound(f"webhook {subscription_id} does not exist")
        uow.commit()


def outbox_messages(
    uow: UnitOfWork, *, status: MessageStatus | None = None, limit: int = 100, offset: int = 0
) -> list[OutboxMessage]:
    with uow:
        return uow.outbox.list(status=status, limit=limit, offset=offset)


def replay_message(uow: UnitOfWork, message_id: int, *, now: datetime, policy: RetryPolicy) -> OutboxMessage:
    """A dead (or pending) message due now again, its attempts counted afresh (a webhook for another
    window); a sent one is a Conflict, as is a webhook whose subscription was deleted."""
    with uow:
        message = uow.outbox.get(message_id)
        if message is None:
            raise NotFound(f"outbox message {message_id} does not exist")
        if message.status is MessageStatus.SENT:
            raise Conflict(f"outbox message {message_id} was sent already")
        retry_until = None
        if message.channel is Channel.WEBHOOK:
            subscription = uow.webhooks.get(int(message.recipient))
            if subscription is None or not subscription.active:
                raise Conflict(f"the webhook subscription {message.recipient} of message {message_id} was deleted")
            retry_until = now + timedelta(hours=policy.webhook_window_h)
        replayed = uow.outbox.replay(message_id, now=now, retry_until=retry_until)
        if replayed is None:  # sent meanwhile by the worker
            raise Conflict(f"outbox message {message_id} was sent already")
        uow.commit()
        return replayed
