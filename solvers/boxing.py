"""Packing one shipment's items into boxes at least box cost (variable-size bin packing).

Rules. A box type takes an item when the item's sorted dimensions fit the box's sorted inner
dimensions (any orthogonal rotation) and the item is no heavier than the box's max_weight_g.
A box's contents weigh at most max_weight_g in total. When a box holds two or more items, their
volumes sum to at most inner volume x `fill_ratio` (default 0.85): a standard practical proxy for
3-D packing, which is not modelled. A box holding one item needs only the dimensional fit: the
rotation test is already exact for one item, and the proxy would otherwise refuse an item the
size of its box, or send it to a bigger box for nothing.

Method.
- First-fit decreasing by volume, opening the cheapest box type that takes the item (and, as
  variants, the roomiest one and the cheapest per mm3), each box finally shrunk to the cheapest
  type that holds its contents; the best variant is the answer for large groups and the hint.
- Exact CP-SAT model for groups of up to `EXACT_UP_TO_ITEMS` items:
  variables: use[t, k] for candidate box k of type t (k below the number of items type t takes,
  and below greedy cost / cost of t), x[i, t, k] when type t takes item i;
  constraints: each item in exactly one box; x <= use; a used box holds an item; weight per box;
  volume of the items in a box <= capacity, an item bigger than the capacity only alone;
  symmetry: boxes of a type used in order, item number p of type t's list only in boxes k <= p,
  identical items in non-decreasing box numbers;
  objective: box cost, ties broken towards fewer boxes (cost x (n + 1) + boxes).
- Lower bound: the dearer of the costliest single-item need, and total volume (weight) at the
  best cost per mm3 (per gram) over the box types; raised by CP-SAT's bound when it runs.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from ortools.sat.python import cp_model

Status = Literal["optimal", "feasible"]

EXACT_UP_TO_ITEMS = 40


@dataclass(frozen=True)
class Item:
    id: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int

    @property
    def volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm

    @property
    def sorted_dims_mm(self) -> tuple[int, int, int]:
        a, b, c = sorted((self.length_mm, self.width_mm, self.height_mm))
        return a, b, c


@dataclass(frozen=True)
class BoxType:
    code: str
    inner_length_mm: int
    inner_width_mm: int
    inner_height_mm: int
    max_weight_g: int
    cost_cents: int

    @property
    def inner_volume_mm3(self) -> int:
        return self.inner_length_mm * self.inner_width_mm * self.inner_height_mm

    def capacity_mm3(self, fill_ratio: float) -> int:
        """The most item volume a box of two or more items may hold."""
        return math.floor(self.inner_volume_mm3 * fill_ratio)

    def fits(self, item: Item) -> bool:
        """The box type takes the item alone: dimensions (any rotation) and weight."""
        a, b, c = sorted((self.inner_length_mm, self.inner_width_mm, self.inner_height_mm))
        x, y, z = item.sorted_dims_mm
        return x <= a and y <= b and z <= c and item.weight_g <= self.max_weight_g

    def holds(self, contents: Sequence[Item], fill_ratio: float) -> bool:
        """The box type takes all these items together (module rules)."""
        if not contents or not all(self.fits(i) for i in contents):
            return False
        if sum(i.weight_g for i in contents) > self.max_weight_g:
            return False
        return len(contents) == 1 or sum(i.volume_mm3 for i in contents) <= self.capacity_mm3(fill_ratio)


@dataclass(frozen=True)
class PackedBox:
    box_type: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class BoxingSolution:
    """Boxes with the ids of their items. `lower_bound_cents` is proven; optimal iff it equals cost_cents."""

    boxes: list[PackedBox]
    cost_cents: int
    lower_bound_cents: int
    status: Status
    seconds: float


class ItemsFitNoBox(ValueError):
    """Some items fit no box type alone (too long, too wide, too tall or too heavy for all of them)."""

    def __init__(self, item_ids: Sequence[str], details: Sequence[str]):
        self.item_ids = tuple(item_ids)
        super().__init__("no box type takes item(s) " + ", ".join(details))


def pack_items(
    items: Sequence[Item],
    box_types: Sequence[BoxType],
    *,
    fill_ratio: float = 0.85,
    time_limit_s: float = 5.0,
    workers: int = 1,
) -> BoxingSolution:
    """The least-cost boxes for `items`. Raises ItemsFitNoBox (a ValueError) naming the items no box type
    takes, and ValueError for malformed input (duplicate ids or codes, non-positive dimensions, ...)."""
    started = time.perf_counter()
    _validate(items, box_types, fill_ratio)
    if not items:
        return BoxingSolution([], 0, 0, "optimal", time.perf_counter() - started)
    unfit = [i for i in items if not any(b.fits(i) for b in box_types)]
    if unfit:
        details = [f"{i.id} ({i.length_mm}x{i.width_mm}x{i.height_mm} mm, {i.weight_g} g)" for i in unfit]
        raise ItemsFitNoBox([i.id for i in unfit], details)

    cost_of = {b.code: b.cost_cents for b in box_types}
    best = greedy_packing(items, box_types, fill_ratio)
    best_cost = sum(cost_of[b.box_type] for b in best)
    bound = min(_lower_bound(items, box_types, fill_ratio), best_cost)
    if best_cost > bound and len(items) <= EXACT_UP_TO_ITEMS:
        deadline = started + time_limit_s
        exact = _solve_exact(items, box_types, fill_ratio, best, deadline, workers)
        if exact is not None:
            boxes, proven = exact
            bound = max(bound, proven)
            cost = sum(cost_of[b.box_type] for b in boxes)
            if (cost, len(boxes)) < (best_cost, len(best)):
                best, best_cost = boxes, cost
    bound = min(bound, best_cost)
    return BoxingSolution(
        boxes=best,
        cost_cents=best_cost,
        lower_bound_cents=bound,
        status="optimal" if best_cost == bound else "feasible",
        seconds=time.perf_counter() - started,
    )


def check_boxing(
    items: Sequence[Item], box_types: Sequence[BoxType], solution: BoxingSolution, fill_ratio: float
) -> list[str]:
    """Every problem with a packing, in words (empty when valid). Re-derives the rules of the module
    docstring from the raw fields, without the solver's helpers."""
    problems: list[str] = []
    types = {b.code: b for b in box_types}
    by_id = {i.id: i for i in items}
    placed = Counter(item_id for box in solution.boxes for item_id in box.items)
    for item_id in by_id:
        if placed[item_id] != 1:
            problems.append(f"item {item_id} is packed {placed[item_id]} times")
    problems.extend(f"unknown item {item_id} is packed" for item_id in placed if item_id not in by_id)
    cost = 0
    for n, box in enumerate(solution.boxes):
        box_type = types.get(box.box_type)
        if box_type is None:
            problems.append(f"box {n} has unknown type {box.box_type!r}")
            continue
        cost += box_type.cost_cents
        if not box.items:
            problems.append(f"box {n} ({box_type.code}) is empty")
        inner = sorted((box_type.inner_length_mm, box_type.inner_width_mm, box_type.inner_height_mm))
        contents = [by_id[i] for i in box.items if i in by_id]
        for item in contents:
            outer = sorted((item.length_mm, item.width_mm, item.height_mm))
            if any(o > i for o, i in zip(outer, inner, strict=True)):
                problems.append(f"item {item.id} does not fit box type {box_type.code} in any rotation")
        weight = sum(i.weight_g for i in contents)
        if weight > box_type.max_weight_g:
            problems.append(f"box {n} ({box_type.code}) holds {weight} g > {box_type.max_weight_g} g")
        volume = sum(i.length_mm * i.width_mm * i.height_mm for i in contents)
        limit = box_type.inner_length_mm * box_type.inner_width_mm * box_type.inner_height_mm * fill_ratio
        if len(contents) > 1 and volume > limit:
            problems.append(f"box {n} ({box_type.code}) holds {volume} mm3 > {fill_ratio:g} of its volume")
    if cost != solution.cost_cents:
        problems.append(f"the boxes cost {cost} cents, not the {solution.cost_cents} stated")
    if solution.lower_bound_cents > solution.cost_cents:
        problems.append(f"lower bound {solution.lower_bound_cents} > cost {solution.cost_cents}")
    if solution.status == "optimal" and solution.lower_bound_cents != solution.cost_cents:  # claimed, not proven
        problems.append(f"status {solution.status} with bound {solution.lower_bound_cents}, cost {solution.cost_cents}")
    return problems


def _validate(items: Sequence[Item], box_types: Sequence[BoxType], fill_ratio: float) -> None:
    if not 0 < fill_ratio <= 1:
        raise ValueError(f"fill_ratio must be in (0, 1], got {fill_ratio}")
    repeated = [k for k, n in Counter(i.id for i in items).items() if n > 1]
    if repeated:
        raise ValueError(f"item ids must be unique: {', '.join(repeated)} repeated")
    repeated = [k for k, n in Counter(b.code for b in box_types).items() if n > 1]
    if repeated:
        raise ValueError(f"box type codes must be unique: {', '.join(repeated)} repeated")
    for i in items:
        if min(i.length_mm, i.width_mm, i.height_mm) <= 0 or i.weight_g < 0:
            raise ValueError(f"item {i.id}: dimensions must be positive and weight non-negative")
    for b in box_types:
        if min(b.inner_length_mm, b.inner_width_mm, b.inner_height_mm) <= 0 or b.max_weight_g < 0 or b.cost_cents < 0:
            raise ValueError(f"box type {b.code}: dimensions must be positive, weight limit and cost non-negative")


# --- greedy -----------------------------------------------------------------------------------


def greedy_packing(items: Sequence[Item], box_types: Sequence[BoxType], fill_ratio: float) -> list[PackedBox]:
    """First-fit decreasing by volume under three rules for the box a new item opens (cheapest, roomiest,
    cheapest per mm3 of capacity); each box then shrinks to the cheapest type holding it. Cheapest result wins,
    then fewest boxes. Every item must fit some box type alone."""
    cost_of = {b.code: b.cost_cents for b in box_types}
    openers: list[Callable[[BoxType], tuple[float, ...]]] = [
        lambda b: (b.cost_cents, -b.capacity_mm3(fill_ratio)),
        lambda b: (-b.capacity_mm3(fill_ratio), -b.max_weight_g, b.cost_cents),
        lambda b: (b.cost_cents / max(1, b.capacity_mm3(fill_ratio)), b.cost_cents),
    ]
    results = [_first_fit_decreasing(items, sorted(box_types, key=key), box_types, fill_ratio) for key in openers]
    return min(results, key=lambda boxes: (sum(cost_of[b.box_type] for b in boxes), len(boxes)))


def _first_fit_decreasing(
    items: Sequence[Item], opening_order: Sequence[BoxType], box_types: Sequence[BoxType], fill_ratio: float
) -> list[PackedBox]:
    boxes: list[tuple[BoxType, list[Item]]] = []
    for item in sorted(items, key=lambda i: (-i.volume_mm3, -i.weight_g, i.id)):
        for box_type, contents in boxes:
            if box_type.holds([*contents, item], fill_ratio):
                contents.append(item)
                break
        else:
            boxes.append((next(b for b in opening_order if b.fits(item)), [item]))
    packed = []
    for _, contents in boxes:
        cheapest = min((b for b in box_types if b.holds(contents, fill_ratio)), key=lambda b: b.cost_cents)
        packed.append(PackedBox(cheapest.code, tuple(i.id for i in contents)))
    return packed


def _lower_bound(items: Sequence[Item], box_types: Sequence[BoxType], fill_ratio: float) -> int:
    """Valid for any packing: some box must take each item; and a box of type t holds at most
    max(capacity, largest item it takes alone) mm3 and max_weight_g grams."""
    single = max(min(b.cost_cents for b in box_types if b.fits(i)) for i in items)
    per_mm3 = min(
        b.cost_cents / max(b.capacity_mm3(fill_ratio), *(i.volume_mm3 for i in items if b.fits(i)))
        for b in box_types
        if any(b.fits(i) for i in items)
    )
    weight_types = [b for b in box_types if b.max_weight_g > 0]
    per_gram = min((b.cost_cents / b.max_weight_g for b in weight_types), default=0.0)
    volume = sum(i.volume_mm3 for i in items)
    weight = sum(i.weight_g for i in items)
    fractional = max(volume * per_mm3, weight * per_gram)
    return max(single, math.ceil(fractional - 1e-9))


# --- exact ------------------------------------------------------------------------------------


def _solve_exact(
    items: Sequence[Item],
    box_types: Sequence[BoxType],
    fill_ratio: float,
    hint: list[PackedBox],
    deadline: float,
    workers: int,
) -> tuple[list[PackedBox], int] | None:
    """CP-SAT model of the module docstring; returns (boxes, proven cost bound) or None without a solution."""
    remaining = deadline - time.perf_counter()
    if remaining <= 0:
        return None
    n = len(items)
    weight_factor = n + 1  # objective = cost x (n + 1) + boxes
    cost_of = {b.code: b.cost_cents for b in box_types}
    hint_cost = sum(cost_of[b.box_type] for b in hint)
    model = cp_model.CpModel()

    takes = {t: [i for i in range(n) if b.fits(items[i])] for t, b in enumerate(box_types)}
    use: dict[tuple[int, int], cp_model.IntVar] = {}
    x: dict[tuple[int, int, int], cp_model.IntVar] = {}
    for t, b in enumerate(box_types):
        candidates = len(takes[t])
        if b.cost_cents > 0:
            candidates = min(candidates, hint_cost // b.cost_cents)
        for k in range(candidates):
            use[t, k] = model.new_bool_var(f"use_{t}_{k}")
            if k > 0:
                model.add_implication(use[t, k], use[t, k - 1])
        for position, i in enumerate(takes[t]):
            for k in range(min(position + 1, candidates)):
                x[i, t, k] = model.new_bool_var(f"x_{i}_{t}_{k}")
                model.add_implication(x[i, t, k], use[t, k])

    in_box: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, t, k in x:
        in_box[t, k].append(i)
    for i in range(n):
        model.add_exactly_one(v for (j, _, _), v in x.items() if j == i)
    for (t, k), used in use.items():
        self_box = [(i, x[i, t, k]) for i in in_box[t, k]]
        model.add_bool_or([v for _, v in self_box]).only_enforce_if(used)
        b = box_types[t]
        model.add(sum(items[i].weight_g * v for i, v in self_box) <= b.max_weight_g)
        capacity = b.capacity_mm3(fill_ratio)
        small = [(i, v) for i, v in self_box if items[i].volume_mm3 <= capacity]
        if len(small) > 1:
            model.add(sum(items[i].volume_mm3 * v for i, v in small) <= capacity)
        for i, v in self_box:
            others = [w for j, w in self_box if j != i]
            if items[i].volume_mm3 > capacity and others:  # only alone
                model.add(sum(others) == 0).only_enforce_if(v)

    slot_number = {slot: s for s, slot in enumerate(sorted(use))}
    box_of = [sum(slot_number[t, k] * v for (j, t, k), v in x.items() if j == i) for i in range(n)]
    for group in _identical_groups(items):  # identical items: non-decreasing box numbers
        for i, j in zip(group, group[1:], strict=False):
            model.add(box_of[i] <= box_of[j])

    model.minimize(sum((box_types[t].cost_cents * weight_factor + 1) * v for (t, _), v in use.items()))
    _add_hint(model, items, box_types, hint, use, x)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = remaining
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    boxes = []
    for t, k in sorted(use):
        contents = tuple(items[i].id for i in in_box[t, k] if solver.value(x[i, t, k]))
        if contents:
            boxes.append(PackedBox(box_types[t].code, contents))
    if status == cp_model.OPTIMAL:
        proven = sum(cost_of[b.box_type] for b in boxes)
    else:  # objective >= bound and boxes <= n, so cost >= (bound - n) / (n + 1)
        proven = max(0, math.ceil((solver.best_objective_bound - n) / weight_factor - 1e-9))
    return boxes, proven


def _identical_groups(items: Sequence[Item]) -> list[list[int]]:
    """Indices of items with the same weight and sorted dimensions (interchangeable), groups of two or more."""
    groups: dict[tuple[int, int, int, int], list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        groups[(item.weight_g, *item.sorted_dims_mm)].append(i)
    return [g for g in groups.values() if len(g) > 1]


def _add_hint(
    model: cp_model.CpModel,
    items: Sequence[Item],
    box_types: Sequence[BoxType],
    hint: list[PackedBox],
    use: dict[tuple[int, int], cp_model.IntVar],
    x: dict[tuple[int, int, int], cp_model.IntVar],
) -> None:
    """The greedy packing as a complete hint, in the form the symmetry constraints accept: boxes of a type
    numbered by their lowest item index, identical items in increasing box numbers (repeat until stable;
    each pass makes the item -> box vector lexicographically smaller, so it ends)."""
    index = {item.id: i for i, item in enumerate(items)}
    type_of = {b.code: t for t, b in enumerate(box_types)}
    box: list[tuple[int, int]] = [(0, 0)] * len(items)
    for k, packed in enumerate(hint):
        for item_id in packed.items:
            box[index[item_id]] = (type_of[packed.box_type], k)
    groups = _identical_groups(items)
    while True:
        first_item: dict[tuple[int, int], int] = {}
        for i, slot in enumerate(box):
            first_item.setdefault(slot, i)
        label: dict[tuple[int, int], tuple[int, int]] = {}
        per_type: Counter[int] = Counter()
        for slot in sorted(first_item, key=lambda s: first_item[s]):
            label[slot] = (slot[0], per_type[slot[0]])
            per_type[slot[0]] += 1
        relabelled = [label[slot] for slot in box]
        for group in groups:
            for i, slot in zip(group, sorted(relabelled[i] for i in group), strict=True):
                relabelled[i] = slot
        if relabelled == box:
            break
        box = relabelled
    chosen = {(i, t, k) for i, (t, k) in enumerate(box)}
    for arc, var in x.items():
        model.add_hint(var, arc in chosen)
    used = {(t, k) for _, t, k in chosen}
    for slot, var in use.items():
        model.add_hint(var, slot in used)
