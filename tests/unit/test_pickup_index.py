"""The in-memory pickup-point index: a worker re-reads only the directories activated since its last
build, and what it keeps is what is in use (a retired or replaced version is gone)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from carriers.points import read_points_csv
from tests.fakes import FakeStore
from tms.services.pickup_points import (
    LivePointIndex,
    load_point_index,
    point_index_signature,
    retire_directory,
    store_directory,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HEADER = "id,name,address,postcode,city,country,latitude,longitude\n"
LYON = HEADER + "L1,Tabac,1 rue A,69002,Lyon,FR,45.7600,4.8357\nL2,Presse,2 rue B,69003,Lyon,FR,45.7606,4.8594\n"
PARIS = HEADER + "P1,Tabac,1 rue C,75001,Paris,FR,48.8600,2.3400\n"


class CountingStore:
    """A fake store whose directory reads count the points documents they hand out."""

    def __init__(self) -> None:
        self.store = FakeStore()
        self.documents_read = 0

    def uow(self):  # type: ignore[no-untyped-def]
        uow = self.store.uow()
        directories = uow.pickup_directories
        read = directories.active_with_points

        def counted(*, except_ids=()):  # type: ignore[no-untyped-def]
            records = read(except_ids=except_ids)
            self.documents_read += sum(1 for r in records if r.document)
            return records

        directories.active_with_points = counted  # type: ignore[method-assign]
        return uow


def upload(store: CountingStore, carrier: str, text: str) -> int:
    directory = read_points_csv(text.encode())
    record = store_directory(
        store.uow(),
        carrier,
        directory,
        source_format="csv",
        source_name="x.csv",
        uploaded_by="m",
        activate=True,
        now=NOW,
    ).record
    return record.id


@pytest.fixture()
def live() -> Iterator[Callable[[CountingStore], LivePointIndex]]:
    """`live(store)`: a LivePointIndex over the store, rebuilt by the test's own `refresh` calls alone
    (its watcher waits an hour, so no rebuild of its own adds to the documents read), stopped after."""
    made: list[LivePointIndex] = []

    def make(store: CountingStore) -> LivePointIndex:
        made.append(
            LivePointIndex(
                load=lambda known: load_point_index(store.uow(), known),
                signature=lambda: point_index_signature(store.uow()),
                poll_s=3600,
            )
        )
        return made[-1]

    yield make
    for index in made:
        index.stop()


def point_ids(index: LivePointIndex, carrier: str) -> list[str]:
    return [p.point_id for p in index.current().by_carrier[carrier].points]


def test_a_new_directory_is_read_alone_and_the_others_are_kept_as_they_were(
    live: Callable[[CountingStore], LivePointIndex],
) -> None:
    store = CountingStore()
    with store.store.uow() as uow:
        for code in ("colissimo", "dpd"):
            uow.carriers.ensure(code, code, NOW)
        uow.commit()
    upload(store, "colissimo", LYON)
    index = live(store)
    first = index.current()
    assert store.documents_read == 1
    colissimo = first.by_carrier["colissimo"]

    upload(store, "dpd", PARIS)
    index.refresh()
    second = index.current()
    assert store.documents_read == 2  # dpd's only: colissimo's points were kept
    assert second.by_carrier["colissimo"] is colissimo
    assert sorted(second.by_carrier) == ["colissimo", "dpd"]
    assert second.locate("FR", "75001", None) is not None  # place positions from every carrier kept
    assert second.locate("FR", "69002", None) is not None

    replaced = upload(store, "colissimo", PARIS)  # a new version replaces the one in use
    index.refresh()
    assert store.documents_read == 3
    assert index.current().by_carrier["colissimo"].directory_id == replaced
    assert point_ids(index, "colissimo") == ["P1"]

    retire_directory(store.uow(), replaced, NOW)
    index.refresh()
    assert "colissimo" not in index.current().by_carrier
    assert store.documents_read == 3
    assert index.current().locate("FR", "69002", None) is None  # Lyon's points were colissimo's alone


def test_the_worker_that_stores_a_directory_indexes_the_points_it_read_without_reading_them_back(
    live: Callable[[CountingStore], LivePointIndex],
) -> None:
    store = CountingStore()
    with store.store.uow() as uow:
        uow.carriers.ensure("dpd", "dpd", NOW)
        uow.commit()
    index = live(store)
    index.current()
    directory = read_points_csv(PARIS.encode())
    record = store_directory(
        store.uow(), "dpd", directory, source_format="csv", source_name="x.csv", uploaded_by="m", activate=True, now=NOW
    ).record
    index.refresh((record, directory.points))
    assert store.documents_read == 0
    assert point_ids(index, "dpd") == ["P1"]
    assert index.current().by_carrier["dpd"].directory_id == record.id
