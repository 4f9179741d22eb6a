"""The migrations, run from an empty store, make exactly the tables the models declare.

Other tests start from a copy of a store migrated once per process (tests.stores); this
is where the migrations themselves run from nothing, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import airlock
from airlock.models import metadata
from airlock.platform.db import Database, migrate, migration_config, newest_revision
from tests.support import postgres_schema

MIGRATIONS = Path(airlock.__file__).parent / "migrations" / "versions"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A store with no tables at all."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'airlock.db'}")
        yield database
        database.dispose()
        return
    with postgres_schema(migrated=False) as url:
        database = Database(url)
        yield database
        database.dispose()


def test_migrations_from_nothing_match_the_models(empty_store: Database) -> None:
    with empty_store.engine.connect() as connection:
        assert inspect(connection).get_table_names() == []
    migrate(empty_store)
    with empty_store.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert set(metadata.tables) <= tables
    assert "alembic_version" in tables
    assert differences == [], differences


def test_a_store_behind_the_newest_revision_is_brought_up(empty_store: Database) -> None:
    """A start finds a store at the newest revision and loads no migration; one revision
    behind, it runs the newest migration again."""
    from alembic import command

    migrate(empty_store)
    newest = newest_revision()
    assert newest == sorted(p.name for p in MIGRATIONS.glob("0*.py"))[-1].split("_")[0]
    config = migration_config()
    with empty_store.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
        connection.commit()
        behind = MigrationContext.configure(connection).get_current_revision()
    assert behind is not None and behind != newest
    migrate(empty_store)
    with empty_store.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == newest
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == [], differences
