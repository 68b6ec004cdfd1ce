"""The quote's choices against brute force, and against the same choice solved as a CP-SAT model.

Random cards and orders: the cheapest option per mode and the recommended one
must equal an enumeration over every (carrier, service) that prices each one
on its own with the unindexed card, dates it, and keeps what fits the promise.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from carriers.pricing import NotServed, Parcel, price_on_card
from carriers.readers import read_json
from tests.documents import a_service_document
from tms.domain.delivery import CarrierSchedule, Warehouse, delivery_window, holiday_region
from tms.domain.policy import Cart, ShippingPolicy, WarehouseCosts
from tms.domain.quotes import Destination, Promise, QuoteRequest
from tms.services.quoting import QuoteBook, WarehouseSetup, quote_order

WAREHOUSE = WarehouseSetup(Warehouse("PAR1"), WarehouseCosts(50, 150, 200))
POSTCODES = ["75001", "69003", "20000", "20290", "13001", "97110", "67000", "57000", "97400"]
MODES = ["home", "pickup_point", "locker"]


@st.composite
def cards(draw: st.DrawFn, carrier: str) -> dict:
    zones = [
        {"code": "FR", "name": "France", "entries": [{"country": "FR", "postcodes": ""}]},
        {"code": "COR", "name": "Corsica", "entries": [{"country": "FR", "postcodes": "20"}]},
    ]
    services, prices = [], []
    for i in range(draw(st.integers(1, 3))):
        code = f"S{i}"
        served = draw(st.lists(st.sampled_from(["FR", "COR"]), min_size=1, max_size=2, unique=True))
        transit = {}
        for zone in served:
            low = draw(st.integers(0, 4))
            transit[zone] = [low, low + draw(st.integers(0, 3))]
        services.append(
            {
                "code": code,
                "name": code,
                "mode": draw(st.sampled_from(MODES)),
                "speed": "standard",
                "pickup_cutoff": f"{draw(st.integers(12, 19))}:00",
                "pickup_days": draw(st.sampled_from(["Mon-Fri", "Mon-Sat"])),
                "delivery_days": draw(st.sampled_from(["Mon-Fri", "Mon-Sat"])),
                "max_weight_kg": draw(st.sampled_from([5, 10, 30])),
                "max_length_cm": draw(st.sampled_from([None, 60, 100])),
                "max_length_girth_cm": None,
                "max_dimensions_sum_cm": None,
                "volumetric_divisor": draw(st.sampled_from([None, 5000])),
                "transit": transit,
            }
        )
        for zone in served:
            bounds = sorted(draw(st.lists(st.integers(1, 30), min_size=1, max_size=4, unique=True)))
            costs = sorted(draw(st.lists(st.integers(200, 3000), min_size=len(bounds), max_size=len(bounds))))
            prices.append(
                {
                    "service": code,
                    "zone": zone,
                    "brackets": [{"to_kg": b, "price": c / 100} for b, c in zip(bounds, costs, strict=True)],
                    "extra_kg_price": draw(st.sampled_from([None, 1.5])),
                }
            )
    return {
        "carrier": {"code": carrier, "name": carrier},
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "fuel_percent": draw(st.sampled_from([0, 12.5])),
        "notes": "",
        "services": services,
        "zones": zones,
        "prices": prices,
        "surcharges": [
            {
                "kind": "remote_area",
                "name": "Islands",
                "amount": 3.0,
                "services": [],
                "areas": [{"country": "FR", "postcodes": "202"}],
            },
            {
                "kind": "oversize",
                "name": "Bulky",
                "amount": 7.5,
                "services": draw(st.sampled_from([[], ["S0"]])),
                "min_length_cm": draw(st.sampled_from([50, 90])),
                "min_length_girth_cm": None,
                "min_weight_kg": draw(st.sampled_from([None, 15])),
            },
        ],
        "tiers": [],
    }


@st.composite
def orders(draw: st.DrawFn) -> QuoteRequest:
    ordered_at = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 300)))
    parcels = tuple(
        Parcel(
            draw(st.integers(50, 32_000)),
            draw(st.integers(50, 1200)),
            draw(st.integers(50, 500)),
            draw(st.integers(20, 400)),
        )
        for _ in range(draw(st.integers(1, 2)))
    )
    deliver_by = ordered_at.date() + timedelta(days=draw(st.integers(1, 12)))
    modes = draw(st.sampled_from([None, frozenset({"home"}), frozenset({"pickup_point", "locker"})]))
    return QuoteRequest(
        order_ref="R",
        ordered_at=ordered_at,
        destination=Destination("FR", draw(st.sampled_from(POSTCODES))),
        parcels=parcels,
        cart=Cart(draw(st.integers(0, 10_000))),
        promise=Promise(deliver_by=deliver_by),
        modes=modes,
    )


def brute_force(documents: list[dict], request: QuoteRequest) -> list[tuple[int, date, str, str, str]]:
    """Every feasible (total cost, latest, carrier, service, mode), found service by service."""
    found = []
    for document in documents:
        card = read_json(document)
        for service in card.services:
            if request.modes is not None and service.mode.value not in request.modes:
                continue
            zone = most_specific_zone(card, request.destination.postcode)
            if zone is None or zone not in service.transit:
                continue
            price = price_on_card(
                card,
                service.code,
                "FR",
                request.destination.postcode,
                request.parcels,
                fuel_bp=card.fuel_bp,
                parcels_this_month=0,
            )
            if isinstance(price, NotServed):
                continue
            transit = service.transit[zone]
            schedule = CarrierSchedule(service.pickup_cutoff, service.pickup_weekdays, service.delivery_weekdays)
            postcode = request.destination.postcode
            window = delivery_window(
                request.ordered_at,
                WAREHOUSE.warehouse,
                schedule,
                transit.min_days,
                transit.max_days,
                "FR",
                holiday_region("FR", postcode),
            )
            if window.latest > request.promise.deliver_by:
                continue
            total = price.total_cents + 50 * len(request.parcels) + 150 + 200
            found.append((total, window.latest, card.carrier_code, service.code, service.mode.value))
    return sorted(found)


def most_specific_zone(card, postcode: str) -> str | None:
    matches = [(e.specificity(), z.code) for z in card.zones for e in z.entries if e.matches("FR", postcode)]
    return max(matches)[1] if matches else None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_quotes_choices_equal_a_brute_force_enumeration(data: st.DataObject) -> None:
    carriers = ["alpha", "bravo", "charlie"][: data.draw(st.integers(1, 3))]
    documents = [data.draw(cards(code)) for code in carriers]
    request = data.draw(orders())
    markup_percent = data.draw(st.sampled_from([0, 15, 33]))
    policy = ShippingPolicy(markup_bp=markup_percent * 100)  # no free shipping: the cost plus a markup
    book = QuoteBook.of_cards([read_json(d) for d in documents], policy, [WAREHOUSE])

    quote = quote_order(book, request)
    expected = brute_force(documents, request)

    assert [(o.cost.total_cents, o.latest, o.carrier, o.service, o.mode) for o in quote.options] == expected
    for option in quote.options:  # the markup rounded half up to the cent
        exact = Fraction(option.cost.total_cents * (100 + markup_percent), 100)
        assert option.customer_price_cents == math.floor(exact + Fraction(1, 2))
    for mode in MODES:
        best = next((e for e in expected if e[4] == mode), None)
        chosen = quote.cheapest[mode]
        assert (None if chosen is None else (chosen.cost.total_cents, chosen.carrier, chosen.service)) == (
            None if best is None else (best[0], best[2], best[3])
        )
    recommended = quote.recommended
    assert (None if recommended is None else (recommended.carrier, recommended.service)) == (
        None if not expected else (expected[0][2], expected[0][3])
    )
    considered = sum(1 for d in documents for s in d["services"] if request.modes is None or s["mode"] in request.modes)
    assert len(quote.options) + len(quote.excluded) == considered


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_column_wise_and_the_lane_by_lane_paths_give_the_same_quote(data: st.DataObject) -> None:
    # A mode filter that keeps every mode sends each lane through the lane-by-lane path; without a filter, a
    # single parcel within every limit and bracket is priced column-wise. Both must give the same quote.
    documents = [data.draw(cards(code)) for code in ["alpha", "bravo"]]
    request = data.draw(orders())
    book = QuoteBook.of_cards([read_json(d) for d in documents], ShippingPolicy(markup_bp=1500), [WAREHOUSE])
    every_mode = request._replace(modes=frozenset(MODES))
    unfiltered = request._replace(modes=None)

    assert quote_order(book, every_mode) == quote_order(book, unfiltered)


def a_france_card(carrier: str, services: list[tuple[dict, int, float]], fuel_percent: float = 10) -> dict:
    """A card of one zone, the whole of France; each service with one bracket (up to kg, price)."""
    return {
        "carrier": {"code": carrier, "name": carrier},
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "fuel_percent": fuel_percent,
        "notes": "",
        "services": [service for service, _, _ in services],
        "zones": [{"code": "FR", "name": "France", "entries": [{"country": "FR", "postcodes": ""}]}],
        "prices": [
            {"service": s["code"], "zone": "FR", "brackets": [{"to_kg": kg, "price": price}], "extra_kg_price": None}
            for s, kg, price in services
        ],
        "surcharges": [],
        "tiers": [],
    }


def test_the_cheapest_choice_solved_as_a_cp_sat_model_is_the_recommended_option() -> None:
    # A fixed, readable instance: three carriers with overlapping services.
    rng_cards = []
    for carrier, home, relay in [("alpha", 6.10, 4.80), ("bravo", 5.95, 4.95), ("charlie", 7.00, 4.20)]:
        relay_service = a_service_document(
            "RELAY", "pickup_point", speed="economy", delivery_days="Tue-Sat", max_weight_kg=20, transit={"FR": [2, 4]}
        )
        rng_cards.append(
            a_france_card(carrier, [(a_service_document("HOME", "home"), 30, home), (relay_service, 20, relay)])
        )
    book = QuoteBook.of_cards([read_json(d) for d in rng_cards], ShippingPolicy(), [WAREHOUSE])
    request = QuoteRequest(
        "R",
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        Destination("FR", "69003"),
        (Parcel(2000, 300, 200, 100),),
        Cart(3000),
        Promise(deliver_by=date(2026, 3, 10)),
    )
    quote = quote_order(book, request)

    model = cp_model.CpModel()
    chosen = [model.new_bool_var(f"x{i}") for i in range(len(quote.options))]
    model.add_exactly_one(chosen)
    model.minimize(sum(o.cost.total_cents * x for o, x in zip(quote.options, chosen, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10
    assert solver.solve(model) == cp_model.OPTIMAL
    pick = next(o for o, x in zip(quote.options, chosen, strict=True) if solver.value(x))

    assert quote.recommended is not None
    assert int(solver.objective_value) == quote.recommended.cost.total_cents
    assert pick.cost.total_cents == quote.recommended.cost.total_cents
    # charlie's relay: 4.20 + 10 % fuel = 4.62 transport, + 4.00 of warehouse costs
    assert (quote.recommended.carrier, quote.recommended.service, quote.recommended.cost.total_cents) == (
        "charlie",
        "RELAY",
        862,
    )


def test_consignee_keys_ignore_case_accents_and_punctuation_but_keep_every_script() -> None:
    from tms.domain.consignees import folded as normalise_text

    assert normalise_text("12, rue de l'Église") == normalise_text("12 RUE DE L EGLISE") == "12 RUE DE L EGLISE"
    assert normalise_text("Οδός Ερμού 10") != normalise_text("Οδός Αθηνάς 10")
    assert normalise_text("ул. Тверская, 7") == "УЛ ТВЕРСКАЯ 7"


def test_a_service_never_picked_up_on_a_working_day_is_excluded_not_an_error() -> None:
    saturday_lockers = a_service_document("SATLOCK", "locker", pickup_days="Sat")
    document = a_france_card("alpha", [(a_service_document("HOME", "home"), 30, 6.0), (saturday_lockers, 30, 6.0)], 0)
    book = QuoteBook.of_cards([read_json(document)], ShippingPolicy(), [WAREHOUSE])  # PAR1 works Mon-Fri
    light, heavy = Parcel(1000, 100, 100, 100), Parcel(31_000, 100, 100, 100)
    request = QuoteRequest(
        "R", datetime(2026, 3, 2, 9, tzinfo=UTC), Destination("FR", "75001"), (light,), Cart(1000), Promise()
    )

    quote = quote_order(book, request)
    assert [o.service for o in quote.options] == ["HOME"]
    assert [(e.service, e.reason) for e in quote.excluded] == [("SATLOCK", "no_pickup")]
    # A refusal on price is the reason given first; a mode filter leaves the other service out entirely.
    heavy_quote = quote_order(book, request._replace(parcels=(heavy,)))
    assert [(e.service, e.reason) for e in heavy_quote.excluded] == [("HOME", "overweight"), ("SATLOCK", "overweight")]
    home_only = quote_order(book, request._replace(modes=frozenset({"home"})))
    assert ([o.service for o in home_only.options], home_only.excluded) == (["HOME"], ())
