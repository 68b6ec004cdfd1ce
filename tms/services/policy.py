"""The free-shipping policy, as managers set it (in currency units) and as quotes use it (in cents)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from tms.domain.policy import Promotion, ShippingPolicy
from tms.domain.units import bp_from_percent, cents_from_amount
from tms.services.unit_of_work import UnitOfWork

DEFAULT_POLICY: dict[str, Any] = {
    "currency": "EUR",
    "free_always": False,
    "free_above": None,
    "free_tiers": [],
    "promotion": None,
    "free_categories": [],
    "flat_price": None,
    "markup_percent": 0,
    "margin_percent": 30,
}


def _cents(value: Any) -> int | None:
    return None if value is None else cents_from_amount(value)


def policy_from_document(document: Mapping[str, Any]) -> ShippingPolicy:
    doc = {**DEFAULT_POLICY, **document}
    promotion = doc["promotion"]
    return ShippingPolicy(
        currency=doc["currency"],
        free_always=bool(doc["free_always"]),
        free_above_cents=_cents(doc["free_above"]),
        free_tiers=frozenset(doc["free_tiers"]),
        promotion=None
        if promotion is None
        else Promotion(date.fromisoformat(str(promotion["starts_on"])), date.fromisoformat(str(promotion["ends_on"]))),
        free_categories=frozenset(doc["free_categories"]),
        flat_price_cents=_cents(doc["flat_price"]),
        markup_bp=bp_from_percent(doc["markup_percent"] or 0),
        margin_rate_bp=bp_from_percent(doc["margin_percent"] or 0),
    )


def current_policy_document(uow: UnitOfWork) -> dict[str, Any]:
    with uow:
        stored = uow.policies.current()
    return {**DEFAULT_POLICY, **(stored or {})}


def set_policy(uow: UnitOfWork, document: Mapping[str, Any], *, now: datetime, by: str) -> dict[str, Any]:
    """Store a new version of the policy (the old ones stay, for history)."""
    full = {**DEFAULT_POLICY, **document}
    policy_from_document(full)  # fails loudly on a document the API let through by mistake
    with uow:
        uow.policies.set(full, now, by)
        uow.commit()
    return full
