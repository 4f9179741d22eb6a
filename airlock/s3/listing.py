"""Listing keys as S3 does: prefix, delimiter and common prefixes, markers, versions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from .models import ObjectVersion

BATCH = 1000
# Sorts after every character a key can hold, so `prefix + PAST` skips a whole prefix.
PAST = "\U0010ffff"


@dataclass
class Listing:
    """One page: object rows and common prefixes in key order."""

    rows: list[ObjectVersion] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    # The last key or common prefix on the page: where the next page starts after.
    last: str | None = None
    # With versions: the version id of the last row when it was a row.
    last_version: str | None = None


def _grouped(
    rows: Iterator[ObjectVersion], prefix: str, delimiter: str | None, after: str
) -> Iterator[ObjectVersion | str]:
    """Rows, with every run of keys below one common prefix folded into that prefix."""
    previous: str | None = None
    for row in rows:
        if delimiter:
            rest = row.key[len(prefix) :]
            cut = rest.find(delimiter)
            if cut >= 0:
                common = prefix + rest[: cut + len(delimiter)]
                if common != previous and common != after:
                    yield common
                previous = common
                continue
        yield row


def _page(items: Iterator[ObjectVersion | str], max_keys: int) -> Listing:
    listing = Listing()
    for count, item in enumerate(items):
        if count == max_keys:
            listing.truncated = max_keys > 0
            break
        if isinstance(item, str):
            listing.prefixes.append(item)
            listing.last, listing.last_version = item, None
        else:
            listing.rows.append(item)
            listing.last, listing.last_version = item.key, item.version_id
    return listing


def _scan(
    session: Session,
    bucket: str,
    *,
    prefix: str,
    delimiter: str | None,
    key: str,
    below: int | None,
    versions: bool,
) -> Iterator[ObjectVersion]:
    """Rows after position (`key`, version row id `below`), fetched in batches.

    With a delimiter, one row stands for each common prefix: the scan jumps past
    every other key below it instead of reading them.
    """
    while True:
        after = ObjectVersion.key > key
        if below is not None:
            after = or_(after, and_(ObjectVersion.key == key, ObjectVersion.id < below))
        query = select(ObjectVersion).where(ObjectVersion.bucket == bucket, after)
        if versions:
            query = query.order_by(ObjectVersion.key, ObjectVersion.id.desc())
        else:
            query = query.where(
                ObjectVersion.is_latest.is_(True), ObjectVersion.delete_marker.is_(False)
            ).order_by(ObjectVersion.key)
        if prefix:
            query = query.where(ObjectVersion.key >= prefix, ObjectVersion.key < prefix + PAST)
        batch = session.scalars(query.limit(BATCH)).all()
        for row in batch:
            yield row
            key, below = row.key, (row.id if versions else None)
            common = _common(row.key, prefix, delimiter)
            if common is not None:
                key, below = common + PAST, None
                break
        else:
            if len(batch) < BATCH:
                return


def list_current(
    session: Session,
    bucket: str,
    *,
    prefix: str = "",
    delimiter: str | None = None,
    after: str = "",
    max_keys: int = 1000,
) -> Listing:
    """Current objects (no delete markers) with keys after `after`."""
    rows = _scan(
        session,
        bucket,
        prefix=prefix,
        delimiter=delimiter,
        key=after,
        below=None,
        versions=False,
    )
    return _page(_grouped(rows, prefix, delimiter, after), max_keys)


def list_versions(
    session: Session,
    bucket: str,
    *,
    prefix: str = "",
    delimiter: str | None = None,
    key_marker: str = "",
    version_marker: str | None = None,
    max_keys: int = 1000,
) -> Listing:
    """Every version and delete marker: keys in order, newest version first."""
    marker_id: int | None = None
    if key_marker and version_marker:
        marker_id = session.scalar(
            select(ObjectVersion.id).where(
                ObjectVersion.bucket == bucket,
                ObjectVersion.key == key_marker,
                ObjectVersion.version_id == version_marker,
            )
        )
    rows = _scan(
        session,
        bucket,
        prefix=prefix,
        delimiter=delimiter,
        key=key_marker,
        below=marker_id,
        versions=True,
    )
    after = key_marker if not version_marker else ""
    return _page(_grouped(rows, prefix, delimiter, after), max_keys)


def _common(key: str, prefix: str, delimiter: str | None) -> str | None:
    if not delimiter:
        return None
    cut = key.find(delimiter, len(prefix))
    return None if cut < 0 else key[: cut + len(delimiter)]
