"""One-dimensional bin packing: the fewest bins of one capacity that hold integer item sizes.

Stages, cheapest first; each stops the search once the packing meets the proven lower bound:
1. Lower bounds L1 = ceil(sum / capacity) and Martello-Toth L2; first-fit decreasing (FFD).
2. Arc-flow model (Valerio de Carvalho). Nodes 0..capacity are fill levels; a path from 0 to
   capacity is one bin. Item arcs (a, a + s) for each distinct size s, built largest size first
   (a bin lists its items in decreasing size, at most demand(s) copies in a row), which removes
   most symmetric paths; loss arcs (a, capacity) close a bin early. Variables: flow on each arc.
   Constraints: flow conserved at every inner node; the flow over arcs of size s covers the
   demand of s. Objective: minimise the flow out of node 0 (the number of bins).
3. Its LP relaxation (GLOP) gives the Gilmore-Gomory bound, ceil(LP) >= L2. Residual rounding:
   decompose the LP flow into paths, keep floor(weight) copies of each path as fixed bins,
   solve the LP again on the items left, repeat while it fixes bins (a bounded number of rounds).
   After each round, the fixed bins plus FFD on the items left are a packing at hand.
4. The arc-flow MIP on the residual items, as a feasibility question: exactly the bins the bound
   leaves them. If that fails, the MIP on all items minimises for the time left, asked only to
   beat the incumbent (bins <= best - 1), so "infeasible" proves the incumbent optimal; when too
   little time is left for it to solve its root LP, the residual MIP minimises instead.
The MIP runs in OR-Tools' pywraplp: CBC by default, which measured fastest on the Falkenauer
instances (HiGHS and SCIP ship too: `mip_solver="HIGHS"` or `"SCIP"`).
Integer flows are decomposed into paths again; each path's item arcs become one bin.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ortools.linear_solver import pywraplp

Status = Literal["optimal", "feasible"]

_EPS = 1e-6
_MAX_ROUNDING_ROUNDS = 12
_MAX_ARCS = 1_000_000  # t501, the largest Falkenauer graph, has about 32,000


class _GraphTooLarge(Exception):
    pass


@dataclass(frozen=True)
class BinPackingSolution:
    """Bins as lists of item indices. `lower_bound` is proven; status is "optimal" iff count == lower_bound."""

    bins: list[list[int]]
    count: int
    lower_bound: int
    status: Status
    seconds: float


def lower_bound_l1(sizes: Sequence[int], capacity: int) -> int:
    """Continuous bound: ceil(total size / capacity)."""
    return -(-sum(sizes) // capacity)


def lower_bound_l2(sizes: Sequence[int], capacity: int) -> int:
    """Martello-Toth L2. For a threshold K <= C/2: items above C - K each need their own bin, items in
    (C/2, C - K] each need one too (two never share), and the items in [K, C/2] must fit in what the
    latter leave free or in extra bins. Maximum over K; K = 0 gives at least L1."""
    best = lower_bound_l1(sizes, capacity)
    ordered = sorted(sizes)
    for k in {0} | {s for s in ordered if 2 * s <= capacity}:
        big = sum(1 for s in ordered if s > capacity - k)
        mid = [s for s in ordered if capacity - k >= s and 2 * s > capacity]
        small_total = sum(s for s in ordered if k <= s and 2 * s <= capacity)
        free_beside_mid = len(mid) * capacity - sum(mid)
        extra = max(0, -(-(small_total - free_beside_mid) // capacity))
        best = max(best, big + len(mid) + extra)
    return best


def first_fit_decreasing(sizes: Sequence[int], capacity: int) -> list[list[int]]:
    """Items largest first (ties in input order), each into the first open bin with room."""
    bins: list[list[int]] = []
    room: list[int] = []
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        for b, free in enumerate(room):
            if sizes[i] <= free:
                bins[b].append(i)
                room[b] = free - sizes[i]
                break
        else:
            bins.append([i])
            room.append(capacity - sizes[i])
    return bins


def pack_1d(
    sizes: Sequence[int],
    capacity: int,
    *,
    time_limit_s: float = 30.0,
    mip_solver: str = "CBC",
) -> BinPackingSolution:
    """The fewest bins of `capacity` holding every item of `sizes` (integers in 1..capacity).

    Returns the best packing found within `time_limit_s` (FFD's at worst) and a proven lower bound.
    Every stage gets what is left of the limit; CBC may overrun it a little on big models (10.3 s
    at worst for 10 s on the Falkenauer set). The arc-flow graph has a node per capacity unit: with
    capacities in the millions (grams, say) and many distinct sizes it would exceed `_MAX_ARCS`, and
    the answer is then FFD with the L2 bound; scale such sizes to coarser units first."""
    start = time.perf_counter()
    _validate(sizes, capacity)
    deadline = start + time_limit_s
    bound = lower_bound_l2(sizes, capacity)
    best: list[Counter[int]] = [Counter(sizes[i] for i in content) for content in first_fit_decreasing(sizes, capacity)]
    if len(best) > bound and time.perf_counter() < deadline:
        best, bound = _arc_flow_search(Counter(sizes), capacity, best, bound, deadline, mip_solver)
    bins = _assign_items(sizes, best)
    return BinPackingSolution(
        bins=bins,
        count=len(bins),
        lower_bound=min(bound, len(bins)),
        status="optimal" if len(bins) <= bound else "feasible",
        seconds=time.perf_counter() - start,
    )


def check_1d(sizes: Sequence[int], capacity: int, solution: BinPackingSolution) -> list[str]:
    """Every problem with `solution`, in words; an empty list means a valid packing."""
    problems: list[str] = []
    seen: Counter[int] = Counter()
    for b, content in enumerate(solution.bins):
        if not content:
            problems.append(f"bin {b} is empty")
        known = [i for i in content if 0 <= i < len(sizes)]
        problems.extend(f"bin {b} holds unknown item {i}" for i in content if not 0 <= i < len(sizes))
        seen.update(known)
        load = sum(sizes[i] for i in known)
        if load > capacity:
            problems.append(f"bin {b} holds {load} > capacity {capacity}")
    for i in range(len(sizes)):
        if seen[i] == 0:
            problems.append(f"item {i} is in no bin")
        elif seen[i] > 1:
            problems.append(f"item {i} is packed {seen[i]} times")
    if solution.count != len(solution.bins):
        problems.append(f"count {solution.count} != {len(solution.bins)} bins")
    if solution.lower_bound > solution.count:
        problems.append(f"lower bound {solution.lower_bound} > count {solution.count}")
    if solution.status == "optimal" and solution.lower_bound != solution.count:  # claimed, not proven
        problems.append(f"status {solution.status} with lower bound {solution.lower_bound}, count {solution.count}")
    return problems


def _validate(sizes: Sequence[int], capacity: int) -> None:
    if capacity <= 0:
        raise ValueError(f"capacity must be positive, got {capacity}")
    bad = [i for i, s in enumerate(sizes) if not 0 < s <= capacity]
    if bad:
        raise ValueError(f"item sizes must be in 1..{capacity}; items {bad[:10]} are not")


def _assign_items(sizes: Sequence[int], bins: list[Counter[int]]) -> list[list[int]]:
    """Turn bins of sizes into bins of item indices (lowest index first within a size)."""
    pool: dict[int, list[int]] = defaultdict(list)
    for i in reversed(range(len(sizes))):
        pool[sizes[i]].append(i)
    return [
        sorted(pool[s].pop() for s, n in sorted(content.items(), reverse=True) for _ in range(n)) for content in bins
    ]


# --- arc-flow -------------------------------------------------------------------------------------

Arc = tuple[int, int, int]  # (tail, head, size); size 0 marks a loss arc


def _arc_flow_graph(demand: Counter[int], capacity: int) -> list[Arc]:
    """Item arcs, largest size first, at most demand(s) copies of s in a row; then loss arcs."""
    reached = {0}
    arcs: list[Arc] = []
    for s in sorted(demand, reverse=True):
        new: set[tuple[int, int]] = set()
        for a in reached:
            tail = a
            for _ in range(demand[s]):
                if tail + s > capacity:
                    break
                new.add((tail, tail + s))
                tail += s
        arcs.extend((tail, head, s) for tail, head in sorted(new))
        reached |= {head for _, head in new}
        if len(arcs) > _MAX_ARCS:
            raise _GraphTooLarge
    arcs.extend((a, capacity, 0) for a in sorted(reached) if 0 < a < capacity)
    return arcs


@dataclass
class _ArcFlowModel:
    solver: Any  # pywraplp.Solver
    arcs: list[Arc]
    flows: list[Any]  # pywraplp.Variable per arc
    covers: dict[int, Any]  # pywraplp.Constraint per size: flow over its arcs >= demand
    bins: Any  # pywraplp.Constraint: min_bins <= flow out of 0 <= max_bins

    def set_demand(self, demand: Counter[int]) -> None:
        for s, cover in self.covers.items():
            cover.SetLb(demand[s])
        for (_, _, s), var in zip(self.arcs, self.flows, strict=True):
            if s:
                var.SetUb(demand[s])

    def solve(self, deadline: float) -> int:
        self.solver.SetTimeLimit(max(1, int((deadline - time.perf_counter()) * 1000)))
        return int(self.solver.Solve())

    def objective(self) -> float:
        return float(self.solver.Objective().Value())

    def best_bound(self) -> float:
        return float(self.solver.Objective().BestBound())

    def values(self) -> list[float]:
        return [float(v.solution_value()) for v in self.flows]


def _build_model(
    demand: Counter[int], capacity: int, solver_name: str, *, integer: bool, min_bins: int, max_bins: int
) -> _ArcFlowModel:
    solver = pywraplp.Solver.CreateSolver(solver_name)
    if solver is None:
        raise ValueError(f"solver {solver_name!r} is not available in this OR-Tools build")
    solver.SuppressOutput()
    arcs = _arc_flow_graph(demand, capacity)
    node: dict[int, Any] = {}
    covers = {s: solver.Constraint(demand[s], solver.infinity()) for s in demand}
    bins = solver.Constraint(min_bins, max_bins)
    objective = solver.Objective()
    flows = []
    for tail, head, s in arcs:
        upper = demand[s] if s else max_bins
        var = solver.IntVar(0, upper, "") if integer else solver.NumVar(0, upper, "")
        flows.append(var)
        if tail == 0:
            objective.SetCoefficient(var, 1)
            bins.SetCoefficient(var, 1)
        else:
            if tail not in node:
                node[tail] = solver.Constraint(0, 0)
            node[tail].SetCoefficient(var, -1)
        if head < capacity:
            if head not in node:
                node[head] = solver.Constraint(0, 0)
            node[head].SetCoefficient(var, 1)
        if s:
            covers[s].SetCoefficient(var, 1)
    objective.SetMinimization()
    return _ArcFlowModel(solver, arcs, flows, covers, bins)


def _paths(arcs: list[Arc], values: list[float], capacity: int) -> list[tuple[float, Counter[int]]]:
    """Decompose an arc flow into weighted 0 -> capacity paths, as multisets of item sizes."""
    remaining: dict[Arc, float] = {}
    leaving: dict[int, list[Arc]] = defaultdict(list)
    for arc, value in zip(arcs, values, strict=True):
        if value > _EPS:
            remaining[arc] = value
            leaving[arc[0]].append(arc)
    paths: list[tuple[float, Counter[int]]] = []
    while True:
        at, path = 0, []
        while at != capacity:
            step = next((a for a in leaving[at] if remaining[a] > _EPS), None)
            if step is None:
                break
            path.append(step)
            at = step[1]
        if not path or at != capacity:
            return paths
        weight = min(remaining[a] for a in path)
        for a in path:
            remaining[a] -= weight
        paths.append((weight, Counter(a[2] for a in path if a[2])))


def _arc_flow_search(
    demand: Counter[int],
    capacity: int,
    incumbent: list[Counter[int]],
    bound: int,
    deadline: float,
    mip_solver: str,
) -> tuple[list[Counter[int]], int]:
    """Stages 3 and 4 of the module docstring; returns (best bins as size multisets, proven bound)."""
    best = incumbent
    started = time.perf_counter()
    try:
        lp = _build_model(demand, capacity, "GLOP", integer=False, min_bins=0, max_bins=len(best))
    except _GraphTooLarge:
        return best, bound
    if lp.solve(deadline) != pywraplp.Solver.OPTIMAL:
        return best, bound
    # A MIP on all items first builds and solves this LP again: with less time than a few of those
    # it cannot help, and CBC overruns short limits on big models (seconds, measured on t501).
    whole_mip_needs = 3 * (time.perf_counter() - started)
    bound = max(bound, math.ceil(lp.objective() - _EPS))
    if len(best) <= bound:
        return best, bound

    fixed: list[Counter[int]] = []
    residual = Counter(demand)
    now = time.perf_counter()
    rounding_deadline = now + (deadline - now) / 2
    for _ in range(_MAX_ROUNDING_ROUNDS):
        took = False
        for weight, path in sorted(_paths(lp.arcs, lp.values(), capacity), key=lambda p: -p[0]):
            for _ in range(int(weight + _EPS)):
                content = path & residual  # a new Counter each copy
                if content:
                    fixed.append(content)
                    residual -= content
                    took = True
        if took:  # the fixed bins, the rest by FFD: a packing at hand if time runs out
            completed = fixed + _first_fit_decreasing_sizes(residual, capacity)
            if len(completed) < len(best):
                best = completed
                if len(best) <= bound:
                    return best, bound
        if not took or not residual or time.perf_counter() >= rounding_deadline:
            break
        lp.set_demand(residual)
        if lp.solve(rounding_deadline) != pywraplp.Solver.OPTIMAL:
            break

    # The residual MIP is a feasibility question: exactly the bins the bound leaves. The LP bound is
    # nearly always the optimum on these instances, and CBC answers that much faster than it
    # minimises (measured on t249/t501 residuals: 0.6-3 s against a time-out).
    target = bound - len(fixed)
    if residual and target >= 1 and time.perf_counter() < deadline:
        now = time.perf_counter()
        share = 0.6 if fixed else 1.0  # the rest for a second chance below
        rest = _solve_mip(residual, capacity, target, target, now + share * (deadline - now), mip_solver)
        if rest.bins is not None and len(fixed) + len(rest.bins) < len(best):
            best = fixed + rest.bins
            if len(best) <= bound:
                return best, bound
        if not fixed:  # the residual was every item: its bound is the instance's
            bound = max(bound, min(rest.bound, len(best)))

    if len(best) <= bound or time.perf_counter() >= deadline:
        return best, bound
    if deadline - time.perf_counter() >= whole_mip_needs:
        whole = _solve_mip(demand, capacity, bound, len(best) - 1, deadline, mip_solver)
        bound = max(bound, whole.bound if whole.bins is not None else min(whole.bound, len(best)))
        if whole.bins is not None and len(whole.bins) < len(best):
            best = whole.bins
    elif residual and len(best) - len(fixed) - 1 >= max(1, target):  # too big for that: improve the residual
        rest = _solve_mip(residual, capacity, target, len(best) - len(fixed) - 1, deadline, mip_solver)
        if rest.bins is not None:
            best = fixed + rest.bins
    return best, bound


def _first_fit_decreasing_sizes(demand: Counter[int], capacity: int) -> list[Counter[int]]:
    sizes = sorted(demand.elements(), reverse=True)
    return [Counter(sizes[i] for i in content) for content in first_fit_decreasing(sizes, capacity)]


@dataclass(frozen=True)
class _MipResult:
    bins: list[Counter[int]] | None
    bound: int  # proven lower bound on the bins this demand needs (max_bins + 1 when proven infeasible)


def _solve_mip(
    demand: Counter[int], capacity: int, min_bins: int, max_bins: int, deadline: float, solver_name: str
) -> _MipResult:
    model = _build_model(demand, capacity, solver_name, integer=True, min_bins=min_bins, max_bins=max_bins)
    status = model.solve(deadline)
    if status == pywraplp.Solver.INFEASIBLE:
        return _MipResult(None, max_bins + 1)
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        best_bound = model.best_bound() if status == pywraplp.Solver.NOT_SOLVED else -math.inf  # stopped by the limit
        return _MipResult(None, max(min_bins, math.ceil(best_bound - _EPS) if math.isfinite(best_bound) else 0))
    trimmed = _bins_from_paths(_paths(model.arcs, [float(round(v)) for v in model.values()], capacity), demand)
    if trimmed is None:  # not expected from a feasible flow; keep every item rather than lose one
        return _MipResult(None, min_bins)
    proven = len(trimmed) if status == pywraplp.Solver.OPTIMAL else math.ceil(model.best_bound() - _EPS)
    return _MipResult(trimmed, max(min_bins, min(proven, len(trimmed))))


def _bins_from_paths(paths: list[tuple[float, Counter[int]]], demand: Counter[int]) -> list[Counter[int]] | None:
    """round(weight) bins per path of an integer flow. A covering flow may hold more copies of a size than
    exist: drop the extras and any bin left empty. None if the paths do not cover the demand."""
    left = Counter(demand)
    bins = []
    for weight, path in paths:
        for _ in range(round(weight)):
            content = path & left  # a new Counter for each copy of the path
            left -= content
            if content:
                bins.append(content)
    return None if left else bins
