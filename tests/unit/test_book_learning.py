"""The quote book counts each delivered parcel's business days with its own destination's public
holidays, even when parcels to different regions share a lane (and the book zones each destination
once).

One card zones all of France alike. Parcels picked up on Thursday 2 April 2026 and delivered on
Tuesday 7 April: Friday 3 April (Good Friday) is a public holiday in Moselle (57) alone, Monday 6
April (Easter Monday) everywhere in France. To Paris that is 2 business days (Friday, Tuesday), to
Metz 1 (Tuesday).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from carriers.readers import read_json
from tests.unit.test_plan_learned_transit import WAREHOUSE, a_card
from tms.domain.policy import ShippingPolicy
from tms.domain.tracking import DeliveredRecord
from tms.services.quoting import QuoteBook

PICKED_UP = datetime(2026, 4, 2, 15, 0, tzinfo=UTC)
DELIVERED = datetime(2026, 4, 7, 10, 0, tzinfo=UTC)


def parcels(postcode: str, count: int, first: int) -> list[DeliveredRecord]:
    return [
        DeliveredRecord(n, f"T{n}", "acme", "HOME", "FR", postcode, PICKED_UP.date(), PICKED_UP, DELIVERED)
        for n in range(first, first + count)
    ]


def learned(deliveries: list[DeliveredRecord]) -> tuple[float, ...]:
    book = QuoteBook.of_cards(
        [read_json(a_card("acme", 6.0, [1, 3]))],
        ShippingPolicy(),
        [WAREHOUSE],
        deliveries=deliveries,
        today=date(2026, 4, 20),
    )
    (figures,) = book.learned.values()
    return figures.overall.cdf


def test_parcels_of_one_lane_to_two_regions_count_their_own_holidays() -> None:
    # Paris first, then Metz, then Paris again (written as stored, with a space): each its own count.
    mixed = parcels("75001", 20, 0) + parcels("57000", 20, 20) + parcels("75 001", 20, 40)
    assert learned(mixed)[:3] == pytest.approx((0.0, 1 / 3, 1.0))  # 20 of 60 in 1 day (Metz), the 40 others in 2
    assert learned(parcels("57000", 40, 0))[:2] == (0.0, 1.0)
    assert learned(parcels("75001", 40, 0))[:3] == (0.0, 0.0, 1.0)
