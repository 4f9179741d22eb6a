"""Multipart uploads, presigned URLs and cross-account access by bucket policy."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from airlock.platform.clock import ManualClock
from tests.support import LiveServer, live_server

MB = 1024 * 1024


@pytest.fixture
def s3(server: LiveServer, account_id: str) -> Any:
    client = server.client("s3", account_id)
    client.create_bucket(Bucket="artifacts")
    return client


def code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def complete(s3: Any, key: str, upload: str, parts: list[tuple[int, str]]) -> Any:
    """CompleteMultipartUpload of `parts` (number, ETag) in the order given."""
    return s3.complete_multipart_upload(
        Bucket="artifacts",
        Key=key,
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]},
    )


def test_multipart_upload(s3: Any) -> None:
    parts_data = [b"a" * (5 * MB), b"b" * (5 * MB), b"tail"]
    upload = s3.create_multipart_upload(
        Bucket="artifacts", Key="big.bin", ContentType="application/x-tar", Metadata={"k": "v"}
    )["UploadId"]
    listed = s3.list_multipart_uploads(Bucket="artifacts")["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in listed] == [("big.bin", upload)]
    etags = []
    for number, data in enumerate(parts_data, start=1):
        answer = s3.upload_part(
            Bucket="artifacts", Key="big.bin", UploadId=upload, PartNumber=number, Body=data
        )
        assert answer["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        etags.append(answer["ETag"])
    parts = s3.list_parts(Bucket="artifacts", Key="big.bin", UploadId=upload)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 5 * MB), (2, 5 * MB), (3, 4)]
    with pytest.raises(ClientError) as caught:
        complete(s3, "big.bin", upload, [(2, etags[1]), (1, etags[0])])
    assert code(caught) == "InvalidPartOrder"
    with pytest.raises(ClientError) as caught:
        complete(s3, "big.bin", upload, [(1, '"0000"')])
    assert code(caught) == "InvalidPart"
    with pytest.raises(ClientError) as caught:
        complete(s3, "big.bin", upload, [(3, etags[2]), (4, etags[2])])
    assert code(caught) == "InvalidPart"
    done = complete(s3, "big.bin", upload, list(enumerate(etags, start=1)))
    joined = b"".join(bytes.fromhex(e.strip('"')) for e in etags)
    assert done["ETag"] == f'"{hashlib.md5(joined).hexdigest()}-3"'
    got = s3.get_object(Bucket="artifacts", Key="big.bin")
    assert (
        hashlib.sha256(got["Body"].read()).hexdigest()
        == hashlib.sha256(b"".join(parts_data)).hexdigest()
    )
    assert (got["ContentType"], got["Metadata"]) == ("application/x-tar", {"k": "v"})
    across = s3.get_object(
        Bucket="artifacts", Key="big.bin", Range=f"bytes={5 * MB - 2}-{5 * MB + 1}"
    )
    assert across["Body"].read() == b"aabb"
    assert s3.list_multipart_uploads(Bucket="artifacts").get("Uploads", []) == []
    with pytest.raises(ClientError) as caught:
        s3.list_parts(Bucket="artifacts", Key="big.bin", UploadId=upload)
    assert code(caught) == "NoSuchUpload"


def test_small_parts_abort_and_part_copy(s3: Any) -> None:
    upload = s3.create_multipart_upload(Bucket="artifacts", Key="small")["UploadId"]
    e1 = s3.upload_part(Bucket="artifacts", Key="small", UploadId=upload, PartNumber=1, Body=b"x")[
        "ETag"
    ]
    e2 = s3.upload_part(Bucket="artifacts", Key="small", UploadId=upload, PartNumber=2, Body=b"y")[
        "ETag"
    ]
    with pytest.raises(ClientError) as caught:
        complete(s3, "small", upload, [(1, e1), (2, e2)])
    assert code(caught) == "EntityTooSmall"
    with pytest.raises(ClientError) as caught:
        s3.upload_part(
            Bucket="artifacts", Key="small", UploadId=upload, PartNumber=10001, Body=b"z"
        )
    assert code(caught) == "InvalidArgument"
    with pytest.raises(ClientError) as caught:
        s3.delete_bucket(Bucket="artifacts")
    assert code(caught) == "BucketNotEmpty"  # an upload in progress counts
    s3.abort_multipart_upload(Bucket="artifacts", Key="small", UploadId=upload)
    with pytest.raises(ClientError) as caught:
        s3.upload_part(Bucket="artifacts", Key="small", UploadId=upload, PartNumber=3, Body=b"z")
    assert code(caught) == "NoSuchUpload"
    # UploadPartCopy: a part copied from a range of another object.
    s3.put_object(Bucket="artifacts", Key="source", Body=b"0123456789")
    upload = s3.create_multipart_upload(Bucket="artifacts", Key="copied")["UploadId"]
    part = s3.upload_part_copy(
        Bucket="artifacts",
        Key="copied",
        UploadId=upload,
        PartNumber=1,
        CopySource={"Bucket": "artifacts", "Key": "source"},
        CopySourceRange="bytes=2-5",
    )
    complete(s3, "copied", upload, [(1, part["CopyPartResult"]["ETag"])])
    assert s3.get_object(Bucket="artifacts", Key="copied")["Body"].read() == b"2345"


@pytest.mark.parametrize("version", ["default", "s3v4"])
def test_presigned_urls(tmp_path: Any, version: str) -> None:
    # boto3 presigns S3 URLs with signature version 2 unless told `s3v4`; both work.
    clock = ManualClock()
    with live_server(tmp_path / "state", clock=clock) as server:
        config = Config(signature_version=version) if version == "s3v4" else None
        s3 = server.client("s3", config=config)
        s3.create_bucket(Bucket="shared")
        put_url = s3.generate_presigned_url(
            "put_object", Params={"Bucket": "shared", "Key": "upload.txt"}, ExpiresIn=60
        )
        assert ("X-Amz-Signature=" in put_url) is (version == "s3v4")
        stored = httpx.put(put_url, content=b"via presigned put")
        assert stored.status_code == 200, stored.text
        get_url = s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": "shared", "Key": "upload.txt", "ResponseContentType": "text/plain"},
            ExpiresIn=60,
        )
        fetched = httpx.get(get_url)
        assert (fetched.status_code, fetched.content) == (200, b"via presigned put")
        assert fetched.headers["content-type"] == "text/plain"
        tampered = httpx.get(get_url.replace("upload.txt", "other.txt"))
        assert tampered.status_code == 403
        assert b"<Code>SignatureDoesNotMatch</Code>" in tampered.content
        clock.advance(timedelta(seconds=61))
        expired = httpx.get(get_url)
        assert expired.status_code == 403
        assert b"<Code>AccessDenied</Code>" in expired.content
        assert b"Request has expired" in expired.content


def test_cross_account_read_by_bucket_policy(server: LiveServer, s3: Any) -> None:
    s3.put_object(Bucket="artifacts", Key="model.tar.gz", Body=b"approved")
    staging_id = server.create_account("staging")
    staging = server.client("s3", staging_id)
    with pytest.raises(ClientError) as caught:
        staging.get_object(Bucket="artifacts", Key="model.tar.gz")
    assert code(caught) == "AccessDenied"
    assert "s3:GetObject" in caught.value.response["Error"]["Message"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{staging_id}:root"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"],
            }
        ],
    }
    s3.put_bucket_policy(Bucket="artifacts", Policy=json.dumps(policy))
    assert staging.get_object(Bucket="artifacts", Key="model.tar.gz")["Body"].read() == b"approved"
    listed = staging.list_objects_v2(Bucket="artifacts")
    assert [o["Key"] for o in listed["Contents"]] == ["model.tar.gz"]
    # Read is granted, write is not.
    with pytest.raises(ClientError) as caught:
        staging.put_object(Bucket="artifacts", Key="evil", Body=b"x")
    assert code(caught) == "AccessDenied"
    # Copy needs read on the source and write on the destination, across accounts too.
    staging.create_bucket(Bucket="staging-models")
    staging.copy_object(
        Bucket="staging-models", Key="model.tar.gz", CopySource="artifacts/model.tar.gz"
    )
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket="artifacts", Key="back", CopySource="staging-models/model.tar.gz")
    assert code(caught) == "AccessDenied"
    s3.delete_bucket_policy(Bucket="artifacts")
    with pytest.raises(ClientError) as caught:
        staging.get_object(Bucket="artifacts", Key="model.tar.gz")
    assert code(caught) == "AccessDenied"
