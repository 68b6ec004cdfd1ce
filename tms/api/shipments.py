"""Shipments as records: list and show what the runs booked; dispatch one with its tracking numbers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from tms.api.auth import protected
from tms.api.blueprint import api_blueprint
from tms.api.context import services
from tms.api.reading import CODE_MAX, BodySchema, QuerySchema, Text
from tms.domain.access import Role
from tms.domain.shipments import TRACKING_NUMBER_MAX, Shipment, ShipmentStatus
from tms.services import shipments as shipment_service

URL_PREFIX = "/shipments"

blp = api_blueprint("shipments", __name__, description="Shipments booked by the planning runs, and their dispatch")


class ShipmentQuerySchema(QuerySchema):
    run_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    ships_on = fields.Date()
    carrier = Text(max_length=CODE_MAX)
    status = fields.Enum(ShipmentStatus, by_value=True)
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


def shipment_json(shipment: Shipment) -> dict[str, Any]:
    return {**shipment.__dict__, "cost": shipment.cost_cents / 100}


@blp.route("", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.arguments(ShipmentQuerySchema, location="query")
@blp.response(200, ShipmentOutSchema(many=True))
def list_shipments(query: dict[str, Any]) -> Any:
    """Shipments, oldest first, filtered by run, ship date, carrier or status."""
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
    moved = shipment_service.dispatch_shipment(context.uow(), shipment_id, body["tracking_numbers"], now=context.now())
    return shipment_json(moved)
