"""Objects survive a restart; what a crash leaves half-done is cleaned up on the next start."""

from __future__ import annotations

from pathlib import Path

from airlock.platform.blobs import LocalBlobStore
from tests.support import live_server


def test_restart_keeps_objects_and_sweeps_leftovers(
    tmp_path: Path, database_url: str | None
) -> None:
    state = tmp_path / "state"
    with live_server(state, database_url) as server:
        s3 = server.client("s3")
        s3.create_bucket(Bucket="keep")
        s3.put_bucket_versioning(Bucket="keep", VersioningConfiguration={"Status": "Enabled"})
        first = s3.put_object(Bucket="keep", Key="model.tar.gz", Body=b"v1")["VersionId"]
        s3.put_object(Bucket="keep", Key="model.tar.gz", Body=b"v2")
        upload = s3.create_multipart_upload(Bucket="keep", Key="big")["UploadId"]
        s3.upload_part(Bucket="keep", Key="big", UploadId=upload, PartNumber=1, Body=b"part")
    # What a crash leaves: a blob written but never recorded, and a half-written file.
    blobs = LocalBlobStore(state / "blobs")
    stray = blobs.write([b"never recorded"])
    (state / "blobs" / "tmp" / "half-written").write_bytes(b"partial")
    with live_server(state, database_url) as server:
        s3 = server.client("s3")
        assert s3.get_object(Bucket="keep", Key="model.tar.gz")["Body"].read() == b"v2"
        old = s3.get_object(Bucket="keep", Key="model.tar.gz", VersionId=first)
        assert old["Body"].read() == b"v1"
        parts = s3.list_parts(Bucket="keep", Key="big", UploadId=upload)["Parts"]
        assert [p["Size"] for p in parts] == [4]
        assert stray.blob_id not in set(blobs.blob_ids())
        assert not (state / "blobs" / "tmp" / "half-written").exists()
        assert len(set(blobs.blob_ids())) == 3  # two versions and one part
