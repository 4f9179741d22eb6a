"""The S3-compatible blob backend, against a second Airlock serving as the object store."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from airlock.platform.blobs import CorruptBlob, MissingBlob
from airlock.platform.remote_blobs import RemoteBlobStore
from tests.support import live_server

MB = 1024 * 1024


def test_from_url_rejects_other_forms() -> None:
    for bad in ("http://bucket/prefix", "s3:///prefix", "/var/blobs"):
        with pytest.raises(ValueError, match="s3://BUCKET/PREFIX"):
            RemoteBlobStore.from_url(bad)


def test_airlock_keeps_its_bytes_in_another_s3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with live_server(tmp_path / "backend") as backend:
        keys = backend.root_keys(backend.first_account_id())
        backend.client("s3").create_bucket(Bucket="airlock-blobs")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys[0])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys[1])
        url = f"s3://airlock-blobs/primary?endpoint={backend.url}&region=us-east-1"
        store = RemoteBlobStore.from_url(url)
        data = bytes(range(256)) * (40 * 1024)  # 10 MB: two parts of the backend's upload
        info = store.write([data[i : i + MB] for i in range(0, len(data), MB)])
        assert (info.size, info.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert b"".join(store.read(info.blob_id, sha256=info.sha256)) == data
        assert b"".join(store.read(info.blob_id, start=10, end=20)) == data[10:20]
        with pytest.raises(CorruptBlob):
            b"".join(store.read(info.blob_id, sha256="0" * 64))
        empty = store.write([])
        assert b"".join(store.read(empty.blob_id)) == b""
        store.delete(info.blob_id)
        with pytest.raises(MissingBlob):
            store.read(info.blob_id)

        with live_server(tmp_path / "primary", blob_url=url) as primary:
            s3 = primary.client("s3")
            s3.create_bucket(Bucket="models")
            s3.put_object(Bucket="models", Key="m.tar.gz", Body=b"weights" * 1000)
            got = s3.get_object(Bucket="models", Key="m.tar.gz", Range="bytes=0-6")
            assert got["Body"].read() == b"weights"
            assert s3.get_object(Bucket="models", Key="m.tar.gz")["Body"].read() == (
                b"weights" * 1000
            )
            stored = backend.client("s3").list_objects_v2(Bucket="airlock-blobs", Prefix="primary/")
            sizes = sorted(o["Size"] for o in stored["Contents"])
            assert sizes == [0, 7000], "the object's bytes live in the backend"
            assert not (tmp_path / "primary" / "blobs").exists()
            s3.delete_object(Bucket="models", Key="m.tar.gz")
            left = backend.client("s3").list_objects_v2(Bucket="airlock-blobs", Prefix="primary/")
            assert [o["Size"] for o in left["Contents"]] == [0]
