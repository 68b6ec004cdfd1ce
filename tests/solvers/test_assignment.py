"""Batch assignment: each constraint group alone (feasible and infeasible), days, infeasible
instances planned as far as they go, brute force on small random instances, and the checker."""

from __future__ import annotations

import dataclasses
import itertools
import random

import pytest
from ortools.sat.python import cp_model

from solvers import assignment
from solvers.assignment import (
    CarrierCapacity,
    Instance,
    InvalidInstance,
    Option,
    Shipment,
    Solution,
    solve,
)
from solvers.assignment_check import check


def an_option(carrier: str = "a", day: int = 0, costs: tuple[int, ...] = (1000,)) -> Option:
    return Option(carrier=carrier, day=day, cost_cents_by_tier=costs)


def a_shipment(
    id: str,
    *options: Option,
    parcels: int = 1,
    weight_g: int = 1000,
    must_ship: bool = True,
    hold_cost_cents: int = 0,
    orders: int = 1,
) -> Shipment:
    return Shipment(id, parcels, weight_g, options, must_ship=must_ship, hold_cost_cents=hold_cost_cents, orders=orders)


def a_carrier(
    name: str = "a",
    parcels_per_day: int | None = None,
    weight_g_per_day: int | None = None,
    month_parcels: int = 0,
    tier_thresholds: tuple[int, ...] = (),
) -> CarrierCapacity:
    return CarrierCapacity(name, parcels_per_day, weight_g_per_day, month_parcels, tier_thresholds)


def solved(instance: Instance) -> Solution:
    """Solve to a proven optimum and insist the independent checker agrees."""
    solution = solve(instance, time_limit_s=60.0, gap_limit=0.0)
    assert check(instance, solution) == []
    return solution


def carriers_of(solution: Solution) -> dict[str, str | None]:
    return {sid: (o.carrier if o else None) for sid, o in solution.assignment.items()}


TWO_CARRIERS = (a_carrier("a"), a_carrier("b"))


# --- one option per shipment ---------------------------------------------------------------


def test_each_shipment_takes_its_cheapest_option_when_nothing_binds() -> None:
    instance = Instance(
        (
            a_shipment("s1", an_option("a", costs=(700,)), an_option("b", costs=(900,))),
            a_shipment("s2", an_option("a", costs=(800,)), an_option("b", costs=(600,))),
        ),
        TWO_CARRIERS,
    )
    solution = solved(instance)
    assert carriers_of(solution) == {"s1": "a", "s2": "b"}
    assert (solution.cost_cents, solution.lower_bound_cents, solution.gap) == (1300, 1300, 0.0)
    assert solution.status == "optimal"
    assert solution.unassigned == ()


def test_a_shipment_that_may_wait_is_held_when_holding_costs_less_than_shipping() -> None:
    instance = Instance(
        (a_shipment("s1", an_option("a", costs=(900,)), must_ship=False, hold_cost_cents=300),),
        TWO_CARRIERS,
    )
    solution = solved(instance)
    assert solution.assignment == {"s1": None}
    assert solution.cost_cents == 300
    assert solution.unassigned == ()


def test_a_must_ship_shipment_without_options_is_named_unplaceable() -> None:
    instance = Instance((a_shipment("s1"), a_shipment("s2", an_option("a", costs=(500,)))), TWO_CARRIERS)
    solution = solved(instance)
    assert solution.status == "infeasible"
    assert solution.unassigned == ("s1",)
    assert carriers_of(solution) == {"s1": None, "s2": "a"}
    assert solution.cost_cents == 500


# --- capacity per carrier and day, in parcels ----------------------------------------------


def cheap_a_dear_b(n: int, parcels: int = 1) -> tuple[Shipment, ...]:
    return tuple(
        a_shipment(f"s{i}", an_option("a", costs=(500 + i,)), an_option("b", costs=(900,)), parcels=parcels)
        for i in range(n)
    )


def test_parcel_capacity_moves_the_overflow_to_the_next_cheapest_carrier() -> None:
    instance = Instance(cheap_a_dear_b(3), (a_carrier("a", parcels_per_day=2), a_carrier("b")))
    solution = solved(instance)
    # s2 saves least on a (900 - 502), so it is the one to go with b
    assert carriers_of(solution) == {"s0": "a", "s1": "a", "s2": "b"}
    assert solution.cost_cents == 500 + 501 + 900


def test_a_multi_parcel_shipment_uses_one_unit_of_capacity_per_parcel() -> None:
    shipments = (
        a_shipment("big", an_option("a", costs=(500,)), an_option("b", costs=(2000,)), parcels=3),
        a_shipment("s1", an_option("a", costs=(500,)), an_option("b", costs=(700,))),
    )
    instance = Instance(shipments, (a_carrier("a", parcels_per_day=3), a_carrier("b")))
    solution = solved(instance)
    assert carriers_of(solution) == {"big": "a", "s1": "b"}


def test_too_little_parcel_capacity_for_the_must_ship_shipments_is_infeasible() -> None:
    shipments = tuple(a_shipment(f"s{i}", an_option("a", costs=(500 + 100 * i,))) for i in range(3))
    instance = Instance(shipments, (a_carrier("a", parcels_per_day=2),))
    solution = solved(instance)
    assert solution.status == "infeasible"
    assert solution.unassigned == ("s2",)  # the fewest left out, then the cheapest plan of the rest
    assert carriers_of(solution) == {"s0": "a", "s1": "a", "s2": None}
    assert solution.cost_cents == 1100


def test_with_too_little_capacity_the_plan_leaves_out_the_fewest_orders_not_the_fewest_shipments() -> None:
    """One parcel of room: the shipment of three orders, dearer, ships; the one of a single order waits."""
    merged = a_shipment("merged", an_option("a", costs=(900,)), orders=3)
    single = a_shipment("single", an_option("a", costs=(500,)))
    solution = solved(Instance((merged, single), (a_carrier("a", parcels_per_day=1),)))
    assert (solution.status, solution.unassigned) == ("infeasible", ("single",))
    assert solution.cost_cents == 900


# --- capacity per carrier and day, in kg ---------------------------------------------------


def test_kg_capacity_moves_the_shipment_that_costs_least_per_kg_to_move() -> None:
    shipments = (
        a_shipment("heavy", an_option("a", costs=(1000,)), an_option("b", costs=(1300,)), weight_g=6000),
        a_shipment("light1", an_option("a", costs=(500,)), an_option("b", costs=(700,)), weight_g=3000),
        a_shipment("light2", an_option("a", costs=(500,)), an_option("b", costs=(700,)), weight_g=3000),
    )
    instance = Instance(shipments, (a_carrier("a", weight_g_per_day=9000), a_carrier("b")))
    solution = solved(instance)
    # parcels do not bind (3 <= any); 12 kg > 9 kg: one light parcel (+200) moves, not the heavy one (+300)
    moved = [sid for sid, carrier in carriers_of(solution).items() if carrier == "b"]
    assert len(moved) == 1 and moved[0].startswith("light")
    assert solution.cost_cents == 1000 + 500 + 700


def test_a_shipment_heavier_than_every_kg_capacity_cannot_be_placed() -> None:
    shipments = (
        a_shipment("ok", an_option("a", costs=(500,)), weight_g=2000),
        a_shipment("too_heavy", an_option("a", costs=(500,)), an_option("b", costs=(600,)), weight_g=30_000),
    )
    instance = Instance(shipments, (a_carrier("a", weight_g_per_day=25_000), a_carrier("b", weight_g_per_day=25_000)))
    solution = solved(instance)
    assert solution.status == "infeasible"
    assert solution.unassigned == ("too_heavy",)
    assert carriers_of(solution)["ok"] == "a"


# --- volume tiers --------------------------------------------------------------------------


def tiered(n: int, **carrier: int) -> Instance:
    shipments = tuple(
        a_shipment(f"s{i}", an_option("a", costs=(1000, 800)), an_option("b", costs=(900,))) for i in range(n)
    )
    return Instance(shipments, (a_carrier("a", tier_thresholds=(3,), **carrier), a_carrier("b")))


def test_a_tier_is_reached_when_the_plan_moves_enough_parcels_to_the_carrier() -> None:
    solution = solved(tiered(3))
    assert set(carriers_of(solution).values()) == {"a"}
    assert solution.tiers == {"a": 1, "b": 0}
    assert solution.cost_cents == 3 * 800


def test_a_tier_is_not_counted_when_the_plan_moves_too_few_parcels() -> None:
    solution = solved(tiered(2))
    assert set(carriers_of(solution).values()) == {"b"}
    assert solution.tiers == {"a": 0, "b": 0}
    assert solution.cost_cents == 2 * 900


def test_a_tier_out_of_reach_of_the_capacity_is_not_counted() -> None:
    solution = solved(tiered(3, parcels_per_day=2))
    assert solution.tiers["a"] == 0
    assert solution.cost_cents == 3 * 900


def test_a_tier_already_reached_by_the_month_volume_prices_every_parcel() -> None:
    solution = solved(tiered(1, month_parcels=5))
    assert carriers_of(solution) == {"s0": "a"}
    assert solution.tiers["a"] == 1
    assert solution.cost_cents == 800


def test_the_plan_may_move_a_dearer_shipment_to_reach_a_tier_that_pays() -> None:
    shipments = (
        a_shipment("s0", an_option("a", costs=(1000, 700)), an_option("b", costs=(800,))),
        a_shipment("s1", an_option("a", costs=(1000, 700)), an_option("b", costs=(800,))),
        a_shipment("s2", an_option("a", costs=(990, 980)), an_option("b", costs=(800,))),
    )
    instance = Instance(shipments, (a_carrier("a", tier_thresholds=(3,)), a_carrier("b")))
    solution = solved(instance)
    assert set(carriers_of(solution).values()) == {"a"}  # 700 + 700 + 980 < 3 * 800
    assert solution.cost_cents == 2380


def test_of_two_services_on_one_carrier_and_day_the_one_cheapest_at_the_reached_tier_is_chosen() -> None:
    home, pickup = an_option("a", 0, (1000, 600)), an_option("a", 0, (800, 750))
    shipments = tuple(a_shipment(f"s{i}", home, pickup, an_option("b", 0, (790,))) for i in range(2))
    instance = Instance(shipments, (a_carrier("a", tier_thresholds=(2,)), a_carrier("b")))
    solution = solved(instance)
    assert solution.assignment == {"s0": home, "s1": home}  # 2 x 600, though pickup is cheaper untiered
    assert solution.tiers["a"] == 1


# --- days ----------------------------------------------------------------------------------


def test_when_day_0_is_full_the_shipments_that_may_wait_go_on_day_1() -> None:
    shipments = (
        a_shipment("urgent", an_option("a", 0, (500,)), an_option("b", 0, (2000,))),
        a_shipment("flexible", an_option("a", 0, (500,)), an_option("a", 1, (520,)), an_option("b", 0, (900,))),
    )
    instance = Instance(shipments, (a_carrier("a", parcels_per_day=1), a_carrier("b")), days=2)
    solution = solved(instance)
    assert solution.assignment == {"urgent": an_option("a", 0, (500,)), "flexible": an_option("a", 1, (520,))}


def test_capacity_is_per_day_so_day_1_cannot_absorb_shipments_that_must_go_tonight() -> None:
    shipments = tuple(a_shipment(f"s{i}", an_option("a", 0, (500,))) for i in range(2))
    instance = Instance(shipments, (a_carrier("a", parcels_per_day=1),), days=2)
    solution = solved(instance)
    assert solution.status == "infeasible"
    assert len(solution.unassigned) == 1


def test_tier_volume_counts_every_day_of_the_plan() -> None:
    shipments = tuple(
        a_shipment(f"s{i}", an_option("a", i % 2, (1000, 800)), an_option("b", 0, (900,))) for i in range(4)
    )
    instance = Instance(shipments, (a_carrier("a", parcels_per_day=2, tier_thresholds=(4,)), a_carrier("b")), days=2)
    solution = solved(instance)
    assert solution.tiers["a"] == 1
    assert solution.cost_cents == 4 * 800


# --- the whole: infeasible instances, bad input, method ------------------------------------


def test_an_infeasible_instance_still_plans_the_rest_and_names_the_unplaceable_shipments() -> None:
    shipments = (
        *(a_shipment(f"a{i}", an_option("a", costs=(500,)), weight_g=4000) for i in range(3)),
        a_shipment("either", an_option("a", costs=(500,)), an_option("b", costs=(800,)), weight_g=4000),
        a_shipment("b_only", an_option("b", costs=(600,))),
        a_shipment("later", an_option("b", costs=(600,)), must_ship=False, hold_cost_cents=100),
    )
    carriers = (a_carrier("a", parcels_per_day=3, weight_g_per_day=10_000), a_carrier("b"))
    solution = solved(Instance(shipments, carriers))
    # a takes two of a0..a2 (8 kg <= 10 kg, a third would be 12 kg); "either" goes to b.
    assert solution.status == "infeasible"
    assert len(solution.unassigned) == 1 and solution.unassigned[0] in {"a0", "a1", "a2"}
    assert carriers_of(solution)["either"] == "b"
    assert carriers_of(solution)["b_only"] == "b"
    assert carriers_of(solution)["later"] is None
    assert solution.cost_cents == 500 + 500 + 800 + 600 + 100


def test_unit_parcel_instances_without_kg_limits_are_solved_exactly_by_flows_alone() -> None:
    rng = random.Random(7)
    shipments = tuple(
        a_shipment(
            f"s{i}",
            an_option("a", rng.randrange(2), (rng.randint(500, 900), rng.randint(400, 500))),
            an_option("b", rng.randrange(2), (rng.randint(500, 900),)),
        )
        for i in range(200)
    )
    carriers = (a_carrier("a", parcels_per_day=60, tier_thresholds=(100,)), a_carrier("b", parcels_per_day=80))
    instance = Instance(shipments, carriers, days=2)
    solution = solved(instance)
    assert solution.status == "optimal"
    assert "CP-SAT" not in solution.method


@pytest.mark.parametrize(
    ("instance", "message"),
    [
        (Instance((a_shipment("s", an_option("z")),), TWO_CARRIERS), "unknown carrier"),
        (Instance((a_shipment("s", an_option("a", day=1)),), TWO_CARRIERS), "day outside"),
        (Instance((a_shipment("s", an_option("a", costs=(1, 2))),), TWO_CARRIERS), "one cost per tier"),
        (
            Instance((a_shipment("s", an_option("a", costs=(1, 2))),), (a_carrier("a", tier_thresholds=(5,)),)),
            "non-increasing",
        ),
        (Instance((), (a_carrier("a", tier_thresholds=(5, 5)),)), "strictly increasing"),
        (Instance((a_shipment("s"), a_shipment("s")), TWO_CARRIERS), "listed twice"),
    ],
)
def test_an_instance_that_breaks_the_contract_is_rejected_with_a_clear_message(
    instance: Instance, message: str
) -> None:
    with pytest.raises(InvalidInstance, match=message):
        solve(instance)


def test_an_empty_instance_costs_nothing() -> None:
    solution = solved(Instance((), TWO_CARRIERS))
    assert (solution.cost_cents, solution.status, solution.assignment) == (0, "optimal", {})


# --- brute force on small random instances -------------------------------------------------


def random_instance(rng: random.Random) -> Instance:
    days = rng.randint(1, 2)
    names = ["a", "b", "c"][: rng.randint(2, 3)]
    carriers = []
    for name in names:
        thresholds = tuple(sorted(rng.sample(range(1, 12), rng.randint(0, 2))))
        carriers.append(
            a_carrier(
                name,
                parcels_per_day=rng.choice([None, rng.randint(1, 5)]),
                weight_g_per_day=rng.choice([None, rng.randint(1000, 9000)]),
                month_parcels=rng.choice([0, 0, rng.randint(0, 8)]),
                tier_thresholds=thresholds,
            )
        )
    tiers = {c.carrier: len(c.tier_thresholds) for c in carriers}
    shipments = []
    for i in range(rng.randint(1, 7)):
        # with replacement: two services of one carrier on one day share its capacity
        slots = rng.choices([(c, d) for c in names for d in range(days)], k=rng.randint(0, 3))
        options = []
        for carrier, day in slots:
            cost = rng.randint(300, 1500)
            costs = [cost]
            for _ in range(tiers[carrier]):
                costs.append(costs[-1] - rng.randint(0, 300))
            options.append(an_option(carrier, day, tuple(max(0, c) for c in costs)))
        must = rng.random() < 0.8
        shipments.append(
            a_shipment(
                f"s{i}",
                *options,
                parcels=rng.choice([1, 1, 1, 2, 3]),
                weight_g=rng.randint(200, 5000),
                must_ship=must,
                hold_cost_cents=0 if must else rng.randint(0, 1500),
            )
        )
    return Instance(tuple(shipments), tuple(carriers), days)


def brute_force(instance: Instance) -> tuple[int, int]:
    """(fewest must-ship shipments left out, least cost of the rest) over every assignment."""
    carriers = {c.carrier: c for c in instance.carriers}
    best: tuple[int, int] | None = None
    for choice in itertools.product(*[(*s.options, None) for s in instance.shipments]):
        parcels: dict[tuple[str, int], int] = {}
        grams: dict[tuple[str, int], int] = {}
        volume = dict.fromkeys(carriers, 0)
        left_out, cost = 0, 0
        for shipment, option in zip(instance.shipments, choice, strict=True):
            if option is None:
                if shipment.must_ship:
                    left_out += 1
                else:
                    cost += shipment.hold_cost_cents
                continue
            key = (option.carrier, option.day)
            parcels[key] = parcels.get(key, 0) + shipment.parcels
            grams[key] = grams.get(key, 0) + shipment.weight_g
            volume[option.carrier] += shipment.parcels
        if any((cap := carriers[c].parcels_per_day) is not None and v > cap for (c, _), v in parcels.items()):
            continue
        if any((cap := carriers[c].weight_g_per_day) is not None and v > cap for (c, _), v in grams.items()):
            continue
        tier = {name: c.tier_reached(volume[name]) for name, c in carriers.items()}
        cost += sum(o.cost_cents_by_tier[tier[o.carrier]] for o in choice if o is not None)
        if best is None or (left_out, cost) < best:
            best = (left_out, cost)
    assert best is not None
    return best


@pytest.mark.parametrize("seed", range(60))
def test_the_solver_matches_brute_force_on_small_random_instances(seed: int) -> None:
    instance = random_instance(random.Random(seed))
    solution = solved(instance)
    assert (len(solution.unassigned), solution.cost_cents) == brute_force(instance)
    if solution.unassigned:
        assert solution.status == "infeasible"
    else:
        assert solution.status == "optimal"
        assert solution.lower_bound_cents == solution.cost_cents


def one_model_optimum(instance: Instance) -> tuple[int, int]:
    """(fewest must-ship shipments left out, least cost) from a single CP-SAT model that picks
    the tiers itself: reached[c][t] => month + plan parcels >= threshold t, and each option earns
    the discount from tier t - 1 to t only if it is chosen and tier t is reached. An independent
    formulation for instances too large to enumerate."""
    model = cp_model.CpModel()
    carriers = {c.carrier: c for c in instance.carriers}
    big = 1 + sum(
        max((o.cost_cents_by_tier[0] for o in s.options), default=0) + s.hold_cost_cents for s in instance.shipments
    )
    reached = {name: [model.new_bool_var("") for _ in c.tier_thresholds] for name, c in carriers.items()}
    volume: dict[str, list[cp_model.LinearExprT]] = {name: [] for name in carriers}
    load: dict[tuple[str, int], list[tuple[int, int, cp_model.IntVar]]] = {}
    objective: list[cp_model.LinearExprT] = []
    left_out: list[cp_model.IntVar] = []
    for s in instance.shipments:
        picks = []
        for o in s.options:
            x = model.new_bool_var("")
            picks.append(x)
            volume[o.carrier].append(s.parcels * x)
            load.setdefault((o.carrier, o.day), []).append((s.parcels, s.weight_g, x))
            objective.append(o.cost_cents_by_tier[0] * x)
            for t, flag in enumerate(reached[o.carrier], start=1):
                discount = model.new_bool_var("")
                model.add_implication(discount, x)
                model.add_implication(discount, flag)
                objective.append((o.cost_cents_by_tier[t] - o.cost_cents_by_tier[t - 1]) * discount)
        idle = model.new_bool_var("")
        picks.append(idle)
        objective.append((big if s.must_ship else s.hold_cost_cents) * idle)
        if s.must_ship:
            left_out.append(idle)
        model.add_exactly_one(picks)
    for name, c in carriers.items():
        for flag, threshold in zip(reached[name], c.tier_thresholds, strict=True):
            model.add(c.month_parcels + sum(volume[name]) >= threshold).only_enforce_if(flag)
    for (name, _), terms in load.items():
        if carriers[name].parcels_per_day is not None:
            model.add(sum(p * x for p, _, x in terms) <= carriers[name].parcels_per_day)
        if carriers[name].weight_g_per_day is not None:
            model.add(sum(w * x for _, w, x in terms) <= carriers[name].weight_g_per_day)
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 8  # the full portfolio: with 2, the bound stalls here
    solver.parameters.max_time_in_seconds = 120.0
    assert solver.solve(model) == cp_model.OPTIMAL
    drops = sum(solver.value(x) for x in left_out)
    return drops, round(solver.objective_value) - drops * big


def medium_instance(rng: random.Random, n: int, share: float = 0.3) -> Instance:
    """Multi-parcel shipments, kg and parcel capacities that bind, tiers within reach, two days."""
    names = ("a", "b", "c")
    shipments = []
    for i in range(n):
        parcels = 1 if rng.random() < 0.8 else rng.randint(2, 3)
        options = []
        for carrier, day in rng.sample([(c, d) for c in names for d in range(2)], rng.randint(2, 5)):
            cost = rng.randint(400, 1200) * parcels + 20 * day
            options.append(an_option(carrier, day, (cost, cost * 95 // 100, cost * 90 // 100)))
        must = rng.random() < 0.9
        shipments.append(
            a_shipment(
                f"s{i}",
                *options,
                parcels=parcels,
                weight_g=rng.randint(300, 6000) * parcels,
                must_ship=must,
                hold_cost_cents=0 if must else rng.randint(100, 600),
            )
        )
    total_parcels = sum(s.parcels for s in shipments)
    total_g = sum(s.weight_g for s in shipments)
    carriers = tuple(
        a_carrier(
            name,
            parcels_per_day=int(share * total_parcels),
            weight_g_per_day=int(share * total_g),
            month_parcels=10,
            tier_thresholds=(10 + total_parcels // 4, 10 + total_parcels // 2),
        )
        for name in names
    )
    return Instance(tuple(shipments), carriers, days=2)


@pytest.mark.parametrize("seed", range(4))
def test_the_solver_matches_a_single_cp_sat_model_on_medium_instances(seed: int) -> None:
    instance = medium_instance(random.Random(seed), 30)
    solution = solved(instance)
    assert (len(solution.unassigned), solution.cost_cents) == one_model_optimum(instance)
    assert solution.lower_bound_cents == solution.cost_cents


def test_a_gap_limit_stops_the_search_once_the_bound_is_close_enough() -> None:
    instance = medium_instance(random.Random(11), 400, share=0.18)
    close_enough = solve(instance, time_limit_s=120.0, gap_limit=0.01)
    assert check(instance, close_enough) == []
    assert close_enough.status == "optimal"
    assert close_enough.gap <= 0.01
    exact = solved(instance)
    assert exact.lower_bound_cents == exact.cost_cents <= close_enough.cost_cents
    assert close_enough.lower_bound_cents <= exact.cost_cents


def test_a_model_too_large_for_cp_sat_is_improved_window_by_window_and_keeps_an_honest_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instance = medium_instance(random.Random(5), 120, share=0.18)
    exact = solved(instance)
    monkeypatch.setattr(assignment, "CP_SAT_MAX_BOOLEANS", 10)
    monkeypatch.setattr(assignment, "LNS_WINDOW_SHIPMENTS", 30)
    windowed = solve(instance, time_limit_s=3.0, gap_limit=0.0)
    assert check(instance, windowed) == []
    assert "whole models" not in windowed.method
    assert windowed.lower_bound_cents <= exact.cost_cents <= windowed.cost_cents


# --- the checker rejects corrupted solutions -----------------------------------------------


@pytest.fixture
def planned() -> tuple[Instance, Solution]:
    shipments = (
        a_shipment("s0", an_option("a", 0, (500, 400)), an_option("b", 0, (900,)), weight_g=3000),
        a_shipment("s1", an_option("a", 0, (500, 400)), an_option("b", 0, (900,)), weight_g=3000),
        a_shipment("s2", an_option("a", 0, (600, 450)), an_option("b", 0, (700,)), weight_g=3000),
        a_shipment("s3", an_option("b", 0, (650,)), must_ship=False, hold_cost_cents=200),
    )
    carriers = (a_carrier("a", parcels_per_day=2, weight_g_per_day=6000, tier_thresholds=(2,)), a_carrier("b"))
    instance = Instance(shipments, carriers)
    return instance, solved(instance)


def test_the_checker_accepts_the_solved_plan(planned: tuple[Instance, Solution]) -> None:
    instance, solution = planned
    assert solution.cost_cents == 400 + 400 + 700 + 200
    assert check(instance, solution) == []


def corrupt(solution: Solution, **changes: object) -> Solution:
    return dataclasses.replace(solution, **changes)  # type: ignore[arg-type]


def test_the_checker_rejects_a_cost_that_does_not_add_up(planned: tuple[Instance, Solution]) -> None:
    instance, solution = planned
    problems = check(instance, corrupt(solution, cost_cents=solution.cost_cents - 1))
    assert any("cost_cents" in p for p in problems)


def test_the_checker_rejects_an_option_the_shipment_does_not_have(planned: tuple[Instance, Solution]) -> None:
    instance, solution = planned
    assignment = dict(solution.assignment, s3=an_option("a", 0, (100, 100)))
    assert any("does not have" in p for p in check(instance, corrupt(solution, assignment=assignment)))


def test_the_checker_rejects_a_full_day_in_parcels_or_kg(planned: tuple[Instance, Solution]) -> None:
    instance, solution = planned
    assignment = dict(solution.assignment, s2=an_option("a", 0, (600, 450)))
    problems = check(instance, corrupt(solution, assignment=assignment))
    assert any("parcels > capacity" in p for p in problems)
    assert any("g > capacity" in p for p in problems)


def test_the_checker_rejects_a_tier_the_plan_does_not_reach(planned: tuple[Instance, Solution]) -> None:
    instance, solution = planned
    assignment = dict(solution.assignment, s1=an_option("b", 0, (900,)))
    problems = check(instance, corrupt(solution, assignment=assignment))
    assert any("claims tier 1" in p for p in problems)


def test_the_checker_rejects_a_must_ship_shipment_left_out_silently(planned: tuple[Instance, Solution]) -> None:
    instance, solution = planned
    assignment = dict(solution.assignment, s2=None)
    problems = check(instance, corrupt(solution, assignment=assignment))
    assert any("neither assigned nor listed" in p for p in problems)
    listed = corrupt(solution, assignment=assignment, unassigned=("s2",))
    assert any("status 'optimal' but shipments are unassigned" in p for p in check(instance, listed))


def test_the_checker_rejects_a_missing_shipment_and_a_bound_above_the_cost(
    planned: tuple[Instance, Solution],
) -> None:
    instance, solution = planned
    assignment = {k: v for k, v in solution.assignment.items() if k != "s0"}
    assert any("missing" in p for p in check(instance, corrupt(solution, assignment=assignment)))
    high = corrupt(solution, lower_bound_cents=solution.cost_cents + 1)
    assert any("above the cost" in p for p in check(instance, high))


@pytest.mark.parametrize("seed", range(20))
def test_the_checker_rejects_random_corruptions_of_solved_plans(seed: int) -> None:
    rng = random.Random(1000 + seed)
    instance = random_instance(rng)
    solution = solved(instance)
    shipment = rng.choice(instance.shipments)
    carrier = rng.choice(instance.carriers).carrier
    corruptions = [
        corrupt(solution, cost_cents=solution.cost_cents + rng.choice([-1, 1])),
        corrupt(solution, tiers=dict(solution.tiers, **{carrier: solution.tiers[carrier] + 1})),
        corrupt(
            solution,
            assignment=dict(solution.assignment, **{shipment.id: an_option(carrier, 0, (-1,))}),
        ),
    ]
    if shipment.must_ship and solution.assignment[shipment.id] is not None:
        corruptions.append(corrupt(solution, assignment=dict(solution.assignment, **{shipment.id: None})))
    for changed in corruptions:
        assert check(instance, changed) != [], changed
