"""Boxing a shipment's items at least box cost: the fit and capacity rules one at a time, the cost
trade-offs, brute force over every set partition of tiny instances, and the independent checker."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import solvers.boxing as boxing
from solvers.boxing import BoxingSolution, BoxType, Item, ItemsFitNoBox, PackedBox, check_boxing, pack_items

FILL = 0.85


def an_item(item_id: str = "A", *, weight_g: int = 500, dims_mm: tuple[int, int, int] = (100, 100, 100)) -> Item:
    return Item(item_id, weight_g, *dims_mm)


def a_box(
    code: str = "S",
    *,
    dims_mm: tuple[int, int, int] = (300, 200, 150),
    max_weight_g: int = 10_000,
    cost_cents: int = 50,
) -> BoxType:
    return BoxType(code, *dims_mm, max_weight_g, cost_cents)


def packed(solution: BoxingSolution) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((b.box_type, tuple(sorted(b.items))) for b in solution.boxes)


def solve(items: Sequence[Item], boxes: Sequence[BoxType], fill_ratio: float = FILL) -> BoxingSolution:
    solution = pack_items(items, boxes, fill_ratio=fill_ratio, time_limit_s=10)
    assert check_boxing(items, boxes, solution, fill_ratio) == []
    return solution


# --- fit and capacities -----------------------------------------------------------------------


def test_an_item_fits_a_box_only_when_turned() -> None:
    long_flat = an_item(dims_mm=(300, 50, 100))
    box = a_box(dims_mm=(100, 310, 60))  # as given, 300 > 100: lying on its side it fits
    assert packed(solve([long_flat], [box])) == [("S", ("A",))]


def test_an_item_too_long_in_every_rotation_goes_to_the_box_that_takes_it() -> None:
    item = an_item(dims_mm=(400, 50, 50))
    boxes = [a_box("S", dims_mm=(300, 300, 300), cost_cents=10), a_box("LONG", dims_mm=(450, 60, 60), cost_cents=90)]
    assert packed(solve([item], boxes)) == [("LONG", ("A",))]


def test_heavy_items_split_on_weight_though_their_volume_would_share_a_box() -> None:
    items = [an_item("A", weight_g=6_000), an_item("B", weight_g=6_000)]  # 2 x 1 dm3 in a 9 dm3 box
    solution = solve(items, [a_box(max_weight_g=10_000)])
    assert packed(solution) == [("S", ("A",)), ("S", ("B",))]
    assert solution.status == "optimal"


def test_light_items_split_on_volume_though_their_weight_would_share_a_box() -> None:
    # Each 200x200x100 = 4 dm3 in a 300x200x150 = 9 dm3 box; two make 8 dm3 > 0.85 x 9 = 7.65 dm3.
    items = [an_item("A", weight_g=100, dims_mm=(200, 200, 100)), an_item("B", weight_g=100, dims_mm=(200, 200, 100))]
    assert packed(solve(items, [a_box()])) == [("S", ("A",)), ("S", ("B",))]
    assert packed(solve(items, [a_box()], fill_ratio=0.9)) == [("S", ("A", "B"))]


def test_a_lone_item_needs_only_to_fit_however_full_it_makes_its_box() -> None:
    snug = an_item(dims_mm=(295, 195, 145))  # 93 % of the box's volume
    assert packed(solve([snug], [a_box()])) == [("S", ("A",))]


# --- cost -------------------------------------------------------------------------------------


def test_two_small_boxes_when_they_cost_less_than_one_big() -> None:
    items = [an_item("A", dims_mm=(200, 150, 100)), an_item("B", dims_mm=(200, 150, 100))]
    boxes = [a_box("S", dims_mm=(210, 160, 110), cost_cents=30), a_box("L", dims_mm=(400, 300, 200), cost_cents=80)]
    solution = solve(items, boxes)
    assert packed(solution) == [("S", ("A",)), ("S", ("B",))]
    assert (solution.cost_cents, solution.lower_bound_cents, solution.status) == (60, 60, "optimal")


def test_one_big_box_when_it_costs_less_than_two_small() -> None:
    items = [an_item("A", dims_mm=(200, 150, 100)), an_item("B", dims_mm=(200, 150, 100))]
    boxes = [a_box("S", dims_mm=(210, 160, 110), cost_cents=45), a_box("L", dims_mm=(400, 300, 200), cost_cents=80)]
    solution = solve(items, boxes)
    assert packed(solution) == [("L", ("A", "B"))]
    assert (solution.cost_cents, solution.status) == (80, "optimal")


def test_equal_cost_prefers_fewer_boxes() -> None:
    items = [an_item("A"), an_item("B")]
    boxes = [a_box("S", dims_mm=(110, 110, 110), cost_cents=40), a_box("L", cost_cents=80)]
    assert packed(solve(items, boxes)) == [("L", ("A", "B"))]


def test_no_items_need_no_boxes() -> None:
    solution = pack_items([], [a_box()])
    assert (solution.boxes, solution.cost_cents, solution.status) == ([], 0, "optimal")


# --- refusals ---------------------------------------------------------------------------------


def test_items_no_box_takes_are_named_in_the_error() -> None:
    items = [an_item("OK"), an_item("SOFA", dims_mm=(2000, 900, 800)), an_item("ANVIL", weight_g=50_000)]
    with pytest.raises(ItemsFitNoBox, match="SOFA .*ANVIL") as raised:
        pack_items(items, [a_box()])
    assert raised.value.item_ids == ("SOFA", "ANVIL")
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("items", "boxes", "fill_ratio", "message"),
    [
        ([an_item("A"), an_item("A")], [a_box()], FILL, "item ids must be unique"),
        ([an_item()], [a_box("S"), a_box("S")], FILL, "codes must be unique"),
        ([an_item(dims_mm=(0, 10, 10))], [a_box()], FILL, "dimensions must be positive"),
        ([an_item()], [a_box(cost_cents=-1)], FILL, "non-negative"),
        ([an_item()], [a_box()], 1.5, "fill_ratio"),
    ],
)
def test_malformed_input_is_refused(items: list[Item], boxes: list[BoxType], fill_ratio: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pack_items(items, boxes, fill_ratio=fill_ratio)


# --- brute force ------------------------------------------------------------------------------


def set_partitions(elements: list[int]) -> Iterator[list[list[int]]]:
    if not elements:
        yield []
        return
    first, rest = elements[0], elements[1:]
    for partition in set_partitions(rest):
        yield [[first], *partition]
        for k in range(len(partition)):
            yield [*partition[:k], [first, *partition[k]], *partition[k + 1 :]]


def block_cost(block: list[Item], box: BoxType, fill_ratio: float) -> int | None:
    """The box's cost if it holds the block under the rules, written out here afresh."""
    inner = sorted((box.inner_length_mm, box.inner_width_mm, box.inner_height_mm))
    for item in block:
        if any(o > i for o, i in zip(sorted((item.length_mm, item.width_mm, item.height_mm)), inner, strict=True)):
            return None
    if sum(i.weight_g for i in block) > box.max_weight_g:
        return None
    volume = sum(i.length_mm * i.width_mm * i.height_mm for i in block)
    if len(block) > 1 and volume > inner[0] * inner[1] * inner[2] * fill_ratio:
        return None
    return box.cost_cents


def cheapest_by_brute_force(items: list[Item], boxes: list[BoxType], fill_ratio: float) -> int | None:
    best: int | None = None
    for partition in set_partitions(list(range(len(items)))):
        total = 0
        for block in partition:
            costs = [c for b in boxes if (c := block_cost([items[i] for i in block], b, fill_ratio)) is not None]
            if not costs:
                break
            total += min(costs)
        else:
            best = total if best is None else min(best, total)
    return best


dims = st.tuples(*[st.integers(min_value=30, max_value=250)] * 3)
tiny_items = st.lists(
    st.builds(lambda w, d: (w, d), st.integers(min_value=0, max_value=8_000), dims), min_size=1, max_size=6
).map(lambda specs: [Item(f"i{n}", w, *d) for n, (w, d) in enumerate(specs)])
box_types = st.lists(
    st.builds(
        lambda d, w, c: (d, w, c),
        st.tuples(*[st.integers(min_value=120, max_value=500)] * 3),
        st.integers(min_value=1_000, max_value=15_000),
        st.integers(min_value=10, max_value=200),
    ),
    min_size=2,
    max_size=3,
).map(lambda specs: [BoxType(f"B{n}", *d, w, c) for n, (d, w, c) in enumerate(specs)])


@settings(max_examples=150, deadline=None)
@given(tiny_items, box_types, st.sampled_from([0.6, 0.85, 1.0]))
def test_the_cost_is_the_brute_force_optimum_on_tiny_instances(
    items: list[Item], boxes: list[BoxType], fill_ratio: float
) -> None:
    best = cheapest_by_brute_force(items, boxes, fill_ratio)
    if best is None:  # some item fits no box type
        with pytest.raises(ItemsFitNoBox):
            pack_items(items, boxes, fill_ratio=fill_ratio)
        return
    solution = solve(items, boxes, fill_ratio)
    assert (solution.cost_cents, solution.lower_bound_cents, solution.status) == (best, best, "optimal")


def test_a_group_above_the_exact_size_gets_a_valid_greedy_packing() -> None:
    items = [an_item(f"i{n}", weight_g=300 + 37 * n, dims_mm=(60 + n, 80, 40 + n % 7)) for n in range(60)]
    boxes = [a_box("S", cost_cents=40), a_box("L", dims_mm=(500, 400, 300), max_weight_g=25_000, cost_cents=95)]
    assert len(items) > boxing.EXACT_UP_TO_ITEMS
    solution = solve(items, boxes)
    assert solution.lower_bound_cents <= solution.cost_cents


def test_a_typical_group_of_fifteen_items_is_solved_to_optimality() -> None:
    """How fast is for `make bench` to say (bench/binpacking), not for a timed test."""
    items = [an_item(f"i{n}", weight_g=200 + 450 * n, dims_mm=(80 + 13 * n, 120, 60 + 7 * (n % 5))) for n in range(15)]
    boxes = [
        a_box("S", dims_mm=(250, 180, 100), max_weight_g=5_000, cost_cents=35),
        a_box("M", dims_mm=(350, 250, 180), max_weight_g=12_000, cost_cents=55),
        a_box("L", dims_mm=(500, 400, 300), max_weight_g=25_000, cost_cents=95),
        a_box("XL", dims_mm=(800, 600, 400), max_weight_g=30_000, cost_cents=180),
    ]
    solution = solve(items, boxes)
    assert solution.status == "optimal" and solution.cost_cents == solution.lower_bound_cents


# --- the checker ------------------------------------------------------------------------------

ITEMS = [
    an_item("A", weight_g=4_000),
    an_item("B", weight_g=4_000),
    an_item("C", weight_g=2_500, dims_mm=(250, 200, 150)),
]
BOXES = [a_box("S", cost_cents=50)]
GOOD = BoxingSolution([PackedBox("S", ("A", "B")), PackedBox("S", ("C",))], 100, 100, "optimal", 0.0)


def test_the_checker_accepts_a_valid_packing() -> None:
    assert check_boxing(ITEMS, BOXES, GOOD, FILL) == []


def test_the_checker_accepts_a_packing_stated_without_a_bound() -> None:
    """As a plan re-check states it: the boxes and their cost, no bound, status feasible."""
    assert check_boxing(ITEMS, BOXES, dataclasses.replace(GOOD, lower_bound_cents=0, status="feasible"), FILL) == []


@pytest.mark.parametrize(
    ("boxes", "problem"),
    [
        ([PackedBox("S", ("A", "B"))], "item C is packed 0 times"),
        ([PackedBox("S", ("A", "B")), PackedBox("S", ("C", "A"))], "item A is packed 2 times"),
        ([PackedBox("S", ("A", "B")), PackedBox("S", ("C", "Z"))], "unknown item Z"),
        ([PackedBox("S", ("A", "B")), PackedBox("XL", ("C",))], "box 1 has unknown type"),
        ([PackedBox("S", ("A", "B")), PackedBox("S", ("C",)), PackedBox("S", ())], "box 2 (S) is empty"),
        ([PackedBox("S", ("A", "B", "C"))], "box 0 (S) holds 10500 g"),
        ([PackedBox("S", ("A",)), PackedBox("S", ("B", "C"))], "box 1 (S) holds 8500000 mm3"),
    ],
)
def test_the_checker_rejects_a_corrupted_packing(boxes: list[PackedBox], problem: str) -> None:
    corrupted = dataclasses.replace(GOOD, boxes=boxes)
    assert any(p.startswith(problem) for p in check_boxing(ITEMS, BOXES, corrupted, FILL))


def test_the_checker_rejects_an_item_that_fits_in_no_rotation() -> None:
    items = [an_item("A", dims_mm=(310, 100, 100))]
    solution = BoxingSolution([PackedBox("S", ("A",))], 50, 50, "optimal", 0.0)
    assert check_boxing(items, BOXES, solution, FILL) == ["item A does not fit box type S in any rotation"]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"cost_cents": 90, "lower_bound_cents": 90}, "the boxes cost 100 cents, not the 90 stated"),
        ({"lower_bound_cents": 120}, "lower bound 120 > cost 100"),
        ({"lower_bound_cents": 80}, "status optimal with bound 80"),
    ],
)
def test_the_checker_rejects_wrong_figures(changes: dict[str, int], problem: str) -> None:
    corrupted = dataclasses.replace(GOOD, **changes)  # type: ignore[arg-type]
    assert any(p.startswith(problem) for p in check_boxing(ITEMS, BOXES, corrupted, FILL))
