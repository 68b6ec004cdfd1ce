"""Numbers as people write them (kg, cm, euros, percent) and the exact integers the domain keeps
(grams, millimetres, cents, basis points), both ways, each conversion written once.

Two rounding rules, one per kind of quantity:
- **weights and lengths round up** to the whole gram or millimetre: a carrier never rounds a parcel
  down (1.2341 kg -> 1235 g, 30.01 cm -> 301 mm);
- **money and percentages round to the nearest** cent or basis point, a half away from zero
  (commercial rounding, as the euro's conversion rules have it): 12.345 -> 1235 cents,
  12.3449 -> 1234.
A number is read as the decimal it is written as, a float by its shortest form (0.1 is 0.1, not
0.1000000000000000055...), so 1.1 kg is 1100 g and 0.29 EUR is 29 cents, never one more.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import Enum

GRAMS_PER_KG = 1000
MM_PER_CM = 10
CENTS_PER_UNIT = 100  # of a currency with cents: EUR and the others we price in
BP_PER_PERCENT = 100

Number = int | float | str | Decimal
_LARGEST_EXPONENT = 30  # a number above 1e30 in any unit is refused before any arithmetic on it


class Rounding(Enum):
    UP = "up"  # towards +infinity: weights and lengths
    HALF_UP = "half_up"  # to the nearest, a half away from zero: money and percentages


def decimal_of(value: Number) -> Decimal:
    """The finite decimal `value` is written as; ValueError for a bool, NaN, an infinity or a non-number."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise ValueError(f"{value!r} is not a number")
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


def scaled(value: Number, places: int, rounding: Rounding) -> int:
    """`value` x 10**places as an integer, rounded by `rounding`; ValueError if not a finite number
    or past 1e30. Exact for every input: no binary float arithmetic, no decimal context."""
    if type(value) is int:  # not a bool: decimal_of refuses those
        return int(value) * int(10**places)
    if type(value) is float:
        text = repr(value)  # the fast path: a float with at most `places` decimals is read off its digits
        whole, _, fraction = text.partition(".")
        if len(fraction) <= places and whole.lstrip("-").isdigit() and fraction.isdigit():
            return int(whole + fraction.ljust(places, "0"))
    number = decimal_of(value)
    if number and number.adjusted() > _LARGEST_EXPONENT:
        raise ValueError(f"{value!r} is too large")
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    exponent += places
    if exponent >= 0:
        magnitude = int("".join(map(str, digits))) * int(10**exponent)
    else:
        cut = len(digits) + exponent  # digits left of the point
        magnitude = int("".join(map(str, digits[:cut])) or "0") if cut > 0 else 0
        rest = digits[max(cut, 0) :]
        if any(rest):
            if rounding is Rounding.UP:
                magnitude += not sign
            elif cut >= 0 and rest[0] >= 5:
                magnitude += 1
    return -magnitude if sign else magnitude


def scaled_exactly(number: Decimal, places: int) -> int | None:
    """`number` x 10**places as an exact integer, or None if it has more decimals (the rate-card
    rule: a contract's 5.855 EUR is refused, not rounded). Works on the digits, not with Decimal
    arithmetic, which rounds to 28 significant digits and would accept 1.000000000000000000000000000001 kg."""
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # a finite number
    while digits and digits[-1] == 0 and exponent < -places:
        digits, exponent = digits[:-1], exponent + 1
    if not any(digits):
        return 0
    if exponent < -places:
        return None
    value = int("".join(map(str, digits)) + "0" * (exponent + places))
    return -value if sign else value


def grams_from_kg(kg: Number) -> int:
    """Kilograms as whole grams, rounded up: 1.2341 -> 1235."""
    return scaled(kg, 3, Rounding.UP)


def mm_from_cm(cm: Number) -> int:
    """Centimetres as whole millimetres, rounded up: 30.01 -> 301."""
    return scaled(cm, 1, Rounding.UP)


def cents_from_amount(amount: Number) -> int:
    """A money amount as whole cents, to the nearest, a half away from zero: 12.345 -> 1235."""
    return scaled(amount, 2, Rounding.HALF_UP)


def bp_from_percent(percent: Number) -> int:
    """A percentage as whole basis points, to the nearest, a half away from zero: 12.755 -> 1276."""
    return scaled(percent, 2, Rounding.HALF_UP)


# The other way, for JSON: an int over a power of ten is the float nearest the exact decimal,
# so 1235 cents is written 12.35.


def kg_from_grams(grams: int) -> float:
    return grams / GRAMS_PER_KG


def cm_from_mm(mm: int) -> float:
    return mm / MM_PER_CM


def amount_from_cents(cents: int) -> float:
    return cents / CENTS_PER_UNIT


def percent_from_bp(bp: int) -> float:
    return bp / BP_PER_PERCENT


# And as exact decimals, for the files and sheets a manager reads (rate-card downloads, messages).


def kg_decimal(grams: int) -> Decimal:
    """250 g -> Decimal('0.25')."""
    return (Decimal(grams) / GRAMS_PER_KG).normalize()


def cm_decimal(mm: int) -> Decimal:
    return (Decimal(mm) / MM_PER_CM).normalize()


def amount_decimal(cents: int) -> Decimal:
    """Two decimals, as prices are printed: 790 -> Decimal('7.90')."""
    return Decimal(cents).scaleb(-2)


def percent_decimal(bp: int) -> Decimal:
    return (Decimal(bp) / BP_PER_PERCENT).normalize()
