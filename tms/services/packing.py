"""Packing belongs to the service: the boxes a service accepts, and a group's cheapest packing on it.

A service accepts a box type when the box, as a parcel of its inner dimensions, is within the
service's limits (longest side, length + girth, L + W + H) and its grid to the zone prices the box's
billable weight when empty (its volumetric weight, by the service's divisor). Its contents may then
weigh up to the least of the box's max weight, the service's max weight and, without an extra-kg
price, the grid's last bracket (billable weight = max(actual, volumetric)): the box type is offered
to the packer with that max weight. The pricing engine prices every parcel exactly afterwards.

A packing's cost on a service is its boxes plus the postage of the parcels they make. A shipment's
price is the sum of its parcels' prices (`carriers.pricing`), so the cheapest packing for each
parcel count is found exactly for groups of up to `EXACT_UP_TO_ITEMS` items: every partition of
the items into boxes (dynamic programming over subsets), each block in its cheapest accepted box
type with its exact postage. Larger groups are packed by `solvers.boxing.pack_items` three ways on
the accepted box types (least box cost; fewest boxes; box cost + the postage of the empty box) and
each packing is priced exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from carriers.model import PriceGrid
from carriers.pricing import CompiledCard, CompiledService, billable_weight_g, limits_refusal
from solvers.boxing import BoxingSolution, BoxType, ItemsFitNoBox, pack_items
from solvers.boxing import Item as BoxItem
from tms.domain.errors import InvalidInput
from tms.domain.parcels import Parcel

EXACT_UP_TO_ITEMS = 6

Shape = tuple[int, int, int, int]  # weight_g, length_mm, width_mm, height_mm
Blocks = tuple[tuple[str, tuple[int, ...]], ...]  # (box code, indices of the items it holds)


def box_parcel(box: BoxType, weight_g: int) -> Parcel:
    """The parcel a box makes: its inner dimensions, the weight of its contents."""
    return Parcel(weight_g, box.inner_length_mm, box.inner_width_mm, box.inner_height_mm)


def box_refusal(service: CompiledService, grid: PriceGrid, box: BoxType) -> str | None:
    """Why the service does not accept the box type to this grid's zone, or None when it does."""
    empty = box_parcel(box, 0)
    refusal = limits_refusal(service, empty, 1)
    if refusal is not None:
        return f"{refusal.reason} ({refusal.detail.removeprefix('parcel 1: ')})"
    billable = billable_weight_g(empty, service.volumetric_divisor)
    if grid.base_price_cents(billable) is None:
        return f"weight_not_priced (volumetric {billable} g is past the last bracket, {grid.max_bracket_g} g)"
    return None


def accepted_box_types(service: CompiledService, grid: PriceGrid, box_types: Sequence[BoxType]) -> tuple[BoxType, ...]:
    """The box types the service accepts to the grid's zone, each with the heaviest contents it may carry."""
    accepted = []
    for box in box_types:
        if box_refusal(service, grid, box) is not None:
            continue
        most = min(box.max_weight_g, service.max_weight_g)
        if grid.extra_kg_price_cents is None:
            most = min(most, grid.max_bracket_g)
        accepted.append(box if most == box.max_weight_g else replace(box, max_weight_g=most))
    return tuple(accepted)


@dataclass(frozen=True)
class CheapestPacking:
    cost_cents: int  # boxes + postage, at the price the search used
    blocks: Blocks


PackerCache = dict[tuple[tuple[Shape, ...], tuple[BoxType, ...]], BoxingSolution | None]


def cheapest_by_count(
    shapes: Sequence[Shape],
    box_types: Sequence[BoxType],
    postage: Callable[[BoxType, int], int | None],
    fill_ratio: float,
    packer_cache: PackerCache | None = None,
) -> dict[int, CheapestPacking]:
    """For each number of parcels, the cheapest packing of the items (boxes + `postage(box, weight_g)`,
    None when the service does not carry that parcel). Exact up to `EXACT_UP_TO_ITEMS` items; beyond,
    `packer_cache` keeps the packer's answers for box types alike (the same for services alike)."""
    if not shapes or not box_types:
        return {}
    if len(shapes) <= EXACT_UP_TO_ITEMS:
        return _exact(shapes, box_types, postage, fill_ratio)
    return _heuristic(shapes, box_types, postage, fill_ratio, {} if packer_cache is None else packer_cache)


def _block_cost(
    contents: Sequence[BoxItem],
    box_types: Sequence[BoxType],
    postage: Callable[[BoxType, int], int | None],
    fill: float,
) -> tuple[int, str] | None:
    weight = sum(i.weight_g for i in contents)
    best: tuple[int, str] | None = None
    for box in box_types:
        if not box.holds(contents, fill):
            continue
        price = postage(box, weight)
        if price is not None and (best is None or box.cost_cents + price < best[0]):
            best = (box.cost_cents + price, box.code)
    return best


def _exact(
    shapes: Sequence[Shape], box_types: Sequence[BoxType], postage: Callable[[BoxType, int], int | None], fill: float
) -> dict[int, CheapestPacking]:
    """Dynamic programming over subsets: best[mask][count] = the cheapest split of `mask` into `count`
    boxes, the block holding mask's lowest item tried in every way."""
    items = [BoxItem(str(n), *shape) for n, shape in enumerate(shapes)]
    n = len(items)
    block: dict[int, tuple[int, str] | None] = {}
    for mask in range(1, 1 << n):
        block[mask] = _block_cost([items[i] for i in range(n) if mask >> i & 1], box_types, postage, fill)
    best: list[dict[int, tuple[int, Blocks]]] = [{} for _ in range(1 << n)]
    best[0][0] = (0, ())
    for mask in range(1, 1 << n):
        low = mask & -mask
        rest = mask ^ low
        sub = rest
        while True:
            chosen = sub | low
            cost_code = block[chosen]
            if cost_code is not None:
                cost, code = cost_code
                indices = tuple(i for i in range(n) if chosen >> i & 1)
                for count, (before, blocks) in best[mask ^ chosen].items():
                    total = before + cost
                    known = best[mask].get(count + 1)
                    if known is None or total < known[0]:
                        best[mask][count + 1] = (total, ((code, indices), *blocks))
            if sub == 0:
                break
            sub = (sub - 1) & rest
    return {count: CheapestPacking(cost, tuple(sorted(blocks))) for count, (cost, blocks) in best[-1].items()}


def _heuristic(
    shapes: Sequence[Shape],
    box_types: Sequence[BoxType],
    postage: Callable[[BoxType, int], int | None],
    fill: float,
    packer_cache: PackerCache,
) -> dict[int, CheapestPacking]:
    """Three packings on the accepted box types, each priced exactly; the cheapest per count."""
    items = [BoxItem(str(n), *shape) for n, shape in enumerate(shapes)]
    most = max(b.cost_cents for b in box_types)
    big = len(items) * most + 1  # any box more dominates any box cost: fewest boxes first
    empty = {b.code: postage(b, 0) for b in box_types}
    variants = [
        list(box_types),
        [replace(b, cost_cents=b.cost_cents + big) for b in box_types],
        [replace(b, cost_cents=b.cost_cents + (empty[b.code] or 0)) for b in box_types],
    ]
    by_code = {b.code: b for b in box_types}
    found: dict[int, CheapestPacking] = {}
    for variant in variants:
        key = (tuple(shapes), tuple(variant))
        if key not in packer_cache:
            try:
                packer_cache[key] = pack_items(items, variant, fill_ratio=fill, time_limit_s=2.0)
            except ItemsFitNoBox:
                packer_cache[key] = None
        solution = packer_cache[key]
        if solution is None:
            return {}
        total = 0
        blocks = []
        for packed in solution.boxes:
            box = by_code[packed.box_type]
            price = postage(box, sum(items[int(i)].weight_g for i in packed.items))
            if price is None:
                break
            total += box.cost_cents + price
            blocks.append((box.code, tuple(sorted(int(i) for i in packed.items))))
        else:
            count = len(blocks)
            if count not in found or total < found[count].cost_cents:
                found[count] = CheapestPacking(total, tuple(sorted(blocks)))
    return found


# --- configuration check ------------------------------------------------------------------------


class UncarriableBoxes(InvalidInput):
    """A configured box type that no service of the active cards accepts, to any zone."""

    code = "uncarriable_boxes"


def uncarriable_boxes(box_types: Sequence[BoxType], cards: Iterable[tuple[str, CompiledCard]]) -> list[str]:
    """One line per box type no service of these (carrier code, card) accepts to any of its zones,
    saying why each service refuses it."""
    cards = list(cards)
    problems = []
    for box in box_types:
        reasons = []
        for carrier, card in cards:
            for code, service in card.services.items():
                why = [box_refusal(service, grid, box) for grid in service.grids.values()]
                if any(w is None for w in why):
                    break
                reasons.append(f"{carrier} {code}: {next((w for w in why if w), 'no price grid')}")
            else:
                continue
            break
        else:
            size = f"{box.inner_length_mm} x {box.inner_width_mm} x {box.inner_height_mm} mm"
            detail = "; ".join(reasons) or "there are no active services"
            problems.append(f"box type {box.code} ({size}) is carried by no service: {detail}")
    return problems


def refuse_uncarriable_boxes(box_types: Sequence[BoxType], cards: Iterable[tuple[str, CompiledCard]]) -> None:
    """Raise UncarriableBoxes naming each configured box type that no active service carries."""
    cards = list(cards)
    if not cards:  # nothing to carry anything yet (an empty store before its first card)
        return
    problems = uncarriable_boxes(box_types, cards)
    if problems:
        raise UncarriableBoxes("the box types (consolidation.boxes_file) are refused: " + "; ".join(problems))
