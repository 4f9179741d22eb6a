"""botocore's real signers sign; Airlock verifies (and refuses what it should)."""

from __future__ import annotations

import base64
import hashlib
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from airlock.auth import (
    AuthError,
    AuthFailure,
    auth_error,
    parse_signature,
    verify,
)
from airlock.auth.checksums import crc32c
from airlock.auth.chunked import (
    SIGNED,
    SIGNED_TRAILER,
    AwsChunkedDecoder,
    BadDigest,
    CheckedBody,
)
from airlock.auth.sigv4 import SignatureInfo, sign, signing_key
from airlock.core.http import Headers, HttpRequest

KEY, SECRET, TOKEN = "AKIAAIRLOCKTEST00001", "s" * 40, None


def received(request: Any) -> HttpRequest:
    """The botocore request as Airlock's gateway would see it."""
    prepared = request.prepare() if hasattr(request, "prepare") else request
    parts = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    headers = Headers(
        [(k, v if isinstance(v, str) else v.decode()) for k, v in prepared.headers.items()]
    )
    if "host" not in headers:  # the HTTP client adds it from the URL
        headers.add("Host", parts.netloc)
    return HttpRequest(prepared.method, parts.path or "/", parts.query, headers, body)


def sign_with(signer: Any, request: AWSRequest) -> HttpRequest:
    signer.add_auth(request)
    return received(request)


def now() -> datetime:
    return datetime.now(UTC)


def check(
    request: HttpRequest, *, s3: bool = False, secret: str = SECRET, at: datetime | None = None
) -> None:
    info = parse_signature(request)
    assert info is not None
    verify(request, info, secret, now=at or now(), s3=s3)


def json_request(body: bytes = b'{"MaxResults": 5}') -> AWSRequest:
    return AWSRequest(
        method="POST",
        url="http://127.0.0.1:4716/",
        data=body,
        headers={
            "X-Amz-Target": "AWSOrganizationsV20161128.ListRoots",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )


def test_json_query_and_s3_requests_verify() -> None:
    credentials = Credentials(KEY, SECRET)
    check(sign_with(SigV4Auth(credentials, "organizations", "us-east-1"), json_request()))
    form = AWSRequest(
        method="POST",
        url="http://127.0.0.1:4716/",
        data=b"Action=GetUser&Version=2010-05-08",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    check(sign_with(SigV4Auth(credentials, "iam", "us-east-1"), form))
    s3_get = AWSRequest(method="GET", url="http://127.0.0.1:4716/models/iris%20v1/%C3%9F.tar.gz")
    check(sign_with(S3SigV4Auth(credentials, "s3", "us-east-1"), s3_get), s3=True)
    odd_path = AWSRequest(method="GET", url="http://127.0.0.1:4716/a%2Fb/c%20d")
    check(sign_with(SigV4Auth(credentials, "sagemaker", "us-east-1"), odd_path))


def test_session_token_is_part_of_the_signature() -> None:
    request = sign_with(
        SigV4Auth(Credentials(KEY, SECRET, "token-1"), "organizations", "us-east-1"),
        json_request(),
    )
    info = parse_signature(request)
    assert info is not None and info.session_token == "token-1"
    verify(request, info, SECRET, now=now(), s3=False)


def test_wrong_secret_tampered_body_and_skew() -> None:
    request = sign_with(
        SigV4Auth(Credentials(KEY, SECRET), "organizations", "us-east-1"), json_request()
    )
    with pytest.raises(AuthError) as caught:
        check(request, secret="x" * 40)
    assert caught.value.failure is AuthFailure.SIGNATURE_MISMATCH
    tampered = HttpRequest(
        request.method, request.path, request.query_string, request.headers, b'{"MaxResults": 6}'
    )
    with pytest.raises(AuthError) as caught:
        check(tampered)
    assert caught.value.failure is AuthFailure.SIGNATURE_MISMATCH
    check(request, at=now() + timedelta(minutes=14))
    for minutes in (16, -16):
        with pytest.raises(AuthError) as caught:
            check(request, at=now() + timedelta(minutes=minutes))
        assert caught.value.failure is AuthFailure.SKEWED


def test_payload_hash_header_must_match_the_body() -> None:
    request = AWSRequest(method="PUT", url="http://127.0.0.1:4716/b/k", data=b"data")
    signed = sign_with(S3SigV4Auth(Credentials(KEY, SECRET), "s3", "us-east-1"), request)
    altered = HttpRequest(signed.method, signed.path, signed.query_string, signed.headers, b"other")
    with pytest.raises(AuthError) as caught:
        check(altered, s3=True)
    assert caught.value.failure is AuthFailure.PAYLOAD_HASH_MISMATCH


def test_presigned_urls() -> None:
    signer = S3SigV4QueryAuth(Credentials(KEY, SECRET), "s3", "us-east-1", expires=60)
    request = sign_with(
        signer, AWSRequest(method="GET", url="http://127.0.0.1:4716/models/iris.tar.gz")
    )
    info = parse_signature(request)
    assert info is not None and info.presigned and info.expires_seconds == 60
    check(request, s3=True)
    with pytest.raises(AuthError) as caught:
        check(request, s3=True, at=now() + timedelta(seconds=120))
    assert caught.value.failure is AuthFailure.PRESIGN_EXPIRED
    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:4716",
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": "b", "Key": "a b/c"}, ExpiresIn=300
    )
    parts = urlsplit(url)
    presigned = HttpRequest("GET", parts.path, parts.query, Headers([("Host", parts.netloc)]))
    check(presigned, s3=True)


def test_auth_errors_per_family() -> None:
    expected = {
        ("json", AuthFailure.UNKNOWN_KEY): ("UnrecognizedClientException", 400),
        ("json", AuthFailure.SIGNATURE_MISMATCH): ("InvalidSignatureException", 400),
        ("json", AuthFailure.MISSING): ("MissingAuthenticationTokenException", 403),
        ("query", AuthFailure.UNKNOWN_KEY): ("InvalidClientTokenId", 403),
        ("query", AuthFailure.SIGNATURE_MISMATCH): ("SignatureDoesNotMatch", 403),
        ("query", AuthFailure.SKEWED): ("SignatureDoesNotMatch", 403),
        ("s3", AuthFailure.UNKNOWN_KEY): ("InvalidAccessKeyId", 403),
        ("s3", AuthFailure.SKEWED): ("RequestTimeTooSkewed", 403),
        ("s3", AuthFailure.PRESIGN_EXPIRED): ("AccessDenied", 403),
        ("s3", AuthFailure.PAYLOAD_HASH_MISMATCH): ("XAmzContentSHA256Mismatch", 400),
    }
    for (family, failure), (code, status) in expected.items():
        error = auth_error(AuthError(failure, "Signature expired: detail"), family)  # type: ignore[arg-type]
        assert (error.code, error.http_status) == (code, status), (family, failure)
    assert auth_error(AuthError(AuthFailure.UNKNOWN_KEY), "query").message == (
        "The security token included in the request is invalid."
    )
    assert auth_error(AuthError(AuthFailure.PRESIGN_EXPIRED), "s3").message == "Request has expired"
    assert auth_error(AuthError(AuthFailure.SKEWED, "Signature expired: x"), "json").message == (
        "Signature expired: x"
    )


def boto3_put_object_request(body: bytes) -> HttpRequest:
    """What boto3 really sends for put_object to an http endpoint (captured before sending)."""
    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:4716",
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(s3={"addressing_style": "path"}),
    )
    captured: list[HttpRequest] = []

    class Sent(Exception):
        pass

    def capture(request: Any, **_: Any) -> None:
        data = request.body
        raw = data.read() if hasattr(data, "read") else data
        parts = urlsplit(request.url)
        headers = Headers(
            [(k, v if isinstance(v, str) else v.decode()) for k, v in request.headers.items()]
        )
        headers.add("Host", parts.netloc)
        captured.append(HttpRequest(request.method, parts.path, parts.query, headers, raw or b""))
        raise Sent

    client.meta.events.register("before-send.s3.PutObject", capture)
    with pytest.raises(Sent):
        client.put_object(Bucket="models", Key="iris/model.tar.gz", Body=body)
    return captured[0]


def test_boto3_put_object_over_http_verifies() -> None:
    # Over plain http boto3 1.44 signs the payload itself and sends its CRC32
    # in a header (aws-chunked bodies are for https).
    payload = b"model bytes " * 1000
    request = boto3_put_object_request(payload)
    info = parse_signature(request)
    assert info is not None
    assert info.payload_hash == hashlib.sha256(payload).hexdigest()
    verify(request, info, SECRET, now=now(), s3=True)
    assert request.body == payload
    assert (
        request.headers.get("x-amz-checksum-crc32")
        == base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    )


def _signed_chunked(payload: bytes, chunk: int, *, trailer: bool) -> tuple[HttpRequest, str]:
    """A STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) upload, signed per AWS's documentation."""
    mode = SIGNED_TRAILER if trailer else SIGNED
    request = AWSRequest(
        method="PUT",
        url="http://127.0.0.1:4716/models/k",
        headers={
            "x-amz-content-sha256": mode,
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(payload)),
            **({"x-amz-trailer": "x-amz-checksum-crc32"} if trailer else {}),
        },
    )
    SigV4Auth(Credentials(KEY, SECRET), "s3", "us-east-1").add_auth(request)
    seed = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    stamp = request.headers["X-Amz-Date"]
    scope = f"{stamp[:8]}/us-east-1/s3/aws4_request"
    key = signing_key(SECRET, stamp[:8], "us-east-1", "s3")
    previous = seed
    body = b""
    pieces = [payload[i : i + chunk] for i in range(0, len(payload), chunk)] + [b""]
    for piece in pieces:
        text = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                stamp,
                scope,
                previous,
                hashlib.sha256(b"").hexdigest(),
                hashlib.sha256(piece).hexdigest(),
            ]
        )
        previous = sign(key, text)
        body += f"{len(piece):x};chunk-signature={previous}\r\n".encode() + piece + b"\r\n"
    if trailer:
        checksum = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
        line = f"x-amz-checksum-crc32:{checksum}\n"
        text = "\n".join(
            [
                "AWS4-HMAC-SHA256-TRAILER",
                stamp,
                scope,
                previous,
                hashlib.sha256(line.encode()).hexdigest(),
            ]
        )
        body = (
            body[:-2]
            + f"x-amz-checksum-crc32:{checksum}\r\n".encode()
            + f"x-amz-trailer-signature:{sign(key, text)}\r\n\r\n".encode()
        )
    signed = received(request)
    return HttpRequest(signed.method, signed.path, signed.query_string, signed.headers, body), mode


def decode_aws_chunked(
    body: bytes, request: HttpRequest, info: SignatureInfo, secret: str
) -> tuple[bytes, dict[str, str]]:
    """Decode and check a body that arrives in odd-sized pieces, as off a socket."""
    pieces = [body[i : i + 777] for i in range(0, len(body), 777)]
    decoder = AwsChunkedDecoder(pieces, request, info, secret)
    checked = CheckedBody(decoder, request.headers, decoder=decoder)
    return b"".join(checked), decoder.trailers


@pytest.mark.parametrize("trailer", [False, True])
def test_signed_chunks(trailer: bool) -> None:
    payload = bytes(range(256)) * 300
    request, mode = _signed_chunked(payload, 8192, trailer=trailer)
    info = parse_signature(request)
    assert info is not None and info.payload_hash == mode
    verify(request, info, SECRET, now=now(), s3=True)
    body, trailers = decode_aws_chunked(request.body, request, info, SECRET)
    assert body == payload
    assert bool(trailers) is trailer
    flipped = bytearray(request.body)
    flipped[200] ^= 1
    with pytest.raises(AuthError) as caught:
        decode_aws_chunked(bytes(flipped), request, info, SECRET)
    assert caught.value.failure is AuthFailure.SIGNATURE_MISMATCH


def _unsigned_trailer_request(payload: bytes, checksum: str) -> HttpRequest:
    """A STREAMING-UNSIGNED-PAYLOAD-TRAILER upload (what SDKs send over https)."""
    request = AWSRequest(
        method="PUT",
        url="http://127.0.0.1:4716/models/k",
        headers={
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "Content-Encoding": "aws-chunked",
            "x-amz-trailer": "x-amz-checksum-crc32",
            "x-amz-decoded-content-length": str(len(payload)),
        },
    )
    signed = sign_with(SigV4Auth(Credentials(KEY, SECRET), "s3", "us-east-1"), request)
    body = (
        f"{len(payload):x}\r\n".encode()
        + payload
        + f"\r\n0\r\nx-amz-checksum-crc32:{checksum}\r\n\r\n".encode()
    )
    return HttpRequest(signed.method, signed.path, signed.query_string, signed.headers, body)


def test_unsigned_trailer_checksum_is_verified() -> None:
    payload = b"abc" * 100
    good = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    request = _unsigned_trailer_request(payload, good)
    info = parse_signature(request)
    assert info is not None
    verify(request, info, SECRET, now=now(), s3=True)
    body, trailers = decode_aws_chunked(request.body, request, info, SECRET)
    assert body == payload
    assert trailers == {"x-amz-checksum-crc32": good}
    forged = _unsigned_trailer_request(payload, "AAAAAA==")
    with pytest.raises(BadDigest) as caught:
        decode_aws_chunked(forged.body, forged, info, SECRET)
    assert caught.value.message == "The CRC32 you specified did not match the calculated checksum."


def test_crc32c_known_value() -> None:
    # The check value of CRC-32C for "123456789".
    assert crc32c(b"123456789") == 0xE3069283
