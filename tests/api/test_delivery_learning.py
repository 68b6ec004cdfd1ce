"""Delivery times learned, through the API: once deliveries are recorded, a quote's options carry
their lane's on-time probability and observed days, and the recommendation may skip a late one.

Two carriers with the same card transit (2 business days in mainland France, home): acme at 6.00,
swift at 7.00. In February, 30 acme parcels took 4 business days (Mon 16 -> Fri 20) and 30 swift
parcels 2 (Mon 16 -> Wed 18). A quote on Monday 2 March, promised by Wednesday 4 March (2 business
days after the Monday pickup), ships both on the Monday.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.api.test_quotes import a_card, a_grid, a_service, an_order
from tms.app import create_app
from tms.bootstrap import Container
from tms.domain.orders import Address, Item, Order
from tms.domain.tracking import EventKind, TrackingEvent
from tms.services.quoting import deliveries_signature, quote_inputs_signature
from tms.services.tracking import record_events
from tms.settings import load_settings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PICKED_UP = datetime(2026, 2, 16, 17, 0, tzinfo=UTC)  # Monday
DELIVERED = {"acme": datetime(2026, 2, 20, 11, 0, tzinfo=UTC), "swift": datetime(2026, 2, 18, 11, 0, tzinfo=UTC)}
PARCELS = 30  # learning.min_deliveries by default


def swift_card() -> dict[str, Any]:
    return a_card(
        "swift",
        services=[a_service("HOME", "home")],
        prices=[a_grid("HOME", "FR", [(2, 7.00), (10, 9.50)])],
    )


def deliver_history(container: Container, carrier: str) -> None:
    """One February shipment of 30 parcels to Lyon, each picked up and delivered as the module says."""
    record_deliveries(container, carrier, ship_history(container, carrier))


def ship_history(container: Container, carrier: str) -> list[str]:
    """The February run and its shipment of 30 parcels to Lyon, dispatched: their tracking numbers."""
    numbers = [f"{carrier[:2].upper()}{n:04d}" for n in range(PARCELS)]
    with container.uow() as uow:
        card = uow.rate_cards.list(carrier_code=carrier)[0]
        run_id = uow.runs.add(
            shipping_date=date(2026, 2, 16),
            warehouse="PAR1",
            run_at="02:30" if carrier == "acme" else "15:00",
            status="succeeded",
            trigger="test",
            started_at=NOW,
            finished_at=NOW,
            summary={},
        )
        shipment_id = uow.runs.add_shipment(
            run_id=run_id,
            ships_on=date(2026, 2, 16),
            carrier=carrier,
            service="HOME",
            mode="home",
            parcels=PARCELS,
            weight_g=30_000,
            cost_cents=18_000,
            rate_card_id=card.id,
            detail={},
        )
        order = Order(
            order_ref=f"H-{carrier}",
            warehouse="PAR1",
            ordered_at=datetime(2026, 2, 15, 10, 0, tzinfo=UTC),
            address=Address("Léa Martin", "12 rue Neuve", "69003", "Lyon", "FR"),
            mode="home",
            items=(Item("BOOK", 1000, 200, 150, 30, quantity=PARCELS),),
            cart_value_cents=50_000,
        )
        uow.orders.add(order, NOW)
        uow.orders.plan([order.order_ref], run_id, shipment_id)
        uow.shipments.dispatch(shipment_id, numbers, NOW)
        uow.commit()
    return numbers


def record_deliveries(container: Container, carrier: str, numbers: list[str]) -> None:
    """The carrier's events for those parcels: picked up and delivered as the module says."""
    events = [
        TrackingEvent(carrier, number, code, kind, at)
        for number in numbers
        for code, kind, at in (
            ("PCH", EventKind.PICKED_UP, PICKED_UP),
            ("LIV", EventKind.DELIVERED, DELIVERED[carrier]),
        )
    ]
    record_events(container.uow(), events, source="poll", now=NOW)


def options_by_carrier(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["carrier"]: o for o in document["options"] if o["mode"] == "home"}


def a_quote(client: FlaskClient, checkout: dict[str, str], **changes: Any) -> dict[str, Any]:
    body = an_order(promise={"deliver_by": "2026-03-04"}, **changes)
    response = client.post("/api/v1/quotes", json=body, headers=checkout)
    assert response.status_code == 200, response.get_json()
    document: dict[str, Any] = response.get_json()
    return document


def test_a_quote_carries_the_lanes_learned_figures_once_deliveries_are_recorded(
    client: FlaskClient, checkout: dict[str, str], cards: Any, container: Container
) -> None:
    cards(a_card(), swift_card())
    before = options_by_carrier(a_quote(client, checkout))
    assert before["acme"]["on_time_probability"] is None and before["acme"]["observed"] is None

    deliver_history(container, "acme")
    deliver_history(container, "swift")
    container.quote_book.refresh()
    document = a_quote(client, checkout)
    options = options_by_carrier(document)
    assert options["acme"]["delivery"]["latest"] == "2026-03-04"  # the card's transit still dates the option
    assert options["acme"]["on_time_probability"] == 0.0
    assert options["acme"]["observed"] == {"p50_days": 4, "p90_days": 4, "deliveries": PARCELS}
    assert options["swift"]["on_time_probability"] == 1.0
    assert options["swift"]["observed"] == {"p50_days": 2, "p90_days": 2, "deliveries": PARCELS}
    assert document["recommended"]["carrier"] == "acme"  # the setting is off by default: the cheapest

    # Without a promise, the probability is that of arriving by the option's own latest date.
    response = client.post("/api/v1/quotes", json=an_order(promise=None), headers=checkout)
    assert options_by_carrier(response.get_json())["acme"]["on_time_probability"] == 0.0
    # acme's relay service has no deliveries: no figures, its card's transit stands
    relay = next(o for o in response.get_json()["options"] if o["carrier"] == "acme" and o["mode"] == "pickup_point")
    assert (relay["on_time_probability"], relay["observed"]) == (None, None)

    summary = client.post("/api/v1/quotes", json={**an_order(promise=None), "view": "summary"}, headers=checkout)
    assert summary.get_json()["cheapest"]["home"]["observed"]["deliveries"] == PARCELS


@pytest.fixture()
def strict_container(container_with: Callable[[dict[str, Any]], Container]) -> Container:
    return container_with({"quote_min_on_time_probability": 0.8})


def test_the_recommendation_skips_an_option_below_the_minimum_on_time_probability(
    client: FlaskClient, checkout: dict[str, str], cards: Any, container: Container, strict_container: Container
) -> None:
    cards(a_card(), swift_card())
    deliver_history(container, "acme")
    deliver_history(container, "swift")
    strict_client = create_app(container=strict_container).test_client()
    document = a_quote(strict_client, checkout, modes=["home"])
    assert document["recommended"]["carrier"] == "swift"
    assert document["cheapest"]["home"]["carrier"] == "acme"  # the cheapest stays the cheapest
    assert document["options"][0]["carrier"] == "acme"


def test_a_minimum_on_time_probability_outside_0_to_1_is_refused_at_startup(engine: Engine, database_url: str) -> None:
    settings = load_settings({"database_url": database_url, "quote_min_on_time_probability": 1.5})
    with pytest.raises(ValueError, match="min_on_time_probability"):
        Container(settings=settings, engine=engine)


def test_a_recorded_delivery_changes_the_deliveries_signature_not_the_inputs_one(
    cards: Any, container: Container
) -> None:
    cards(a_card())
    numbers = ship_history(container, "acme")
    today = container.today()
    inputs, delivered = quote_inputs_signature(container.uow(), today), deliveries_signature(container.uow())
    record_deliveries(container, "acme", numbers)
    assert deliveries_signature(container.uow()) != delivered
    assert deliveries_signature(container.uow()) == deliveries_signature(container.uow())  # nothing new: the same
    assert quote_inputs_signature(container.uow(), today) == inputs  # a delivery alone waits for learning.refresh_s
    assert quote_inputs_signature(container.uow(), today + timedelta(days=1)) != inputs  # deliveries age


def test_a_delivery_reaches_the_quotes_at_the_next_poll_with_an_interval_of_0_and_waits_for_it_by_default(
    checkout: dict[str, str], cards: Any, container: Container, container_with: Callable[[dict[str, Any]], Container]
) -> None:
    cards(a_card())
    numbers = ship_history(container, "acme")
    container.quote_book.refresh()
    eager = container_with({"learning_refresh_s": 0})
    eager_client = create_app(container=eager).test_client()
    assert options_by_carrier(a_quote(eager_client, checkout))["acme"]["observed"] is None
    record_deliveries(container, "acme", numbers)
    assert container.quote_book.check() is False  # learning.refresh_s = 60: the book built just now stays
    deadline = time.monotonic() + 10
    while options_by_carrier(a_quote(eager_client, checkout))["acme"]["observed"] is None:
        assert time.monotonic() < deadline, "the delivery never reached the quotes"
        time.sleep(0.05)
    assert options_by_carrier(a_quote(eager_client, checkout))["acme"]["observed"] == {
        "p50_days": 4,
        "p90_days": 4,
        "deliveries": PARCELS,
    }
