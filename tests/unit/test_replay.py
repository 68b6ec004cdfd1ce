"""Offer comparison by replay: a period's real shipments priced again on a candidate card, on the
in-memory store. Expected prices are worked out by hand from the cards' grids (tests/replaying.py)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.fakes import FakeUnitOfWork
from tests.replaying import AJACCIO, BOXES, LYON, PARIS, PastShipments, a_stored_card, an_offer, the_current_card
from tms.domain.errors import InvalidInput, NotFound
from tms.services.replay import POINT_OF_ANOTHER_CARRIER, SERVICE_MISSING, Scope, replay_cards

SEPTEMBER = date(2026, 9, 1), date(2026, 9, 30)


@pytest.fixture()
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def replay(uow, card_id, period=SEPTEMBER, **options):
    return replay_cards(uow, card_id, since=period[0], until=period[1], box_types=BOXES, **options)


def test_three_shipments_cost_on_the_draft_what_its_grid_fuel_and_tier_say_and_corsica_is_not_carried(uow) -> None:
    current = a_stored_card(uow, the_current_card())
    draft = a_stored_card(uow, an_offer(), activate=False)
    past = PastShipments(uow, current)
    past.add(date(2026, 9, 2), LYON, [[800]], transport_cents=600)
    past.add(date(2026, 9, 3), PARIS, [[2000]], transport_cents=600)
    past.add(date(2026, 9, 4), LYON, [[500], [3000]], transport_cents=1600)
    corsica = past.add(date(2026, 9, 4), AJACCIO, [[700]], transport_cents=600)
    past.add(date(2026, 10, 1), LYON, [[700]], transport_cents=600)  # after the period

    result = replay(uow, draft.id)

    # By hand, on DOM (HOME is gone; ECO is slower, SIGN dearer), fuel 10 % after the discount:
    # 09-02 Lyon 0.8 kg: 4.00, 1 parcel this month, no discount: 4.00 + 0.40 = 4.40
    # 09-03 Paris 2 kg: 6.00, 2 parcels: 6.00 + 0.60 = 6.60
    # 09-04 Lyon 0.5 kg + 3 kg: 4 parcels reach the 10 % tier: (4.00 - 0.40) * 1.1 = 3.96, (5.00 - 0.50) * 1.1 = 4.95
    assert result.candidate_cents == 440 + 660 + 396 + 495
    assert result.actual_cents == 600 + 600 + 1600
    assert result.difference_cents == 1991 - 2800
    assert result.difference_percent == round(100 * (1991 - 2800) / 2800, 2)
    assert (result.shipments, result.replayed, result.carried, result.kept) == (4, 4, 3, 0)

    (refused,) = result.not_carried
    assert (refused.shipment_id, refused.reason, refused.actual_cents) == (corsica, "zone_not_served", 600)
    assert "FR 20000" in refused.detail

    (tier,) = result.tiers
    assert (tier.month, tier.parcels, tier.level, tier.discount_bp, tier.next_min_parcels) == (
        date(2026, 9, 1),
        4,
        1,
        1000,
        None,
    )
    lanes = {(lane.candidate_service, lane.zone): lane for lane in result.lanes}
    assert set(lanes) == {("DOM", "LYON"), ("DOM", "PARIS")}
    assert (lanes["DOM", "LYON"].shipments, lanes["DOM", "LYON"].parcels) == (2, 3)
    assert lanes["DOM", "LYON"].difference_cents == 440 + 396 + 495 - 2200
    assert result.lanes[0].zone == "LYON"  # the largest difference first


def test_below_the_threshold_no_discount_applies_and_the_next_tier_is_named(uow) -> None:
    current = a_stored_card(uow, the_current_card())
    draft = a_stored_card(uow, an_offer(), activate=False)
    past = PastShipments(uow, current)
    past.add(date(2026, 9, 2), LYON, [[500], [500]], transport_cents=1200)

    result = replay(uow, draft.id)

    assert result.candidate_cents == 2 * 440
    (tier,) = result.tiers
    assert (tier.parcels, tier.level, tier.discount_bp, tier.next_min_parcels, tier.next_discount_bp) == (
        2,
        0,
        0,
        3,
        1000,
    )


def test_tiers_count_per_month_so_a_new_month_starts_again_from_nothing(uow) -> None:
    current = a_stored_card(uow, the_current_card())
    draft = a_stored_card(uow, an_offer(), activate=False)
    past = PastShipments(uow, current)
    past.add(date(2026, 9, 2), LYON, [[500], [500], [500]], transport_cents=1800)
    past.add(date(2026, 10, 1), LYON, [[500]], transport_cents=600)

    result = replay(uow, draft.id, (date(2026, 9, 1), date(2026, 10, 31)))

    assert result.candidate_cents == 3 * 396 + 440
    assert [(t.month.month, t.parcels, t.level) for t in result.tiers] == [(9, 3, 1), (10, 1, 0)]


def test_another_carriers_offer_replaces_nothing_by_default_and_takes_every_shipment_with_scope_all(uow) -> None:
    current = a_stored_card(uow, the_current_card())
    offer = a_stored_card(uow, an_offer("parcelco"), activate=False)
    past = PastShipments(uow, current)
    past.add(date(2026, 9, 2), LYON, [[800]], transport_cents=600)
    relay = past.add(date(2026, 9, 3), LYON, [[800]], transport_cents=450, service="RELAY", mode="pickup_point")
    point = past.add(
        date(2026, 9, 3), LYON, [[800]], transport_cents=450, service="RELAY", mode="pickup_point", pickup_point_id="P1"
    )

    alone = replay(uow, offer.id)
    assert (alone.replayed, alone.kept, alone.kept_cents, alone.carried) == (0, 3, 1500, 0)

    moved = replay(uow, offer.id, scope=Scope.ALL)
    assert (moved.replayed, moved.carried, moved.candidate_cents) == (3, 1, 440)
    reasons = {n.shipment_id: n.reason for n in moved.not_carried}
    assert reasons == {relay: SERVICE_MISSING, point: POINT_OF_ANOTHER_CARRIER}


def test_a_set_replaces_each_carrier_by_its_own_candidate(uow) -> None:
    colissimo = a_stored_card(uow, the_current_card())
    dpd = a_stored_card(uow, the_current_card("dpd"))
    new_colissimo = a_stored_card(uow, an_offer(), activate=False)
    new_dpd = a_stored_card(uow, an_offer("dpd"), activate=False)
    PastShipments(uow, colissimo).add(date(2026, 9, 2), LYON, [[800]], transport_cents=600)
    PastShipments(uow, dpd, "dpd").add(date(2026, 9, 2), PARIS, [[800]], transport_cents=600)

    only_colissimo = replay(uow, new_colissimo.id)
    assert (only_colissimo.carried, only_colissimo.kept, only_colissimo.candidate_cents) == (1, 1, 440)

    both = replay(uow, new_colissimo.id, with_cards=[new_dpd.id])
    assert (both.carried, both.kept, both.candidate_cents) == (2, 0, 440 + 495)
    assert {(lane.carrier, lane.candidate_carrier) for lane in both.lanes} == {
        ("colissimo", "colissimo"),
        ("dpd", "dpd"),
    }


def test_a_replay_of_the_card_in_force_on_itself_costs_what_the_shipments_cost(uow) -> None:
    current = a_stored_card(uow, the_current_card())
    past = PastShipments(uow, current)
    past.add(date(2026, 9, 2), LYON, [[800]], transport_cents=600)
    past.add(date(2026, 9, 3), PARIS, [[2500], [300]], transport_cents=1600)

    result = replay(uow, current.id)

    assert (result.carried, result.difference_cents) == (2, 0)


def test_bad_periods_and_sets_are_refused_naming_the_field_and_an_unknown_card_is_not_found(uow) -> None:
    current = a_stored_card(uow, the_current_card())
    other = a_stored_card(uow, an_offer(), activate=False)
    with pytest.raises(InvalidInput) as refused:
        replay(uow, current.id, (date(2026, 9, 30), date(2026, 9, 1)))
    assert [p.field for p in refused.value.problems] == ["until"]
    with pytest.raises(InvalidInput) as refused:
        replay(uow, current.id, with_cards=[other.id])
    assert [p.field for p in refused.value.problems] == ["with[0]"]
    with pytest.raises(NotFound):
        replay(uow, 999)
    with pytest.raises(NotFound):
        replay(uow, current.id, with_cards=[999])
