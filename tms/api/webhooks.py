"""The merchant's webhooks (admin only): register a URL for some topics (its signing secret shown once),
list, delete; the outbox's messages, its dead letters, and their replay."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from tms.api.auth import protected
from tms.api.blueprint import api_blueprint
from tms.api.context import services
from tms.api.reading import BodySchema, QuerySchema, Text
from tms.domain.access import Role
from tms.domain.notifications import URL_MAX, Channel, MessageStatus, OutboxMessage, Topic, WebhookSubscription
from tms.notify import retry_policy
from tms.services import notifications

URL_PREFIX = ""

blp = api_blueprint("webhooks", __name__, description="Webhooks to the merchant, and the outbox's dead letters")


class WebhookCreateSchema(BodySchema):
    url = Text(
        required=True,
        max_length=URL_MAX,
        metadata={"description": "Where to POST the events: http:// or https://", "example": "https://shop.example/h"},
    )
    topics = fields.List(
        fields.Enum(Topic, by_value=True),
        required=True,
        validate=validate.Length(min=1, max=len(Topic), error=f"must list 1 to {len(Topic)} topics"),
        metadata={"description": "The events to send to it"},
    )


class WebhookSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    topics = fields.List(fields.Enum(Topic, by_value=True), required=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(
        required=True,
        metadata={"description": "Signs every body (X-TMS-Signature); shown in this answer only"},
    )


class OutboxQuerySchema(QuerySchema):
    status = fields.Enum(MessageStatus, by_value=True, metadata={"description": "Only the messages in this status"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class OutboxMessageSchema(Schema):
    id = fields.Integer(required=True)
    idempotency_key = fields.String(required=True)
    event_key = fields.String(required=True, metadata={"description": "The change that caused the message"})
    channel = fields.Enum(Channel, by_value=True, required=True)
    topic = fields.Enum(Topic, by_value=True, required=True)
    recipient = fields.String(required=True, metadata={"description": "An e-mail address, or a webhook's id"})
    status = fields.Enum(MessageStatus, by_value=True, required=True)
    attempts = fields.Integer(required=True, metadata={"description": "Tries since written (or last replayed)"})
    next_attempt_at = fields.DateTime(required=True)
    last_error = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(allow_none=True)
    payload = fields.Dict(required=True, metadata={"description": "The webhook's body, or the e-mail's facts"})


def _subscription(subscription: WebhookSubscription) -> dict[str, Any]:
    return {k: v for k, v in subscription.__dict__.items() if k != "secret"}


def _message(message: OutboxMessage) -> dict[str, Any]:
    return {k: v for k, v in message.__dict__.items() if k != "retry_until"}


@blp.route("/webhooks", methods=["POST"])
@protected(blp, Role.ADMIN)
@blp.arguments(WebhookCreateSchema)
@blp.response(201, WebhookCreatedSchema)
def create_webhook(body: dict[str, Any]) -> Any:
    """Register a URL for some topics; the secret that signs its bodies is in this answer only."""
    context = services()
    subscription = notifications.register_webhook(
        context.uow(), url=body["url"], topics=body["topics"], now=context.now()
    )
    return {**_subscription(subscription), "secret": subscription.secret}


@blp.route("/webhooks", methods=["GET"])
@protected(blp, Role.ADMIN)
@blp.response(200, WebhookSchema(many=True))
def list_webhooks() -> Any:
    """The active webhooks, as registered (never their secrets)."""
    return [_subscription(s) for s in notifications.list_webhooks(services().uow())]


@blp.route("/webhooks/<int:webhook_id>", methods=["DELETE"])
@protected(blp, Role.ADMIN)
@blp.response(204)
def delete_webhook(webhook_id: int) -> Any:
    """Stop sending to it; its messages not yet sent become dead letters."""
    notifications.delete_webhook(services().uow(), webhook_id)
    return None


@blp.route("/outbox", methods=["GET"])
@protected(blp, Role.ADMIN)
@blp.arguments(OutboxQuerySchema, location="query")
@blp.response(200, OutboxMessageSchema(many=True))
def list_outbox(query: dict[str, Any]) -> Any:
    """The outbox's messages, newest first: `?status=dead` for the dead letters (with their last error)."""
    return [_message(m) for m in notifications.outbox_messages(services().uow(), **query)]


@blp.route("/outbox/<int:message_id>/replay", methods=["POST"])
@protected(blp, Role.ADMIN)
@blp.response(200, OutboxMessageSchema)
@blp.alt_response(409, schema="Error", description="The message was sent, or its webhook was deleted")
def replay_outbox_message(message_id: int) -> Any:
    """A dead (or pending) message due now, its tries counted afresh (a webhook gets another retry window)."""
    context = services()
    policy = retry_policy(context.settings)
    return _message(notifications.replay_message(context.uow(), message_id, now=context.now(), policy=policy))
