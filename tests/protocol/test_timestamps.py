"""Times as the wire carries them: whole milliseconds, in every format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airlock.protocol.timestamps import between, format_timestamp, parse_timestamp

CREATED = datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC)


def test_a_time_read_from_a_response_bounds_its_own_resource_out() -> None:
    sent_back = parse_timestamp(format_timestamp(CREATED, "unixTimestamp"))
    assert sent_back != CREATED  # the wire keeps milliseconds only
    assert not between(CREATED, sent_back, None)
    assert not between(CREATED, None, sent_back)
    late = CREATED.replace(microsecond=123999)
    for fmt in ("unixTimestamp", "iso8601"):
        assert format_timestamp(late, fmt) in (1795694400.123, "2026-11-26T12:00:00.123Z")
        assert not between(late, parse_timestamp(format_timestamp(late, fmt)), None)


def test_bounds_are_strict_and_optional() -> None:
    millisecond = timedelta(milliseconds=1)
    assert between(CREATED, None, None)
    assert between(CREATED, CREATED - millisecond, CREATED + millisecond)
    assert not between(CREATED, CREATED + millisecond, None)
    assert not between(CREATED, None, CREATED - millisecond)
    naive = CREATED.replace(tzinfo=None)  # as SQLite gives times back
    assert between(naive, CREATED - millisecond, None)
