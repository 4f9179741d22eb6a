"""The read cache: kept until this process writes, or for at most its ttl."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from airlock.platform.cache import MISSING, ReadCache, cached
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


def test_only_read_transactions_use_it_and_only_writes_drop_it(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/store.db")
    try:
        _, load = counting()
        with db.read() as session:
            assert cached(session, "k", load) == 1
        with db.read() as session:
            assert cached(session, "k", load) == 1
        with db.write() as session:  # sees its own changes: never the cache
            assert cached(session, "k", load) == 2
        with db.read() as session:  # a write that changed nothing leaves it
            assert cached(session, "k", load) == 1
        with db.write() as session:
            session.execute(text("CREATE TABLE t (x INTEGER)"))
        with db.write() as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
        with db.read() as session:
            assert cached(session, "k", load) == 3
    finally:
        db.dispose()


def test_a_write_that_keeps_the_cache(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/store.db")
    try:
        loads, load = counting()
        with db.write() as session:
            session.execute(text("CREATE TABLE metrics (x INTEGER)"))
        with db.read() as session:
            cached(session, "k", load)
        with db.write(keeps_cache=True) as session:
            session.execute(text("INSERT INTO metrics VALUES (1)"))
        with db.read() as session:
            assert cached(session, "k", load) == 1
        assert len(loads) == 1
    finally:
        db.dispose()
