"""The local blob store: atomic writes, ranges, verification, streaming."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from airlock.platform.blobs import CHUNK, CorruptBlob, LocalBlobStore, MissingBlob


def test_write_read_and_ranges(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = bytes(range(256)) * 10_000  # 2.5 MB: several chunks
    info = store.write(data[i : i + 100_000] for i in range(0, len(data), 100_000))
    assert info.size == len(data)
    assert info.md5 == hashlib.md5(data).hexdigest()
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(store.read(info.blob_id, sha256=info.sha256)) == data
    assert b"".join(store.read(info.blob_id, start=10, end=20)) == data[10:20]
    assert b"".join(store.read(info.blob_id, start=len(data) - 5)) == data[-5:]
    assert all(len(c) <= CHUNK for c in store.read(info.blob_id))
    assert store.size(info.blob_id) == len(data)
    store.delete(info.blob_id)
    store.delete(info.blob_id)  # idempotent
    with pytest.raises(MissingBlob):
        list(store.read(info.blob_id))


def test_corruption_is_detected(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    info = store.write([b"model weights"])
    path = next(p for p in tmp_path.rglob(info.blob_id))
    path.write_bytes(b"model weighTs")
    with pytest.raises(CorruptBlob):
        b"".join(store.read(info.blob_id, sha256=info.sha256))


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)

    def broken() -> Iterator[bytes]:
        yield b"partial"
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        store.write(broken())
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
