"""Plain HTTP request and response values passed between gateway, auth and protocol layers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


class Headers:
    """Case-insensitive multi-valued HTTP headers that keep the order they arrived in."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = [(k, v) for k, v in items]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of `name`, or `default`."""
        lname = name.lower()
        for k, v in self._items:
            if k.lower() == lname:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of `name`, in order."""
        lname = name.lower()
        return [v for k, v in self._items if k.lower() == lname]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def items(self) -> list[tuple[str, str]]:
        """All (name, value) pairs as received."""
        return list(self._items)

    def set(self, name: str, value: str) -> None:
        """Replace every value of `name` with one value."""
        lname = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lname]
        self._items.append((name, value))

    def add(self, name: str, value: str) -> None:
        """Append a value without removing existing ones."""
        self._items.append((name, value))

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class HttpRequest:
    """A request as it came off the wire.

    `path` is the raw (still percent-encoded) path without the query string and
    `query_string` the raw query string, because SigV4 signs the encoded forms.
    A large body may arrive as a `stream` of chunks instead of bytes: operations
    that stream (S3 uploads) take it with `take_stream()`; anything that reads
    `body` drains it into memory once.
    """

    def __init__(
        self,
        method: str,
        path: str,
        query_string: str = "",
        headers: Headers | None = None,
        body: bytes = b"",
        source_ip: str = "127.0.0.1",
        stream: Iterable[bytes] | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.query_string = query_string
        self.headers = headers if headers is not None else Headers()
        self._body = body
        self._stream = stream
        self.source_ip = source_ip

    @property
    def body(self) -> bytes:
        """The whole body (drains a stream into memory)."""
        if self._stream is not None:
            self._body = b"".join(self._stream)
            self._stream = None
        return self._body

    @body.setter
    def body(self, value: bytes) -> None:
        self._body, self._stream = value, None

    @property
    def streaming(self) -> bool:
        """Whether the body is still an unread stream."""
        return self._stream is not None

    def take_stream(self) -> Iterable[bytes]:
        """The body as chunks; the request keeps no copy."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            return stream
        body, self._body = self._body, b""
        return [body] if body else []

    def replace(self, **changes: Any) -> HttpRequest:
        """A copy with some attributes changed; the body (or stream) moves to the copy."""
        values: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "query_string": self.query_string,
            "headers": self.headers,
            "source_ip": self.source_ip,
        }
        if "body" not in changes and "stream" not in changes:
            values["body"], values["stream"] = self._body, self._stream
        values.update(changes)
        return HttpRequest(**values)

    def query_params(self) -> list[tuple[str, str]]:
        """Decoded query parameters in order, blank values kept."""
        return parse_qsl(self.query_string, keep_blank_values=True)

    @property
    def host(self) -> str:
        """The Host header (empty when absent)."""
        return self.headers.get("host", "") or ""

    def __repr__(self) -> str:
        return f"HttpRequest({self.method} {self.path}?{self.query_string})"


@dataclass
class HttpResponse:
    """A response ready to be written to the wire."""

    status: int = 200
    headers: Headers = field(default_factory=Headers)
    # Bytes, or chunks streamed to the client (a GetObject body read from the blob store).
    body: bytes | Iterator[bytes] = b""

    @property
    def data(self) -> bytes:
        """The whole body as bytes (drains a stream)."""
        if not isinstance(self.body, bytes):
            self.body = b"".join(self.body)
        return self.body
