"""E-mail to the shopper: the outbox message rendered from the Jinja2 templates of its topic and language
(text and HTML, the HTML autoescaped), handed to an SMTP server by smtplib."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tms.domain.notifications import (
    WEEKDAYS,
    OutboxMessage,
    Topic,
    normalise_language,
    weekday_name,
    written_date,
)
from tms.services.notifications import DeliveryFailed

TEMPLATES = Path(__file__).resolve().parent / "templates"
TLS_MODES = ("none", "starttls", "ssl")
TEMPLATE_OF = {
    Topic.SHIPPED: "shipped",
    Topic.DELAYED: "delayed",
    Topic.AVAILABLE_FOR_PICKUP: "available_for_pickup",
    Topic.DELIVERED: "delivered",
}


@dataclass(frozen=True)
class Shop:
    """Who the e-mails come from, as the shopper knows the shop."""

    name: str
    sender: str  # the From address
    logo_url: str = ""
    url: str = ""
    default_language: str = "fr"


def _web_url(value: Any) -> str:
    """Only http(s) links reach an e-mail."""
    text = str(value or "")
    return text if text.startswith(("https://", "http://")) else ""


def _one_line(value: Any) -> str:
    """A name as one line of text: line breaks and other control characters become spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in str(value or "")).split())


class EmailRenderer:
    """One e-mail per outbox message: subject, text and HTML parts in the shopper's language."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.environment = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def context(self, message: OutboxMessage) -> dict[str, Any]:
        payload = message.payload
        language = normalise_language(str(payload.get("language", "")), self.shop.default_language)
        facts = payload.get("facts", {})
        orders = payload.get("orders", [])

        def day(key: str) -> str | None:
            value = facts.get(key)
            return written_date(value, language) if value else None

        point = facts.get("point") or {}
        hours = point.get("hours") or {}
        return {
            "language": language,
            "shop": {"name": self.shop.name, "logo_url": _web_url(self.shop.logo_url), "url": _web_url(self.shop.url)},
            "name": _one_line(payload.get("name")),
            "orders": orders,
            "order_refs": ", ".join(str(o["order_ref"]) for o in orders),
            "carrier_name": facts.get("carrier_name") or facts.get("carrier") or "",
            "service": facts.get("service") or "",
            "tracking_numbers": list(facts.get("tracking_numbers") or []),
            "tracking_url": _web_url(facts.get("tracking_url")),
            "promised_date": day("promised_date"),
            "new_date": day("new_date"),
            "compensation_code": facts.get("compensation_code"),
            "point": {k: point.get(k, "") for k in ("id", "name", "address", "postcode", "city")},
            "hours": [(weekday_name(d, language), ", ".join(hours.get(d) or [])) for d in WEEKDAYS],
            "held_until": day("held_until"),
            "feedback_url": _web_url(facts.get("feedback_url")),
        }

    def render(self, message: OutboxMessage) -> EmailMessage:
        context = self.context(message)
        name = f"{context['language']}/{TEMPLATE_OF[message.topic]}"
        text_template = self.environment.get_template(f"{name}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(context))).strip()
        text = text_template.render(context)
        html = self.environment.get_template(f"{name}.html").render({**context, "subject": subject})
        mail = EmailMessage()
        mail["Subject"] = subject
        mail["From"] = formataddr((self.shop.name, self.shop.sender))
        mail["To"] = formataddr((_one_line(message.payload.get("name")), str(message.payload["email"])))
        mail["Date"] = format_datetime(message.created_at)
        mail["Message-ID"] = message_id(message, self.shop.sender)
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(text)
        mail.add_alternative(html, subtype="html")
        mail["Content-Language"] = context["language"]  # after the parts: set_content drops Content-* headers
        return mail


def message_id(message: OutboxMessage, sender: str) -> str:
    """`<idempotency key@sender's domain>`: a resend of the same message has the same Message-ID."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{message.idempotency_key}@{domain}>"


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 25
    tls: str = "none"  # "none", "starttls" or "ssl"
    user: str = ""
    password: str = ""
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            raise ValueError(f"notifications.smtp_tls must be one of {', '.join(TLS_MODES)}, not {self.tls!r}")


class SmtpSender:
    """Sends each message on a connection of its own (the worker sends few, and a broken connection
    then costs one message a retry, not a batch)."""

    def __init__(self, smtp: Smtp, renderer: EmailRenderer) -> None:
        self.smtp = smtp
        self.renderer = renderer

    def send(self, message: OutboxMessage) -> None:
        mail = self.renderer.render(message)
        smtp = self.smtp
        try:
            client: smtplib.SMTP
            if smtp.tls == "ssl":
                client = smtplib.SMTP_SSL(
                    smtp.host, smtp.port, timeout=smtp.timeout_s, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
            with client:
                if smtp.tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if smtp.user:
                    client.login(smtp.user, smtp.password)
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _ in refused.recipients.values()]
            permanent = all(500 <= code < 600 for code in codes)  # the address itself is refused: no retry helps
            raise DeliveryFailed(f"recipient refused: {refused.recipients}", permanent=permanent) from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"SMTP {smtp.host}:{smtp.port}: {type(error).__name__}: {error}") from None
