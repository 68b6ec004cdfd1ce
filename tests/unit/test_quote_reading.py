"""Reading a quote request's numbers: the straight reading of ints and floats agrees with Decimal."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from hypothesis import given
from hypothesis import strategies as st

from tms.api.quote_io import _Reader


def decimal_reading(value: object, scale: int) -> int:
    return int((Decimal(str(value)) * scale).to_integral_value(rounding=ROUND_CEILING))


@given(
    value=st.one_of(
        st.floats(min_value=1e-9, max_value=1e9, allow_nan=False),
        st.integers(1, 10**9),
        st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**6), places=4).map(float),
    ),
    scale=st.sampled_from([10, 100, 1000]),
)
def test_a_number_reads_as_the_ceiling_of_its_decimal_value_times_the_scale(value: float | int, scale: int) -> None:
    reader = _Reader()
    assert reader.amount({"x": value}, "x", "x", scale, positive=True) == decimal_reading(value, scale)
    assert reader.problems == []


def test_numbers_past_the_bounds_are_refused_naming_the_field() -> None:
    reader = _Reader()
    assert reader.amount({"x": 10**9 + 1}, "x", "p.x", 1000, positive=True) is None
    assert reader.amount({"x": 1.5e9}, "x", "p.y", 10, positive=True) is None
    assert reader.amount({"x": -0.5}, "x", "p.z", 100, positive=False) is None
    assert reader.amount({"x": 0.0}, "x", "p.w", 1000, positive=True) is None
    assert [(p.field, p.message) for p in reader.problems] == [
        ("p.x", "must be a finite number below 1e9"),
        ("p.y", "must be a finite number below 1e9"),
        ("p.z", "must not be negative"),
        ("p.w", "must be greater than 0"),
    ]
