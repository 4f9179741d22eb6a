"""The one lifecycle mechanism: durable tasks advanced by controller steps.

Long work (account creation, training jobs, deployments, event delivery) is a
row with a status owned by its service plus a task row here. A controller step
runs inside one write transaction together with the task's completion, so a
crash either keeps the task due (nothing happened) or removes it (all of it
happened): restart resumes every unfinished task, never duplicates a step.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from airlock.platform.clock import Clock
from airlock.platform.db import Base, Database

log = logging.getLogger("airlock.tasks")

# Set in a session's info when it enqueued work, so the controllers are woken
# once the transaction commits.
TASKS_ENQUEUED = "airlock.tasks_enqueued"


class Task(Base):
    """A unit of pending work: which controller (`kind`), for which resource (`key`)."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(512))
    due_at: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_error: Mapped[str | None] = mapped_column(String(2000), default=None)


@dataclass(frozen=True)
class Done:
    """The step finished the task."""


@dataclass(frozen=True)
class Again:
    """The step made progress; run it again at `at` (or at once)."""

    at: datetime | None = None


StepResult = Done | Again
Step = Callable[[Session, Task], StepResult]


def enqueue(
    session: Session,
    clock: Clock,
    kind: str,
    key: str,
    *,
    payload: dict[str, Any] | None = None,
    due_at: datetime | None = None,
) -> None:
    """Schedule work in the caller's transaction (so it exists iff the caller commits)."""
    session.info[TASKS_ENQUEUED] = True
    existing = session.scalars(select(Task).where(Task.kind == kind, Task.key == key)).first()
    when = due_at or clock.now()
    if existing is not None:
        existing.due_at = min(existing.due_at, when)
        return
    session.add(Task(kind=kind, key=key, due_at=when, attempts=0, payload=payload or {}))


class Controllers:
    """Runs registered steps for due tasks, in a background thread or on demand."""

    def __init__(self, db: Database, clock: Clock, *, poll_seconds: float = 0.25) -> None:
        self._db = db
        self._clock = clock
        self._steps: dict[str, Step] = {}
        self._poll = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self, kind: str, step: Step) -> None:
        """Name the step function that advances tasks of `kind`."""
        self._steps[kind] = step

    def wake(self) -> None:
        """Tell the worker that new work may be due."""
        self._wake.set()

    def run_once(self) -> bool:
        """Claim and advance one due task; False when none was due."""
        with self._db.write() as session:
            query = (
                select(Task)
                .where(Task.due_at <= self._clock.now(), Task.kind.in_(list(self._steps)))
                .order_by(Task.due_at, Task.id)
                .limit(1)
            )
            if not self._db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            task = session.scalars(query).first()
            if task is None:
                return False
            step = self._steps[task.kind]
            task.attempts += 1
            try:
                with session.begin_nested():
                    result = step(session, task)
            except Exception as exc:  # a failed step is retried with backoff
                log.exception("step %s %s failed (attempt %d)", task.kind, task.key, task.attempts)
                delay = min(300.0, 0.5 * 2 ** min(task.attempts, 10))
                task.due_at = self._clock.now() + timedelta(seconds=delay)
                task.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                return True
            if isinstance(result, Done):
                session.delete(task)
            else:
                task.due_at = result.at or self._clock.now()
            return True

    def run_until_idle(self, max_steps: int = 10_000) -> int:
        """Advance due tasks until none is due; returns how many steps ran."""
        count = 0
        while count < max_steps and self.run_once():
            count += 1
        return count

    def start(self) -> None:
        """Start the background worker thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="airlock-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker and wait for the step in progress to finish."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:
                log.exception("controller loop error")
                worked = False
            if not worked:
                self._wake.wait(self._poll)
                self._wake.clear()
