"""Spend month by month, and the free-shipping simulator on the orders really shipped: the figures
of the manager's spend pages, for scripts and spreadsheets."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tms.api.auth import protected
from tms.api.blueprint import api_blueprint
from tms.api.context import services
from tms.api.reading import Money, QuerySchema
from tms.domain.access import Role
from tms.domain.units import amount_from_cents
from tms.services import spend

URL_PREFIX = "/spend"
PERIOD_DAYS_MAX = 3 * 366
THRESHOLDS_MAX = 12

blp = api_blueprint("spend", __name__, description="What shipping cost, and what free shipping would have cost")


class SpendQuerySchema(QuerySchema):
    since = fields.Date(required=True, metadata={"description": "First ship day counted"})
    until = fields.Date(required=True, metadata={"description": "Last ship day counted"})

    @validates_schema
    def _a_period(self, data: dict[str, Any], **_: Any) -> None:
        if data["until"] < data["since"]:
            raise ValidationError("must not be before since", field_name="until")
        if (data["until"] - data["since"]).days > PERIOD_DAYS_MAX:
            raise ValidationError(f"a period is at most {PERIOD_DAYS_MAX} days", field_name="until")


class FreeShippingSimulationQuerySchema(SpendQuerySchema):
    threshold = fields.List(
        Money(validate=validate.Range(min=0, max=100_000_00, error="must be from 0 to 100000")),
        data_key="threshold",
        required=True,
        validate=validate.Length(min=1, max=THRESHOLDS_MAX),
        metadata={"description": "A cart value (EUR) from which shipping would be free; repeat for several"},
    )


class MonthSpendSchema(Schema):
    month = fields.String(metadata={"example": "2026-03"})
    shipments = fields.Integer()
    orders = fields.Integer()
    spend = fields.Float(metadata={"description": "EUR: transport, packaging and handling of the shipments"})
    spend_per_carrier = fields.Dict(keys=fields.String(), values=fields.Float())
    cost_per_order = fields.Float(allow_none=True)
    savings = fields.Float(metadata={"description": "What the runs saved against shipping each order alone"})
    pickup_share = fields.Float(allow_none=True, metadata={"description": "Orders to a pickup point or locker, 0..1"})
    free_orders = fields.Integer(metadata={"description": "Orders whose shopper paid 0 for shipping"})
    free_cost = fields.Float(metadata={"description": "What shipping them cost"})
    free_revenue = fields.Float(metadata={"description": "Their carts"})
    paid_known_orders = fields.Integer(metadata={"description": "Orders that say what their shopper paid"})
    paid = fields.Float(metadata={"description": "What those shoppers paid for shipping"})
    margin = fields.Float(allow_none=True, metadata={"description": "paid less what shipping those orders cost"})
    margin_per_order = fields.Float(allow_none=True)


class FreeShippingThresholdSchema(Schema):
    threshold = fields.Float()
    free_orders = fields.Integer(metadata={"description": "Orders whose cart reached the threshold"})
    free_share = fields.Float(allow_none=True)
    cost = fields.Float(metadata={"description": "What shipping those orders cost"})
    revenue = fields.Float(metadata={"description": "Their carts"})
    paid = fields.Float(metadata={"description": "What their shoppers did pay for shipping, given up"})
    margin_below_shipping = fields.Integer(
        metadata={"description": "Free orders whose product margin (cart x margin rate) is below their shipping"}
    )


class FreeShippingSimulationSchema(Schema):
    since = fields.Date()
    until = fields.Date()
    orders = fields.Integer(metadata={"description": "Orders shipped in the period"})
    cost = fields.Float(metadata={"description": "What shipping them cost"})
    average_cost = fields.Float(allow_none=True)
    margin_percent = fields.Float(metadata={"description": "The product margin of the policy in force"})
    break_even_cart_value = fields.Float(
        allow_none=True, metadata={"description": "The cart whose margin pays for an average order's shipping"}
    )
    thresholds = fields.List(fields.Nested(FreeShippingThresholdSchema))


def _eur(cents: int | None) -> float | None:
    return None if cents is None else amount_from_cents(cents)


@blp.route("", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.arguments(SpendQuerySchema, location="query")
@blp.response(200, MonthSpendSchema(many=True))
def monthly(query: dict[str, Any]) -> Any:
    """Each month of the period (every one, even with nothing shipped), by ship day."""
    months = spend.monthly_spend(services().uow(), since=query["since"], until=query["until"])
    return [
        {
            "month": m.month,
            "shipments": m.shipments,
            "orders": m.orders,
            "spend": _eur(m.cost_cents),
            "spend_per_carrier": {c: _eur(v) for c, v in sorted(m.by_carrier.items())},
            "cost_per_order": _eur(m.cost_per_order_cents),
            "savings": _eur(m.savings_cents),
            "pickup_share": m.point_share,
            "free_orders": m.free_orders,
            "free_cost": _eur(m.free_cost_cents),
            "free_revenue": _eur(m.free_revenue_cents),
            "paid_known_orders": m.paid_known_orders,
            "paid": _eur(m.paid_cents),
            "margin": _eur(m.margin_cents),
            "margin_per_order": _eur(m.margin_per_order_cents),
        }
        for m in months
    ]


@blp.route("/free-shipping", methods=["GET"])
@protected(blp, Role.MANAGER)
@blp.arguments(FreeShippingSimulationQuerySchema, location="query")
@blp.response(200, FreeShippingSimulationSchema)
def free_shipping(query: dict[str, Any]) -> Any:
    """For each threshold, the period's shipped orders whose cart reached it: how many would have
    shipped free and what their shipping cost, beside the break-even cart value."""
    simulation = spend.simulate_free_shipping(
        services().uow(), since=query["since"], until=query["until"], thresholds_cents=query["threshold"]
    )
    return {
        "since": simulation.since,
        "until": simulation.until,
        "orders": simulation.orders,
        "cost": _eur(simulation.cost_cents),
        "average_cost": _eur(simulation.average_cost_cents),
        "margin_percent": simulation.margin_rate_bp / 100,
        "break_even_cart_value": _eur(simulation.break_even_cents),
        "thresholds": [
            {
                "threshold": _eur(t.threshold_cents),
                "free_orders": t.free_orders,
                "free_share": t.free_share,
                "cost": _eur(t.cost_cents),
                "revenue": _eur(t.revenue_cents),
                "paid": _eur(t.paid_cents),
                "margin_below_shipping": t.not_paid_for,
            }
            for t in simulation.thresholds
        ],
    }
