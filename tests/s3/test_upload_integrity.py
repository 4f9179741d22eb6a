"""Uploads as they arrive on the wire: streamed bodies, aws-chunked trailers, lying hashes.

boto3 over plain http sends a signed payload hash; over https it sends
`aws-chunked` bodies with a trailing checksum. Both are sent here by hand
(signed by botocore's own signer) so that every form reaches the live server.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support import LiveServer

MB = 1024 * 1024


def signed(server: LiveServer, key: str, headers: dict[str, str]) -> dict[str, str]:
    """Headers of a PUT of `key` in bucket `wire`, signed with the first account's root keys."""
    request = AWSRequest(method="PUT", url=f"{server.url}/wire/{key}", headers=headers)
    credentials = Credentials(*server.root_keys(server.first_account_id()))
    SigV4Auth(credentials, "s3", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def chunked(payload: bytes, trailer: str, chunk: int = 64 * 1024) -> bytes:
    pieces = [payload[i : i + chunk] for i in range(0, len(payload), chunk)]
    body = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces)
    return body + f"0\r\n{trailer}\r\n\r\n".encode()


def keys(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket="wire").get("Contents", [])]


def test_aws_chunked_trailer_checksum(server: LiveServer) -> None:
    s3 = server.client("s3")
    s3.create_bucket(Bucket="wire")
    payload = bytes(range(256)) * (12 * 1024)  # 3 MB: streamed to the operation
    crc = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    headers = {
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "Content-Encoding": "aws-chunked",
        "x-amz-trailer": "x-amz-checksum-crc32",
        "x-amz-decoded-content-length": str(len(payload)),
    }
    good = httpx.put(
        f"{server.url}/wire/good",
        headers=signed(server, "good", headers),
        content=chunked(payload, f"x-amz-checksum-crc32:{crc}"),
    )
    assert good.status_code == 200, good.text
    assert good.headers["x-amz-checksum-crc32"] == crc
    got = s3.get_object(Bucket="wire", Key="good")
    assert got["Body"].read() == payload
    assert "aws-chunked" not in got.get("ContentEncoding", "")
    bad = httpx.put(
        f"{server.url}/wire/bad",
        headers=signed(server, "bad", headers),
        content=chunked(payload, "x-amz-checksum-crc32:AAAAAA=="),
    )
    assert bad.status_code == 400
    assert b"<Code>BadDigest</Code>" in bad.content
    assert b"The CRC32 you specified did not match the calculated checksum." in bad.content
    short = httpx.put(
        f"{server.url}/wire/short",
        headers=signed(server, "short", {**headers, "x-amz-decoded-content-length": "5"}),
        content=chunked(payload, f"x-amz-checksum-crc32:{crc}"),
    )
    assert short.status_code == 400
    assert b"<Code>IncompleteBody</Code>" in short.content
    assert keys(s3) == ["good"]


def test_streamed_body_must_match_its_signed_hash(server: LiveServer) -> None:
    s3 = server.client("s3")
    s3.create_bucket(Bucket="wire")
    payload = b"m" * (2 * MB)
    claimed = hashlib.sha256(b"something else").hexdigest()
    answer = httpx.put(
        f"{server.url}/wire/model",
        headers=signed(server, "model", {"x-amz-content-sha256": claimed}),
        content=payload,
    )
    assert answer.status_code == 400
    assert b"<Code>XAmzContentSHA256Mismatch</Code>" in answer.content
    honest = hashlib.sha256(payload).hexdigest()
    answer = httpx.put(
        f"{server.url}/wire/model",
        headers=signed(server, "model", {"x-amz-content-sha256": honest}),
        content=payload,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["etag"] == f'"{hashlib.md5(payload).hexdigest()}"'
    assert keys(s3) == ["model"]
    stored = [
        p
        for p in (server.settings.state_dir / "blobs").rglob("*")
        if p.is_file() and p.parent.name != "tmp"
    ]
    assert len(stored) == 1, "the rejected upload left no bytes behind"
