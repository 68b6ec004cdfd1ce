"""Carriers and rate cards: upload, check, list, show, compare, activate, retire, fuel updates."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from flask import jsonify, request, send_file
from flask.typing import ResponseReturnValue
from marshmallow import fields

from carriers.compare import summarize
from carriers.template import template_workbook
from carriers.writers import write_xlsx
from tms.api.auth import current_key, protected
from tms.api.blueprint import api_blueprint
from tms.api.context import json_object, services
from tms.api.replay_io import ReplayRequestSchema, ReplaySchema, replay_document
from tms.api.schemas import (
    CarrierSchema,
    ChangeSchema,
    CheckResultSchema,
    CompareQuerySchema,
    ComparisonSchema,
    FuelSurchargeOutSchema,
    FuelSurchargeSchema,
    InForceQuerySchema,
    RateCardDetailSchema,
    RateCardListQuerySchema,
    RateCardSummarySchema,
    UploadQuerySchema,
    UploadResultSchema,
)
from tms.domain.access import Role
from tms.domain.rate_cards import card_in_force
from tms.domain.units import bp_from_percent, percent_from_bp
from tms.services import rate_cards as cards
from tms.services.uploads import ParsedUpload, UploadedFile, card_from_json, parse_files, upload_limits

URL_PREFIX = ""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

blp = api_blueprint("rate_cards", __name__, description="Carriers and their rate cards")


UPLOAD_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"type": "object", "description": "The rate card JSON format"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "A workbook (.xlsx) or .json"},
                    **{
                        table: {"type": "string", "format": "binary", "description": f"CSV table '{table}'"}
                        for table in ("card", "services", "zones", "transit", "prices", "surcharges", "tiers")
                    },
                },
            }
        },
    },
}


def _read_upload() -> ParsedUpload:
    if request.mimetype == "multipart/form-data":
        files = [
            UploadedFile(field=field, filename=storage.filename or field, data=storage.read())
            for field, storage in request.files.items(multi=False)
        ]
        settings = services().settings
        limit = settings.uploads_max_uncompressed_mb * 1024 * 1024
        return parse_files(files, max_uncompressed_bytes=limit, limits=upload_limits(settings))
    return card_from_json(json_object(loads=_exact_json), upload_limits(services().settings))


def _exact_json(raw: bytes) -> Any:
    """A card's JSON with its fractions as exact Decimals (a contract's 5.855 EUR must not become a float)."""
    return json.loads(raw, parse_float=Decimal)


@blp.route("/rate-cards", methods=["POST"])
@protected(blp, Role.MANAGER)
@blp.arguments(UploadQuerySchema, location="query", as_kwargs=True)
@blp.doc(requestBody=UPLOAD_BODY)
@blp.response(201, UploadResultSchema, description="Stored (200 with created=false if stored before)")
@blp.alt_response(200, schema=CheckResultSchema, description="dry_run: the card is valid, nothing stored")
@blp.alt_response(422, schema="Error", description="The card was refused; every problem is listed")
def upload_rate_card(activate: bool, dry_run: bool) -> Any:
    """Upload a rate card (workbook, CSV tables or JSON); all-or-nothing."""
    parsed = _read_upload()
    card = parsed.card
    if dry_run:
        return jsonify(
            CheckResultSchema().dump(
                {
                    "valid": True,
                    "carrier": card.carrier_code,
                    "valid_from": card.valid_from,
                    "services": [s.code for s in card.services],
                    "zones": [z.code for z in card.zones],
                    "price_cells": sum(len(g.brackets) for g in card.prices),
                }
            )
        )
    container = services()
    outcome = cards.store_rate_card(
        container.uow(),
        card,
        source_format=parsed.source_format,
        source_name=parsed.source_name,
        uploaded_by=current_key().name,
        activate=activate,
        now=container.now(),
    )
    return {"created": outcome.created, "rate_card": outcome.record}, 201 if outcome.created else 200


@blp.route("/rate-cards", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.arguments(RateCardListQuerySchema, location="query")
@blp.response(200, RateCardSummarySchema(many=True))
def list_rate_cards(query: dict[str, Any]) -> Any:
    """Every stored version, newest first per carrier."""
    return cards.list_rate_cards(services().uow(), carrier_code=query.get("carrier"), status=query.get("status"))


@blp.route("/rate-cards/in-force", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.arguments(InForceQuerySchema, location="query")
@blp.response(200, RateCardDetailSchema)
@blp.alt_response(404, schema="Error", description="No such carrier, or none of its cards is in force that day")
def rate_card_in_force(query: dict[str, Any]) -> Any:
    """The card that prices a carrier's parcels on a date (today by default)."""
    container = services()
    on: date = query.get("on") or container.now().date()
    return cards.rate_card_in_force(container.uow(), query["carrier"], on)


@blp.route("/rate-cards/template.xlsx", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, description="The template workbook, filled with an example card")
def download_template() -> ResponseReturnValue:
    """A workbook to fill in: every sheet and column the upload reads, with an example card."""
    from io import BytesIO

    return send_file(
        BytesIO(template_workbook()), mimetype=XLSX, as_attachment=True, download_name="rate-card-template.xlsx"
    )


@blp.route("/rate-cards/<int:card_id>", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, RateCardDetailSchema)
def show_rate_card(card_id: int) -> Any:
    """One stored version with its full content."""
    return cards.get_rate_card(services().uow(), card_id)


@blp.route("/rate-cards/<int:card_id>/workbook", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, description="The card as a workbook in the upload format")
def download_workbook(card_id: int) -> ResponseReturnValue:
    """Download a stored card as a workbook, to edit and upload as the next version."""
    from io import BytesIO

    record = cards.get_rate_card(services().uow(), card_id)
    data = write_xlsx(cards.load_card(record))
    name = f"{record.carrier_code}-v{record.version}.xlsx"
    return send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)


@blp.route("/rate-cards/<int:card_id>/compare", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.arguments(CompareQuerySchema, location="query")
@blp.response(200, ComparisonSchema)
def compare_rate_card(query: dict[str, Any], card_id: int) -> Any:
    """What this card changes: per service, zone and bracket, against the card in force or `against`."""
    container = services()
    result = cards.compare_rate_card(
        container.uow(), card_id, against_id=query.get("against"), today=container.now().date()
    )
    return {
        "card": result.card,
        "against": result.against,
        "summary": asdict(summarize(result.changes)),
        "changes": ChangeSchema(many=True).dump(result.changes),
    }


@blp.route("/rate-cards/<int:card_id>/replay", methods=["POST"])
@protected(blp, Role.MANAGER)
@blp.arguments(ReplayRequestSchema)
@blp.response(200, ReplaySchema)
def replay_rate_card(body: dict[str, Any], card_id: int) -> Any:
    """Price a period's real shipments on this card (and the cards `with`, each in place of its carrier's):
    totals and per lane against what they cost, what it could not carry and why, the tier reached.
    Nothing is written."""
    from tms.services.replay import replay_cards

    container = services()
    replay = replay_cards(
        container.uow(),
        card_id,
        since=body["since"],
        until=body["until"],
        with_cards=body["with_cards"],
        scope=body["scope"],
        box_types=container.plan_settings.box_types,
    )
    return replay_document(replay)


@blp.route("/rate-cards/<int:card_id>/activate", methods=["POST"])
@protected(blp, Role.MANAGER)
@blp.response(200, RateCardSummarySchema)
@blp.alt_response(409, schema="Error", description="The card is not a draft")
def activate_rate_card(card_id: int) -> Any:
    """Use a draft for pricing from its valid_from date."""
    container = services()
    return cards.activate_rate_card(container.uow(), card_id, container.now())


@blp.route("/rate-cards/<int:card_id>/retire", methods=["POST"])
@protected(blp, Role.MANAGER)
@blp.response(200, RateCardSummarySchema)
@blp.alt_response(409, schema="Error", description="The card is already retired")
def retire_rate_card(card_id: int) -> Any:
    """Stop using a card; it stays stored for history."""
    container = services()
    return cards.retire_rate_card(container.uow(), card_id, container.now())


@blp.route("/carriers", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, CarrierSchema(many=True))
def list_carriers() -> Any:
    """Carriers with at least one stored card."""
    return cards.list_carriers(services().uow())


class CarrierDetailSchema(CarrierSchema):
    in_force = fields.Nested(
        RateCardSummarySchema, allow_none=True, metadata={"description": "The card in force today, if any"}
    )
    cards = fields.List(fields.Nested(RateCardSummarySchema), metadata={"description": "Every version, newest first"})


@blp.route("/carriers/<string:code>", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, CarrierDetailSchema)
def show_carrier(code: str) -> Any:
    """A carrier, the card in force today and every version of its card."""
    context = services()
    carrier, records = cards.get_carrier(context.uow(), code)
    in_force = card_in_force(records, code, context.now().date())
    return {**carrier.__dict__, "in_force": in_force, "cards": records}


@blp.route("/carriers/<string:code>/fuel-surcharge", methods=["PUT"])
@protected(blp, Role.MANAGER)
@blp.arguments(FuelSurchargeSchema)
@blp.response(200, FuelSurchargeOutSchema)
def set_fuel_surcharge(body: dict[str, Any], code: str) -> Any:
    """Set the carrier's fuel percentage from a date (carriers publish it monthly)."""
    container = services()
    percent: Decimal = body["percent"]
    fuel = cards.set_fuel_surcharge(
        container.uow(), code, percent_bp=bp_from_percent(percent), valid_from=body["valid_from"], now=container.now()
    )
    return {
        "carrier": code,
        "percent": percent_from_bp(fuel.percent_bp),
        "valid_from": fuel.valid_from,
        "set_at": fuel.set_at,
    }


@blp.route("/carriers/<string:code>/fuel-surcharge", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, FuelSurchargeOutSchema(many=True))
def list_fuel_surcharges(code: str) -> Any:
    """Every fuel percentage set for the carrier, oldest first."""
    updates = cards.list_fuel_surcharges(services().uow(), code)
    return [
        {"carrier": code, "percent": percent_from_bp(u.percent_bp), "valid_from": u.valid_from, "set_at": u.set_at}
        for u in updates
    ]
