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
