"""The delivery worker: at-least-once delivery from the outbox, with retries and dead letters.

Deliveries are rows written in the same transaction as the event that caused
them. The worker leases due rows in a short transaction, delivers each in a
thread pool outside any transaction (a slow HTTP endpoint holds no database
lock), then records the outcome in another short transaction: delivered,
retried later with exponential backoff within the target's RetryPolicy, or
failed and sent to the dead-letter destination with the reason. At most
`PER_TARGET` deliveries of one target are in flight, so a target that is down
never starves the others. Scheduled rules fire from the same loop. A lease
that outlives a crash expires, so a restart delivers what was in flight again
(with the same event id: consumers de-duplicate on it).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from airlock.platform.loop import BackgroundLoop

from .models import Delivery, Event, EventBus, Rule
from .schedule import InvalidSchedule, parse_schedule
from .service import ENABLED_STATES, EventsService, new_event
from .targets import Attempt, DeliveryFailure, Throttled, kind_for, write_log_line

log = logging.getLogger("airlock.events")

THREADS = 16
PER_TARGET = 8
LEASE = timedelta(seconds=120)
IDLE_WAIT_SECONDS = 1.0
DEFAULT_RETRIES = 185
DEFAULT_MAX_AGE = 86400
MAX_BACKOFF_SECONDS = 300.0


def backoff(attempts: int) -> timedelta:
    """The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s … up to five minutes."""
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, attempts - 1)))


class DeliveryWorker(BackgroundLoop):
    """Delivers pending events and fires scheduled rules, in background threads."""

    name = "airlock-events"

    def __init__(self, platform: Any) -> None:
        super().__init__()
        self.platform = platform
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()

    def on_start(self) -> None:
        """Release leases a previous process held; start the delivery threads."""
        with self.platform.db.write() as session:
            for delivery in session.scalars(
                select(Delivery).where(
                    Delivery.status == "PENDING", Delivery.leased_until.is_not(None)
                )
            ):
                delivery.leased_until = None
        self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="airlock-delivery")

    def on_stop(self) -> None:
        """Wait for deliveries in progress."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def tick(self) -> float:
        self.fire_schedules()
        claimed, busy = self._claim()
        for attempt in claimed:
            assert self._pool is not None
            self._pool.submit(self._run, attempt)
        if claimed:
            return 0.0
        # Every due delivery waits for a free slot: a finishing one wakes the loop.
        return IDLE_WAIT_SECONDS if busy else self._idle_wait()

    def _idle_wait(self) -> float:
        with self.platform.db.read() as session:
            due = session.scalar(
                select(Delivery.due_at)
                .where(Delivery.status == "PENDING", Delivery.leased_until.is_(None))
                .order_by(Delivery.due_at)
                .limit(1)
            )
        if due is None:
            return IDLE_WAIT_SECONDS
        wait = (due - self.platform.clock.now()).total_seconds()
        return float(max(0.01, min(IDLE_WAIT_SECONDS, wait)))

    def _claim(self) -> tuple[list[Attempt], bool]:
        """Lease due deliveries, keeping each target under its in-flight cap.

        Also says whether due deliveries were left for want of a free slot.
        """
        now = self.platform.clock.now()
        with self._lock:
            free = THREADS - sum(self._in_flight.values())
        if free <= 0:
            return [], True
        attempts: list[Attempt] = []
        with self.platform.db.write() as session:
            rows = session.execute(
                select(Delivery, Event.envelope)
                .join(Event, Event.seq == Delivery.event_seq)
                .where(
                    Delivery.status == "PENDING",
                    Delivery.due_at <= now,
                    or_(Delivery.leased_until.is_(None), Delivery.leased_until < now),
                )
                .order_by(Delivery.due_at, Delivery.id)
                .limit(free * 4)
            ).all()
            busy = False
            with self._lock:
                for delivery, envelope in rows:
                    if len(attempts) >= free:
                        busy = True
                        break
                    if self._in_flight[delivery.target_arn] >= PER_TARGET:
                        busy = True
                        continue
                    self._in_flight[delivery.target_arn] += 1
                    delivery.leased_until = now + LEASE
                    attempts.append(
                        Attempt(
                            delivery_id=delivery.id,
                            event=json.loads(envelope),
                            payload=delivery.payload,
                            target=dict(delivery.target),
                            rule_arn=delivery.rule_arn,
                        )
                    )
        return attempts, busy

    def _run(self, attempt: Attempt) -> None:
        try:
            self.deliver(attempt)
        except Exception:
            log.exception("delivery %d could not be recorded", attempt.delivery_id)
        finally:
            with self._lock:
                self._in_flight[attempt.target["Arn"]] -= 1
            self.wake()

    def deliver(self, attempt: Attempt) -> None:
        """One attempt, then its outcome recorded."""
        kind = kind_for(attempt.target["Arn"])
        outcome: tuple[str, str | None]
        try:
            if kind is None:
                raise DeliveryFailure(
                    f"no target kind delivers to {attempt.target['Arn']}", retryable=False
                )
            kind.deliver(self.platform, attempt)
            outcome = ("delivered", None)
        except Throttled as throttled:
            outcome = ("throttled", str(throttled.seconds))
        except DeliveryFailure as failure:
            outcome = ("retry" if failure.retryable else "failed", str(failure))
        except Exception as error:  # a bug in a kind: retried, and logged
            log.exception("target kind failed on delivery %d", attempt.delivery_id)
            outcome = ("retry", f"{type(error).__name__}: {error}")
        self._record(attempt, *outcome)

    def _record(self, attempt: Attempt, outcome: str, detail: str | None) -> None:
        now = self.platform.clock.now()
        dead_letter = None
        with self.platform.db.write() as session:
            delivery = session.get(Delivery, attempt.delivery_id)
            if delivery is None or delivery.status != "PENDING":
                return
            delivery.leased_until = None
            if outcome == "throttled":
                delivery.due_at = now + timedelta(seconds=float(detail or 0))
                return
            delivery.attempts += 1
            if outcome == "delivered":
                delivery.status, delivery.finished_at, delivery.last_error = "DELIVERED", now, None
                return
            delivery.last_error = (detail or "")[:2000]
            policy = attempt.target.get("RetryPolicy") or {}
            retries = int(policy.get("MaximumRetryAttempts", DEFAULT_RETRIES))
            max_age = int(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE))
            next_at = now + backoff(delivery.attempts)
            too_old = (next_at - delivery.created_at).total_seconds() > max_age
            if outcome == "retry" and delivery.attempts <= retries and not too_old:
                delivery.due_at = next_at
                return
            delivery.status, delivery.finished_at = "FAILED", now
            reason = (
                "MaximumEventAgeExceeded"
                if too_old and outcome == "retry"
                else ("RetriesExhausted" if outcome == "retry" else "NonRetryableError")
            )
            delivery.last_error = f"{reason}: {detail}"[:2000]
            dead_letter = (attempt.target.get("DeadLetterConfig") or {}).get("Arn")
            record = {
                "event": attempt.event,
                "ruleArn": attempt.rule_arn,
                "targetArn": attempt.target["Arn"],
                "targetId": attempt.target.get("Id"),
                "errorCode": reason,
                "errorMessage": detail,
                "attempts": delivery.attempts,
            }
        if dead_letter:
            self._dead_letter(dead_letter, record)

    def _dead_letter(self, arn: str, record: dict[str, Any]) -> None:
        """Write a failed delivery to its dead-letter log group (the row stays FAILED anyway)."""
        parts = arn.split(":")
        if arn.startswith("arn:aws:logs:") and len(parts) >= 7:
            try:
                write_log_line(
                    self.platform,
                    parts[4],
                    parts[3],
                    parts[6],
                    "dead-letters",
                    json.dumps(record),
                )
            except DeliveryFailure:
                log.warning("dead-letter log group %s is gone; the failure stays in the table", arn)
        else:
            log.warning("dead-letter destination %s is not a log group; kept in the table", arn)

    def fire_schedules(self) -> int:
        """Fire every scheduled rule that is due; how many fired."""
        now = self.platform.clock.now()
        fired = 0
        with self.platform.db.read() as session:  # most loops find nothing due
            if (
                session.scalar(
                    select(Rule.id)
                    .where(Rule.next_fire_at.is_not(None), Rule.next_fire_at <= now)
                    .limit(1)
                )
                is None
            ):
                return 0
        with self.platform.db.write() as session:
            due = session.execute(
                select(Rule, EventBus)
                .join(EventBus, EventBus.id == Rule.bus_id)
                .where(Rule.next_fire_at.is_not(None), Rule.next_fire_at <= now)
            ).all()
            svc = EventsService(session, self.platform.clock)
            for rule, bus in due:
                assert rule.schedule is not None and rule.next_fire_at is not None
                scheduled_for: datetime = rule.next_fire_at
                try:
                    rule.next_fire_at = parse_schedule(rule.schedule).next_after(
                        now, since=scheduled_for
                    )
                except InvalidSchedule:
                    rule.next_fire_at = None
                if rule.state not in ENABLED_STATES:
                    continue
                envelope = new_event(
                    account=bus.account_id,
                    region=bus.region,
                    source="aws.events",
                    detail_type="Scheduled Event",
                    detail={},
                    resources=[rule.arn],
                    time=scheduled_for,
                )
                event = Event(
                    id=envelope["id"], bus_id=bus.id, envelope=json.dumps(envelope), received_at=now
                )
                session.add(event)
                session.flush()
                svc.deliver_to_targets(event, envelope, rule)
                fired += 1
        return fired
