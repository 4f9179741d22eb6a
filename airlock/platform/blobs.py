"""The blob store: object bytes on disk, written atomically, streamed, verified on read.

Bytes never pass through memory whole: writes consume an iterator of chunks and
reads yield chunks. A blob is written to a temporary file, fsynced, then renamed
into place, so a crash leaves either the whole blob or nothing. Its SHA-256 is
recorded by the caller (in the database) and checked again on every full read.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from airlock.settings import Settings

CHUNK = 1024 * 1024


class CorruptBlob(Exception):
    """The bytes on disk no longer match the checksum recorded when they were written."""


class MissingBlob(Exception):
    """No blob has this id."""


@dataclass(frozen=True)
class BlobInfo:
    """What was written: its id, size and digests (MD5 for S3 ETags, SHA-256 for integrity)."""

    blob_id: str
    size: int
    md5: str
    sha256: str
    crc32: int


class BlobStore(Protocol):
    """Where object bytes live; the database keeps what they mean."""

    def write(self, chunks: Iterable[bytes]) -> BlobInfo:
        """Store the bytes of `chunks` as a new blob."""
        ...

    def read(
        self, blob_id: str, *, sha256: str | None = None, start: int = 0, end: int | None = None
    ) -> Iterator[bytes]:
        """Yield the bytes from `start` to `end` (exclusive); a full read checks `sha256`."""
        ...

    def delete(self, blob_id: str) -> None:
        """Remove a blob; absent blobs are ignored."""
        ...


class BlobChunks:
    """The chunks of an open blob file; closes it when done, closed, or collected."""

    def __init__(
        self, blob_id: str, handle: BinaryIO, *, sha256: str | None, start: int, end: int | None
    ) -> None:
        self._blob_id = blob_id
        self._handle = handle
        self._expected = sha256 if start == 0 and end is None else None
        self._digest = hashlib.sha256()
        self._remaining = None if end is None else max(0, end - start)
        handle.seek(start)

    def __iter__(self) -> BlobChunks:
        return self

    def __next__(self) -> bytes:
        if self._handle.closed:
            raise StopIteration
        want = CHUNK if self._remaining is None else min(CHUNK, self._remaining)
        chunk = self._handle.read(want) if want else b""
        if not chunk:
            self.close()
            if self._expected is not None and self._digest.hexdigest() != self._expected:
                raise CorruptBlob(f"blob {self._blob_id} does not match its recorded SHA-256")
            raise StopIteration
        if self._remaining is not None:
            self._remaining -= len(chunk)
        if self._expected is not None:
            self._digest.update(chunk)
        return chunk

    def close(self) -> None:
        """Release the file."""
        self._handle.close()

    def __del__(self) -> None:
        self._handle.close()


class LocalBlobStore:
    """Blobs as files under a directory (`<state dir>/blobs` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def clear_unfinished(self) -> None:
        """Remove writes a crash cut short (only while no write can be in progress)."""
        if (self.root / "tmp").is_dir():
            for stale in (self.root / "tmp").iterdir():
                stale.unlink(missing_ok=True)

    def blob_ids(self) -> Iterator[str]:
        """Every stored blob's id."""
        for path in self.root.glob("??/??/*"):
            if path.is_file():
                yield path.name

    def _path(self, blob_id: str) -> Path:
        return self.root / blob_id[:2] / blob_id[2:4] / blob_id

    def write(self, chunks: Iterable[bytes]) -> BlobInfo:
        """Store the bytes of `chunks` as a new blob."""
        blob_id = uuid.uuid4().hex
        md5, sha256, crc, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0, 0
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root / "tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    md5.update(chunk)
                    sha256.update(chunk)
                    crc = zlib.crc32(chunk, crc)
                    size += len(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            target = self._path(blob_id)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return BlobInfo(blob_id, size, md5.hexdigest(), sha256.hexdigest(), crc)

    def read(
        self, blob_id: str, *, sha256: str | None = None, start: int = 0, end: int | None = None
    ) -> Iterator[bytes]:
        """Yield the bytes from `start` to `end` (exclusive); a full read checks `sha256`."""
        path = self._path(blob_id)
        try:  # opened now, so a blob deleted while it is being sent is still sent whole
            handle = path.open("rb")
        except FileNotFoundError as error:
            raise MissingBlob(blob_id) from error
        return BlobChunks(blob_id, handle, sha256=sha256, start=start, end=end)

    def size(self, blob_id: str) -> int:
        """The blob's size in bytes."""
        try:
            return self._path(blob_id).stat().st_size
        except FileNotFoundError as error:
            raise MissingBlob(blob_id) from error

    def delete(self, blob_id: str) -> None:
        """Remove a blob (absent blobs are ignored: deletes are retried after crashes)."""
        self._path(blob_id).unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store the settings name: local files by default, or an S3-compatible service."""
    if settings.blob_url:
        from .remote_blobs import RemoteBlobStore

        return RemoteBlobStore.from_url(settings.blob_url)
    return LocalBlobStore(settings.state_dir / "blobs")


DISCARDED = "blobs.discarded"


def discard_after_commit(session: Any, blob_ids: Iterable[str]) -> None:
    """Delete these blobs once the transaction that stopped referencing them commits."""
    session.info.setdefault(DISCARDED, []).extend(blob_ids)
