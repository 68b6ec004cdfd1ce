"""Marshmallow schemas at the edge: what the API reads and writes, and its OpenAPI document."""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from tms.api.reading import (
    CITY_MAX,
    CODE_MAX,
    LIST_MAX,
    MAX_PARCELS,
    ORDER_REF_MAX,
    POINTS_DEFAULT,
    TIER_MAX,
    BodySchema,
    Categories,
    Centimetres,
    Currency,
    Day,
    Degrees,
    Kilograms,
    Modes,
    Money,
    Objects,
    OrderTime,
    Part,
    Percent,
    PlaceSchema,
    PointCount,
    PromisedOrderSchema,
    PromiseSchema,
    QuerySchema,
    Text,
    coordinates_problem,
)
from tms.domain.access import CHANNEL_MAX, Role
from tms.domain.modes import DeliveryMode
from tms.domain.parcels import Parcel
from tms.domain.policy import Cart, Promotion, ShippingPolicy
from tms.domain.quotes import Destination, Promise, QuoteRequest
from tms.domain.rate_cards import CardStatus


def storable_text(text: str) -> None:
    """Text every store keeps: PostgreSQL refuses a NUL character and a lone surrogate (`"\\ud800"`)."""
    if "\x00" in text:
        raise ValidationError("must not contain a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("must be valid Unicode text") from None


class ProblemSchema(Schema):
    """One problem and where it is: a field of the body or query, or a cell of a workbook or CSV file."""

    message = fields.String(required=True)
    field = fields.String(metadata={"description": "A dotted path into the body or query: `parcels[0].weight_kg`"})
    sheet = fields.String(metadata={"description": "The workbook sheet or CSV table"})
    row = fields.Integer()
    column = fields.String()


class ErrorSchema(Schema):
    """Every error the API answers, whatever raised it (`tms.api.errors`); it replaces flask-smorest's
    default `Error` in the OpenAPI document."""

    status = fields.Integer(required=True, metadata={"description": "The HTTP status, repeated"})
    code = fields.String(required=True, metadata={"example": "invalid_input"})
    message = fields.String(required=True)
    errors = fields.List(
        fields.Nested(ProblemSchema),
        required=True,
        metadata={"description": "Every problem found, each with where it is (empty when not about the input)"},
    )


ERROR = "Error"  # the name under which ErrorSchema is a component of the OpenAPI document


def error_response(description: str) -> dict[str, Any]:
    """An OpenAPI response in the one error shape."""
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


class ErrorResponses(BasePlugin):
    """An apispec plugin that documents, on every operation, the errors that its kind of operation
    can answer: with a key, 503 when the database is unavailable; with a path parameter, 404 when it
    names nothing; with a body or a query, 422 naming the field. Those an operation documents itself
    (a 409, a more precise description) are kept."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any) -> None:
        for operation in (operations or {}).values():
            responses: dict[Any, Any] = operation.setdefault("responses", {})
            documented = {str(status) for status in responses}
            for status, description in self.common_errors(path or "", operation).items():
                if str(status) not in documented:
                    responses[str(status)] = error_response(description)

    @staticmethod
    def common_errors(path: str, operation: dict[str, Any]) -> dict[int, str]:
        errors = {}
        if "{" in path:
            errors[404] = "What the path names does not exist"
        if "requestBody" in operation or any(p.get("in") == "query" for p in operation.get("parameters", [])):
            errors[422] = "The request is not valid; every problem names its field"
        if operation.get("security"):
            errors[503] = "The database is unavailable; try again later"
        return errors


class CarrierSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class RateCardSummarySchema(Schema):
    id = fields.Integer(required=True)
    carrier = fields.String(required=True, attribute="carrier_code")
    version = fields.Integer(required=True)
    valid_from = fields.Date(required=True)
    currency = fields.String(required=True)
    status = fields.Enum(CardStatus, by_value=True, required=True)
    checksum = fields.String(required=True)
    source_format = fields.String(required=True)
    source_name = fields.String(required=True)
    uploaded_at = fields.DateTime(required=True)
    uploaded_by = fields.String(required=True)
    activated_at = fields.DateTime(allow_none=True)
    retired_at = fields.DateTime(allow_none=True)


class RateCardDetailSchema(RateCardSummarySchema):
    document = fields.Dict(required=True, metadata={"description": "The card in the JSON upload format"})


class UploadResultSchema(Schema):
    created = fields.Boolean(required=True, metadata={"description": "False when the same card was stored before"})
    rate_card = fields.Nested(RateCardSummarySchema, required=True)


class CheckResultSchema(Schema):
    valid = fields.Boolean(required=True)
    carrier = fields.String(required=True)
    valid_from = fields.Date(required=True)
    services = fields.List(fields.String(), required=True)
    zones = fields.List(fields.String(), required=True)
    price_cells = fields.Integer(required=True)


class UploadQuerySchema(QuerySchema):
    activate = fields.Boolean(
        load_default=False, metadata={"description": "Activate at once (else the card is stored as a draft)"}
    )
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Only check the card; store nothing"})


class RateCardListQuerySchema(QuerySchema):
    carrier = fields.String(validate=storable_text)
    status = fields.Enum(CardStatus, by_value=True)


def _names_something(value: str) -> None:
    if not value.strip():
        raise ValidationError("must name a carrier")


class InForceQuerySchema(QuerySchema):
    carrier = fields.String(required=True, validate=[storable_text, _names_something])
    on = fields.Date(metadata={"description": "Defaults to today"})


class CompareQuerySchema(QuerySchema):
    against = fields.Integer(
        metadata={"description": "Card id to compare with; defaults to the card in force when this one starts"}
    )


class ChangeSchema(Schema):
    section = fields.String(required=True, metadata={"description": "card, service, zone, transit, price, ..."})
    kind = fields.String(required=True, metadata={"description": "added, removed or changed"})
    what = fields.String(required=True)
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)
    service = fields.String(allow_none=True)
    zone = fields.String(allow_none=True)
    bracket = fields.Raw(allow_none=True, metadata={"description": "Upper bound in g, or 'extra_kg'"})
    surcharge = fields.String(allow_none=True)
    min_parcels = fields.Integer(allow_none=True)
    percent = fields.Float(allow_none=True, metadata={"description": "Price change in %"})


class ComparisonSchema(Schema):
    card = fields.Nested(RateCardSummarySchema, required=True)
    against = fields.Nested(RateCardSummarySchema, required=True)
    summary = fields.Dict(required=True)
    changes = fields.List(fields.Nested(ChangeSchema), required=True)


class FuelSurchargeSchema(BodySchema):
    percent = fields.Decimal(
        required=True,
        as_string=False,
        validate=validate.Range(min=0, max=100),
        # The document states the bounds as numbers: the Decimal field would write them as strings.
        metadata={"description": "Kept to the nearest basis point (0.01 %), a half up", "minimum": 0, "maximum": 100},
    )
    valid_from = fields.Date(required=True)


class FuelSurchargeOutSchema(Schema):
    carrier = fields.String(required=True)
    percent = fields.Float(required=True)
    valid_from = fields.Date(required=True)
    set_at = fields.DateTime(required=True)


class ApiKeyCreateSchema(BodySchema):
    name = Text(required=True, max_length=200)
    role = fields.Enum(Role, by_value=True, required=True)
    channel = Text(
        max_length=CHANNEL_MAX,
        metadata={
            "description": "The shop or sales channel whose orders the key registers and may cancel, e.g. shop-fr; "
            "without one, the key is a channel of its own (key-<id>)",
            "example": "shop-fr",
        },
    )


class ApiKeySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    display_prefix = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True)
    channel = fields.String(
        required=True, attribute="order_channel", metadata={"description": "The channel of the orders it registers"}
    )


class ApiKeyCreatedSchema(ApiKeySchema):
    key = fields.String(required=True, metadata={"description": "The secret, shown once only"})


# --- Quotes: the body the quote reads (by hand, in tms.api.quote_io, to the same rules) ---------


class DestinationSchema(PlaceSchema):
    city = Text(max_length=CITY_MAX, metadata={"example": "Lyon"})
    latitude = Degrees(90, metadata={"description": "The shopper's position (with longitude), for the nearest points"})
    longitude = Degrees(180)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _both_coordinates(self, data: dict[str, Any], original: dict[str, Any], **_: Any) -> None:
        problem = coordinates_problem(original) if isinstance(original, dict) else None
        if problem:
            raise ValidationError(problem[1], field_name=problem[0])


class ParcelSchema(BodySchema):
    weight_g = Kilograms(required=True, data_key="weight_kg")
    length_mm = Centimetres(required=True, data_key="length_cm")
    width_mm = Centimetres(required=True, data_key="width_cm")
    height_mm = Centimetres(required=True, data_key="height_cm")


class CartValueSchema(BodySchema):
    value_cents = Money(required=True, data_key="value", metadata={"description": "Kept to the nearest cent"})
    currency = Currency(load_default="EUR", allow_none=True, metadata={"example": "EUR"})


class CartSchema(CartValueSchema):
    categories = Categories()


class CustomerSchema(BodySchema):
    tier = Text(max_length=TIER_MAX, metadata={"example": "gold"})


class QuoteRequestSchema(PromisedOrderSchema):
    """Loads a quote body as the domain's `QuoteRequest`, exactly as `parse_quote_body` reads it (its
    `view` is the answer's, not the request's)."""

    order_ref = Text(required=True, max_length=ORDER_REF_MAX)
    ordered_at = OrderTime(required=True, metadata={"example": "2026-03-02T14:05:00+01:00"})
    origin = Text(max_length=CODE_MAX, metadata={"description": "Warehouse code; the default one if absent"})
    destination = Part(DestinationSchema, required=True)
    parcels = Objects(ParcelSchema, "parcels", MAX_PARCELS)
    cart = Part(CartSchema, required=True)
    customer = Part(CustomerSchema)
    promise = Part(PromiseSchema)
    modes = Modes(metadata={"description": "Only these delivery modes; every mode if absent"})
    points = PointCount(metadata={"description": "Pickup points offered with each pickup-point or locker option"})
    view = fields.Raw(  # read as the hand reader reads it: any value but the two is refused in the same words
        load_default="full",
        allow_none=True,
        validate=validate.OneOf(["full", "summary"], error="must be one of full, summary"),
        metadata={
            "type": "string",
            "description": "full: every option with its cost breakdown, and the exclusions (QuoteSchema); "
            "summary: only the cheapest option per mode and the recommended one (QuoteSummarySchema)",
        },
    )

    @post_load
    def _request(self, data: dict[str, Any], **_: Any) -> QuoteRequest:
        d, cart, promise = data["destination"], data["cart"], data["promise"] or {}
        return QuoteRequest(
            order_ref=data["order_ref"],
            ordered_at=data["ordered_at"],
            destination=Destination(d["country"], d["postcode"], d["city"] or "", d["latitude"], d["longitude"]),
            parcels=tuple(
                Parcel(p["weight_g"], p["length_mm"], p["width_mm"], p["height_mm"]) for p in data["parcels"]
            ),
            cart=Cart(
                cart["value_cents"],
                cart["categories"] or frozenset(),
                (data["customer"] or {}).get("tier"),
                cart["currency"] or "EUR",
            ),
            promise=Promise(promise.get("deliver_by"), promise.get("deliver_after")),
            origin=data["origin"],
            modes=data["modes"],
            points=data["points"] or POINTS_DEFAULT,
        )


class CostSchema(Schema):
    base = fields.Float()
    discount = fields.Float()
    fuel = fields.Float()
    surcharges = fields.Float()
    transport = fields.Float()
    packaging = fields.Float()
    handling = fields.Float()
    indirect = fields.Float()
    total = fields.Float()


class DeliverySchema(Schema):
    ships_on = fields.Date()
    earliest = fields.Date()
    latest = fields.Date()


class CardRefSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()


class ObservedSchema(Schema):
    """What the lane's delivered parcels say (carrier, service, zone; the pickup weekday's figures
    where it has enough, with the weekdays alike), next to the card's transit that dates `delivery`."""

    p50_days = fields.Integer(metadata={"description": "Business days from pickup within which half arrive"})
    p90_days = fields.Integer(metadata={"description": "... within which 90 % arrive"})
    deliveries = fields.Integer(metadata={"description": "Delivered parcels counted"})


_ON_TIME = (
    "The probability, from the lane's delivered parcels, that it arrives by the promise's deliver_by "
    "(without one: by delivery.latest); null when the lane has too few deliveries to say"
)
_OBSERVED = "Null when the lane has fewer deliveries than learning.min_deliveries: the card's transit stands"


class OfferedFeaturesSchema(Schema):
    """What the service promises beyond its mode and speed; the nightly plan keeps at least these."""

    signature = fields.Boolean()
    appointment = fields.Boolean()
    insurance_cover = fields.Float(
        allow_none=True, metadata={"description": "Declared value covered; null: no cover offered"}
    )


class OfferedPointSchema(Schema):
    """A pickup point offered with a pickup-point or locker option, nearest first."""

    id = fields.String()
    name = fields.String()
    address = fields.String()
    postcode = fields.String()
    city = fields.String()
    kind = fields.String(metadata={"description": "relay or locker"})
    distance_m = fields.Integer(metadata={"description": "From the shopper's position (sent, or the postcode's)"})
    available_from = fields.Date(metadata={"description": "The first day it opens from the earliest delivery date"})
    available_by = fields.Date(metadata={"description": "... from the latest delivery date: the date to promise"})


class OptionSchema(Schema):
    carrier = fields.String()
    carrier_name = fields.String()
    service = fields.String()
    service_name = fields.String()
    mode = fields.Enum(DeliveryMode, by_value=True)
    speed = fields.String()
    features = fields.Nested(OfferedFeaturesSchema)
    cost = fields.Nested(CostSchema)
    customer_price = fields.Float()
    currency = fields.String()
    delivery = fields.Nested(DeliverySchema)
    on_time_probability = fields.Float(allow_none=True, metadata={"description": _ON_TIME})
    observed = fields.Nested(ObservedSchema, allow_none=True, metadata={"description": _OBSERVED})
    rate_card = fields.Nested(CardRefSchema)
    points = fields.List(
        fields.Nested(OfferedPointSchema), metadata={"description": "Pickup-point and locker options only"}
    )


class CheapestSchema(Schema):
    home = fields.Nested(OptionSchema, allow_none=True)
    pickup_point = fields.Nested(OptionSchema, allow_none=True)
    locker = fields.Nested(OptionSchema, allow_none=True)


class FreeShippingSchema(Schema):
    applies = fields.Boolean()
    rule = fields.String(allow_none=True)
    threshold = fields.Float(allow_none=True)
    missing = fields.Float(allow_none=True)


class ExclusionSchema(Schema):
    carrier = fields.String()
    service = fields.String()
    mode = fields.Enum(DeliveryMode, by_value=True)
    reason = fields.String(
        metadata={
            "description": "zone_not_served, overweight, oversize, weight_not_priced, too_late, too_early, "
            "currency, no_pickup, no_directory (the carrier has no pickup-point directory in use), "
            "no_point_nearby (none of its points within the radius takes the parcels in time), "
            "carrier_full (the carrier's pickups are sold out until a day too late for the promise)"
        }
    )
    detail = fields.String()


class QuoteSchema(Schema):
    order_ref = fields.String()
    warehouse = fields.String()
    currency = fields.String()
    options = fields.List(fields.Nested(OptionSchema))
    cheapest = fields.Nested(CheapestSchema)
    recommended = fields.Nested(OptionSchema, allow_none=True)
    free_shipping = fields.Nested(FreeShippingSchema)
    excluded = fields.List(fields.Nested(ExclusionSchema))


class SummaryOptionSchema(Schema):
    carrier = fields.String()
    carrier_name = fields.String()
    service = fields.String()
    service_name = fields.String()
    mode = fields.String()
    speed = fields.String()
    features = fields.Nested(OfferedFeaturesSchema)
    customer_price = fields.Float()
    currency = fields.String()
    delivery = fields.Nested(DeliverySchema)
    on_time_probability = fields.Float(allow_none=True, metadata={"description": _ON_TIME})
    observed = fields.Nested(ObservedSchema, allow_none=True, metadata={"description": _OBSERVED})
    rate_card = fields.Nested(CardRefSchema)
    points = fields.List(
        fields.Nested(OfferedPointSchema), metadata={"description": "Pickup-point and locker options only"}
    )


class SummaryCheapestSchema(Schema):
    home = fields.Nested(SummaryOptionSchema, allow_none=True)
    pickup_point = fields.Nested(SummaryOptionSchema, allow_none=True)
    locker = fields.Nested(SummaryOptionSchema, allow_none=True)


class QuoteSummarySchema(Schema):
    """The answer to `"view": "summary"`: no list of every option, no breakdowns, no exclusions."""

    order_ref = fields.String()
    warehouse = fields.String()
    currency = fields.String()
    cheapest = fields.Nested(SummaryCheapestSchema)
    recommended = fields.Nested(SummaryOptionSchema, allow_none=True)
    free_shipping = fields.Nested(FreeShippingSchema)


# --- Free-shipping policy -------------------------------------------------------------------------


class PromotionInSchema(BodySchema):
    starts_on = Day(required=True)
    ends_on = Day(required=True, metadata={"description": "The last day of the promotion"})

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("ends before it starts", field_name="ends_on")

    @post_load
    def _promotion(self, data: dict[str, Any], **_: Any) -> Promotion:
        return Promotion(data["starts_on"], data["ends_on"])


class PolicyInSchema(BodySchema):
    """The whole policy (a PUT replaces it): a field left out or null takes its default."""

    currency = fields.String(allow_none=True, validate=validate.OneOf(["EUR"], error="must be EUR"))
    free_always = fields.Boolean(allow_none=True, metadata={"description": "Default false"})
    free_above_cents = Money(
        data_key="free_above", allow_none=True, metadata={"description": "Free from this cart value; none by default"}
    )
    free_tiers = fields.List(
        Text(required=True, max_length=TIER_MAX), allow_none=True, validate=validate.Length(max=LIST_MAX)
    )
    promotion = Part(PromotionInSchema, metadata={"description": "Free shipping from starts_on to ends_on"})
    free_categories = fields.List(
        Text(required=True, max_length=TIER_MAX), allow_none=True, validate=validate.Length(max=LIST_MAX)
    )
    flat_price_cents = Money(data_key="flat_price", allow_none=True, metadata={"description": "None by default"})
    markup_bp = Percent(data_key="markup_percent", allow_none=True, metadata={"description": "Default 0"})
    margin_rate_bp = Percent(
        data_key="margin_percent",
        allow_none=True,
        validate=validate.Range(min=1, max=10_000, error="must be between 0.01 and 100"),
        metadata={"description": "Default 30"},
    )

    @post_load
    def _policy(self, data: dict[str, Any], **_: Any) -> ShippingPolicy:
        given = {name: value for name, value in data.items() if value is not None}
        for name in ("free_tiers", "free_categories"):
            if name in given:
                given[name] = frozenset(given[name])
        return ShippingPolicy(**given)


class PromotionSchema(Schema):
    starts_on = fields.String(required=True, metadata={"format": "date"})
    ends_on = fields.String(required=True, metadata={"format": "date"})


class PolicySchema(Schema):
    """The policy in force, every field given."""

    currency = fields.String(required=True)
    free_always = fields.Boolean(required=True)
    free_above = fields.Float(required=True, allow_none=True)
    free_tiers = fields.List(fields.String(), required=True)
    promotion = fields.Nested(PromotionSchema, required=True, allow_none=True)
    free_categories = fields.List(fields.String(), required=True)
    flat_price = fields.Float(required=True, allow_none=True)
    markup_percent = fields.Float(required=True)
    margin_percent = fields.Float(required=True)


class BreakEvenQuerySchema(QuerySchema):
    cost = fields.Float(required=True, validate=validate.Range(min=0, max=1_000_000))
    margin_percent = fields.Float(validate=validate.Range(min=0.01, max=100))


class BreakEvenSchema(Schema):
    cost = fields.Float()
    margin_percent = fields.Float()
    break_even_cart_value = fields.Float()
