"""Paid orders awaiting shipment, the consolidation runs, and what-if plans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tms.api.auth import current_key, protected
from tms.api.blueprint import api_blueprint
from tms.api.context import services
from tms.api.reading import (
    CITY_MAX,
    CODE_MAX,
    ORDER_REF_MAX,
    BodySchema,
    Centimetres,
    Kilograms,
    Mode,
    Money,
    Objects,
    OrderTime,
    Part,
    PlaceSchema,
    PromisedOrderSchema,
    PromiseSchema,
    QuerySchema,
    Text,
)
from tms.api.schemas import CartValueSchema, storable_text
from tms.domain.access import Role
from tms.domain.features import Features, SpeedClass
from tms.domain.orders import Address, Item, Order, OrderStatus
from tms.domain.plans import Plan, shipment_document
from tms.domain.shipments import Shipment
from tms.services import orders as order_service
from tms.services.consolidation import get_run
from tms.services.consolidation import list_runs as list_runs_service
from tms.services.planning import what_if_plan as what_if_plan_service

URL_PREFIX = ""

blp = api_blueprint("orders", __name__, description="Orders awaiting shipment, consolidation runs and plans")


LANGUAGES = ("fr", "en")


class Language(Text):
    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is not None and text not in LANGUAGES:
            raise ValidationError("must be one of: " + ", ".join(LANGUAGES))
        return text


class EmailAddress(Text):
    """An address a message can be sent to: one @, a name before it, a domain with a dot after it, no
    spaces (what SMTP needs; whether it exists only sending tells)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        local, at, domain = text.rpartition("@")
        if not at or not local or "." not in domain.strip(".") or any(c.isspace() for c in text) or "@" in domain:
            raise ValidationError("must be an e-mail address, like name@example.fr")
        return text


class ItemSchema(BodySchema):
    sku = Text(required=True, max_length=100)
    weight_g = Kilograms(required=True, data_key="weight_kg")
    length_mm = Centimetres(required=True, data_key="length_cm")
    width_mm = Centimetres(required=True, data_key="width_cm")
    height_mm = Centimetres(required=True, data_key="height_cm")
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))


class AddressSchema(PlaceSchema):
    name = Text(required=True, max_length=200)
    line1 = Text(required=True, max_length=300)
    city = Text(required=True, max_length=CITY_MAX)


class OrderCartSchema(CartValueSchema):
    shipping_paid_cents = Money(
        data_key="shipping_paid",
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=100_000_00, error="must be from 0 to 100000"),
        metadata={"description": "What the shopper paid for shipping (margins and the free-shipping simulator)"},
    )

    @validates_schema(skip_on_field_errors=False)
    def _in_euros(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("currency") not in (None, "EUR"):
            raise ValidationError("must be EUR: an order's value is kept in euros", field_name="currency")


class Flag(fields.Boolean):
    """A JSON true or false, nothing else (1 and "yes" are refused); null as absent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(load_default=None, allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if type(value) is not bool:
            raise ValidationError("must be true or false")
        return value


class FeaturesInSchema(BodySchema):
    """What the order requires of the service that carries it, beyond the features of the service it names."""

    speed = fields.Enum(
        SpeedClass, by_value=True, load_default=None, allow_none=True, metadata={"description": "At least this fast"}
    )
    signature = Flag()
    appointment = Flag()
    insurance_cents = Money(
        data_key="insurance_cover",
        load_default=None,
        allow_none=True,
        metadata={"description": "Declared value the service must cover, in euros"},
    )


class FeaturesOutSchema(Schema):
    speed = fields.String(allow_none=True)
    signature = fields.Boolean()
    appointment = fields.Boolean()
    insurance_cover = fields.Float(allow_none=True)


class OrderInSchema(PromisedOrderSchema):
    order_ref = Text(required=True, max_length=ORDER_REF_MAX)
    ordered_at = OrderTime(required=True)
    origin = Text(max_length=CODE_MAX)
    destination = Part(AddressSchema, required=True)
    mode = Mode(required=True)
    carrier = Text(max_length=CODE_MAX)
    service = Text(max_length=CODE_MAX)
    pickup_point_id = Text(max_length=100)
    email = EmailAddress(
        max_length=254,
        metadata={"description": "The shopper's: told when the order ships, is late, waits at its point, is delivered"},
    )
    language = Language(
        max_length=2,
        metadata={"description": "Of the shopper's messages and tracking page (default: the shop's, fr)"},
    )
    promise = Part(PromiseSchema)
    items = Objects(ItemSchema, "items", 200)
    cart = Part(OrderCartSchema, required=True)
    features = Part(
        FeaturesInSchema,
        metadata={
            "description": "Features the shopper chose, kept by the plan with those of the named service "
            "(signature, appointment, insurance cover, speed class)"
        },
    )


class ItemOutSchema(Schema):
    sku = fields.String()
    weight_g = fields.Integer()
    length_mm = fields.Integer()
    width_mm = fields.Integer()
    height_mm = fields.Integer()
    quantity = fields.Integer()


class RequestedServiceSchema(Schema):
    carrier = fields.String(allow_none=True)
    service = fields.String(allow_none=True)
    ships_on = fields.Date(
        allow_none=True,
        metadata={"description": "The pickup day the checkout sold, with the carrier's room that day"},
    )


class PlannedServiceSchema(Schema):
    shipment_id = fields.Integer()
    carrier = fields.String()
    service = fields.String()
    ships_on = fields.Date()
    status = fields.String()


class OrderOutSchema(Schema):
    order_ref = fields.String()
    status = fields.Enum(OrderStatus, by_value=True)
    warehouse = fields.String()
    ordered_at = fields.DateTime()
    mode = fields.String()
    carrier = fields.String(allow_none=True)
    service = fields.String(allow_none=True)
    pickup_point_id = fields.String(allow_none=True)
    deliver_by = fields.Date(allow_none=True)
    deliver_after = fields.Date(allow_none=True)
    consignee_key = fields.String()
    weight_g = fields.Integer()
    items = fields.List(fields.Nested(ItemOutSchema))
    run_id = fields.Integer(allow_none=True)
    attention = fields.String(
        allow_none=True, metadata={"description": "With status needs_attention: why no run can plan it"}
    )
    requested = fields.Nested(RequestedServiceSchema, metadata={"description": "What the checkout asked for"})
    planned = fields.Nested(
        PlannedServiceSchema, allow_none=True, metadata={"description": "The shipment a run put the order in"}
    )
    channel = fields.String(allow_none=True, metadata={"description": "Of the key that registered it"})
    email = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    shipping_paid = fields.Float(
        allow_none=True, attribute="shipping_paid_eur", metadata={"description": "EUR the shopper paid for shipping"}
    )
    features = fields.Nested(
        FeaturesOutSchema,
        allow_none=True,
        metadata={"description": "What the plan keeps of the shopper's choice (null: recorded before features)"},
    )


class OrderListQuerySchema(QuerySchema):
    status = fields.Enum(OrderStatus, by_value=True)
    consignee_key = fields.String(validate=storable_text)
    carrier = Text(max_length=CODE_MAX, metadata={"description": "Requested at checkout or planned"})
    since = fields.Date(metadata={"description": "Ordered on or after this day (the shop's time zone)"})
    until = fields.Date(metadata={"description": "Ordered on or before this day"})
    postcode = Text(
        max_length=20, metadata={"description": "The start of the destination's postcode, e.g. 75 or 69003"}
    )
    q = Text(max_length=200, metadata={"description": "In the order reference or the shopper's name"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class PlanRequestSchema(BodySchema):
    shipping_date = fields.Date(required=True)
    orders = fields.List(fields.Nested(OrderInSchema), required=True, validate=validate.Length(min=1, max=5000))

    @validates_schema
    def _distinct(self, data: dict[str, Any], **_: Any) -> None:
        if not 2000 <= data["shipping_date"].year <= 2100:
            raise ValidationError("must be between the years 2000 and 2100", field_name="shipping_date")
        refs = [o["order_ref"] for o in data["orders"]]
        if len(refs) != len(set(refs)):
            raise ValidationError("each order_ref may appear once", field_name="orders")


def to_order(data: dict[str, Any], default_warehouse: str) -> Order:
    """The order as `OrderInSchema` loaded it: exact units already, the postcode normalised."""
    d = data["destination"]
    promise = data["promise"] or {}
    return Order(
        order_ref=data["order_ref"],
        warehouse=data["origin"] or default_warehouse,
        ordered_at=data["ordered_at"],
        address=Address(d["name"], d["line1"], d["postcode"], d["city"], d["country"]),
        mode=data["mode"],
        items=tuple(
            Item(i["sku"], i["weight_g"], i["length_mm"], i["width_mm"], i["height_mm"], i["quantity"])
            for i in data["items"]
        ),
        cart_value_cents=data["cart"]["value_cents"],
        deliver_by=promise.get("deliver_by"),
        deliver_after=promise.get("deliver_after"),
        carrier=data["carrier"],
        service=data["service"],
        pickup_point_id=data["pickup_point_id"],
        features=None if data["features"] is None else _features(data["features"]),
        email=data["email"],
        language=data["language"],
        shipping_paid_cents=data["cart"].get("shipping_paid_cents"),
    )


def _features(data: dict[str, Any]) -> Features:
    return Features(
        data["speed"],
        bool(data["signature"]),
        bool(data["appointment"]),
        data["insurance_cents"] or None,
    )


def features_json(features: Features | None) -> dict[str, Any] | None:
    if features is None:
        return None
    return {
        "speed": None if features.speed is None else features.speed.value,
        "signature": features.signature,
        "appointment": features.appointment,
        "insurance_cover": None if features.insurance_cents is None else features.insurance_cents / 100,
    }


def order_json(order: Order, shipments: dict[int, Shipment] | None = None) -> dict[str, Any]:
    """The order as answered: what the checkout requested, and the shipment it was planned in."""
    shipment = (shipments or {}).get(order.shipment_id) if order.shipment_id is not None else None
    return {
        **order.__dict__,
        "ordered_at": order.ordered_at.astimezone(UTC),
        "consignee_key": order.consignee_key,
        "weight_g": order.weight_g,
        "requested": {"carrier": order.carrier, "service": order.service, "ships_on": order.ships_on},
        "features": features_json(order.features),
        "shipping_paid_eur": None if order.shipping_paid_cents is None else order.shipping_paid_cents / 100,
        "planned": None
        if shipment is None
        else {
            "shipment_id": shipment.id,
            "carrier": shipment.carrier,
            "service": shipment.service,
            "ships_on": shipment.ships_on,
            "status": shipment.status.value,
        },
    }


def _with_shipments(orders: list[Order]) -> list[dict[str, Any]]:
    known = order_service.planned_shipments(services().uow(), orders)
    return [order_json(o, known) for o in orders]


@blp.route("/orders", methods=["POST"])
@protected(blp, Role.CHECKOUT)
@blp.arguments(OrderInSchema)
@blp.response(201, OrderOutSchema, description="Registered (200 if the same order was registered before)")
@blp.alt_response(409, schema="Error", description="The order_ref is taken by an order with other content")
def register_order(body: dict[str, Any]) -> Any:
    """Register a paid order as pending; posting the same order again changes nothing."""
    context = services()
    order = replace(to_order(body, context.warehouses[0].warehouse.code), channel=current_key().order_channel)
    stored, created = order_service.register_order(
        context.uow(),
        order,
        known_warehouses={w.warehouse.code for w in context.warehouses},
        now=context.now(),
        box_types=context.plan_settings.box_types,
        book=context.quote_book.current(),
        bookings=context.bookings,
    )
    return order_json(stored), 201 if created else 200


@blp.route("/orders", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.arguments(OrderListQuerySchema, location="query")
@blp.response(200, OrderOutSchema(many=True))
def list_orders(query: dict[str, Any]) -> Any:
    """Orders, oldest first, filtered by status, consignee, carrier, order day, postcode or a text."""
    context = services()
    return _with_shipments(order_service.list_orders(context.uow(), **query, timezone=context.settings.timezone))


@blp.route("/orders/<string:order_ref>", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, OrderOutSchema)
def show_order(order_ref: str) -> Any:
    return _with_shipments([order_service.get_order(services().uow(), order_ref)])[0]


@blp.route("/orders/<string:order_ref>/cancel", methods=["POST"])
@protected(blp, Role.CHECKOUT)
@blp.response(200, OrderOutSchema)
@blp.alt_response(404, schema="Error", description="No such order, or (for a checkout key) not one of its channel's")
@blp.alt_response(409, schema="Error", description="The order is no longer pending")
def cancel_order(order_ref: str) -> Any:
    """Cancel a pending order (a planned or dispatched one cannot be). A checkout key cancels only the
    orders registered by keys of its channel; a manager, any order."""
    return order_json(order_service.cancel_order(services().uow(), order_ref, by=current_key()))


@blp.route("/orders/<string:order_ref>/dispatch", methods=["POST"])
@protected(blp, Role.MANAGER)
@blp.response(200, OrderOutSchema)
@blp.alt_response(409, schema="Error", description="The order is not planned")
def dispatch_order(order_ref: str) -> Any:
    """Record that a planned order's parcels were handed to the carrier: its whole shipment goes, every
    order in it (`POST /shipments/{id}/dispatch` records the tracking numbers)."""
    context = services()
    return _with_shipments(
        [order_service.dispatch_order(context.uow(), order_ref, now=context.now(), watch=context.promise_watch)]
    )[0]


@blp.route("/consolidation-runs", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, description="Runs, newest first")
def list_runs() -> Any:
    """Every run: orders in, shipments out, boxes, carriers, cost, baseline, savings, bound, gap, time."""
    return _jsonable(list_runs_service(services().uow()))


@blp.route("/consolidation-runs/<int:run_id>", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, description="One run with its shipments")
def show_run(run_id: int) -> Any:
    return _jsonable(get_run(services().uow(), run_id))


@blp.route("/plans", methods=["POST"])
@protected(blp, Role.MANAGER)
@blp.arguments(PlanRequestSchema)
@blp.response(200, description="The plan these orders would get; nothing is written")
def what_if_plan(body: dict[str, Any]) -> Any:
    """Solve a what-if: plan the given orders for a shipping date without writing anything."""
    context = services()
    default = context.warehouses[0].warehouse.code
    book = context.fresh_book()
    orders = [order_service.with_chosen_features(book, to_order(o, default)) for o in body["orders"]]
    plan = what_if_plan_service(context.uow(), book, orders, body["shipping_date"], context.plan_settings)
    return plan_json(plan)


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        **_jsonable(plan.summary()),
        "shipping_date": plan.shipping_date.isoformat(),
        "shipments": [shipment_document(s) for s in plan.shipments],
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
