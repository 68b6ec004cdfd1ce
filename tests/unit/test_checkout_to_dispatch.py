"""One set of rules from checkout to dispatch: what the quote showed is what the planning runs keep.

Random warehouses (cut-off, handling days, working days, planning runs), random carriers (pickup
cut-off and days, transit, prices, fuel, tiers) and random order times. The shopper takes one of
the quote's options and the shop registers the order with that service and the latest date shown.
Then every planning run of the warehouse happens in turn, from the order's time on, until one
ships the order. The invariant (PRODUCT.md, "One set of rules"): an order planned without being
held ships on the quote's ships_on and is delivered no later than the latest date the quote
showed; every plan passes the independent checker; and the plan prices the shipment to the cent
as the quote priced the same parcel on the same service at the same volume.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from carriers.readers import read_json
from solvers.boxing import BoxType
from tms.domain.delivery import Warehouse, is_working_day
from tms.domain.orders import Address, Item, Order
from tms.domain.parcels import Parcel
from tms.domain.policy import Cart, ShippingPolicy, WarehouseCosts
from tms.domain.quotes import Destination, Promise, QuoteRequest
from tms.services.plan_check import check_plan
from tms.services.planning import PlanSettings, plan_orders
from tms.services.quoting import QuoteBook, WarehouseSetup, quote_order

PARIS = ZoneInfo("Europe/Paris")
BOX = BoxType("M", 350, 250, 180, 12_000, 55)
TIMES = [time(1, 0), time(2, 30), time(9, 0), time(12, 0), time(13, 0), time(15, 0), time(17, 30)]
WEEKDAY_SETS = [frozenset(range(5)), frozenset(range(6)), frozenset({0, 1, 2, 3}), frozenset({1, 2, 3, 4, 5})]
RUNS_SEARCHED_DAYS = 21


@st.composite
def warehouses(draw: st.DrawFn) -> Warehouse:
    return Warehouse(
        "W",
        order_cutoff=draw(st.sampled_from([time(10, 0), time(13, 0), time(15, 0), time(18, 0)])),
        handling_days=draw(st.integers(0, 2)),
        working_weekdays=draw(st.sampled_from(WEEKDAY_SETS)),
        planning_runs=tuple(draw(st.lists(st.sampled_from(TIMES), min_size=1, max_size=3, unique=True))),
    )


@st.composite
def cards(draw: st.DrawFn, carrier: str) -> dict:
    services, prices = [], []
    for i in range(draw(st.integers(1, 2))):
        code = f"S{i}"
        low = draw(st.integers(0, 3))
        services.append(
            {
                "code": code,
                "name": code,
                "mode": "home",
                "speed": "standard",
                "pickup_cutoff": draw(st.sampled_from(["12:00", "16:00", "17:00", "18:00"])),
                "pickup_days": draw(st.sampled_from(["Mon-Fri", "Mon-Sat", "Tue-Sat"])),
                "delivery_days": draw(st.sampled_from(["Mon-Fri", "Mon-Sat"])),
                "max_weight_kg": 30,
                "max_length_cm": None,
                "max_length_girth_cm": None,
                "max_dimensions_sum_cm": None,
                "volumetric_divisor": draw(st.sampled_from([None, 5000])),
                "transit": {"FR": [low, low + draw(st.integers(0, 3))]},
            }
        )
        bounds = sorted(draw(st.lists(st.integers(1, 30), min_size=1, max_size=3, unique=True)))
        costs = sorted(draw(st.lists(st.integers(200, 3000), min_size=len(bounds), max_size=len(bounds))))
        prices.append(
            {
                "service": code,
                "zone": "FR",
                "brackets": [{"to_kg": b, "price": c / 100} for b, c in zip(bounds, costs, strict=True)],
                "extra_kg_price": None,
            }
        )
    thresholds = sorted(draw(st.lists(st.integers(1, 40), max_size=2, unique=True)))
    return {
        "carrier": {"code": carrier, "name": carrier},
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "fuel_percent": draw(st.sampled_from([0, 12.5, 17.25])),
        "notes": "",
        "services": services,
        "zones": [{"code": "FR", "name": "France", "entries": [{"country": "FR", "postcodes": ""}]}],
        "prices": prices,
        "surcharges": [],
        "tiers": [{"min_parcels": t, "discount_percent": 3 * (n + 1)} for n, t in enumerate(thresholds)],
    }


def an_order(ordered_at: datetime, carrier: str, service: str, deliver_by: date) -> Order:
    return Order(
        order_ref="O",
        warehouse="W",
        ordered_at=ordered_at,
        address=Address("Léa Martin", "12 rue Neuve", "69003", "Lyon", "FR"),
        mode="home",
        items=(Item("SKU", 1_500, 200, 150, 80),),
        cart_value_cents=5_000,
        deliver_by=deliver_by,
        carrier=carrier,
        service=service,
    )


def planning_runs_after(warehouse: Warehouse, ordered_at: datetime) -> list[tuple[date, time]]:
    """Every run of the warehouse after the order, in time order, on its working days."""
    local = ordered_at.astimezone(PARIS)
    runs = []
    for offset in range(RUNS_SEARCHED_DAYS):
        day = local.date() + timedelta(days=offset)
        if not is_working_day(warehouse, day):
            continue
        runs += [(day, run) for run in warehouse.planning_runs if (day, run) > (local.date(), local.time())]
    return runs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_order_planned_without_being_held_ships_on_the_quoted_day_by_the_quoted_latest_date(data) -> None:
    warehouse = data.draw(warehouses())
    documents = [data.draw(cards(code)) for code in ["alpha", "bravo"][: data.draw(st.integers(1, 2))]]
    month = {doc["carrier"]["code"]: data.draw(st.integers(1, 45)) for doc in documents}
    setup = WarehouseSetup(warehouse, WarehouseCosts(0, 150, 200))
    book = QuoteBook.of_cards([read_json(d) for d in documents], ShippingPolicy(), [setup], month)
    ordered_at = datetime(2026, 3, 2, tzinfo=PARIS) + timedelta(minutes=data.draw(st.integers(0, 60 * 24 * 25)))
    # The parcel the plan will ship: the item in box M, so that the quote prices the same parcel.
    parcel = Parcel(1_500, BOX.inner_length_mm, BOX.inner_width_mm, BOX.inner_height_mm)
    quote = quote_order(
        book,
        QuoteRequest("O", ordered_at, Destination("FR", "69003"), (parcel,), Cart(5_000, "EUR"), Promise(), "W"),
    )
    assume(quote.options)
    chosen = data.draw(st.sampled_from(quote.options))
    order = an_order(ordered_at, chosen.carrier, chosen.service, chosen.latest)
    holding = data.draw(st.booleans())
    plan_settings = PlanSettings(box_types=(BOX,), holding=holding, time_limit_s=5, workers=1)
    # The plan counts its own parcel towards the tiers: one fewer shipped before it gives the quote's volume.
    shipped_before = {code: parcels - 1 for code, parcels in month.items()}

    held_before = False
    for day, run_at in planning_runs_after(warehouse, ordered_at):
        plan = plan_orders(book, [order], day, plan_settings, shipped_before, run_at=run_at)
        assert check_plan(book, [order], plan, plan_settings, shipped_before) == []
        assert "O" not in plan.unplannable, plan.unplannable
        shipped = [s for s in plan.shipped if "O" in s.orders]
        if not shipped:  # waiting for a later run, or held for one (then only the promise binds)
            held_before = held_before or "O" in plan.held_orders
            continue
        (shipment,) = shipped
        assert shipment.ships_on == day
        assert shipment.latest <= chosen.latest
        if not held_before:
            assert shipment.ships_on == chosen.ships_on
        same_service = next(o for o in quote.options if (o.carrier, o.service) == (shipment.carrier, shipment.service))
        if not held_before:
            assert shipment.transport_cents == same_service.cost.transport_cents
        assert held_before <= holding
        return
    raise AssertionError(f"no planning run shipped the order within {RUNS_SEARCHED_DAYS} days")
