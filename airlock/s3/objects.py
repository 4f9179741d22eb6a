"""S3 objects: versions, delete markers and the bytes behind them."""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from airlock.platform.blobs import BlobInfo, BlobStore, discard_after_commit
from airlock.platform.clock import Clock

from . import errors
from .conditions import ByteRange
from .models import Bucket, ObjectVersion

NULL_VERSION = "null"
MAX_OBJECT_SIZE = 5 * 1024**4
MAX_PUT_SIZE = 5 * 1024**3
# Object attributes kept from the upload and sent back on reads, by botocore member name.
STORED_HEADERS = (
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "Expires",
    "WebsiteRedirectLocation",
)


@dataclass
class Staged:
    """An upload's bytes, in the blob store before any row refers to them."""

    blob: BlobInfo
    checksums: dict[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        """The ETag of a single-part object: its quoted MD5."""
        return f'"{self.blob.md5}"'

    @property
    def segment(self) -> list[Any]:
        """The segment entry of an object row."""
        return [self.blob.blob_id, self.blob.size, self.blob.sha256]


def stage(blobs: BlobStore, body: Any, limit: int = MAX_PUT_SIZE) -> Staged:
    """Write an upload body (bytes or a checked stream) to the blob store.

    The body's checks (digests, signatures) run as it streams and raise at its end,
    in which case the blob store keeps nothing.
    """
    chunks: Iterable[bytes] = [bytes(body)] if isinstance(body, bytes | bytearray) else body or []
    info = blobs.write(_limited(chunks, limit))
    return Staged(info, dict(getattr(body, "checksums", {})))


def _limited(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise errors.EntityTooLarge(MaxSizeAllowed=str(limit), ProposedSize=str(total))
        yield chunk


def new_version_id() -> str:
    """A fresh version id, URL-safe like S3's."""
    return secrets.token_urlsafe(24)


def multipart_etag(part_md5s: list[str]) -> str:
    """`"<md5 of the parts' binary MD5s>-<number of parts>"`."""
    joined = b"".join(bytes.fromhex(md5.strip('"')) for md5 in part_md5s)
    digest = hashlib.md5(joined, usedforsecurity=False).hexdigest()
    return f'"{digest}-{len(part_md5s)}"'


def object_bytes(
    blobs: BlobStore, version: ObjectVersion, byte_range: ByteRange | None = None
) -> Iterator[bytes]:
    """The object's bytes (or a range of them), segment after segment.

    Every blob is opened before the first byte is sent, so a delete that commits
    while the object is being sent does not cut it short.
    """
    start, end = (0, version.size) if byte_range is None else (byte_range.start, byte_range.end + 1)
    readers = []
    offset = 0
    for blob_id, size, sha256 in version.segments:
        lo, hi = max(start, offset), min(end, offset + size)
        if lo < hi:
            whole = lo == offset and hi == offset + size
            readers.append(
                blobs.read(
                    blob_id,
                    sha256=sha256 if whole else None,
                    start=lo - offset,
                    end=None if whole else hi - offset,
                )
            )
        offset += size
    return Concatenated(readers)


class Concatenated:
    """Iterators one after another; closing it closes every one of them."""

    def __init__(self, parts: list[Iterator[bytes]]) -> None:
        self._parts = parts
        self._chain = itertools.chain.from_iterable(parts)

    def __iter__(self) -> Concatenated:
        return self

    def __next__(self) -> bytes:
        return next(self._chain)

    def close(self) -> None:
        """Release every part (open files)."""
        for part in self._parts:
            closer = getattr(part, "close", None)
            if closer is not None:
                closer()


class S3Objects:
    """Object versions for callers in one transaction."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def latest(self, bucket: str, key: str) -> ObjectVersion | None:
        """The current version of a key (possibly a delete marker)."""
        return self.session.scalars(
            select(ObjectVersion).where(
                ObjectVersion.bucket == bucket,
                ObjectVersion.key == key,
                ObjectVersion.is_latest.is_(True),
            )
        ).first()

    def version(self, bucket: str, key: str, version_id: str) -> ObjectVersion | None:
        """One version of a key."""
        return self.session.scalars(
            select(ObjectVersion).where(
                ObjectVersion.bucket == bucket,
                ObjectVersion.key == key,
                ObjectVersion.version_id == version_id,
            )
        ).first()

    def get(self, bucket: Bucket, key: str, version_id: str | None, method: str) -> ObjectVersion:
        """The version a read names, or S3's error for a missing key, version or marker."""
        if version_id is None:
            found = self.latest(bucket.name, key)
            if found is None:
                raise errors.NoSuchKey(Key=key)
            if found.delete_marker:
                raise errors.NoSuchKey(Key=key, headers=self.marker_headers(bucket, found))
            return found
        found = self.version(bucket.name, key, version_id)
        if found is None:
            raise errors.NoSuchVersion(Key=key, VersionId=version_id)
        if found.delete_marker:
            raise errors.MethodNotAllowed(
                Method=method,
                ResourceType="DeleteMarker",
                headers=self.marker_headers(bucket, found),
            )
        return found

    @staticmethod
    def marker_headers(bucket: Bucket, marker: ObjectVersion) -> dict[str, str]:
        """What S3 answers about a delete marker in the headers of an error."""
        headers = {"x-amz-delete-marker": "true"}
        if bucket.versioning:
            headers["x-amz-version-id"] = marker.version_id
        return headers

    def put(
        self,
        bucket: Bucket,
        key: str,
        *,
        size: int,
        etag: str,
        segments: list[list[Any]],
        content_type: str | None,
        headers: dict[str, str],
        metadata: dict[str, str],
        checksums: dict[str, str],
        parts_count: int | None = None,
    ) -> ObjectVersion:
        """A new current version of `key` (replacing the `null` version unless versioned)."""
        return self._add(
            bucket,
            key,
            delete_marker=False,
            size=size,
            etag=etag,
            segments=segments,
            content_type=content_type,
            headers=headers,
            metadata_=metadata,
            checksums=checksums,
            parts_count=parts_count,
        )

    def _add(self, bucket: Bucket, key: str, **values: Any) -> ObjectVersion:
        """A new current version (or delete marker) of `key`."""
        version_id = self._make_room(bucket, key)
        row = ObjectVersion(
            bucket=bucket.name,
            key=key,
            version_id=version_id,
            is_latest=True,
            last_modified=self.clock.now(),
            **values,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def _make_room(self, bucket: Bucket, key: str) -> str:
        """Retire the current version; the id the next version gets."""
        current = self.latest(bucket.name, key)
        if current is not None:
            current.is_latest = False
        if bucket.versioning == "Enabled":
            return new_version_id()
        previous_null = self.version(bucket.name, key, NULL_VERSION)
        if previous_null is not None:
            self._remove(previous_null)
        return NULL_VERSION

    def _remove(self, row: ObjectVersion) -> None:
        discard_after_commit(self.session, [segment[0] for segment in row.segments])
        self.session.delete(row)
        self.session.flush()

    def delete(self, bucket: Bucket, key: str, version_id: str | None) -> tuple[bool, str | None]:
        """Delete as S3 does: (whether a delete marker is involved, its version id)."""
        if version_id is not None:
            row = self.version(bucket.name, key, version_id)
            if row is None:
                return False, version_id
            self._remove(row)
            if row.is_latest:
                self._promote(bucket.name, key)
            return row.delete_marker, version_id
        if bucket.versioning is None:
            current = self.latest(bucket.name, key)
            if current is not None:
                self._remove(current)
            return False, None
        marker = self._add(
            bucket, key, delete_marker=True, segments=[], headers={}, metadata_={}, checksums={}
        )
        return True, marker.version_id

    def _promote(self, bucket: str, key: str) -> None:
        newest = self.session.scalars(
            select(ObjectVersion)
            .where(ObjectVersion.bucket == bucket, ObjectVersion.key == key)
            .order_by(ObjectVersion.id.desc())
            .limit(1)
        ).first()
        if newest is not None:
            newest.is_latest = True
            self.session.flush()

    def count(self, bucket: str) -> int:
        """How many versions (delete markers included) the bucket holds."""
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(ObjectVersion)
                .where(ObjectVersion.bucket == bucket)
            )
            or 0
        )
