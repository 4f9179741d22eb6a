"""`NextToken`/`MaxResults` pagination shared by every list operation."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from airlock.core.documents import load_json
from airlock.core.errors import ServiceError

T = TypeVar("T")


def encode_token(offset: int) -> str:
    """An opaque token that resumes a listing at `offset`."""
    raw = json.dumps({"offset": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> int | None:
    """The offset inside a token from `encode_token`, or None if it is not one."""
    try:
        padded = token + "=" * (-len(token) % 4)
        value = load_json(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        return None
    offset = value.get("offset") if isinstance(value, dict) else None
    return offset if isinstance(offset, int) and offset >= 0 else None


def paginate(
    items: Sequence[T],
    params: dict[str, Any],
    *,
    default_max: int,
    bad_token: Callable[[], ServiceError],
    token_key: str = "NextToken",
    max_key: str = "MaxResults",
) -> tuple[list[T], str | None]:
    """One page of `items` and the token for the next page (None on the last page)."""
    token = params.get(token_key)
    offset = 0
    if token:
        decoded = decode_token(str(token))
        if decoded is None:
            raise bad_token()
        offset = decoded
    limit = int(params.get(max_key) or default_max)
    chunk = list(items[offset : offset + limit])
    end = offset + len(chunk)
    return chunk, (encode_token(end) if end < len(items) else None)
