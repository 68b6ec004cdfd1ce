"""Postcode shapes of the countries we ship to, to refuse a malformed destination early."""

from __future__ import annotations

import re

import pycountry

from tms.domain.errors import quoted

# Normalised form: upper case, no spaces or dashes (see carriers.model.normalise_postcode).
POSTCODE_SHAPES: dict[str, re.Pattern[str]] = {
    # A department (01-95; Corsica's 2A and 2B are 20), overseas (97) or Monaco and the Pacific (98):
    # no French postcode begins with 00, 96 or 99.
    "FR": re.compile(r"(?:0[1-9]|[1-8]\d|9[0-578])\d{3}"),
    "MC": re.compile(r"980\d{2}"),
    "BE": re.compile(r"\d{4}"),
    "LU": re.compile(r"(L)?\d{4}"),
    "DE": re.compile(r"\d{5}"),
    "NL": re.compile(r"\d{4}[A-Z]{2}"),
    "ES": re.compile(r"\d{5}"),
    "IT": re.compile(r"\d{5}"),
    "AT": re.compile(r"\d{4}"),
    "CH": re.compile(r"\d{4}"),
    "PT": re.compile(r"\d{7}"),
}
ANY_POSTCODE = re.compile(r"[A-Z0-9]{2,10}")


def postcode_problem(country: str, normalised_postcode: str) -> str | None:
    """Why the postcode cannot be one of the country's, or None if it has the right shape."""
    shape = POSTCODE_SHAPES.get(country, ANY_POSTCODE)
    if shape.fullmatch(normalised_postcode):
        return None
    return f"{quoted(normalised_postcode)} is not a postcode of {country}"


_known_countries: dict[str, bool] = {}


def is_country(code: str) -> bool:
    """An ISO 3166 alpha-2 code, upper case (the answers are kept, at most 26 x 26 of them: the quote
    asks it every time)."""
    if len(code) != 2 or not (code.isascii() and code.isalpha() and code.isupper()):
        return False
    known = _known_countries.get(code)
    if known is None:
        known = _known_countries[code] = pycountry.countries.get(alpha_2=code) is not None
    return known
