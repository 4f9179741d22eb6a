"""Byte ranges and conditional requests, as S3 reads the `Range` and `If-*` headers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from . import errors

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class ByteRange:
    """`start` to `end` inclusive, within an object of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        """How many bytes the range holds."""
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        """The Content-Range header of a 206 answer."""
        return f"bytes {self.start}-{self.end}/{self.size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range a `Range` header asks for; None for the whole object.

    As S3: a header that is not one `bytes=` range is ignored (the whole object is
    sent); a range starting at or past the end is `InvalidRange` (416).
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # the last N bytes
        suffix = int(last)
        if suffix == 0:
            raise _unsatisfiable(header, size)
        return ByteRange(max(0, size - suffix), size - 1, size) if size else None
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        raise _unsatisfiable(header, size)
    return ByteRange(start, end, size)


def _unsatisfiable(header: str, size: int) -> errors.InvalidRange:
    return errors.InvalidRange(RangeRequested=header, ActualObjectSize=str(size))


def _etag_matches(condition: str, etag: str) -> bool:
    wanted = {tag.strip().strip('"') for tag in condition.split(",")}
    return "*" in wanted or etag.strip('"') in wanted


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def check_conditions(
    etag: str,
    last_modified: datetime,
    *,
    if_match: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: datetime | None = None,
    if_unmodified_since: datetime | None = None,
) -> None:
    """Raise PreconditionFailed (412) or NotModified (304) as S3 evaluates the `If-*` headers.

    If-Match decides over If-Unmodified-Since, and If-None-Match over
    If-Modified-Since, when both of a pair are sent (RFC 7232 section 6).
    """
    if if_match is not None:
        if not _etag_matches(if_match, etag):
            raise errors.PreconditionFailed(Condition="If-Match")
    elif if_unmodified_since is not None and _seconds(last_modified) > _seconds(
        if_unmodified_since
    ):
        raise errors.PreconditionFailed(Condition="If-Unmodified-Since")
    if if_none_match is not None:
        if _etag_matches(if_none_match, etag):
            raise errors.NotModified(headers={"ETag": etag})
    elif if_modified_since is not None and _seconds(last_modified) <= _seconds(if_modified_since):
        raise errors.NotModified(headers={"ETag": etag})
