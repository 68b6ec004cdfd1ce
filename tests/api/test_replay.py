"""POST /api/v1/rate-cards/{id}/replay: a period's real shipments priced again on a draft card."""

from __future__ import annotations

from datetime import date

import pytest

from tests.api.test_rate_cards import row_counts
from tests.replaying import AJACCIO, LYON, PARIS, PastShipments, a_stored_card, an_offer, the_current_card

PERIOD = {"since": "2026-09-01", "until": "2026-09-30"}


@pytest.fixture()
def draft(container, client, manager) -> int:
    """Four shipments of September on the card in force, and a draft offer uploaded through the API."""
    current = a_stored_card(container.uow(), the_current_card())
    past = PastShipments(container.uow(), current)
    past.add(date(2026, 9, 2), LYON, [[800]], transport_cents=600)
    past.add(date(2026, 9, 3), PARIS, [[2000]], transport_cents=600)
    past.add(date(2026, 9, 4), LYON, [[500], [3000]], transport_cents=1600)
    past.add(date(2026, 9, 4), AJACCIO, [[700]], transport_cents=600)
    uploaded = client.post("/api/v1/rate-cards", json=an_offer(), headers=manager)
    assert uploaded.status_code == 201, uploaded.get_json()
    card_id: int = uploaded.get_json()["rate_card"]["id"]
    return card_id


def test_a_replay_answers_totals_lanes_what_it_cannot_carry_and_the_tier_and_writes_nothing(
    client, manager, engine, draft
) -> None:
    before = row_counts(engine)
    answer = client.post(f"/api/v1/rate-cards/{draft}/replay", json=PERIOD, headers=manager)
    assert answer.status_code == 200, answer.get_json()
    replay = answer.get_json()
    assert row_counts(engine) == before

    # By hand from the offer's DOM grid, fuel 10 %, 10 % off once September reaches 3 parcels:
    # 4.40 (Lyon 0.8 kg) + 6.60 (Paris 2 kg) + 3.96 + 4.95 (Lyon 0.5 kg and 3 kg, parcels 3 and 4).
    totals = replay["totals"]
    assert (totals["actual"], totals["candidate"], totals["difference"]) == (28.0, 19.91, -8.09)
    assert totals["difference_percent"] == -28.89
    assert (totals["shipments"], totals["carried"], totals["not_carried"], totals["not_carried_actual"]) == (
        4,
        3,
        1,
        6.0,
    )
    assert [(lane["zone"], lane["shipments"], lane["difference"]) for lane in replay["lanes"]] == [
        ("LYON", 2, -8.69),
        ("PARIS", 1, 0.6),
    ]
    (refused,) = replay["not_carried"]
    assert (refused["postcode"], refused["reason"]) == ("20000", "zone_not_served")
    assert replay["tiers"] == [
        {
            "carrier": "colissimo",
            "card_id": draft,
            "month": "2026-09",
            "parcels": 4,
            "level": 1,
            "discount_percent": 10.0,
            "next_min_parcels": None,
            "next_discount_percent": None,
        }
    ]
    assert replay["cards"][0]["status"] == "draft" and replay["scope"] == "carriers"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"since": "2026-09-30", "until": "2026-09-01"}, "until"),
        ({"until": "2026-09-30"}, "since"),
        ({**PERIOD, "since": "September"}, "since"),
        ({**PERIOD, "colour": "blue"}, "colour"),
        ({**PERIOD, "scope": "everything"}, "scope"),
        ({**PERIOD, "with": ["x"]}, "with[0]"),
    ],
)
def test_a_bad_replay_is_refused_naming_its_field(client, manager, draft, body, field) -> None:
    answer = client.post(f"/api/v1/rate-cards/{draft}/replay", json=body, headers=manager)
    assert answer.status_code == 422, answer.get_json()
    assert field in [p.get("field") for p in answer.get_json()["errors"]], answer.get_json()


def test_a_second_card_of_the_same_carrier_is_refused_and_an_unknown_card_is_not_found(client, manager, draft) -> None:
    same = client.post(f"/api/v1/rate-cards/{draft}/replay", json={**PERIOD, "with": [draft]}, headers=manager)
    assert same.status_code == 422 and same.get_json()["errors"][0]["field"] == "with[0]"
    assert client.post("/api/v1/rate-cards/999999/replay", json=PERIOD, headers=manager).status_code == 404
    unknown = client.post(f"/api/v1/rate-cards/{draft}/replay", json={**PERIOD, "with": [999999]}, headers=manager)
    assert unknown.status_code == 404


def test_only_a_manager_replays(client, checkout, draft) -> None:
    assert client.post(f"/api/v1/rate-cards/{draft}/replay", json=PERIOD).status_code == 401
    assert client.post(f"/api/v1/rate-cards/{draft}/replay", json=PERIOD, headers=checkout).status_code == 403


def test_the_replay_is_in_the_openapi_document(client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/rate-cards/{card_id}/replay"]["post"]
    assert {"200", "404", "422"} <= set(operation["responses"])
    assert "ReplayRequest" in document["components"]["schemas"]


def test_the_cards_page_offers_the_replay_and_its_page_shows_totals_lanes_what_it_cannot_carry_and_the_tier(
    client, manager, draft
) -> None:
    from tests.api.test_manager_pages import sign_in

    sign_in(client, manager)
    card = client.get(f"/manager/rate-cards/{draft}").get_data(as_text=True)
    assert 'id="replay"' in card and f'action="/manager/rate-cards/{draft}/replay"' in card

    answer = client.get(f"/manager/rate-cards/{draft}/replay?since=2026-09-01&until=2026-09-30&with=&scope=carriers")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert '<dd id="actual">€28.00</dd>' in html and '<dd id="candidate">€19.91</dd>' in html
    assert "-€8.09 (-28.89%)" in html
    lanes = html[html.index('id="lanes"') : html.index('id="not-carried"')]
    assert lanes.index("Lyon (LYON)") < lanes.index("Paris (PARIS)")  # the largest difference first
    assert "zone not served: no zone of the card covers FR 20000" in html
    tiers = html[html.index('id="tiers"') : html.index('id="lanes"')]
    assert "September 2026" in tiers and "10%" in tiers


def test_the_replay_form_names_each_wrong_field_beside_it_and_keeps_what_was_typed(client, manager, draft) -> None:
    from tests.api.test_manager_pages import sign_in

    sign_in(client, manager)
    answer = client.get(f"/manager/rate-cards/{draft}/replay?since=2026-09-30&until=2026-09-01&with=x&scope=carriers")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="until-problem"' in html and 'id="with-problem"' in html and 'id="since-problem"' not in html
    assert 'value="2026-09-30"' in html and 'value="x"' in html
    assert 'id="totals"' not in html

    other = client.get(f"/manager/rate-cards/{draft}/replay?since=2026-09-01&until=2026-09-30&with=999999")
    assert other.status_code == 422 and 'id="with-problem"' in other.get_data(as_text=True)
    assert client.get("/manager/rate-cards/999999/replay").status_code == 404
