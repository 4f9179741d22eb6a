"""Timestamps in the three wire formats (epoch seconds, ISO 8601, RFC 822)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_timestamp(value: Any) -> datetime:
    """A timezone-aware datetime from any of the wire formats; ValueError if none fits."""
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    text = str(value).strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = parsedate_to_datetime(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def format_timestamp(value: datetime, fmt: str) -> Any:
    """`value` in `fmt`: unixTimestamp (a number), iso8601 or rfc822 (strings)."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if fmt == "unixTimestamp":
        ms = _wire_ms(value)
        return ms // 1000 if ms % 1000 == 0 else ms / 1000
    if fmt == "rfc822":
        return format_datetime(value, usegmt=True)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    return text + "Z"


def timestamp_format(shape: Any, default: str) -> str:
    """The member's or shape's timestampFormat trait, else the location's default."""
    return str(
        shape.serialization.get("timestampFormat")
        or getattr(shape, "timestamp_format", None)
        or default
    )


def _wire_ms(value: datetime) -> int:
    """Whole milliseconds since the epoch: what the wire carries of a time (every format)."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return (value - EPOCH) // timedelta(milliseconds=1)


def between(moment: datetime, after: datetime | None, before: datetime | None) -> bool:
    """Strictly after `after` and before `before` (each optional), compared as the wire
    carries times: a time a client read from a response and sent back as a bound
    excludes the resource it came from."""
    at = _wire_ms(moment)
    return (after is None or at > _wire_ms(after)) and (before is None or at < _wire_ms(before))
