"""Values derived from committed rows, kept between read transactions.

Every request of the data plane (InvokeEndpoint, GetObject) needs the same
standing facts: whose an access key is, the caller's policies and organization,
where an endpoint is. Reading them anew each time costs more than the request's
own work, so read transactions keep them here:

- a write committed by this process to a table a cached value is read from
  (`reads_from`) drops every entry at once (`bump`), so a change made through
  this server applies to the next request; the engines' and the trail's own
  rows (an action's progress, a build's log, an audit event) leave it valid;
- a write of another process sharing the database (several hosts on
  PostgreSQL) is seen within `ttl` seconds, as AWS's own IAM changes
  propagate: eventually, within seconds.

A write transaction uses it only until it changes a row: from then on it must
see its own uncommitted changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

# In a transaction's info: the cache its reads may use.
CACHE = "airlock.read_cache"
# In a write transaction's info: it changed a row (flushed, or ran a statement other than
# SELECT); it reads past the cache from then on.
WROTE = "airlock.wrote"
# The tables (or, ending in "_", the prefixes of the tables) cached values are read from.
_SOURCES: set[str] = set()


def reads_from(*tables: str) -> None:
    """Declare tables a cached value is read from: a committed write to one drops the cache.

    A name ending in "_" stands for every table it begins (`"iam_"`).
    """
    _SOURCES.update(tables)


def is_source(table: str) -> bool:
    """Whether a cached value may be read from the table."""
    return any(table == s or (s.endswith("_") and table.startswith(s)) for s in _SOURCES)


# What `peek` answers for a key that holds no fresh value.
MISSING = object()


class ReadCache:
    """A bounded map of derived values, each tagged with the write generation it was read in."""

    def __init__(self, ttl: float = 1.0, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self.generation = 0
        self._entries: dict[Hashable, tuple[Any, int, float]] = {}
        self._lock = threading.Lock()

    def bump(self) -> None:
        """A write committed: every entry read before it is stale."""
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def peek(self, key: Hashable) -> object:
        """The fresh value kept for `key`, or MISSING: never reads the database.

        The event loop's fast path asks this; on MISSING it takes the full path,
        whose read transaction loads the value for the calls after it.
        """
        entry = self._entries.get(key)
        if entry is None or entry[1] != self.generation or time.monotonic() - entry[2] >= self.ttl:
            return MISSING
        return entry[0]

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The value for `key`: kept if still fresh, else `load()`ed and kept.

        The generation is taken before loading, so a write that commits while
        the value is read makes it stale rather than kept as current.
        """
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[1] == self.generation and now - entry[2] < self.ttl:
            value: T = entry[0]
            return value
        generation = self.generation
        value = load()
        with self._lock:
            if generation == self.generation:
                if len(self._entries) >= self.size:
                    self._entries.clear()
                self._entries[key] = (value, generation, now)
        return value


def cached(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """`load()` through the session's cache, when it has one and has changed nothing yet."""
    cache = session.info.get(CACHE)
    if cache is None or session.info.get(WROTE) or session.new or session.dirty or session.deleted:
        return load()
    result: T = cache.get(key, load)
    return result
