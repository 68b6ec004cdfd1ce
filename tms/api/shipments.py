"""Shipments as records: list and show what the runs booked; dispatch one with its tracking numbers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tms.api.auth import protected
from tms.api.blueprint import api_blueprint
from tms.api.context import services
from tms.api.reading import CODE_MAX, BodySchema, QuerySchema, Text
from tms.domain.access import Role
from tms.domain.shipments import TRACKING_NUMBER_MAX, PromiseStatus, Shipment, ShipmentStatus
from tms.services import shipments as shipment_service

URL_PREFIX = "/shipments"

blp = api_blueprint("shipments", __name__, description="Shipments booked by the planning runs, and their dispatch")


class ShipmentQuerySchema(QuerySchema):
    run_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    ships_on = fields.Date()
    carrier = Text(max_length=CODE_MAX)
    status = fields.Enum(ShipmentStatus, by_value=True)
    promise_status = fields.Enum(
        PromiseStatus, by_value=True, metadata={"description": "e.g. at_risk or late: what the promise watch found"}
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class DispatchSchema(BodySchema):
    tracking_numbers = fields.List(
        Text(required=True, max_length=TRACKING_NUMBER_MAX),
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "One per parcel, in the order of the shipment's boxes"},
    )


class ShipmentOutSchema(Schema):
    id = fields.Integer()
    run_id = fields.Integer()
    ships_on = fields.Date()
    carrier = fields.String()
    service = fields.String()
    mode = fields.String()
    parcels = fields.Integer()
    weight_g = fields.Integer()
    cost = fields.Float(metadata={"description": "EUR: transport, boxes, handling and indirect costs"})
    status = fields.Enum(ShipmentStatus, by_value=True)
    orders = fields.List(fields.String())
    tracking_numbers = fields.List(fields.String())
    dispatched_at = fields.DateTime(allow_none=True)
    rate_card_id = fields.Integer()
    detail = fields.Dict(metadata={"description": "Boxes, delivery window and cost breakdown as planned"})
    tracking_url = fields.String(metadata={"description": "The shopper's tracking page (no key needed)"})
    promised_by = fields.Date(allow_none=True, metadata={"description": "The date the shopper was shown"})
    predicted_on = fields.Date(
        allow_none=True, metadata={"description": "The promise watch's latest day of delivery, from the last event"}
    )
    promise_status = fields.Enum(PromiseStatus, by_value=True, allow_none=True)
    delivered_on = fields.Date(allow_none=True)


class OnTimeQuerySchema(QuerySchema):
    since = fields.Date(required=True, metadata={"description": "First delivery day counted"})
    until = fields.Date(required=True, metadata={"description": "Last delivery day counted"})
    by = fields.String(
        load_default="carrier",
        validate=validate.OneOf(["carrier", "lane"], error="must be carrier or lane"),
        metadata={"description": "carrier, or lane: carrier, service and destination department"},
    )

    @validates_schema
    def _a_period(self, data: dict[str, Any], **_: Any) -> None:
        if data["until"] < data["since"]:
            raise ValidationError("must not be before since", field_name="until")
        if (data["until"] - data["since"]).days > 400:
            raise ValidationError("a period is at most 400 days", field_name="until")


class OnTimeRowSchema(Schema):
    carrier = fields.String()
    service = fields.String(allow_none=True)
    destination = fields.String(allow_none=True, metadata={"description": "Country and department, e.g. FR-75"})
    delivered = fields.Integer(metadata={"description": "Shipments delivered with a promised date"})
    on_time = fields.Integer()
    on_time_rate = fields.Float(metadata={"description": "on_time / delivered, 0..1"})
    late_days_mean = fields.Float(
        allow_none=True, metadata={"description": "Days past the promise, over the late ones"}
    )


def shipment_json(shipment: Shipment) -> dict[str, Any]:
    return {
        **shipment.__dict__,
        "cost": shipment.cost_cents / 100,
        "tracking_url": services().promise_watch.tracking_url(shipment),
    }


@blp.route("/on-time", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.arguments(OnTimeQuerySchema, location="query")
@blp.response(200, OnTimeRowSchema(many=True))
def on_time(query: dict[str, Any]) -> Any:
    """On-time rate of the shipments delivered in a period, per carrier or per lane, lowest rate first."""
    rates = shipment_service.on_time_rates(services().uow(), since=query["since"], until=query["until"], by=query["by"])
    return [rate.__dict__ for rate in rates]


@blp.route("", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.arguments(ShipmentQuerySchema, location="query")
@blp.response(200, ShipmentOutSchema(many=True))
def list_shipments(query: dict[str, Any]) -> Any:
    """Shipments, oldest first, filtered by run, ship date, carrier, status or promise status."""
    return [shipment_json(s) for s in shipment_service.list_shipments(services().uow(), **query)]


@blp.route("/<int:shipment_id>", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, ShipmentOutSchema)
def show_shipment(shipment_id: int) -> Any:
    return shipment_json(shipment_service.get_shipment(services().uow(), shipment_id))


@blp.route("/<int:shipment_id>/dispatch", methods=["POST"])
@protected(blp, Role.MANAGER)
@blp.arguments(DispatchSchema)
@blp.response(200, ShipmentOutSchema)
@blp.alt_response(409, schema="Error", description="The shipment is not planned (dispatched already)")
def dispatch_shipment(body: dict[str, Any], shipment_id: int) -> Any:
    """The shipment was handed to the carrier: record a tracking number per parcel; all its orders are
    dispatched with it."""
    context = services()
    moved = shipment_service.dispatch_shipment(
        context.uow(), shipment_id, body["tracking_numbers"], now=context.now(), watch=context.promise_watch
    )
    return shipment_json(moved)
