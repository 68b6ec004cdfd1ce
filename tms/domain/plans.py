"""What a consolidation plan is: its shipments, held and waiting orders, costs and solver figures.

Plain values shared by the planner, its checker, the run that writes a plan and the API.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any


@dataclass(frozen=True)
class CarrierLimits:
    """A carrier's capacity per pickup day (None: unlimited)."""

    parcels_per_day: int | None = None
    weight_g_per_day: int | None = None


@dataclass(frozen=True)
class PlannedShipment:
    orders: tuple[str, ...]
    carrier: str
    service: str
    mode: str
    ships_on: date
    earliest: date
    latest: date
    parcels: int
    weight_g: int
    boxes: tuple[tuple[str, tuple[str, ...]], ...]
    transport_cents: int
    packaging_cents: int
    other_cents: int
    cost_cents: int
    rate_card_id: int
    rate_card_version: int
    held: bool  # planned for the next shipping day: its orders stay pending for a later run
    baseline_cents: int = 0  # its orders alone on their first possible day, cheapest service (its cost if held)


@dataclass(frozen=True)
class Plan:
    shipping_date: date
    orders_in: int
    shipments: tuple[PlannedShipment, ...]
    unplannable: dict[str, str]  # order ref -> reason
    cost_cents: int  # the shipments shipped today
    baseline_cents: int  # their orders alone on their first possible day
    lower_bound_cents: int  # on the solver's objective
    gap: float
    solver_status: str
    solver_method: str
    solver_seconds: float
    seconds: float
    # order ref -> its first ship day: after this plan's days, or this plan's day for an order placed after the run's
    # moment (a later run sees it)
    waiting: dict[str, date] = field(default_factory=dict)
    run_at: time | None = None  # the planning run's local time (None: each warehouse's first run)
    objective_cents: int = 0  # the solver's plan: today's shipments, the held ones and their hold costs

    @property
    def shipped(self) -> list[PlannedShipment]:
        return [s for s in self.shipments if not s.held]

    @property
    def held_orders(self) -> list[str]:
        return [ref for s in self.shipments if s.held for ref in s.orders]

    def summary(self) -> dict[str, Any]:
        shipped = self.shipped
        carriers: dict[str, dict[str, int]] = defaultdict(lambda: {"shipments": 0, "parcels": 0, "weight_g": 0})
        for s in shipped:
            entry = carriers[s.carrier]
            entry["shipments"] += 1
            entry["parcels"] += s.parcels
            entry["weight_g"] += s.weight_g
        return {
            "orders_in": self.orders_in,
            "orders_shipped": sum(len(s.orders) for s in shipped),
            "orders_held": len(self.held_orders),
            "orders_waiting": len(self.waiting),
            "orders_unplannable": len(self.unplannable),
            "shipments_out": len(shipped),
            "boxes": sum(s.parcels for s in shipped),
            "carriers": dict(carriers),
            "cost": self.cost_cents / 100,
            "baseline_cost": self.baseline_cents / 100,
            "savings": (self.baseline_cents - self.cost_cents) / 100,
            "objective": self.objective_cents / 100,
            "lower_bound": self.lower_bound_cents / 100,
            "gap": round(self.gap, 6),
            "solver_status": self.solver_status,
            "solver_method": self.solver_method,
            "solver_seconds": round(self.solver_seconds, 3),
            "seconds": round(self.seconds, 3),
            "unplannable": self.unplannable,
            "held": self.held_orders,
            "waiting": {ref: day.isoformat() for ref, day in sorted(self.waiting.items())},
        }


def shipment_document(s: PlannedShipment) -> dict[str, Any]:
    """A planned shipment as JSON: stored with a run's shipments and answered by what-if plans alike."""
    return {
        "orders": list(s.orders),
        "carrier": s.carrier,
        "service": s.service,
        "mode": s.mode,
        "ships_on": s.ships_on.isoformat(),
        "held": s.held,
        "delivery": {"earliest": s.earliest.isoformat(), "latest": s.latest.isoformat()},
        "parcels": s.parcels,
        "weight_g": s.weight_g,
        "boxes": [{"box": box, "items": list(items)} for box, items in s.boxes],
        "cost": {
            "transport": s.transport_cents / 100,
            "packaging": s.packaging_cents / 100,
            "other": s.other_cents / 100,
            "total": s.cost_cents / 100,
            "baseline": s.baseline_cents / 100,
        },
        "rate_card": {"id": s.rate_card_id, "version": s.rate_card_version},
    }
