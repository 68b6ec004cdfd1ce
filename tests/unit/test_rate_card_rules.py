"""Rate-card rules on the in-memory unit of work: upload (idempotent), activation, retirement, fuel."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from carriers.model import RateCard
from tests.carriers.builders import example_card
from tests.fakes import FakeStore
from tms.domain.errors import Conflict, InvalidInput, NotFound
from tms.domain.rate_cards import CardStatus
from tms.services import rate_cards as cards

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def store() -> FakeStore:
    return FakeStore()


def upload(store: FakeStore, card: RateCard | None = None, *, activate: bool = False) -> cards.UploadOutcome:
    return cards.store_rate_card(
        store.uow(),
        card or example_card(),
        source_format="json",
        source_name="card.json",
        uploaded_by="manager",
        activate=activate,
        now=NOW,
    )


def test_an_upload_stores_a_draft_version_1_of_a_new_carrier(store: FakeStore) -> None:
    outcome = upload(store)
    record = outcome.record
    assert outcome.created and record.version == 1 and record.status is CardStatus.DRAFT
    assert record.activated_at is None and record.checksum == cards.checksum(record.document)
    assert [c.code for c in cards.list_carriers(store.uow())] == [example_card().carrier_code]
    assert cards.load_card(record) == example_card()


def test_the_same_card_uploaded_twice_is_stored_once(store: FakeStore) -> None:
    first = upload(store)
    again = upload(store)
    assert not again.created and again.record == first.record
    assert len(cards.list_rate_cards(store.uow())) == 1


def test_the_same_card_uploaded_again_with_activate_activates_the_stored_draft(store: FakeStore) -> None:
    first = upload(store)
    again = upload(store, activate=True)
    assert not again.created and again.record.id == first.record.id
    assert cards.get_rate_card(store.uow(), first.record.id).status is CardStatus.ACTIVE


def test_a_card_whose_twin_was_retired_is_stored_as_a_new_version(store: FakeStore) -> None:
    first = upload(store)
    cards.retire_rate_card(store.uow(), first.record.id, NOW)
    again = upload(store)
    assert again.created and again.record.version == 2


def test_an_uploaded_card_activated_at_upload_is_active_from_then(store: FakeStore) -> None:
    record = upload(store, activate=True).record
    assert record.status is CardStatus.ACTIVE and record.activated_at == NOW


def test_another_card_is_the_next_version_and_the_newest_active_is_in_force(store: FakeStore) -> None:
    old = upload(store, activate=True).record
    new = upload(store, replace(example_card(), valid_from=date(2026, 4, 1)), activate=True).record
    assert (old.version, new.version) == (1, 2)
    code = old.carrier_code
    assert cards.rate_card_in_force(store.uow(), code, date(2026, 3, 31)).id == old.id
    assert cards.rate_card_in_force(store.uow(), code, date(2026, 4, 1)).id == new.id
    with pytest.raises(NotFound, match="no active rate card"):
        cards.rate_card_in_force(store.uow(), code, date(2025, 12, 31))


def test_the_card_in_force_of_an_unknown_carrier_is_not_found(store: FakeStore) -> None:
    with pytest.raises(NotFound, match="carrier 'nope'"):
        cards.rate_card_in_force(store.uow(), "nope", date(2026, 3, 2))


def test_a_draft_is_activated_once(store: FakeStore) -> None:
    draft = upload(store).record
    later = NOW + timedelta(days=1)
    active = cards.activate_rate_card(store.uow(), draft.id, later)
    assert active.status is CardStatus.ACTIVE and active.activated_at == later
    with pytest.raises(Conflict, match="is active; only a draft can be activated"):
        cards.activate_rate_card(store.uow(), draft.id, later)


def test_a_card_is_retired_once_and_a_retired_card_cannot_be_activated(store: FakeStore) -> None:
    draft = upload(store).record
    retired = cards.retire_rate_card(store.uow(), draft.id, NOW)
    assert retired.status is CardStatus.RETIRED and retired.retired_at == NOW
    with pytest.raises(Conflict, match="already retired"):
        cards.retire_rate_card(store.uow(), draft.id, NOW)
    with pytest.raises(Conflict, match="is retired"):
        cards.activate_rate_card(store.uow(), draft.id, NOW)


@pytest.mark.parametrize("card_id", [0, 999, 2**40])
def test_an_unknown_card_is_not_found_everywhere(store: FakeStore, card_id: int) -> None:
    upload(store)
    with pytest.raises(NotFound, match=f"rate card {card_id}"):
        cards.get_rate_card(store.uow(), card_id)
    for change in (cards.activate_rate_card, cards.retire_rate_card):
        with pytest.raises(NotFound, match=f"rate card {card_id}"):
            change(store.uow(), card_id, NOW)


def test_cards_are_listed_by_carrier_newest_first_and_filtered_by_status(store: FakeStore) -> None:
    v1 = upload(store, activate=True).record
    v2 = upload(store, replace(example_card(), valid_from=date(2026, 5, 1))).record
    assert [r.id for r in cards.list_rate_cards(store.uow())] == [v2.id, v1.id]
    assert [r.id for r in cards.list_rate_cards(store.uow(), status=CardStatus.DRAFT)] == [v2.id]
    assert cards.list_rate_cards(store.uow(), carrier_code="other") == []


def test_a_draft_is_compared_with_the_card_in_force(store: FakeStore) -> None:
    base = upload(store, activate=True).record
    dearer_fuel = replace(example_card(), valid_from=date(2026, 4, 1), fuel_bp=1500)
    draft = upload(store, dearer_fuel).record
    comparison = cards.compare_rate_card(store.uow(), draft.id, today=date(2026, 3, 2))
    assert comparison.against.id == base.id
    assert [(c.what, c.old, c.new) for c in comparison.changes if "fuel" in c.what] == [("fuel_percent", 12.75, 15)]


def test_a_card_without_another_in_force_has_nothing_to_compare_with(store: FakeStore) -> None:
    draft = upload(store).record
    with pytest.raises(NotFound, match="no other active card"):
        cards.compare_rate_card(store.uow(), draft.id, today=date(2026, 3, 2))


def test_cards_of_different_carriers_are_not_compared(store: FakeStore) -> None:
    one = upload(store).record
    other = upload(store, replace(example_card(), carrier_code="other", carrier_name="Other")).record
    with pytest.raises(InvalidInput) as refused:
        cards.compare_rate_card(store.uow(), one.id, against_id=other.id, today=date(2026, 3, 2))
    assert [p.field for p in refused.value.problems] == ["against"]


def test_a_fuel_surcharge_is_set_per_date_and_setting_a_date_again_replaces_it(store: FakeStore) -> None:
    code = upload(store).record.carrier_code
    cards.set_fuel_surcharge(store.uow(), code, percent_bp=1200, valid_from=date(2026, 4, 1), now=NOW)
    cards.set_fuel_surcharge(store.uow(), code, percent_bp=1100, valid_from=date(2026, 3, 1), now=NOW)
    cards.set_fuel_surcharge(store.uow(), code, percent_bp=1275, valid_from=date(2026, 4, 1), now=NOW)
    listed = cards.list_fuel_surcharges(store.uow(), code)
    assert [(f.valid_from, f.percent_bp) for f in listed] == [(date(2026, 3, 1), 1100), (date(2026, 4, 1), 1275)]


@pytest.mark.parametrize("percent_bp", [-1, 10_001])
def test_a_fuel_surcharge_out_of_range_is_refused_and_nothing_is_stored(store: FakeStore, percent_bp: int) -> None:
    code = upload(store).record.carrier_code
    with pytest.raises(InvalidInput) as refused:
        cards.set_fuel_surcharge(store.uow(), code, percent_bp=percent_bp, valid_from=date(2026, 4, 1), now=NOW)
    assert [p.field for p in refused.value.problems] == ["percent"]
    assert cards.list_fuel_surcharges(store.uow(), code) == []


def test_fuel_of_an_unknown_carrier_is_not_found(store: FakeStore) -> None:
    with pytest.raises(NotFound):
        cards.set_fuel_surcharge(store.uow(), "nope", percent_bp=1000, valid_from=date(2026, 4, 1), now=NOW)
    with pytest.raises(NotFound):
        cards.list_fuel_surcharges(store.uow(), "nope")
