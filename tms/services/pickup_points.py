"""Pickup-point directories: upload (all-or-nothing, versioned per carrier), activate, retire; and
the in-memory index that finds the nearest suitable points.

The index is built when a directory is activated (and when a worker starts or sees another worker
activate one), never per request. Per carrier it holds a k-d tree (scipy's cKDTree) over the points'
positions as unit vectors: the chord between two unit vectors grows with the great-circle distance,
so the tree's nearest neighbours are the nearest on the sphere, with no distortion near the poles or
across a meridian. A query asks the tree for a few more points than wanted, keeps the suitable ones
(weight, open for use) in order of distance, and asks again for more only when too few were
suitable: "the N nearest suitable points of carrier C within R km" (`PointIndex.nearest`) is what
the checkout's quote will ask.

Without coordinates, the shopper's position is derived from the directories themselves: the mean
position of every active point in the postcode, else in the city, else in the department (the
postcode's first two characters, three for overseas France). See docs/pickup-points.md for why and
how far off that can be.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from carriers.points import Directory, directory_to_json, read_points_json
from tms.domain.errors import Conflict, DuplicateKey, InvalidInput, NotFound, Problem
from tms.domain.modes import DeliveryMode
from tms.domain.orders import Order
from tms.domain.pickup_points import (
    DirectoryRecord,
    DirectoryStatus,
    Limits,
    PickupPoint,
    PointKind,
    limits_take,
    longest_first,
)
from tms.domain.quotes import OfferedPoint, PointOffer, QuoteRequest, Refusal
from tms.services.unit_of_work import UnitOfWork

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
RADIUS_KM = 15.0  # a quote's pickup-point options offer points within this distance (settings: pickup.radius_km)
CANDIDATES = 24  # nearest points kept per (carrier, place); the quote keeps the suitable ones among them
CACHED_PLACES = 50_000  # (carrier, kind, place) candidate lists an index keeps
CACHED_PROFILES = 20_000  # (place, parcel fit) an index keeps shortlists for (each ~0.2 kB + ~0.3 kB per shortlist)
DAYS = tuple(timedelta(days=n) for n in range(7))

# A candidate point of a quote: its index in its PointSet, its `open_offsets`, and its distance
# (whole metres from a place; from coordinates, the chord, turned into metres only if offered).
Candidate = tuple[int, tuple[int | None, ...] | None, float]


@dataclass(frozen=True)
class DirectoryUpload:
    record: DirectoryRecord
    created: bool  # False when the same directory was stored before (the upload is idempotent)


def _checksum(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def unknown_carrier(code: str) -> InvalidInput:
    return InvalidInput("unknown carrier", [Problem(f"{code!r} is not a carrier of this service", field="carrier")])


def store_directory(
    uow: UnitOfWork,
    carrier_code: str,
    directory: Directory,
    *,
    source_format: str,
    source_name: str,
    uploaded_by: str,
    activate: bool,
    now: datetime,
) -> DirectoryUpload:
    """Store a checked directory as the carrier's next version (the same one twice is stored once);
    `activate` puts it in use at once, retiring the carrier's version in use before."""
    document = directory_to_json(directory)
    digest = _checksum(document)
    for attempt in range(3):
        with uow:
            try:
                if uow.carriers.get(carrier_code) is None:
                    raise unknown_carrier(carrier_code)
                uow.carriers.id_of(carrier_code, lock=True)
                existing = uow.pickup_directories.find_by_checksum(carrier_code, digest)
                if existing is not None and existing.status is not DirectoryStatus.RETIRED:
                    if activate and existing.status is DirectoryStatus.DRAFT:
                        existing = _activate(uow, existing, now)
                        uow.commit()
                    return DirectoryUpload(existing, created=False)
                record = uow.pickup_directories.add(
                    carrier_code=carrier_code,
                    status=DirectoryStatus.DRAFT,
                    checksum=digest,
                    point_count=len(directory.points),
                    source_format=source_format,
                    source_name=source_name[:255],
                    uploaded_at=now,
                    uploaded_by=uploaded_by[:200],
                    document=document,
                )
                if activate:
                    record = _activate(uow, record, now)
                uow.commit()
                return DirectoryUpload(record, created=True)
            except DuplicateKey:
                if attempt == 2:
                    raise
    raise AssertionError("unreachable")


def _activate(uow: UnitOfWork, record: DirectoryRecord, now: datetime) -> DirectoryRecord:
    for other in uow.pickup_directories.list(carrier_code=record.carrier_code, statuses=[DirectoryStatus.ACTIVE]):
        if other.id != record.id:
            uow.pickup_directories.set_status(other.id, DirectoryStatus.RETIRED, now)
    return uow.pickup_directories.set_status(record.id, DirectoryStatus.ACTIVE, now)


def _locked(uow: UnitOfWork, directory_id: int) -> DirectoryRecord:
    record = uow.pickup_directories.get(directory_id)
    if record is None:
        raise NotFound(f"pickup-point directory {directory_id} does not exist")
    uow.carriers.id_of(record.carrier_code, lock=True)
    locked = uow.pickup_directories.get(directory_id, fresh=True)
    assert locked is not None  # directories are never deleted
    return locked


def activate_directory(uow: UnitOfWork, directory_id: int, now: datetime) -> DirectoryRecord:
    """A draft becomes the carrier's directory in use; the one in use before is retired."""
    with uow:
        record = _locked(uow, directory_id)
        if record.status is not DirectoryStatus.DRAFT:
            raise Conflict(f"directory {directory_id} is {record.status.value}; only a draft can be activated")
        record = _activate(uow, record, now)
        uow.commit()
        return record


def retire_directory(uow: UnitOfWork, directory_id: int, now: datetime) -> DirectoryRecord:
    """A retired directory is kept for history; its carrier offers no point until another is activated."""
    with uow:
        record = _locked(uow, directory_id)
        if record.status is DirectoryStatus.RETIRED:
            raise Conflict(f"directory {directory_id} is already retired")
        record = uow.pickup_directories.set_status(directory_id, DirectoryStatus.RETIRED, now)
        uow.commit()
        return record


def get_directory(uow: UnitOfWork, directory_id: int) -> DirectoryRecord:
    with uow:
        record = uow.pickup_directories.get(directory_id)
    if record is None:
        raise NotFound(f"pickup-point directory {directory_id} does not exist")
    return record


def list_directories(
    uow: UnitOfWork, *, carrier_code: str | None = None, status: DirectoryStatus | None = None
) -> list[DirectoryRecord]:
    with uow:
        return uow.pickup_directories.list(carrier_code=carrier_code, statuses=[status] if status else [])


# -- the index


def _unit_vectors(latitudes: Sequence[float], longitudes: Sequence[float]) -> np.ndarray:
    lat = np.radians(np.asarray(latitudes, dtype=float))
    lon = np.radians(np.asarray(longitudes, dtype=float))
    cos_lat = np.cos(lat)
    return np.column_stack((cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)))


def _unit_vector(latitude: float, longitude: float) -> np.ndarray:
    """`_unit_vectors` of one position, with `math`: numpy on one element costs ~10 us more."""
    lat, lon = math.radians(latitude), math.radians(longitude)
    cos_lat = math.cos(lat)
    return np.array((cos_lat * math.cos(lon), cos_lat * math.sin(lon), math.sin(lat)))


def _chord(distance_m: float) -> float:
    return 2 * math.sin(min(distance_m / EARTH_RADIUS_M, math.pi) / 2)


def _metres(chord: float) -> float:
    return 2 * EARTH_RADIUS_M * math.asin(min(chord / 2, 1.0))


@dataclass(frozen=True)
class Found:
    carrier_code: str
    point: PickupPoint
    distance_m: int
    next_opening: datetime  # naive local time; equal to the query's `at` when open then


class PointSet:
    """The points of one carrier that an option may offer (every kind, or its lockers alone) and
    their k-d tree, with per point what a quote reads of it: which of the set's distinct limits it
    has and its `open_offsets` (a quote filters its 24 candidates from these two lists, without
    reading 24 points scattered in memory), and what an offer says of it (`as_offered`, made once
    here rather than in every quote)."""

    __slots__ = ("points", "tree", "limits", "limits_of", "offsets_of", "as_offered")

    def __init__(
        self,
        points: Sequence[PickupPoint],
        tree: cKDTree | None = None,
        offered: Mapping[str, OfferedPoint] | None = None,  # by point id: made already, for a subset
    ) -> None:
        self.points = tuple(points)
        if tree is None and self.points:
            tree = cKDTree(_unit_vectors([p.latitude for p in points], [p.longitude for p in points]))
        self.tree = tree
        # The distinct limits of its points (a handful per directory): when none takes a parcel, no
        # point does, and a quote knows it without looking at any point.
        self.limits = tuple(dict.fromkeys(p.limits for p in self.points))
        position = {limits: n for n, limits in enumerate(self.limits)}
        self.limits_of = [position[p.limits] for p in self.points]
        shared: dict[tuple[int | None, ...] | None, tuple[int | None, ...] | None] = {}
        self.offsets_of = [shared.setdefault(p.open_offsets, p.open_offsets) for p in self.points]
        self.as_offered = (
            [offered[p.point_id] for p in self.points]
            if offered is not None
            else [OfferedPoint(p.point_id, p.name, p.address, p.postcode, p.city, p.kind) for p in self.points]
        )

    def ranked(self, position: np.ndarray, k: int, radius_m: float) -> list[Candidate]:
        """The `k` nearest points within `radius_m`, nearest first, as (index in `points`, open offsets,
        chord) (`_metres` gives the distance): the candidates a quote filters for the parcel and the
        dates."""
        tree, total = self.tree, len(self.points)
        if tree is None or not total:
            return []
        chords, indexes = tree.query(position, k=min(k, total), distance_upper_bound=_chord(radius_m))
        # As Python numbers (tolist): numpy scalars one by one cost more than the rest of the quote.
        pairs = zip(np.atleast_1d(chords).tolist(), np.atleast_1d(indexes).tolist(), strict=True)
        offsets_of = self.offsets_of
        return [(i, offsets_of[i], c) for c, i in pairs if i < total]

    def taking(self, candidates: Iterable[Candidate], fit: tuple[bool, ...]) -> tuple[Candidate, ...]:
        """The candidates whose limits take the parcels: `fit[n]` says whether `limits[n]` do."""
        limits_of = self.limits_of
        return tuple(c for c in candidates if fit[limits_of[c[0]]])


# Per point set, its candidates that take a quote's parcels.
Shortlists = dict[PointSet, tuple[Candidate, ...]]


class CarrierPoints:
    """One carrier's points in use and their k-d trees (every kind, and its lockers alone)."""

    def __init__(self, carrier_code: str, record: DirectoryRecord, points: Sequence[PickupPoint]) -> None:
        self.carrier_code = carrier_code
        self.directory_id, self.version = record.id, record.version
        self.points = tuple(points)
        self.tree = cKDTree(_unit_vectors([p.latitude for p in points], [p.longitude for p in points]))
        # Per postcode, city and department: the sums of the points' latitudes and longitudes, and
        # their count, from which the index takes a place's mean position over every carrier.
        sums: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for p in points:
            for key in (
                ("postcode", p.country, p.postcode),
                ("city", p.country, _city_key(p.city)),
                ("department", p.country, department(p.country, p.postcode)),
            ):
                entry = sums[key]
                entry[0] += p.latitude
                entry[1] += p.longitude
                entry[2] += 1
        self.place_sums = {key: (s[0], s[1], int(s[2])) for key, s in sums.items()}
        self.by_id = {p.point_id: p for p in self.points}
        self.every_kind = PointSet(self.points, self.tree)
        made = {o.point_id: o for o in self.every_kind.as_offered}
        self.lockers = PointSet([p for p in self.points if p.kind is PointKind.LOCKER], offered=made)

    def offered(self, *, lockers: bool) -> PointSet:
        """The points an option offers: a locker option its lockers, a pickup-point option every kind."""
        return self.lockers if lockers else self.every_kind

    def nearest(
        self,
        position: np.ndarray,
        n: int,
        *,
        radius_m: float | None,
        weight_g: int | None,
        at: datetime,
    ) -> list[Found]:
        """The `n` nearest points that take `weight_g` and open within the look-ahead, nearest first."""
        total = len(self.points)
        bound = _chord(radius_m) if radius_m is not None else np.inf
        found: list[Found] = []
        asked, seen = min(total, n + 4), 0
        while True:
            chords, indexes = self.tree.query(position, k=asked, distance_upper_bound=bound)
            for chord, index in zip(np.atleast_1d(chords)[seen:], np.atleast_1d(indexes)[seen:], strict=True):
                if index >= total:  # past the radius
                    return found
                point = self.points[index]
                if not point.takes_weight(weight_g):
                    continue
                opening = point.next_opening(at)
                if opening is None:
                    continue
                found.append(Found(self.carrier_code, point, round(_metres(float(chord))), opening))
                if len(found) == n:
                    return found
            if asked >= total:
                return found
            seen, asked = asked, min(total, asked * 4)


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    source: str  # coordinates, postcode, city or department


def department(country: str, postcode: str) -> str:
    """The part of a postcode that names its department: 2 characters, 3 for France overseas (97x, 98x)."""
    if country == "FR" and postcode[:2] in ("97", "98"):
        return postcode[:3]
    return postcode[:2]


def _city_key(city: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", city.casefold())
    letters = "".join(ch if ch.isalnum() else " " for ch in folded if not unicodedata.combining(ch))
    return " ".join(letters.replace("saint", "st").split())


class PointIndex:
    """Every carrier's points in use, searchable by distance; immutable once built."""

    def __init__(
        self, carriers_points: Iterable[CarrierPoints], carriers: Iterable[str], *, radius_km: float = RADIUS_KM
    ):
        self.by_carrier: dict[str, CarrierPoints] = {}
        self.carriers = frozenset(carriers)
        self.radius_m = radius_km * 1000
        # What the quotes to a place share, worked out once per index (a new index, built when a
        # directory version is activated or retired, starts empty; so do the place positions it has).
        # Bounded, each emptied when full: a hit costs a dict look-up, a miss a k-d tree query.
        # (carrier, lockers only, place key) -> candidates, distances in whole metres:
        self._candidates: dict[tuple[str, bool, tuple[str, str, str]], tuple[Candidate, ...]] = {}
        # (place key, which of the index's limits take the parcels) -> per point set, its candidates
        # that take them:
        self._shortlists: dict[tuple[tuple[str, str, str], tuple[bool, ...]], Shortlists] = {}
        sums: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for points in carriers_points:
            if points.carrier_code in self.by_carrier or not points.points:
                continue  # one version per carrier: the newest active (they come newest first)
            self.by_carrier[points.carrier_code] = points
            for key, (latitude, longitude, count) in points.place_sums.items():
                entry = sums[key]
                entry[0] += latitude
                entry[1] += longitude
                entry[2] += count
        self._centres = {key: (s[0] / s[2], s[1] / s[2]) for key, s in sums.items()}
        # The distinct limits of every carrier's points (a locker's are among its carrier's), numbered:
        # a quote works out once which of them take its parcels (`fit`).
        self.limits: tuple[Limits, ...] = tuple(
            dict.fromkeys(limits for points in self.by_carrier.values() for limits in points.every_kind.limits)
        )
        self._limits_number = {limits: n for n, limits in enumerate(self.limits)}

    def point(self, carrier: str, point_id: str) -> PickupPoint | None:
        """The carrier's point in use with this identifier (None when it left the directory)."""
        points = self.by_carrier.get(carrier)
        return None if points is None else points.by_id.get(point_id)

    @property
    def by_directory(self) -> dict[int, CarrierPoints]:
        return {points.directory_id: points for points in self.by_carrier.values()}

    @property
    def point_count(self) -> int:
        return sum(len(c.points) for c in self.by_carrier.values())

    def place(self, country: str, postcode: str | None, city: str | None) -> tuple[str, str, str] | None:
        """The key of the place whose points give the position: the postcode, else the city, else the
        department; None when no point is in any of them."""
        if postcode and ("postcode", country, postcode) in self._centres:
            return ("postcode", country, postcode)
        if city:
            key = ("city", country, _city_key(city))
            if key in self._centres:
                return key
        if postcode:
            key = ("department", country, department(country, postcode))
            if key in self._centres:
                return key
        return None

    def locate(self, country: str, postcode: str | None, city: str | None) -> Position | None:
        """The mean position of the points in the postcode, else the city, else the department."""
        key = self.place(country, postcode, city)
        if key is None:
            return None
        latitude, longitude = self._centres[key]
        return Position(round(latitude, 6), round(longitude, 6), key[0])

    def candidates_near(
        self, carrier: CarrierPoints, place: tuple[str, str, str], *, lockers: bool
    ) -> tuple[Candidate, ...]:
        """The carrier's CANDIDATES nearest points within the radius of the place's position (cached)."""
        key = (carrier.carrier_code, lockers, place)
        found = self._candidates.get(key)
        if found is None:
            if len(self._candidates) >= CACHED_PLACES:
                self._candidates.clear()
            latitude, longitude = self._centres[place]
            position = _unit_vector(latitude, longitude)
            ranked = carrier.offered(lockers=lockers).ranked(position, CANDIDATES, self.radius_m)
            found = self._candidates[key] = tuple((i, offsets, round(_metres(c))) for i, offsets, c in ranked)
        return found

    def forget_places(self) -> None:
        """Empty the per-place caches (candidates, shortlists): the next quote to each place finds its
        points again, as the first quote to a place does (the benchmark's cold case)."""
        self._candidates.clear()
        self._shortlists.clear()

    def fit(self, heaviest_g: int, longest_mm: int, sizes: tuple[tuple[int, int, int], ...]) -> tuple[bool, ...]:
        """Per limits of `limits`, whether points with them take every parcel (see `limits_take`)."""
        return tuple([limits_take(limits, heaviest_g, longest_mm, sizes) for limits in self.limits])

    def fit_of(self, offered: PointSet, fit: tuple[bool, ...]) -> tuple[bool, ...]:
        """`fit` (over the index's limits) for the limits of the point set (`PointSet.limits`)."""
        number = self._limits_number
        return tuple([fit[number[limits]] for limits in offered.limits])

    def shortlists_near(self, place: tuple[str, str, str], fit: tuple[bool, ...]) -> Shortlists:
        """What the quotes to `place` whose parcels the same limits take share (cached): per point set,
        its candidates near the place that take the parcels, filled in by the quotes as they need them."""
        key = (place, fit)
        found = self._shortlists.get(key)
        if found is None:
            if len(self._shortlists) >= CACHED_PROFILES:
                self._shortlists.clear()
            found = self._shortlists[key] = {}
        return found

    def nearest(
        self,
        latitude: float,
        longitude: float,
        n: int,
        *,
        carriers: Iterable[str] | None = None,
        radius_km: float | None = None,
        weight_g: int | None = None,
        at: datetime,
    ) -> list[Found]:
        """The `n` nearest suitable points of the carriers (all by default), nearest first."""
        position = _unit_vector(latitude, longitude)
        radius_m = None if radius_km is None else radius_km * 1000
        codes = self.by_carrier if carriers is None else carriers
        found: list[Found] = []
        for code in codes:
            points = self.by_carrier.get(code)
            if points is not None:
                found += points.nearest(position, n, radius_m=radius_m, weight_g=weight_g, at=at)
        found.sort(key=lambda f: (f.distance_m, f.carrier_code, f.point.point_id))
        return found[:n]


def load_point_index(
    uow: UnitOfWork, known: Mapping[int, CarrierPoints] | None = None, *, radius_km: float = RADIUS_KM
) -> PointIndex:
    """Read the active directories and build the index. A directory version never changes once
    stored, so those in `known` (by directory id) are taken as they are: only the points of newly
    activated versions are read and indexed again."""
    known = known or {}
    with uow:
        records = uow.pickup_directories.active_with_points(except_ids=known.keys())
        carriers = [c.code for c in uow.carriers.list()]
    return PointIndex(
        (
            known[r.id] if r.id in known else CarrierPoints(r.carrier_code, r, read_points_json(r.document).points)
            for r in records
        ),
        carriers,
        radius_km=radius_km,
    )


def point_index_signature(uow: UnitOfWork) -> object:
    with uow:
        return (uow.pickup_directories.signature(), len(uow.carriers.list()))


@dataclass
class LivePointIndex:
    """This worker's PointIndex, rebuilt in a background thread when a directory changes in the store
    (`refresh` rebuilds at once: the worker that activates a directory does so)."""

    load: Callable[[Mapping[int, CarrierPoints]], PointIndex]  # given the carriers' points already indexed
    signature: Callable[[], object]
    poll_s: float = 0.5
    _index: PointIndex | None = None
    _seen: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _stopped: threading.Event = field(default_factory=threading.Event)

    def current(self) -> PointIndex:
        index = self._index
        if index is None or self._thread is None:
            with self._lock:
                if self._index is None:
                    self.refresh()
                if self._thread is None:
                    self._thread = threading.Thread(target=self._watch, name="pickup-index-watch", daemon=True)
                    self._thread.start()
            index = self._index
        assert index is not None
        return index

    def refresh(self, stored: tuple[DirectoryRecord, Sequence[PickupPoint]] | None = None) -> None:
        """Rebuild now; `stored` is a directory this worker just stored and has read already, so its
        points are indexed as they are instead of read back from the store."""
        seen = self.signature()
        known = {} if self._index is None else self._index.by_directory
        if stored is not None:
            record, points = stored
            known[record.id] = CarrierPoints(record.carrier_code, record, points)
        self._index = self.load(known)
        self._seen = seen

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stopped.wait(self.poll_s):
            try:
                if self.signature() != self._seen:
                    self.refresh()
            except Exception:  # a database blip must not kill the watcher; the old index stays in use
                self._stopped.wait(1.0)


@dataclass(frozen=True)
class PointSearch:
    """What the checkout asks: a position or a place, optionally a carrier, a count and a weight."""

    country: str
    postcode: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    carrier: str | None = None
    limit: int = 10
    weight_g: int | None = None


@dataclass(frozen=True)
class PointsNearby:
    position: Position | None  # None: no coordinates sent and no point known near the place
    found: list[Found]
    without_directory: list[str]  # the carriers asked for that have no directory in use


def find_pickup_points(index: PointIndex, search: PointSearch, at: datetime) -> PointsNearby:
    """The nearest points open for use (opening within the look-ahead, closures skipped) that take
    the weight; `at` is the local time their opening hours are read in."""
    if search.carrier is not None and search.carrier not in index.carriers:
        raise unknown_carrier(search.carrier)
    carriers = [search.carrier] if search.carrier is not None else sorted(index.carriers)
    without = [c for c in carriers if c not in index.by_carrier]
    if search.latitude is not None and search.longitude is not None:
        position: Position | None = Position(search.latitude, search.longitude, "coordinates")
    else:
        position = index.locate(search.country, search.postcode, search.city)
    if position is None:
        return PointsNearby(None, [], without)
    found = index.nearest(
        position.latitude, position.longitude, search.limit, carriers=carriers, weight_g=search.weight_g, at=at
    )
    return PointsNearby(position, found, without)


def no_directory(carrier: str) -> Refusal:
    """Why a carrier without a directory in use offers no pickup-point or locker option."""
    return ("no_directory", f"{carrier} has no pickup-point directory in use")


class QuotePoints:
    """The pickup points one quote offers. The shopper's position is resolved once per quote (the
    coordinates sent, else the place of the postcode or city); then each pickup-point or locker
    option gets the `request.points` nearest points of its carrier within the index's radius that
    take every parcel and open, after the option's delivery dates, by the promise.

    From a place, the candidates that take the parcels are cached in the index per (place, parcel
    fit), so that the quotes to a postcode share one k-d tree query and one filtering per carrier and
    kind; with coordinates, each quote queries the trees itself. Either way an option's dates are then
    looked up per weekday for points without closures (`PickupPoint.open_offsets`), and worked out
    day by day (`PickupPoint.open_day_from`) for the others.
    """

    __slots__ = ("index", "wanted", "deliver_by", "position", "place", "fit", "shortlists")

    def __init__(self, index: PointIndex, request: QuoteRequest) -> None:
        self.index = index
        self.wanted = request.points
        self.deliver_by = request.promise.deliver_by
        destination = request.destination
        sizes = tuple(longest_first(p.length_mm, p.width_mm, p.height_mm) for p in request.parcels)
        heaviest = max((p.weight_g for p in request.parcels), default=0)
        self.fit = index.fit(heaviest, max((size[0] for size in sizes), default=0), sizes)
        self.position: np.ndarray | None = None
        self.place: tuple[str, str, str] | None = None
        if destination.latitude is not None and destination.longitude is not None:
            self.position = _unit_vector(destination.latitude, destination.longitude)
        else:
            self.place = index.place(destination.country, destination.postcode, destination.city or None)
        # Per point set (a carrier's points, or its lockers), its candidates that take the parcels:
        # shared by the quotes to the place whose parcels fit the same limits, this quote's own else.
        self.shortlists: Shortlists = index.shortlists_near(self.place, self.fit) if self.place is not None else {}

    def _shortlist(self, carrier_points: CarrierPoints, offered: PointSet, lockers: bool) -> tuple[Candidate, ...]:
        """The carrier's candidates (of the option's kinds) that take the parcels, nearest first."""
        fit = self.index.fit_of(offered, self.fit)
        if not any(fit):
            return ()  # no point of the carrier takes the parcels: none is looked for
        if self.position is not None:
            return offered.taking(offered.ranked(self.position, CANDIDATES, self.index.radius_m), fit)
        if self.place is not None:
            return offered.taking(self.index.candidates_near(carrier_points, self.place, lockers=lockers), fit)
        return ()

    def offer(self, carrier: str, mode: str, earliest: date, latest: date) -> tuple[PointOffer, ...] | Refusal:
        """The points offered with this option, or why the option is excluded. The carrier has a
        directory in use: the quote excludes the options of one without as `no_directory` first."""
        carrier_points = self.index.by_carrier[carrier]
        lockers = mode == DeliveryMode.LOCKER
        offered = carrier_points.offered(lockers=lockers)
        shortlist = self.shortlists.get(offered)
        if shortlist is None:
            shortlist = self.shortlists[offered] = self._shortlist(carrier_points, offered, lockers)
        found: list[PointOffer] = []
        deliver_by, wanted, chords = self.deliver_by, self.wanted, self.position is not None
        weekday_by, weekday_from = latest.weekday(), earliest.weekday()
        for index, offsets, distance in shortlist:
            if offsets is None:  # a point with closures: day by day
                point = offered.points[index]
                available_by = point.open_day_from(latest)
                if available_by is None or (deliver_by is not None and available_by > deliver_by):
                    continue
                available_from = point.open_day_from(earliest) or available_by
            else:
                offset = offsets[weekday_by]
                if offset is None:  # never open
                    continue
                available_by = latest + DAYS[offset]
                if deliver_by is not None and available_by > deliver_by:
                    continue
                available_from = earliest + DAYS[offsets[weekday_from]]  # type: ignore[index]  # open some day
            found.append(
                _point_offer(
                    (
                        offered.as_offered[index],
                        round(_metres(distance)) if chords else distance,
                        available_from,
                        available_by,
                    )
                )
            )
            if len(found) == wanted:
                break
        if not found:
            what = "locker" if lockers else "pickup point"
            radius = f"{self.index.radius_m / 1000:g} km"
            return ("no_point_nearby", f"no {what} of {carrier} within {radius} takes the parcels in time")
        return tuple(found)


# A PointOffer from a plain tuple, without the generated __new__'s Python-level call.
_point_offer = partial(tuple.__new__, PointOffer)


def chosen_points(
    index: PointIndex, orders: Sequence[Order], first_day: date
) -> tuple[dict[str, PickupPoint], dict[str, str]]:
    """Of the pickup-point orders of carriers with a directory in use, the chosen point of those whose
    point is in it (order_ref -> point: the plan keeps their promises only where it opens in time,
    `planning.collectable`), and why the others cannot go to theirs (it left the directory), with the
    nearest point of the carrier open on `first_day` (the run's shipping day) to suggest. Carriers
    without a directory are not judged."""
    chosen: dict[str, PickupPoint] = {}
    gone: dict[str, str] = {}
    for order in orders:
        carrier, point_id = order.carrier, order.pickup_point_id
        if not carrier or not point_id or carrier not in index.by_carrier:
            continue
        point = index.point(carrier, point_id)
        if point is not None:
            chosen[order.order_ref] = point
            continue
        position = index.locate(order.address.country, order.address.postcode, order.address.city)
        near = None if position is None else (position.latitude, position.longitude)
        why = f"pickup point {point_id} is no longer in {carrier}'s directory"
        gone[order.order_ref] = why + replacement(index, order, near, first_day)
    return chosen, gone


def replacement(index: PointIndex, order: Order, near: tuple[float, float] | None, day: date) -> str:
    """'; nearest open: ...' naming the point of the order's carrier nearest `near` that takes its
    weight and opens within the look-ahead from `day` (other than the one chosen), or ''."""
    if near is None or not order.carrier:
        return ""
    at = datetime(day.year, day.month, day.day, 12)
    found = index.nearest(*near, 2, carriers=[order.carrier], weight_g=order.weight_g, at=at)
    other = next((f for f in found if f.point.point_id != order.pickup_point_id), None)
    if other is None:
        return ""
    p, km = other.point, other.distance_m / 1000
    return f"; nearest open: {p.point_id} {p.name}, {p.address}, {p.postcode} {p.city} ({km:.1f} km)"
