"""The points a quote offers are the same whether the index worked them out for this quote or
answers from what earlier quotes to the place worked out (`PointIndex.shortlists_near`): one index
shared by every quote here is compared with a new, empty one built from the same directories.

The directories are seeded: around Lyon, more points than a quote's candidates (so that the nearest
24 are a cut), relays and lockers with weight, length and compartment limits, shop hours, and
closures in the weeks the orders are delivered in.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from itertools import permutations

from hypothesis import given, settings
from hypothesis import strategies as st

from carriers.readers import read_json
from tests.documents import a_service_document
from tests.unit.test_quoting import WAREHOUSE, a_france_card
from tms.domain.parcels import Parcel
from tms.domain.pickup_points import LOOKAHEAD_DAYS, DirectoryRecord, DirectoryStatus, PickupPoint, PointKind
from tms.domain.policy import Cart, ShippingPolicy
from tms.domain.quotes import Destination, Promise, QuoteRequest
from tms.services.pickup_points import CarrierPoints, PointIndex
from tms.services.quoting import QuoteBook, quote_order

LYON = (45.7640, 4.8357)
POSTCODES = ("69001", "69002", "69003", "69004")
WITH_DIRECTORY = ("alpha", "bravo")
CARRIERS = (*WITH_DIRECTORY, "charlie")  # charlie has no directory in use
MONDAY = datetime(2026, 3, 2, 7, tzinfo=UTC)
SHOP = ((540, 750), (840, 1140))
HOURS = (
    (SHOP,) * 5 + (((540, 750),), ()),  # Monday to Saturday morning
    (((480, 1200),),) * 6 + ((),),  # Monday to Saturday
    (((0, 1440),),) * 7,  # always open
    ((), (SHOP,), (), (SHOP,), (), (), ()),  # Tuesdays and Thursdays
    ((),) * 7,  # never open
)

COMPARTMENTS = (((80, 380, 640), (390, 380, 640)), ((80, 380, 640), (150, 300, 450)))  # mm, as given


def a_directory(rng: random.Random, carrier: str) -> list[PickupPoint]:
    points = []
    for n in range(80):
        locker = rng.random() < 0.3
        first = date(2026, 3, 2) + timedelta(days=rng.randint(0, 40))
        closures = ((first, first + timedelta(days=rng.randint(0, 10))),) if rng.random() < 0.25 else ()
        points.append(
            PickupPoint(
                f"{carrier[0].upper()}{n:03d}",
                f"Point {n}",
                f"{n} rue Garibaldi",
                rng.choice(POSTCODES),
                "Lyon",
                "FR",
                round(LYON[0] + rng.gauss(0, 0.03), 6),
                round(LYON[1] + rng.gauss(0, 0.04), 6),
                PointKind.LOCKER if locker else PointKind.RELAY,
                HOURS[2] if locker and rng.random() < 0.8 else rng.choice(HOURS),
                closures,
                max_weight_g=rng.choice((None, 5000, 20000)),
                max_length_mm=rng.choice((None, 600, 1000)),
                compartments_mm=rng.choice(COMPARTMENTS) if locker and rng.random() < 0.7 else (),
            )
        )
    return points


def directories() -> list[CarrierPoints]:
    rng = random.Random(5)
    found = []
    for number, carrier in enumerate(WITH_DIRECTORY, 1):
        record = DirectoryRecord(
            number, carrier, 1, DirectoryStatus.ACTIVE, "", 80, "json", "", MONDAY, "", MONDAY, None, {}
        )
        found.append(CarrierPoints(carrier, record, a_directory(rng, carrier)))
    return found


def a_book() -> QuoteBook:
    services = [
        (a_service_document("HOME", "home"), 30, 6.0),
        (a_service_document("RELAY", "pickup_point", delivery_days="Tue-Sat", transit={"FR": [2, 4]}), 30, 4.0),
        (a_service_document("BOX", "locker", transit={"FR": [1, 3]}), 30, 3.5),
    ]
    cards = [read_json(a_france_card(carrier, services)) for carrier in CARRIERS]
    return QuoteBook.of_cards(cards, ShippingPolicy(), [WAREHOUSE])


BOOK = a_book()
DIRECTORIES = directories()
SHARED = PointIndex(DIRECTORIES, CARRIERS)  # every quote of this module asks it: it remembers


def a_new_index() -> PointIndex:
    return PointIndex(DIRECTORIES, CARRIERS)


parcels = st.lists(
    st.builds(
        lambda weight, sides: (weight, *sides),
        st.integers(100, 25_000),
        st.tuples(st.integers(50, 1100), st.integers(50, 500), st.integers(20, 400)),
    ),
    min_size=1,
    max_size=2,
)
places = st.one_of(
    st.sampled_from((*POSTCODES, "69009", "38000")).map(lambda postcode: Destination("FR", postcode, "Lyon")),
    st.builds(
        lambda lat, lon: Destination("FR", "69003", "Lyon", round(LYON[0] + lat, 6), round(LYON[1] + lon, 6)),
        st.floats(-0.15, 0.15),
        st.floats(-0.2, 0.2),
    ),
)


@st.composite
def requests(draw: st.DrawFn) -> QuoteRequest:
    ordered = MONDAY + timedelta(hours=draw(st.integers(0, 24 * 45)))
    days = draw(st.one_of(st.none(), st.integers(1, 12)))
    return QuoteRequest(
        "R",
        ordered,
        draw(places),
        tuple(Parcel(*p) for p in draw(parcels)),
        Cart(5000),
        Promise(deliver_by=None if days is None else ordered.date() + timedelta(days=days)),
        points=draw(st.integers(1, 10)),
    )


def first_open_day(point: PickupPoint, day: date) -> date | None:
    """The rule written out: the first day from `day` on with opening hours and no closure, within the
    look-ahead (not the point's own look-up table)."""
    for offset in range(LOOKAHEAD_DAYS):
        current = day + timedelta(days=offset)
        closed = any(start <= current <= end for start, end in point.closures)
        if point.hours[current.weekday()] and not closed:
            return current
    return None


def takes(point: PickupPoint, parcels: tuple[Parcel, ...]) -> bool:
    """The rule written out: every parcel within the point's weight and longest-side limits and, at a
    point with compartments, in one of them turned some way."""
    for parcel in parcels:
        sides = (parcel.length_mm, parcel.width_mm, parcel.height_mm)
        if point.max_weight_g is not None and parcel.weight_g > point.max_weight_g:
            return False
        if point.max_length_mm is not None and max(sides) > point.max_length_mm:
            return False
        if point.compartments_mm and not any(
            all(s <= c for s, c in zip(turned, box, strict=True))
            for box in point.compartments_mm
            for turned in permutations(sides)
        ):
            return False
    return True


@settings(max_examples=300, deadline=None)
@given(requests())
def test_a_quote_answered_from_what_earlier_quotes_worked_out_offers_what_a_new_index_would(
    request: QuoteRequest,
) -> None:
    quote = quote_order(BOOK, request, SHARED)
    assert quote == quote_order(BOOK, request, a_new_index())
    deliver_by = request.promise.deliver_by
    for option in quote.options:
        for offered in quote.points.get((option.carrier, option.service), ()):
            point = SHARED.point(option.carrier, offered.point.point_id)
            assert point is not None
            assert takes(point, request.parcels)
            assert option.mode != "locker" or point.kind is PointKind.LOCKER
            assert offered.available_by == first_open_day(point, option.latest)  # the dating rule, day by day
            assert offered.available_from == (first_open_day(point, option.earliest) or offered.available_by)
            assert deliver_by is None or offered.available_by <= deliver_by


def test_quotes_to_the_same_postcodes_offer_what_a_new_index_would_and_are_offered_points_and_refused_some() -> None:
    rng = random.Random(11)
    offered = refused = 0
    for n in range(400):
        ordered = MONDAY + timedelta(hours=rng.randint(0, 24 * 45))
        request = QuoteRequest(
            f"R{n}",
            ordered,
            Destination("FR", rng.choice(POSTCODES), "Lyon"),
            (Parcel(rng.randint(100, 25_000), rng.randint(100, 1100), rng.randint(50, 500), rng.randint(20, 400)),),
            Cart(5000),
            Promise(deliver_by=ordered.date() + timedelta(days=rng.randint(2, 9))),
            points=rng.randint(1, 10),
        )
        shared, new = quote_order(BOOK, request, SHARED), quote_order(BOOK, request, a_new_index())
        assert shared == new
        offered += len(new.points)
        refused += sum(e.reason == "no_point_nearby" for e in new.excluded)
    assert offered > 200 and refused > 20  # the comparison is not between empty answers


def test_an_index_that_forgot_its_places_offers_the_same_points_again() -> None:
    index = a_new_index()
    request = QuoteRequest(
        "F",
        MONDAY,
        Destination("FR", "69002", "Lyon"),
        (Parcel(2000, 300, 200, 100),),
        Cart(5000),
        Promise(),
        points=5,
    )
    first = quote_order(BOOK, request, index)
    assert first.points  # something to forget
    index.forget_places()
    assert quote_order(BOOK, request, index) == first == quote_order(BOOK, request, a_new_index())
