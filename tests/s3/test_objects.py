"""S3 objects through boto3: put/get/head/delete, ranges, conditions, copy, checksums."""

from __future__ import annotations

import base64
import hashlib
import socket
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support import LiveServer


@pytest.fixture
def s3(server: LiveServer, account_id: str) -> Any:
    client = server.client("s3", account_id)
    client.create_bucket(Bucket="data")
    return client


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = caught.value.response
    return (
        str(response["Error"]["Code"]),
        str(response["Error"].get("Message", "")),
        int(response["ResponseMetadata"]["HTTPStatusCode"]),
    )


def test_put_get_head_delete(s3: Any) -> None:
    body = b"sepal,petal\n" * 1000
    put = s3.put_object(
        Bucket="data",
        Key="iris/train.csv",
        Body=body,
        ContentType="text/csv",
        Metadata={"Owner": "ds-team"},
        CacheControl="no-cache",
    )
    md5 = hashlib.md5(body).hexdigest()
    assert put["ETag"] == f'"{md5}"'
    assert "VersionId" not in put
    got = s3.get_object(Bucket="data", Key="iris/train.csv")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/csv"
    assert got["ContentLength"] == len(body)
    assert got["Metadata"] == {"owner": "ds-team"}
    assert got["CacheControl"] == "no-cache"
    assert got["ETag"] == f'"{md5}"'
    head = s3.head_object(Bucket="data", Key="iris/train.csv")
    assert head["ContentLength"] == len(body)
    assert head["LastModified"] == got["LastModified"]
    s3.delete_object(Bucket="data", Key="iris/train.csv")
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="data", Key="iris/train.csv")
    assert error(caught) == ("NoSuchKey", "The specified key does not exist.", 404)
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket="data", Key="iris/train.csv")
    assert error(caught)[0::2] == ("404", 404)
    # Deleting what is not there succeeds, as in S3.
    s3.delete_object(Bucket="data", Key="iris/train.csv")


def test_missing_bucket_and_empty_object(s3: Any) -> None:
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="nope-bucket", Key="k", Body=b"x")
    assert error(caught) == ("NoSuchBucket", "The specified bucket does not exist", 404)
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="data", Key="k" * 1025, Body=b"x")
    assert error(caught) == ("KeyTooLongError", "Your key is too long", 400)
    s3.put_object(Bucket="data", Key="empty", Body=b"")
    got = s3.get_object(Bucket="data", Key="empty")
    assert got["Body"].read() == b""
    assert got["ETag"] == f'"{hashlib.md5(b"").hexdigest()}"'
    assert got["ContentType"] == "binary/octet-stream"


def test_ranges(s3: Any) -> None:
    body = bytes(range(256)) * 40
    s3.put_object(Bucket="data", Key="blob", Body=body)
    for header, expected in [
        ("bytes=0-9", body[:10]),
        ("bytes=100-", body[100:]),
        ("bytes=-5", body[-5:]),
        ("bytes=10000-20000", body[10000:]),
    ]:
        got = s3.get_object(Bucket="data", Key="blob", Range=header)
        assert got["Body"].read() == expected, header
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["ContentLength"] == len(expected)
        assert got["ContentRange"].endswith(f"/{len(body)}")
    assert s3.get_object(Bucket="data", Key="blob", Range="bytes=0-9")["ContentRange"] == (
        f"bytes 0-9/{len(body)}"
    )
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="data", Key="blob", Range=f"bytes={len(body)}-")
    assert error(caught) == ("InvalidRange", "The requested range is not satisfiable", 416)
    # A header that is not one byte range is ignored: the whole object comes back.
    whole = s3.get_object(Bucket="data", Key="blob", Range="items=1-2")
    assert whole["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert whole["Body"].read() == body


def test_conditional_gets(s3: Any) -> None:
    etag = s3.put_object(Bucket="data", Key="model.tar.gz", Body=b"weights")["ETag"]
    modified = s3.head_object(Bucket="data", Key="model.tar.gz")["LastModified"]
    assert s3.get_object(Bucket="data", Key="model.tar.gz", IfMatch=etag)["Body"].read() == (
        b"weights"
    )
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="data", Key="model.tar.gz", IfMatch='"0000"')
    assert error(caught) == (
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
    )
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="data", Key="model.tar.gz", IfNoneMatch=etag)
    assert error(caught)[0::2] == ("304", 304)
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="data", Key="model.tar.gz", IfModifiedSince=modified)
    assert error(caught)[0::2] == ("304", 304)
    earlier = modified - timedelta(hours=1)
    got = s3.get_object(Bucket="data", Key="model.tar.gz", IfModifiedSince=earlier)
    assert got["Body"].read() == b"weights"
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket="data", Key="model.tar.gz", IfUnmodifiedSince=earlier)
    assert error(caught)[0::2] == ("PreconditionFailed", 412)
    # If-Match that holds decides over If-Unmodified-Since that does not (RFC 7232).
    got = s3.get_object(Bucket="data", Key="model.tar.gz", IfMatch=etag, IfUnmodifiedSince=earlier)
    assert got["Body"].read() == b"weights"


def test_response_header_overrides(s3: Any) -> None:
    s3.put_object(Bucket="data", Key="report", Body=b"{}", ContentType="application/json")
    got = s3.get_object(
        Bucket="data",
        Key="report",
        ResponseContentType="text/plain",
        ResponseContentDisposition='attachment; filename="r.json"',
        ResponseCacheControl="max-age=60",
    )
    assert got["ContentType"] == "text/plain"
    assert got["ContentDisposition"] == 'attachment; filename="r.json"'
    assert got["CacheControl"] == "max-age=60"


def test_checksums_are_verified_and_kept(s3: Any, server: LiveServer) -> None:
    body = b"x" * 5000
    put = s3.put_object(Bucket="data", Key="c", Body=body, ChecksumAlgorithm="SHA256")
    expected = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert put["ChecksumSHA256"] == expected
    got = s3.get_object(Bucket="data", Key="c", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == expected
    assert got["Body"].read() == body
    # A declared checksum that does not match: rejected, and nothing is stored.
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="data", Key="bad", Body=body, ChecksumCRC32="AAAAAA==")
    assert error(caught) == (
        "BadDigest",
        "The CRC32 you specified did not match the calculated checksum.",
        400,
    )
    with pytest.raises(ClientError) as caught:
        s3.head_object(Bucket="data", Key="bad")
    assert error(caught)[0] == "404"
    bad_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="data", Key="bad", Body=body, ContentMD5=bad_md5)
    assert error(caught) == (
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
        400,
    )
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="data", Key="bad", Body=body, ContentMD5="not-md5")
    assert error(caught) == ("InvalidDigest", "The Content-MD5 you specified was invalid.", 400)
    assert "Contents" not in s3.list_objects_v2(Bucket="data", Prefix="bad")
    blobs = server.settings.state_dir / "blobs"
    stored = [p for p in blobs.rglob("*") if p.is_file() and p.parent.name != "tmp"]
    assert len(stored) == 1, "only the good upload may leave bytes behind"


def test_copy_object(s3: Any) -> None:
    s3.put_object(
        Bucket="data", Key="src", Body=b"abc", ContentType="text/plain", Metadata={"a": "1"}
    )
    copied = s3.copy_object(Bucket="data", Key="dst", CopySource="data/src")
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"abc").hexdigest()}"'
    got = s3.get_object(Bucket="data", Key="dst")
    assert (got["Body"].read(), got["ContentType"], got["Metadata"]) == (
        b"abc",
        "text/plain",
        {"a": "1"},
    )
    s3.copy_object(
        Bucket="data",
        Key="dst2",
        CopySource={"Bucket": "data", "Key": "src"},
        MetadataDirective="REPLACE",
        ContentType="application/x-thing",
        Metadata={"b": "2"},
    )
    replaced = s3.head_object(Bucket="data", Key="dst2")
    assert (replaced["ContentType"], replaced["Metadata"]) == ("application/x-thing", {"b": "2"})
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket="data", Key="src", CopySource="data/src")
    assert error(caught)[0] == "InvalidRequest"
    assert "copy an object to itself" in error(caught)[1]
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket="data", Key="x", CopySource="data/missing")
    assert error(caught)[0::2] == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as caught:
        s3.copy_object(Bucket="data", Key="x", CopySource="data/src", CopySourceIfMatch='"1"')
    assert error(caught)[0::2] == ("PreconditionFailed", 412)


def test_delete_objects_and_bucket_not_empty(s3: Any) -> None:
    for key in ("a", "b", "c"):
        s3.put_object(Bucket="data", Key=key, Body=key.encode())
    with pytest.raises(ClientError) as caught:
        s3.delete_bucket(Bucket="data")
    assert error(caught) == ("BucketNotEmpty", "The bucket you tried to delete is not empty", 409)
    answer = s3.delete_objects(
        Bucket="data", Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "zz"}]}
    )
    assert sorted(d["Key"] for d in answer["Deleted"]) == ["a", "b", "zz"]
    quiet = s3.delete_objects(Bucket="data", Delete={"Objects": [{"Key": "c"}], "Quiet": True})
    assert "Deleted" not in quiet
    s3.delete_bucket(Bucket="data")
    assert s3.list_buckets()["Buckets"] == []


def test_virtual_hosted_objects(
    server: LiveServer, account_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve = socket.getaddrinfo

    def loopback(host: Any, *args: Any, **kwargs: Any) -> Any:
        # What an /etc/hosts entry (or dnsmasq) gives people: *.localhost is loopback.
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback)
    server.client("s3", account_id).create_bucket(Bucket="vhost")
    access_key, secret = server.root_keys(account_id)
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret, region_name="us-east-1"
    )
    client = session.client(
        "s3",
        endpoint_url=f"http://localhost:{server.settings.port}",
        config=Config(s3={"addressing_style": "virtual"}),
    )
    sent: list[str] = []
    client.meta.events.register("before-send.s3", lambda request, **_: sent.append(request.url))
    client.put_object(Bucket="vhost", Key="dir/file.txt", Body=b"hello")
    assert client.get_object(Bucket="vhost", Key="dir/file.txt")["Body"].read() == b"hello"
    listed = client.list_objects_v2(Bucket="vhost")
    assert [o["Key"] for o in listed["Contents"]] == ["dir/file.txt"]
    assert all(url.startswith("http://vhost.localhost:") for url in sent), sent
