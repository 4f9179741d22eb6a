"""CloudWatch Logs: groups, streams, events, retention, and an append API for services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from airlock.core.errors import ClientFault
from airlock.platform.clock import Clock

from .models import LogEvent, LogGroup, LogStream, LogTag
from .patterns import compile_pattern

RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26  # bytes AWS adds to every message when sizing a batch
TOO_OLD = timedelta(days=14)
TOO_NEW = timedelta(hours=2)


class ResourceNotFound(ClientFault):
    """`ResourceNotFoundException`."""

    code = "ResourceNotFoundException"


class ResourceAlreadyExists(ClientFault):
    """`ResourceAlreadyExistsException`."""

    code = "ResourceAlreadyExistsException"


class InvalidParameter(ClientFault):
    """`InvalidParameterException`."""

    code = "InvalidParameterException"


class ValidationException(ClientFault):
    """`ValidationException` (an ARN that names no log group, as AWS words it)."""

    code = "ValidationException"


def ms(moment: datetime) -> int:
    """Milliseconds since the epoch, as Logs counts time."""
    return int(moment.timestamp() * 1000)


class LogsService:
    """Logs of one account and region, in one transaction."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- groups -----------------------------------------------------------

    def create_group(self, account: str, region: str, name: str, tags: dict[str, str]) -> LogGroup:
        """A new log group."""
        if self._group(account, region, name) is not None:
            raise ResourceAlreadyExists("The specified log group already exists")
        group = self._add_group(account, region, name)
        self.tag(group, tags)
        return group

    def _add_group(self, account: str, region: str, name: str) -> LogGroup:
        """Insert a group; a concurrent twin surfaces as the unique index's IntegrityError."""
        group = LogGroup(account_id=account, region=region, name=name, created_at=self.clock.now())
        self.session.add(group)
        self.session.flush()
        return group

    def _group(self, account: str, region: str, name: str) -> LogGroup | None:
        return self.session.scalars(
            select(LogGroup).where(
                LogGroup.account_id == account, LogGroup.region == region, LogGroup.name == name
            )
        ).first()

    def group(self, account: str, region: str, name: str) -> LogGroup:
        """A log group, or ResourceNotFoundException."""
        group = self._group(account, region, name)
        if group is None:
            raise ResourceNotFound("The specified log group does not exist.")
        return group

    def groups(self, account: str, region: str, prefix: str | None) -> Sequence[LogGroup]:
        """Groups by name."""
        query = select(LogGroup).where(LogGroup.account_id == account, LogGroup.region == region)
        if prefix:
            query = query.where(LogGroup.name.startswith(prefix, autoescape=True))
        return self.session.scalars(query.order_by(LogGroup.name)).all()

    def delete_group(self, group: LogGroup) -> None:
        """Delete a group with its streams and events."""
        streams = select(LogStream.id).where(LogStream.group_id == group.id)
        self.session.execute(delete(LogEvent).where(LogEvent.stream_id.in_(streams)))
        self.session.execute(delete(LogStream).where(LogStream.group_id == group.id))
        self.session.execute(delete(LogTag).where(LogTag.group_id == group.id))
        self.session.delete(group)
        self.session.flush()

    def put_retention(self, group: LogGroup, days: int | None) -> None:
        """Keep events for `days` (None: forever); older events are deleted now."""
        if days is not None and days not in RETENTION_DAYS:
            raise InvalidParameter(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to "
                f"satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(str(d) for d in RETENTION_DAYS)}]"
            )
        group.retention_days = days
        self.expire(group)

    def expire(self, group: LogGroup) -> None:
        """Delete the group's events older than its retention."""
        if group.retention_days is None:
            return
        cutoff = ms(self.clock.now() - timedelta(days=group.retention_days))
        streams = select(LogStream.id).where(LogStream.group_id == group.id)
        self.session.execute(
            delete(LogEvent).where(LogEvent.stream_id.in_(streams), LogEvent.timestamp_ms < cutoff)
        )

    def stored_bytes(self, group: LogGroup) -> int:
        """Bytes stored by the group's streams."""
        return int(
            self.session.scalar(
                select(func.coalesce(func.sum(LogStream.stored_bytes), 0)).where(
                    LogStream.group_id == group.id
                )
            )
            or 0
        )

    # -- tags -------------------------------------------------------------

    def tag(self, group: LogGroup, tags: dict[str, str]) -> None:
        """Add or overwrite tags."""
        for key, value in tags.items():
            row = self.session.get(LogTag, (group.id, key))
            if row is None:
                self.session.add(LogTag(group_id=group.id, key=key, value=value))
            else:
                row.value = value
        self.session.flush()

    def untag(self, group: LogGroup, keys: list[str]) -> None:
        """Remove tags."""
        self.session.execute(
            delete(LogTag).where(LogTag.group_id == group.id, LogTag.key.in_(keys))
        )

    def tags(self, group: LogGroup) -> dict[str, str]:
        """The group's tags."""
        rows = self.session.scalars(select(LogTag).where(LogTag.group_id == group.id))
        return {r.key: r.value for r in rows}

    # -- streams ----------------------------------------------------------

    def create_stream(self, group: LogGroup, name: str) -> LogStream:
        """A new stream in a group."""
        if self._stream(group, name) is not None:
            raise ResourceAlreadyExists("The specified log stream already exists")
        return self._add_stream(group, name)

    def _add_stream(self, group: LogGroup, name: str) -> LogStream:
        stream = LogStream(group_id=group.id, name=name, created_at=self.clock.now())
        self.session.add(stream)
        self.session.flush()
        return stream

    def _stream(self, group: LogGroup, name: str) -> LogStream | None:
        return self.session.scalars(
            select(LogStream).where(LogStream.group_id == group.id, LogStream.name == name)
        ).first()

    def stream(self, group: LogGroup, name: str) -> LogStream:
        """A stream, or ResourceNotFoundException."""
        stream = self._stream(group, name)
        if stream is None:
            raise ResourceNotFound("The specified log stream does not exist.")
        return stream

    def streams(
        self, group: LogGroup, prefix: str | None, order_by: str | None, descending: bool
    ) -> Sequence[LogStream]:
        """Streams by name, or by last event time (LastEventTime)."""
        if prefix and order_by == "LastEventTime":
            raise InvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        query = select(LogStream).where(LogStream.group_id == group.id)
        if prefix:
            query = query.where(LogStream.name.startswith(prefix, autoescape=True))
        if order_by == "LastEventTime":
            key: Any = func.coalesce(LogStream.last_event_ms, 0)
        else:
            key = LogStream.name
        query = query.order_by(key.desc() if descending else key, LogStream.name)
        return self.session.scalars(query).all()

    def delete_stream(self, stream: LogStream) -> None:
        """Delete a stream and its events."""
        self.session.execute(delete(LogEvent).where(LogEvent.stream_id == stream.id))
        self.session.delete(stream)
        self.session.flush()

    # -- events -----------------------------------------------------------

    def put_events(
        self, group: LogGroup, stream: LogStream, events: list[dict[str, Any]]
    ) -> dict[str, int]:
        """Store a batch; returns AWS's `rejectedLogEventsInfo` for events outside the window."""
        if not events:
            raise InvalidParameter("The log events in the batch are empty.")
        if len(events) > MAX_BATCH_EVENTS:
            raise InvalidParameter(
                f"The batch of log events exceeds the maximum of {MAX_BATCH_EVENTS} events."
            )
        size = sum(len(e["message"].encode()) + EVENT_OVERHEAD for e in events)
        if size > MAX_BATCH_BYTES:
            raise InvalidParameter(
                f"The batch of log events exceeds the maximum size of {MAX_BATCH_BYTES} bytes."
            )
        stamps = [int(e["timestamp"]) for e in events]
        if stamps != sorted(stamps):
            raise InvalidParameter(
                "Log events in a single PutLogEvents request must be in chronological order."
            )
        if stamps[-1] - stamps[0] > 24 * 3600 * 1000:
            raise InvalidParameter(
                "The batch of log events in a single PutLogEvents request cannot span more than "
                "24 hours."
            )
        now = self.clock.now()
        too_old, too_new = ms(now - TOO_OLD), ms(now + TOO_NEW)
        expired = ms(now - timedelta(days=group.retention_days)) if group.retention_days else None
        rejected: dict[str, int] = {}
        for index, stamp in enumerate(stamps):
            if stamp < too_old:
                rejected["tooOldLogEventEndIndex"] = index
            elif expired is not None and stamp < expired:
                rejected["expiredLogEventEndIndex"] = index
            if stamp > too_new and "tooNewLogEventStartIndex" not in rejected:
                rejected["tooNewLogEventStartIndex"] = index
        ingestion = ms(now)
        for event, stamp in zip(events, stamps, strict=True):
            if stamp < too_old or stamp > too_new or (expired is not None and stamp < expired):
                continue
            self.session.add(
                LogEvent(
                    stream_id=stream.id,
                    timestamp_ms=stamp,
                    ingestion_ms=ingestion,
                    message=event["message"],
                )
            )
            stream.stored_bytes += len(event["message"].encode())
            stream.first_event_ms = min(stream.first_event_ms or stamp, stamp)
            stream.last_event_ms = max(stream.last_event_ms or stamp, stamp)
        stream.last_ingestion_ms = ingestion
        self.session.flush()
        return rejected

    def _visible(self, group: LogGroup) -> Any:
        if group.retention_days is None:
            return True
        return LogEvent.timestamp_ms >= ms(self.clock.now() - timedelta(days=group.retention_days))

    def read(
        self,
        group: LogGroup,
        stream: LogStream,
        *,
        start: int | None,
        end: int | None,
        token: str | None,
        limit: int,
        from_head: bool,
    ) -> tuple[list[LogEvent], str, str]:
        """A page of a stream's events with AWS's forward and backward tokens."""
        query = select(LogEvent).where(LogEvent.stream_id == stream.id, self._visible(group))
        if start is not None:
            query = query.where(LogEvent.timestamp_ms >= start)
        if end is not None:
            query = query.where(LogEvent.timestamp_ms < end)
        forward, position = from_head, None
        if token:
            direction, _, number = token.partition("/")
            if direction not in ("f", "b") or not number.isdigit():
                raise InvalidParameter("The specified nextToken is invalid.")
            forward, position = direction == "f", int(number)
            query = query.where(LogEvent.id > position if forward else LogEvent.id < position)
        order = LogEvent.id if forward else LogEvent.id.desc()
        rows = list(self.session.scalars(query.order_by(order).limit(limit)))
        if not forward:
            rows.reverse()
        if not rows:
            # At the end of the stream AWS hands back the token it was given.
            at = position or 0
            return [], f"f/{at}", f"b/{at}"
        return rows, f"f/{rows[-1].id}", f"b/{rows[0].id}"

    def filter(
        self,
        group: LogGroup,
        *,
        names: list[str] | None,
        prefix: str | None,
        start: int | None,
        end: int | None,
        pattern: str | None,
        limit: int,
        after: int,
    ) -> tuple[list[tuple[LogStream, LogEvent]], list[LogStream], int | None]:
        """Events of a group matching a filter pattern, oldest first, from event id `after`."""
        matcher = compile_pattern(pattern)
        streams = [
            s for s in self.streams(group, prefix, None, False) if names is None or s.name in names
        ]
        by_id = {s.id: s for s in streams}
        if not by_id:
            return [], [], None
        query = select(LogEvent).where(
            LogEvent.stream_id.in_(list(by_id)), LogEvent.id > after, self._visible(group)
        )
        if start is not None:
            query = query.where(LogEvent.timestamp_ms >= start)
        if end is not None:
            query = query.where(LogEvent.timestamp_ms < end)
        found: list[tuple[LogStream, LogEvent]] = []
        last: int | None = None
        for event in self.session.scalars(query.order_by(LogEvent.id)):
            last = event.id
            if matcher(event.message):
                found.append((by_id[event.stream_id], event))
                if len(found) >= limit:
                    return found, streams, last
        return found, streams, None

    # -- for Airlock's own services ----------------------------------------

    def append(
        self, account: str, region: str, group_name: str, stream_name: str, lines: Sequence[str]
    ) -> None:
        """Append lines now (creating the group and stream if needed): jobs, builds, endpoints.

        Two writers making the same group or stream at once: the later insert fails with
        IntegrityError (never ResourceAlreadyExists), which the caller retries.
        """
        group = self._group(account, region, group_name) or self._add_group(
            account, region, group_name
        )
        stream = self._stream(group, stream_name) or self._add_stream(group, stream_name)
        stamp = ms(self.clock.now())
        for start in range(0, len(lines), 1000):
            self.put_events(
                group,
                stream,
                [{"timestamp": stamp, "message": line} for line in lines[start : start + 1000]],
            )
