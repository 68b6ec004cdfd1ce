"""The recommended option with a minimum on-time probability (quote.min_on_time_probability).

Options come sorted cheapest first, as a quote sorts them."""

from __future__ import annotations

from datetime import date

from tms.domain.policy import WarehouseCosts
from tms.domain.quotes import Offer, QuoteOption
from tms.services.quoting import recommend


def an_option(order: int, total_cents: int, chance: float | None) -> QuoteOption:
    offer = Offer(f"c{order}", f"C{order}", "HOME", "Home", "home", "standard", "EUR", order, 1)
    day = date(2026, 3, 4)
    return QuoteOption(
        total_cents, day, order, day, date(2026, 3, 2), offer, (0, 0, 0, 0), 0, 1, WarehouseCosts(), total_cents, chance
    )


def test_without_a_minimum_the_cheapest_is_recommended() -> None:
    options = [an_option(1, 500, 0.1), an_option(2, 600, 0.99)]
    assert recommend(options, 0.0) is options[0]


def test_the_cheapest_at_or_above_the_minimum_is_recommended() -> None:
    options = [an_option(1, 500, 0.5), an_option(2, 600, 0.9), an_option(3, 700, 0.99)]
    assert recommend(options, 0.9) is options[1]


def test_an_option_without_learned_figures_is_not_skipped() -> None:
    options = [an_option(1, 500, 0.2), an_option(2, 600, None), an_option(3, 700, 0.99)]
    assert recommend(options, 0.9) is options[1]


def test_when_every_option_is_below_the_minimum_the_one_most_likely_on_time_is_recommended() -> None:
    options = [an_option(1, 500, 0.2), an_option(2, 600, 0.7), an_option(3, 700, 0.7), an_option(4, 800, 0.4)]
    assert recommend(options, 0.9) is options[1]  # 0.7 twice: the cheaper
    assert recommend([], 0.9) is None
