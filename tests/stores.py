"""Migrated stores for tests, made once per test process and copied for each server.

Every server a test starts migrates its store from nothing: 35 migrations, about a
second on SQLite and three on PostgreSQL, and the suite starts over a thousand servers.
The migrations run once per process here, into a template; each new state dir gets a
copy of the SQLite file and each new PostgreSQL schema the template's dump. The server
still runs `migrate` when it starts, which finds the store at the newest revision.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from airlock.platform.db import Database, migrate

_lock = threading.Lock()
_sqlite_template: Path | None = None
_postgres_dump: tuple[str, str] | None = None  # (template schema name, its SQL)


def seed_sqlite(state: Path) -> None:
    """Give a state dir with no store yet a copy of the migrated SQLite template."""
    target = state / "airlock.db"
    if target.exists():
        return
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(_sqlite(), target)


def _sqlite() -> Path:
    global _sqlite_template
    with _lock:
        if _sqlite_template is None:
            folder = Path(tempfile.mkdtemp(prefix="airlock-store-template-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            path = folder / "airlock.db"
            database = Database(f"sqlite:///{path}")
            migrate(database)
            # The last connection's close checkpoints the WAL into the file itself.
            database.engine.dispose()
            _sqlite_template = path
        return _sqlite_template


def fill_postgres_schema(plain_url: str, schema: str) -> bool:
    """Create the migrated tables in an empty schema from the template's dump.

    False when there is no `pg_dump` to make one: the server then migrates the schema.
    """
    made = _postgres(plain_url)
    if made is None:
        return False
    template, sql = made
    with psycopg.connect(plain_url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute(sql.replace(template, schema).encode())
    return True


def _postgres(plain_url: str) -> tuple[str, str] | None:
    global _postgres_dump
    with _lock:
        if _postgres_dump is None:
            dump = shutil.which("pg_dump")
            if dump is None:
                return None
            _postgres_dump = _dump_migrated_schema(dump, plain_url)
        return _postgres_dump


def _dump_migrated_schema(dump: str, plain_url: str) -> tuple[str, str]:
    # A name that appears nowhere else in the dump, so replacing it renames only it.
    template = f"airlock_template_{uuid.uuid4().hex}"
    with psycopg.connect(plain_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{template}"')
    try:
        url = make_url(plain_url).set(drivername="postgresql+psycopg")
        url = url.update_query_dict({"options": f"-csearch_path={template}"})
        database = Database(url.render_as_string(hide_password=False))
        migrate(database)
        database.engine.dispose()
        out = subprocess.run(
            [dump, "--schema", template, "--no-owner", "--no-privileges", "--inserts", plain_url],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
        ).stdout
    finally:
        with psycopg.connect(plain_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{template}" CASCADE')
    # psql's own commands (\restrict …) are not SQL, and the schema is made by the caller.
    lines = [line for line in out.splitlines() if not line.startswith("\\")]
    sql = "\n".join(lines)
    sql = re.sub(rf"^CREATE SCHEMA {template};$", "", sql, flags=re.MULTILINE)
    assert f"CREATE TABLE {template}.alembic_version" in sql, "pg_dump gave no tables"
    return template, sql
