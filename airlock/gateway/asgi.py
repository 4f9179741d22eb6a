"""Between ASGI and the gateway: requests in, responses out."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.types import Scope

from airlock.core.http import Headers, HttpRequest, HttpResponse

# Bodies larger than this (or of unknown length) stream to the operation in blocks.
STREAM_ABOVE = 1024 * 1024


def scope_headers(scope: Scope) -> Headers:
    """An ASGI request's headers."""
    return Headers((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])


def held_whole(headers: Headers) -> bool:
    """Whether a body is small enough to read whole (else it streams to the operation)."""
    length = headers.get("content-length")
    return length is not None and length.isdigit() and int(length) <= STREAM_ABOVE


def http_request_of(
    scope: Scope, headers: Headers, body: bytes, stream: Iterator[bytes] | None
) -> HttpRequest:
    """The gateway's request for an ASGI request."""
    raw_path = scope.get("raw_path") or scope["path"].encode()
    client = scope.get("client")
    return HttpRequest(
        method=scope["method"],
        path=raw_path.decode("latin-1").split("?", 1)[0],
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
        source_ip=client[0] if client else "127.0.0.1",
        stream=stream,
    )


def raw_headers(result: HttpResponse) -> list[tuple[bytes, bytes]]:
    """A response's headers for ASGI, with Content-Length for a body held whole."""
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in result.headers]
    if isinstance(result.body, bytes) and not any(k == b"content-length" for k, _ in raw):
        raw.append((b"content-length", str(len(result.body)).encode()))
    return raw
