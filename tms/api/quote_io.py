"""Reading a quote request and writing a quote, by hand.

The quote is the checkout's hot path: a marshmallow load and dump would cost
more than the quote itself, so the JSON is read and written here directly.
`QuoteRequestSchema` (tms.api.schemas) loads the same request to the same
QuoteRequest with the same readers (tms.api.reading), and documents it; a
property test holds the two to the same answers and errors for any body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from tms.api.reading import (
    CITY_MAX,
    CODE_MAX,
    LENGTH_CM,
    MAX_PARCELS,
    MONEY,
    NOT_AN_OBJECT,
    ORDER_REF_MAX,
    POINTS_DEFAULT,
    REQUIRED,
    TIER_MAX,
    UNKNOWN,
    WEIGHT_KG,
    Quantity,
    Refused,
    coordinates_problem,
    list_problem,
    place_problem,
    promise_problem,
    read_categories,
    read_country,
    read_currency,
    read_day,
    read_latitude,
    read_longitude,
    read_modes,
    read_order_time,
    read_point_count,
    read_postcode,
    read_quantity,
    read_text,
    window_problem,
)
from tms.domain.errors import InvalidInput, Problem
from tms.domain.lane_stats import Distribution
from tms.domain.parcels import Parcel
from tms.domain.policy import Cart, FreeShipping
from tms.domain.quotes import Destination, Exclusion, Offer, PointOffer, Promise, Quote, QuoteOption, QuoteRequest


class _Reader:
    """Collects every problem of the request, each with its field path, reading each part with the
    readers of `tms.api.reading` (the ones `QuoteRequestSchema` and the order endpoint use)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, field: str, message: str) -> None:
        self.problems.append(Problem(message, field=field))

    def known(self, value: dict[str, Any], fields: frozenset[str], path: str) -> None:
        if not fields.issuperset(value):
            for key in value:
                if key not in fields:
                    self.fail(f"{path}.{key}" if path else str(key), UNKNOWN)

    def obj(
        self, parent: dict[str, Any], key: str, path: str, fields: frozenset[str], *, required: bool = True
    ) -> dict[str, Any] | None:
        value = parent.get(key)
        if value is None:
            if required:
                self.fail(path, REQUIRED)
            return None
        if not isinstance(value, dict):
            self.fail(path, NOT_AN_OBJECT)
            return None
        self.known(value, fields, path)
        return value

    def text(
        self, parent: dict[str, Any], key: str, path: str, *, required: bool = True, max_length: int | None = None
    ) -> str | None:
        try:
            text = read_text(parent.get(key), max_length=max_length)
        except Refused as refused:
            self.fail(path, refused.message)
            return None
        if text is None and required:
            self.fail(path, REQUIRED)
        return text

    def read(
        self, parent: dict[str, Any], key: str, path: str, read: Callable[[Any], T], *, required: bool
    ) -> T | None:
        """`read` of the value, None when it is absent (a problem if required) or refused."""
        value = parent.get(key)
        if value is None:
            if required:
                self.fail(path, REQUIRED)
            return None
        try:
            return read(value)
        except Refused as refused:
            self.fail(path, refused.message)
            return None

    def amount(self, parent: dict[str, Any], key: str, path: str, quantity: Quantity) -> int | None:
        value = parent.get(key)
        if value is None:
            self.fail(path, REQUIRED)
            return None
        try:
            return read_quantity(value, quantity)
        except Refused as refused:
            self.fail(path, refused.message)
            return None

    def coded(self, text: str | None, path: str, read: Callable[[str], str]) -> str | None:
        if text is None:
            return None
        try:
            return read(text)
        except Refused as refused:
            self.fail(path, refused.message)
            return None


T = TypeVar("T")
_REQUEST_FIELDS = frozenset(
    {"order_ref", "ordered_at", "origin", "destination", "parcels", "cart", "customer", "promise", "modes", "points"}
)
_DESTINATION_FIELDS = frozenset({"country", "postcode", "city", "latitude", "longitude"})
_PARCEL_FIELDS = frozenset({"weight_kg", "length_cm", "width_cm", "height_cm"})
_CART_FIELDS = frozenset({"value", "currency", "categories"})
_CUSTOMER_FIELDS = frozenset({"tier"})
_PROMISE_FIELDS = frozenset({"deliver_by", "deliver_after"})
_SIDES = ("length_cm", "width_cm", "height_cm")


def parse_quote_request(body: Any) -> QuoteRequest:
    """The request as a QuoteRequest, or InvalidInput listing every bad field: the body
    `QuoteRequestSchema` loads, to the same rules (tms.api.reading), read by hand for speed."""
    r = _Reader()
    if not isinstance(body, dict):
        raise InvalidInput("the request is not valid", [Problem("must be a JSON object", field="body")])
    r.known(body, _REQUEST_FIELDS, "")

    order_ref = r.text(body, "order_ref", "order_ref", max_length=ORDER_REF_MAX)
    ordered_at = r.read(body, "ordered_at", "ordered_at", read_order_time, required=True)
    origin = r.text(body, "origin", "origin", required=False, max_length=CODE_MAX)

    destination = None
    dest = r.obj(body, "destination", "destination", _DESTINATION_FIELDS)
    if dest is not None:
        country = r.coded(r.text(dest, "country", "destination.country"), "destination.country", read_country)
        postcode = r.text(dest, "postcode", "destination.postcode")
        city = r.text(dest, "city", "destination.city", required=False, max_length=CITY_MAX) or ""
        if postcode is not None:
            postcode = read_postcode(postcode)
            if country is not None:
                problem = place_problem(country, postcode)
                if problem:
                    r.fail("destination.postcode", problem)
                    postcode = None
        latitude = r.read(dest, "latitude", "destination.latitude", read_latitude, required=False)
        longitude = r.read(dest, "longitude", "destination.longitude", read_longitude, required=False)
        missing = coordinates_problem(dest)
        if missing is not None:
            r.fail(f"destination.{missing[0]}", missing[1])
        if country is not None and postcode is not None:
            destination = Destination(country, postcode, city, latitude, longitude)

    parcels: list[Parcel] = []
    raw_parcels = body.get("parcels")
    problem = REQUIRED if raw_parcels is None else list_problem(raw_parcels, "parcels", MAX_PARCELS)
    if problem or raw_parcels is None:
        r.fail("parcels", problem or REQUIRED)
    else:
        for i, raw in enumerate(raw_parcels):
            path = f"parcels[{i}]"
            if not isinstance(raw, dict):
                r.fail(path, NOT_AN_OBJECT)
                continue
            r.known(raw, _PARCEL_FIELDS, path)
            weight = r.amount(raw, "weight_kg", f"{path}.weight_kg", WEIGHT_KG)
            sides = [r.amount(raw, k, f"{path}.{k}", LENGTH_CM) for k in _SIDES]
            if weight is not None and None not in sides:
                parcels.append(Parcel(weight, *sides))  # type: ignore[arg-type]

    cart = None
    raw_cart = r.obj(body, "cart", "cart", _CART_FIELDS)
    customer = r.obj(body, "customer", "customer", _CUSTOMER_FIELDS, required=False) or {}
    tier = r.text(customer, "tier", "customer.tier", required=False, max_length=TIER_MAX)
    if raw_cart is not None:
        value = r.amount(raw_cart, "value", "cart.value", MONEY)
        currency_text = r.text(raw_cart, "currency", "cart.currency", required=False) or "EUR"
        currency = r.coded(currency_text, "cart.currency", read_currency)
        categories = r.read(raw_cart, "categories", "cart.categories", read_categories, required=False)
        if value is not None and currency is not None:
            cart = Cart(value, categories or frozenset(), tier, currency)

    raw_promise = r.obj(body, "promise", "promise", _PROMISE_FIELDS, required=False) or {}
    deliver_by = r.read(raw_promise, "deliver_by", "promise.deliver_by", read_day, required=False)
    deliver_after = r.read(raw_promise, "deliver_after", "promise.deliver_after", read_day, required=False)
    problem = window_problem(deliver_by, deliver_after)
    if problem:
        r.fail("promise.deliver_after", problem)
    problem = promise_problem(deliver_by, ordered_at)
    if problem:
        r.fail("promise.deliver_by", problem)

    modes = r.read(body, "modes", "modes", read_modes, required=False)
    points = r.read(body, "points", "points", read_point_count, required=False) or POINTS_DEFAULT

    if r.problems:
        raise InvalidInput("the quote request is not valid", r.problems)
    assert order_ref and ordered_at and destination and cart
    return QuoteRequest(
        order_ref=order_ref,
        ordered_at=ordered_at,
        destination=destination,
        parcels=tuple(parcels),
        cart=cart,
        promise=Promise(deliver_by, deliver_after),
        origin=origin,
        modes=modes,
        points=points,
    )


def _money(cents: int | None) -> float | None:
    return None if cents is None else round(cents / 100, 2)


_OFFERS_KEPT = 10_000
_offer_parts: dict[Offer, tuple[dict[str, Any], dict[str, Any]]] = {}


def _offer_json(offer: Offer) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parts of an option's JSON that come from its offer alone, made once per offer."""
    parts = _offer_parts.get(offer)
    if parts is None:
        if len(_offer_parts) >= _OFFERS_KEPT:
            _offer_parts.clear()
        head = {
            "carrier": offer.carrier,
            "carrier_name": offer.carrier_name,
            "service": offer.service,
            "service_name": offer.service_name,
            "mode": offer.mode,
            "speed": offer.speed,
            "features": {
                "signature": offer.signature,
                "appointment": offer.appointment,
                "insurance_cover": None if offer.insurance_cents is None else offer.insurance_cents / 100,
            },
        }
        parts = _offer_parts[offer] = (head, {"id": offer.rate_card_id, "version": offer.rate_card_version})
    return parts


def option_document(o: QuoteOption, fees: dict[str, float] | None = None) -> dict[str, Any]:
    """The option as the API shows it, dates as `date` objects (orjson writes them as YYYY-MM-DD).

    `fees` are the packaging, handling and indirect costs in money, the same for every option of a
    quote, so a whole quote computes them once.
    """
    offer = o.offer
    head, rate_card = _offer_json(offer)
    base, discount, fuel, before_surcharges = o.priced
    surcharges = o.surcharges_cents
    return {
        **head,
        "cost": {
            "base": base / 100,
            "discount": discount / 100,
            "fuel": fuel / 100,
            "surcharges": surcharges / 100,
            "transport": (before_surcharges + surcharges) / 100,
            **(fees or _fees(o)),
            "total": o.total_cents / 100,
        },
        "customer_price": o.customer_price_cents / 100,
        "currency": offer.currency,
        "delivery": {"ships_on": o.ships_on, "earliest": o.earliest, "latest": o.latest},
        "on_time_probability": o.on_time_probability,  # rounded to 4 decimals by the distribution
        "observed": _observed(o.observed),
        "rate_card": rate_card,
    }


_observed_parts: dict[int, tuple[Distribution, dict[str, int]]] = {}  # by id: the distribution is kept alive


def _observed(observed: Distribution | None) -> dict[str, int] | None:
    """A lane's observed days as the API shows them, null when the lane has too few deliveries to say;
    written once per distribution (a book has a few per lane)."""
    if observed is None:
        return None
    parts = _observed_parts.get(id(observed))
    if parts is None:
        if len(_observed_parts) >= _OFFERS_KEPT:
            _observed_parts.clear()
        document = {"p50_days": observed.p50_days, "p90_days": observed.p90_days, "deliveries": observed.deliveries}
        parts = _observed_parts[id(observed)] = (observed, document)
    return parts[1]


def _fees(o: QuoteOption) -> dict[str, float]:
    costs = o.costs
    return {
        "packaging": costs.packaging_cents * o.parcels / 100,
        "handling": costs.handling_cents / 100,
        "indirect": costs.indirect_cents / 100,
    }


def quote_json(quote: Quote) -> bytes:
    """The quote as the API answers it, in JSON."""
    return orjson.dumps(quote_document(quote))


def quote_document(quote: Quote) -> dict[str, Any]:
    """The quote as the API shows it, ready for orjson (dates are `date` objects)."""
    fees = _fees(quote.options[0]) if quote.options else None
    options = [option_document(o, fees) for o in quote.options]
    if quote.points:
        _add_points(quote, options)
    by_identity = {id(o): j for o, j in zip(quote.options, options, strict=True)}
    return _document(
        quote,
        options,
        {mode: None if o is None else by_identity[id(o)] for mode, o in quote.cheapest.items()},
        None if quote.recommended is None else by_identity[id(quote.recommended)],
        list(map(_exclusion_document, quote.excluded)),
    )


def _add_points(quote: Quote, documents: list[dict[str, Any]]) -> None:
    """Each pickup-point or locker option's points, in its document."""
    for option, document in zip(quote.options, documents, strict=True):
        _put_points(quote, option, document)


def _put_points(quote: Quote, option: QuoteOption, document: dict[str, Any]) -> None:
    offered = quote.points.get((option.offer.carrier, option.offer.service))
    if offered is not None:
        document["points"] = [_point_document(p) for p in offered]


def _point_document(offer: PointOffer) -> dict[str, Any]:
    p = offer.point
    return {
        "id": p.point_id,
        "name": p.name,
        "address": p.address,
        "postcode": p.postcode,
        "city": p.city,
        "kind": p.kind,
        "distance_m": offer.distance_m,
        "available_from": offer.available_from,
        "available_by": offer.available_by,
    }


def _exclusion_document(e: Exclusion) -> dict[str, str]:
    return {"carrier": e.carrier, "service": e.service, "mode": e.mode, "reason": e.reason, "detail": e.detail}


def _free_shipping(free: FreeShipping) -> dict[str, Any]:
    return {
        "applies": free.applies,
        "rule": free.rule,
        "threshold": _money(free.threshold_cents),
        "missing": _money(free.missing_cents),
    }


def _document(quote: Quote, options: Any, cheapest: dict[str, Any], recommended: Any, excluded: Any) -> dict[str, Any]:
    return {
        "order_ref": quote.order_ref,
        "warehouse": quote.warehouse,
        "currency": quote.currency,
        "options": options,
        "cheapest": cheapest,
        "recommended": recommended,
        "free_shipping": _free_shipping(quote.free_shipping),
        "excluded": excluded,
    }


# --- the summary view: what a checkout page shows, without the breakdowns and the exclusions ------

VIEWS = ("full", "summary")


def parse_quote_body(body: Any) -> tuple[QuoteRequest, str]:
    """The request and the view asked (`"full"`, the default, or `"summary"`), or InvalidInput
    listing every bad field, `view` included."""
    view: Any = "full"
    if isinstance(body, dict) and "view" in body:
        view = "full" if body["view"] is None else body["view"]  # null is absent, as for every optional field
        body = {key: value for key, value in body.items() if key != "view"}  # the order's reader reads the order
    problems = [] if view in VIEWS else [Problem(f"must be one of {', '.join(VIEWS)}", field="view")]
    try:
        order = parse_quote_request(body)
    except InvalidInput as error:
        raise InvalidInput(str(error), [*error.problems, *problems]) from None
    if problems:
        raise InvalidInput("the quote request is not valid", problems)
    return order, view


def quote_summary_document(quote: Quote) -> dict[str, Any]:
    """The summary view: the cheapest option per mode and the recommended one, each with its carrier,
    service, customer price, delivery window and card version; free shipping and the currency."""
    return {
        "order_ref": quote.order_ref,
        "warehouse": quote.warehouse,
        "currency": quote.currency,
        "cheapest": {mode: None if o is None else _summary_option(o, quote) for mode, o in quote.cheapest.items()},
        "recommended": None if quote.recommended is None else _summary_option(quote.recommended, quote),
        "free_shipping": _free_shipping(quote.free_shipping),
    }


def _summary_option(o: QuoteOption, quote: Quote) -> dict[str, Any]:
    head, rate_card = _offer_json(o.offer)
    document = {
        **head,
        "customer_price": o.customer_price_cents / 100,
        "currency": o.offer.currency,
        "delivery": {"ships_on": o.ships_on, "earliest": o.earliest, "latest": o.latest},
        "on_time_probability": o.on_time_probability,  # rounded to 4 decimals by the distribution
        "observed": _observed(o.observed),
        "rate_card": rate_card,
    }
    _put_points(quote, o, document)
    return document
