"""What shipping cost, month by month: spend per carrier, cost per order, what consolidation saved,
the share of orders sent to pickup points and lockers rather than home, what free shipping cost
against the carts it applied to, and the margin on shipping (what shoppers paid less what it cost);
and a free-shipping simulator on the same shipped orders. How an order's share of its shipment's
cost is worked out: `tms.domain.margins`."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from tms.domain.margins import FreeShippingAt, OrderShippingCost, free_shipping_at, order_costs
from tms.domain.policy import break_even_cart_cents
from tms.services.policy import current_policy
from tms.services.unit_of_work import UnitOfWork

RUNS_READ = 100_000  # runs looked at for their savings: years of runs at a few a day


@dataclass
class MonthSpend:
    month: str  # 2026-03
    by_carrier: dict[str, int] = field(default_factory=dict)  # cents
    shipments: int = 0
    orders: int = 0
    cost_cents: int = 0
    home_orders: int = 0
    point_orders: int = 0  # to a pickup point or a locker
    savings_cents: int = 0  # the succeeded runs' savings against each order shipped alone
    free_orders: int = 0  # shipped free (their shoppers paid 0 for shipping)
    free_cost_cents: int = 0  # what shipping them cost
    free_revenue_cents: int = 0  # their carts
    paid_known_orders: int = 0  # orders that say what their shoppers paid for shipping
    paid_cents: int = 0  # what those shoppers paid
    paid_known_cost_cents: int = 0  # what shipping those orders cost

    @property
    def margin_cents(self) -> int | None:
        """What shoppers paid for shipping less what it cost, over the orders that say what they paid."""
        return self.paid_cents - self.paid_known_cost_cents if self.paid_known_orders else None

    @property
    def margin_per_order_cents(self) -> int | None:
        margin = self.margin_cents
        return None if margin is None else round(margin / self.paid_known_orders)

    @property
    def free_cost_of_revenue(self) -> float | None:
        return self.free_cost_cents / self.free_revenue_cents if self.free_revenue_cents else None

    @property
    def cost_per_order_cents(self) -> int | None:
        return round(self.cost_cents / self.orders) if self.orders else None

    @property
    def point_share(self) -> float | None:
        total = self.home_orders + self.point_orders
        return self.point_orders / total if total else None


def monthly_spend(uow: UnitOfWork, *, since: date, until: date) -> list[MonthSpend]:
    """The months from `since` to `until` (both days included), each even when nothing shipped."""
    with uow:
        days = uow.shipments.spend(since=since, until=until)
        shipped = uow.shipments.shipped_orders(since=since, until=until)
        runs = uow.runs.list(limit=RUNS_READ)
    months: dict[str, MonthSpend] = {}
    year, month = since.year, since.month
    while (year, month) <= (until.year, until.month):
        key = f"{year:04d}-{month:02d}"
        months[key] = MonthSpend(key)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    for day in days:
        m = months[f"{day.ships_on:%Y-%m}"]
        m.by_carrier[day.carrier] = m.by_carrier.get(day.carrier, 0) + day.cost_cents
        m.shipments += day.shipments
        m.orders += day.orders
        m.cost_cents += day.cost_cents
        if day.mode == "home":
            m.home_orders += day.orders
        else:
            m.point_orders += day.orders
    for order in order_costs(shipped):
        m = months[f"{order.ships_on:%Y-%m}"]
        if order.shipping_paid_cents is None:
            continue
        m.paid_known_orders += 1
        m.paid_cents += order.shipping_paid_cents
        m.paid_known_cost_cents += order.cost_cents
        if order.shipped_free:
            m.free_orders += 1
            m.free_cost_cents += order.cost_cents
            m.free_revenue_cents += order.cart_value_cents
    for run in runs:
        shipping_date = run["shipping_date"]
        if run["status"] == "succeeded" and since <= shipping_date <= until and "savings" in run:
            months[f"{shipping_date:%Y-%m}"].savings_cents += round(run["savings"] * 100)
    return list(months.values())


def spend_csv(months: Sequence[MonthSpend]) -> str:
    """The figures as a CSV table: one row per month, one spend column per carrier (EUR)."""
    carriers = sorted({c for m in months for c in m.by_carrier})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["month", "shipments", "orders", "spend_eur", "cost_per_order_eur", "savings_eur", "pickup_share"]
        + ["free_orders", "free_cost_eur", "free_revenue_eur", "paid_known_orders", "paid_eur", "margin_eur"]
        + ["margin_per_order_eur"]
        + [f"spend_{c}_eur" for c in carriers]
    )
    for m in months:
        per_order = m.cost_per_order_cents
        writer.writerow(
            [
                m.month,
                m.shipments,
                m.orders,
                f"{m.cost_cents / 100:.2f}",
                "" if per_order is None else f"{per_order / 100:.2f}",
                f"{m.savings_cents / 100:.2f}",
                "" if m.point_share is None else f"{m.point_share:.4f}",
                m.free_orders,
                _eur(m.free_cost_cents),
                _eur(m.free_revenue_cents),
                m.paid_known_orders,
                _eur(m.paid_cents),
                _eur(m.margin_cents),
                _eur(m.margin_per_order_cents),
            ]
            + [f"{m.by_carrier.get(c, 0) / 100:.2f}" for c in carriers]
        )
    return out.getvalue()


def _eur(cents: int | None) -> str:
    return "" if cents is None else f"{cents / 100:.2f}"


@dataclass(frozen=True)
class FreeShippingSimulation:
    since: date
    until: date
    orders: int  # shipped in the period
    cost_cents: int  # what shipping them cost
    margin_rate_bp: int  # the product margin of the policy in force
    thresholds: tuple[FreeShippingAt, ...]

    @property
    def average_cost_cents(self) -> int | None:
        return round(self.cost_cents / self.orders) if self.orders else None

    @property
    def break_even_cents(self) -> int | None:
        """The cart value whose margin pays for an average order's shipping."""
        average = self.average_cost_cents
        if average is None or self.margin_rate_bp <= 0:
            return None
        return break_even_cart_cents(average, self.margin_rate_bp)


def simulate_free_shipping(
    uow: UnitOfWork, *, since: date, until: date, thresholds_cents: Sequence[int]
) -> FreeShippingSimulation:
    """For each threshold, the orders shipped between the two days (both included) whose cart reached
    it: how many would have shipped free and what their shipping cost, beside the break-even cart
    value of the period's average shipping cost at the policy's product margin."""
    margin_rate_bp = current_policy(uow).margin_rate_bp
    with uow:
        costs: list[OrderShippingCost] = order_costs(uow.shipments.shipped_orders(since=since, until=until))
    return FreeShippingSimulation(
        since=since,
        until=until,
        orders=len(costs),
        cost_cents=sum(o.cost_cents for o in costs),
        margin_rate_bp=margin_rate_bp,
        thresholds=tuple(
            free_shipping_at(costs, t, margin_rate_bp=margin_rate_bp) for t in sorted(set(thresholds_cents))
        ),
    )
