"""The `query` protocol: form-encoded input, XML output (IAM, STS, CloudFormation)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET

from airlock.core.errors import SerializationError
from airlock.core.http import HttpRequest

from .xmlvalues import add_members, read_scalar, to_bytes


def form_params(request: HttpRequest) -> dict[str, str]:
    """Parameters from the query string and a form-encoded body (the body wins)."""
    params = dict(request.query_params())
    content_type = (request.headers.get("content-type") or "").lower()
    if request.body and (
        "x-www-form-urlencoded" in content_type or not content_type or request.method == "POST"
    ):
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise SerializationError("The form body is not UTF-8.") from error
        params.update(parse_qsl(text, keep_blank_values=True))
    return params


def _has_prefix(params: dict[str, str], prefix: str) -> bool:
    return any(key.startswith(prefix) for key in params)


def read_value(shape: Any, params: dict[str, str], key: str) -> Any:
    """The value of `key` (and its sub-keys) read as `shape`; None when absent."""
    kind = shape.type_name
    if kind == "structure":
        if not _has_prefix(params, key + "."):
            return None
        return read_structure(shape, params, key + ".")
    if kind == "list":
        if params.get(key) == "":
            return []
        member = shape.member
        if shape.serialization.get("flattened"):
            # Items are `Key.N`; some clients rename the last part after the
            # member's own name, so fall back to that.
            name = member.serialization.get("name")
            item_prefix = key
            if name and f"{key}.1" not in params:
                item_prefix = ".".join([*key.split(".")[:-1], name])
        else:
            item_prefix = f"{key}.{member.serialization.get('name', 'member')}"
        items = []
        index = 1
        while True:
            item = read_value(member, params, f"{item_prefix}.{index}")
            if item is None:
                break
            items.append(item)
            index += 1
        return items if items or _has_prefix(params, item_prefix + ".") else None
    if kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        base = key if shape.serialization.get("flattened") else f"{key}.entry"
        out: dict[str, Any] = {}
        index = 1
        while f"{base}.{index}.{key_name}" in params:
            entry_key = params[f"{base}.{index}.{key_name}"]
            out[entry_key] = read_value(shape.value, params, f"{base}.{index}.{value_name}")
            index += 1
        return out if out else None
    if key not in params:
        return None
    return read_scalar(shape, params[key], key)


def read_structure(shape: Any, params: dict[str, str], prefix: str = "") -> dict[str, Any]:
    """A structure's members from flat query parameters."""
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        key = prefix + member.serialization.get("name", name)
        value = read_value(member, params, key)
        if value is not None:
            out[name] = value
    return out


def parse(operation: Any, request: HttpRequest) -> dict[str, Any]:
    """The operation's input from a query-protocol request."""
    if operation.input_shape is None:
        return {}
    return read_structure(operation.input_shape, form_params(request))


def namespace(model: Any) -> str:
    """The XML namespace of a query service's responses."""
    return str(
        model.metadata.get("xmlNamespace")
        or f"https://{model.endpoint_prefix}.amazonaws.com/doc/{model.api_version}/"
    )


def serialize(operation: Any, output: dict[str, Any], request_id: str) -> bytes:
    """`<OpResponse><OpResult>…</OpResult><ResponseMetadata>…` for `output`."""
    name = operation.name
    root = ET.Element(f"{name}Response", {"xmlns": namespace(operation.service_model)})
    shape = operation.output_shape
    if shape is not None:
        # Real models always name the wrapper (`<OpResult>`); without one the
        # members sit directly under the response element, as botocore reads them.
        wrapper = shape.serialization.get("resultWrapper")
        result = ET.SubElement(root, wrapper) if wrapper else root
        add_members(result, shape, output)
    metadata = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(metadata, "RequestId").text = request_id
    return to_bytes(root)
