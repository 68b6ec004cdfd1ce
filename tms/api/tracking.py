"""Tracking events in (a carrier's signed webhook, its CSV export) and out (a shipment's events,
the unmatched ones)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import request
from marshmallow import Schema, fields, validate

from carriers.tracking import TrackingAdapter, TrackingFormatError, adapters
from carriers.tracking.csv_export import read_tracking_csv
from tms.api.auth import protected
from tms.api.blueprint import api_blueprint
from tms.api.context import json_object, request_body, services
from tms.api.errors import ApiError
from tms.api.reading import CODE_MAX, QuerySchema, Text
from tms.domain.access import Role
from tms.domain.errors import InvalidInput, Problem
from tms.domain.tracking import EventKind, StoredEvent
from tms.services import tracking as tracking_service
from tms.services.tracking import Recorded

URL_PREFIX = ""
SIGNATURE_HEADER = "X-Tracking-Signature"

blp = api_blueprint("tracking", __name__, description="Tracking events from the carriers")


class EventOutSchema(Schema):
    id = fields.Integer()
    carrier = fields.String()
    tracking_number = fields.String()
    code = fields.String(metadata={"description": "The carrier's own code, kept as sent"})
    kind = fields.Enum(EventKind, by_value=True)
    occurred_at = fields.DateTime()
    description = fields.String()
    location = fields.String()
    pickup_point = fields.String()
    held_until = fields.Date(allow_none=True)
    shipment_id = fields.Integer(allow_none=True)
    source = fields.String()
    received_at = fields.DateTime()


class RecordedSchema(Schema):
    received = fields.Integer()
    stored = fields.Integer()
    duplicates = fields.Integer()
    unmatched = fields.Integer()


class UnmatchedQuerySchema(QuerySchema):
    carrier = Text(max_length=CODE_MAX)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


def event_json(stored: StoredEvent) -> dict[str, Any]:
    return {
        **stored.event.__dict__,
        "id": stored.id,
        "shipment_id": stored.shipment_id,
        "source": stored.source,
        "received_at": stored.received_at,
    }


def _adapter(code: str) -> TrackingAdapter:
    found = adapters().get(code)
    if found is None:
        raise ApiError(404, "not_found", f"no tracking adapter for carrier {code[:40]!r}")
    return found


def _recorded(recorded: Recorded) -> dict[str, int]:
    return recorded.__dict__


def valid_signature(body: bytes, signature: str, secret: str) -> bool:
    """HMAC-SHA256 of the raw body with the carrier's secret, hex (an optional 'sha256=' before it)."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = signature.strip().removeprefix("sha256=").lower().encode("ascii", "replace")
    return hmac.compare_digest(expected.encode(), given)


@blp.route("/carriers/<code>/tracking-events", methods=["POST"])
@blp.doc(
    requestBody={
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "description": "The carrier's own format"}}},
    },
    parameters=[
        {
            "name": SIGNATURE_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "HMAC-SHA256 of the raw body with the carrier's webhook secret, hex",
        }
    ],
)
@blp.response(200, RecordedSchema, description="Stored; events already stored are counted as duplicates")
@blp.alt_response(401, schema="Error", description="The signature does not match the body (nothing stored)")
@blp.alt_response(404, schema="Error", description="No tracking adapter for this carrier")
@blp.alt_response(422, schema="Error", description="The carrier's document is malformed; the field is named")
def receive_tracking_webhook(code: str) -> Any:
    """A carrier's tracking webhook, in its own format, signed with its secret."""
    adapter = _adapter(code)
    secret = services().settings.tracking_setting(code, "webhook_secret")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not secret or not valid_signature(request_body(), signature, secret):
        raise ApiError(401, "unauthenticated", f"the {SIGNATURE_HEADER} signature does not match the body")
    document = json_object()
    try:
        events = adapter.parse(document)
    except TrackingFormatError as error:
        raise InvalidInput("not a valid tracking document", [Problem(error.message, field=error.field)]) from None
    context = services()
    return _recorded(
        tracking_service.record_events(
            context.uow(), events, source="webhook", now=context.now(), watch=context.promise_watch
        )
    )


@blp.route("/carriers/<code>/tracking-events/import", methods=["POST"])
@protected(blp, Role.MANAGER)
@blp.doc(
    requestBody={
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string", "description": "The carrier's tracking export"}}},
    }
)
@blp.response(200, RecordedSchema, description="Every row stored (duplicates counted), or none")
@blp.alt_response(404, schema="Error", description="No tracking adapter for this carrier")
@blp.alt_response(422, schema="Error", description="The export was refused; each row and column at fault named")
def import_tracking_csv(code: str) -> Any:
    """A carrier's tracking export as CSV, all or nothing."""
    adapter = _adapter(code)
    context = services()
    events = read_tracking_csv(request_body(), adapter, max_rows=context.settings.uploads_max_rows)
    return _recorded(
        tracking_service.record_events(
            context.uow(), events, source="csv", now=context.now(), watch=context.promise_watch
        )
    )


@blp.route("/tracking-events/unmatched", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.arguments(UnmatchedQuerySchema, location="query")
@blp.response(200, EventOutSchema(many=True))
def list_unmatched_events(query: dict[str, Any]) -> Any:
    """Events whose tracking number no dispatched shipment has, as received."""
    return [event_json(e) for e in tracking_service.unmatched_events(services().uow(), **query)]


@blp.route("/shipments/<int:shipment_id>/events", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, EventOutSchema(many=True))
@blp.alt_response(404, schema="Error", description="No such shipment")
def list_shipment_events(shipment_id: int) -> Any:
    """The shipment's tracking events, by the time they happened."""
    return [event_json(e) for e in tracking_service.shipment_events(services().uow(), shipment_id)]
