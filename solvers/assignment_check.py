"""Independent checker of a batch-assignment plan (solvers.assignment): re-derives everything
from the instance, sharing nothing with the solver but the data types.

Checks: every shipment appears once, on one of its own options, or held (only when it need not
ship), or listed unassigned (only when the status admits it); parcels and grams per carrier and
day within capacity; each carrier's claimed tier equal to the tier month_parcels plus the plan's
parcels reach; the cost recomputed at those tiers (plus hold costs) equal to cost_cents; the
bound and gap consistent with the cost.
"""

from __future__ import annotations

from collections import Counter

from solvers.assignment import Instance, Solution

STATUSES = ("optimal", "feasible", "infeasible", "unknown")


def check(instance: Instance, solution: Solution) -> list[str]:
    """Problems found in `solution` for `instance`; empty when it is valid."""
    problems: list[str] = []
    if solution.status not in STATUSES:
        problems.append(f"status {solution.status!r} is not one of {STATUSES}")
    carriers = {carrier.carrier: carrier for carrier in instance.carriers}
    known = {shipment.id for shipment in instance.shipments}
    for shipment_id in sorted(set(solution.assignment) - known):
        problems.append(f"assignment names unknown shipment {shipment_id!r}")
    listed = Counter(solution.unassigned)
    for shipment_id, times in sorted(listed.items()):
        if times > 1:
            problems.append(f"shipment {shipment_id!r} is listed unassigned {times} times")
        if shipment_id not in known:
            problems.append(f"unassigned names unknown shipment {shipment_id!r}")
    if listed and solution.status not in ("infeasible", "unknown"):
        problems.append(f"status {solution.status!r} but shipments are unassigned: {sorted(listed)}")
    if solution.status == "infeasible" and not listed:
        problems.append("status 'infeasible' but no shipment is listed unassigned")

    parcels_by_day: Counter[tuple[str, int]] = Counter()
    grams_by_day: Counter[tuple[str, int]] = Counter()
    parcels_by_carrier: Counter[str] = Counter()
    chosen = []
    hold_cents = 0
    for shipment in instance.shipments:
        if shipment.id not in solution.assignment:
            problems.append(f"shipment {shipment.id!r} is missing from the assignment")
            continue
        option = solution.assignment[shipment.id]
        if option is None:
            if shipment.id in listed:
                if not shipment.must_ship:
                    problems.append(f"shipment {shipment.id!r} may be held, yet is listed unassigned")
            elif shipment.must_ship:
                problems.append(f"must-ship shipment {shipment.id!r} is neither assigned nor listed unassigned")
            else:
                hold_cents += shipment.hold_cost_cents
            continue
        if shipment.id in listed:
            problems.append(f"shipment {shipment.id!r} is assigned but listed unassigned")
        if option not in shipment.options:
            problems.append(f"shipment {shipment.id!r} is assigned an option it does not have: {option}")
            continue
        if option.carrier not in carriers:
            problems.append(f"shipment {shipment.id!r} uses unknown carrier {option.carrier!r}")
            continue
        parcels_by_day[option.carrier, option.day] += shipment.parcels
        grams_by_day[option.carrier, option.day] += shipment.weight_g
        parcels_by_carrier[option.carrier] += shipment.parcels
        chosen.append(option)

    for (name, day), parcels in sorted(parcels_by_day.items()):
        capacity = carriers[name]
        if capacity.parcels_per_day is not None and parcels > capacity.parcels_per_day:
            problems.append(f"{name} day {day}: {parcels} parcels > capacity {capacity.parcels_per_day}")
        grams = grams_by_day[name, day]
        if capacity.weight_g_per_day is not None and grams > capacity.weight_g_per_day:
            problems.append(f"{name} day {day}: {grams} g > capacity {capacity.weight_g_per_day} g")

    reached: dict[str, int] = {}
    for name, capacity in carriers.items():
        volume = capacity.month_parcels + parcels_by_carrier[name]
        reached[name] = len([threshold for threshold in capacity.tier_thresholds if volume >= threshold])
        claimed = solution.tiers.get(name)
        if claimed != reached[name]:
            problems.append(f"{name}: claims tier {claimed}, but {volume} parcels reach tier {reached[name]}")
    for name in sorted(set(solution.tiers) - set(carriers)):
        problems.append(f"tiers name unknown carrier {name!r}")

    cost = hold_cents + sum(option.cost_cents_by_tier[reached[option.carrier]] for option in chosen)
    if cost != solution.cost_cents:
        problems.append(f"cost_cents {solution.cost_cents} but the plan costs {cost} at the tiers it reaches")
    if solution.lower_bound_cents > solution.cost_cents:
        problems.append(f"lower bound {solution.lower_bound_cents} above the cost {solution.cost_cents}")
    if solution.cost_cents > 0:
        expected_gap = (solution.cost_cents - solution.lower_bound_cents) / solution.cost_cents
        if abs(solution.gap - expected_gap) > 1e-9:
            problems.append(f"gap {solution.gap} but (cost - bound) / cost = {expected_gap}")
    return problems
