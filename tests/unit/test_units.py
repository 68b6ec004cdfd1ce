"""Unit conversions: weights and lengths round up, money and percentages to the nearest, a half up,
each read as the decimal it is written as."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tms.domain.units import (
    amount_from_cents,
    bp_from_percent,
    cents_from_amount,
    grams_from_kg,
    kg_decimal,
    mm_from_cm,
    scaled_exactly,
)

written = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(-1e12, 1e12, allow_nan=False),
    st.decimals(min_value=-(10**6), max_value=10**6, places=6, allow_nan=False).map(str),
    st.decimals(min_value=0, max_value=10, places=40, allow_nan=False).map(str),
)


def exact(value: int | float | str) -> Fraction:
    """The value as a client wrote it: a float by its shortest form."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def half_up(x: Fraction) -> int:
    magnitude = math.floor(abs(x) + Fraction(1, 2))
    return magnitude if x >= 0 else -magnitude


@given(value=written)
def test_weights_and_lengths_round_up_to_the_whole_gram_and_millimetre(value) -> None:
    assert grams_from_kg(value) == math.ceil(exact(value) * 1000)
    assert mm_from_cm(value) == math.ceil(exact(value) * 10)


@given(value=written)
def test_money_and_percentages_round_to_the_nearest_a_half_away_from_zero(value) -> None:
    assert cents_from_amount(value) == half_up(exact(value) * 100)
    assert bp_from_percent(value) == half_up(exact(value) * 100)


@given(cents=st.integers(-(10**12), 10**12))
def test_cents_written_as_an_amount_read_back_to_the_same_cents(cents) -> None:
    assert cents_from_amount(amount_from_cents(cents)) == cents


def test_the_documented_examples() -> None:
    assert cents_from_amount(12.345) == 1235
    assert cents_from_amount("12.3449") == 1234
    assert cents_from_amount(0.1 + 0.2) == 30  # 0.30000000000000004, not 31 cents
    assert grams_from_kg(1.1) == 1100  # not 1101: the float's shortest form is read
    assert grams_from_kg(1.2341) == 1235
    assert mm_from_cm("30.01") == 301
    assert kg_decimal(250) == Decimal("0.25")


@pytest.mark.parametrize("value", [True, "NaN", "inf", float("nan"), float("-inf"), "1e999999", "x", None])
def test_what_is_not_a_finite_number_of_sane_size_is_refused(value) -> None:
    with pytest.raises(ValueError):
        grams_from_kg(value)


def test_a_rate_card_amount_is_exact_or_refused() -> None:
    assert scaled_exactly(Decimal("5.850"), 2) == 585
    assert scaled_exactly(Decimal("5.855"), 2) is None
    assert scaled_exactly(Decimal("1.000000000000000000000000000001"), 3) is None
