"""What shipping cost, month by month: spend per carrier, cost per order, what consolidation saved,
and the share of orders sent to pickup points and lockers rather than home."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

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
            ]
            + [f"{m.by_carrier.get(c, 0) / 100:.2f}" for c in carriers]
        )
    return out.getvalue()
