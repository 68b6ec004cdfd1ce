"""Offer comparison by replay: a period's real shipments priced again on candidate cards.

"What would this offer have cost us on last quarter's parcels?" Nothing is written. The rules:

- **Candidates.** One card (a draft or any stored version) or a set of cards, one per carrier;
  each replaces its carrier's card for the period. The first card of the set is the offer.
- **Scope.** `carriers` (the default): the shipments of the candidates' carriers are priced again;
  the other carriers' shipments keep what they cost and are only counted (`kept`). `all`: every
  shipment of the period is priced again; those of a carrier with no candidate go on the offer.
- **Parcels** are rebuilt from what the run stored: each box of the shipment's document is a parcel
  of the box type's inner dimensions (`config/boxes.toml`) weighing its items (the orders' items by
  the ids the plan gave them), as the plan makes it (`tms.services.packing.box_parcel`). The
  destination is the orders' (they go to one consignee), the day the shipment's ship day.
- **Service.** A shipment on service S goes on the candidate's service of the same code when it
  has one of the same mode; otherwise on the candidate's cheapest service of the same mode with at
  least the features of S (speed, signature, appointment, insurance: `Features.covers`), priced
  before tiers. None: the shipment is not carried (`service_missing`). A pickup-point shipment stays
  with its carrier (the point is that carrier's): on another carrier's card it is not carried.
- **Price** by the pricing engine (`carriers.pricing.price_shipment`) on the candidate's zone for the
  destination, with the candidate's fuel on the ship day by the card timeline's rule, and its tier
  discount. Its refusals are the pricing engine's (`zone_not_served`, `overweight`, `oversize`,
  `weight_not_priced`).
- **Volume tiers** count, as the plan does, the parcels of the month shipped up to and including the
  ship day, here those the replay puts on the candidate (a month the period cuts counts only its days
  inside the period). The tier reached is reported per card and month.
- **Compared** is the transport (postage) of the shipments the candidate carries, against what it
  cost when planned (the run's figure); packaging and handling do not change with the card.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from carriers.model import RateCard
from carriers.pricing import ZONE_NOT_SERVED, CompiledCard, NotServed, price_shipment
from solvers.boxing import BoxType
from tms.domain.errors import InvalidInput, NotFound, Problem
from tms.domain.features import NO_FEATURES, Features
from tms.domain.parcels import Parcel
from tms.domain.rate_cards import CardTimeline, CardVersion, RateCardRecord
from tms.domain.replay import PastShipment
from tms.services.packing import box_parcel
from tms.services.rate_cards import load_card
from tms.services.unit_of_work import UnitOfWork

SERVICE_MISSING = "service_missing"  # no service of the mode with at least the shipment's features
NOT_RECONSTRUCTED = "not_reconstructed"  # its boxes or items cannot be read back from the store
POINT_OF_ANOTHER_CARRIER = "pickup_point_of_another_carrier"  # its pickup point belongs to its carrier
MAX_PERIOD_DAYS = 732  # two years of shipments at most
MAX_CARDS = 20


class Scope(StrEnum):
    CARRIERS = "carriers"  # the candidates' carriers' shipments; the others kept as they cost
    ALL = "all"  # every shipment; a carrier without a candidate goes on the offer


@dataclass(frozen=True)
class Candidate:
    record: RateCardRecord
    card: RateCard
    version: CardVersion[CompiledCard]

    @property
    def compiled(self) -> CompiledCard:
        return self.version.card


@dataclass(frozen=True)
class LaneDifference:
    """The shipments of one lane: shipped with (carrier, service), replayed on (carrier, service, zone)."""

    carrier: str
    service: str
    candidate_carrier: str
    candidate_service: str
    zone: str
    zone_name: str
    shipments: int
    parcels: int
    actual_cents: int
    candidate_cents: int

    @property
    def difference_cents(self) -> int:
        return self.candidate_cents - self.actual_cents

    @property
    def difference_percent(self) -> float | None:
        return percent(self.difference_cents, self.actual_cents)


@dataclass(frozen=True)
class NotCarried:
    shipment_id: int
    ships_on: date
    carrier: str
    service: str
    orders: tuple[str, ...]
    country: str
    postcode: str
    candidate_carrier: str
    reason: str
    detail: str
    actual_cents: int


@dataclass(frozen=True)
class TierReached:
    """A candidate's month: the parcels the replay put on it, the tier level and discount they reach,
    and the next threshold (None past the last)."""

    carrier: str
    card_id: int
    month: date  # its first day
    parcels: int
    level: int
    discount_bp: int
    next_min_parcels: int | None
    next_discount_bp: int | None


@dataclass(frozen=True)
class Replay:
    since: date
    until: date
    scope: Scope
    cards: tuple[RateCardRecord, ...]
    shipments: int  # in the period
    replayed: int  # priced again (the scope's)
    carried: int  # of those, the ones the candidates carry
    actual_cents: int  # what the carried ones cost
    candidate_cents: int  # what they cost on the candidates
    lanes: tuple[LaneDifference, ...]  # the largest difference (either way) first
    not_carried: tuple[NotCarried, ...]
    tiers: tuple[TierReached, ...]
    kept: int  # outside the scope: shipments of other carriers, as they cost
    kept_cents: int

    @property
    def difference_cents(self) -> int:
        return self.candidate_cents - self.actual_cents

    @property
    def difference_percent(self) -> float | None:
        return percent(self.difference_cents, self.actual_cents)

    @property
    def not_carried_cents(self) -> int:
        return sum(n.actual_cents for n in self.not_carried)


def percent(difference: int, base: int) -> float | None:
    return None if base == 0 else round(100 * difference / base, 2)


def period_problems(since: date | None, until: date | None) -> list[Problem]:
    """What is wrong with a replay's period, field by field."""
    problems = []
    if since is None:
        problems.append(Problem("is required: the first ship day of the period", field="since"))
    if until is None:
        problems.append(Problem("is required: the last ship day of the period", field="until"))
    if since is not None and until is not None:
        if since > until:
            problems.append(Problem(f"must be on or after since ({since.isoformat()})", field="until"))
        elif (until - since).days >= MAX_PERIOD_DAYS:
            problems.append(Problem(f"the period may cover at most {MAX_PERIOD_DAYS} days", field="until"))
    return problems


def replay_cards(
    uow: UnitOfWork,
    card_id: int,
    *,
    since: date,
    until: date,
    with_cards: Sequence[int] = (),
    scope: Scope = Scope.CARRIERS,
    box_types: Sequence[BoxType],
) -> Replay:
    """The period's shipments priced again on the card (and the cards `with_cards`, each in place of its
    carrier's); the rules are in the module docstring. NotFound for a card that does not exist."""
    problems = period_problems(since, until)
    if len(with_cards) >= MAX_CARDS:
        problems.append(Problem(f"at most {MAX_CARDS - 1} cards", field="with"))
    if problems:
        raise InvalidInput("the replay is not valid", problems)
    with uow:
        records = []
        for cid in (card_id, *with_cards):
            record = uow.rate_cards.get(cid)
            if record is None:
                raise NotFound(f"rate card {cid} does not exist")
            records.append(record)
        fuel = uow.fuel.list()
        past = uow.shipments.past(since=since, until=until)
        originals = {cid: uow.rate_cards.get(cid) for cid in sorted({s.rate_card_id for s in past})}
    seen: dict[str, int] = {}
    for n, record in enumerate(records):
        if record.carrier_code in seen:
            where = f"with[{n - 1}]"  # the first card cannot repeat one before it
            raise InvalidInput(
                "a set holds one card per carrier",
                [Problem(f"is a second card of {record.carrier_code} (card {seen[record.carrier_code]})", field=where)],
            )
        seen[record.carrier_code] = record.id
    candidates = [_candidate(record) for record in records]
    timeline = CardTimeline((c.version for c in candidates), fuel)
    features = _features_of(originals.values())
    return _replay(past, candidates, timeline, features, box_types, since, until, scope)


def _candidate(record: RateCardRecord) -> Candidate:
    card = load_card(record)
    tiers = tuple((t.min_parcels, t.discount_bp) for t in card.tiers)
    version = CardVersion(
        record.id, record.carrier_code, record.version, card.valid_from, card.fuel_bp, tiers, CompiledCard(card)
    )
    return Candidate(record, card, version)


def _features_of(records: Iterable[RateCardRecord | None]) -> dict[tuple[int, str], Features]:
    """The features of every service of the cards the shipments were priced on, by (card id, service)."""
    found = {}
    for record in records:
        if record is None:
            continue
        for service in load_card(record).services:
            found[(record.id, service.code)] = service.features
    return found


def shipment_parcels(shipment: PastShipment, boxes: dict[str, BoxType]) -> tuple[Parcel, ...] | NotServed:
    """The shipment's parcels as the plan made them: each box a parcel of its type's inner dimensions
    weighing the items it holds (``<order ref>/<item index>/<unit>``)."""
    items = {o.order_ref: o.items for o in shipment.orders}
    if not shipment.boxes:
        return NotServed(NOT_RECONSTRUCTED, "the shipment records no boxes")
    parcels = []
    for code, held in shipment.boxes:
        box = boxes.get(code)
        if box is None:
            return NotServed(NOT_RECONSTRUCTED, f"box type {code} is not configured any more")
        weight = 0
        for item_id in held:
            ref, n, _ = ([*item_id.rsplit("/", 2), "", ""])[:3]
            order_items = items.get(ref)
            if order_items is None or not n.isdigit() or int(n) >= len(order_items):
                return NotServed(NOT_RECONSTRUCTED, f"item {item_id} is not among the shipment's orders' items")
            weight += order_items[int(n)].weight_g
        parcels.append(box_parcel(box, weight))
    return tuple(parcels)


@dataclass(frozen=True)
class _Placed:
    """A shipment the candidate carries, before its tier discount is known."""

    shipment: PastShipment
    candidate: Candidate
    service: str
    zone: str
    country: str
    postcode: str
    parcels: tuple[Parcel, ...]
    fuel_bp: int


def _replay(
    past: Sequence[PastShipment],
    candidates: Sequence[Candidate],
    timeline: CardTimeline[CompiledCard],
    features: dict[tuple[int, str], Features],
    box_types: Sequence[BoxType],
    since: date,
    until: date,
    scope: Scope,
) -> Replay:
    boxes = {b.code: b for b in box_types}
    by_carrier = {c.record.carrier_code: c for c in candidates}
    offer = candidates[0]
    placed: list[_Placed] = []
    refused: list[NotCarried] = []
    kept = kept_cents = 0
    for shipment in past:
        candidate = by_carrier.get(shipment.carrier)
        if candidate is None:
            if scope is Scope.CARRIERS:
                kept += 1
                kept_cents += shipment.transport_cents
                continue
            candidate = offer
        found = _place(shipment, candidate, timeline, features, boxes)
        if isinstance(found, NotCarried):
            refused.append(found)
        else:
            placed.append(found)

    # The month's parcels on each candidate up to and including each ship day (the plan's tier rule).
    daily: dict[tuple[int, date], Counter[date]] = defaultdict(Counter)
    for p in placed:
        daily[(p.candidate.record.id, p.shipment.ships_on.replace(day=1))][p.shipment.ships_on] += len(p.parcels)
    running: dict[tuple[int, date], int] = {}
    for (cid, _), days in daily.items():
        total = 0
        for day in sorted(days):
            total += days[day]
            running[(cid, day)] = total

    lanes: dict[tuple[str, str, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    zone_names = {(c.record.id, z.code): z.name for c in candidates for z in c.card.zones}
    carried = actual = on_candidate = 0
    for p in placed:
        version = p.candidate.version
        discount_bp = version.discount_bp(running[(version.record_id, p.shipment.ships_on)])
        price = price_shipment(
            version.card,
            p.service,
            p.zone,
            p.country,
            p.postcode,
            p.parcels,
            fuel_bp=p.fuel_bp,
            discount_bp=discount_bp,
        )
        if isinstance(price, NotServed):  # a discount never changes what is served; kept for safety
            refused.append(_not_carried(p.shipment, p.candidate, p.country, p.postcode, price))
            continue
        carried += 1
        actual += p.shipment.transport_cents
        on_candidate += price.total_cents
        key = (p.shipment.carrier, p.shipment.service, version.carrier_code, p.service, p.zone)
        lane = lanes[key]
        lane[0] += 1
        lane[1] += len(p.parcels)
        lane[2] += p.shipment.transport_cents
        lane[3] += price.total_cents

    lane_list = [
        LaneDifference(
            *key,
            zone_names.get((by_carrier[key[2]].record.id, key[4]), key[4]),
            *values,
        )
        for key, values in lanes.items()
    ]
    lane_list.sort(key=lambda lane: (-abs(lane.difference_cents), lane.carrier, lane.service, lane.zone))
    return Replay(
        since=since,
        until=until,
        scope=scope,
        cards=tuple(c.record for c in candidates),
        shipments=len(past),
        replayed=len(past) - kept,
        carried=carried,
        actual_cents=actual,
        candidate_cents=on_candidate,
        lanes=tuple(lane_list),
        not_carried=tuple(sorted(refused, key=lambda n: (n.ships_on, n.shipment_id))),
        tiers=_tiers(candidates, daily),
        kept=kept,
        kept_cents=kept_cents,
    )


def _place(
    shipment: PastShipment,
    candidate: Candidate,
    timeline: CardTimeline[CompiledCard],
    features: dict[tuple[int, str], Features],
    boxes: dict[str, BoxType],
) -> _Placed | NotCarried:
    """The candidate's service and zone for the shipment, or why it would not carry it."""
    first = shipment.orders[0] if shipment.orders else None
    country, postcode = (first.country, first.postcode) if first else ("", "")
    if first is None:
        return _not_carried(shipment, candidate, country, postcode, NotServed(NOT_RECONSTRUCTED, "it has no orders"))
    parcels = shipment_parcels(shipment, boxes)
    if isinstance(parcels, NotServed):
        return _not_carried(shipment, candidate, country, postcode, parcels)
    carrier = candidate.record.carrier_code
    if carrier != shipment.carrier and any(o.pickup_point_id for o in shipment.orders):
        why = NotServed(POINT_OF_ANOTHER_CARRIER, f"its pickup point is one of {shipment.carrier}'s")
        return _not_carried(shipment, candidate, country, postcode, why)
    compiled = candidate.compiled
    zone = compiled.zones.zone_for(country, postcode)
    if zone is None:
        why = NotServed(ZONE_NOT_SERVED, f"no zone of the card covers {country} {postcode}")
        return _not_carried(shipment, candidate, country, postcode, why)
    fuel_bp = timeline.fuel_bp(candidate.version, shipment.ships_on)
    required = features.get((shipment.rate_card_id, shipment.service), NO_FEATURES)
    chosen = _service_for(shipment, compiled, required, zone, country, postcode, parcels, fuel_bp)
    if isinstance(chosen, NotServed):
        return _not_carried(shipment, candidate, country, postcode, chosen)
    return _Placed(shipment, candidate, chosen, zone, country, postcode, parcels, fuel_bp)


def _service_for(
    shipment: PastShipment,
    compiled: CompiledCard,
    required: Features,
    zone: str,
    country: str,
    postcode: str,
    parcels: tuple[Parcel, ...],
    fuel_bp: int,
) -> str | NotServed:
    """The service of the same code and mode; else the cheapest (before tiers) of the same mode with at
    least the features the shipment had; else why none carries it."""
    same = compiled.services.get(shipment.service)
    if same is not None and same.service.mode == shipment.mode:
        price = price_shipment(
            compiled, shipment.service, zone, country, postcode, parcels, fuel_bp=fuel_bp, discount_bp=0
        )
        return price if isinstance(price, NotServed) else shipment.service
    alike = sorted(
        code
        for code, cs in compiled.services.items()
        if cs.service.mode == shipment.mode and cs.service.features.covers(required)
    )
    if not alike:
        lacking = ", ".join(NO_FEATURES.missing(required)) if required != NO_FEATURES else ""
        wanted = f" with {lacking}" if lacking else ""
        return NotServed(SERVICE_MISSING, f"no {shipment.mode} service{wanted} (it shipped on {shipment.service})")
    best: tuple[int, str] | None = None
    first_refusal: NotServed | None = None
    for code in alike:
        price = price_shipment(compiled, code, zone, country, postcode, parcels, fuel_bp=fuel_bp, discount_bp=0)
        if isinstance(price, NotServed):
            first_refusal = first_refusal or NotServed(price.reason, f"{code}: {price.detail}")
        elif best is None or price.total_cents < best[0]:
            best = (price.total_cents, code)
    if best is not None:
        return best[1]
    assert first_refusal is not None
    return first_refusal


def _not_carried(
    shipment: PastShipment, candidate: Candidate, country: str, postcode: str, why: NotServed
) -> NotCarried:
    return NotCarried(
        shipment.id,
        shipment.ships_on,
        shipment.carrier,
        shipment.service,
        tuple(o.order_ref for o in shipment.orders),
        country,
        postcode,
        candidate.record.carrier_code,
        why.reason,
        why.detail,
        shipment.transport_cents,
    )


def _tiers(candidates: Sequence[Candidate], daily: dict[tuple[int, date], Counter[date]]) -> tuple[TierReached, ...]:
    found = []
    for c in candidates:
        version = c.version
        thresholds = sorted(version.tiers)
        months = sorted(month for cid, month in daily if cid == version.record_id)
        for month in months:
            parcels = sum(daily[(version.record_id, month)].values())
            following = [(m, bp) for m, bp in thresholds if m > parcels]
            found.append(
                TierReached(
                    version.carrier_code,
                    version.record_id,
                    month,
                    parcels,
                    version.tier_reached(parcels),
                    version.discount_bp(parcels),
                    following[0][0] if following else None,
                    version.discount_bp(following[0][0]) if following else None,
                )
            )
    return tuple(found)
