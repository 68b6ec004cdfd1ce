"""Marshmallow schemas at the edge: what the API reads and writes, and its OpenAPI document."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tms.domain.access import Role
from tms.domain.rate_cards import CardStatus


class ProblemSchema(Schema):
    message = fields.String(required=True)
    field = fields.String()
    sheet = fields.String()
    row = fields.Integer()
    column = fields.String()


class ErrorSchema(Schema):
    status = fields.Integer(required=True)
    code = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.List(fields.Nested(ProblemSchema), required=True)


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


class UploadQuerySchema(Schema):
    activate = fields.Boolean(
        load_default=False, metadata={"description": "Activate at once (else the card is stored as a draft)"}
    )
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Only check the card; store nothing"})


class RateCardListQuerySchema(Schema):
    carrier = fields.String()
    status = fields.Enum(CardStatus, by_value=True)


class InForceQuerySchema(Schema):
    carrier = fields.String(required=True)
    on = fields.Date(metadata={"description": "Defaults to today"})


class CompareQuerySchema(Schema):
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


class FuelSurchargeSchema(Schema):
    percent = fields.Decimal(required=True, as_string=False, places=2, validate=validate.Range(min=0, max=100))
    valid_from = fields.Date(required=True)


class FuelSurchargeOutSchema(Schema):
    carrier = fields.String(required=True)
    percent = fields.Float(required=True)
    valid_from = fields.Date(required=True)
    set_at = fields.DateTime(required=True)


class ApiKeyCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.Enum(Role, by_value=True, required=True)


class ApiKeySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    display_prefix = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True)


class ApiKeyCreatedSchema(ApiKeySchema):
    key = fields.String(required=True, metadata={"description": "The secret, shown once only"})


# --- Quotes (documentation of the shapes read and written by tms.api.quote_io) ---------------------


class DestinationSchema(Schema):
    country = fields.String(required=True, metadata={"example": "FR"})
    postcode = fields.String(required=True, metadata={"example": "69003"})
    city = fields.String(metadata={"example": "Lyon"})


class ParcelSchema(Schema):
    weight_kg = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    length_cm = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    width_cm = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    height_cm = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))


class CartSchema(Schema):
    value = fields.Float(required=True, validate=validate.Range(min=0))
    currency = fields.String(required=True, metadata={"example": "EUR"})
    categories = fields.List(fields.String())


class CustomerSchema(Schema):
    tier = fields.String(allow_none=True, metadata={"example": "gold"})


class PromiseSchema(Schema):
    deliver_by = fields.Date(allow_none=True)
    deliver_after = fields.Date(allow_none=True)


class QuoteRequestSchema(Schema):
    order_ref = fields.String(required=True)
    ordered_at = fields.AwareDateTime(required=True, metadata={"example": "2026-03-02T14:05:00+01:00"})
    origin = fields.String(allow_none=True, metadata={"description": "Warehouse code; the default one if absent"})
    destination = fields.Nested(DestinationSchema, required=True)
    parcels = fields.List(fields.Nested(ParcelSchema), required=True, validate=validate.Length(min=1, max=50))
    cart = fields.Nested(CartSchema, required=True)
    customer = fields.Nested(CustomerSchema)
    promise = fields.Nested(PromiseSchema)
    modes = fields.List(fields.String(validate=validate.OneOf(["home", "pickup_point", "locker"])))
    view = fields.String(
        load_default="full",
        validate=validate.OneOf(["full", "summary"]),
        metadata={
            "description": "full: every option with its cost breakdown, and the exclusions (QuoteSchema); "
            "summary: only the cheapest option per mode and the recommended one (QuoteSummarySchema)"
        },
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


class OptionSchema(Schema):
    carrier = fields.String()
    carrier_name = fields.String()
    service = fields.String()
    service_name = fields.String()
    mode = fields.String()
    speed = fields.String()
    cost = fields.Nested(CostSchema)
    customer_price = fields.Float()
    currency = fields.String()
    delivery = fields.Nested(DeliverySchema)
    rate_card = fields.Nested(CardRefSchema)


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
    mode = fields.String()
    reason = fields.String(
        metadata={
            "description": "zone_not_served, overweight, oversize, weight_not_priced, too_late, too_early, "
            "currency, no_pickup"
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
    customer_price = fields.Float()
    currency = fields.String()
    delivery = fields.Nested(DeliverySchema)
    rate_card = fields.Nested(CardRefSchema)


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


class PromotionSchema(Schema):
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("ends before it starts", field_name="ends_on")


class PolicySchema(Schema):
    currency = fields.String(load_default="EUR", validate=validate.OneOf(["EUR"]))
    free_always = fields.Boolean(load_default=False)
    free_above = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0))
    free_tiers = fields.List(fields.String(), load_default=list)
    promotion = fields.Nested(PromotionSchema, allow_none=True, load_default=None)
    free_categories = fields.List(fields.String(), load_default=list)
    flat_price = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0))
    markup_percent = fields.Float(load_default=0, validate=validate.Range(min=0, max=1000))
    margin_percent = fields.Float(load_default=30, validate=validate.Range(min=0.01, max=100))


class BreakEvenQuerySchema(Schema):
    cost = fields.Float(required=True, validate=validate.Range(min=0, max=1_000_000))
    margin_percent = fields.Float(validate=validate.Range(min=0.01, max=100))


class BreakEvenSchema(Schema):
    cost = fields.Float()
    margin_percent = fields.Float()
    break_even_cart_value = fields.Float()
