"""The migrations build exactly the schema the code maps, from an empty database, both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from tms.persistence.migrate import alembic_config, current, downgrade, upgrade
from tms.persistence.tables import Base


def _head(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def _schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_upgrading_an_empty_database_to_head_gives_the_mapped_schema(engine: Engine, database_url: str) -> None:
    downgrade(database_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert current(database_url) is None

    upgrade(database_url)

    assert current(database_url) == _head(database_url)
    assert {t.name for t in Base.metadata.sorted_tables} <= set(inspect(engine).get_table_names())
    assert _schema_differences(engine) == []


def test_a_fresh_sqlite_file_migrates_to_head(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade(url)
    assert current(url) == _head(url)


def test_shipments_made_before_0012_get_a_token_their_parcels_indexed_and_their_promise(
    engine: Engine, database_url: str
) -> None:
    """Rows written by the code, the 0012 columns and table dropped (down to 0011), then 0012 again:
    what it backfills is what the code would have written."""
    from datetime import date

    from tests.integration.test_unit_of_work_contract import NOW, add_card, add_run, an_order
    from tms.persistence.db import make_session_factory
    from tms.persistence.unit_of_work import SqlUnitOfWork

    url = database_url  # SQLite, or PostgreSQL in CI
    try:
        factory = make_session_factory(engine)
        with SqlUnitOfWork(factory) as uow:
            uow.carriers.ensure("colissimo", "Colissimo", NOW)
            run = uow.runs.get(add_run(uow, date(2026, 3, 3), add_card(uow).id))
            assert run is not None
            shipment_id = run["shipments"][0]["id"]
            for ref, by in (("A-1", date(2026, 3, 9)), ("A-2", date(2026, 3, 6))):
                uow.orders.add(an_order(ref, deliver_by=by), NOW)
            uow.orders.plan(["A-1", "A-2"], run["id"], shipment_id)
            uow.shipments.dispatch(shipment_id, ["6A1", "6A2"], NOW)
            uow.commit()
        downgrade(url, "0011")
        assert "shipment_parcels" not in inspect(engine).get_table_names()
        upgrade(url)
        with SqlUnitOfWork(factory) as uow:
            found = uow.shipments.by_tracking_number("colissimo", "6A2")
            assert found is not None and found.id == shipment_id
            assert found.promised_by == date(2026, 3, 6)  # the earliest promise of its orders
            assert len(found.tracking_token) == 32 and uow.shipments.by_token(found.tracking_token) == found
    finally:
        upgrade(url)
        with engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
