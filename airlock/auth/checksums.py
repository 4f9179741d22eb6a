"""The checksums S3 accepts (`x-amz-checksum-*`, Content-MD5), computed incrementally."""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable
from typing import Protocol


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C = _crc32c_table()


def crc32c(data: bytes, value: int = 0) -> int:
    """CRC-32C (Castagnoli) of `data`, continuing from `value` (S3's `x-amz-checksum-crc32c`)."""
    crc = value ^ 0xFFFFFFFF
    table = _CRC32C
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class Digest(Protocol):
    """An incremental digest."""

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


class _Crc:
    def __init__(self, step: Callable[[bytes, int], int]) -> None:
        self._step = step
        self._value = 0

    def update(self, data: bytes, /) -> None:
        self._value = self._step(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(4, "big")


# The algorithm S3 names in messages and members (ChecksumCRC32…), by header suffix.
ALGORITHMS: dict[str, tuple[str, Callable[[], Digest]]] = {
    "crc32": ("CRC32", lambda: _Crc(zlib.crc32)),
    "crc32c": ("CRC32C", lambda: _Crc(crc32c)),
    "sha1": ("SHA1", lambda: hashlib.sha1(usedforsecurity=False)),
    "sha256": ("SHA256", hashlib.sha256),
}
HEADER_PREFIX = "x-amz-checksum-"


def algorithm_of(header: str) -> str | None:
    """`x-amz-checksum-crc32` → `CRC32`; None for headers that are no known checksum."""
    name = header.lower()
    if not name.startswith(HEADER_PREFIX):
        return None
    known = ALGORITHMS.get(name[len(HEADER_PREFIX) :])
    return known[0] if known else None


def new_digest(algorithm: str) -> Digest:
    """A fresh digest for `CRC32`, `CRC32C`, `SHA1` or `SHA256`."""
    for label, factory in ALGORITHMS.values():
        if label == algorithm.upper():
            return factory()
    raise KeyError(algorithm)


def encoded(digest: Digest) -> str:
    """The base64 form S3 uses on the wire."""
    return base64.b64encode(digest.digest()).decode()
