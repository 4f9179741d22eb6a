"""Console sessions kept on the server, and the limit on failed sign-ins.

The browser holds only a random session id (an HttpOnly, SameSite cookie); the
session holds the temporary credentials the console calls Airlock with, the
per-session token every form carries, and the notices to show on the next page.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from airlock.platform.clock import Clock

LIFETIME = timedelta(hours=1)


@dataclass
class Notice:
    """A message for the next page: what happened, or a denial and its explanation."""

    kind: str  # "ok", "error" or "denied"
    text: str
    explanation: list[str] = field(default_factory=list)


@dataclass
class Identity:
    """Who the console acts as: an access key id and how the header names it."""

    access_key_id: str
    arn: str
    account_id: str
    label: str


@dataclass
class ConsoleSession:
    """One signed-in browser."""

    id: str
    csrf_token: str
    home: Identity
    expires_at: datetime
    # The role switched into, if any; calls are made with its credentials.
    role: Identity | None = None
    notices: list[Notice] = field(default_factory=list)
    # IAM asks the user to choose a new password before anything else (a reset one).
    must_change_password: bool = False

    @property
    def acting(self) -> Identity:
        """The identity calls are made as."""
        return self.role or self.home

    def tell(self, kind: str, text: str, explanation: list[str] | None = None) -> None:
        """Queue a notice for the next page."""
        self.notices.append(Notice(kind, text, explanation or []))

    def take_notices(self) -> list[Notice]:
        """The queued notices, once."""
        notices, self.notices = self.notices, []
        return notices


class SessionStore:
    """Sessions by id, each ending at its expiry or at sign-out."""

    def __init__(self, clock: Clock, lifetime: timedelta = LIFETIME) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self._sessions: dict[str, ConsoleSession] = {}
        self._lock = threading.Lock()

    def open(self, home: Identity, not_after: datetime | None = None) -> ConsoleSession:
        """A new session for `home`, ending no later than its credentials do."""
        expires = self.clock.now() + self.lifetime
        if not_after is not None:
            expires = min(expires, not_after)
        session = ConsoleSession(
            id=secrets.token_urlsafe(32),
            csrf_token=secrets.token_urlsafe(32),
            home=home,
            expires_at=expires,
        )
        with self._lock:
            self._forget_expired()
            self._sessions[session.id] = session
        return session

    def _forget_expired(self) -> None:
        """Drop every ended session (called with the lock held, at each sign-in)."""
        now = self.clock.now()
        for ended in [k for k, v in self._sessions.items() if now >= v.expires_at]:
            del self._sessions[ended]

    def get(self, session_id: str | None) -> ConsoleSession | None:
        """The live session of an id; an expired one is forgotten."""
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if self.clock.now() >= session.expires_at:
                del self._sessions[session_id]
                return None
            return session

    def close(self, session_id: str) -> None:
        """End a session (sign-out)."""
        with self._lock:
            self._sessions.pop(session_id, None)


class SignInLimiter:
    """At most `limit` failed sign-ins per user and source address within `window`.

    A source address also has a wider limit across user names, so guessing many names
    from one place is slowed as much as guessing one user's password.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        limit: int = 5,
        per_source: int = 20,
        window: timedelta = timedelta(minutes=5),
    ) -> None:
        self.clock = clock
        self.limit = limit
        self.per_source = per_source
        self.window = window
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[datetime]:
        times = self._failures.setdefault(key, deque())
        cutoff = self.clock.now() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        return times

    def _tidy(self) -> None:
        """Forget keys whose failures are all older than the window (lock held)."""
        cutoff = self.clock.now() - self.window
        for key in [k for k, times in self._failures.items() if not times or times[-1] <= cutoff]:
            del self._failures[key]

    def retry_after(self, user: str, source: str) -> int | None:
        """Seconds until `user` may try again from `source`, or None when they may now."""
        with self._lock:
            pairs = (
                (("user", f"{user}|{source}"), self.limit),
                (("source", source), self.per_source),
            )
            waits = []
            for key, limit in pairs:
                times = self._recent(key)
                if len(times) >= limit:
                    ends = times[0] + self.window - self.clock.now()
                    waits.append(max(1, int(ends.total_seconds()) + 1))
            return max(waits) if waits else None

    def failed(self, user: str, source: str) -> None:
        """Count a failed sign-in."""
        now = self.clock.now()
        with self._lock:
            self._tidy()
            self._recent(("user", f"{user}|{source}")).append(now)
            self._recent(("source", source)).append(now)

    def succeeded(self, user: str, source: str) -> None:
        """A successful sign-in clears the user's failures from that source."""
        with self._lock:
            self._failures.pop(("user", f"{user}|{source}"), None)
