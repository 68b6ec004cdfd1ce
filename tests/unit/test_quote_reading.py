"""The quote's two readers, the hand-written one on the hot path and `QuoteRequestSchema`, agree on
every body: the same bodies accepted with the same QuoteRequest, the others refused naming the same
fields with the same messages. And the order endpoint reads the parts it shares with the quote
(destination, dimensions, weights, cart value, promise, order time) to the same values."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from tms.api.errors import flatten_messages
from tms.api.orders import OrderInSchema, to_order
from tms.api.quote_io import parse_quote_body
from tms.api.schemas import QuoteRequestSchema
from tms.domain.errors import InvalidInput
from tms.domain.modes import DeliveryMode
from tms.domain.quotes import QuoteRequest

Errors = frozenset[tuple[str | None, str]]

PLACES = [("FR", "69003"), ("FR", "20000"), ("fr", "75 001"), ("NL", "1012 ab"), ("DE", "10115"), ("BE", "1000")]

numbers = st.one_of(
    st.integers(-5, 200_000),
    st.floats(-10, 200_000, allow_nan=False),
    st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False).map(float),
    st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False).map(str),
)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.sampled_from([0, 0.0, -0.0, 1e-9, 100_000, 100_000.0001, 10_000_000, 10_000_000.005, 10**400, 1e300]),
    st.floats(),  # NaN and infinities included
    st.sampled_from(["NaN", "nan", "inf", "-Infinity", "1e999999", "1e-999999", "12.345", " 7 ", "1_0", "0x10"]),
    st.sampled_from(["", "XX", "fr", "EUX", "eur", "home", "drone", "2026-03-05", "2026-3-5", "2026-W10-1"]),
    st.sampled_from(["2026-03-02T10:00:00", "2026-03-02T10:00:00Z", "1999-12-31T23:00:00+01:00"]),
    st.text(max_size=8),
    st.text(min_size=101, max_size=102),
    st.lists(st.sampled_from(["home", "locker", "pickup_point", "x"]), max_size=3),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["a", "weight_kg", "country"]), st.integers(), max_size=2),
    numbers,
)


# Text a client may send and a store can keep: no NUL, no lone surrogate.
STORABLE_CHARACTERS = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))


@st.composite
def valid_bodies(draw: st.DrawFn) -> dict[str, Any]:
    country, postcode = draw(st.sampled_from(PLACES))
    ordered = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=draw(st.integers(-12, 14))))) + timedelta(
        minutes=draw(st.integers(0, 500_000))
    )
    side = st.one_of(st.integers(1, 200), st.floats(0.05, 500), st.decimals("0.1", "300", places=2).map(str))
    body: dict[str, Any] = {
        "order_ref": draw(st.text(STORABLE_CHARACTERS, min_size=1, max_size=20)),
        "ordered_at": ordered.isoformat(),
        "destination": {"country": country, "postcode": postcode},
        "parcels": [
            {"weight_kg": draw(st.floats(0.001, 80)), "length_cm": draw(side), "width_cm": draw(side), "height_cm": 5}
            for _ in range(draw(st.integers(1, 3)))
        ],
        "cart": {"value": draw(st.one_of(st.floats(0, 5000), st.integers(0, 5000), st.just(12.345)))},
    }
    optional = {
        "destination.city": draw(st.sampled_from(["Lyon", "", None])),
        "cart.currency": draw(st.sampled_from(["EUR", "eur", "SEK", None])),
        "cart.categories": draw(st.sampled_from([["shoes"], [], None])),
        "customer": draw(st.sampled_from([{"tier": "gold"}, {"tier": None}, {}, None])),
        "promise": {
            "deliver_by": (ordered.date() + timedelta(days=draw(st.integers(-1, 12)))).isoformat(),
            "deliver_after": draw(st.sampled_from([None, ordered.date().isoformat()])),
        },
        "origin": draw(st.sampled_from(["PAR1", None, ""])),
        "modes": draw(st.sampled_from([["home"], ["pickup_point", "locker"], None])),
        "view": draw(st.sampled_from(["full", "summary"])),
        "points": draw(st.sampled_from([1, 3, 10, None])),
    }
    for path in draw(st.sets(st.sampled_from(sorted(optional)))):
        put(body, path, optional[path])
    if draw(st.booleans()):  # the shopper's position: both coordinates or neither
        latitude, longitude = draw(st.sampled_from([(45.76, 4.84), (-90, -180), (90.0, 180.0), (0, 0), (None, None)]))
        body["destination"].update(latitude=latitude, longitude=longitude)
    return body


def put(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        body = body[key]
    body[last] = value


PATHS = [
    "order_ref",
    "ordered_at",
    "origin",
    "destination",
    "destination.country",
    "destination.postcode",
    "destination.city",
    "destination.latitude",
    "destination.longitude",
    "destination.street",
    "parcels",
    "parcels.0",
    "parcels.0.weight_kg",
    "parcels.0.length_cm",
    "parcels.0.height_cm",
    "parcels.0.colour",
    "cart",
    "cart.value",
    "cart.currency",
    "cart.categories",
    "customer",
    "customer.tier",
    "promise",
    "promise.deliver_by",
    "promise.deliver_after",
    "modes",
    "view",
    "points",
    "extra",
]


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid body with a few parts replaced by odd values or deleted."""
    body = draw(valid_bodies())
    for path in draw(st.lists(st.sampled_from(PATHS), max_size=3)):
        change(body, path.split("."), draw(st.one_of(junk, st.just(DELETE))))
    return body


DELETE = object()


def change(node: Any, keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        index: Any = int(key) if key.isdigit() else key
        into_list = isinstance(node, list) and isinstance(index, int) and index < len(node)
        into_dict = isinstance(node, dict) and isinstance(index, str) and isinstance(node.get(index), dict | list)
        if not (into_list or into_dict):
            return
        node = node[index]
    last: Any = int(keys[-1]) if keys[-1].isdigit() else keys[-1]
    if isinstance(node, list) and isinstance(last, int) and last < len(node):
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    elif isinstance(node, dict) and isinstance(last, str):
        if value is DELETE:
            node.pop(last, None)
        else:
            node[last] = value


def by_hand(body: Any) -> QuoteRequest | Errors:
    try:
        return parse_quote_body(copy.deepcopy(body))[0]
    except InvalidInput as refused:
        return frozenset((p.field, p.message) for p in refused.problems)


def by_schema(body: Any) -> QuoteRequest | Errors:
    try:
        loaded: QuoteRequest = QuoteRequestSchema().load(copy.deepcopy(body))
        return loaded
    except ValidationError as refused:
        return frozenset((p.field, p.message) for p in flatten_messages(refused.messages))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies())
@example(body={"order_ref": "A", "parcels": [{}] * 51, "extra": 1})
def test_the_schema_and_the_hand_reader_accept_the_same_bodies_with_the_same_values_and_errors(body) -> None:
    assert by_schema(body) == by_hand(body)


@settings(max_examples=200, deadline=None)
@given(body=valid_bodies())
def test_a_valid_body_is_read_to_a_request_in_exact_units(body) -> None:
    request = by_hand(body)
    if isinstance(request, frozenset):  # only a promise ending before the order day may refuse one
        assert ("promise.deliver_by", "is before the order time") in request
        assert request <= {
            ("promise.deliver_by", "is before the order time"),
            ("promise.deliver_after", "the window ends before it starts: deliver_after is after deliver_by"),
        }
        return
    assert request == by_schema(body)
    assert request.destination.country == request.destination.country.upper()
    assert request.cart.currency in {"EUR", "SEK"}
    assert all(isinstance(m, DeliveryMode) for m in request.modes or ())


def test_the_rounding_rules_a_client_can_count_on() -> None:
    body = {
        "order_ref": "R-1",
        "ordered_at": "2026-03-02T10:00:00+01:00",
        "destination": {"country": "fr", "postcode": "69 003"},
        "parcels": [{"weight_kg": 1.2341, "length_cm": 30.01, "width_cm": "20", "height_cm": 1.1}],
        "cart": {"value": 12.345, "currency": "eur"},
    }
    request = by_hand(body)
    assert request == by_schema(body)
    assert isinstance(request, QuoteRequest)
    parcel = request.parcels[0]
    # A carrier never rounds weights down (1.2341 kg -> 1235 g, 30.01 cm -> 301 mm); 1.1 cm is 11 mm, not 12.
    assert (parcel.weight_g, parcel.length_mm, parcel.width_mm, parcel.height_mm) == (1235, 301, 200, 11)
    # Money to the nearest cent, a half up: 12.345 -> 12.35.
    assert request.cart.value_cents == 1235
    assert (request.destination, request.cart.currency) == (("FR", "69003", "", None, None), "EUR")


def a_parcel(**changes: Any) -> dict[str, Any]:
    return {"weight_kg": 1, "length_cm": 1, "width_cm": 1, "height_cm": 1, **changes}


REFUSED = {
    "parcels[0].weight_kg": ({"parcels": [a_parcel(weight_kg=True)]}, "must be a number"),
    "parcels[0].length_cm": ({"parcels": [a_parcel(length_cm="NaN")]}, "must be a finite number"),
    "parcels[0].width_cm": ({"parcels": [a_parcel(width_cm=100_001)]}, "must be at most 100000"),
    "cart.value": ({"cart": {"value": -0.001}}, "must not be negative"),
    "destination.street": ({"destination": {"country": "FR", "postcode": "69003", "street": "x"}}, "unknown field"),
    "promise.deliver_by": ({"promise": {"deliver_by": "2026-3-5"}}, "must be a date YYYY-MM-DD"),
    "parcels[0]": ({"parcels": ["a parcel"]}, "must be an object"),
}  # fmt: skip


def test_each_refusal_names_its_field_and_says_why() -> None:
    base = {
        "order_ref": "R-1",
        "ordered_at": "2026-03-02T10:00:00+01:00",
        "destination": {"country": "FR", "postcode": "69003"},
        "parcels": [{"weight_kg": 1, "length_cm": 1, "width_cm": 1, "height_cm": 1}],
        "cart": {"value": 10},
    }
    for field, (changes, message) in REFUSED.items():
        errors = by_hand({**base, **changes})
        assert errors == by_schema({**base, **changes})
        assert errors == {(field, message)}, field


# --- The order endpoint reads the parts it shares with the quote the same way ----------------------

shared_values = st.one_of(numbers, junk)


@settings(max_examples=300, deadline=None)
@given(
    place=st.one_of(st.sampled_from(PLACES), st.tuples(junk, junk)),
    weight=shared_values,
    length=shared_values,
    value=shared_values,
    ordered_at=st.one_of(st.just("2026-03-02T10:00:00+01:00"), junk),
    deliver_by=st.one_of(st.just("2026-03-06"), junk),
)
def test_an_order_and_a_quote_read_their_shared_parts_the_same_way(
    place, weight, length, value, ordered_at, deliver_by
) -> None:
    country, postcode = place
    quote = {
        "order_ref": "S-1",
        "ordered_at": ordered_at,
        "destination": {"country": country, "postcode": postcode, "city": "Lyon"},
        "parcels": [{"weight_kg": weight, "length_cm": length, "width_cm": 10, "height_cm": 10}],
        "cart": {"value": value, "currency": "EUR"},
        "promise": {"deliver_by": deliver_by},
    }
    order = {
        "order_ref": "S-1",
        "ordered_at": ordered_at,
        "destination": {"country": country, "postcode": postcode, "city": "Lyon", "name": "Léa", "line1": "1 rue"},
        "mode": "home",
        "items": [{"sku": "X", "weight_kg": weight, "length_cm": length, "width_cm": 10, "height_cm": 10}],
        "cart": {"value": value, "currency": "EUR"},
        "promise": {"deliver_by": deliver_by},
    }
    read_quote = by_hand(quote)
    try:
        read_order: Any = to_order(OrderInSchema().load(order), "PAR1")
    except ValidationError as refused:
        read_order = frozenset((p.field, p.message) for p in flatten_messages(refused.messages))
    if isinstance(read_quote, QuoteRequest):
        parcel, item = read_quote.parcels[0], read_order.items[0]
        assert (parcel.weight_g, parcel.length_mm) == (item.weight_g, item.length_mm)
        assert (read_quote.destination.country, read_quote.destination.postcode) == (
            read_order.address.country,
            read_order.address.postcode,
        )
        assert read_quote.cart.value_cents == read_order.cart_value_cents
        assert (read_quote.ordered_at, read_quote.promise.deliver_by) == (read_order.ordered_at, read_order.deliver_by)
    else:
        assert isinstance(read_order, frozenset)
        assert {(f.replace("items[", "parcels["), m) for f, m in read_order} == set(read_quote)


def test_a_promise_day_outside_the_calendar_is_refused_by_both_endpoints() -> None:
    order = {
        "order_ref": "S-1",
        "ordered_at": "2026-03-02T10:00:00+01:00",
        "destination": {"country": "FR", "postcode": "69003", "city": "Lyon", "name": "Léa", "line1": "1 rue"},
        "mode": "home",
        "items": [{"sku": "X", "weight_kg": 1, "length_cm": 1, "width_cm": 1, "height_cm": 1}],
        "cart": {"value": 1},
        "promise": {"deliver_by": str(date(9999, 12, 31))},
    }
    errors = OrderInSchema().validate(order)
    assert flatten_messages(errors)[0].field == "promise.deliver_by"


def test_text_a_store_cannot_keep_is_refused_by_both_readers_alike() -> None:
    body = {
        "order_ref": "A\x00B",
        "ordered_at": "2026-03-02T10:00:00+01:00",
        "destination": {"country": "FR", "postcode": "69003"},
        "parcels": [{"weight_kg": 1, "length_cm": 20, "width_cm": 15, "height_cm": 8}],
        "cart": {"value": 30},
    }
    assert by_hand(body) == by_schema(body) == frozenset({("order_ref", "must not contain a NUL character")})
