"""The free-shipping policy, as managers set it (in currency units) and as quotes use it (in cents).

The API's body and the manager's page each read a policy into the domain's `ShippingPolicy`;
`set_policy` checks it against the domain's rules (`policy_problems`) whoever sent it. What is
stored is that policy's document, written here, so that everything stored reads back to the same
policy, for the quotes and for `GET /shipping-policy` alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from tms.domain.errors import InvalidInput
from tms.domain.policy import Promotion, ShippingPolicy, policy_problems
from tms.domain.units import amount_from_cents, bp_from_percent, cents_from_amount, percent_from_bp
from tms.services.unit_of_work import UnitOfWork


def _cents(value: Any) -> int | None:
    return None if value is None else cents_from_amount(value)


def _amount(cents: int | None) -> float | None:
    return None if cents is None else amount_from_cents(cents)


def policy_document(policy: ShippingPolicy) -> dict[str, Any]:
    """The policy as JSON (amounts in currency units, percentages, ISO dates): stored, and answered."""
    promotion = policy.promotion
    return {
        "currency": policy.currency,
        "free_always": policy.free_always,
        "free_above": _amount(policy.free_above_cents),
        "free_tiers": sorted(policy.free_tiers),
        "promotion": None
        if promotion is None
        else {"starts_on": promotion.starts_on.isoformat(), "ends_on": promotion.ends_on.isoformat()},
        "free_categories": sorted(policy.free_categories),
        "flat_price": _amount(policy.flat_price_cents),
        "markup_percent": percent_from_bp(policy.markup_bp),
        "margin_percent": percent_from_bp(policy.margin_rate_bp),
    }


DEFAULT_POLICY: dict[str, Any] = policy_document(ShippingPolicy())


def policy_from_document(document: Mapping[str, Any]) -> ShippingPolicy:
    """The policy a stored document describes (a field it lacks takes its default)."""
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


def current_policy(uow: UnitOfWork) -> ShippingPolicy:
    """The policy in force: the one set last, or the default one."""
    with uow:
        stored = uow.policies.current()
    return policy_from_document(stored or {})


def set_policy(uow: UnitOfWork, policy: ShippingPolicy, *, now: datetime, by: str) -> ShippingPolicy:
    """Store `policy` as the one in force, replacing the whole policy (the old ones stay, for history);
    InvalidInput, naming each field, when it breaks the policy's rules (nothing is stored)."""
    if problems := policy_problems(policy):
        raise InvalidInput("the shipping policy is not valid", problems)
    document = policy_document(policy)
    if policy_from_document(document) != policy:  # what is stored must read back as this very policy
        raise AssertionError(f"the policy document does not read back: {document}")
    with uow:
        uow.policies.set(document, now, by)
        uow.commit()
    return policy
