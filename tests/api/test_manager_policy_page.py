"""The shipping-policy page: the policy in force in words, a form that replaces it whole as the
API's PUT does, the domain's rules checked whoever sets it, and nothing changed on error."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from tests.api.test_manager_pages import csrf_token, sign_in
from tests.fakes import FakeStore
from tms.domain.errors import InvalidInput
from tms.domain.policy import POLICY_LIST_MAX, Promotion, ShippingPolicy, policy_problems
from tms.services.policy import current_policy, set_policy

EMPTY = {
    "free_above": "",
    "free_tiers": "",
    "free_categories": "",
    "promotion_starts_on": "",
    "promotion_ends_on": "",
    "flat_price": "",
    "markup_percent": "",
    "margin_percent": "",
}


def post_policy(client, **fields: str):
    token = csrf_token(client, "/manager/shipping-policy")
    return client.post("/manager/shipping-policy", data={**EMPTY, **fields, "csrf_token": token})


def test_a_manager_sets_the_policy_on_the_page_and_the_api_reads_it_back(client, manager) -> None:
    sign_in(client, manager)
    assert 'href="/manager/shipping-policy"' in client.get("/manager/").get_data(as_text=True)  # in the menu
    done = post_policy(
        client,
        free_above="49,90",
        free_tiers="gold,  silver ,",
        free_categories="books",
        promotion_starts_on="2026-11-27",
        promotion_ends_on="2026-11-30",
        flat_price="4.9",
        margin_percent="35,5",
    )
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "quotes use it within a second" in page
    assert "Free from a cart of €49.90." in page and "Otherwise the shopper pays €4.90." in page
    assert "from 27 November 2026 to 30 November 2026" in page and "gold, silver" in page
    assert client.get("/api/v1/shipping-policy", headers=manager).get_json() == {
        "currency": "EUR",
        "free_always": False,
        "free_above": 49.9,
        "free_tiers": ["gold", "silver"],
        "promotion": {"starts_on": "2026-11-27", "ends_on": "2026-11-30"},
        "free_categories": ["books"],
        "flat_price": 4.9,
        "markup_percent": 0.0,
        "margin_percent": 35.5,
    }
    # The form shows the policy in force; sending it back unchanged changes nothing.
    again = client.get("/manager/shipping-policy").get_data(as_text=True)
    assert 'name="free_above" value="49.9"' in again and 'name="margin_percent" value="35.5"' in again
    shown = {
        **EMPTY,
        "free_above": "49.9",
        "free_tiers": "gold, silver",
        "free_categories": "books",
        "promotion_starts_on": "2026-11-27",
        "promotion_ends_on": "2026-11-30",
        "flat_price": "4.9",
        "markup_percent": "0",
        "margin_percent": "35.5",
    }
    before = client.get("/api/v1/shipping-policy", headers=manager).get_json()
    assert post_policy(client, **shown).status_code == 302
    assert client.get("/api/v1/shipping-policy", headers=manager).get_json() == before
    # Emptied, the form restores the defaults, as a PUT of {} does.
    assert post_policy(client, free_always="on").status_code == 302
    policy = client.get("/api/v1/shipping-policy", headers=manager).get_json()
    assert policy["free_always"] is True and policy["free_above"] is None and policy["margin_percent"] == 30.0
    assert "Shipping is always free." in client.get("/manager/shipping-policy").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"free_above": "lots"}, "free_above"),
        ({"free_above": "-1"}, "free_above"),
        ({"flat_price": "20000000"}, "flat_price"),
        ({"markup_percent": "1000,5"}, "markup_percent"),
        ({"margin_percent": "0"}, "margin_percent"),
        ({"margin_percent": "100.01"}, "margin_percent"),
        ({"promotion_starts_on": "2026-12-01", "promotion_ends_on": "2026-11-30"}, "promotion_ends_on"),
        ({"promotion_starts_on": "2026-12-01"}, "promotion_ends_on"),
        ({"promotion_ends_on": "2026-12-01"}, "promotion_starts_on"),
        ({"promotion_starts_on": "1 Dec", "promotion_ends_on": "2026-12-02"}, "promotion_starts_on"),
        ({"free_tiers": ", ".join(f"t{i}" for i in range(POLICY_LIST_MAX + 1))}, "free_tiers"),
        ({"free_categories": "x" * 65}, "free_categories"),
        ({"promotion_starts_on": "20261201", "promotion_ends_on": "2026-12-02"}, "promotion_starts_on"),
        ({"promotion_starts_on": "1999-12-31", "promotion_ends_on": "2026-12-02"}, "promotion_starts_on"),
    ],
)
def test_a_bad_policy_form_names_the_field_keeps_what_was_typed_and_changes_nothing(
    client, manager, fields, named
) -> None:
    sign_in(client, manager)
    assert client.put("/api/v1/shipping-policy", json={"free_above": 39}, headers=manager).status_code == 200
    before = client.get("/api/v1/shipping-policy", headers=manager).get_json()
    refused = post_policy(client, **fields)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert f"<strong>{named}</strong>" in html
    for name, typed in fields.items():
        if len(typed) < 100:
            assert f'name="{name}" value="{typed}"' in html
    assert client.get("/api/v1/shipping-policy", headers=manager).get_json() == before


def test_the_policys_rules_hold_whoever_sets_it() -> None:
    store = FakeStore()
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    good = ShippingPolicy(free_above_cents=3900, promotion=Promotion(date(2026, 12, 1), date(2026, 12, 1)))
    assert policy_problems(good) == []
    bad = ShippingPolicy(
        currency="USD",
        free_above_cents=-1,
        markup_bp=100_001,
        margin_rate_bp=0,
        promotion=Promotion(date(2026, 12, 2), date(2026, 12, 1)),
        free_tiers=frozenset({"gold", "\x07"}),
    )
    named = {p.field for p in policy_problems(bad)}
    assert named == {"currency", "free_above", "markup_percent", "margin_percent", "promotion.ends_on", "free_tiers"}
    set_policy(store.uow(), good, now=now, by="test")
    with pytest.raises(InvalidInput) as refused:
        set_policy(store.uow(), bad, now=now, by="test")
    assert {p.field for p in refused.value.problems} == named
    assert current_policy(store.uow()) == good  # nothing stored


def test_the_policy_page_speaks_french_by_default(client, manager) -> None:
    assert client.put("/api/v1/shipping-policy", json={"free_above": 49.9}, headers=manager).status_code == 200
    sign_in(client, manager, language=None)
    html = client.get("/manager/shipping-policy").get_data(as_text=True)
    assert "Politique de livraison en vigueur" in html
    assert "<li>Gratuite à partir d'un panier de 49,90\u00a0€.</li>" in html


def test_the_form_sends_back_exactly_the_policy_in_force(client, manager) -> None:
    """Amounts of any size and percentages to the hundredth survive the page: shown, sent back, unchanged."""
    sign_in(client, manager)
    policy = {"free_above": 12345.67, "flat_price": 9999999.99, "markup_percent": 12.34, "margin_percent": 0.01}
    assert client.put("/api/v1/shipping-policy", json=policy, headers=manager).status_code == 200
    before = client.get("/api/v1/shipping-policy", headers=manager).get_json()
    html = client.get("/manager/shipping-policy").get_data(as_text=True)
    shown = {name: re.search(rf'name="{name}" value="([^"]*)"', html).group(1) for name in EMPTY}
    assert shown["free_above"] == "12345.67" and shown["flat_price"] == "9999999.99"
    assert post_policy(client, **shown).status_code == 302
    assert client.get("/api/v1/shipping-policy", headers=manager).get_json() == before


def test_a_name_the_form_could_not_send_back_is_refused_by_the_api_too(client, manager) -> None:
    for tiers in (["gold, silver"], [" gold"]):
        response = client.put("/api/v1/shipping-policy", json={"free_tiers": tiers}, headers=manager)
        assert response.status_code == 422, tiers
        assert [e["field"] for e in response.get_json()["errors"]] == ["free_tiers"]
    assert client.get("/api/v1/shipping-policy", headers=manager).get_json()["free_tiers"] == []
