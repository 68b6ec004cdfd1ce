"""The consignee: the same person at the same place, however it is written (PRODUCT.md, "Consignee")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tms.domain.consignees import address_identity, pickup_identity
from tms.domain.orders import Address, Item, Order


def an_order(name: str = "Léa Martin", line1: str = "41 rue Saint-Honoré", **changes: object) -> Order:
    city = changes.pop("city", "Paris")
    postcode = changes.pop("postcode", "75001")
    return Order(
        order_ref="A",
        warehouse="PAR1",
        ordered_at=datetime(2026, 3, 2, tzinfo=UTC),
        address=Address(name, line1, str(postcode), str(city), str(changes.pop("country", "FR"))),
        mode=str(changes.pop("mode", "home")),
        items=(Item("SKU", 1000, 200, 150, 80),),
        cart_value_cents=5000,
        **changes,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("name", "line1"),
    [
        ("Léa Martin", "41 rue Saint-Honoré"),
        ("LEA MARTIN", "41, Rue Saint Honoré"),
        ("Martin Léa", "41 r. St-Honoré"),
        ("Mme Léa Martin", "41 R SAINT-HONORE"),
        ("  léa   martin ", "41 rue st honore"),
    ],
)
def test_one_consignee_written_several_ways_has_one_identity(name: str, line1: str) -> None:
    assert an_order(name, line1).consignee_key == an_order().consignee_key


@pytest.mark.parametrize(
    ("written", "same_as"),
    [
        ("12 av. Jean Jaurès", "12 avenue Jean-Jaurès"),
        ("3 bd de la Villette", "3 boulevard de la Villette"),
        ("8 fbg Saint-Antoine", "8 faubourg St Antoine"),
        ("5 imp. des Lilas", "5 impasse des Lilas"),
        ("2 pl. Bellecour", "2 place Bellecour"),
        ("14 chem. du Moulin", "14 chemin du Moulin"),
        ("7 rte de Lyon", "7 route de Lyon"),
        ("41bis rue Neuve", "41 bis rue Neuve"),
        ("9 ste Catherine", "9 Sainte-Catherine"),
    ],
)
def test_french_street_abbreviations_are_the_words_they_stand_for(written: str, same_as: str) -> None:
    assert an_order(line1=written).consignee_key == an_order(line1=same_as).consignee_key


@pytest.mark.parametrize(
    "other",
    [
        {"name": "Paul Martin"},
        {"line1": "43 rue Saint-Honoré"},
        {"line1": "41 rue Sainte-Honorée"},
        {"postcode": "75008"},
        {"city": "Lyon"},
    ],
)
def test_another_person_or_place_is_another_consignee(other: dict[str, str]) -> None:
    assert an_order(**other).consignee_key != an_order().consignee_key


def test_abbreviations_are_read_as_french_only_where_addresses_are_written_in_french() -> None:
    # "St" is "Saint" in Paris but may be "Street" elsewhere: it stays as written.
    assert address_identity("A B", "1 St James", "10001", "York", "GB") != address_identity(
        "A B", "1 Saint James", "10001", "York", "GB"
    )
    assert address_identity("A B", "1 St Jacques", "1000", "Bruxelles", "BE") == address_identity(
        "A B", "1 Saint Jacques", "1000", "Bruxelles", "BE"
    )


def test_at_a_pickup_point_only_the_same_person_shares_a_parcel() -> None:
    lea = an_order(mode="pickup_point", carrier="mondial_relay", pickup_point_id="fr-012345")
    lea_again = an_order(
        "Martin Léa", "another line", mode="pickup_point", carrier="mondial_relay", pickup_point_id=" FR-012345 "
    )
    paul = an_order("Paul Durand", mode="pickup_point", carrier="mondial_relay", pickup_point_id="FR-012345")
    other_network = an_order(mode="pickup_point", carrier="dpd", pickup_point_id="FR-012345")
    assert lea.consignee_key == lea_again.consignee_key == pickup_identity("mondial_relay", "FR-012345", "Lea Martin")
    assert paul.consignee_key != lea.consignee_key
    assert other_network.consignee_key != lea.consignee_key
