"""Marshmallow schemas at the edge: what the API reads and writes, and its OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

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
    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "Only check the card; store nothing"}
    )


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
    section = fields.String(required=True)
    kind = fields.String(required=True)
    service = fields.String(allow_none=True)
    zone = fields.String(allow_none=True)
    bracket = fields.Raw(allow_none=True)
    what = fields.String(allow_none=True)
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)
    change_percent = fields.Float(allow_none=True)


class ComparisonSchema(Schema):
    card = fields.Nested(RateCardSummarySchema, required=True)
    against = fields.Nested(RateCardSummarySchema, required=True)
    summary = fields.Dict(required=True)
    changes = fields.List(fields.Nested(ChangeSchema), required=True)


class FuelSurchargeSchema(Schema):
    percent = fields.Decimal(
        required=True, as_string=False, places=2, validate=validate.Range(min=0, max=100)
    )
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
