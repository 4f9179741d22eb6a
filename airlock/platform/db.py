"""The relational store: one engine per Airlock instance, migrations at start-up.

SQLite (WAL) is the embedded default; PostgreSQL is chosen by URL. Every unit of
work is one transaction from `Database.write()` or `Database.read()`: an
exception rolls it back, so a rejected call changes no state.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, object_mapper, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from .cache import CACHE, WROTE, ReadCache, is_source

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always read back timezone-aware.

    SQLite has no time zones; without this, values would come back naive.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base shared by every service's tables (one metadata, one migration line)."""

    metadata = MetaData(naming_convention=_NAMING)
    type_annotation_map = {datetime: UtcDateTime()}


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# In a session's info: the transaction may not write (services that create things
# lazily, such as an account's default event bus, answer without storing them).
READ_ONLY = "airlock.read_only"
# In a write session's info: the tables it changed rows of; None once a statement changed
# rows of tables it does not name (text), which may be any.
TOUCHED = "airlock.touched"


class Database:
    """Engine plus session factories for read and write transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = _is_sqlite(url)
        if self.is_sqlite:
            self.engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=8,
                max_overflow=8,
            )
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_on_begin)
        else:
            self.engine = create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)
        writer: Engine = self.engine.execution_options(airlock_write=True)
        self._writers: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if self.is_sqlite else contextlib.nullcontext()
        )
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(writer, expire_on_commit=False)
        # Standing facts (keys, policies, endpoints) that read transactions keep.
        self.cache = ReadCache()
        event.listen(self._write, "after_flush", _wrote)
        event.listen(self._write, "do_orm_execute", _wrote_by_statement)
        event.listen(self._write, "after_commit", self._after_write)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that may write; committed on success, rolled back on error.

        On SQLite, writers of this process queue on a lock instead of on SQLite's
        busy handler, which sleeps in growing steps (up to 100 ms) while it waits.
        """
        with self._writers, self._write() as session, session.begin():
            session.info[CACHE] = self.cache  # until it changes a row
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction (never committed; a write inside it is a bug and fails)."""
        with self._read() as session, session.begin():
            session.info[READ_ONLY] = True
            session.info[CACHE] = self.cache
            event.listen(session, "before_flush", _refuse_flush)
            yield session
            session.rollback()

    def _after_write(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint released: nothing is committed yet
        # A transaction that only looked (an idle poll), or changed only rows no cached
        # value is read from (audit events, metrics, an engine's progress), leaves what
        # was read valid.
        wrote = session.info.pop(WROTE, False)
        touched = session.info.pop(TOUCHED, set())
        if wrote and (touched is None or any(map(is_source, touched))):
            self.cache.bump()

    def on_commit(self, callback: Callable[[Session], None]) -> None:
        """Run `callback(session)` after every committed write transaction.

        Derived state outside the database (profiles, controller wake-ups) is
        updated only once the change it reflects is durable.
        """

        def after_commit(session: Session) -> None:
            # SQLAlchemy fires after_commit for a released savepoint too (a controller
            # step runs in one), before the outer transaction commits: what the callback
            # derives (profiles, blob deletions, wake-ups) would not see the change yet.
            if not session.in_nested_transaction():
                callback(session)

        event.listen(self._write, "after_commit", after_commit)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _touch(session: Session, tables: Iterable[str] | None) -> None:
    session.info[WROTE] = True
    touched = session.info.setdefault(TOUCHED, set())
    if tables is None:
        session.info[TOUCHED] = None
    elif touched is not None:
        touched.update(tables)


def _wrote(session: Session, context: Any) -> None:
    # After a flush, new, dirty and deleted still list what it wrote.
    changed = (*session.new, *session.dirty, *session.deleted)
    _touch(session, (t.name for o in changed for t in object_mapper(o).tables))


def _wrote_by_statement(state: ORMExecuteState) -> None:
    if not state.is_select:  # an INSERT, UPDATE, DELETE, or text that may be one
        name = getattr(getattr(state.statement, "table", None), "name", None)
        _touch(state.session, (name,) if isinstance(name, str) else None)


def _refuse_flush(session: Session, context: Any, instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError(
            "a read-only transaction tried to write; declare the operation readonly=False"
        )


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit BEGIN
    # would defer locking and let two writers deadlock on upgrade).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a process crash; only power loss may drop the
    # last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # Writers take the database lock up front so busy_timeout applies instead of
    # failing with SQLITE_BUSY when a read transaction tries to upgrade.
    write = conn.get_execution_options().get("airlock_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def migration_config() -> Any:
    """Alembic's configuration for Airlock's migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    return config


@functools.cache
def newest_revision() -> str | None:
    """The head of the migration chain (read once: it loads every migration's file)."""
    from alembic.script import ScriptDirectory

    head: str | None = ScriptDirectory.from_config(migration_config()).get_current_head()
    return head


def migrate(database: Database) -> None:
    """Bring the schema up to the newest migration (nothing to load when it is there)."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current is not None and current == newest_revision():
        return
    config = migration_config()
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
