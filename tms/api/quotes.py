"""The checkout quote, the Shopify carrier-service callback, and the shipping policy."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.typing import ResponseReturnValue

from tms.api.auth import current_key, documented, protected
from tms.api.blueprint import api_blueprint
from tms.api.context import json_object, services
from tms.api.quote_io import parse_quote_body, quote_json, quote_summary_document
from tms.api.schemas import (
    BreakEvenQuerySchema,
    BreakEvenSchema,
    PolicyInSchema,
    PolicySchema,
    QuoteRequestSchema,
    QuoteSchema,
    QuoteSummarySchema,
)
from tms.api.shopify import parse_shopify_request, shopify_rates
from tms.domain.access import Role
from tms.domain.policy import ShippingPolicy, break_even_cart_cents
from tms.domain.units import amount_from_cents, bp_from_percent, cents_from_amount, percent_from_bp
from tms.services import policy as policies
from tms.services.quoting import quote_order

URL_PREFIX = ""

blp = api_blueprint("quotes", __name__, description="Checkout quotes and the free-shipping policy")


def _json_response(document: dict[str, Any]) -> Response:
    """The document as JSON, written by orjson: a quote of forty options is ~20 KB, and the standard
    encoder spends more on it than the quote itself."""
    return Response(orjson.dumps(document), mimetype="application/json")


@blp.route("/quotes", methods=["POST"])
@protected(blp, Role.CHECKOUT)
@documented(
    blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": QuoteRequestSchema}}}),
    blp.alt_response(
        200,
        schema={"oneOf": [QuoteSchema, QuoteSummarySchema]},
        description='Every feasible option, the cheapest per mode; with "view": "summary", only the cheapest per '
        "mode and the recommended one, without breakdowns and exclusions",
    ),
    blp.alt_response(422, schema="Error", description="A field is not valid; it is named"),
)
def quote() -> ResponseReturnValue:
    """Quote an order: cheapest home and pickup-point options that keep the promise, from memory.

    `"view": "summary"` answers only the cheapest option per mode and the recommended one, without
    the cost breakdowns and the exclusions."""
    order, view = parse_quote_body(json_object())
    container = services()
    result = quote_order(
        container.quote_book.current(), order, container.pickup_index.current(), container.bookings.full()
    )
    if view == "summary":
        return Response(orjson.dumps(quote_summary_document(result)), mimetype="application/json")
    return Response(quote_json(result), mimetype="application/json")


@blp.route("/integrations/shopify/rates", methods=["POST"])
@protected(blp, Role.CHECKOUT, shopify=True)
@documented(
    blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}),
    blp.alt_response(200, description="Shopify CarrierService rates: {'rates': [...]}"),
)
def shopify_callback() -> ResponseReturnValue:
    """Shopify's CarrierService callback: items in grams, prices in cents; no rates when none can serve."""
    container = services()
    order = parse_shopify_request(json_object(), now=container.now())
    result = quote_order(
        container.quote_book.current(), order, container.pickup_index.current(), container.bookings.full()
    )
    return _json_response(shopify_rates(result, points_as_rates=container.settings.shopify_points_as_rates))


@blp.route("/shipping-policy", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.response(200, PolicySchema)
def get_policy() -> Any:
    """The free-shipping policy in force, every field given."""
    return policies.policy_document(policies.current_policy(services().uow()))


@blp.route("/shipping-policy", methods=["PUT"])
@protected(blp, Role.MANAGER)
@blp.arguments(PolicyInSchema, description="The whole policy: a field left out or null takes its default")
@blp.response(200, PolicySchema)
@blp.alt_response(422, schema="Error", description="A field is not valid (it is named); nothing is changed")
def set_policy(policy: ShippingPolicy) -> Any:
    """Replace the whole free-shipping policy (fields left out take their defaults); quotes use it within a second."""
    container = services()
    stored = policies.set_policy(container.uow(), policy, now=container.now(), by=current_key().name)
    return policies.policy_document(stored)


@blp.route("/shipping-policy/break-even", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.arguments(BreakEvenQuerySchema, location="query")
@blp.response(200, BreakEvenSchema)
def break_even(query: dict[str, Any]) -> Any:
    """The cart value whose margin pays for free shipping: cost / margin rate."""
    margin = query.get("margin_percent")
    cost_cents = cents_from_amount(query["cost"])
    margin_bp = policies.current_policy(services().uow()).margin_rate_bp if margin is None else bp_from_percent(margin)
    return {
        "cost": amount_from_cents(cost_cents),
        "margin_percent": percent_from_bp(margin_bp),
        "break_even_cart_value": amount_from_cents(break_even_cart_cents(cost_cents, margin_bp)),
    }
