"""Finding a destination's zone: the most specific entry wins; overlapping zones are refused."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from types import FrameType

from hypothesis import given, settings
from hypothesis import strategies as st

from carriers.model import Zone, ZoneEntry, ZoneIndex, zone_conflicts, zone_conflicts_pairwise


def whole(country: str) -> ZoneEntry:
    return ZoneEntry(country)


def prefix(country: str, value: str) -> ZoneEntry:
    return ZoneEntry(country, prefix=value)


def span(country: str, low: str, high: str) -> ZoneEntry:
    return ZoneEntry(country, low=low, high=high)


def zone(code: str, *entries: ZoneEntry) -> Zone:
    return Zone(code, code, tuple(entries))


FRANCE = [
    zone("FR", whole("FR")),
    zone("FR-COR", prefix("FR", "20")),
    zone("DOM", prefix("FR", "97")),
    zone("REU", prefix("FR", "974")),
    zone("GUA", span("FR", "97100", "97199")),
    zone("POINTE", span("FR", "97110", "97119")),
    zone("MC", whole("MC")),
]


def index() -> ZoneIndex:
    return ZoneIndex(FRANCE)


# ------------------------------------------------------------------- matching


def test_a_mainland_postcode_falls_in_the_whole_country_zone() -> None:
    assert index().zone_for("FR", "75001") == "FR"


def test_a_corsican_postcode_goes_to_the_corsica_prefix_not_the_whole_country() -> None:
    assert index().zone_for("FR", "20000") == "FR-COR"
    assert index().zone_for("FR", "20290") == "FR-COR"


def test_a_postcode_that_only_contains_20_further_on_stays_on_the_mainland() -> None:
    assert index().zone_for("FR", "12020") == "FR"
    assert index().zone_for("FR", "02000") == "FR"


def test_a_longer_prefix_beats_a_shorter_one() -> None:
    assert index().zone_for("FR", "97411") == "REU"
    assert index().zone_for("FR", "97300") == "DOM"


def test_a_range_beats_the_prefix_it_lies_in() -> None:
    assert index().zone_for("FR", "97150") == "GUA"


def test_a_narrower_range_beats_the_wider_range_around_it() -> None:
    assert index().zone_for("FR", "97115") == "POINTE"
    assert index().zone_for("FR", "97120") == "GUA"


def test_both_ends_of_a_range_are_inside_it_and_their_neighbours_are_not() -> None:
    idx = index()
    assert idx.zone_for("FR", "97100") == "GUA"
    assert idx.zone_for("FR", "97199") == "GUA"
    assert idx.zone_for("FR", "97099") == "DOM"
    assert idx.zone_for("FR", "97200") == "DOM"


def test_a_range_only_matches_postcodes_of_its_own_length() -> None:
    idx = ZoneIndex([zone("FR", whole("FR")), zone("GUA", span("FR", "97100", "97199"))])
    assert idx.zone_for("FR", "9715") == "FR"
    assert idx.zone_for("FR", "971500") == "FR"


def test_the_whole_country_matches_any_postcode_even_an_empty_one() -> None:
    idx = index()
    assert idx.zone_for("MC", "98000") == "MC"
    assert idx.zone_for("MC", "") == "MC"
    assert idx.zone_for("FR", "") == "FR"


def test_a_country_no_zone_lists_has_no_zone() -> None:
    assert index().zone_for("DE", "10115") is None


def test_a_country_listed_only_by_prefix_has_no_zone_outside_the_prefix() -> None:
    idx = ZoneIndex([zone("NL-AMS", prefix("NL", "10"))])
    assert idx.zone_for("NL", "1012AB") == "NL-AMS"
    assert idx.zone_for("NL", "3011AA") is None


def test_spaces_dashes_and_lower_case_in_a_postcode_are_ignored() -> None:
    idx = ZoneIndex([zone("NL", whole("NL")), zone("DAM", prefix("NL", "1012AB"))])
    assert idx.zone_for("NL", "1012 ab") == "DAM"
    assert idx.zone_for("NL", " 1012-Ab ") == "DAM"
    assert index().zone_for("FR", "20 000") == "FR-COR"
    assert index().zone_for("FR", "97 150") == "GUA"


# ------------------------------------------------------------------ conflicts


def conflicting_codes(zones: list[Zone]) -> set[frozenset[str]]:
    return {frozenset({a.code, b.code}) for a, _, b, _ in zone_conflicts(zones)}


def test_the_same_entry_in_two_zones_is_a_conflict() -> None:
    zones = [zone("A", prefix("FR", "20")), zone("B", prefix("FR", "20"))]
    conflicts = zone_conflicts(zones)
    assert len(conflicts) == 1
    zone_a, entry_a, zone_b, entry_b = conflicts[0]
    assert {zone_a.code, zone_b.code} == {"A", "B"}
    assert entry_a == entry_b == prefix("FR", "20")


def test_the_whole_country_in_two_zones_is_a_conflict() -> None:
    assert conflicting_codes([zone("A", whole("BE")), zone("B", whole("BE"))]) == {frozenset("AB")}


def test_the_same_range_in_two_zones_is_a_conflict() -> None:
    zones = [zone("A", span("FR", "97100", "97199")), zone("B", span("FR", "97100", "97199"))]
    assert conflicting_codes(zones) == {frozenset("AB")}


def test_partly_overlapping_ranges_are_a_conflict() -> None:
    zones = [zone("A", span("FR", "97100", "97199")), zone("B", span("FR", "97150", "97249"))]
    assert conflicting_codes(zones) == {frozenset("AB")}


def test_ranges_sharing_only_one_end_postcode_are_a_conflict() -> None:
    zones = [zone("A", span("FR", "97100", "97150")), zone("B", span("FR", "97150", "97199"))]
    assert conflicting_codes(zones) == {frozenset("AB")}


def test_adjacent_ranges_that_do_not_overlap_are_not_a_conflict() -> None:
    zones = [zone("A", span("FR", "97100", "97149")), zone("B", span("FR", "97150", "97199"))]
    assert zone_conflicts(zones) == []


def test_a_range_straddling_the_edge_of_a_prefix_is_a_conflict() -> None:
    zones = [zone("COR", prefix("FR", "20")), zone("X", span("FR", "19900", "20099"))]
    assert conflicting_codes(zones) == {frozenset({"COR", "X"})}


def test_a_range_of_letter_postcodes_straddling_the_edge_of_a_prefix_is_a_conflict() -> None:
    zones = [zone("AMS", prefix("NL", "10")), zone("X", span("NL", "10AA", "11ZZ"))]
    assert prefix("NL", "10").matches("NL", "10AB") and span("NL", "10AA", "11ZZ").matches("NL", "10AB")
    assert conflicting_codes(zones) == {frozenset({"AMS", "X"})}


def test_a_range_entirely_outside_a_prefix_is_not_a_conflict() -> None:
    zones = [zone("COR", prefix("FR", "20")), zone("X", span("FR", "21000", "21999"))]
    assert zone_conflicts(zones) == []


def test_nested_entries_of_increasing_specificity_are_allowed() -> None:
    assert zone_conflicts(FRANCE) == []


def test_overlapping_entries_of_the_same_zone_are_not_a_conflict() -> None:
    zones = [zone("A", span("FR", "97100", "97199"), span("FR", "97150", "97249"), prefix("FR", "971"))]
    assert zone_conflicts(zones) == []


def test_the_same_postcodes_in_different_countries_are_not_a_conflict() -> None:
    zones = [zone("A", prefix("FR", "10")), zone("B", prefix("BE", "10")), zone("C", whole("LU"))]
    assert zone_conflicts(zones) == []


def test_ranges_of_different_lengths_are_not_a_conflict() -> None:
    zones = [zone("A", span("BE", "1000", "1999")), zone("B", span("BE", "10000", "19999"))]
    assert zone_conflicts(zones) == []


# ------------------------------------------------------------------- property
# A small world: two countries, postcodes over the digits 0-3 up to 4 long, so
# that random entries collide often and every postcode can be tried.

DIGITS = "0123"
COUNTRIES = ("FR", "BE")
ALL_POSTCODES = ["".join(p) for n in range(5) for p in itertools.product(DIGITS, repeat=n)]


@st.composite
def entries(draw: st.DrawFn) -> ZoneEntry:
    country = draw(st.sampled_from(COUNTRIES))
    shape = draw(st.sampled_from(["country", "prefix", "range"]))
    if shape == "country":
        return whole(country)
    if shape == "prefix":
        return prefix(country, draw(st.text(DIGITS, min_size=1, max_size=3)))
    width = draw(st.integers(2, 3))
    a, b = sorted(draw(st.text(DIGITS, min_size=width, max_size=width)) for _ in range(2))
    return span(country, a, b)


zone_sets = st.lists(st.lists(entries(), min_size=1, max_size=3), min_size=1, max_size=5).map(
    lambda groups: [zone(f"Z{i}", *group) for i, group in enumerate(groups)]
)


def entry_matches(entry: ZoneEntry, country: str, postcode: str) -> bool:
    if entry.country != country:
        return False
    if entry.low:  # a range: same length, between the ends (digits only here)
        return len(postcode) == len(entry.low) and int(entry.low) <= int(postcode) <= int(entry.high)
    return postcode[: len(entry.prefix)] == entry.prefix


def standing(entry: ZoneEntry) -> tuple[int, int]:
    """The documented order: any range over any prefix, narrower ranges first, longer prefixes first."""
    if entry.low:
        return (2, int(entry.low) - int(entry.high))
    if entry.prefix:
        return (1, len(entry.prefix))
    return (0, 0)


def best_zones(zones: list[Zone], country: str, postcode: str) -> set[str]:
    """Codes of the zones holding the most specific matching entries (brute force)."""
    matching = [(standing(e), z.code) for z in zones for e in z.entries if entry_matches(e, country, postcode)]
    if not matching:
        return set()
    top = max(s for s, _ in matching)
    return {code for s, code in matching if s == top}


def without_conflicts(zones: list[Zone]) -> list[Zone]:
    """The zones in order, skipping any that would conflict with those kept."""
    kept: list[Zone] = []
    for candidate in zones:
        if not zone_conflicts([*kept, candidate]):
            kept.append(candidate)
    return kept


@settings(max_examples=150, deadline=None)
@given(zone_sets)
def test_the_index_finds_the_most_specific_matching_entry_like_a_brute_force_scan(zones: list[Zone]) -> None:
    zones = without_conflicts(zones)
    idx = ZoneIndex(zones)
    for country in (*COUNTRIES, "LU"):
        for postcode in ALL_POSTCODES:
            best = best_zones(zones, country, postcode)
            assert len(best) <= 1, f"{country} {postcode!r} has no clear zone among {best}"
            assert idx.zone_for(country, postcode) == (best.pop() if best else None), (country, postcode)


@settings(max_examples=150, deadline=None)
@given(zone_sets)
def test_zones_leaving_a_postcode_without_a_clear_winner_are_reported_as_conflicting(
    zones: list[Zone],
) -> None:
    ambiguous = any(
        len(best_zones(zones, country, postcode)) > 1 for country in COUNTRIES for postcode in ALL_POSTCODES
    )
    if ambiguous:
        assert zone_conflicts(zones)


def test_a_range_of_letter_postcodes_nested_in_a_wider_one_is_allowed_and_wins() -> None:
    zones = [
        zone("NL-WIDE", span("NL", "1000AA", "1099ZZ")),
        zone("NL-CENTRE", span("NL", "1012AA", "1012ZZ")),
    ]
    assert conflicting_codes(zones) == set()
    assert ZoneIndex(zones).zone_for("NL", "1012 ab") == "NL-CENTRE"
    assert ZoneIndex(zones).zone_for("NL", "1013AB") == "NL-WIDE"


def test_a_lower_case_country_code_finds_its_zone() -> None:
    assert ZoneIndex([zone("FR", whole("FR"))]).zone_for("fr", "75001") == "FR"


# ------------------------------------------------------- the fast overlap check
# zone_conflicts sorts and scans; zone_conflicts_pairwise compares every pair, as the rule is
# written. On random zones (postcodes of digits and letters, ranges often crossing, nested, equal
# or straddling a prefix's edge) they find the same pairs, in the same order.

POSTCODE = "019AZ"  # both ends of the alphabet and its middle: "0" sorts first, "Z" last


@st.composite
def mixed_entries(draw: st.DrawFn) -> ZoneEntry:
    country = draw(st.sampled_from(COUNTRIES))
    shape = draw(st.sampled_from(["country", "prefix", "prefix", "range", "range", "range"]))
    if shape == "country":
        return whole(country)
    if shape == "prefix":
        return prefix(country, draw(st.text(POSTCODE, min_size=1, max_size=3)))
    width = draw(st.integers(1, 3))
    a, b = sorted(draw(st.text(POSTCODE, min_size=width, max_size=width)) for _ in range(2))
    return span(country, a, b)


mixed_zone_sets = st.lists(st.lists(mixed_entries(), min_size=1, max_size=6, unique=True), min_size=1, max_size=8).map(
    lambda groups: [zone(f"Z{i}", *group) for i, group in enumerate(groups)]
)


@settings(max_examples=400, deadline=None)
@given(mixed_zone_sets)
def test_the_sorted_overlap_check_finds_the_same_conflicts_as_comparing_every_pair(zones: list[Zone]) -> None:
    assert zone_conflicts(zones) == zone_conflicts_pairwise(zones)


@settings(max_examples=150, deadline=None)
@given(zone_sets)
def test_the_sorted_overlap_check_agrees_with_every_pair_on_the_small_world_too(zones: list[Zone]) -> None:
    assert zone_conflicts(zones) == zone_conflicts_pairwise(zones)


def test_a_limit_stops_the_overlap_check_after_that_many_pairs() -> None:
    zones = [zone(f"Z{i}", whole("FR")) for i in range(50)]  # 1,225 conflicting pairs
    assert len(zone_conflicts(zones)) == 50 * 49 // 2
    found = zone_conflicts(zones, limit=10)
    assert len(found) == 10
    every = zone_conflicts(zones)
    assert all(pair in every for pair in found)


def test_thousands_of_disjoint_entries_have_no_conflict() -> None:
    zones = [zone(f"Z{n}", span("FR", f"{n:05d}0", f"{n:05d}9"), prefix("BE", f"{n:04d}")) for n in range(5000)]
    assert zone_conflicts(zones) == []


class _TooMuchWork(Exception):
    pass


def lines_run(work: Callable[[], object], budget: int) -> int:
    """Python lines executed by `work`, a measure of its cost that no machine's speed changes; stops
    with _TooMuchWork past `budget`, so a quadratic check fails fast instead of running for minutes."""
    count = 0

    def trace(frame: FrameType, event: str, arg: object) -> Callable[..., object]:
        nonlocal count
        if event == "line":
            count += 1
            if count > budget:
                raise _TooMuchWork
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(previous)
    return count


def carrier_like_zones(entries: int) -> list[Zone]:
    """Zones as a big card lists them: 80 entries per zone, half postcode prefixes and half ranges,
    none overlapping another zone."""
    zones = []
    for z in range(entries // 80):
        found = []
        for k in range(80):
            n = z * 80 + k
            if k % 2:
                found.append(prefix("FR", f"1{n:05d}"))
            else:
                found.append(span("FR", f"2{n:04d}0", f"2{n:04d}9"))
        zones.append(zone(f"Z{z}", *found))
    return zones


def test_the_overlap_check_grows_as_n_log_n_not_as_the_square_of_the_entries() -> None:
    """16,000 entries took 40 s when every pair was compared. Counted in lines run: 4 times the
    entries cost at most about 4 log 4 times as much, and 1,000 entries at most 60 lines each
    (every pair of 1,000 entries would be 500,000 comparisons)."""
    small, large = carrier_like_zones(1_000), carrier_like_zones(4_000)
    assert not zone_conflicts(small) and not zone_conflicts(large)
    at_1000 = lines_run(lambda: zone_conflicts(small), budget=60 * 1_000)
    at_4000 = lines_run(lambda: zone_conflicts(large), budget=6 * at_1000)
    assert at_4000 <= 6 * at_1000
