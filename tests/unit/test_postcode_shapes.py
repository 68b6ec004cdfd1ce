"""French postcodes: a department 01-95 (Corsica's are 20xxx), overseas 97xxx, Monaco and the
Pacific 98xxx; none begins with 00, 96 or 99."""

from __future__ import annotations

import pytest

from tms.domain.addresses import postcode_problem


@pytest.mark.parametrize(
    "postcode", ["01000", "06000", "20000", "20200", "75001", "95000", "97400", "97600", "98000", "98800"]
)
def test_a_french_postcode_of_a_department_overseas_or_monaco_is_one(postcode: str) -> None:
    assert postcode_problem("FR", postcode) is None


@pytest.mark.parametrize("postcode", ["00000", "00100", "96000", "99999", "99000", "7500", "750011", "2A000"])
def test_a_french_postcode_outside_them_is_not(postcode: str) -> None:
    assert postcode_problem("FR", postcode) == f"'{postcode}' is not a postcode of FR"


def test_the_rule_is_french_only() -> None:
    assert postcode_problem("IT", "00100") is None  # Rome
