"""An independent check of a consolidation plan, run on every plan before it is written.

It re-derives everything from the orders, the book's card timeline and the settings, with the
product's rules (the pricing engine, the shipping-day rule, the card timeline), never from the
planner's intermediate results:

- each order is shipped exactly once, held, waiting (not ready for this plan) or unplannable; a
  waiting order is one that no service of its mode (for a pickup point, of the point's carrier) serving
  its destination may take on a day of this plan by the shipping-day rule (and the ship day its
  checkout showed; today only if this run sees it), and it waits until a day after today;
- a shipment's orders share consignee (the same person at the same address, or at the same pickup
  point of the same carrier), warehouse and mode; the mode, stated and of the service, is the shopper's;
- the service has every feature each order's shopper chose: a speed class at least as fast, a
  signature, an appointment, at least the insurance cover (recorded with the order, or else those
  of the service it names on the card in force on its order day);
- the card named is the carrier's card in force on the ship day;
- no order ships before the shipping-day rule allows, nor before the ship day its checkout
  showed; a shipment that is not held ships on the plan's day, from a run before its pickup cut-off
  that sees each of its orders (placed before the run's moment);
- every promise is kept by dates recomputed from the card (its max transit replaced by the lane's
  observed p90 where the book has learned figures for it): deliver_by, deliver_after and the
  latest date the checkout showed for the chosen service;
- a pickup-point order whose point is in a directory in use can be collected there in time: the
  point has opening hours, and no closure, on a day from the latest delivery date on (within two
  weeks), and that day is not after the order's promise;
- carrier capacities per day (with what earlier runs booked) and box limits hold;
- packing belongs to the service: every box, as a parcel of its inner size and its contents' weight,
  is within the planned service's limits and priced by its grid (the pricing engine refuses it
  otherwise), and the packaging stated is what the boxes cost;
- each shipment's cost, recomputed from the card at the volume tier the plan reaches (parcels
  shipped this month + this plan's shipped parcels; held ones at the month's tier), is the one
  reported, and so are its transport (at that tier) and its handling and indirect costs; the plan's
  cost and baseline are those of its shipments shipped today, its objective
  that of all of them; a held shipment claims no saving.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, time, timedelta

from carriers.model import RateCard, Service
from carriers.pricing import NotServed, price_shipment
from solvers.boxing import BoxingSolution, PackedBox, check_boxing
from solvers.boxing import Item as BoxItem
from tms.domain.delivery import CarrierSchedule, can_plan, delivery_dates, holiday_region, plan_days, ship_day
from tms.domain.features import Features
from tms.domain.orders import Order
from tms.domain.parcels import Parcel
from tms.domain.pickup_points import LOOKAHEAD_DAYS, PickupPoint
from tms.domain.plans import Plan
from tms.services.planning import PlanSettings
from tms.services.quoting import QuoteBook


def _zone(card: RateCard, country: str, postcode: str) -> str | None:
    """Most specific matching entry, by a plain scan (not the planner's index)."""
    matches = [(e.specificity(), z.code) for z in card.zones for e in z.entries if e.matches(country, postcode)]
    return max(matches)[1] if matches else None


_SPEEDS = ("economy", "standard", "express")  # slowest first


def _features_dropped(book: QuoteBook, order: Order, offered: Service) -> list[str]:
    """What the order's shopper chose that the service lacks. The choice is the order's recorded
    features, or (recorded before features) the named service on the card in force on its order day."""
    chosen = order.features
    if chosen is None:
        setup = book.warehouses.get(order.warehouse)
        version = None
        if setup is not None and order.carrier and order.service:
            version = book.timeline.in_force(order.carrier, setup.warehouse.local(order.ordered_at).date())
        named = [] if version is None else [x for x in version.card.card.services if x.code == order.service]
        if not named:
            return []
        chosen = Features(named[0].speed, named[0].signature, named[0].appointment, named[0].insurance_cents)
    dropped = []
    if chosen.speed is not None and _SPEEDS.index(offered.speed.value) < _SPEEDS.index(chosen.speed.value):
        dropped.append(f"is {offered.speed.value}, slower than {chosen.speed.value}")
    if chosen.signature and not offered.signature:
        dropped.append("has no signature")
    if chosen.appointment and not offered.appointment:
        dropped.append("has no appointment")
    if chosen.insurance_cents and (offered.insurance_cents or 0) < chosen.insurance_cents:
        dropped.append(f"covers {offered.insurance_cents or 0} cents, less than {chosen.insurance_cents}")
    return dropped


def _not_waiting(book: QuoteBook, order: Order, until: date, days: Sequence[date], run_at: time | None) -> list[str]:
    """Why an order the plan says is waiting is not: a service of its mode (of its point's carrier) serving
    its destination may take it on a day of this plan by the shipping-day rule, or it waits for a past day."""
    if until < days[0]:
        return [f"order {order.order_ref} waits until {until}, before this plan's day {days[0]}"]
    warehouse = book.warehouses[order.warehouse].warehouse
    local = warehouse.local(order.ordered_at)
    run = run_at or warehouse.planning_runs[0]
    shown = book.shown_window(order)
    address = order.address
    if (local.date(), local.time()) >= (days[0], run):
        return []  # placed after this run's moment: not this run's order, it waits for a later run
    for n, day in enumerate(days):
        if shown is not None and shown[0] > day:
            continue
        for carrier, version in book.timeline.all_in_force(day):
            if order.pickup_point_id and carrier != order.carrier:
                continue
            zone = _zone(version.card.card, address.country, address.postcode)
            for service in version.card.card.services:
                if service.mode.value != order.mode or zone is None or zone not in service.transit:
                    continue
                if day.weekday() not in service.pickup_weekdays or _features_dropped(book, order, service):
                    continue
                schedule = CarrierSchedule(service.pickup_cutoff, service.pickup_weekdays, service.delivery_weekdays)
                if n == 0 and not can_plan(schedule, run):
                    continue
                try:
                    ready = ship_day(local.date(), local.time(), warehouse, schedule)
                except ValueError:
                    continue
                if ready <= day:
                    return [
                        f"order {order.order_ref} is said to wait until {until}, but {carrier} {service.code} "
                        f"may take it on {day}"
                    ]
    return []


def _same_month(a: date, b: date) -> bool:
    return (a.year, a.month) == (b.year, b.month)


def check_plan(
    book: QuoteBook,
    orders: Sequence[Order],
    plan: Plan,
    settings: PlanSettings,
    month_parcels: Mapping[str, int] | None = None,
    *,
    booked: Mapping[str, tuple[int, int]] | None = None,
    points: Mapping[str, PickupPoint] | None = None,
) -> list[str]:
    problems: list[str] = []
    points = points or {}
    month_parcels = month_parcels or {}
    booked = booked or {}
    by_ref = {o.order_ref: o for o in orders}
    seen = Counter([ref for s in plan.shipments for ref in s.orders] + list(plan.unplannable) + list(plan.waiting))
    for ref in by_ref:
        if seen[ref] != 1:
            problems.append(f"order {ref} appears {seen[ref]} times in the plan (must be exactly once)")
    for ref in seen:
        if ref not in by_ref:
            problems.append(f"the plan ships {ref}, which is not among its orders")

    timeline = book.timeline
    allowed_days = {
        w: plan_days(book.warehouses[w].warehouse, plan.shipping_date, settings.holding)
        for w in {o.warehouse for o in orders}
        if w in book.warehouses
    }
    for ref, until in plan.waiting.items():
        order = by_ref.get(ref)
        if order is not None and order.warehouse in allowed_days:
            problems.extend(_not_waiting(book, order, until, allowed_days[order.warehouse], plan.run_at))
    boxes = {b.code: b for b in settings.box_types}
    load: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
    shipped_parcels: Counter[str] = Counter()
    for s in plan.shipments:
        # Recomputed from the boxes and the orders' items, not taken from the plan's own totals.
        parcels = len(s.boxes)
        weight = sum(by_ref[r].weight_g for r in s.orders if r in by_ref)
        if (parcels, weight) != (s.parcels, s.weight_g):
            problems.append(
                f"shipment {'+'.join(s.orders)} states {s.parcels} parcels / {s.weight_g} g, "
                f"its boxes and items make {parcels} / {weight}"
            )
        if not s.held:
            shipped_parcels[s.carrier] += parcels
        day_load = load[(s.carrier, s.ships_on)]
        day_load[0] += parcels
        day_load[1] += weight

    total = objective = baseline = 0
    for s in plan.shipments:
        members = [by_ref[r] for r in s.orders if r in by_ref]
        if len(members) != len(s.orders):
            continue
        name = "+".join(s.orders)
        if len({(o.consignee_key, o.warehouse, o.mode) for o in members}) != 1:
            problems.append(f"shipment {name} mixes consignees, warehouses or modes")
        first = members[0]
        version = timeline.by_id(s.rate_card_id)
        if version is None or version.carrier_code != s.carrier:
            problems.append(f"shipment {name} names rate card {s.rate_card_id}, not an active {s.carrier} card")
            continue
        in_force = timeline.in_force(s.carrier, s.ships_on)
        if in_force is None or in_force.record_id != s.rate_card_id:
            problems.append(f"shipment {name}: rate card {s.rate_card_id} is not {s.carrier}'s card on {s.ships_on}")
        card = version.card.card
        try:
            service = card.service(s.service)
        except KeyError:
            problems.append(f"shipment {name}: {s.carrier} has no service {s.service}")
            continue
        if service.mode.value != first.mode:
            problems.append(f"shipment {name} changes the shopper's mode {first.mode} to {service.mode.value}")
        if s.mode != first.mode:
            problems.append(f"shipment {name} states mode {s.mode}, its orders' shoppers chose {first.mode}")
        for o in members:
            for lacking in _features_dropped(book, o, service):
                problems.append(f"order {o.order_ref}: {s.carrier} {s.service} {lacking}, which its shopper chose")
        if first.pickup_point_id and s.carrier != first.carrier:
            problems.append(f"shipment {name} moves a pickup-point order off its carrier's network")
        zone = _zone(card, first.address.country, first.address.postcode)
        transit = service.transit.get(zone) if zone else None
        if zone is None or transit is None:
            problems.append(f"shipment {name}: {s.carrier} {s.service} does not serve the destination")
            continue

        setup = book.warehouses.get(first.warehouse)
        if setup is None:
            problems.append(f"shipment {name} ships from unknown warehouse {first.warehouse!r}")
            continue
        warehouse = setup.warehouse
        schedule = CarrierSchedule(service.pickup_cutoff, service.pickup_weekdays, service.delivery_weekdays)
        days = allowed_days[first.warehouse]
        if s.ships_on not in days or s.held != (s.ships_on != days[0]):
            problems.append(f"shipment {name} ships on {s.ships_on}, not on a shipping day of this plan")
        if s.ships_on.weekday() not in service.pickup_weekdays:
            problems.append(f"shipment {name}: {s.carrier} does not pick up on {s.ships_on}")
        run_at = plan.run_at or warehouse.planning_runs[0]
        if not s.held and not can_plan(schedule, run_at):
            problems.append(f"shipment {name}: the {run_at:%H:%M} run comes after {s.carrier}'s pickup cut-off")
        address = first.address
        # The learned rule: the lane's observed p90 (for the ship day's weekday where it has its own)
        # is the transit's max when the lane has figures, and the min never exceeds it.
        min_days, max_days = transit.min_days, transit.max_days
        learned = book.learned.get((s.carrier, s.service, zone))
        if learned is not None:
            max_days = learned.by_weekday.get(s.ships_on.weekday(), learned.overall).p90_days
            min_days = min(min_days, max_days)
        earliest, latest = delivery_dates(
            s.ships_on,
            min_days,
            max_days,
            service.delivery_weekdays,
            address.country,
            holiday_region(address.country, address.postcode),
        )
        for o in members:
            local = warehouse.local(o.ordered_at)
            if not s.held and (local.date(), local.time()) >= (days[0], run_at):
                problems.append(
                    f"order {o.order_ref} ships on {s.ships_on} from the {run_at:%H:%M} run, which it was placed after"
                )
            try:
                ready = ship_day(local.date(), local.time(), warehouse, schedule)
            except ValueError as error:
                problems.append(f"order {o.order_ref}: {s.carrier} {s.service} can never take it ({error})")
                continue
            if s.ships_on < ready:
                problems.append(f"order {o.order_ref} ships on {s.ships_on}, before it can ({ready})")
            shown = book.shown_window(o)
            if shown is not None and s.ships_on < shown[0]:
                problems.append(f"order {o.order_ref} ships on {s.ships_on}, before the {shown[0]} its checkout showed")
            if shown is not None and latest > shown[2]:
                problems.append(f"order {o.order_ref} may arrive {latest}, after the {shown[2]} its checkout showed")
            if o.deliver_by and latest > o.deliver_by:
                problems.append(f"order {o.order_ref} may arrive {latest}, after its promise {o.deliver_by}")
            if o.deliver_after and earliest < o.deliver_after:
                problems.append(f"order {o.order_ref} may arrive {earliest}, before {o.deliver_after}")
            point = points.get(o.order_ref)
            if point is not None:
                problems.extend(_not_collectable(o, point, latest))

        items = [
            BoxItem(f"{o.order_ref}/{n}/{k}", i.weight_g, i.length_mm, i.width_mm, i.height_mm)
            for o in members
            for n, i in enumerate(o.items)
            for k in range(i.quantity)
        ]
        packed = BoxingSolution(
            boxes=[PackedBox(box, tuple(contents)) for box, contents in s.boxes],
            cost_cents=sum(boxes[box].cost_cents for box, _ in s.boxes if box in boxes),
            lower_bound_cents=0,
            status="feasible",
            seconds=0.0,
        )
        for problem in check_boxing(items, list(settings.box_types), packed, settings.fill_ratio):
            problems.append(f"shipment {name}: {problem}")
        weights = {item.id: item.weight_g for item in items}
        box_parcels = [
            Parcel(
                sum(weights.get(ref, 0) for ref in contents),
                boxes[box].inner_length_mm,
                boxes[box].inner_width_mm,
                boxes[box].inner_height_mm,
            )
            for box, contents in s.boxes
            if box in boxes
        ]
        # Tiers: this month's shipped parcels, plus this plan's shipped ones unless the shipment is held.
        month = month_parcels.get(s.carrier, 0) if _same_month(s.ships_on, days[0]) else 0
        if s.held:
            discount = version.discount_bp(month)
        else:
            tier_card = timeline.in_force(s.carrier, days[0])
            discount = tier_card.discount_bp(month + shipped_parcels[s.carrier]) if tier_card else 0
        price = price_shipment(
            card,
            s.service,
            zone,
            first.address.country,
            first.address.postcode,
            box_parcels,
            fuel_bp=timeline.fuel_bp(version, s.ships_on),
            discount_bp=discount,
        )
        if isinstance(price, NotServed):
            problems.append(f"shipment {name}: the card does not serve it ({price.reason}: {price.detail})")
            continue
        if s.packaging_cents != packed.cost_cents:
            problems.append(f"shipment {name} states {s.packaging_cents} cents of boxes, they cost {packed.cost_cents}")
        costs = setup.costs
        if s.transport_cents != price.total_cents:
            problems.append(
                f"shipment {name} states {s.transport_cents} cents of transport, its card at the tier reached says "
                f"{price.total_cents}"
            )
        fixed = (costs.handling_cents + costs.indirect_cents) * len(members)
        if s.other_cents != fixed:
            problems.append(f"shipment {name} states {s.other_cents} cents of handling and indirect, they are {fixed}")
        expected = (
            price.total_cents
            + packed.cost_cents
            + (costs.handling_cents + costs.indirect_cents) * len(members)
            + (settings.hold_cost_cents if s.held else 0)
        )
        if expected != s.cost_cents:
            problems.append(f"shipment {name} costs {s.cost_cents} cents by the plan, {expected} by its card")
        objective += expected
        if not s.held:
            total += expected
            baseline += s.baseline_cents
        elif s.baseline_cents != s.cost_cents:
            problems.append(f"held shipment {name} claims a saving before it ships")

    if total != plan.cost_cents:
        problems.append(f"the plan's cost is {plan.cost_cents} cents; its shipped shipments add up to {total}")
    if objective != plan.objective_cents:
        problems.append(f"the plan's objective is {plan.objective_cents} cents; its shipments add up to {objective}")
    if baseline != plan.baseline_cents:
        problems.append(
            f"the plan's baseline is {plan.baseline_cents} cents; its shipped shipments' add up to {baseline}"
        )
    for (carrier, day), (parcels_used, weight_used) in load.items():
        limits = settings.carrier_limits.get(carrier)
        if day == plan.shipping_date:
            before = booked.get(carrier, (0, 0))
            parcels_used, weight_used = parcels_used + before[0], weight_used + before[1]
        if limits and limits.parcels_per_day is not None and parcels_used > limits.parcels_per_day:
            problems.append(f"{carrier} takes {parcels_used} parcels on {day}, over its {limits.parcels_per_day}")
        if limits and limits.weight_g_per_day is not None and weight_used > limits.weight_g_per_day:
            problems.append(f"{carrier} takes {weight_used} g on {day}, over its {limits.weight_g_per_day}")
    return problems


def _not_collectable(order: Order, point: PickupPoint, latest: date) -> list[str]:
    """Read from the point's hours and closures: the first day from `latest` on when it opens."""
    for offset in range(LOOKAHEAD_DAYS):
        day = latest + timedelta(days=offset)
        if point.hours[day.weekday()] and not any(first <= day <= last for first, last in point.closures):
            if order.deliver_by and day > order.deliver_by:
                return [
                    f"order {order.order_ref} can be collected at {point.point_id} on {day},"
                    f" after its promise {order.deliver_by}"
                ]
            return []
    return [f"order {order.order_ref}: {point.point_id} does not open within {LOOKAHEAD_DAYS} days of {latest}"]
