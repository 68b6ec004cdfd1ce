"""The replay's request and answer at the edge: marshmallow schemas, and the answer as a document."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from tms.api.reading import BodySchema, Day
from tms.domain.rate_cards import CardStatus
from tms.domain.units import percent_from_bp
from tms.services.replay import MAX_CARDS, Replay, Scope


class ReplayRequestSchema(BodySchema):
    since = Day(required=True, metadata={"description": "The period's first ship day", "example": "2026-09-01"})
    until = Day(required=True, metadata={"description": "Its last ship day, included", "example": "2026-11-30"})
    with_cards = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1)),
        data_key="with",
        load_default=list,
        validate=validate.Length(max=MAX_CARDS - 1),
        metadata={"description": "More card ids, one per other carrier: each replaces its carrier's card too"},
    )
    scope = fields.Enum(
        Scope,
        by_value=True,
        load_default=Scope.CARRIERS,
        metadata={
            "description": "carriers: only the candidates' carriers' shipments are priced again (the others are "
            "kept as they cost); all: every shipment, those of other carriers on this card"
        },
    )


class ReplayCardSchema(Schema):
    id = fields.Integer(required=True)
    carrier = fields.String(required=True, attribute="carrier_code")
    version = fields.Integer(required=True)
    valid_from = fields.Date(required=True)
    status = fields.Enum(CardStatus, by_value=True, required=True)


class ReplayTotalsSchema(Schema):
    shipments = fields.Integer(required=True, metadata={"description": "Shipped in the period"})
    replayed = fields.Integer(required=True, metadata={"description": "Priced again (the scope's)"})
    carried = fields.Integer(required=True, metadata={"description": "Of those, the ones the candidates carry"})
    actual = fields.Float(required=True, metadata={"description": "What the carried ones' postage cost, EUR"})
    candidate = fields.Float(required=True, metadata={"description": "What it costs on the candidates, EUR"})
    difference = fields.Float(required=True, metadata={"description": "candidate - actual, EUR (negative: saves)"})
    difference_percent = fields.Float(required=True, allow_none=True)
    not_carried = fields.Integer(required=True)
    not_carried_actual = fields.Float(required=True, metadata={"description": "What those cost, EUR"})
    kept = fields.Integer(required=True, metadata={"description": "Other carriers' shipments, not priced again"})
    kept_actual = fields.Float(required=True)


class ReplayLaneSchema(Schema):
    carrier = fields.String(required=True, metadata={"description": "Shipped with"})
    service = fields.String(required=True)
    candidate_carrier = fields.String(required=True)
    candidate_service = fields.String(required=True)
    zone = fields.String(required=True, metadata={"description": "The candidate card's zone"})
    zone_name = fields.String(required=True)
    shipments = fields.Integer(required=True)
    parcels = fields.Integer(required=True)
    actual = fields.Float(required=True)
    candidate = fields.Float(required=True)
    difference = fields.Float(required=True)
    difference_percent = fields.Float(required=True, allow_none=True)


class NotCarriedSchema(Schema):
    shipment_id = fields.Integer(required=True)
    ships_on = fields.Date(required=True)
    carrier = fields.String(required=True)
    service = fields.String(required=True)
    orders = fields.List(fields.String(), required=True)
    country = fields.String(required=True)
    postcode = fields.String(required=True)
    candidate_carrier = fields.String(required=True)
    reason = fields.String(
        required=True,
        metadata={
            "description": "zone_not_served, overweight, oversize, weight_not_priced, service_missing, "
            "pickup_point_of_another_carrier or not_reconstructed"
        },
    )
    detail = fields.String(required=True)
    actual = fields.Float(required=True)


class TierReachedSchema(Schema):
    carrier = fields.String(required=True)
    card_id = fields.Integer(required=True)
    month = fields.String(required=True, metadata={"example": "2026-09"})
    parcels = fields.Integer(required=True, metadata={"description": "The month's parcels on the card"})
    level = fields.Integer(required=True, metadata={"description": "Thresholds reached (0: none)"})
    discount_percent = fields.Float(required=True)
    next_min_parcels = fields.Integer(required=True, allow_none=True)
    next_discount_percent = fields.Float(required=True, allow_none=True)


class ReplaySchema(Schema):
    since = fields.Date(required=True)
    until = fields.Date(required=True)
    scope = fields.Enum(Scope, by_value=True, required=True)
    cards = fields.List(fields.Nested(ReplayCardSchema), required=True)
    totals = fields.Nested(ReplayTotalsSchema, required=True)
    lanes = fields.List(fields.Nested(ReplayLaneSchema), required=True, metadata={"description": "Largest first"})
    not_carried = fields.List(fields.Nested(NotCarriedSchema), required=True)
    tiers = fields.List(fields.Nested(TierReachedSchema), required=True)


def _eur(cents: int) -> float:
    return cents / 100


def replay_document(replay: Replay) -> dict[str, Any]:
    """The replay as ReplaySchema dumps it: money in EUR, discounts in percent."""
    return {
        "since": replay.since,
        "until": replay.until,
        "scope": replay.scope,
        "cards": replay.cards,
        "totals": {
            "shipments": replay.shipments,
            "replayed": replay.replayed,
            "carried": replay.carried,
            "actual": _eur(replay.actual_cents),
            "candidate": _eur(replay.candidate_cents),
            "difference": _eur(replay.difference_cents),
            "difference_percent": replay.difference_percent,
            "not_carried": len(replay.not_carried),
            "not_carried_actual": _eur(replay.not_carried_cents),
            "kept": replay.kept,
            "kept_actual": _eur(replay.kept_cents),
        },
        "lanes": [
            {
                **{k: getattr(lane, k) for k in ("carrier", "service", "candidate_carrier", "candidate_service")},
                **{k: getattr(lane, k) for k in ("zone", "zone_name", "shipments", "parcels")},
                "actual": _eur(lane.actual_cents),
                "candidate": _eur(lane.candidate_cents),
                "difference": _eur(lane.difference_cents),
                "difference_percent": lane.difference_percent,
            }
            for lane in replay.lanes
        ],
        "not_carried": [{**n.__dict__, "actual": _eur(n.actual_cents)} for n in replay.not_carried],
        "tiers": [
            {
                "carrier": t.carrier,
                "card_id": t.card_id,
                "month": t.month.strftime("%Y-%m"),
                "parcels": t.parcels,
                "level": t.level,
                "discount_percent": percent_from_bp(t.discount_bp),
                "next_min_parcels": t.next_min_parcels,
                "next_discount_percent": None if t.next_discount_bp is None else percent_from_bp(t.next_discount_bp),
            }
            for t in replay.tiers
        ],
    }
