"""Errors on the wire, in each protocol's shape, so botocore raises the right ClientError."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from airlock.core.errors import ServiceError, ValidationError
from airlock.core.http import Headers, HttpResponse

from . import cbor
from .models import protocol_of
from .query import namespace
from .xmlvalues import to_bytes


def _message_key(model: Any, code: str) -> str:
    for shape in model.error_shapes:
        if shape.name == code or shape.metadata.get("error", {}).get("code") == code:
            if "Message" in shape.members:
                return "Message"
            break
    return "message"


def request_id_headers(protocol: str, request_id: str) -> Headers:
    """The request id headers every response carries."""
    headers = Headers([("x-amzn-RequestId", request_id)])
    if protocol == "smithy-rpc-v2-cbor":
        headers.add("smithy-protocol", "rpc-v2-cbor")
    if protocol == "rest-xml":
        headers.add("x-amz-request-id", request_id)
        headers.add("x-amz-id-2", request_id)
    return headers


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _describe(element: ET.Element, code: str, error: ServiceError) -> None:
    """Code, message and extra fields of an XML error."""
    ET.SubElement(element, "Code").text = code
    if error.message:
        ET.SubElement(element, "Message").text = error.message
    for name, value in error.fields.items():
        ET.SubElement(element, name).text = _plain(value)


def serialize_error(
    model: Any,
    error: ServiceError,
    request_id: str,
    operation: Any = None,
    protocol: str | None = None,
) -> HttpResponse:
    """The wire form of `error` in `protocol` (the service's by default)."""
    protocol = protocol or protocol_of(model)
    code = error.code
    if protocol == "query" and isinstance(error, ValidationError) and code == "ValidationException":
        code = "ValidationError"
    headers = request_id_headers(protocol, request_id)
    for name, value in error.headers.items():
        headers.add(name, value)
    if protocol in ("json", "rest-json", cbor.PROTOCOL):
        body: dict[str, Any] = {"__type": code, _message_key(model, code): error.message}
        body.update(error.fields)
        headers.add("x-amzn-ErrorType", code)
        if "awsQueryCompatible" in model.metadata:
            # The query code and fault, which botocore reads before `__type`.
            fault = "Sender" if error.sender_fault else "Receiver"
            headers.add("x-amzn-query-error", f"{code};{fault}")
        if protocol == cbor.PROTOCOL:
            headers.add("Content-Type", cbor.CONTENT_TYPE)
            return HttpResponse(error.http_status, headers, cbor.encode_error(body))
        content_type = (
            f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
            if protocol == "json"
            else "application/json"
        )
        headers.add("Content-Type", content_type)
        return HttpResponse(error.http_status, headers, json.dumps(body).encode())
    if error.http_status == 304:  # Not Modified carries no body
        return HttpResponse(304, headers, b"")
    headers.add("Content-Type", "text/xml" if protocol == "query" else "application/xml")
    if protocol == "query":
        root = ET.Element("ErrorResponse", {"xmlns": namespace(model)})
        element = ET.SubElement(root, "Error")
        ET.SubElement(element, "Type").text = "Sender" if error.sender_fault else "Receiver"
        _describe(element, code, error)
        ET.SubElement(root, "RequestId").text = request_id
        return HttpResponse(error.http_status, headers, to_bytes(root))
    root = ET.Element("Error")
    _describe(root, code, error)
    ET.SubElement(root, "RequestId").text = request_id
    ET.SubElement(root, "HostId").text = request_id
    return HttpResponse(error.http_status, headers, to_bytes(root))
