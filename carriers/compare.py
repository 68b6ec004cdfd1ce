"""What changed between two rate cards, for a manager deciding whether to activate the new one.

`compare_cards(old, new)` lists every difference as a `Change`, in upload
units (kg, cm, the card's currency, %, days) so it can be shown or sent as
JSON as is. Prices are compared per service, zone and weight bracket, a
bracket being identified by its upper bound in grams (or ``"extra_kg"`` for
the price of each additional started kilogram). Surcharges have no code: they
are matched by kind and name. Tiers are matched by their threshold.

An item that exists on one side only is one ``added``/``removed`` change;
the tables that hang from it (a service's transit times and prices, a zone's
entries) are listed too, so that the price lines alone tell every price that
appears or disappears.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from carriers.model import (
    WEEKDAY_NAMES,
    PriceGrid,
    RateCard,
    Service,
    Surcharge,
    Transit,
    VolumeTier,
    Zone,
    ZoneEntry,
)
from tms.domain.units import amount_from_cents, cm_from_mm, kg_from_grams, percent_from_bp

JSONValue = str | int | float | bool | None | tuple["JSONValue", ...]

SECTIONS = ("card", "service", "zone", "transit", "price", "surcharge", "tier")
KINDS = ("added", "removed", "changed")
EXTRA_KG = "extra_kg"

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Change:
    """One difference between two cards.

    `section` is one of `SECTIONS`, `kind` one of `KINDS`. `what` names the
    field as in an upload (``max_weight_kg``, ``price``, ``discount_percent``)
    or, for a whole item added or removed, the item (``service``, ``zone``,
    ``entry``, ``surcharge``). `old`/`new` are None on the side where the
    item does not exist.

    Where it is: `service` and `zone` codes; `bracket`, the bracket's upper
    bound in grams or ``"extra_kg"``; `surcharge`, ``"<kind>: <name>"``;
    `min_parcels`, a tier's threshold.

    `percent` is the relative change of a price or surcharge amount present
    on both cards, rounded to 2 decimals (None otherwise, when the old amount
    is 0, or when the cards' currencies differ).
    """

    section: str
    kind: str
    what: str
    old: JSONValue = None
    new: JSONValue = None
    service: str | None = None
    zone: str | None = None
    bracket: int | str | None = None
    surcharge: str | None = None
    min_parcels: int | None = None
    percent: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "section": self.section,
            "kind": self.kind,
            "what": self.what,
            "service": self.service,
            "zone": self.zone,
            "bracket": self.bracket,
            "surcharge": self.surcharge,
            "min_parcels": self.min_parcels,
            "old": _jsonable(self.old),
            "new": _jsonable(self.new),
            "percent": self.percent,
        }


@dataclass(frozen=True)
class ChangeSummary:
    """Counts of changes per kind, and how prices moved (section ``price`` only)."""

    added: int
    removed: int
    changed: int
    prices_up: int
    prices_down: int
    average_price_change_percent: float | None

    @property
    def total(self) -> int:
        return self.added + self.removed + self.changed

    def to_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "prices_up": self.prices_up,
            "prices_down": self.prices_down,
            "average_price_change_percent": self.average_price_change_percent,
        }


def compare_cards(old: RateCard, new: RateCard) -> list[Change]:
    """Every difference from `old` to `new`, ordered by section, then as the cards list them."""
    same_currency = old.currency == new.currency
    changes: list[Change] = []
    changes += _card_changes(old, new)
    changes += _service_changes(old.services, new.services)
    changes += _zone_changes(old.zones, new.zones)
    changes += _transit_changes(old.services, new.services)
    changes += _price_changes(old.prices, new.prices, same_currency)
    changes += _surcharge_changes(old.surcharges, new.surcharges, same_currency)
    changes += _tier_changes(old.tiers, new.tiers)
    return changes


def summarize(changes: Iterable[Change]) -> ChangeSummary:
    """Counts per kind, and the mean relative change of the prices present on both cards."""
    counts = dict.fromkeys(KINDS, 0)
    up = down = 0
    ratios: list[float] = []
    for change in changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
        if change.section != "price" or change.kind != "changed":
            continue
        if not isinstance(change.old, int | float) or not isinstance(change.new, int | float):
            continue
        if change.new > change.old:
            up += 1
        elif change.new < change.old:
            down += 1
        if change.percent is not None and change.old:
            ratios.append((change.new - change.old) / change.old * 100)
    average = round(sum(ratios) / len(ratios), 2) if ratios else None
    return ChangeSummary(counts["added"], counts["removed"], counts["changed"], up, down, average)


# --------------------------------------------------------------------- sections


def _card_changes(old: RateCard, new: RateCard) -> Iterator[Change]:
    yield from _field_changes("card", _card_fields(old), _card_fields(new))


def _card_fields(card: RateCard) -> dict[str, JSONValue]:
    return {
        "carrier_code": card.carrier_code,
        "carrier_name": card.carrier_name,
        "currency": card.currency,
        "valid_from": card.valid_from.isoformat(),
        "fuel_percent": _percent(card.fuel_bp),
        "notes": card.notes,
    }


def _service_fields(service: Service) -> dict[str, JSONValue]:
    return {
        "name": service.name,
        "mode": service.mode.value,
        "speed": service.speed.value,
        "pickup_cutoff": service.pickup_cutoff.strftime("%H:%M"),
        "pickup_days": _weekdays(service.pickup_weekdays),
        "delivery_days": _weekdays(service.delivery_weekdays),
        "max_weight_kg": _kg(service.max_weight_g),
        "max_length_cm": _cm(service.max_length_mm),
        "max_length_girth_cm": _cm(service.max_length_girth_mm),
        "max_dimensions_sum_cm": _cm(service.max_dimensions_sum_mm),
        "volumetric_divisor": service.volumetric_divisor,
    }


def _service_changes(old: tuple[Service, ...], new: tuple[Service, ...]) -> Iterator[Change]:
    olds = {s.code: s for s in old}
    news = {s.code: s for s in new}
    for code in _keys(olds, news):
        a, b = olds.get(code), news.get(code)
        if a is not None and b is not None:
            changes = _field_changes("service", _service_fields(a), _service_fields(b))
        else:
            changes = _presence("service", "service", _name(a), _name(b))
        for change in changes:
            yield replace(change, service=code)


def _zone_changes(old: tuple[Zone, ...], new: tuple[Zone, ...]) -> Iterator[Change]:
    olds = {z.code: z for z in old}
    news = {z.code: z for z in new}
    for code in _keys(olds, news):
        a, b = olds.get(code), news.get(code)
        if a is not None and b is not None:
            changes = list(_field_changes("zone", {"name": a.name}, {"name": b.name}))
        else:
            changes = list(_presence("zone", "zone", _name(a), _name(b)))
        old_entries = a.entries if a is not None else ()
        new_entries = b.entries if b is not None else ()
        changes += [Change("zone", "removed", "entry", _entry(e)) for e in old_entries if e not in new_entries]
        changes += [Change("zone", "added", "entry", None, _entry(e)) for e in new_entries if e not in old_entries]
        for change in changes:
            yield replace(change, zone=code)


def _transit_changes(old: tuple[Service, ...], new: tuple[Service, ...]) -> Iterator[Change]:
    olds = {(s.code, zone): _days(t) for s in old for zone, t in s.transit.items()}
    news = {(s.code, zone): _days(t) for s in new for zone, t in s.transit.items()}
    for service, zone in _keys(olds, news):
        for change in _presence("transit", "transit_days", olds.get((service, zone)), news.get((service, zone))):
            yield replace(change, service=service, zone=zone)


def _price_changes(old: tuple[PriceGrid, ...], new: tuple[PriceGrid, ...], same_currency: bool) -> Iterator[Change]:
    olds = {(g.service, g.zone): g for g in old}
    news = {(g.service, g.zone): g for g in new}
    for service, zone in _keys(olds, news):
        a = _grid_prices(olds.get((service, zone)))
        b = _grid_prices(news.get((service, zone)))
        # Brackets by increasing bound, the extra-kg price last.
        bounds = sorted(set(a) | set(b), key=lambda bound: (1, 0) if isinstance(bound, str) else (0, bound))
        for bound in bounds:
            what = "extra_kg_price" if bound == EXTRA_KG else "price"
            a_cents, b_cents = a.get(bound), b.get(bound)
            for change in _presence("price", what, _money(a_cents), _money(b_cents)):
                percent = _relative(a_cents, b_cents) if same_currency else None
                yield replace(change, service=service, zone=zone, bracket=bound, percent=percent)


def _surcharge_fields(surcharge: Surcharge) -> dict[str, JSONValue]:
    return {
        "amount": _money(surcharge.amount_cents),
        "services": tuple(sorted(surcharge.services)),
        "areas": tuple(_entry(area) for area in surcharge.areas),
        "min_length_cm": _cm(surcharge.min_length_mm),
        "min_length_girth_cm": _cm(surcharge.min_length_girth_mm),
        "min_weight_kg": _kg(surcharge.min_weight_g),
    }


def _surcharge_changes(old: tuple[Surcharge, ...], new: tuple[Surcharge, ...], same_currency: bool) -> Iterator[Change]:
    olds = _by_label(old)
    news = _by_label(new)
    for label in _keys(olds, news):
        a, b = olds.get(label), news.get(label)
        if a is not None and b is not None:
            for change in _field_changes("surcharge", _surcharge_fields(a), _surcharge_fields(b)):
                percent = None
                if change.what == "amount" and same_currency:
                    percent = _relative(a.amount_cents, b.amount_cents)
                yield replace(change, surcharge=label, percent=percent)
        else:
            a_amount = None if a is None else _money(a.amount_cents)
            b_amount = None if b is None else _money(b.amount_cents)
            for change in _presence("surcharge", "surcharge", a_amount, b_amount):
                yield replace(change, surcharge=label)


def _tier_changes(old: tuple[VolumeTier, ...], new: tuple[VolumeTier, ...]) -> Iterator[Change]:
    olds = {t.min_parcels: _percent(t.discount_bp) for t in old}
    news = {t.min_parcels: _percent(t.discount_bp) for t in new}
    for threshold in sorted(set(olds) | set(news)):
        for change in _presence("tier", "discount_percent", olds.get(threshold), news.get(threshold)):
            yield replace(change, min_parcels=threshold)


# ---------------------------------------------------------------------- helpers


def _by_label(surcharges: tuple[Surcharge, ...]) -> dict[str, Surcharge]:
    """Surcharges by ``"<kind>: <name>"``; a repeated label gets `` #2``, `` #3``... in list order."""
    labelled: dict[str, Surcharge] = {}
    for surcharge in surcharges:
        base = f"{surcharge.kind.value}: {surcharge.name}"
        label, n = base, 1
        while label in labelled:
            n += 1
            label = f"{base} #{n}"
        labelled[label] = surcharge
    return labelled


def _name(item: Service | Zone | None) -> str | None:
    return None if item is None else item.name


def _keys(old: Mapping[K, object], new: Mapping[K, object]) -> list[K]:
    """Keys of `old` in its order, then those only in `new`."""
    return list(old) + [key for key in new if key not in old]


def _presence(section: str, what: str, old: JSONValue, new: JSONValue) -> list[Change]:
    """No change, or one added / removed / changed, from the values on each side (None = absent)."""
    if old == new:
        return []
    if old is None:
        return [Change(section, "added", what, None, new)]
    if new is None:
        return [Change(section, "removed", what, old, None)]
    return [Change(section, "changed", what, old, new)]


def _field_changes(section: str, old: Mapping[str, JSONValue], new: Mapping[str, JSONValue]) -> list[Change]:
    """One ``changed`` per field that differs (a limit that appears or disappears included)."""
    return [Change(section, "changed", what, old[what], new[what]) for what in old if old[what] != new[what]]


def _relative(old_cents: int | None, new_cents: int | None) -> float | None:
    if old_cents is None or new_cents is None or old_cents == 0:
        return None
    return round((new_cents - old_cents) / old_cents * 100, 2)


def _grid_prices(grid: PriceGrid | None) -> dict[int | str, int]:
    if grid is None:
        return {}
    prices: dict[int | str, int] = {b.max_weight_g: b.price_cents for b in grid.brackets}
    if grid.extra_kg_price_cents is not None:
        prices[EXTRA_KG] = grid.extra_kg_price_cents
    return prices


def _entry(entry: ZoneEntry) -> str:
    """``"FR"``, ``"FR 20"`` or ``"FR 97100-97199"``."""
    pattern = entry.pattern()
    return f"{entry.country} {pattern}" if pattern else entry.country


def _weekdays(days: frozenset[int]) -> str:
    """Upload syntax: ``"Mon-Fri"`` for a run of three days or more, else ``"Mon,Wed,Fri"``."""
    ordered = sorted(days)
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{WEEKDAY_NAMES[ordered[0]]}-{WEEKDAY_NAMES[ordered[-1]]}"
    return ",".join(WEEKDAY_NAMES[d] for d in ordered)


def _days(transit: Transit) -> JSONValue:
    return (transit.min_days, transit.max_days)


def _kg(grams: int | None) -> float | None:
    return None if grams is None else kg_from_grams(grams)


def _cm(millimetres: int | None) -> float | None:
    return None if millimetres is None else cm_from_mm(millimetres)


def _money(cents: int | None) -> float | None:
    return None if cents is None else amount_from_cents(cents)


def _percent(basis_points: int | None) -> float | None:
    return None if basis_points is None else percent_from_bp(basis_points)


def _jsonable(value: JSONValue) -> object:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class LaneChange:
    """The price changes of one (service, zone) grid, for a manager's first look."""

    service: str
    zone: str
    brackets: int  # brackets whose price is on both cards and changed
    lowest_percent: float | None
    highest_percent: float | None
    mean_percent: float | None

    @property
    def extreme(self) -> float:
        """The largest move either way (what the lanes are ordered by)."""
        return max(abs(self.lowest_percent or 0.0), abs(self.highest_percent or 0.0))


@dataclass(frozen=True)
class Digest:
    """What activating a card changes, the largest first: what it no longer serves, and the price
    changes per service and zone (an average over the whole card hides +21 % to one zone)."""

    dropped: tuple[Change, ...]  # services, zones, zone entries, transit and price brackets it no longer has
    lanes: tuple[LaneChange, ...]


def digest(changes: Iterable[Change]) -> Digest:
    changes = list(changes)
    dropped = tuple(c for c in changes if c.kind == "removed" and c.section in {"service", "zone", "transit", "price"})
    per_lane: dict[tuple[str, str], list[float]] = {}
    for c in changes:
        if c.section == "price" and c.kind == "changed" and c.service and c.zone and c.percent is not None:
            per_lane.setdefault((c.service, c.zone), []).append(c.percent)
    lanes = [
        LaneChange(
            service,
            zone,
            len(percents),
            min(percents),
            max(percents),
            round(sum(percents) / len(percents), 2),
        )
        for (service, zone), percents in per_lane.items()
    ]
    lanes.sort(key=lambda lane: (-lane.extreme, lane.service, lane.zone))
    return Digest(dropped, tuple(lanes))
