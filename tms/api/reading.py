"""How the API reads the parts that the quote and the order bodies share, written once.

Each reader takes a JSON value and returns the domain's value (grams, millimetres, cents, a
normalised postcode, an aware datetime, a `DeliveryMode`) or raises `Refused` with the message
that the 422 shows next to the field. The marshmallow fields below wrap the same readers, so the
order endpoint (marshmallow) and the quote's hand-written reader (`tms.api.quote_io`) accept the
same bodies with the same values and the same messages; a property test holds them to it.

The rules, as a client sees them:
- a missing field, a JSON null and, for text, an empty string are all "absent": an error
  ("is required") where the field is required, the default otherwise;
- a field the body does not define is refused ("unknown field"): a misspelt `promise` must not be
  quietly ignored;
- numbers may be JSON numbers or numeric strings, never booleans, NaN or infinities; weights
  (kg) and lengths (cm) are above 0 and at most 100 000, a money amount is at least 0 and at most
  10 000 000; kg -> g and cm -> mm round up, money -> cents to the nearest cent, a half up
  (`tms.domain.units`);
- countries are ISO 3166 alpha-2 and currencies ISO 4217 codes, in any case (kept upper case);
  a postcode is normalised (`1012 ab` -> `1012AB`) and must have its country's shape;
- times are ISO 8601 with their UTC offset, dates are YYYY-MM-DD, both between the years 2000
  and 2100.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from carriers.model import normalise_postcode
from tms.domain.addresses import is_country, postcode_problem
from tms.domain.errors import quoted
from tms.domain.modes import DeliveryMode
from tms.domain.units import bp_from_percent, cents_from_amount, grams_from_kg, mm_from_cm

MIN_YEAR, MAX_YEAR = 2000, 2100  # calendars (public holidays) and dates stay well inside these
REQUIRED = "is required"
UNKNOWN = "unknown field"
NOT_AN_OBJECT = "must be an object"
MODE_NAMES = ", ".join(DeliveryMode)
ORDER_REF_MAX = 64  # an order's reference, as the shop numbers it
CODE_MAX = 40  # a warehouse, carrier or service code
TIER_MAX = 64  # a loyalty tier, a product category
CITY_MAX = 200
LIST_MAX = 100  # loyalty tiers or categories in the free-shipping policy
MAX_PARCELS = 50
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_known_currencies: dict[str, bool] = {}


class Refused(ValueError):
    """A JSON value the API does not accept; its message is the one shown with the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Quantity:
    """A number read in the JSON's unit (`maximum` in it too) and kept as an exact integer."""

    to_integer: Callable[[Any], int]
    maximum: int
    positive: bool  # > 0, else >= 0


WEIGHT_KG = Quantity(grams_from_kg, 100_000, positive=True)
LENGTH_CM = Quantity(mm_from_cm, 100_000, positive=True)
MONEY = Quantity(cents_from_amount, 10_000_000, positive=False)
PERCENT = Quantity(bp_from_percent, 1000, positive=False)


def read_quantity(value: Any, quantity: Quantity) -> int:
    kind = type(value)
    number: float | int | Decimal
    if kind is int or kind is float:
        if kind is float and not math.isfinite(value):
            raise Refused("must be a finite number")
        number = value
    elif kind is str:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise Refused("must be a number") from None
        if not number.is_finite():
            raise Refused("must be a finite number")
    else:
        raise Refused("must be a number")
    if number > quantity.maximum:
        raise Refused(f"must be at most {quantity.maximum}")
    if quantity.positive and number <= 0:
        raise Refused("must be greater than 0")
    if number < 0:
        raise Refused("must not be negative")
    return quantity.to_integer(value)


def read_text(value: Any, *, max_length: int | None = None) -> str | None:
    """The text, or None when absent (null or empty)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Refused("must be a string")
    if max_length is not None and len(value) > max_length:
        raise Refused(f"must be at most {max_length} characters")
    if "\x00" in value:  # PostgreSQL keeps no NUL character, nor a lone surrogate, in text
        raise Refused("must not contain a NUL character")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Refused("must be valid Unicode text") from None
    return value


def read_country(text: str) -> str:
    code = text.upper()
    if not is_country(code):
        raise Refused(f"{quoted(code)} is not an ISO 3166 country code")
    return code


def read_currency(text: str) -> str:
    code = text.upper()
    known = _known_currencies.get(code)
    if known is None:
        known = _known_currencies[code] = len(code) == 3 and pycountry.currencies.get(alpha_3=code) is not None
    if not known:
        raise Refused(f"{quoted(text)} is not an ISO 4217 currency code")
    return code


def read_postcode(text: str) -> str:
    return normalise_postcode(text)


def place_problem(country: str, postcode: str) -> str | None:
    """Why a (valid) country and a normalised postcode do not go together, or None."""
    return postcode_problem(country, postcode)


def _in_years(day: date) -> None:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise Refused(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")


def read_order_time(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise Refused("must be an ISO 8601 date-time with its UTC offset, e.g. 2026-03-02T14:05:00+01:00")
    _in_years(moment)
    return moment


def read_day(value: Any) -> date:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and _DAY.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        raise Refused("must be a date YYYY-MM-DD")
    _in_years(day)
    return day


def read_mode(value: Any) -> DeliveryMode:
    if isinstance(value, str) and value in _MODE_VALUES:
        return DeliveryMode(value)
    raise Refused(f"must be one of {MODE_NAMES}")


def read_modes(value: Any) -> frozenset[DeliveryMode]:
    if not isinstance(value, list) or not value or not all(isinstance(m, str) and m in _MODE_VALUES for m in value):
        raise Refused(f"must be a non-empty list of {MODE_NAMES}")
    return frozenset(DeliveryMode(m) for m in value)


_MODE_VALUES = frozenset(m.value for m in DeliveryMode)


def read_categories(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise Refused("must be a list of strings")
    return frozenset(value)


POINTS_MAX = 10  # pickup points offered with one option
POINTS_DEFAULT = 3


def read_degrees(value: Any, bound: int) -> float:
    """A latitude (bound 90) or longitude (180) in decimal degrees."""
    kind = type(value)
    if not (kind is int or (kind is float and math.isfinite(value))):  # bool is not a number here
        raise Refused("must be a number")
    if not -bound <= value <= bound:
        raise Refused(f"must be between -{bound} and {bound}")
    return float(value)


def read_latitude(value: Any) -> float:
    return read_degrees(value, 90)


def read_longitude(value: Any) -> float:
    return read_degrees(value, 180)


def read_point_count(value: Any) -> int:
    if type(value) is not int or not 1 <= value <= POINTS_MAX:
        raise Refused(f"must be a whole number from 1 to {POINTS_MAX}")
    return int(value)


def coordinates_problem(place: Mapping[str, Any]) -> tuple[str, str] | None:
    """(field, message) when a body's place sends one coordinate without the other (null is absent)."""
    latitude, longitude = place.get("latitude"), place.get("longitude")
    if (latitude is None) == (longitude is None):
        return None
    if longitude is None:
        return ("longitude", "is required with latitude")
    return ("latitude", "is required with longitude")


def window_problem(deliver_by: date | None, deliver_after: date | None) -> str | None:
    if deliver_by and deliver_after and deliver_after > deliver_by:
        return "the window ends before it starts: deliver_after is after deliver_by"
    return None


def promise_problem(deliver_by: date | None, ordered_at: datetime | None) -> str | None:
    if deliver_by and ordered_at and deliver_by < ordered_at.date():
        return "is before the order time"
    return None


def list_problem(value: Any, what: str, maximum: int) -> str | None:
    """Why `value` is not a list of 1 to `maximum` objects (checked before its items are read)."""
    if not isinstance(value, list) or not value:
        return f"must be a non-empty list of {what}"
    if len(value) > maximum:
        return f"at most {maximum} {what} per order"
    return None


# --- The same readers as marshmallow fields, for the schemas (and the OpenAPI document) -------------

_ABSENT: dict[str, str | list[Any] | dict[Any, Any]] = {"required": REQUIRED, "null": REQUIRED}


class BodySchema(Schema):
    """A part of a request body: unknown fields refused, a non-object named like the hand reader."""

    error_messages = {"unknown": UNKNOWN, "type": NOT_AN_OBJECT}


class QuerySchema(Schema):
    """A query string: a parameter it does not define is refused in the bodies' words ("unknown field")."""

    error_messages = {"unknown": UNKNOWN}


def _refusing(read: Callable[[Any], Any], value: Any) -> Any:
    try:
        return read(value)
    except Refused as refused:
        raise ValidationError(refused.message) from None


class _MaxLength(validate.Length):
    """A maximum length for the OpenAPI document (maxLength); the reader has refused longer text already."""

    def __call__(self, value: Any) -> Any:
        return value if value is None else super().__call__(value)


class Text(fields.String):
    default_error_messages = _ABSENT

    def __init__(self, *, max_length: int | None = None, **kwargs: Any) -> None:
        if not kwargs.get("required"):
            kwargs.setdefault("load_default", None)
        if max_length is not None:  # refused by the reader first; the validator puts maxLength in the OpenAPI document
            kwargs["validate"] = _MaxLength(max=max_length, error=f"must be at most {max_length} characters")
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        text = _refusing(lambda v: read_text(v, max_length=self.max_length), value)
        if text is None and self.required:
            raise ValidationError(REQUIRED)
        return text


class Country(Text):
    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        return None if text is None else _refusing(read_country, text)


class Currency(Text):
    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        return None if text is None else _refusing(read_currency, text)


class Postcode(Text):
    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        return read_postcode(super()._deserialize(value, attr, data, **kwargs))


class _Quantity(fields.Float):
    default_error_messages = _ABSENT
    quantity: Quantity

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        return _refusing(lambda v: read_quantity(v, self.quantity), value)


class Kilograms(_Quantity):
    """A weight in kg, loaded as whole grams (rounded up)."""

    quantity = WEIGHT_KG


class Centimetres(_Quantity):
    """A length in cm, loaded as whole millimetres (rounded up)."""

    quantity = LENGTH_CM


class Money(_Quantity):
    """An amount in currency units, loaded as whole cents (to the nearest, a half up)."""

    quantity = MONEY


class Percent(_Quantity):
    """A percentage, loaded as whole basis points (to the nearest, a half up)."""

    quantity = PERCENT


class Degrees(fields.Float):
    """A latitude or longitude in decimal degrees, within +-`bound`."""

    default_error_messages = _ABSENT

    def __init__(self, bound: int, **kwargs: Any) -> None:
        kwargs.update(load_default=None, allow_none=True, validate=validate.Range(-bound, bound))
        super().__init__(**kwargs)
        self.bound = bound

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        return _refusing(lambda v: read_degrees(v, self.bound), value)


class PointCount(fields.Integer):
    default_error_messages = _ABSENT

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(load_default=POINTS_DEFAULT, allow_none=True, validate=validate.Range(1, POINTS_MAX))
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        return _refusing(read_point_count, value)


class OrderTime(fields.AwareDateTime):
    default_error_messages = _ABSENT

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        return _refusing(read_order_time, value)


class Day(fields.Date):
    default_error_messages = _ABSENT

    def __init__(self, *, required: bool = False, **kwargs: Any) -> None:
        if not required:
            kwargs.update(load_default=None, allow_none=True)
        super().__init__(required=required, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        return _refusing(read_day, value)


class Mode(fields.String):
    default_error_messages = _ABSENT

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        return _refusing(read_mode, value)


class Modes(fields.List):  # type: ignore[type-arg]  # a list of whatever its inner field loads
    """A non-empty list of delivery modes, loaded as a frozenset (null or absent: every mode)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Mode(), load_default=None, allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        return _refusing(read_modes, value)


class Categories(fields.List):  # type: ignore[type-arg]  # a list of whatever its inner field loads
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(), load_default=frozenset, allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        return _refusing(read_categories, value)


class Objects(fields.List):  # type: ignore[type-arg]  # a list of whatever its inner field loads
    """A list of 1 to `maximum` objects; its length is checked before its items are read."""

    default_error_messages = _ABSENT

    def __init__(self, schema: type[Schema], what: str, maximum: int, **kwargs: Any) -> None:
        super().__init__(fields.Nested(schema, error_messages={"null": NOT_AN_OBJECT}), required=True, **kwargs)
        self.what, self.maximum = what, maximum

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        problem = list_problem(value, self.what, self.maximum)
        if problem:
            raise ValidationError(problem)
        return super()._deserialize(value, attr, data, **kwargs)


class Part(fields.Nested):
    """A nested object: required ones refuse null as absent; optional ones take null as absent."""

    default_error_messages = _ABSENT

    def __init__(self, schema: type[Schema], *, required: bool = False, **kwargs: Any) -> None:
        if not required:
            kwargs.setdefault("allow_none", True)
            kwargs.setdefault("load_default", None)
        super().__init__(schema, required=required, **kwargs)


class PlaceSchema(BodySchema):
    """Where a parcel goes: a country and a postcode of its shape."""

    country = Country(required=True, metadata={"example": "FR"})
    postcode = Postcode(required=True, metadata={"example": "69003"})

    @validates_schema(skip_on_field_errors=False)
    def _postcode_of_country(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("country") and data.get("postcode") is not None:
            problem = place_problem(data["country"], data["postcode"])
            if problem:
                raise ValidationError(problem, field_name="postcode")


class PromiseSchema(BodySchema):
    deliver_by = Day()
    deliver_after = Day(metadata={"description": "For an appointment: not before this day"})

    @validates_schema(skip_on_field_errors=False)
    def _window(self, data: dict[str, Any], **_: Any) -> None:
        problem = window_problem(data.get("deliver_by"), data.get("deliver_after"))
        if problem:
            raise ValidationError(problem, field_name="deliver_after")


class PromisedOrderSchema(BodySchema):
    """A body with an order time and a promise that may not end before it."""

    @validates_schema(skip_on_field_errors=False)
    def _promise_after_order(self, data: dict[str, Any], **_: Any) -> None:
        promise = data.get("promise") or {}
        problem = promise_problem(promise.get("deliver_by"), data.get("ordered_at"))
        if problem:
            raise ValidationError({"promise": {"deliver_by": [problem]}})
