"""Reading a quote request and writing a quote, by hand.

The quote is the checkout's hot path: a marshmallow load and dump would cost
more than the quote itself, so the JSON is read and written here directly.
The marshmallow schemas in `tms.api.schemas` describe the same shapes for
the OpenAPI document, and a test keeps the two in step.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, DecimalException
from typing import Any

import orjson
import pycountry

from carriers.model import normalise_postcode
from tms.domain.addresses import postcode_problem
from tms.domain.errors import InvalidInput, Problem
from tms.domain.parcels import Parcel
from tms.domain.policy import Cart, FreeShipping
from tms.domain.quotes import Destination, Exclusion, Offer, Promise, Quote, QuoteOption, QuoteRequest

MODES = frozenset({"home", "pickup_point", "locker"})
MAX_PARCELS = 50
MIN_YEAR, MAX_YEAR = 2000, 2100  # calendars (public holidays) and dates stay well inside these
_known_countries: dict[str, bool] = {}
_known_currencies: dict[str, bool] = {}


def is_country(code: str) -> bool:
    known = _known_countries.get(code)
    if known is None:
        known = _known_countries[code] = len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None
    return known


def _is_currency(code: str) -> bool:
    known = _known_currencies.get(code)
    if known is None:
        known = _known_currencies[code] = len(code) == 3 and pycountry.currencies.get(alpha_3=code) is not None
    return known


class _Reader:
    """Collects every problem of the request, each with its field path."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, field: str, message: str) -> None:
        self.problems.append(Problem(message, field=field))

    def obj(self, parent: dict[str, Any], key: str, path: str, *, required: bool = True) -> dict[str, Any] | None:
        value = parent.get(key)
        if value is None:
            if required:
                self.fail(path, "is required")
            return None
        if not isinstance(value, dict):
            self.fail(path, "must be an object")
            return None
        return value

    def text(self, parent: dict[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
        value = parent.get(key)
        if value is None or value == "":
            if required:
                self.fail(path, "is required")
            return None
        if not isinstance(value, str):
            self.fail(path, "must be a string")
            return None
        return value

    def amount(self, parent: dict[str, Any], key: str, path: str, scale: int, *, positive: bool) -> int | None:
        """A number in upload units turned into an exact integer (x1000 for kg, x10 for cm, x100 for money)."""
        value = parent.get(key)
        if value is None:
            self.fail(path, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(path, "must be a number")
            return None
        scaled: int | Decimal | None = _scaled_exactly(value, scale)
        if scaled is None:
            try:
                number = Decimal(str(value))
                if not number.is_finite():
                    self.fail(path, "must be a finite number below 1e9")
                    return None
                scaled = number * scale
            except DecimalException:
                self.fail(path, "must be a number")
                return None
        if abs(scaled) > 10**9 * scale:
            self.fail(path, "must be a finite number below 1e9")
            return None
        if positive and scaled <= 0:
            self.fail(path, "must be greater than 0")
            return None
        if scaled < 0:
            self.fail(path, "must not be negative")
            return None
        if scaled > 10**12:
            self.fail(path, "is too large")
            return None
        return scaled if type(scaled) is int else int(scaled.to_integral_value(rounding="ROUND_CEILING"))

    def day(self, parent: dict[str, Any], key: str, path: str) -> date | None:
        value = parent.get(key)
        if value is None:
            return None
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _bad_date()
        except ValueError:
            self.fail(path, "must be a date YYYY-MM-DD")
            return None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            self.fail(path, f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
            return None
        return day


_SCALE_DIGITS = {10: 1, 100: 2, 1000: 3}


def _scaled_exactly(value: int | float | str, scale: int) -> int | None:
    """`value` x `scale` when that is a whole number read straight off an int or a float's shortest
    decimal form (12.345 kg -> 12345 g); None sends the caller to the general Decimal reading."""
    if type(value) is int:
        return value * scale
    if type(value) is not float:
        return None
    text = repr(value)
    whole, _, fraction = text.partition(".")
    digits = _SCALE_DIGITS.get(scale, 0)
    if len(fraction) > digits or "e" in text or not (whole.lstrip("-").isdigit() and fraction.isdigit()):
        return None
    return int(whole + fraction.ljust(digits, "0"))


def _bad_date() -> date:
    raise ValueError


def parse_quote_request(body: Any) -> QuoteRequest:
    """The request as a QuoteRequest, or InvalidInput listing every bad field."""
    r = _Reader()
    if not isinstance(body, dict):
        raise InvalidInput("the request is not valid", [Problem("must be a JSON object", field="body")])

    order_ref = r.text(body, "order_ref", "order_ref")
    ordered_at = None
    raw_time = body.get("ordered_at")
    if raw_time is None:
        r.fail("ordered_at", "is required")
    else:
        try:
            ordered_at = datetime.fromisoformat(raw_time) if isinstance(raw_time, str) else None
        except ValueError:
            ordered_at = None
        if ordered_at is None or ordered_at.utcoffset() is None:
            r.fail("ordered_at", "must be an ISO 8601 date-time with its UTC offset, e.g. 2026-03-02T14:05:00+01:00")
            ordered_at = None
        elif not MIN_YEAR <= ordered_at.year <= MAX_YEAR:
            r.fail("ordered_at", f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
            ordered_at = None
    origin = r.text(body, "origin", "origin", required=False)

    destination = None
    dest = r.obj(body, "destination", "destination")
    if dest is not None:
        country = r.text(dest, "country", "destination.country")
        postcode = r.text(dest, "postcode", "destination.postcode")
        city = r.text(dest, "city", "destination.city", required=False) or ""
        if country is not None:
            country = country.upper()
            if not is_country(country):
                r.fail("destination.country", f"{country!r} is not an ISO 3166 country code")
                country = None
        if postcode is not None:
            postcode = normalise_postcode(postcode)
            if country is not None:
                problem = postcode_problem(country, postcode)
                if problem:
                    r.fail("destination.postcode", problem)
                    postcode = None
        if country is not None and postcode is not None:
            destination = Destination(country, postcode, city)

    parcels: list[Parcel] = []
    raw_parcels = body.get("parcels")
    if not isinstance(raw_parcels, list) or not raw_parcels:
        r.fail("parcels", "must be a non-empty list of parcels")
    elif len(raw_parcels) > MAX_PARCELS:
        r.fail("parcels", f"at most {MAX_PARCELS} parcels per order")
    else:
        for i, raw in enumerate(raw_parcels):
            path = f"parcels[{i}]"
            if not isinstance(raw, dict):
                r.fail(path, "must be an object")
                continue
            weight = r.amount(raw, "weight_kg", f"{path}.weight_kg", 1000, positive=True)
            sides = [r.amount(raw, k, f"{path}.{k}", 10, positive=True) for k in ("length_cm", "width_cm", "height_cm")]
            if weight is not None and None not in sides:
                parcels.append(Parcel(weight, *sides))  # type: ignore[arg-type]

    cart = None
    raw_cart = r.obj(body, "cart", "cart")
    customer = r.obj(body, "customer", "customer", required=False) or {}
    if raw_cart is not None:
        value = r.amount(raw_cart, "value", "cart.value", 100, positive=False)
        currency = r.text(raw_cart, "currency", "cart.currency")
        if currency is not None and not _is_currency(currency):
            r.fail("cart.currency", f"{currency!r} is not an ISO 4217 currency code")
            currency = None
        categories = raw_cart.get("categories", [])
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            r.fail("cart.categories", "must be a list of strings")
            categories = []
        tier = r.text(customer, "tier", "customer.tier", required=False)
        if value is not None and currency is not None:
            cart = Cart(value, frozenset(categories), tier, currency)

    raw_promise = r.obj(body, "promise", "promise", required=False) or {}
    deliver_by = r.day(raw_promise, "deliver_by", "promise.deliver_by")
    deliver_after = r.day(raw_promise, "deliver_after", "promise.deliver_after")
    if deliver_by and deliver_after and deliver_after > deliver_by:
        r.fail("promise.deliver_after", "the window ends before it starts: deliver_after is after deliver_by")
    if deliver_by and ordered_at and deliver_by < ordered_at.date():
        r.fail("promise.deliver_by", "is before the order time")

    modes = None
    raw_modes = body.get("modes")
    if raw_modes is not None:
        if (
            not isinstance(raw_modes, list)
            or not raw_modes
            or not all(isinstance(m, str) for m in raw_modes)
            or not set(raw_modes) <= MODES
        ):
            r.fail("modes", f"must be a non-empty list of {', '.join(sorted(MODES))}")
        else:
            modes = frozenset(raw_modes)

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
        "rate_card": rate_card,
    }


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
    by_identity = {id(o): j for o, j in zip(quote.options, options, strict=True)}
    return _document(
        quote,
        options,
        {mode: None if o is None else by_identity[id(o)] for mode, o in quote.cheapest.items()},
        None if quote.recommended is None else by_identity[id(quote.recommended)],
        list(map(_exclusion_document, quote.excluded)),
    )


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
    view = "full"
    if isinstance(body, dict) and "view" in body:
        view = body["view"]
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
        "cheapest": {mode: None if o is None else _summary_option(o) for mode, o in quote.cheapest.items()},
        "recommended": None if quote.recommended is None else _summary_option(quote.recommended),
        "free_shipping": _free_shipping(quote.free_shipping),
    }


def _summary_option(o: QuoteOption) -> dict[str, Any]:
    head, rate_card = _offer_json(o.offer)
    return {
        **head,
        "customer_price": o.customer_price_cents / 100,
        "currency": o.offer.currency,
        "delivery": {"ships_on": o.ships_on, "earliest": o.earliest, "latest": o.latest},
        "rate_card": rate_card,
    }
