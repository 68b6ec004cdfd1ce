"""One-dimensional bin packing: fewest bins of one capacity holding integer item sizes.

Pipeline, cheapest first:
1. lower bounds L1 = ceil(sum / capacity) and Martello-Toth L2;
2. first-fit decreasing (FFD); when FFD meets the bound it is optimal and we stop;
3. otherwise the arc-flow model of Valerio de Carvalho, solved as a MIP:
   - nodes 0..capacity are bin fill levels; a path from 0 to capacity is one bin;
   - item arcs (a, a + s) for every distinct size s, built in decreasing size order
     (a bin's items are read largest first, and at most `demand(s)` copies in a row),
     which removes most symmetric paths; loss arcs (a, capacity) close a bin early;
   - integer flow on every arc, flow conserved at every inner node;
   - demand: flow over the arcs of size s >= number of items of size s;
   - objective: minimise the flow out of node 0 (the number of bins).
   The MIP's bound (its LP is the strong Gilmore-Gomory bound) tightens the lower bound;
   its flow is decomposed into paths, which become bins of item indices.
The MIP runs in OR-Tools' linear solver wrapper (HiGHS by default: it measured best on the
Falkenauer instances; SCIP and CBC ship too) within what is left of `time_limit_s`.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ortools.linear_solver import pywraplp

Status = Literal["optimal", "feasible"]

MIP_SOLVERS = ("HIGHS", "SCIP", "CBC")


@dataclass(frozen=True)
class BinPackingSolution:
    """Bins as lists of item indices; `status` is "optimal" exactly when count == lower_bound."""

    bins: list[list[int]]
    count: int
    lower_bound: int
    status: Status
    seconds: float


def lower_bound_l1(sizes: Sequence[int], capacity: int) -> int:
    """Continuous bound: ceil(total size / capacity)."""
    return -(-sum(sizes) // capacity)


def lower_bound_l2(sizes: Sequence[int], capacity: int) -> int:
    """Martello-Toth L2: for each threshold K <= C/2, items above C-K each need a bin of their own,
    items in (C/2, C-K] each need one too, and items in [K, C/2] must fit in what those leave free
    or in extra bins. Never below L1 (K = 0 gives L1 or more)."""
    if not sizes:
        return 0
    ordered = sorted(sizes)
    best = lower_bound_l1(sizes, capacity)
    thresholds = {0} | {s for s in ordered if 2 * s <= capacity}
    for k in thresholds:
        big = [s for s in ordered if s > capacity - k]
        mid = [s for s in ordered if capacity - k >= s and 2 * s > capacity]
        small_total = sum(s for s in ordered if 2 * s <= capacity and s >= k)
        free_in_mid = len(mid) * capacity - sum(mid)
        extra = max(0, -(-(small_total - free_in_mid) // capacity))
        best = max(best, len(big) + len(mid) + extra)
    return best


def first_fit_decreasing(sizes: Sequence[int], capacity: int) -> list[list[int]]:
    """Items largest first, each into the first open bin with room (ties keep input order)."""
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    bins: list[list[int]] = []
    room: list[int] = []
    for i in order:
        s = sizes[i]
        for b, free in enumerate(room):
            if s <= free:
                bins[b].append(i)
                room[b] = free - s
                break
        else:
            bins.append([i])
            room.append(capacity - s)
    return bins


def pack_1d(
    sizes: Sequence[int],
    capacity: int,
    *,
    time_limit_s: float = 30.0,
    mip_solver: str = "HIGHS",
) -> BinPackingSolution:
    """Fewest bins of `capacity` holding every item of `sizes` (positive integers <= capacity).

    Returns the best packing found within `time_limit_s` (FFD at worst) with a proven lower bound."""
    start = time.perf_counter()
    _validate(sizes, capacity)
    bound = lower_bound_l2(sizes, capacity)
    best = first_fit_decreasing(sizes, capacity)
    if len(best) > bound:
        remaining = time_limit_s - (time.perf_counter() - start)
        if remaining > 0:
            mip_bins, mip_bound = _solve_arc_flow(sizes, capacity, bound, len(best), remaining, mip_solver)
            bound = max(bound, mip_bound)
            if mip_bins is not None and len(mip_bins) < len(best):
                best = mip_bins
    count = len(best)
    return BinPackingSolution(
        bins=best,
        count=count,
        lower_bound=min(bound, count),
        status="optimal" if count <= bound else "feasible",
        seconds=time.perf_counter() - start,
    )


def check_1d(sizes: Sequence[int], capacity: int, solution: BinPackingSolution) -> list[str]:
    """Every problem with `solution`, in words; an empty list means it is a valid packing."""
    problems: list[str] = []
    seen: Counter[int] = Counter()
    for b, content in enumerate(solution.bins):
        if not content:
            problems.append(f"bin {b} is empty")
        for i in content:
            if not 0 <= i < len(sizes):
                problems.append(f"bin {b} holds unknown item {i}")
            else:
                seen[i] += 1
        load = sum(sizes[i] for i in content if 0 <= i < len(sizes))
        if load > capacity:
            problems.append(f"bin {b} holds {load} > capacity {capacity}")
    for i in range(len(sizes)):
        if seen[i] == 0:
            problems.append(f"item {i} is in no bin")
        elif seen[i] > 1:
            problems.append(f"item {i} is in {seen[i]} bins")
    if solution.count != len(solution.bins):
        problems.append(f"count {solution.count} != {len(solution.bins)} bins")
    if solution.lower_bound > solution.count:
        problems.append(f"lower bound {solution.lower_bound} > count {solution.count}")
    if solution.status == "optimal" and solution.lower_bound != solution.count:
        problems.append(f"status optimal but lower bound {solution.lower_bound} != count {solution.count}")
    return problems


def _validate(sizes: Sequence[int], capacity: int) -> None:
    if capacity <= 0:
        raise ValueError(f"capacity must be positive, got {capacity}")
    bad = [i for i, s in enumerate(sizes) if not 0 < s <= capacity]
    if bad:
        raise ValueError(f"item sizes must be in 1..{capacity}; items {bad[:10]} are not")


Arc = tuple[int, int]  # (tail, head)


def _arc_flow_graph(demand: dict[int, int], capacity: int) -> tuple[dict[int, list[Arc]], list[Arc]]:
    """Item arcs per size (largest sizes first, at most demand(s) copies in a row) and loss arcs."""
    reached = {0}
    item_arcs: dict[int, list[Arc]] = {}
    for s in sorted(demand, reverse=True):
        arcs: set[Arc] = set()
        for a in sorted(reached):
            tail = a
            for _ in range(demand[s]):
                head = tail + s
                if head > capacity:
                    break
                arcs.add((tail, head))
                tail = head
        item_arcs[s] = sorted(arcs)
        reached |= {head for _, head in arcs}
    loss_arcs = [(a, capacity) for a in sorted(reached) if 0 < a < capacity]
    return item_arcs, loss_arcs


def _solve_arc_flow(
    sizes: Sequence[int], capacity: int, bound: int, incumbent: int, time_limit_s: float, mip_solver: str
) -> tuple[list[list[int]] | None, int]:
    """Arc-flow MIP; returns (bins or None, proven lower bound)."""
    solver = pywraplp.Solver.CreateSolver(mip_solver)
    if solver is None:
        raise ValueError(f"MIP solver {mip_solver!r} is not available in this OR-Tools build")
    demand = Counter(sizes)
    item_arcs, loss_arcs = _arc_flow_graph(demand, capacity)

    flow: dict[tuple[int, int, int], pywraplp.Variable] = {}  # (tail, head, size or 0 for loss)
    for s, arcs in item_arcs.items():
        for tail, head in arcs:
            flow[tail, head, s] = solver.IntVar(0, demand[s], f"x_{tail}_{head}_{s}")
    for tail, head in loss_arcs:
        flow[tail, head, 0] = solver.IntVar(0, incumbent, f"loss_{tail}")
    bins = solver.IntVar(bound, incumbent, "bins")

    into: dict[int, list[pywraplp.Variable]] = defaultdict(list)
    out_of: dict[int, list[pywraplp.Variable]] = defaultdict(list)
    for (tail, head, _), var in flow.items():
        out_of[tail].append(var)
        into[head].append(var)
    solver.Add(solver.Sum(out_of[0]) == bins)
    solver.Add(solver.Sum(into[capacity]) == bins)
    for node in set(into) | set(out_of):
        if 0 < node < capacity:
            solver.Add(solver.Sum(into[node]) == solver.Sum(out_of[node]))
    for s, arcs in item_arcs.items():
        solver.Add(solver.Sum([flow[tail, head, s] for tail, head in arcs]) >= demand[s])
    solver.Minimize(bins)
    solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))

    status = solver.Solve()
    if status == pywraplp.Solver.OPTIMAL:
        proven = round(solver.Objective().Value())
    else:
        best_bound = solver.Objective().BestBound()
        proven = math.ceil(best_bound - 1e-6) if math.isfinite(best_bound) else bound
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None, max(bound, proven)
    arc_flow = {key: round(var.solution_value()) for key, var in flow.items()}
    return _decode(sizes, capacity, arc_flow), max(bound, proven)


def _decode(sizes: Sequence[int], capacity: int, arc_flow: dict[tuple[int, int, int], int]) -> list[list[int]]:
    """Split the integer flow into 0 -> capacity paths; each path's item arcs become one bin."""
    leaving: dict[int, list[tuple[int, int]]] = defaultdict(list)  # tail -> [(head, size)]
    remaining: dict[tuple[int, int, int], int] = {}
    for (tail, head, s), units in arc_flow.items():
        if units > 0:
            leaving[tail].append((head, s))
            remaining[tail, head, s] = units
    pool: dict[int, list[int]] = defaultdict(list)
    for i in sorted(range(len(sizes)), reverse=True):
        pool[sizes[i]].append(i)
    bins: list[list[int]] = []
    while True:
        node, path = 0, []
        while node != capacity:
            step = next(((h, s) for h, s in leaving[node] if remaining[node, h, s] > 0), None)
            if step is None:
                break
            head, s = step
            remaining[node, head, s] -= 1
            path.append(s)
            node = head
        if not path:
            break
        content = [pool[s].pop() for s in path if s and pool[s]]
        if content:
            bins.append(content)
    leftover = [i for items in pool.values() for i in items]
    if leftover:  # cannot happen for a feasible flow; repair rather than lose items
        repair = first_fit_decreasing([sizes[i] for i in leftover], capacity)
        bins.extend([leftover[j] for j in content] for content in repair)
    return bins
