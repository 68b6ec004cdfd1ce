"""Writers of one carrier at the same moment, on SQLite and on PostgreSQL: the same card uploaded
twice is stored once, two fuel figures for one date leave one row, a retired card stays retired."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from carriers.model import RateCard
from carriers.readers import read_json
from tests.api.test_quotes import a_card
from tms.bootstrap import Container
from tms.domain.errors import Conflict
from tms.domain.rate_cards import CardStatus
from tms.services.rate_cards import (
    activate_rate_card,
    get_rate_card,
    list_fuel_surcharges,
    list_rate_cards,
    retire_rate_card,
    set_fuel_surcharge,
    store_rate_card,
)


def _store(container: Container, card: RateCard) -> bool:
    outcome = store_rate_card(
        container.uow(),
        card,
        source_format="json",
        source_name="t",
        uploaded_by="t",
        activate=True,
        now=container.now(),
    )
    return outcome.created


def _twice_at_once(container: Container, card: RateCard) -> list[bool]:
    """Whether each of two uploads of `card`, released together, created it."""
    start = threading.Barrier(2)

    def upload(_: int) -> bool:
        start.wait()
        return _store(container, card)

    with ThreadPoolExecutor(2) as pool:
        return sorted(pool.map(upload, range(2)))


@pytest.mark.parametrize("carrier_known", [False, True])
def test_two_identical_uploads_at_the_same_moment_store_one_card(container: Container, carrier_known: bool) -> None:
    for round_ in range(4):  # each round a new carrier: several chances for the two to overlap
        code = f"race{round_}"
        if carrier_known:  # an earlier, other card of the carrier: only the new card's rows are raced for
            _store(container, read_json(a_card(code, valid_from="2025-01-01")))
        card = read_json(a_card(code))

        assert _twice_at_once(container, card) == [False, True]
        stored = [r for r in list_rate_cards(container.uow(), carrier_code=code) if r.valid_from == card.valid_from]
        assert len(stored) == 1 and stored[0].status is CardStatus.ACTIVE
        assert stored[0].version == (2 if carrier_known else 1)


def test_two_fuel_figures_for_the_same_date_at_the_same_moment_keep_one_row(container: Container) -> None:
    _store(container, read_json(a_card("fuelrace")))
    for round_ in range(4):
        day = date(2026, 4, 1 + round_)
        start = threading.Barrier(2)

        def set_figure(percent_bp: int, day: date = day, start: threading.Barrier = start) -> int:
            start.wait()
            return set_fuel_surcharge(
                container.uow(), "fuelrace", percent_bp=percent_bp, valid_from=day, now=container.now()
            ).percent_bp

        with ThreadPoolExecutor(2) as pool:
            assert sorted(pool.map(set_figure, [1000, 1200])) == [1000, 1200]
        on_day = [f for f in list_fuel_surcharges(container.uow(), "fuelrace") if f.valid_from == day]
        assert len(on_day) == 1 and on_day[0].percent_bp in (1000, 1200)


def test_activating_and_retiring_a_draft_at_the_same_moment_leaves_it_retired(container: Container) -> None:
    for round_ in range(4):
        outcome = store_rate_card(
            container.uow(),
            read_json(a_card(f"status{round_}")),
            source_format="json",
            source_name="t",
            uploaded_by="t",
            activate=False,
            now=container.now(),
        )
        card_id = outcome.record.id
        start = threading.Barrier(2)

        def change(action: str, card_id: int = card_id, start: threading.Barrier = start) -> str:
            start.wait()
            try:
                change_status = activate_rate_card if action == "activate" else retire_rate_card
                return change_status(container.uow(), card_id, container.now()).status.value
            except Conflict:
                return "conflict"

        with ThreadPoolExecutor(2) as pool:
            activated, retired = pool.map(change, ["activate", "retire"])

        # In one order or the other, never a retired card made active again.
        assert retired == "retired" and activated in ("active", "conflict")
        assert get_rate_card(container.uow(), card_id).status is CardStatus.RETIRED
