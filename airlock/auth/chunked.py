"""`aws-chunked` request bodies: S3 uploads streamed in chunks, signed or with trailers.

Forms (the `x-amz-content-sha256` value):
- STREAMING-AWS4-HMAC-SHA256-PAYLOAD: every chunk signed, chained from the seed
  signature of the headers.
- STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the same plus a signed trailer.
- STREAMING-UNSIGNED-PAYLOAD-TRAILER: plain chunks and a trailing checksum
  header (what boto3 sends for `put_object` by default).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from collections.abc import Callable

from airlock.core.errors import ClientFault
from airlock.core.http import HttpRequest

from .errors import AuthError, AuthFailure
from .sigv4 import EMPTY_SHA256, SignatureInfo, sign, signing_key

SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), as S3's `x-amz-checksum-crc32c`."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


_CHECKSUMS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "x-amz-checksum-crc32": ("CRC32", lambda d: zlib.crc32(d).to_bytes(4, "big")),
    "x-amz-checksum-crc32c": ("CRC32C", lambda d: crc32c(d).to_bytes(4, "big")),
    "x-amz-checksum-sha1": ("SHA1", lambda d: hashlib.sha1(d).digest()),
    "x-amz-checksum-sha256": ("SHA256", lambda d: hashlib.sha256(d).digest()),
}


class IncompleteBody(ClientFault):
    """The body ended before its declared length."""

    code = "IncompleteBody"


class InvalidRequest(ClientFault):
    """A malformed aws-chunked body."""

    code = "InvalidRequest"


class BadDigest(ClientFault):
    """A checksum did not match the data."""

    code = "BadDigest"


def verify_checksum(name: str, value: str, data: bytes) -> None:
    """Check an `x-amz-checksum-*` value against the data (unknown algorithms pass)."""
    known = _CHECKSUMS.get(name.lower())
    if known is None:
        return
    label, compute = known
    if base64.b64encode(compute(data)).decode() != value.strip():
        raise BadDigest(f"The {label} you specified did not match the calculated checksum.")


def decode_aws_chunked(
    body: bytes, request: HttpRequest, info: SignatureInfo, secret: str
) -> tuple[bytes, dict[str, str]]:
    """The decoded payload and trailing headers; chunk signatures and checksums checked."""
    mode = info.payload_hash
    signed = mode in (SIGNED, SIGNED_TRAILER)
    key = signing_key(secret, info.date, info.region, info.service)
    stamp = info.request_time.strftime("%Y%m%dT%H%M%SZ")
    previous = info.signature
    payload = bytearray()
    pos = 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise IncompleteBody("The request body ended inside a chunk header.")
        header = body[pos:end].decode("latin-1")
        size_text, _, extension = header.partition(";")
        try:
            size = int(size_text, 16)
        except ValueError as error:
            raise InvalidRequest(
                f"Invalid chunk size {size_text!r} in aws-chunked body."
            ) from error
        start = end + 2
        chunk = body[start : start + size]
        if len(chunk) != size:
            raise IncompleteBody("The request body is shorter than its chunk sizes say.")
        if signed:
            claimed = extension.partition("chunk-signature=")[2].strip()
            text = "\n".join(
                [
                    "AWS4-HMAC-SHA256-PAYLOAD",
                    stamp,
                    info.scope,
                    previous,
                    EMPTY_SHA256,
                    hashlib.sha256(chunk).hexdigest(),
                ]
            )
            expected = sign(key, text)
            if not hmac.compare_digest(expected, claimed):
                raise AuthError(AuthFailure.SIGNATURE_MISMATCH, "chunk signature mismatch")
            previous = expected
        payload += chunk
        pos = start + size
        if size == 0:
            break
        if body[pos : pos + 2] != b"\r\n":
            raise InvalidRequest("A chunk is not followed by CRLF in the aws-chunked body.")
        pos += 2
    trailers = _trailers(body[pos:], mode, key, stamp, info, previous)
    declared = request.headers.get("x-amz-decoded-content-length")
    if declared is not None and declared.isdigit() and int(declared) != len(payload):
        raise IncompleteBody(
            f"You did not provide the number of bytes specified by the "
            f"x-amz-decoded-content-length header ({declared}); got {len(payload)}."
        )
    for name, value in trailers.items():
        verify_checksum(name, value, bytes(payload))
    for name, value in request.headers:
        if name.lower().startswith("x-amz-checksum-"):
            verify_checksum(name, value, bytes(payload))
    return bytes(payload), trailers


def _trailers(
    rest: bytes, mode: str, key: bytes, stamp: str, info: SignatureInfo, previous: str
) -> dict[str, str]:
    trailers: dict[str, str] = {}
    signature = ""
    for line in rest.decode("latin-1").split("\r\n"):
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise InvalidRequest(f"Malformed trailer line {line!r} in aws-chunked body.")
        if name.strip().lower() == "x-amz-trailer-signature":
            signature = value.strip()
        else:
            trailers[name.strip().lower()] = value.strip()
    if mode == SIGNED_TRAILER:
        canonical = "".join(f"{k}:{v}\n" for k, v in trailers.items())
        text = "\n".join(
            [
                "AWS4-HMAC-SHA256-TRAILER",
                stamp,
                info.scope,
                previous,
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        if not hmac.compare_digest(sign(key, text), signature):
            raise AuthError(AuthFailure.SIGNATURE_MISMATCH, "trailer signature mismatch")
    return trailers
