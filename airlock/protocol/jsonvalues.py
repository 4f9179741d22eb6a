"""Values between JSON documents and plain Python, guided by botocore shapes.

With `binary`, the document is CBOR's (smithy RPC v2): blobs are bytes and timestamps
are tagged epoch seconds rather than base64 text and numbers.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import cbor2

from airlock.core.documents import TooDeep, load_json
from airlock.core.errors import SerializationError

from .timestamps import format_timestamp, parse_timestamp, timestamp_format

_JSON_TYPES = {
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
    "string": (str,),
    "boolean": (bool,),
    "blob": (str,),
}


def read_json(body: bytes) -> Any:
    """A request body's JSON document; SerializationError if it is not JSON."""
    try:
        return load_json(body)
    except TooDeep as error:
        raise SerializationError(f"The request body is not valid JSON: {error}.") from error
    except ValueError as error:
        raise SerializationError(f"The request body is not valid JSON: {error}") from error


def _wrong(path: str, shape: Any, value: Any) -> SerializationError:
    return SerializationError(
        f"Unexpected value at '{path}': expected {shape.type_name}, got {type(value).__name__} "
        f"{str(value)[:40]!r}."
    )


def from_json(shape: Any, value: Any, path: str = "", *, binary: bool = False) -> Any:
    """A JSON (or, with `binary`, CBOR) value read as `shape` (datetimes for timestamps,
    bytes for blobs)."""
    if value is None:
        return None
    if shape.metadata.get("document"):
        return value  # free-form JSON
    kind = shape.type_name
    expected = (bytes,) if binary and kind == "blob" else _JSON_TYPES.get(kind)
    if expected is not None and not isinstance(value, expected):
        raise _wrong(path, shape, value)
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if key in value:
                where = f"{path}.{name}" if path else name
                parsed = from_json(member, value[key], where, binary=binary)
                if parsed is not None:
                    out[name] = parsed
        return out
    if kind == "list":
        return [
            from_json(shape.member, v, f"{path}[{i}]", binary=binary) for i, v in enumerate(value)
        ]
    if kind == "map":
        return {
            k: from_json(shape.value, v, f"{path}.{k}", binary=binary) for k, v in value.items()
        }
    if binary and kind in ("blob", "timestamp") and isinstance(value, bytes | datetime):
        return value  # CBOR carries bytes, and cbor2 reads tagged epoch times as datetimes
    if kind == "blob":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as error:
            raise _wrong(path, shape, value) from error
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong(path, shape, value)
        return value
    if kind in ("float", "double"):
        if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
            return float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong(path, shape, value)
        return float(value)
    if kind == "timestamp":
        try:
            return parse_timestamp(value)
        except (ValueError, OverflowError, OSError) as error:
            raise _wrong(path, shape, value) from error
    return value


def to_json(
    shape: Any,
    value: Any,
    *,
    default_timestamp: str = "unixTimestamp",
    binary: bool = False,
) -> Any:
    """A plain value written as `shape` for a JSON (or, with `binary`, CBOR) document."""
    if value is None:
        return None
    if shape.metadata.get("document"):
        return value
    kind = shape.type_name
    options: dict[str, Any] = {"default_timestamp": default_timestamp, "binary": binary}
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                key = member.serialization.get("name", name)
                out[key] = to_json(member, value[name], **options)
        return out
    if kind == "list":
        return [to_json(shape.member, v, **options) for v in value]
    if kind == "map":
        return {k: to_json(shape.value, v, **options) for k, v in value.items()}
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return raw if binary else base64.b64encode(raw).decode()
    if kind == "timestamp":
        moment = value if isinstance(value, datetime) else parse_timestamp(value)
        if binary:  # CBOR's tag 1: epoch seconds
            return cbor2.CBORTag(1, format_timestamp(moment, "unixTimestamp"))
        return format_timestamp(moment, timestamp_format(shape, default_timestamp))
    if binary:  # CBOR has NaN and the infinities, and doubles are doubles
        return float(value) if kind in ("float", "double") else value
    if kind in ("float", "double") and isinstance(value, float) and value != value:
        return "NaN"
    if kind in ("float", "double") and value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return value
