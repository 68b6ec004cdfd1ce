"""Contract test of what a replay reads: the store and the fake give a period's shipments alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from tests.fakes import FakeStore
from tests.replaying import LYON, PARIS, PastShipments, a_stored_card, the_current_card
from tms.domain.orders import Item
from tms.services.unit_of_work import UnitOfWork


@pytest.fixture(params=["fake", "sql"])
def new_uow(request: pytest.FixtureRequest) -> Callable[[], UnitOfWork]:
    if request.param == "fake":
        return FakeStore().uow
    container = request.getfixturevalue("container")
    uow: Callable[[], UnitOfWork] = container.uow
    return uow


def test_past_shipments_come_with_their_orders_boxes_and_postage_by_ship_day(new_uow) -> None:
    card = a_stored_card(new_uow(), the_current_card())
    past = PastShipments(new_uow(), card)
    late = past.add(date(2026, 9, 3), PARIS, [[2500], [300, 200]], transport_cents=1601)
    early = past.add(date(2026, 9, 2), LYON, [[800]], transport_cents=600, pickup_point_id="P1")
    past.add(date(2026, 8, 31), LYON, [[800]], transport_cents=600)
    past.add(date(2026, 10, 1), LYON, [[800]], transport_cents=600)

    uow = new_uow()
    with uow:
        found = uow.shipments.past(since=date(2026, 9, 1), until=date(2026, 9, 30))

    assert [s.id for s in found] == [early, late]
    first, second = found
    assert (first.carrier, first.service, first.mode, first.rate_card_id) == ("colissimo", "HOME", "home", card.id)
    assert (first.orders[0].country, first.orders[0].postcode, first.orders[0].pickup_point_id) == ("FR", "69003", "P1")
    assert second.transport_cents == 1601 and second.parcels == 2
    assert second.boxes == (("S", ("colissimo-1/0/0",)), ("S", ("colissimo-1/1/0", "colissimo-1/2/0")))
    assert second.orders[0].items[1] == Item("SKU-1", 300, 200, 150, 80)
