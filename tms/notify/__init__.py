"""The senders the outbox's worker uses: SMTP for e-mails, HTTP for webhooks, built from the settings.
The service layer only knows their interfaces (tms.services.notifications)."""

from __future__ import annotations

from tms.domain.notifications import RetryPolicy, email_problem, normalise_language
from tms.notify.email import EmailRenderer, Shop, Smtp, SmtpSender
from tms.notify.webhooks import HttpWebhookSender
from tms.services.notifications import Senders
from tms.settings import Settings


def shop_of(settings: Settings) -> Shop:
    return Shop(
        name=settings.notifications_shop_name,
        sender=settings.notifications_sender,
        logo_url=settings.notifications_shop_logo_url,
        url=settings.notifications_shop_url,
        default_language=normalise_language(settings.notifications_default_language),
    )


def build_senders(settings: Settings) -> Senders:
    """Webhooks always; e-mail when an SMTP host is set (ValueError for a sender or shop name missing,
    or an unknown TLS mode: the scheduler refuses to start rather than fail every e-mail)."""
    email = None
    if settings.notifications_smtp_host:
        problems = []
        if email_problem(settings.notifications_sender):
            problems.append(f"notifications.sender {settings.notifications_sender!r} is not an e-mail address")
        if not settings.notifications_shop_name.strip():
            problems.append("notifications.shop_name is empty")
        if problems:
            raise ValueError("; ".join(problems))
        smtp = Smtp(
            host=settings.notifications_smtp_host,
            port=settings.notifications_smtp_port,
            tls=settings.notifications_smtp_tls,
            user=settings.notifications_smtp_user,
            password=settings.notifications_smtp_password,
            timeout_s=settings.notifications_smtp_timeout_s,
        )
        email = SmtpSender(smtp, EmailRenderer(shop_of(settings)))
    return Senders(email=email, webhook=HttpWebhookSender(settings.notifications_webhook_timeout_s))


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        base_s=settings.notifications_retry_base_s,
        cap_s=settings.notifications_retry_cap_s,
        webhook_window_h=settings.notifications_webhook_retry_hours,
        email_max_attempts=settings.notifications_email_max_attempts,
        lease_s=settings.notifications_lease_s,
    )
