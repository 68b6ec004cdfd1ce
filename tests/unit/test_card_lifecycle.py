"""Each card version's place in its carrier's timeline, as the manager pages name it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tms.domain.rate_cards import CardStatus, RateCardRecord, lifecycle

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def version(card_id: int, carrier: str, n: int, valid_from: date, status: CardStatus) -> RateCardRecord:
    return RateCardRecord(
        card_id, carrier, n, valid_from, "EUR", status, f"c{card_id}", "json", "card.json", NOW, "m", None, None, {}
    )


def test_draft_retired_in_force_scheduled_and_superseded() -> None:
    records = [
        version(1, "colissimo", 1, date(2026, 1, 1), CardStatus.ACTIVE),  # replaced by v2 on 1 March
        version(2, "colissimo", 2, date(2026, 3, 1), CardStatus.ACTIVE),
        version(3, "colissimo", 3, date(2026, 4, 1), CardStatus.ACTIVE),  # its day still to come
        version(4, "colissimo", 4, date(2026, 5, 1), CardStatus.DRAFT),
        version(5, "dpd", 1, date(2025, 6, 1), CardStatus.RETIRED),
        version(6, "dpd", 2, date(2026, 2, 1), CardStatus.ACTIVE),
    ]
    assert lifecycle(records, date(2026, 3, 2)) == {
        1: "superseded",
        2: "in force",
        3: "scheduled from 2026-04-01",
        4: "draft",
        5: "retired",
        6: "in force",
    }
    # On 1 April the scheduled one takes over.
    assert lifecycle(records, date(2026, 4, 1))[3] == "in force"
    assert lifecycle(records, date(2026, 4, 1))[2] == "superseded"
