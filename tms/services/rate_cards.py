"""Use cases for rate cards: upload (all-or-nothing), activate, retire, look up, compare."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from carriers.compare import Change, compare_cards
from carriers.limits import NO_LIMITS
from carriers.model import RateCard
from carriers.readers import read_json
from carriers.writers import card_to_json
from tms.domain.carriers import Carrier
from tms.domain.errors import Conflict, DuplicateKey, InvalidInput, NotFound, Problem
from tms.domain.rate_cards import CardStatus, FuelSurcharge, RateCardRecord, card_in_force
from tms.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class UploadOutcome:
    record: RateCardRecord
    created: bool  # False when the same card was already stored (the upload is idempotent)


def checksum(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def store_rate_card(
    uow: UnitOfWork,
    card: RateCard,
    *,
    source_format: str,
    source_name: str,
    uploaded_by: str,
    activate: bool,
    now: datetime,
) -> UploadOutcome:
    """Store a checked card as the carrier's next version; the same card twice is stored once, also
    when both arrive at the same moment (the carrier's row is locked before the card is looked for,
    and a version stored concurrently first sends this one back to look again)."""
    document = card_to_json(card)
    digest = checksum(document)
    for attempt in range(3):
        with uow:
            try:
                uow.carriers.ensure(card.carrier_code, card.carrier_name, now)
                uow.carriers.id_of(card.carrier_code, lock=True)
                existing = uow.rate_cards.find_by_checksum(card.carrier_code, digest)
                if existing is not None and existing.status is not CardStatus.RETIRED:
                    if activate and existing.status is CardStatus.DRAFT:
                        existing = uow.rate_cards.set_status(existing.id, CardStatus.ACTIVE, now)
                        uow.commit()
                    return UploadOutcome(existing, created=False)
                record = uow.rate_cards.add(
                    carrier_code=card.carrier_code,
                    valid_from=card.valid_from,
                    currency=card.currency,
                    status=CardStatus.ACTIVE if activate else CardStatus.DRAFT,
                    checksum=digest,
                    source_format=source_format,
                    source_name=source_name[:255],
                    uploaded_at=now,
                    uploaded_by=uploaded_by,
                    document=document,
                )
                uow.commit()
                return UploadOutcome(record, created=True)
            except DuplicateKey:
                if attempt == 2:
                    raise
    raise AssertionError("unreachable")


def get_rate_card(uow: UnitOfWork, card_id: int) -> RateCardRecord:
    with uow:
        record = uow.rate_cards.get(card_id)
    if record is None:
        raise NotFound(f"rate card {card_id} does not exist")
    return record


def list_rate_cards(
    uow: UnitOfWork, *, carrier_code: str | None = None, status: CardStatus | None = None
) -> list[RateCardRecord]:
    with uow:
        return uow.rate_cards.list(carrier_code=carrier_code, statuses=[status] if status else [])


def _locked_card(uow: UnitOfWork, card_id: int) -> RateCardRecord:
    """The card, read again once its carrier is locked, so that concurrent status changes queue."""
    record = uow.rate_cards.get(card_id)
    if record is None:
        raise NotFound(f"rate card {card_id} does not exist")
    uow.carriers.id_of(record.carrier_code, lock=True)
    locked: RateCardRecord | None = uow.rate_cards.get(card_id, fresh=True)
    assert locked is not None  # cards are never deleted
    return locked


def activate_rate_card(uow: UnitOfWork, card_id: int, now: datetime) -> RateCardRecord:
    """A draft becomes active: it prices from its valid_from date on."""
    with uow:
        record = _locked_card(uow, card_id)
        if record.status is not CardStatus.DRAFT:
            raise Conflict(f"rate card {card_id} is {record.status.value}; only a draft can be activated")
        record = uow.rate_cards.set_status(card_id, CardStatus.ACTIVE, now)
        uow.commit()
        return record


def retire_rate_card(uow: UnitOfWork, card_id: int, now: datetime) -> RateCardRecord:
    """A retired card is kept for history but never prices again."""
    with uow:
        record = _locked_card(uow, card_id)
        if record.status is CardStatus.RETIRED:
            raise Conflict(f"rate card {card_id} is already retired")
        record = uow.rate_cards.set_status(card_id, CardStatus.RETIRED, now)
        uow.commit()
        return record


def rate_card_in_force(uow: UnitOfWork, carrier_code: str, on: date) -> RateCardRecord:
    with uow:
        if uow.carriers.get(carrier_code) is None:
            raise NotFound(f"carrier {carrier_code!r} does not exist")
        record = card_in_force(uow.rate_cards.list(carrier_code=carrier_code), carrier_code, on)
    if record is None:
        raise NotFound(f"no active rate card of {carrier_code!r} is in force on {on.isoformat()}")
    return record


@dataclass(frozen=True)
class Comparison:
    card: RateCardRecord
    against: RateCardRecord
    changes: list[Change]


def compare_rate_card(uow: UnitOfWork, card_id: int, *, against_id: int | None = None, today: date) -> Comparison:
    """What `card_id` changes against `against_id`, by default the card in force when it would start."""
    with uow:
        record = uow.rate_cards.get(card_id)
        if record is None:
            raise NotFound(f"rate card {card_id} does not exist")
        if against_id is not None:
            against = uow.rate_cards.get(against_id)
            if against is None:
                raise NotFound(f"rate card {against_id} does not exist")
            if against.carrier_code != record.carrier_code:
                raise InvalidInput(
                    "cards of different carriers cannot be compared",
                    [Problem("must be a card of the same carrier", field="against")],
                )
        else:
            others = [r for r in uow.rate_cards.list(carrier_code=record.carrier_code) if r.id != card_id]
            against = card_in_force(others, record.carrier_code, max(record.valid_from, today))
            if against is None:
                raise NotFound(f"no other active card of {record.carrier_code!r} to compare with")
    changes = compare_cards(load_card(against), load_card(record))
    return Comparison(card=record, against=against, changes=changes)


def load_card(record: RateCardRecord) -> RateCard:
    """The domain card of a stored version (the store keeps its canonical JSON)."""
    return read_json(record.document, NO_LIMITS)  # checked when it was uploaded


def set_fuel_surcharge(
    uow: UnitOfWork, carrier_code: str, *, percent_bp: int, valid_from: date, now: datetime
) -> FuelSurcharge:
    """Carriers publish fuel monthly: a new percentage from a date, without a new card."""
    if not 0 <= percent_bp <= 10_000:
        raise InvalidInput("fuel percentage out of range", [Problem("must be between 0 and 100", field="percent")])
    with uow:
        if uow.carriers.get(carrier_code) is None:
            raise NotFound(f"carrier {carrier_code!r} does not exist")
        fuel = uow.fuel.set(carrier_code, valid_from, percent_bp, now)
        uow.commit()
        return fuel


def list_carriers(uow: UnitOfWork) -> list[Carrier]:
    with uow:
        return uow.carriers.list()


def get_carrier(uow: UnitOfWork, carrier_code: str) -> tuple[Carrier, list[RateCardRecord]]:
    """The carrier and its stored card versions, newest first."""
    with uow:
        carrier = uow.carriers.get(carrier_code)
        if carrier is None:
            raise NotFound(f"carrier {carrier_code!r} does not exist")
        return carrier, uow.rate_cards.list(carrier_code=carrier_code)


def list_fuel_surcharges(uow: UnitOfWork, carrier_code: str) -> list[FuelSurcharge]:
    with uow:
        if uow.carriers.get(carrier_code) is None:
            raise NotFound(f"carrier {carrier_code!r} does not exist")
        return uow.fuel.list(carrier_code)
