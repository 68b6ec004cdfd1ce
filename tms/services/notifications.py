"""Placeholder for the outbox's interface while it is built on its own branch (replaced at merge)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tms.services.unit_of_work import UnitOfWork


class Topic(StrEnum):
    SHIPPED = "shipment.shipped"
    DELAYED = "shipment.delayed"
    AVAILABLE_FOR_PICKUP = "shipment.available_for_pickup"
    DELIVERED = "shipment.delivered"


@dataclass(frozen=True)
class Recipient:
    order_ref: str
    email: str
    language: str
    name: str
    items: tuple[tuple[str, int], ...]


SENT: list[tuple[Topic, str, tuple[Recipient, ...], dict[str, Any]]] = []


def notify(
    uow: UnitOfWork,
    topic: Topic,
    *,
    key: str,
    recipients: Sequence[Recipient],
    facts: Mapping[str, Any],
    now: datetime,
) -> int:
    SENT.append((topic, key, tuple(recipients), dict(facts)))
    return len(recipients)
