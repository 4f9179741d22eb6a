"""Plain HTTP request and response values passed between gateway, auth and protocol layers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
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


@dataclass
class HttpRequest:
    """A request as it came off the wire.

    `path` is the raw (still percent-encoded) path without the query string and
    `query_string` the raw query string, because SigV4 signs the encoded forms.
    """

    method: str
    path: str
    query_string: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    source_ip: str = "127.0.0.1"

    def query_params(self) -> list[tuple[str, str]]:
        """Decoded query parameters in order, blank values kept."""
        return parse_qsl(self.query_string, keep_blank_values=True)

    @property
    def host(self) -> str:
        """The Host header (empty when absent)."""
        return self.headers.get("host", "") or ""


@dataclass
class HttpResponse:
    """A response ready to be written to the wire."""

    status: int = 200
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
