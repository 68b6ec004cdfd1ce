"""Pricing a weight in a grid: inclusive upper bounds, then started kilograms past the last bracket."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carriers.model import Bracket, PriceGrid

# (upper bound in g, price in cents), as a carrier prints them: <= 0.25 kg, <= 0.5 kg, ...
ROWS = [(250, 585), (500, 790), (1000, 970), (2000, 1125), (5000, 1725)]


def grid(rows: list[tuple[int, int]] = ROWS, extra_kg: int | None = None) -> PriceGrid:
    return PriceGrid("HOME", "FR", tuple(Bracket(g, c) for g, c in rows), extra_kg)


@pytest.mark.parametrize(("bound", "price"), ROWS)
def test_a_weight_exactly_on_a_bound_is_priced_by_that_bracket(bound: int, price: int) -> None:
    assert grid().base_price_cents(bound) == price


@pytest.mark.parametrize("i", range(len(ROWS) - 1))
def test_one_gram_over_a_bound_is_priced_by_the_next_bracket(i: int) -> None:
    bound, _ = ROWS[i]
    _, next_price = ROWS[i + 1]
    assert grid().base_price_cents(bound + 1) == next_price


@pytest.mark.parametrize("weight", [0, 1, 100, 249])
def test_the_lightest_parcels_are_priced_by_the_first_bracket(weight: int) -> None:
    assert grid().base_price_cents(weight) == ROWS[0][1]


def test_a_weight_inside_a_bracket_takes_that_brackets_price() -> None:
    assert grid().base_price_cents(1500) == 1125


def test_past_the_last_bracket_without_an_extra_kg_price_the_weight_is_not_served() -> None:
    last = ROWS[-1][0]
    assert grid().base_price_cents(last + 1) is None
    assert grid().base_price_cents(last + 10_000) is None


def test_the_last_bound_itself_is_still_served_without_an_extra_kg_price() -> None:
    assert grid().base_price_cents(ROWS[-1][0]) == ROWS[-1][1]


def test_one_gram_past_the_last_bracket_costs_one_started_extra_kilogram() -> None:
    last, last_price = ROWS[-1]
    assert grid(extra_kg=70).base_price_cents(last + 1) == last_price + 70


def test_a_whole_extra_kilogram_costs_one_extra_kilogram_and_one_gram_more_costs_two() -> None:
    last, last_price = ROWS[-1]
    priced = grid(extra_kg=70)
    assert priced.base_price_cents(last + 1000) == last_price + 70
    assert priced.base_price_cents(last + 1001) == last_price + 2 * 70
    assert priced.base_price_cents(last + 25_000) == last_price + 25 * 70


def test_an_extra_kg_price_changes_nothing_inside_the_brackets() -> None:
    for bound, price in ROWS:
        assert grid(extra_kg=70).base_price_cents(bound) == price


def test_a_grid_of_one_bracket_prices_everything_up_to_its_bound() -> None:
    single = grid([(30_000, 3915)])
    assert single.base_price_cents(1) == 3915
    assert single.base_price_cents(30_000) == 3915
    assert single.base_price_cents(30_001) is None


def test_the_largest_bracket_is_the_last_bound() -> None:
    assert grid().max_bracket_g == ROWS[-1][0]


# ------------------------------------------------------------------- property


@st.composite
def grids(draw: st.DrawFn) -> tuple[list[tuple[int, int]], int | None]:
    bounds = sorted(draw(st.sets(st.integers(1, 40_000), min_size=1, max_size=15)))
    prices = draw(st.lists(st.integers(0, 100_000), min_size=len(bounds), max_size=len(bounds)))
    extra = draw(st.none() | st.integers(0, 5_000))
    return list(zip(bounds, prices, strict=True)), extra


def linear_scan(rows: list[tuple[int, int]], extra: int | None, weight: int) -> int | None:
    for bound, price in rows:
        if weight <= bound:
            return price
    if extra is None:
        return None
    last_bound, last_price = rows[-1]
    return last_price + math.ceil((weight - last_bound) / 1000) * extra


@given(grids(), st.integers(0, 60_000))
def test_bisection_prices_like_a_linear_scan_of_the_brackets(
    card: tuple[list[tuple[int, int]], int | None], weight: int
) -> None:
    rows, extra = card
    assert grid(rows, extra).base_price_cents(weight) == linear_scan(rows, extra, weight)


@given(grids(), st.data())
def test_every_bound_and_the_gram_after_it_are_priced_like_a_linear_scan(
    card: tuple[list[tuple[int, int]], int | None], data: st.DataObject
) -> None:
    rows, extra = card
    bound = data.draw(st.sampled_from([b for b, _ in rows]))
    priced = grid(rows, extra)
    assert priced.base_price_cents(bound) == linear_scan(rows, extra, bound)
    assert priced.base_price_cents(bound + 1) == linear_scan(rows, extra, bound + 1)
