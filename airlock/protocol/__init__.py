"""The protocol layer: wire requests to plain dicts and back, driven by botocore's models.

`find_operation` names the operation a request is for, `parse_request` reads
and validates its input, `serialize_response` and `serialize_error` write the
answer in the service's protocol (`json`, `query`, `rest-json`, `rest-xml`), or in
smithy RPC v2 CBOR to a request that speaks it (`request_protocol`).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from typing import Any

from airlock.core.errors import (
    ClientFault,
    SerializationError,
    UnknownOperationError,
    ValidationError,
)
from airlock.core.http import HttpRequest, HttpResponse

from . import cbor, query, rest
from .errors import request_id_headers, serialize_error
from .jsonvalues import from_json, read_json, to_json
from .models import load_service_model, protocol_of
from .validate import validate


class InvalidAction(ClientFault):
    """A query-protocol request names no operation the service has."""

    code = "InvalidAction"


def request_protocol(model: Any, request: HttpRequest) -> str:
    """The protocol a request speaks: RPC v2 CBOR where it says so and the model lists
    it, else the one Airlock serves the service in."""
    return cbor.PROTOCOL if cbor.requested(model, request) else protocol_of(model)


def find_operation(model: Any, request: HttpRequest) -> Any:
    """The botocore OperationModel a request is for."""
    protocol = request_protocol(model, request)
    if protocol == cbor.PROTOCOL:
        return model.operation_model(cbor.operation_name(model, request))
    if protocol == "json":
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        target = request.headers.get("x-amz-target") or ""
        prefix, _, name = target.rpartition(".")
        if prefix != model.metadata.get("targetPrefix") or name not in model.operation_names:
            raise UnknownOperationError(
                f"The X-Amz-Target header {target!r} names no operation of "
                f"{model.service_name}; expected "
                f"'{model.metadata.get('targetPrefix')}.<Operation>'."
            )
        if content_type and not content_type.startswith("application/x-amz-json"):
            raise UnknownOperationError(
                f"Content-Type {content_type!r} is not supported; use "
                f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}."
            )
        return model.operation_model(name)
    if protocol == "query":
        action = query.form_params(request).get("Action")
        if not action or action not in model.operation_names:
            shown = action or "(none)"
            raise InvalidAction(f"Could not find operation {shown} for version {model.api_version}")
        return model.operation_model(action)
    found = rest.match(model, request)
    if found is None:
        raise UnknownOperationError(
            f"No {model.service_name} operation matches {request.method} {request.path}"
            + (f"?{request.query_string}" if request.query_string else "")
        )
    return model.operation_model(found[0])


def _parse_json_body(operation: Any, body: bytes) -> dict[str, Any]:
    if not body.strip():
        document: Any = {}
    else:
        document = read_json(body)
    if not isinstance(document, dict):
        raise SerializationError("The request body must be a JSON object.")
    if operation.input_shape is None:
        return {}
    value: dict[str, Any] = from_json(operation.input_shape, document)
    return value


def _decompressed(request: HttpRequest) -> HttpRequest:
    """The request with a gzip Content-Encoding undone (botocore compresses some bodies)."""
    encodings = [
        e.strip().lower() for e in (request.headers.get("content-encoding") or "").split(",")
    ]
    if "gzip" not in encodings:
        return request
    try:
        body = gzip.decompress(request.body)
    except (OSError, EOFError) as error:
        raise SerializationError("The body is not valid gzip data.") from error
    return request.replace(body=body)


def parse_request(
    operation: Any,
    request: HttpRequest,
    *,
    validate_input: bool = True,
    required: Sequence[str] = (),
) -> dict[str, Any]:
    """The operation's input as boto3-style params; ValidationError if it breaks the shape.

    `required` names members the operation needs beyond those the shape requires.
    """
    model = operation.service_model
    protocol = request_protocol(model, request)
    request = _decompressed(request)
    if protocol == "json":
        params = _parse_json_body(operation, request.body)
    elif protocol == cbor.PROTOCOL:
        params = cbor.parse(operation, request.body)
    elif protocol == "query":
        params = query.parse(operation, request)
    else:
        found = rest.match(model, request)
        labels = found[1] if found and found[0] == operation.name else {}
        params = rest.parse(operation, request, labels, protocol)
    if validate_input:
        problems = validate(operation.input_shape, params, required)
        if problems:
            raise ValidationError(problems)
    return params


def serialize_response(
    operation: Any, output: dict[str, Any], request_id: str, protocol: str | None = None
) -> HttpResponse:
    """The wire form of an operation's output, in `protocol` (the service's by default)."""
    model = operation.service_model
    protocol = protocol or protocol_of(model)
    headers = request_id_headers(protocol, request_id)
    if protocol == cbor.PROTOCOL:
        headers.add("Content-Type", cbor.CONTENT_TYPE)
        return HttpResponse(200, headers, cbor.encode(operation.output_shape, output))
    if protocol == "json":
        shape = operation.output_shape
        document = to_json(shape, output) if shape is not None else {}
        headers.add(
            "Content-Type", f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
        )
        return HttpResponse(200, headers, json.dumps(document).encode())
    if protocol == "query":
        headers.add("Content-Type", "text/xml")
        return HttpResponse(200, headers, query.serialize(operation, output, request_id))
    status, extra, body = rest.serialize(operation, output, protocol)
    for name, value in extra:
        headers.add(name, value)
    if "content-type" not in extra and body:
        headers.add(
            "Content-Type", "application/json" if protocol == "rest-json" else "application/xml"
        )
    return HttpResponse(status, headers, body)


__all__ = [
    "InvalidAction",
    "find_operation",
    "load_service_model",
    "parse_request",
    "protocol_of",
    "request_protocol",
    "serialize_error",
    "serialize_response",
    "validate",
]
