"""Webhooks to the merchant: the outbox message's body POSTed to the subscription's URL, signed with
its secret (X-TMS-Signature), with its idempotency key (Idempotency-Key), a bounded timeout, no redirects."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

from tms.domain.notifications import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    OutboxMessage,
    WebhookSubscription,
    webhook_body,
    webhook_signature,
)
from tms.services.notifications import DeliveryFailed

USER_AGENT = "mini-tms-webhooks/1"
MAX_ANSWER_BYTES = 64 * 1024  # what is read of the receiver's answer (it is not used)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is an answer like any non-2xx: not delivered (a redirected POST would lose its body)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpWebhookSender:
    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._opener = urllib.request.build_opener(_NoRedirects)

    def send(self, message: OutboxMessage, subscription: WebhookSubscription, at: datetime) -> None:
        body = webhook_body(message.payload)
        request = urllib.request.Request(
            subscription.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                SIGNATURE_HEADER: webhook_signature(subscription.secret, body, int(at.timestamp())),
                IDEMPOTENCY_HEADER: message.idempotency_key,
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout_s) as answer:
                status = answer.status
                answer.read(MAX_ANSWER_BYTES)
        except urllib.error.HTTPError as error:
            error.close()  # the answer's connection
            raise DeliveryFailed(f"HTTP {error.code} from {subscription.url}") from None
        except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError, ValueError) as error:
            raise DeliveryFailed(f"{subscription.url}: {type(error).__name__}: {error}") from None
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status} from {subscription.url}")
