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

from airlock.models import metadata
from airlock.platform.db import Database, migrate
from tests.support import postgres_schema


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
