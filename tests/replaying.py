"""Builders of a replay's inputs: past shipments written through a unit of work as a run writes them
(its orders, the run, the shipment's document, the orders planned in it), and the cards they meet."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from carriers.readers import read_json
from solvers.boxing import BoxType
from tests.documents import a_service_document
from tms.domain.modes import DeliveryMode
from tms.domain.orders import Address, Item, Order
from tms.domain.plans import PlannedShipment, shipment_document
from tms.domain.rate_cards import RateCardRecord
from tms.services.rate_cards import store_rate_card
from tms.services.unit_of_work import UnitOfWork

BOXES = (BoxType("S", 250, 180, 100, 5_000, 35), BoxType("M", 350, 250, 180, 12_000, 55))
STAMP = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
LYON = ("69003", "Lyon")
PARIS = ("75011", "Paris")
AJACCIO = ("20000", "Ajaccio")


def a_grid(service: str, zone: str, *brackets: tuple[float, float]) -> dict[str, Any]:
    return {
        "service": service,
        "zone": zone,
        "extra_kg_price": None,
        "brackets": [{"to_kg": kg, "price": price} for kg, price in brackets],
    }


def the_current_card(code: str = "colissimo") -> dict[str, Any]:
    """What the shipments were planned on: HOME everywhere in France, 6.00 up to 2 kg, 10.00 up to 30 kg."""
    return {
        "carrier": {"code": code, "name": code.title()},
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "fuel_percent": 0,
        "notes": "",
        "services": [
            a_service_document("HOME", "home", transit={"FR": [1, 2]}),
            a_service_document("RELAY", "pickup_point", transit={"FR": [2, 3]}),
        ],
        "zones": [{"code": "FR", "name": "France", "entries": [{"country": "FR", "postcodes": ""}]}],
        "prices": [a_grid("HOME", "FR", (2, 6.0), (30, 10.0)), a_grid("RELAY", "FR", (2, 4.5), (30, 8.5))],
        "surcharges": [],
        "tiers": [],
    }


def an_offer(code: str = "colissimo", *, valid_from: str = "2027-01-01") -> dict[str, Any]:
    """A new offer: Lyon and Paris only (no Corsica), fuel 10 %, 10 % off from 3 parcels a month. Its
    services: DOM (home, standard), ECO (home, economy: slower, cheaper), SIGN (home, standard,
    signed: dearer); no service named HOME, none to pickup points."""
    transit = {"LYON": [1, 2], "PARIS": [1, 2]}
    return {
        "carrier": {"code": code, "name": code.title()},
        "currency": "EUR",
        "valid_from": valid_from,
        "fuel_percent": 10,
        "notes": "",
        "services": [
            a_service_document("DOM", "home", transit=transit),
            a_service_document("ECO", "home", speed="economy", transit=transit),
            a_service_document("SIGN", "home", signature=True, transit=transit),
        ],
        "zones": [
            {"code": "LYON", "name": "Lyon", "entries": [{"country": "FR", "postcodes": "69"}]},
            {"code": "PARIS", "name": "Paris", "entries": [{"country": "FR", "postcodes": "75"}]},
        ],
        "prices": [
            a_grid("DOM", "LYON", (1, 4.0), (5, 5.0)),
            a_grid("DOM", "PARIS", (1, 4.5), (5, 6.0)),
            a_grid("ECO", "LYON", (1, 1.0), (5, 1.5)),
            a_grid("ECO", "PARIS", (1, 1.0), (5, 1.5)),
            a_grid("SIGN", "LYON", (1, 5.0), (5, 6.0)),
            a_grid("SIGN", "PARIS", (1, 5.5), (5, 7.0)),
        ],
        "surcharges": [],
        "tiers": [{"min_parcels": 3, "discount_percent": 10}],
    }


def a_stored_card(uow: UnitOfWork, document: dict[str, Any], *, activate: bool = True) -> RateCardRecord:
    outcome = store_rate_card(
        uow,
        read_json(document),
        source_format="json",
        source_name="test.json",
        uploaded_by="test",
        activate=activate,
        now=STAMP,
    )
    return outcome.record


class PastShipments:
    """Writes past shipments, each with its own run and orders: `add(day, place, [[g, g], [g]])` ships one
    order whose items (one per weight) travel in boxes S, one box per inner list."""

    def __init__(self, uow: UnitOfWork, card: RateCardRecord, carrier: str = "colissimo") -> None:
        self.uow = uow
        self.card = card
        self.carrier = carrier
        self.count = 0

    def add(
        self,
        day: date,
        place: tuple[str, str],
        boxes: list[list[int]],
        *,
        transport_cents: int,
        service: str = "HOME",
        mode: str = "home",
        pickup_point_id: str | None = None,
        box: str = "S",
    ) -> int:
        self.count += 1
        ref = f"{self.carrier}-{self.count}"
        weights = [w for content in boxes for w in content]
        items = tuple(Item(f"SKU-{n}", w, 200, 150, 80) for n, w in enumerate(weights))
        order = Order(
            order_ref=ref,
            warehouse="PAR1",
            ordered_at=datetime.combine(day, time(8), tzinfo=UTC),
            address=Address("Léa Martin", f"{self.count} rue Neuve", place[0], place[1], "FR"),
            mode=DeliveryMode(mode),
            items=items,
            cart_value_cents=5000,
            carrier=self.carrier if pickup_point_id else None,
            pickup_point_id=pickup_point_id,
        )
        placed = []
        n = 0
        for content in boxes:
            placed.append((box, tuple(f"{ref}/{n + k}/0" for k in range(len(content)))))
            n += len(content)
        planned = PlannedShipment(
            orders=(ref,),
            carrier=self.carrier,
            service=service,
            mode=mode,
            ships_on=day,
            earliest=day,
            latest=day,
            parcels=len(boxes),
            weight_g=sum(weights),
            boxes=tuple(placed),
            transport_cents=transport_cents,
            packaging_cents=35 * len(boxes),
            other_cents=350,
            cost_cents=transport_cents + 35 * len(boxes) + 350,
            rate_card_id=self.card.id,
            rate_card_version=self.card.version,
            held=False,
        )
        with self.uow:
            self.uow.orders.add(order, STAMP)
            run_id = self.uow.runs.add(
                shipping_date=day,
                warehouse=f"PAR1-{self.carrier}",  # a run slot per carrier's builder
                run_at=f"{self.count // 60 % 24:02d}:{self.count % 60:02d}",
                status="succeeded",
                trigger="test",
                started_at=STAMP,
                finished_at=STAMP,
                summary={},
            )
            shipment_id = self.uow.runs.add_shipment(
                run_id=run_id,
                ships_on=day,
                carrier=self.carrier,
                service=service,
                mode=mode,
                parcels=planned.parcels,
                weight_g=planned.weight_g,
                cost_cents=planned.cost_cents,
                rate_card_id=self.card.id,
                detail=shipment_document(planned),
            )
            self.uow.orders.plan([ref], run_id, shipment_id)
            self.uow.commit()
        return shipment_id
