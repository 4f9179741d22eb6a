"""Migrated stores for tests, made once per test process and copied for each server.

Every server a test starts migrates its store from nothing: 35 migrations, about a
second on SQLite and three on PostgreSQL, and the suite starts over a thousand servers.
The migrations run once per process here, into a template; each new state dir gets a
copy of the SQLite file and each new PostgreSQL schema the template's dump. The server
still runs `migrate` when it starts, which finds the store at the newest revision.

A PostgreSQL schema a test is done with is emptied and kept for the process's next test:
creating a schema's tables and dropping them costs PostgreSQL far more (a file, and
catalog rows, for every table and index) than deleting the few rows a test leaves.
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
_clean_schemas: list[str] = []  # migrated schemas of this process no test uses now
_pool_registered = False  # whether the exit drops what is left in _clean_schemas


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


def new_postgres_schema(plain_url: str) -> str:
    """An empty schema of a new name."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(plain_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema


def drop_postgres_schema(plain_url: str, schema: str) -> None:
    """Drop a schema and all it holds."""
    with psycopg.connect(plain_url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def take_postgres_schema(plain_url: str) -> str:
    """A migrated schema with no rows but its revision: a clean one of the pool, or new."""
    global _pool_registered
    with _lock:
        if _clean_schemas:
            return _clean_schemas.pop()
        if not _pool_registered:
            atexit.register(_drop_pool, plain_url)
            _pool_registered = True
    schema = new_postgres_schema(plain_url)
    try:
        fill_postgres_schema(plain_url, schema)
    except BaseException:
        drop_postgres_schema(plain_url, schema)
        raise
    return schema


def give_back_postgres_schema(plain_url: str, schema: str) -> None:
    """Empty a schema a test is done with and keep it for the next; drop it if that fails.

    Every table loses its rows but the schema's revision (foreign keys are not checked:
    every row goes), and every sequence starts again where a new one would.
    """
    try:
        with psycopg.connect(plain_url, autocommit=True) as conn:
            conn.execute("SET synchronous_commit = off")
            conn.execute("SET lock_timeout = '10s'")
            with conn.transaction():
                conn.execute("SET LOCAL session_replication_role = replica")
                tables = conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = %s"
                    " AND tablename <> 'alembic_version'",
                    (schema,),
                ).fetchall()
                if tables:
                    conn.execute("".join(f'DELETE FROM "{schema}"."{t}";' for (t,) in tables))
                conn.execute(
                    "SELECT setval(format('%%I.%%I', schemaname, sequencename), start_value,"
                    " false) FROM pg_sequences WHERE schemaname = %s",
                    (schema,),
                )
    except psycopg.Error:
        drop_postgres_schema(plain_url, schema)
        return
    with _lock:
        _clean_schemas.append(schema)


def _drop_pool(plain_url: str) -> None:
    with _lock:
        schemas, _clean_schemas[:] = list(_clean_schemas), []
    for schema in schemas:
        drop_postgres_schema(plain_url, schema)


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
