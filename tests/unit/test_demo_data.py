"""The demo loads every demo carrier's card and pickup-point directory, once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.fakes import FakeStore
from tms.domain.pickup_points import DirectoryStatus
from tms.services.demo import load_demo
from tms.services.pickup_points import load_point_index

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_demo_puts_each_carriers_points_in_use_and_a_second_load_changes_nothing() -> None:
    store = FakeStore()
    first = load_demo(store.uow, DEMO, NOW)
    carriers = sorted(p.stem for p in (DEMO / "pickup").glob("*.csv"))
    assert carriers == sorted(p.stem for p in DEMO.glob("*.json"))  # a directory for every demo carrier
    with store.uow() as uow:
        active = uow.pickup_directories.list(statuses=[DirectoryStatus.ACTIVE])
    assert sorted(r.carrier_code for r in active) == carriers
    index = load_point_index(store.uow())
    assert sorted(index.by_carrier) == carriers
    ajaccio = index.locate("FR", "20000", "Ajaccio")  # Corsica has points too
    assert ajaccio is not None and 41.8 < ajaccio.latitude < 42.1

    second = load_demo(store.uow, DEMO, NOW)
    assert sum("already loaded" in line for line in second.lines) == len(first.lines)
    with store.uow() as uow:
        assert len(uow.pickup_directories.list()) == len(carriers)
