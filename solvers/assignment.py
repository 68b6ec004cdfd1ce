"""Nightly plan: one carrier option (service and day) per shipment, at least total merchant cost.

Model
  variables   x[i, o] in {0, 1}: shipment i ships with its option o (carrier c(o), day d(o));
              held[i] for a shipment that may wait; tier[c] in 0..len(tier_thresholds).
  constraints one option per shipment (or held, when it need not ship);
              per carrier and day: parcels <= parcels_per_day, weight_g <= weight_g_per_day;
              tier[c] = t >= 1 only if month_parcels + plan parcels of c >= tier_thresholds[t - 1].
  objective   sum of cost_cents_by_tier[tier[c(o)]] over the chosen options + hold costs.
When no plan ships every must-ship shipment, each may be dropped at a penalty of BIG (larger than
any plan's cost) per order it carries (`Shipment.orders`): the plan leaves out as few orders as it
can, says which shipments (`unassigned`), and plans the rest.

Method (tier enumeration, then flow, Lagrangian and CP-SAT only where still needed)
  Costs fall with tiers, so for each combination T of one tier per carrier the problem with
  "carrier c reaches at least T[c]" is a fixed-cost problem whose optimum never undercuts the
  true optimum, and the true optimum is the least of them. Per combination, cheapest first:
  1. the optimistic bound (every shipment on its cheapest option at T, no capacity) orders the
     combinations and prunes those that cannot beat the best plan; combinations below a tier
     that month_parcels already reach are dominated and skipped;
  2. a min-cost flow (source -> shipment -> (carrier, day) -> carrier -> sink, tier thresholds as
     demands at the carrier nodes). It is the exact optimum at T when every shipment is one parcel
     and no kg capacity binds; otherwise it is the LP relaxation without kg capacities (a
     shipment of p parcels sends p units, which may split): a lower bound, and its integral part
     rounded and repaired greedily is a plan;
  3. kg capacities are dualised: a proximal cutting-plane (Kelley) ascent on one multiplier per
     (carrier, day), each step a flow with kg-priced arcs, tightens the bound to the LP bound
     and feeds the repair with better-priced plans;
  4. combinations still open after that are solved by CP-SAT (one Boolean per shipment and
     (carrier, day), hinted with the best plan), whose bound replaces ours when tighter; a model
     above CP_SAT_MAX_BOOLEANS is instead improved window by window (CP-SAT on 1,000 random
     shipments, the others fixed: plans only, the bound stays the flows').
  The lower bound is the least over combinations of their best bound (kept exact with
  fractions; a pruned combination keeps the bound that pruned it); gap = (cost - bound) / cost.
  "optimal" means the gap is within `gap_limit` (0 asks for a proof).

Why (measured on this 2-core machine; instances of `python -m bench.assignment`: 3 carriers with
binding parcel and kg capacities, 2 tiers each, 4-8 options, 10 % multi-parcel, 2 days):
a flow at 10,000 shipments solves in ~0.1 s (~1.4 s at 100,000), and with only 6 kg rows, 6
parcel rows and 3 tier rows coupling the shipments, the LP bound is within ~0.01 % of the
integer optimum. A cold GLOP LP of the same 10,000 shipments took 21 s, and CP-SAT on the whole
model ~30 s to reach 0.1 % (SOLVER_NOTES.md), so CP-SAT only closes what the flows leave.
  gap_limit 0.001: 1,000 in 2 s (gap 0.011 %), 10,000 in 13 s (0.072 %), 100,000 in 154 s (0.056 %).
  gap_limit 0:     1,000 proven optimal in 14 s; 10,000 at 0.0007 % after 60 s; 100,000 at
                   0.0003 % after 600 s (27 Lagrangian steps, then 67 CP-SAT windows).
"""

from __future__ import annotations

import itertools
import math
import random
import time
from dataclasses import dataclass, field
from fractions import Fraction

from ortools.graph.python import min_cost_flow
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

HOLD = -1
DROP = -2


class InvalidInstance(ValueError):
    """The instance breaks the contract; the message names the shipment, option or carrier."""


@dataclass(frozen=True)
class Option:
    """Shipping with `carrier` on day index `day` costs cost_cents_by_tier[t] at the carrier's tier t."""

    carrier: str
    day: int
    cost_cents_by_tier: tuple[int, ...]


@dataclass(frozen=True)
class Shipment:
    """Options are pre-filtered by promise and mode. A shipment that need not ship may be held."""

    id: str
    parcels: int
    weight_g: int
    options: tuple[Option, ...]
    must_ship: bool = True
    hold_cost_cents: int = 0
    orders: int = 1  # what leaving it out counts: a shipment of two orders as much as two of one


@dataclass(frozen=True)
class CarrierCapacity:
    """Daily capacity (None: unlimited) and volume tiers: tier t >= 1 from tier_thresholds[t - 1] parcels."""

    carrier: str
    parcels_per_day: int | None
    weight_g_per_day: int | None
    month_parcels: int = 0
    tier_thresholds: tuple[int, ...] = ()

    def tier_reached(self, plan_parcels: int) -> int:
        """The tier that month_parcels plus the plan's parcels reach."""
        total = self.month_parcels + plan_parcels
        return sum(1 for threshold in self.tier_thresholds if total >= threshold)


@dataclass(frozen=True)
class Instance:
    shipments: tuple[Shipment, ...]
    carriers: tuple[CarrierCapacity, ...]
    days: int = 1


@dataclass(frozen=True)
class Solution:
    """A plan, its cost at the tiers it reaches, and a proven lower bound on the optimum.

    status: "optimal" (gap within the gap limit), "feasible" (time limit hit, gap reported),
    "infeasible" (proven: no plan ships every must-ship shipment; `unassigned` names those this
    plan leaves out, carrying the fewest orders possible when the bound proves it, and the rest is
    planned), or
    "unknown" (time limit hit with a plan that leaves `unassigned` out, no proof either way).
    When shipments are unassigned, cost and bound are over the plan of the others.
    """

    assignment: dict[str, Option | None]
    tiers: dict[str, int]
    cost_cents: int
    lower_bound_cents: int
    gap: float
    status: str
    solve_seconds: float
    method: str
    unassigned: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# Preparation


@dataclass
class _Problem:
    """The instance in indices: slot k = carrier index * days + day."""

    instance: Instance
    n: int
    n_carriers: int
    days: int
    parcels: list[int]
    weight: list[int]
    hold: list[int | None]
    slot_of_option: list[list[int]]
    groups: list[list[tuple[int, list[int]]]]  # per shipment: (slot, its option indices)
    cap_parcels: list[int | None]
    cap_weight: list[int | None]
    carrier_of_slot: list[int]
    big: int
    penalty: list[int]  # per shipment: what dropping it costs, BIG per order it carries
    total_parcels: int
    scale: int
    signatures: dict[tuple[int, ...], int]  # parcels per set of (carrier, day) slots offered


def _validate(instance: Instance) -> None:
    if instance.days < 1:
        raise InvalidInstance(f"days must be >= 1, got {instance.days}")
    carriers: dict[str, CarrierCapacity] = {}
    for carrier in instance.carriers:
        if carrier.carrier in carriers:
            raise InvalidInstance(f"carrier {carrier.carrier!r} is listed twice")
        carriers[carrier.carrier] = carrier
        for name in ("parcels_per_day", "weight_g_per_day"):
            value = getattr(carrier, name)
            if value is not None and value < 0:
                raise InvalidInstance(f"carrier {carrier.carrier!r}: {name} must be >= 0")
        if carrier.month_parcels < 0:
            raise InvalidInstance(f"carrier {carrier.carrier!r}: month_parcels must be >= 0")
        thresholds = carrier.tier_thresholds
        if any(b <= a for a, b in itertools.pairwise(thresholds)):
            raise InvalidInstance(f"carrier {carrier.carrier!r}: tier_thresholds must be strictly increasing")
    seen: set[str] = set()
    for shipment in instance.shipments:
        if shipment.id in seen:
            raise InvalidInstance(f"shipment {shipment.id!r} is listed twice")
        seen.add(shipment.id)
        if shipment.parcels < 1 or shipment.weight_g < 0 or shipment.hold_cost_cents < 0 or shipment.orders < 1:
            raise InvalidInstance(
                f"shipment {shipment.id!r}: parcels >= 1, weight_g >= 0, hold_cost_cents >= 0, orders >= 1"
            )
        for option in shipment.options:
            where = f"shipment {shipment.id!r}, option {option.carrier!r} day {option.day}"
            if option.carrier not in carriers:
                raise InvalidInstance(f"{where}: unknown carrier")
            if not 0 <= option.day < instance.days:
                raise InvalidInstance(f"{where}: day outside 0..{instance.days - 1}")
            costs = option.cost_cents_by_tier
            if len(costs) != len(carriers[option.carrier].tier_thresholds) + 1:
                raise InvalidInstance(f"{where}: needs one cost per tier plus the untiered cost")
            if any(c < 0 for c in costs) or any(b > a for a, b in itertools.pairwise(costs)):
                raise InvalidInstance(f"{where}: costs must be >= 0 and non-increasing with the tier")


def _prepare(instance: Instance) -> _Problem:
    _validate(instance)
    days = instance.days
    index = {carrier.carrier: j for j, carrier in enumerate(instance.carriers)}
    n_slots = len(instance.carriers) * days
    groups: list[list[tuple[int, list[int]]]] = []
    slot_of_option: list[list[int]] = []
    worst = 0
    for shipment in instance.shipments:
        slots = [index[o.carrier] * days + o.day for o in shipment.options]
        slot_of_option.append(slots)
        by_slot: dict[int, list[int]] = {}
        for o, slot in enumerate(slots):
            by_slot.setdefault(slot, []).append(o)
        groups.append(sorted(by_slot.items()))
        most = max((o.cost_cents_by_tier[0] for o in shipment.options), default=0)
        worst += max(most, shipment.hold_cost_cents)
    parcels = [s.parcels for s in instance.shipments]
    signatures: dict[tuple[int, ...], int] = {}
    for groups_i, p in zip(groups, parcels, strict=True):
        key = tuple(slot for slot, _ in groups_i)
        signatures[key] = signatures.get(key, 0) + p
    lcm = math.lcm(*set(parcels)) if parcels else 1
    big = worst + 1
    # Flow arcs cost scale * cents / parcels per unit; the cost-scaling algorithm multiplies costs
    # by (nodes + 1) internally, so keep scale * big * nodes well inside int64.
    most_orders = max((s.orders for s in instance.shipments), default=1)
    room = 2**60 // (big * most_orders * (len(parcels) + n_slots + len(index) + 3))
    scale = lcm if lcm <= room else 1
    while scale * 10 <= room and scale < 1000 * lcm:
        scale *= 10
    return _Problem(
        instance=instance,
        n=len(parcels),
        n_carriers=len(instance.carriers),
        days=days,
        parcels=parcels,
        weight=[s.weight_g for s in instance.shipments],
        hold=[None if s.must_ship else s.hold_cost_cents for s in instance.shipments],
        slot_of_option=slot_of_option,
        groups=groups,
        cap_parcels=[c.parcels_per_day for c in instance.carriers for _ in range(days)],
        cap_weight=[c.weight_g_per_day for c in instance.carriers for _ in range(days)],
        carrier_of_slot=[j for j in range(len(instance.carriers)) for _ in range(days)],
        big=big,
        penalty=[big * s.orders for s in instance.shipments],
        total_parcels=sum(parcels),
        scale=max(1, scale),
        signatures=signatures,
    )


# ---------------------------------------------------------------------------------------------
# One tier combination: candidates, bounds and plans


Candidate = tuple[int, int, int]  # (slot, option index, cost in cents at the combination's tiers)


@dataclass
class _Combination:
    """One tier per carrier, what reaching them demands, and what is known at these tiers."""

    tiers: tuple[int, ...]
    lower: list[int]  # parcels each carrier must carry in the plan to reach its tier
    candidates: list[list[Candidate]] = field(default_factory=list)
    graph: _FlowGraph | None = None
    bound: Fraction = Fraction(0)
    infeasible: bool = False
    plan: list[int] | None = None  # best plan found for this combination (option index, HOLD, DROP)
    plan_cost: int = 0  # its cost at this combination's tiers (penalties included)
    closed: bool = False  # nothing more to learn (exact, or the Lagrangian converged)
    flows: int = 0


def _requirements(problem: _Problem, tiers: tuple[int, ...]) -> list[int]:
    out = []
    for carrier, tier in zip(problem.instance.carriers, tiers, strict=True):
        need = carrier.tier_thresholds[tier - 1] - carrier.month_parcels if tier else 0
        out.append(max(0, need))
    return out


def _candidates(problem: _Problem, tiers: tuple[int, ...]) -> list[list[Candidate]]:
    """Per shipment and slot, the option cheapest at the tiers of `tiers` (same capacity use)."""
    out: list[list[Candidate]] = []
    carrier_of_slot = problem.carrier_of_slot
    for shipment, groups in zip(problem.instance.shipments, problem.groups, strict=True):
        options = shipment.options
        row: list[Candidate] = []
        for slot, indices in groups:
            tier = tiers[carrier_of_slot[slot]]
            o = indices[0]
            for j in indices[1:]:
                if options[j].cost_cents_by_tier[tier] < options[o].cost_cents_by_tier[tier]:
                    o = j
            row.append((slot, o, options[o].cost_cents_by_tier[tier]))
        out.append(row)
    return out


def _reachable(problem: _Problem, lower: list[int]) -> bool:
    """Can the plan move `lower[c]` parcels to each carrier c, even splitting shipments? A flow
    over groups of shipments offered the same (carrier, day) slots: tiny, and exact for the
    relaxation, so an unreachable combination costs no full flow."""
    if not any(lower):
        return True
    n_groups, n_slots = len(problem.signatures), len(problem.cap_parcels)
    carrier_node = n_groups + n_slots
    sink = carrier_node + problem.n_carriers
    flow = min_cost_flow.SimpleMinCostFlow()
    total = problem.total_parcels
    for g, (slots, parcels) in enumerate(problem.signatures.items()):
        flow.set_node_supply(g, parcels)
        flow.add_arc_with_capacity_and_unit_cost(g, sink, parcels, 0)
        for slot in slots:
            flow.add_arc_with_capacity_and_unit_cost(g, n_groups + slot, parcels, 0)
    for slot, cap in enumerate(problem.cap_parcels):
        capacity = total if cap is None else min(cap, total)
        carrier = carrier_node + problem.carrier_of_slot[slot]
        flow.add_arc_with_capacity_and_unit_cost(n_groups + slot, carrier, capacity, 0)
    for carrier, need in enumerate(lower):
        flow.add_arc_with_capacity_and_unit_cost(carrier_node + carrier, sink, total, 0)
        flow.set_node_supply(carrier_node + carrier, -need)
    flow.set_node_supply(sink, sum(lower) - total)
    return bool(flow.solve() == min_cost_flow.SimpleMinCostFlow.OPTIMAL)


def _optimistic_bound(problem: _Problem, tiers: tuple[int, ...]) -> int:
    """Every shipment on its cheapest option at `tiers` (or held), capacities ignored."""
    total = 0
    carrier_of_slot = problem.carrier_of_slot
    for i, (shipment, slots, hold) in enumerate(
        zip(problem.instance.shipments, problem.slot_of_option, problem.hold, strict=True)
    ):
        best = problem.penalty[i] if hold is None else hold
        for option, slot in zip(shipment.options, slots, strict=True):
            cost = option.cost_cents_by_tier[tiers[carrier_of_slot[slot]]]
            if cost < best:
                best = cost
        total += best
    return total


@dataclass
class _FlowResult:
    bound: Fraction
    plan: list[int]
    kg_load: list[float]  # per slot, fractional shipments counted pro rata


@dataclass
class _FlowGraph:
    """The flow network of one combination: shipment i -> slot (capacity p_i, cost per parcel),
    i -> sink (hold, or drop at the penalty), slot -> carrier (parcels per day), carrier -> sink,
    with the carrier nodes demanding the parcels their tier needs. Costs are scaled by
    `problem.scale` (a multiple of every parcel count) so that per-parcel costs stay integral."""

    tails: list[int]
    heads: list[int]
    caps: list[int]
    base_costs: list[int]  # at multipliers 0
    starts: list[int]  # shipment i's arcs are starts[i]:starts[i + 1]
    arc_slot: list[int]  # per shipment arc: slot, or HOLD / DROP
    arc_choice: list[int]  # per shipment arc: option index, or HOLD / DROP
    arc_cents: list[int]
    arc_grams: list[int]
    arc_parcels: list[int]
    supplies: list[int]


def _flow_graph(problem: _Problem, combo: _Combination) -> _FlowGraph:
    n, n_slots = problem.n, len(problem.cap_parcels)
    carrier_node = n + n_slots
    sink = carrier_node + problem.n_carriers
    scale, total = problem.scale, problem.total_parcels
    graph = _FlowGraph([], [], [], [], [0], [], [], [], [], [], [])
    tails, heads, caps, arc_slot, arc_choice = graph.tails, graph.heads, graph.caps, graph.arc_slot, graph.arc_choice
    cents, grams, parcels, starts = graph.arc_cents, graph.arc_grams, graph.arc_parcels, graph.starts
    for i, row in enumerate(combo.candidates):
        p, w = problem.parcels[i], problem.weight[i]
        for slot, option, cost in row:
            tails.append(i)
            heads.append(n + slot)
            arc_slot.append(slot)
            arc_choice.append(option)
            cents.append(cost)
        hold = problem.hold[i]
        tails.append(i)
        heads.append(sink)
        arc_slot.append(HOLD if hold is not None else DROP)
        arc_choice.append(HOLD if hold is not None else DROP)
        cents.append(problem.penalty[i] if hold is None else hold)
        k = len(tails) - starts[-1]
        caps.extend([p] * k)
        grams.extend([w] * k)
        parcels.extend([p] * k)
        starts.append(len(tails))
    graph.base_costs = [scale * c // p for c, p in zip(cents, parcels, strict=True)]
    for slot, cap in enumerate(problem.cap_parcels):
        tails.append(n + slot)
        heads.append(carrier_node + problem.carrier_of_slot[slot])
        caps.append(total if cap is None else min(cap, total))
    for j in range(problem.n_carriers):
        tails.append(carrier_node + j)
        heads.append(sink)
        caps.append(total)
    graph.base_costs.extend([0] * (n_slots + problem.n_carriers))
    need = sum(combo.lower)
    graph.supplies = problem.parcels + [0] * n_slots + [-c for c in combo.lower] + [need - total]
    return graph


def _flow(problem: _Problem, graph: _FlowGraph, lam: list[float]) -> _FlowResult | None:
    """Min-cost flow with kg capacity priced at lam[slot] cents per gram (0: ignored).

    Returns None when the tier demands cannot be met even fractionally."""
    scale = problem.scale
    n_ship_arcs = len(graph.arc_slot)
    if any(price > 0.0 for price in lam):
        # floor, and one less against float rounding: still a lower bound
        costs = [
            math.floor(scale * (c + lam[k] * w) / p) - 1 if k >= 0 and lam[k] > 0.0 else b
            for k, c, w, p, b in zip(
                graph.arc_slot, graph.arc_cents, graph.arc_grams, graph.arc_parcels, graph.base_costs, strict=False
            )
        ]
        costs.extend(graph.base_costs[n_ship_arcs:])
    else:
        costs = graph.base_costs
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(graph.tails, graph.heads, graph.caps, costs)
    flow.set_nodes_supplies(list(range(len(graph.supplies))), graph.supplies)
    status = flow.solve()
    if status == min_cost_flow.SimpleMinCostFlow.INFEASIBLE:
        return None
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    flows = flow.flows(list(range(n_ship_arcs))).tolist()
    bound = Fraction(int(flow.optimal_cost()), scale)
    for k, price in enumerate(lam):
        cap = problem.cap_weight[k]
        if price > 0.0 and cap is not None:
            bound -= Fraction(price) * cap
    kg_load = [0.0] * len(problem.cap_parcels)
    plan: list[int] = []
    starts, arc_slot = graph.starts, graph.arc_slot
    for i in range(problem.n):
        start, end = starts[i], starts[i + 1]
        p, w = problem.parcels[i], problem.weight[i]
        best_arc, best_flow = end - 1, -1
        for a in range(start, end):
            units = flows[a]
            if units > best_flow or (units == best_flow and costs[a] < costs[best_arc]):
                best_arc, best_flow = a, units
            if units and arc_slot[a] >= 0:
                kg_load[arc_slot[a]] += units * w / p
        plan.append(graph.arc_choice[best_arc])
    return _FlowResult(bound=bound, plan=plan, kg_load=kg_load)


def _choice_cost(problem: _Problem, tiers: tuple[int, ...], i: int, choice: int) -> int:
    """What shipment i's choice (option index, HOLD or DROP) costs at `tiers`, penalty included."""
    if choice >= 0:
        carrier = problem.carrier_of_slot[problem.slot_of_option[i][choice]]
        return problem.instance.shipments[i].options[choice].cost_cents_by_tier[tiers[carrier]]
    hold = problem.hold[i]
    return hold if choice == HOLD and hold is not None else problem.penalty[i]


class _Repair:
    """Turns a rounded plan into one that fits a combination's capacities, then improves it.

    Unloading an overfull (carrier, day) moves out first the shipments that cost least per parcel
    or gram relieved, to options with room, without breaking the combination's tier demands;
    a second round may break them, and drop a must-ship shipment as a last resort. Then single
    moves to cheaper options with room, until none is left."""

    def __init__(self, problem: _Problem, combo: _Combination, plan: list[int]) -> None:
        self.problem = problem
        self.combo = combo
        self.plan = list(plan)
        self.parcels = [0] * len(problem.cap_parcels)
        self.weight = [0] * len(problem.cap_parcels)
        self.carrier = [0] * problem.n_carriers
        for i, choice in enumerate(self.plan):
            if choice >= 0:
                self._add(i, problem.slot_of_option[i][choice], 1)

    def run(self) -> list[int]:
        for strict in (True, False):
            members: dict[int, list[int]] = {}
            for i in range(self.problem.n):
                members.setdefault(self._slot(i), []).append(i)
            for slot in range(len(self.parcels)):
                self._unload(slot, members.get(slot, []), strict)
        self._improve()
        return self.plan

    def _add(self, i: int, slot: int, sign: int) -> None:
        parcels = self.problem.parcels[i]
        self.parcels[slot] += sign * parcels
        self.weight[slot] += sign * self.problem.weight[i]
        self.carrier[self.problem.carrier_of_slot[slot]] += sign * parcels

    def _slot(self, i: int) -> int:
        choice = self.plan[i]
        return self.problem.slot_of_option[i][choice] if choice >= 0 else choice

    def _cost(self, i: int, choice: int) -> int:
        return _choice_cost(self.problem, self.combo.tiers, i, choice)

    def _fits(self, i: int, slot: int) -> bool:
        if slot < 0:
            return True
        cap_p, cap_w = self.problem.cap_parcels[slot], self.problem.cap_weight[slot]
        return (cap_p is None or self.parcels[slot] + self.problem.parcels[i] <= cap_p) and (
            cap_w is None or self.weight[slot] + self.problem.weight[i] <= cap_w
        )

    def _excess(self, slot: int) -> tuple[int, int]:
        cap_p, cap_w = self.problem.cap_parcels[slot], self.problem.cap_weight[slot]
        return (
            0 if cap_p is None else max(0, self.parcels[slot] - cap_p),
            0 if cap_w is None else max(0, self.weight[slot] - cap_w),
        )

    def _may_leave(self, i: int, slot: int, target: int, strict: bool) -> bool:
        if slot < 0 or not strict:
            return True
        carrier = self.problem.carrier_of_slot[slot]
        if target >= 0 and self.problem.carrier_of_slot[target] == carrier:
            return True
        return self.carrier[carrier] - self.problem.parcels[i] >= self.combo.lower[carrier]

    def _move(self, i: int, choice: int) -> None:
        slot = self._slot(i)
        if slot >= 0:
            self._add(i, slot, -1)
        self.plan[i] = choice
        if choice >= 0:
            self._add(i, self.problem.slot_of_option[i][choice], 1)

    def _unload(self, slot: int, members: list[int], strict: bool) -> None:
        problem = self.problem
        over_p, over_w = self._excess(slot)
        if not over_p and not over_w:
            return
        moves: list[tuple[float, int, int]] = []
        for i in members:
            relief = (min(problem.parcels[i], over_p) / over_p if over_p else 0.0) + (
                min(problem.weight[i], over_w) / over_w if over_w else 0.0
            )
            if relief <= 0.0:
                continue
            here = self._cost(i, self.plan[i])
            for other, option, cost in self.combo.candidates[i]:
                if other != slot:
                    moves.append(((cost - here) / relief, i, option))
            if problem.hold[i] is not None:
                moves.append(((self._cost(i, HOLD) - here) / relief, i, HOLD))
            elif not strict:
                moves.append(((problem.penalty[i] - here) / relief, i, DROP))
        moves.sort()
        for _, i, choice in moves:
            if self._excess(slot) == (0, 0):
                return
            if self._slot(i) != slot:
                continue
            target = problem.slot_of_option[i][choice] if choice >= 0 else choice
            if self._fits(i, target) and self._may_leave(i, slot, target, strict):
                self._move(i, choice)

    def _improve(self) -> None:
        problem = self.problem
        for _ in range(4):
            improved = False
            for i, row in enumerate(self.combo.candidates):
                here = self._cost(i, self.plan[i])
                slot = self._slot(i)
                best_cost, best_choice = here, self.plan[i]
                for other, option, cost in row:
                    if (
                        cost < best_cost
                        and other != slot
                        and self._fits(i, other)
                        and self._may_leave(i, slot, other, True)
                    ):
                        best_cost, best_choice = cost, option
                hold = problem.hold[i]
                if hold is not None and hold < best_cost and self._may_leave(i, slot, HOLD, True):
                    best_cost, best_choice = hold, HOLD
                if best_choice != self.plan[i]:
                    self._move(i, best_choice)
                    improved = True
            if not improved:
                return


@dataclass(frozen=True)
class _Plan:
    """A plan priced at the tiers it reaches (penalties included in `value`)."""

    choice: tuple[int, ...]
    tiers: tuple[int, ...]
    value: int


def _evaluate(problem: _Problem, plan: list[int]) -> _Plan:
    """Price a plan at the tiers it reaches, first re-choosing within each (carrier, day) the
    option cheapest at those tiers (same capacity use, so the same tiers)."""
    carrier_parcels = [0] * problem.n_carriers
    for i, choice in enumerate(plan):
        if choice >= 0:
            carrier_parcels[problem.carrier_of_slot[problem.slot_of_option[i][choice]]] += problem.parcels[i]
    tiers = tuple(
        carrier.tier_reached(parcels)
        for carrier, parcels in zip(problem.instance.carriers, carrier_parcels, strict=True)
    )
    out: list[int] = []
    value = 0
    for i, choice in enumerate(plan):
        if choice < 0:
            hold = problem.hold[i]
            value += hold if choice == HOLD and hold is not None else problem.penalty[i]
            out.append(choice)
            continue
        options = problem.instance.shipments[i].options
        slot = problem.slot_of_option[i][choice]
        tier = tiers[problem.carrier_of_slot[slot]]
        for group_slot, indices in problem.groups[i]:
            if group_slot == slot:
                choice = min(indices, key=lambda j: options[j].cost_cents_by_tier[tier])
                break
        out.append(choice)
        value += options[choice].cost_cents_by_tier[tier]
    return _Plan(choice=tuple(out), tiers=tiers, value=value)


# ---------------------------------------------------------------------------------------------
# CP-SAT at one tier combination: one function per constraint group


@dataclass
class _CpModel:
    """One Boolean per (shipment, slot) of the shipments in `rows`; every other shipment is fixed
    at `fixed` (its load is taken off the capacities and tier demands)."""

    model: cp_model.CpModel
    rows: list[int]
    choices: list[list[tuple[cp_model.IntVar, int, int]]]  # per row: (variable, choice, cost)
    fixed_parcels: list[int]  # per slot
    fixed_weight: list[int]  # per slot


def _cp_variables(
    problem: _Problem, combo: _Combination, allow_drops: bool, rows: list[int], fixed: list[int] | None
) -> _CpModel:
    model = cp_model.CpModel()
    choices: list[list[tuple[cp_model.IntVar, int, int]]] = []
    for i in rows:
        mine = [(model.new_bool_var(f"x{i}_{option}"), option, cost) for _, option, cost in combo.candidates[i]]
        hold = problem.hold[i]
        if hold is not None:
            mine.append((model.new_bool_var(f"hold{i}"), HOLD, hold))
        elif allow_drops:
            mine.append((model.new_bool_var(f"drop{i}"), DROP, problem.penalty[i]))
        choices.append(mine)
    fixed_parcels = [0] * len(problem.cap_parcels)
    fixed_weight = [0] * len(problem.cap_parcels)
    if fixed is not None:
        free = set(rows)
        for i, choice in enumerate(fixed):
            if choice >= 0 and i not in free:
                slot = problem.slot_of_option[i][choice]
                fixed_parcels[slot] += problem.parcels[i]
                fixed_weight[slot] += problem.weight[i]
    return _CpModel(model, rows, choices, fixed_parcels, fixed_weight)


def _add_one_option_per_shipment(cp: _CpModel) -> None:
    for mine in cp.choices:
        cp.model.add_exactly_one(var for var, _, _ in mine)


def _slot_terms(problem: _Problem, cp: _CpModel, size: list[int]) -> dict[int, list[tuple[cp_model.IntVar, int]]]:
    terms: dict[int, list[tuple[cp_model.IntVar, int]]] = {}
    for i, mine in zip(cp.rows, cp.choices, strict=True):
        for var, choice, _ in mine:
            if choice >= 0:
                terms.setdefault(problem.slot_of_option[i][choice], []).append((var, size[i]))
    return terms


def _add_parcel_capacity(problem: _Problem, cp: _CpModel) -> None:
    for slot, terms in _slot_terms(problem, cp, problem.parcels).items():
        cap = problem.cap_parcels[slot]
        if cap is not None:
            cp.model.add(sum(size * var for var, size in terms) <= cap - cp.fixed_parcels[slot])


def _add_weight_capacity(problem: _Problem, cp: _CpModel) -> None:
    for slot, terms in _slot_terms(problem, cp, problem.weight).items():
        cap = problem.cap_weight[slot]
        if cap is not None:
            cp.model.add(sum(size * var for var, size in terms) <= cap - cp.fixed_weight[slot])


def _add_tier_demands(problem: _Problem, cp: _CpModel, combo: _Combination) -> None:
    """Tier T[c] reached => the plan moves at least threshold - month_parcels parcels to c."""
    by_carrier: dict[int, list[tuple[cp_model.IntVar, int]]] = {}
    for slot, terms in _slot_terms(problem, cp, problem.parcels).items():
        by_carrier.setdefault(problem.carrier_of_slot[slot], []).extend(terms)
    fixed = [0] * problem.n_carriers
    for slot, parcels in enumerate(cp.fixed_parcels):
        fixed[problem.carrier_of_slot[slot]] += parcels
    for carrier, need in enumerate(combo.lower):
        if need - fixed[carrier] > 0:
            terms = by_carrier.get(carrier, [])
            cp.model.add(sum(size * var for var, size in terms) >= need - fixed[carrier])


def _minimise_cost(cp: _CpModel) -> None:
    cp.model.minimize(sum(cost * var for mine in cp.choices for var, _, cost in mine))


@dataclass
class _CpResult:
    plan: list[int] | None
    bound: Fraction | None  # None: nothing proven
    infeasible: bool = False  # no plan at all reaches these tiers


def _solve_cp(
    problem: _Problem,
    combo: _Combination,
    hint: list[int] | None,
    allow_drops: bool,
    budget_s: float,
    deadline: float,
    workers: int,
    absolute_gap: float,
    window: list[int] | None = None,
) -> _CpResult:
    """CP-SAT at one tier combination; `hint` is a plan (option index, HOLD or DROP per
    shipment), hinted by (carrier, day) since the cheapest option of a slot depends on tiers.
    With a `window`, only those shipments move and the others stay as in `hint`: the result is
    then a plan, never a bound."""
    started = time.monotonic()
    rows = list(range(problem.n)) if window is None else window
    cp = _cp_variables(problem, combo, allow_drops, rows, hint if window is not None else None)
    _add_one_option_per_shipment(cp)
    _add_parcel_capacity(problem, cp)
    _add_weight_capacity(problem, cp)
    _add_tier_demands(problem, cp, combo)
    _minimise_cost(cp)
    if hint is not None:
        slot_of = problem.slot_of_option
        for i, mine in zip(rows, cp.choices, strict=True):
            choice = hint[i]
            wanted = slot_of[i][choice] if choice >= 0 else choice
            for var, own, _ in mine:
                cp.model.add_hint(var, (slot_of[i][own] if own >= 0 else own) == wanted)
    solver = cp_model.CpSolver()
    spent = time.monotonic() - started
    solver.parameters.max_time_in_seconds = max(0.05, min(budget_s - spent, deadline - time.monotonic()))
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.absolute_gap_limit = max(0.0, absolute_gap)
    status = solver.solve(cp.model)
    if status == cp_model.INFEASIBLE and window is None:
        if allow_drops:
            return _CpResult(None, None, infeasible=True)
        return _CpResult(None, Fraction(problem.big))  # every plan reaching these tiers drops a shipment
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _CpResult(None, None)
    if window is not None:
        assert hint is not None
        plan = list(hint)
        for i, mine in zip(rows, cp.choices, strict=True):
            plan[i] = next(choice for var, choice, _ in mine if solver.boolean_value(var))
        return _CpResult(plan, None)
    plan = [next(choice for var, choice, _ in mine if solver.boolean_value(var)) for mine in cp.choices]
    # The objective is integral: ceil(bound - 0.5) is safe against float noise, at most 1 cent weak.
    return _CpResult(plan, Fraction(math.ceil(solver.best_objective_bound - 0.5)))


# ---------------------------------------------------------------------------------------------
# kg capacities dualised: a proximal Kelley ascent on one multiplier (cents per kg) per slot


@dataclass
class _Ascent:
    dims: list[int]  # slots with a kg capacity
    cuts: list[tuple[float, list[float], list[float]]] = field(default_factory=list)  # (value, subgradient, at)
    center: list[float] = field(default_factory=list)
    center_value: float = 0.0
    radius: float = 1.0
    steps: int = 0


def _subgradient(problem: _Problem, dims: list[int], kg_load: list[float]) -> list[float]:
    out = []
    for slot in dims:
        cap = problem.cap_weight[slot]
        assert cap is not None
        out.append((kg_load[slot] - cap) / 1000.0)
    return out


def _master(ascent: _Ascent) -> tuple[list[float], float] | None:
    """Maximise the cutting-plane model of the dual function within a box around the center."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with OR-Tools
        return None
    infinity = solver.infinity()
    radius = ascent.radius
    lam = [solver.NumVar(max(0.0, c - radius), c + radius, f"lam{j}") for j, c in enumerate(ascent.center)]
    theta = solver.NumVar(-infinity, infinity, "theta")
    for value, grad, at in ascent.cuts:
        row = solver.Constraint(-infinity, value - sum(g * a for g, a in zip(grad, at, strict=True)))
        row.SetCoefficient(theta, 1.0)
        for var, g in zip(lam, grad, strict=True):
            row.SetCoefficient(var, -g)
    solver.Maximize(theta)
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return [var.solution_value() for var in lam], theta.solution_value()


# ---------------------------------------------------------------------------------------------
# The search over tier combinations


CP_SAT_MAX_BOOLEANS = 400_000  # beyond this, CP-SAT works on windows of shipments
LNS_WINDOW_SHIPMENTS = 1_000  # small windows solve in seconds: many rounds beat few large ones


class _Search:
    """Best-first search over tier combinations: flows first, then kg-Lagrangian steps on the
    combination with the least bound, then CP-SAT; stops at the gap limit or the deadline."""

    def __init__(self, problem: _Problem, started: float, time_limit_s: float, workers: int, gap_limit: float) -> None:
        self.problem = problem
        self.time_limit_s = time_limit_s
        self.deadline = started + time_limit_s
        self.workers = workers
        self.gap_limit = Fraction(max(0.0, gap_limit))
        self.best: _Plan | None = None
        self.combos = self._combinations()
        self.flows = 0
        self.ascent_steps = 0
        self.cp_models = 0
        self.lns_rounds = 0
        self._cache: dict[tuple[int, ...], tuple[list[list[Candidate]], _FlowGraph]] = {}
        self._ascents: dict[tuple[int, ...], _Ascent] = {}

    def _combinations(self) -> list[_Combination]:
        """Tier combinations, skipping those below a tier that month_parcels already reach
        (same demands, dearer costs: dominated)."""
        ranges = []
        for carrier in self.problem.instance.carriers:
            floor = carrier.tier_reached(0)
            ranges.append(range(floor, len(carrier.tier_thresholds) + 1))
        return [_Combination(tiers, _requirements(self.problem, tiers)) for tiers in itertools.product(*ranges)]

    def _time_left(self) -> float:
        return self.deadline - time.monotonic()

    def _target(self) -> Fraction | None:
        """A combination whose bound reaches this cannot improve the best plan beyond the gap limit."""
        if self.best is None:
            return None
        value = self.best.value
        return value - self.gap_limit * (value % self.problem.big)

    def _open(self, combo: _Combination) -> bool:
        target = self._target()
        return not combo.infeasible and (target is None or combo.bound < target)

    def _load(self, combo: _Combination) -> None:
        """Candidates of `combo` only (a few recent ones stay cached): 100,000 shipments x 27
        combinations would not fit in memory."""
        for other in self.combos:
            if other is not combo:
                other.candidates, other.graph = [], None
        if combo.candidates and combo.graph is not None:
            return
        cached = self._cache.get(combo.tiers)
        if cached is None:
            combo.candidates = _candidates(self.problem, combo.tiers)
            cached = (combo.candidates, _flow_graph(self.problem, combo))
            if len(self._cache) >= 3:
                self._cache.pop(next(iter(self._cache)))
            self._cache[combo.tiers] = cached
        combo.candidates, combo.graph = cached

    def _offer(self, combo: _Combination, plan: list[int]) -> None:
        """Record a plan found at `combo` (as the combination's and maybe as the overall best)."""
        repaired = _Repair(self.problem, combo, plan).run()
        at_tiers = sum(_choice_cost(self.problem, combo.tiers, i, c) for i, c in enumerate(repaired))
        if combo.plan is None or at_tiers < combo.plan_cost:
            combo.plan, combo.plan_cost = repaired, at_tiers
        priced = _evaluate(self.problem, repaired)
        if self.best is None or priced.value < self.best.value:
            self.best = priced

    def run(self) -> None:
        problem = self.problem
        # Costs fall with tiers: the optimistic bound at the top tiers holds for every combination.
        top = tuple(len(carrier.tier_thresholds) for carrier in problem.instance.carriers)
        floor = Fraction(_optimistic_bound(problem, top))
        for combo in self.combos:
            combo.infeasible = not _reachable(problem, combo.lower)
            combo.bound = floor
            if not combo.infeasible and self._time_left() > self.time_limit_s / 2:
                combo.bound = Fraction(_optimistic_bound(problem, combo.tiers))
        for combo in sorted(self.combos, key=lambda c: (c.bound, [-t for t in c.tiers])):
            # A plan is needed whatever the clock says; the untiered combination always has one.
            if self.best is not None and self._time_left() <= 0:
                break
            if self._open(combo):
                self._first_flow(combo)
        while self._time_left() > 0:
            ascending = [c for c in self.combos if self._open(c) and c.flows and not c.closed]
            if not ascending:
                break
            self._ascent_step(min(ascending, key=lambda c: c.bound))
        for combo in sorted(self.combos, key=lambda c: c.bound):
            if self._time_left() <= 0:
                break
            if self._open(combo):
                self._exact(combo)

    def _first_flow(self, combo: _Combination) -> None:
        self._load(combo)
        lam = [0.0] * len(self.problem.cap_parcels)
        assert combo.graph is not None
        result = _flow(self.problem, combo.graph, lam)
        self.flows += 1
        combo.flows += 1
        if result is None:
            combo.infeasible = True
            return
        combo.bound = max(combo.bound, result.bound)
        if self.best is None or combo.bound < self.best.value:
            self._offer(combo, result.plan)
        dims = [k for k, cap in enumerate(self.problem.cap_weight) if cap is not None]
        grad = _subgradient(self.problem, dims, result.kg_load)
        if not dims or all(g <= 0 for g in grad):
            combo.closed = True  # multipliers 0 are dual optimal: the flow bound is the LP bound
            return
        value = float(result.bound)
        cost_per_kg = 1000.0 * float(combo.bound) / max(1, sum(self.problem.weight))
        combo_ascent = _Ascent(dims=dims, center=[0.0] * len(dims), center_value=value, radius=max(1.0, cost_per_kg))
        combo_ascent.cuts.append((value, grad, [0.0] * len(dims)))
        self._ascents[combo.tiers] = combo_ascent

    def _ascent_step(self, combo: _Combination) -> None:
        ascent = self._ascents[combo.tiers]
        proposal = _master(ascent)
        tolerance = max(0.5, 1e-7 * abs(ascent.center_value))
        if proposal is None or proposal[1] - ascent.center_value <= tolerance or ascent.radius < 1e-6:
            combo.closed = True
            return
        at, predicted = proposal
        self._load(combo)
        lam = [0.0] * len(self.problem.cap_parcels)
        for slot, price in zip(ascent.dims, at, strict=True):
            lam[slot] = price / 1000.0
        assert combo.graph is not None
        result = _flow(self.problem, combo.graph, lam)
        self.flows += 1
        self.ascent_steps += 1
        combo.flows += 1
        ascent.steps += 1
        if result is None:  # cannot happen: the demands were met at multipliers 0
            combo.closed = True
            return
        combo.bound = max(combo.bound, result.bound)
        value = float(result.bound)
        ascent.cuts.append((value, _subgradient(self.problem, ascent.dims, result.kg_load), at))
        if len(ascent.cuts) > 60:
            ascent.cuts.pop(0)
        if value >= ascent.center_value + 0.1 * (predicted - ascent.center_value):
            ascent.center, ascent.center_value = at, value
            ascent.radius *= 2.0
        else:
            ascent.radius *= 0.5
        if self.best is None or combo.bound < self.best.value:
            self._offer(combo, result.plan)

    def _hint(self, combo: _Combination, allow_drops: bool) -> list[int] | None:
        best, hint = self.best, combo.plan
        if best is not None and all(t >= need for t, need in zip(best.tiers, combo.tiers, strict=True)):
            hint = list(best.choice)  # the best plan reaches these tiers: it is a plan of this combination
        if hint is not None and not allow_drops and DROP in hint:
            hint = None
        return hint

    def _exact(self, combo: _Combination) -> None:
        self._load(combo)
        remaining = [c for c in self.combos if self._open(c)]
        budget = self._time_left() / max(1, len(remaining))
        best = self.best
        allow_drops = best is None or best.value >= self.problem.big
        hint = self._hint(combo, allow_drops)
        if sum(len(row) for row in combo.candidates) > CP_SAT_MAX_BOOLEANS:
            self._polish(combo, hint, allow_drops, budget)
            return
        absolute_gap = float(self.gap_limit) * (best.value % self.problem.big if best is not None else 0)
        result = _solve_cp(self.problem, combo, hint, allow_drops, budget, self.deadline, self.workers, absolute_gap)
        self.cp_models += 1
        if result.infeasible:
            combo.infeasible = True
            return
        if result.bound is not None:
            combo.bound = max(combo.bound, result.bound)
        if result.plan is not None:
            self._offer(combo, result.plan)

    def _polish(self, combo: _Combination, hint: list[int] | None, allow_drops: bool, budget: float) -> None:
        """Too large for one CP-SAT model: re-optimise windows of shipments with CP-SAT, the
        others fixed at the best plan (large-neighbourhood search). Plans only, never bounds:
        the combination keeps the bound the flows proved."""
        if hint is None:
            return
        stop = time.monotonic() + budget
        rng = random.Random(len(combo.tiers) * 7919 + sum(combo.tiers))
        size = LNS_WINDOW_SHIPMENTS
        while time.monotonic() < stop and self._open(combo):
            window = sorted(rng.sample(range(self.problem.n), min(size, self.problem.n)))
            round_budget = min(stop - time.monotonic(), 5.0)
            result = _solve_cp(
                self.problem, combo, hint, allow_drops, round_budget, self.deadline, self.workers, 0.0, window
            )
            self.lns_rounds += 1
            if result.plan is None:  # no plan in the time given, or the window cannot keep the tiers
                return
            self._offer(combo, result.plan)
            hint = self._hint(combo, allow_drops)
            if hint is None:
                return

    def solution(self, started: float) -> Solution:
        problem, best = self.problem, self.best
        assert best is not None
        bound = min((c.bound for c in self.combos if not c.infeasible), default=Fraction(best.value))
        bound_z = min(math.ceil(bound), best.value)
        drops = best.value // problem.big
        cost = best.value - drops * problem.big
        target = self._target()
        if drops == 0:
            lower = bound_z
            status = "optimal" if target is not None and bound >= target else "feasible"
        else:
            lower = max(0, bound_z - drops * problem.big)
            status = "infeasible" if bound_z >= problem.big else "unknown"
        assignment: dict[str, Option | None] = {}
        unassigned: list[str] = []
        for shipment, choice in zip(problem.instance.shipments, best.choice, strict=True):
            assignment[shipment.id] = shipment.options[choice] if choice >= 0 else None
            if choice == DROP:
                unassigned.append(shipment.id)
        unreachable = sum(1 for c in self.combos if c.infeasible)
        examined = sum(1 for c in self.combos if not c.infeasible and c.flows)
        unexamined = [c for c in self.combos if not c.infeasible and not c.flows]
        pruned = sum(1 for c in unexamined if target is not None and c.bound >= target)
        method = (
            f"tier enumeration ({len(self.combos)} combinations: {examined} by flow, {pruned} pruned by bound,"
            f" {unreachable} unreachable"
            + (f", {len(unexamined) - pruned} not reached in time)" if len(unexamined) > pruned else ")")
            + f" + min-cost flow ({self.flows} solves, {self.ascent_steps} kg-Lagrangian steps)"
        )
        if self.cp_models:
            method += f" + CP-SAT ({self.cp_models} whole models)"
        if self.lns_rounds:
            method += f" + CP-SAT neighbourhood search ({self.lns_rounds} windows)"
        return Solution(
            assignment=assignment,
            tiers={c.carrier: t for c, t in zip(problem.instance.carriers, best.tiers, strict=True)},
            cost_cents=cost,
            lower_bound_cents=lower,
            gap=(cost - lower) / cost if cost > 0 else 0.0,
            status=status,
            solve_seconds=time.monotonic() - started,
            method=method,
            unassigned=tuple(unassigned),
        )


def solve(instance: Instance, *, time_limit_s: float = 30.0, workers: int = 2, gap_limit: float = 0.001) -> Solution:
    """Plan every shipment at least total cost within `time_limit_s`; see the module docstring.

    Raises InvalidInstance when the instance breaks the contract."""
    started = time.monotonic()
    search = _Search(_prepare(instance), started, time_limit_s, workers, gap_limit)
    search.run()
    return search.solution(started)
