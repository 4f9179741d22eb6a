"""The REST protocols (`rest-json`, `rest-xml`): URI templates, headers, payloads."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, quote, unquote
from xml.etree import ElementTree as ET

from airlock.core.errors import SerializationError
from airlock.core.http import Headers, HttpRequest

from .jsonvalues import from_json, read_json, to_json
from .timestamps import format_timestamp, parse_timestamp, timestamp_format
from .xmlvalues import (
    BESIDE_BODY,
    add_members,
    parse_xml,
    read_element,
    read_members,
    read_scalar,
    set_namespace,
    to_bytes,
)


@dataclass(frozen=True)
class Template:
    """An operation's `requestUri`, compiled for matching."""

    operation: str
    method: str
    regex: re.Pattern[str]
    labels: tuple[str, ...]
    required_query: tuple[tuple[str, str | None], ...]
    # Required header members tell apart operations that share a URI
    # (CopyObject is PutObject plus `x-amz-copy-source`).
    required_headers: tuple[str, ...]
    score: int


def _compile(operation: Any) -> Template:
    http = operation.http
    uri = http["requestUri"]
    path, _, query = uri.partition("?")
    labels: list[str] = []
    pattern = ""
    literal = 0
    for piece in re.split(r"(\{[^}]+\})", path):
        if piece.startswith("{"):
            name = piece[1:-1]
            greedy = name.endswith("+")
            labels.append(name.rstrip("+"))
            pattern += "(.+)" if greedy else "([^/]+)"
        else:
            pattern += re.escape(piece)
            literal += len(piece)
    # A trailing slash is optional (`/{Bucket}` matches `/bucket/` too).
    pattern = pattern[:-1] if pattern.endswith("/") and pattern != "/" else pattern
    if pattern != "/":
        pattern += "/?"
    required: tuple[tuple[str, str | None], ...] = tuple(
        (key, value if sep else None)
        for key, sep, value in (part.partition("=") for part in query.split("&") if part)
    )
    shape = operation.input_shape
    # Required query members tell apart operations on one path (S3's UploadPart and
    # PutObject both PUT /{Bucket}/{Key+}; only UploadPart carries uploadId).
    required += tuple(
        (shape.members[name].serialization.get("name", name), None)
        for name in (shape.required_members if shape is not None else [])
        if shape.members[name].serialization.get("location") == "querystring"
    )
    headers = tuple(
        shape.members[name].serialization.get("name", name).lower()
        for name in (shape.required_members if shape is not None else [])
        if shape.members[name].serialization.get("location") == "header"
    )
    return Template(
        operation.name,
        http["method"],
        re.compile(pattern),
        tuple(labels),
        required,
        headers,
        literal + 100 * len(required) + 100 * len(headers),
    )


@cache
def templates(model: Any) -> tuple[Template, ...]:
    """Every operation's template, most specific first."""
    compiled = [_compile(model.operation_model(name)) for name in model.operation_names]
    return tuple(sorted(compiled, key=lambda t: -t.score))


def match(model: Any, request: HttpRequest) -> tuple[str, dict[str, str]] | None:
    """The operation name and raw label values for a request, if any template fits."""
    query = dict(parse_qsl(request.query_string, keep_blank_values=True))
    for template in templates(model):
        if template.method != request.method:
            continue
        found = template.regex.fullmatch(request.path or "/")
        if found is None:
            continue
        if any(
            key not in query or (value is not None and query[key] != value)
            for key, value in template.required_query
        ):
            continue
        if any(name not in request.headers for name in template.required_headers):
            continue
        return template.operation, dict(zip(template.labels, found.groups(), strict=True))
    return None


def _header_value(shape: Any, text: str, name: str) -> Any:
    if shape.type_name == "list":
        if not text.strip():
            return []
        items = _split_header_list(text)
        if (
            shape.member.type_name == "timestamp"
            and timestamp_format(shape.member, "rfc822") == "rfc822"
        ):
            # HTTP dates contain a comma of their own: "Mon, 16 Dec 2019 …".
            items = [f"{items[i]}, {items[i + 1]}" for i in range(0, len(items) - 1, 2)]
        return [read_scalar(shape.member, v.strip(), name) for v in items]
    if shape.type_name == "string" and shape.serialization.get("jsonvalue"):
        # The JSON text itself, as boto3 takes it for input.
        try:
            return base64.b64decode(text).decode()
        except (ValueError, binascii.Error) as error:
            raise SerializationError(f"Header {name} is not base64-encoded JSON.") from error
    if shape.type_name == "timestamp":
        return read_scalar(shape, text, name)
    if shape.type_name == "blob":
        return base64.b64decode(text)
    return read_scalar(shape, text, name)


def _split_header_list(text: str) -> list[str]:
    parts: list[str] = []
    current = ""
    quoted = False
    escaped = False
    for char in text:
        if escaped:
            current += char
            escaped = False
            continue
        if char == "\\" and quoted:
            escaped = True
            continue
        if char == '"':
            quoted = not quoted
            continue
        if char == "," and not quoted:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    parts.append(current.strip())
    return parts


def parse(
    operation: Any, request: HttpRequest, labels: dict[str, str], protocol: str
) -> dict[str, Any]:
    """The operation's input from a REST request."""
    shape = operation.input_shape
    if shape is None:
        return {}
    out: dict[str, Any] = {}
    query_pairs = parse_qsl(request.query_string, keep_blank_values=True)
    query: dict[str, list[str]] = {}
    for key, value in query_pairs:
        query.setdefault(key, []).append(value)
    body_members = False
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in labels:
                out[name] = read_scalar(member, unquote(labels[wire]), name)
        elif location == "querystring":
            if member.type_name == "map":
                # A map bound to the query string holds the parameters no other
                # member is bound to.
                taken = {
                    m.serialization.get("name")
                    for m in shape.members.values()
                    if m.serialization.get("location") == "querystring" and m is not member
                }
                values = {k: v for k, v in query.items() if k not in taken}
                if values:
                    if member.value.type_name == "list":
                        out[name] = values
                    else:
                        out[name] = {k: v[0] for k, v in values.items()}
            elif wire in query:
                if member.type_name == "list":
                    out[name] = [read_scalar(member.member, v, name) for v in query[wire]]
                else:
                    out[name] = read_scalar(member, query[wire][0], name)
        elif location == "header":
            text = request.headers.get(wire)
            if text is not None:
                out[name] = _header_value(member, text, wire)
        elif location == "headers":
            prefix = wire.lower()
            found = {
                k[len(prefix) :]: v for k, v in request.headers if k.lower().startswith(prefix)
            }
            if found:
                out[name] = found
        elif location is None:
            body_members = True
    payload = shape.serialization.get("payload")
    if payload:
        member = shape.members[payload]
        streams = member.serialization.get("streaming") or member.metadata.get("streaming")
        if member.type_name == "blob" and streams and request.streaming:
            out[payload] = request.take_stream()  # read by the operation, chunk by chunk
        elif member.type_name in ("blob", "string"):
            if request.body:
                out[payload] = request.body if member.type_name == "blob" else request.body.decode()
        elif request.body:
            value = _read_body(member, request.body, protocol, payload)
            if value != {}:  # an empty document is an absent payload
                out[payload] = value
    elif body_members and request.body:
        out.update(_read_body(shape, request.body, protocol, "", skip_located=True))
    return out


def _read_body(
    shape: Any, body: bytes, protocol: str, where: str, skip_located: bool = False
) -> Any:
    if protocol == "rest-json":
        document = read_json(body)
        if (
            shape.type_name == "structure"
            and not shape.metadata.get("document")
            and not isinstance(document, dict)
        ):
            raise SerializationError("The request body must be a JSON object.")
        value = from_json(shape, document, where)
        if skip_located:
            value = {
                k: v for k, v in value.items() if not shape.members[k].serialization.get("location")
            }
        return value
    root = parse_xml(body)
    if shape.type_name == "structure":
        return read_members(shape, root, where)
    return read_element(shape, root, where)


def _quoted(text: str) -> str:
    if "," in text or '"' in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _header_text(shape: Any, value: Any) -> str:
    kind = shape.type_name
    if kind == "list":
        if shape.member.type_name == "string":
            return ",".join(_quoted(str(v)) for v in value)
        return ", ".join(_header_text(shape.member, v) for v in value)
    if kind == "timestamp":
        moment = value if isinstance(value, datetime) else parse_timestamp(value)
        return str(format_timestamp(moment, timestamp_format(shape, "rfc822")))
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        return base64.b64encode(value).decode()
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value).encode()).decode()
    return str(value)


# An output key (no member of any shape) by which an operation answers with another
# status than its model's, e.g. 206 for GetObject with a Range.
HTTP_STATUS = "@status"


def serialize(
    operation: Any, output: dict[str, Any], protocol: str
) -> tuple[int, Headers, bytes | Iterator[bytes]]:
    """Status, headers and body of a REST response for `output`."""
    shape = operation.output_shape
    headers = Headers()
    status = int(output.get(HTTP_STATUS) or operation.http.get("responseCode", 200))
    if shape is None:
        return status, headers, b""
    for name, member in shape.members.items():
        if name not in output or output[name] is None:
            continue
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "statusCode":
            status = int(output[name])
        elif location == "header":
            headers.add(wire, _header_text(member, output[name]))
        elif location == "headers":
            for key, value in output[name].items():
                headers.add(wire + key, str(value))
    payload = shape.serialization.get("payload")
    if payload:
        member = shape.members[payload]
        value = output.get(payload)
        if value is None:
            return status, headers, b""
        if member.type_name == "blob":
            if not isinstance(value, str | bytes | bytearray):
                return status, headers, value  # chunks streamed to the client
            raw = value.encode() if isinstance(value, str) else bytes(value)
            return status, headers, raw
        if member.type_name == "string":
            return status, headers, str(value).encode()
        return (
            status,
            headers,
            _write_body(
                member, value, protocol, payload_name=member.serialization.get("name", payload)
            ),
        )
    if operation.name == "GetBucketLocation":
        # S3's wart: the region is the text of a bare <LocationConstraint> root, and
        # botocore reads it with a handler of its own.
        root = ET.Element(
            "LocationConstraint", {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}
        )
        root.text = output.get("LocationConstraint") or None
        return status, headers, to_bytes(root)
    body_members = {
        k: v
        for k, v in output.items()
        if k in shape.members and shape.members[k].serialization.get("location") not in BESIDE_BODY
    }
    if protocol == "rest-json":
        return status, headers, json.dumps(to_json(shape, body_members)).encode()
    if not body_members:
        return status, headers, b""
    return status, headers, _write_body(shape, body_members, protocol, payload_name=None)


def _write_body(shape: Any, value: Any, protocol: str, payload_name: str | None) -> bytes:
    if protocol == "rest-json":
        return json.dumps(to_json(shape, value)).encode()
    name = shape.serialization.get("name") or payload_name or shape.name
    root = ET.Element(name)
    set_namespace(root, shape)
    add_members(root, shape, value)
    return to_bytes(root)


def encode_label(value: str, greedy: bool) -> str:
    """A URI label value as clients encode it (used by tests and redirects)."""
    return quote(value, safe="/~" if greedy else "~")
