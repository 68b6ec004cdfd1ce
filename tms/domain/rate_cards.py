"""Rate-card versions as the store keeps them, and which one is in force."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar


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


@dataclass(frozen=True)
class FuelSurcharge:
    """A fuel percentage set on its own (carriers publish it monthly), in force from `valid_from`."""

    carrier_code: str
    valid_from: date
    percent_bp: int
    set_at: datetime


# --- The card timeline: which version is in force, its fuel figure and the tier reached, on a date ---

Payload = TypeVar("Payload")


@dataclass(frozen=True)
class CardVersion(Generic[Payload]):
    """One version of a carrier's card as the timeline sees it; `card` is whatever the caller prices with.

    `fuel_bp` is the card's own fuel figure; `tiers` its volume tiers as (min parcels, discount bp).
    """

    record_id: int
    carrier_code: str
    version: int
    valid_from: date
    fuel_bp: int
    tiers: tuple[tuple[int, int], ...]
    card: Payload

    def tier_reached(self, parcels: int) -> int:
        """How many of the card's tier thresholds `parcels` reach (0: none)."""
        return sum(1 for min_parcels, _ in self.tiers if parcels >= min_parcels)

    def discount_bp(self, parcels: int) -> int:
        """The best discount whose threshold `parcels` reach (0 if none)."""
        return max((bp for min_parcels, bp in self.tiers if parcels >= min_parcels), default=0)

    @property
    def discounts_by_tier(self) -> tuple[int, ...]:
        """The discount at each tier level 0..len(tiers), thresholds in increasing order."""
        ordered = sorted(self.tiers)
        return tuple(max((bp for _, bp in ordered[:level]), default=0) for level in range(len(ordered) + 1))

    @property
    def thresholds(self) -> tuple[int, ...]:
        return tuple(sorted(min_parcels for min_parcels, _ in self.tiers))


class CardTimeline(Generic[Payload]):
    """The one rule for what prices on a date, used by the quote, the plan, what-if plans and the checker.

    - The card in force for a carrier on a day is its newest version with valid_from <= day (the
      highest version number breaks ties).
    - Its fuel figure is the latest separate fuel update in force that day, unless the card in force
      is newer than that update: a card brings its own figure.
    - The volume discount on a day is the best tier of the card in force whose threshold the
      month's parcels reach.
    """

    def __init__(self, versions: Iterable[CardVersion[Payload]], fuel: Iterable[FuelSurcharge] = ()) -> None:
        by_carrier: dict[str, list[CardVersion[Payload]]] = {}
        for v in versions:
            by_carrier.setdefault(v.carrier_code, []).append(v)
        self._versions = {
            code: sorted(found, key=lambda v: (v.valid_from, v.version)) for code, found in sorted(by_carrier.items())
        }
        self._starts = {code: [v.valid_from for v in found] for code, found in self._versions.items()}
        self._by_id = {v.record_id: v for found in self._versions.values() for v in found}
        self._fuel: dict[str, list[FuelSurcharge]] = {}
        for update in sorted(fuel, key=lambda u: (u.valid_from, u.set_at)):
            self._fuel.setdefault(update.carrier_code, []).append(update)
        self._fuel_starts = {code: [u.valid_from for u in updates] for code, updates in self._fuel.items()}

    @property
    def carriers(self) -> list[str]:
        return list(self._versions)

    @property
    def first_day(self) -> date | None:
        """The first day any card is in force."""
        return min((found[0].valid_from for found in self._versions.values()), default=None)

    def by_id(self, record_id: int) -> CardVersion[Payload] | None:
        return self._by_id.get(record_id)

    def in_force(self, carrier_code: str, day: date) -> CardVersion[Payload] | None:
        i = bisect.bisect_right(self._starts.get(carrier_code, ()), day)
        return self._versions[carrier_code][i - 1] if i else None

    def all_in_force(self, day: date) -> list[tuple[str, CardVersion[Payload]]]:
        """Each carrier's card in force on `day`, by carrier code (carriers with no card yet left out)."""
        found = ((code, self.in_force(code, day)) for code in self._versions)
        return [(code, v) for code, v in found if v is not None]

    def fuel_bp(self, version: CardVersion[Payload], day: date) -> int:
        """The fuel figure on `day` for a version of the carrier's card (normally the one in force)."""
        updates = self._fuel.get(version.carrier_code, ())
        i = bisect.bisect_right(self._fuel_starts.get(version.carrier_code, ()), day)
        if not i or updates[i - 1].valid_from < version.valid_from:
            return version.fuel_bp
        return updates[i - 1].percent_bp

    def discount_bp(self, carrier_code: str, day: date, month_parcels: int) -> int:
        """The volume discount of the card in force on `day` at the month's parcels (0 without a card)."""
        version = self.in_force(carrier_code, day)
        return 0 if version is None else version.discount_bp(month_parcels)


def card_in_force(records: Iterable[RateCardRecord], carrier_code: str, on: date) -> RateCardRecord | None:
    """The stored record of the carrier's card in force on `on`, by the timeline's rule (active cards only)."""
    timeline = CardTimeline(
        CardVersion(r.id, r.carrier_code, r.version, r.valid_from, 0, (), r)
        for r in records
        if r.carrier_code == carrier_code and r.status is CardStatus.ACTIVE
    )
    version = timeline.in_force(carrier_code, on)
    return None if version is None else version.card


def lifecycle(records: Iterable[RateCardRecord], on: date) -> dict[int, str]:
    """Each version's place in its carrier's timeline on `on`: `draft`, `retired`, `in force`,
    `scheduled from <day>` (active, its day still to come) or `superseded` (active, its day gone by,
    a later version in force)."""
    records = list(records)
    in_force = {
        code: found.id
        for code in {r.carrier_code for r in records}
        if (found := card_in_force(records, code, on)) is not None
    }
    labels = {}
    for r in records:
        if r.status is CardStatus.DRAFT:
            labels[r.id] = "draft"
        elif r.status is CardStatus.RETIRED:
            labels[r.id] = "retired"
        elif in_force.get(r.carrier_code) == r.id:
            labels[r.id] = "in force"
        elif r.valid_from > on:
            labels[r.id] = f"scheduled from {r.valid_from.isoformat()}"
        else:
            labels[r.id] = "superseded"
    return labels
