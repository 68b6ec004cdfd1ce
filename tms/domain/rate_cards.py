"""Rate-card versions as the store keeps them, and which one is in force."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class CardStatus(StrEnum):
    DRAFT = "draft"  # uploaded and checked, not used for pricing yet
    ACTIVE = "active"  # used for pricing from its valid_from date
    RETIRED = "retired"  # kept for history, never used again


@dataclass(frozen=True)
class RateCardRecord:
    """One stored version of a carrier's card; `document` is its canonical JSON."""

    id: int
    carrier_code: str
    version: int
    valid_from: date
    currency: str
    status: CardStatus
    checksum: str
    source_format: str
    source_name: str
    uploaded_at: datetime
    uploaded_by: str
    activated_at: datetime | None
    retired_at: datetime | None
    document: Mapping[str, Any]


def card_in_force(records: Iterable[RateCardRecord], carrier_code: str, on: date) -> RateCardRecord | None:
    """The newest active card of the carrier with valid_from <= on (the highest version breaks ties)."""
    candidates = [
        r for r in records if r.carrier_code == carrier_code and r.status is CardStatus.ACTIVE and r.valid_from <= on
    ]
    return max(candidates, key=lambda r: (r.valid_from, r.version), default=None)


@dataclass(frozen=True)
class FuelSurcharge:
    """A fuel percentage set on its own (carriers publish it monthly), in force from `valid_from`."""

    carrier_code: str
    valid_from: date
    percent_bp: int
    set_at: datetime
