"""Messages the shopper and the merchant are sent when a shipment changes: the topics, the outbox's
records, the idempotency key each message is known by, the webhook signature, the retry schedule,
and dates written the way each language writes them."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit


class Topic(StrEnum):
    SHIPPED = "shipment.shipped"
    DELAYED = "shipment.delayed"
    AVAILABLE_FOR_PICKUP = "shipment.available_for_pickup"
    DELIVERED = "shipment.delivered"


class Channel(StrEnum):
    EMAIL = "email"  # to the shopper, over SMTP
    WEBHOOK = "webhook"  # to a URL the merchant registered


class MessageStatus(StrEnum):
    PENDING = "pending"  # to send at next_attempt_at
    SENT = "sent"  # the receiver took it (SMTP accepted it, the webhook answered 2xx)
    DEAD = "dead"  # given up: a dead letter, until replayed


LANGUAGES = ("fr", "en")
EVENT_KEY_MAX = 200
SIGNATURE_HEADER = "X-TMS-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Recipient:
    """A shopper told of a change: one per order of the shipment."""

    order_ref: str
    email: str  # the shopper's address
    language: str  # "fr" or "en" (anything else: the shop's default language)
    name: str
    items: tuple[tuple[str, int], ...]  # (sku, quantity) of that shopper's order


@dataclass(frozen=True)
class OutboxMessage:
    """A message written with the change that caused it, sent (at least once) by the delivery worker."""

    id: int
    idempotency_key: str
    event_key: str  # the change it was written for, as the caller named it
    channel: Channel
    topic: Topic
    recipient: str  # an e-mail address, or a webhook subscription's id
    payload: dict[str, Any]
    status: MessageStatus
    attempts: int  # tries since it was written (or last replayed)
    next_attempt_at: datetime
    retry_until: datetime | None  # a webhook is given up after this; an e-mail after a number of tries
    last_error: str
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class WebhookSubscription:
    id: int
    url: str
    topics: tuple[Topic, ...]
    secret: str  # signs the bodies (HMAC-SHA256); shown to the merchant once, at registration
    active: bool
    created_at: datetime


URL_MAX = 2000


def webhook_url_problem(url: str) -> str | None:
    """Why `url` cannot receive webhooks, or None: an absolute http(s) URL with a host, no user or
    password in it, no fragment, no spaces or control characters, at most URL_MAX characters."""
    if len(url) > URL_MAX:
        return f"must be at most {URL_MAX} characters"
    if any(c.isspace() or not c.isprintable() for c in url):
        return "must not hold spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http:// or https:// URL with a host"
    if parts.username is not None or parts.password is not None:
        return "must not hold a user name or password (the signature authenticates the sender)"
    if parts.fragment or url.endswith("#"):
        return "must not have a #fragment"
    if port == 0:
        return "must not have port 0"
    return None


def email_problem(address: str) -> str | None:
    """Why `address` cannot be sent to, or None (a plausible address: one @, no spaces, at most 254)."""
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain.strip(".") or len(address) > 254:
        return "is not an e-mail address"
    if any(c.isspace() or not c.isprintable() or c in '<>,;"' for c in address):
        return "must not hold spaces, control characters, <, >, comma, semicolon or quotes"
    return None


def normalise_language(language: str, default: str = "fr") -> str:
    """'fr' or 'en' from a language tag ('en-GB' -> 'en'); anything else is `default`."""
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else default


def idempotency_key(event_key: str, channel: Channel, recipient: str) -> str:
    """The message's key: the same change, channel and recipient always give the same key."""
    return hashlib.sha256(f"{event_key}\n{channel.value}\n{recipient}".encode()).hexdigest()


def event_id(event_key: str) -> str:
    """The id a webhook body carries: one per change, the same for every subscription."""
    return "evt_" + hashlib.sha256(event_key.encode()).hexdigest()[:32]


def webhook_body(payload: dict[str, Any]) -> bytes:
    """The bytes a webhook sends: the same for every try (keys sorted, compact)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def webhook_signature(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the X-TMS-Signature header's value."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_matches(secret: str, body: bytes, header: str, *, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver checks: the header's v1 is the body's HMAC at its t, and t is within
    `tolerance_s` of `now` (a replayed old request is refused)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = webhook_signature(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed message is tried again: `base_s` after the first failure, doubling, at most
    `cap_s` apart; a webhook until `webhook_window_h` hours after it was written, an e-mail
    `email_max_attempts` times. A claimed message is leased for `lease_s`: if the worker stops before
    it records the outcome, the message is due again when the lease ends (and sent again)."""

    base_s: int = 30
    cap_s: int = 3600
    webhook_window_h: int = 24
    email_max_attempts: int = 10
    lease_s: int = 300

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed try (1 is the first)."""
        exponent = min(max(attempts - 1, 0), 30)  # 2**30 s is past any cap: no huge integers
        return timedelta(seconds=min(self.cap_s, self.base_s * 2**exponent))

    def window_end(self, message: OutboxMessage) -> datetime:
        """A webhook is tried until then: `webhook_window_h` after it was written, or after its replay."""
        return message.retry_until or message.created_at + timedelta(hours=self.webhook_window_h)

    def next_try(self, message: OutboxMessage, now: datetime) -> datetime | None:
        """When to try again after a failure at `now` (the message's attempts not yet counting it);
        None: give up, the message is dead."""
        attempts = message.attempts + 1
        at = now + self.delay(attempts)
        if message.channel is Channel.EMAIL:
            return None if attempts >= self.email_max_attempts else at
        return None if at > self.window_end(message) else at


_MONTHS = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_NAMES = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def written_date(day: date | str, language: str) -> str:
    """`2 mars 2026` (`1er mars 2026`) in French, `2 March 2026` in English; an ISO date is read first."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    language = normalise_language(language)
    number = "1er" if language == "fr" and day.day == 1 else str(day.day)
    return f"{number} {_MONTHS[language][day.month - 1]} {day.year}"


def weekday_name(weekday: str, language: str) -> str:
    """'monday' -> 'lundi' / 'Monday'."""
    return _WEEKDAY_NAMES[normalise_language(language)][WEEKDAYS.index(weekday)]
