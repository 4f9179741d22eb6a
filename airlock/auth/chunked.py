"""Request bodies checked while they stream: `aws-chunked` decoding and declared digests.

`aws-chunked` forms (the `x-amz-content-sha256` value):
- STREAMING-AWS4-HMAC-SHA256-PAYLOAD: every chunk signed, chained from the seed
  signature of the headers.
- STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the same plus a signed trailer.
- STREAMING-UNSIGNED-PAYLOAD-TRAILER: plain chunks and a trailing checksum
  header (what SDKs send over https).

Nothing here holds a whole body: data passes through in chunks, and every check
(chunk signatures, the declared length, checksums, Content-MD5, the payload
SHA-256) runs as the bytes go by and fails at the latest when they end, so the
consumer (the blob store) discards what it wrote.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Iterator

from airlock.core.errors import ClientFault
from airlock.core.http import Headers, HttpRequest

from .checksums import Digest, algorithm_of, encoded, new_digest
from .errors import AuthError, AuthFailure
from .sigv4 import EMPTY_SHA256, SignatureInfo, sign, signing_key

SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
MAX_CHUNK_HEADER = 4096


class IncompleteBody(ClientFault):
    """The body ended before its declared length."""

    code = "IncompleteBody"


class InvalidRequest(ClientFault):
    """A malformed aws-chunked body."""

    code = "InvalidRequest"


class BadDigest(ClientFault):
    """A checksum did not match the data."""

    code = "BadDigest"


class InvalidDigest(ClientFault):
    """A Content-MD5 that is no base64 MD5."""

    code = "InvalidDigest"


class _Buffer:
    """Reads lines and exact lengths from an iterator of byte chunks."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._source = iter(chunks)
        self._data = bytearray()
        self._done = False

    def _fill(self) -> bool:
        if self._done:
            return False
        for chunk in self._source:
            if chunk:
                self._data += chunk
                return True
        self._done = True
        return False

    def line(self) -> bytes | None:
        """The next CRLF-terminated line without its CRLF; None at the very end."""
        while True:
            end = self._data.find(b"\r\n")
            if end >= 0:
                line = bytes(self._data[:end])
                del self._data[: end + 2]
                return line
            if len(self._data) > MAX_CHUNK_HEADER:
                raise InvalidRequest("A chunk header of the aws-chunked body is too long.")
            if not self._fill():
                if self._data:
                    raise IncompleteBody("The request body ended inside a chunk header.")
                return None

    def exactly(self, size: int) -> Iterator[bytes]:
        """`size` bytes, in pieces as they arrive."""
        while size > 0:
            if not self._data and not self._fill():
                raise IncompleteBody("The request body is shorter than its chunk sizes say.")
            piece = bytes(self._data[:size])
            del self._data[: len(piece)]
            size -= len(piece)
            yield piece


class AwsChunkedDecoder:
    """Iterate to get the payload of an aws-chunked body; `trailers` once it ends."""

    def __init__(
        self, chunks: Iterable[bytes], request: HttpRequest, info: SignatureInfo, secret: str
    ) -> None:
        self._buffer = _Buffer(chunks)
        self._request = request
        self._info = info
        self._key = signing_key(secret, info.date, info.region, info.service)
        self._stamp = info.request_time.strftime("%Y%m%dT%H%M%SZ")
        self.trailers: dict[str, str] = {}

    def __iter__(self) -> Iterator[bytes]:
        info = self._info
        signed = info.payload_hash in (SIGNED, SIGNED_TRAILER)
        previous = info.signature
        total = 0
        while True:
            header = self._buffer.line()
            if header is None:
                raise IncompleteBody("The request body ended before its final chunk.")
            size_text, _, extension = header.decode("latin-1").partition(";")
            try:
                size = int(size_text, 16)
            except ValueError as error:
                raise InvalidRequest(
                    f"Invalid chunk size {size_text!r} in aws-chunked body."
                ) from error
            digest = hashlib.sha256() if signed else None
            for piece in self._buffer.exactly(size):
                if digest is not None:
                    digest.update(piece)
                total += len(piece)
                yield piece
            if digest is not None:
                previous = self._check_chunk(extension, previous, digest.hexdigest())
            if size == 0:
                break
            if self._buffer.line() != b"":
                raise InvalidRequest("A chunk is not followed by CRLF in the aws-chunked body.")
        self._read_trailers(previous)
        declared = self._request.headers.get("x-amz-decoded-content-length")
        if declared is not None and declared.isdigit() and int(declared) != total:
            raise IncompleteBody(
                f"You did not provide the number of bytes specified by the "
                f"x-amz-decoded-content-length header ({declared}); got {total}."
            )

    def _check_chunk(self, extension: str, previous: str, chunk_sha256: str) -> str:
        claimed = extension.partition("chunk-signature=")[2].strip()
        text = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                self._stamp,
                self._info.scope,
                previous,
                EMPTY_SHA256,
                chunk_sha256,
            ]
        )
        expected = sign(self._key, text)
        if not hmac.compare_digest(expected, claimed):
            raise AuthError(AuthFailure.SIGNATURE_MISMATCH, "chunk signature mismatch")
        return expected

    def _read_trailers(self, previous: str) -> None:
        signature = ""
        while (line := self._buffer.line()) not in (None, b""):
            assert line is not None
            text = line.decode("latin-1")
            name, sep, value = text.partition(":")
            if not sep:
                raise InvalidRequest(f"Malformed trailer line {text!r} in aws-chunked body.")
            if name.strip().lower() == "x-amz-trailer-signature":
                signature = value.strip()
            else:
                self.trailers[name.strip().lower()] = value.strip()
        if self._info.payload_hash == SIGNED_TRAILER:
            canonical = "".join(f"{k}:{v}\n" for k, v in self.trailers.items())
            text = "\n".join(
                [
                    "AWS4-HMAC-SHA256-TRAILER",
                    self._stamp,
                    self._info.scope,
                    previous,
                    hashlib.sha256(canonical.encode()).hexdigest(),
                ]
            )
            if not hmac.compare_digest(sign(self._key, text), signature):
                raise AuthError(AuthFailure.SIGNATURE_MISMATCH, "trailer signature mismatch")


class CheckedBody:
    """A body passed through unchanged, checked when it ends against what was declared.

    Declared: the payload SHA-256 the request was signed with, Content-MD5, an
    `x-amz-checksum-*` header, or a checksum trailer of an aws-chunked body
    (announced up front by `x-amz-trailer`). After iteration, `checksums` holds
    each verified algorithm's base64 value (`{"CRC32": "…"}`).
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        headers: Headers,
        *,
        sha256: str | None = None,
        decoder: AwsChunkedDecoder | None = None,
    ) -> None:
        self._chunks = chunks
        self._sha256 = sha256
        self._decoder = decoder
        self._md5 = _content_md5(headers)
        self._declared = {
            label: value.strip()
            for name, value in headers
            if (label := algorithm_of(name)) is not None
        }
        trailer = (headers.get("x-amz-trailer") or "").strip().lower()
        self._trailer = algorithm_of(trailer) if decoder is not None else None
        self.checksums: dict[str, str] = {}

    def __iter__(self) -> Iterator[bytes]:
        digests: dict[str, Digest] = {label: new_digest(label) for label in self._declared}
        if self._trailer:
            digests.setdefault(self._trailer, new_digest(self._trailer))
        md5 = hashlib.md5(usedforsecurity=False) if self._md5 is not None else None
        sha256 = hashlib.sha256() if self._sha256 is not None else None
        for chunk in self._chunks:
            for digest in digests.values():
                digest.update(chunk)
            if md5 is not None:
                md5.update(chunk)
            if sha256 is not None:
                sha256.update(chunk)
            yield chunk
        if sha256 is not None and not hmac.compare_digest(sha256.hexdigest(), self._sha256 or ""):
            raise AuthError(AuthFailure.PAYLOAD_HASH_MISMATCH, "body does not match its hash")
        if md5 is not None and md5.digest() != self._md5:
            raise BadDigest("The Content-MD5 you specified did not match what we received.")
        declared = dict(self._declared)
        if self._decoder is not None:
            for name, value in self._decoder.trailers.items():
                if (label := algorithm_of(name)) is not None:
                    declared[label] = value
        for label, value in declared.items():
            if label not in digests:
                raise InvalidRequest(
                    f"The {label} trailer was not announced in the x-amz-trailer header."
                )
            actual = encoded(digests[label])
            if actual != value:
                raise BadDigest(f"The {label} you specified did not match the calculated checksum.")
            self.checksums[label] = actual


def _content_md5(headers: Headers) -> bytes | None:
    value = headers.get("content-md5")
    if value is None:
        return None
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise InvalidDigest("The Content-MD5 you specified was invalid.")
    return digest
