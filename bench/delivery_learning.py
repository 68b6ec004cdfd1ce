"""A year of deliveries with known lane distributions: are the learned delivery times right?

A seeded generator of our own. Five lanes from a Paris warehouse, each with a known distribution of
business days from pickup to delivery (the carrier's delivery weekdays, French public holidays),
about 30 parcels a lane per working day of 2026 (Monday to Friday):

    colissimo HOME FR       Mon-Sat   2 days 88 %, 1: 5 %, 3: 6 %, 4: 1 %      card 2-2
    colissimo HOME FR-COR   Mon-Sat   3 days 70 %, 4: 20 %, 5: 10 %           card 3-4
    chronopost EXPRESS FR   Mon-Fri   1 day 95 %, 2: 4 %, 3: 1 %              card 1-1
    mondial_relay RELAY FR  Mon-Sat   3 days 55 %, 4: 30 %, 5: 10 %, 6: 5 %;  card 3-4
                                      a Friday pickup takes a day more half the time
    dpd HOME FR             Mon-Fri   1 day 90 %, 2: 8 %, 3: 2 %; from 1 December it slips:
                                      2 days 60 %, 3: 30 %, 4: 10 %           card 1-2

Every working day D from 1 February, the figures are learned as D starts
(`tms.domain.lane_stats.learn_lanes`, as the quote book built on D does): from the parcels delivered
before D and from those still in transit (picked up before D, delivered on or after D), each known
to take more than the business days from its pickup to D - 1. Then D's parcels are predicted:

1. Half-lives compared: the mean and worst gap between the predicted on-time probability and the
   realised share per bucket of 10 points (each parcel with a promise of 1 to 5 business days),
   the Brier score, and the share of parcels delivered on the predicted day (the most likely one).
2. With the default half-life: calibration per bucket, the predicted day per lane against the
   ceiling (the true distribution's most likely day: no predictor can be right more often), and
   December apart.
3. Recommendations through the real quote (`QuoteBook` built daily with the delivery history,
   `quote_order`): 20 orders a day to Lyon promised in 2 or 3 business days; the shopper gets the
   recommended option, with learning off (the cheapest option the card says is in time) and with
   `min_on_time_probability` 0.9. Its realised on-time rate and mean cost.

No timing: the figures are the point. `python -m bench delivery_learning` (~1 min).
"""

from __future__ import annotations

import bisect
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

from carriers.readers import read_json
from tms.domain.delivery import Warehouse, business_days_between, delivery_dates, is_working_day
from tms.domain.lane_stats import (
    HALF_LIFE_DAYS,
    RECENT_DAYS,
    DeliveredParcel,
    LaneFigures,
    LaneKey,
    OpenParcel,
    learn_lanes,
)
from tms.domain.parcels import Parcel
from tms.domain.policy import Cart, ShippingPolicy, WarehouseCosts
from tms.domain.quotes import Destination, Promise, QuoteRequest
from tms.domain.tracking import DeliveredRecord, InTransitRecord
from tms.services.quoting import DeliveryLearning, QuoteBook, WarehouseSetup, quote_order

PARIS = ZoneInfo("Europe/Paris")
YEAR = 2026
FIRST_PREDICTED = date(YEAR, 2, 1)
DECEMBER = date(YEAR, 12, 1)
# The first pickup day whose figures can know of dpd's slip: as 3 December starts, the parcels picked
# up on the 1st are known to take more than 1 day. Pickups of the 1st and 2nd are predicted from
# nothing of December, by any learner.
SLIP_SEEN = date(YEAR, 12, 3)
MON_FRI, MON_SAT = frozenset(range(5)), frozenset(range(6))
WAREHOUSE = Warehouse("PAR1")
SWEEP = [(h, None) for h in (7.0, 14.0, 28.0, 56.0, 365.0)] + [(h, RECENT_DAYS) for h in (14.0, 28.0, 56.0, 112.0)]
OPEN_LOOKBACK_DAYS = 21  # calendar days: longer than any generated transit
MIN_ON_TIME = 0.9
ORDERS_PER_DAY = 20
BUCKETS = 10


@dataclass(frozen=True)
class TrueLane:
    """A lane as the generator knows it: its delivery weekdays and its distribution on a pickup day."""

    key: LaneKey
    postcode: str
    weekdays: frozenset[int]
    card_days: tuple[int, int]
    price: float
    mode: str
    shares: Callable[[date], dict[int, float]]


def _fixed(shares: dict[int, float]) -> Callable[[date], dict[int, float]]:
    return lambda _: shares


def _relay(pickup: date) -> dict[int, float]:
    base = {3: 0.55, 4: 0.30, 5: 0.10, 6: 0.05}
    if pickup.weekday() != 4:
        return base
    later: dict[int, float] = defaultdict(float)
    for days, share in base.items():  # a Friday pickup: a day more half the time
        later[days] += share / 2
        later[days + 1] += share / 2
    return dict(later)


def _dpd(pickup: date) -> dict[int, float]:
    return {2: 0.60, 3: 0.30, 4: 0.10} if pickup >= DECEMBER else {1: 0.90, 2: 0.08, 3: 0.02}


LANES = (
    TrueLane(
        ("colissimo", "HOME", "FR"),
        "69003",
        MON_SAT,
        (2, 2),
        6.20,
        "home",
        _fixed({1: 0.05, 2: 0.88, 3: 0.06, 4: 0.01}),
    ),
    TrueLane(("colissimo", "HOME", "FR-COR"), "20000", MON_SAT, (3, 4), 9.50, "home", _fixed({3: 0.7, 4: 0.2, 5: 0.1})),
    TrueLane(
        ("chronopost", "EXPRESS", "FR"), "69003", MON_FRI, (1, 1), 9.90, "home", _fixed({1: 0.95, 2: 0.04, 3: 0.01})
    ),
    TrueLane(("mondial_relay", "RELAY", "FR"), "69003", MON_SAT, (3, 4), 4.10, "pickup_point", _relay),
    TrueLane(("dpd", "HOME", "FR"), "69003", MON_FRI, (1, 2), 5.80, "home", _dpd),
)


def _draw(rng: random.Random, shares: dict[int, float]) -> int:
    pick, running = rng.random(), 0.0
    for days in sorted(shares):
        running += shares[days]
        if pick < running:
            return days
    return max(shares)


def _arrival(lane: TrueLane, pickup: date, days: int) -> date:
    return delivery_dates(pickup, days, days, lane.weekdays, "FR")[0]


def working_days() -> list[date]:
    day, found = date(YEAR, 1, 1), []
    while day.year == YEAR:
        if is_working_day(WAREHOUSE, day):
            found.append(day)
        day += timedelta(days=1)
    return found


def history(rng: random.Random, days: Sequence[date]) -> list[tuple[TrueLane, DeliveredParcel]]:
    """Every parcel of the year, by lane, each with its days counted from its dates (the product's rule)."""
    parcels = []
    for day in days:
        for lane in LANES:
            for _ in range(rng.randint(20, 40)):
                arrived = _arrival(lane, day, _draw(rng, lane.shares(day)))
                counted = business_days_between(day, arrived, lane.weekdays, "FR")
                parcels.append((lane, DeliveredParcel(lane.key, day, arrived, counted)))
    parcels.sort(key=lambda p: p[1].delivered_on)
    return parcels


class Calibration:
    """Predicted probabilities against what happened, in buckets of 10 points."""

    def __init__(self) -> None:
        self.rows: list[list[float]] = [[0, 0.0, 0.0] for _ in range(BUCKETS)]  # count, sum predicted, sum realised
        self.brier = 0.0

    def add(self, predicted: float, realised: bool) -> None:
        row = self.rows[min(BUCKETS - 1, int(predicted * BUCKETS))]
        row[0] += 1
        row[1] += predicted
        row[2] += realised
        self.brier += (predicted - realised) ** 2

    @property
    def count(self) -> int:
        return int(sum(r[0] for r in self.rows))

    def table(self) -> list[dict[str, Any]]:
        return [
            {
                "bucket": f"{10 * n}-{10 * n + 10} %",
                "parcels": int(count),
                "predicted": round(predicted / count, 4),
                "realised": round(realised / count, 4),
                "gap_points": round(100 * abs(predicted - realised) / count, 2),
                # the realised share's standard error, in points: a gap within ~2 of them may be chance
                "standard_error_points": round(100 * math.sqrt(max(p := predicted / count, 1e-9) * (1 - p) / count), 2),
            }
            for n, (count, predicted, realised) in enumerate(self.rows)
            if count
        ]

    def gaps(self, at_least: int = 100) -> tuple[float, float]:
        """(mean gap weighted by parcels, worst gap) in points, over buckets of at least `at_least` parcels."""
        rows = [r for r in self.table() if r["parcels"] >= at_least]
        total = sum(r["parcels"] for r in rows)
        mean = sum(r["gap_points"] * r["parcels"] for r in rows) / total if total else 0.0
        return round(mean, 2), max((r["gap_points"] for r in rows), default=0.0)


def _known_before(parcels: list[tuple[TrueLane, DeliveredParcel]], delivered: list[date], day: date, horizon: float):
    """The parcels delivered before `day` and within the horizon (the book reads no more)."""
    low = bisect.bisect_left(delivered, day - timedelta(days=int(horizon) + 1))
    high = bisect.bisect_left(delivered, day)
    return [p for _, p in parcels[low:high]]


def _on_the_way(
    by_pickup: dict[date, list[tuple[TrueLane, DeliveredParcel]]], day: date
) -> list[tuple[TrueLane, DeliveredParcel]]:
    """The parcels picked up before `day` and delivered on or after it: in transit as `day` starts."""
    return [
        (lane, parcel)
        for back in range(1, OPEN_LOOKBACK_DAYS + 1)
        for lane, parcel in by_pickup.get(day - timedelta(days=back), ())
        if parcel.delivered_on >= day
    ]


def _open_before(by_pickup: dict[date, list[tuple[TrueLane, DeliveredParcel]]], day: date) -> list[OpenParcel]:
    """The parcels in transit as `day` starts, each known to take more than the business days from its
    pickup to the day before (what the quote book gives `learn_lanes`)."""
    return [
        OpenParcel(
            parcel.lane,
            parcel.picked_up_on,
            business_days_between(parcel.picked_up_on, day - timedelta(days=1), lane.weekdays, "FR"),
        )
        for lane, parcel in _on_the_way(by_pickup, day)
    ]


def _by_pickup(parcels: list[tuple[TrueLane, DeliveredParcel]]) -> dict[date, list[tuple[TrueLane, DeliveredParcel]]]:
    by_pickup: dict[date, list[tuple[TrueLane, DeliveredParcel]]] = defaultdict(list)
    for lane, parcel in parcels:
        by_pickup[parcel.picked_up_on].append((lane, parcel))
    return by_pickup


def evaluate(
    parcels: list[tuple[TrueLane, DeliveredParcel]],
    days: list[date],
    half_life: float,
    recent_days: int | None,
    *,
    censored: bool = True,
) -> dict[str, Any]:
    """Predict every parcel picked up from FIRST_PREDICTED with figures learned as the day starts: from
    the parcels delivered before it and (`censored`) those still in transit."""
    delivered = [p.delivered_on for _, p in parcels]
    by_pickup = _by_pickup(parcels)
    overall, december, december_seen = Calibration(), Calibration(), Calibration()
    hits: dict[tuple[LaneKey, bool], list[int]] = defaultdict(lambda: [0, 0, 0])  # parcels, hits, ceiling hits
    fallback = 0
    for day in days:
        if day < FIRST_PREDICTED:
            continue
        figures = learn_lanes(
            _known_before(parcels, delivered, day, 6 * half_life),
            day,  # as the quote book built on the day: its deliveries are still to come
            open_parcels=_open_before(by_pickup, day) if censored else (),
            half_life_days=half_life,
            recent_days=recent_days,
        )
        for lane, parcel in by_pickup[day]:
            learned: LaneFigures | None = figures.get(lane.key)
            if learned is None:
                fallback += 1
                continue
            distribution = learned.for_pickup(day)
            truth = lane.shares(day)
            in_december = day >= DECEMBER
            for promise_days in range(1, 6):
                predicted = distribution.within(promise_days)
                realised = parcel.business_days <= promise_days
                overall.add(predicted, realised)
                if in_december:
                    december.add(predicted, realised)
                if day >= SLIP_SEEN:
                    december_seen.add(predicted, realised)
            row = hits[(lane.key, in_december)]
            row[0] += 1
            row[1] += parcel.business_days == distribution.likely_days
            row[2] += parcel.business_days == max(sorted(truth), key=lambda d: truth[d])
    return {
        "overall": overall,
        "december": december,
        "december_seen": december_seen,
        "hits": hits,
        "fallback": fallback,
    }


def _share(rows: dict[tuple[LaneKey, bool], list[int]], lanes: Sequence[LaneKey] | None = None, *, column: int = 1):
    chosen = [r for (key, _), r in rows.items() if lanes is None or key in lanes]
    total = sum(r[0] for r in chosen)
    return round(sum(r[column] for r in chosen) / total, 4) if total else 0.0


def _card(carrier: str, services: list[TrueLane]) -> dict[str, Any]:
    zones = sorted({lane.key[2] for lane in services})
    entries = {"FR": [{"country": "FR", "postcodes": ""}], "FR-COR": [{"country": "FR", "postcodes": "20"}]}
    codes = sorted({lane.key[1] for lane in services})
    return {
        "carrier": {"code": carrier, "name": carrier},
        "currency": "EUR",
        "valid_from": f"{YEAR}-01-01",
        "fuel_percent": 0,
        "notes": "",
        "services": [
            {
                "code": code,
                "name": code,
                "mode": next(lane.mode for lane in services if lane.key[1] == code),
                "speed": "standard",
                "pickup_cutoff": "17:00",
                "pickup_days": "Mon-Fri",
                "delivery_days": "Mon-Sat" if services[0].weekdays == MON_SAT else "Mon-Fri",
                "max_weight_kg": 30,
                "max_length_cm": None,
                "max_length_girth_cm": None,
                "max_dimensions_sum_cm": None,
                "volumetric_divisor": None,
                "transit": {lane.key[2]: list(lane.card_days) for lane in services if lane.key[1] == code},
            }
            for code in codes
        ],
        "zones": [{"code": zone, "name": zone, "entries": entries[zone]} for zone in zones],
        "prices": [
            {
                "service": lane.key[1],
                "zone": lane.key[2],
                "brackets": [{"to_kg": 30, "price": lane.price}],
                "extra_kg_price": None,
            }
            for lane in services
        ],
        "surcharges": [],
        "tiers": [],
    }


def _record(n: int, lane: TrueLane, parcel: DeliveredParcel) -> DeliveredRecord:
    picked = datetime.combine(parcel.picked_up_on, clock(17, 30), PARIS)
    arrived = datetime.combine(parcel.delivered_on, clock(12, 0), PARIS)
    carrier, service, _ = lane.key
    return DeliveredRecord(n, f"T{n}", carrier, service, "FR", lane.postcode, parcel.picked_up_on, picked, arrived)


def _in_transit_record(n: int, lane: TrueLane, parcel: DeliveredParcel) -> InTransitRecord:
    picked = datetime.combine(parcel.picked_up_on, clock(17, 30), PARIS)
    carrier, service, _ = lane.key
    return InTransitRecord(n, f"T{n}", carrier, service, "FR", lane.postcode, picked)


def recommendations(rng: random.Random, parcels: list[tuple[TrueLane, DeliveredParcel]], days: list[date]):
    """On-time rate and cost of the recommended option, learning off and on, through the real quote."""
    by_carrier: dict[str, list[TrueLane]] = defaultdict(list)
    for lane in LANES:
        by_carrier[lane.key[0]].append(lane)
    cards = [read_json(_card(carrier, lanes)) for carrier, lanes in sorted(by_carrier.items())]
    setup = WarehouseSetup(WAREHOUSE, WarehouseCosts(50, 150, 200))
    policy = ShippingPolicy()
    records = [_record(n, lane, parcel) for n, (lane, parcel) in enumerate(parcels)]
    delivered = [p.delivered_on for _, p in parcels]
    by_pickup = _by_pickup(parcels)
    mainland = {lane.key[:2]: lane for lane in LANES if lane.key[2] == "FR"}
    outcome = {"off": [0, 0, 0], "on": [0, 0, 0]}  # orders, on time, cost cents
    quoted_calibration = Calibration()
    changed = 0
    horizon = 6 * HALF_LIFE_DAYS
    for day in days:
        if day < FIRST_PREDICTED:
            continue
        low = bisect.bisect_left(delivered, day - timedelta(days=int(horizon) + 1))
        high = bisect.bisect_left(delivered, day)
        known = records[low:high]
        in_transit = [
            _in_transit_record(n, lane, parcel) for n, (lane, parcel) in enumerate(_on_the_way(by_pickup, day))
        ]
        books = {
            name: QuoteBook.of_cards(
                cards, policy, [setup], deliveries=known, learning=learning, today=day, in_transit=in_transit
            )
            for name, learning in (
                ("off", DeliveryLearning()),
                ("on", DeliveryLearning(min_on_time_probability=MIN_ON_TIME)),
            )
        }
        for n in range(ORDERS_PER_DAY):
            deliver_by = delivery_dates(day, promise := rng.choice((2, 3)), promise, MON_FRI, "FR")[0]
            request = QuoteRequest(
                f"{day}-{n}",
                datetime.combine(day, clock(10, 0), PARIS).astimezone(UTC),
                Destination("FR", "69003", "Lyon"),
                (Parcel(1500, 300, 200, 100),),
                Cart(5000),
                Promise(deliver_by),
            )
            # One outcome per lane for this order, the same whichever option is recommended.
            arrivals = {key: _arrival(lane, day, _draw(rng, lane.shares(day))) for key, lane in mainland.items()}
            chosen = {}
            for name, book in books.items():
                result = quote_order(book, request)
                option = result.recommended
                if option is None:
                    continue
                chosen[name] = option.carrier
                row = outcome[name]
                row[0] += 1
                row[1] += arrivals[(option.carrier, option.service)] <= deliver_by
                row[2] += option.total_cents
                if name == "on":
                    for o in result.options:
                        if o.on_time_probability is not None:
                            arrived = arrivals[(o.carrier, o.service)]
                            quoted_calibration.add(o.on_time_probability, arrived <= deliver_by)
            changed += len(set(chosen.values())) > 1
    return outcome, quoted_calibration, changed


def _print_calibration(title: str, calibration: Calibration) -> None:
    print(f"\n{title}")
    print(f"  {'bucket':>10} {'parcels':>9} {'predicted':>10} {'realised':>9} {'gap pts':>8} {'std err':>8}")
    for row in calibration.table():
        mark = "" if row["gap_points"] <= 5 else "  > 5"
        print(
            f"  {row['bucket']:>10} {row['parcels']:>9} {row['predicted']:>10.1%} {row['realised']:>9.1%}"
            f" {row['gap_points']:>8.2f} {row['standard_error_points']:>8.2f}{mark}"
        )


def run(seed: int = 2026) -> dict[str, Any]:
    started = time.monotonic()
    rng = random.Random(seed)
    days = working_days()
    parcels = history(rng, days)
    print(
        f"\nDelivery learning: {len(parcels)} parcels over {len(days)} working days of {YEAR}, {len(LANES)} lanes"
        f" (seed {seed}); predicted from {FIRST_PREDICTED} with figures learned as each day starts"
    )
    print(
        f"\n{'half-life d':>12} {'shift':>6} {'mean gap':>9} {'worst gap':>10} {'Dec worst':>10} {'Brier':>7}"
        f" {'on day':>7} {'Dec dpd':>8}"
    )
    sweep, chosen_result = {}, None
    for half_life, recent_days in SWEEP:
        result = evaluate(parcels, days, half_life, recent_days)
        mean_gap, worst_gap = result["overall"].gaps()
        _, december_worst = result["december"].gaps(at_least=30)
        brier = result["overall"].brier / result["overall"].count
        on_day = _share(result["hits"])
        dpd_december = _share({k: v for k, v in result["hits"].items() if k == (("dpd", "HOME", "FR"), True)})
        sweep[f"{half_life} d, shift {recent_days or 'off'}"] = {
            "mean_gap_points": mean_gap,
            "worst_gap_points": worst_gap,
            "december_worst_gap_points": december_worst,
            "brier": round(brier, 4),
            "on_predicted_day": on_day,
            "dpd_december_on_predicted_day": dpd_december,
        }
        default = (half_life, recent_days) == (HALF_LIFE_DAYS, RECENT_DAYS)
        print(
            f"{half_life:>12} {recent_days or 'off':>6} {mean_gap:>9.2f} {worst_gap:>10.2f} {december_worst:>10.2f}"
            f" {brier:>7.4f} {on_day:>7.1%} {dpd_december:>8.1%}{'  (default)' if default else ''}"
        )
        if default:
            chosen_result = result
    assert chosen_result is not None
    _print_calibration(
        f"Calibration, half-life {HALF_LIFE_DAYS} d (each parcel with promises of 1-5 business days)",
        chosen_result["overall"],
    )
    _print_calibration("... December only (dpd slipping)", chosen_result["december"])
    _print_calibration(
        f"... from {SLIP_SEEN} (the first day the slip can be seen in the figures)", chosen_result["december_seen"]
    )
    _, december_seen_worst = chosen_result["december_seen"].gaps(at_least=30)

    hits = chosen_result["hits"]
    print("\nDelivered on the predicted day (the most likely one), against the ceiling of the true distribution")
    print(f"  {'lane':32} {'parcels':>8} {'share':>7} {'ceiling':>8} {'Dec share':>10} {'Dec ceiling':>12}")
    lanes_table = {}
    for lane in LANES:
        whole = {k: v for k, v in hits.items() if k[0] == lane.key}
        in_december = {k: v for k, v in whole.items() if k[1]}
        row = {
            "parcels": sum(r[0] for r in whole.values()),
            "share": _share(whole),
            "ceiling": _share(whole, column=2),
            "december_share": _share(in_december),
            "december_ceiling": _share(in_december, column=2),
        }
        lanes_table[" ".join(lane.key)] = row
        print(
            f"  {' '.join(lane.key):32} {row['parcels']:>8} {row['share']:>7.1%} {row['ceiling']:>8.1%}"
            f" {row['december_share']:>10.1%} {row['december_ceiling']:>12.1%}"
        )
    overall_share, ceiling = _share(hits), _share(hits, column=2)
    print(f"  {'all lanes':32} {'':>8} {overall_share:>7.1%} {ceiling:>8.1%}   (target 90 %)")

    outcome, quoted, changed = recommendations(rng, parcels, days)
    print(
        f"\nRecommended option through the quote, {ORDERS_PER_DAY} orders a day to Lyon promised in 2-3 business days"
        f" (learning on: min_on_time_probability {MIN_ON_TIME}); {changed} orders got another recommendation"
    )
    print(f"  {'learning':>9} {'orders':>7} {'on time':>8} {'mean cost':>10}")
    recommended = {}
    for name, (orders, on_time, cost) in outcome.items():
        recommended[name] = {
            "orders": orders,
            "on_time": round(on_time / orders, 4) if orders else 0.0,
            "mean_cost": round(cost / orders / 100, 2) if orders else 0.0,
        }
        print(f"  {name:>9} {orders:>7} {recommended[name]['on_time']:>8.1%} {recommended[name]['mean_cost']:>10.2f}")
    _print_calibration("Calibration of the quotes' on_time_probability (every option with figures)", quoted)
    quoted_mean, quoted_worst = quoted.gaps()
    seconds = round(time.monotonic() - started, 1)
    print(f"\n{seconds} s")
    return {
        "parcels": len(parcels),
        "half_lives": sweep,
        "default_half_life_days": HALF_LIFE_DAYS,
        "calibration": chosen_result["overall"].table(),
        "calibration_december": chosen_result["december"].table(),
        "calibration_december_from_slip_seen": chosen_result["december_seen"].table(),
        "december_from_slip_seen_worst_gap_points": december_seen_worst,
        "on_predicted_day": {"all": overall_share, "ceiling": ceiling, "lanes": lanes_table},
        "recommended": recommended,
        "quoted_calibration": {"mean_gap_points": quoted_mean, "worst_gap_points": quoted_worst},
        "quoted_calibration_table": quoted.table(),
        "orders_recommended_otherwise": changed,
        "fallback_parcels": chosen_result["fallback"],
        "seconds": seconds,
    }


if __name__ == "__main__":
    run()
