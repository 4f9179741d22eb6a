"""The read cache: kept until this process writes a table it is read from, or for its ttl."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from airlock.platform.cache import MISSING, ReadCache, cached, reads_from
from airlock.platform.db import Database


def counting() -> tuple[list[int], Callable[[], int]]:
    loads: list[int] = []

    def load() -> int:
        loads.append(len(loads))
        return len(loads)

    return loads, load


def test_kept_until_a_write_commits() -> None:
    cache = ReadCache(ttl=3600)
    loads, load = counting()
    assert cache.peek("k") is MISSING
    assert cache.get("k", load) == 1
    assert cache.get("k", load) == 1
    assert cache.peek("k") == 1
    cache.bump()
    assert cache.peek("k") is MISSING
    assert cache.get("k", load) == 2
    assert len(loads) == 2


def test_a_write_during_the_load_keeps_nothing() -> None:
    cache = ReadCache(ttl=3600)

    def load_while_another_thread_commits() -> str:
        cache.bump()
        return "read before the commit"

    assert cache.get("k", load_while_another_thread_commits) == "read before the commit"
    assert cache.peek("k") is MISSING


def test_nothing_is_kept_past_the_ttl() -> None:
    cache = ReadCache(ttl=0)  # every value is already as old as the ttl allows
    loads, load = counting()
    cache.get("k", load)
    cache.get("k", load)
    assert cache.peek("k") is MISSING
    assert len(loads) == 2


def test_full_cache_starts_over() -> None:
    cache = ReadCache(ttl=3600, size=2)
    for key in ("a", "b", "c"):
        cache.get(key, key.upper)
    assert [cache.peek(k) for k in ("a", "b", "c")] == [MISSING, MISSING, "C"]


def test_a_write_uses_it_until_it_changes_a_row_and_a_write_drops_it(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/store.db")
    try:
        _, load = counting()
        with db.read() as session:
            assert cached(session, "k", load) == 1
        with db.read() as session:
            assert cached(session, "k", load) == 1
        with db.write() as session:
            session.execute(text("CREATE TABLE t (x INTEGER)"))
        with db.read() as session:  # a statement that names no table may change any
            assert cached(session, "k", load) == 2
        with db.write() as session:
            assert cached(session, "k", load) == 2  # nothing changed yet: the cache
            session.execute(text("INSERT INTO t VALUES (1)"))
            assert cached(session, "k", load) == 3  # sees its own changes: never the cache
        with db.read() as session:
            assert cached(session, "k", load) == 4
        with db.write() as session:  # a write that changed nothing leaves it
            session.execute(select(text("x")).select_from(text("t")))
        with db.read() as session:
            assert cached(session, "k", load) == 4
    finally:
        db.dispose()


class _Base(DeclarativeBase):
    pass


class _Source(_Base):
    __tablename__ = "cachetest_source_rows"
    id: Mapped[int] = mapped_column(primary_key=True)


class _Progress(_Base):
    __tablename__ = "cachetest_progress"
    id: Mapped[int] = mapped_column(primary_key=True)


reads_from("cachetest_source_")


def test_only_writes_to_the_tables_it_is_read_from_drop_it(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/store.db")
    try:
        _Base.metadata.create_all(db.engine)
        _, load = counting()

        def value() -> int:
            with db.read() as session:
                return cached(session, "k", load)

        assert value() == 1
        with db.write() as session:  # an engine's progress, flushed
            session.add(_Progress(id=1))
        with db.write() as session:  # and as a statement
            session.execute(update(_Progress).values(id=2))
        assert value() == 1
        with db.write() as session:
            session.add(_Source(id=1))
        assert value() == 2
        with db.write() as session:
            session.execute(delete(_Source))
        assert value() == 3
        with db.write() as session:  # a flush of both tables
            session.add_all([_Progress(id=3), _Source(id=2)])
        assert value() == 4
        with db.write() as session:
            session.delete(session.get(_Source, 2))
        assert value() == 5
    finally:
        db.dispose()
