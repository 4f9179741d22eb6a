"""Smithy RPC v2 CBOR: `POST /service/<target prefix>/operation/<Op>`, CBOR bodies.

Served to a request that says `smithy-protocol: rpc-v2-cbor`, for the services whose
models list the protocol (CloudWatch, CodeBuild…); botocore itself prefers their JSON
protocol. Values take the JSON protocol's shape walk in its binary form (bytes for
blobs, tag 1 epoch seconds for timestamps).
"""

from __future__ import annotations

from typing import Any

import cbor2

from airlock.core.errors import SerializationError, UnknownOperationError
from airlock.core.http import HttpRequest

from .jsonvalues import from_json, to_json

PROTOCOL = "smithy-rpc-v2-cbor"
CONTENT_TYPE = "application/cbor"


def requested(model: Any, request: HttpRequest) -> bool:
    """Whether the request speaks RPC v2 CBOR to a service whose model lists it."""
    listed = PROTOCOL in (model.metadata.get("protocols") or [])
    return listed and (request.headers.get("smithy-protocol") or "").strip() == "rpc-v2-cbor"


def operation_name(model: Any, request: HttpRequest) -> str:
    """The operation the path names; UnknownOperationError for any other path."""
    prefix = model.metadata.get("targetPrefix")
    parts = request.path.strip("/").split("/")
    if (
        request.method != "POST"
        or len(parts) != 4
        or parts[0] != "service"
        or parts[1] != prefix
        or parts[2] != "operation"
        or parts[3] not in model.operation_names
    ):
        raise UnknownOperationError(
            f"No {model.service_name} operation matches {request.method} {request.path}; "
            f"expected POST /service/{prefix}/operation/<Operation>."
        )
    return parts[3]


def parse(operation: Any, body: bytes) -> dict[str, Any]:
    """The request's input as boto3-style params."""
    document: Any = {}
    if body:
        try:
            document = cbor2.loads(body)
        except (cbor2.CBORDecodeError, ValueError) as error:
            raise SerializationError(f"The request body is not valid CBOR: {error}") from error
    if not isinstance(document, dict):
        raise SerializationError("The request body must be a CBOR map.")
    if operation.input_shape is None:
        return {}
    value: dict[str, Any] = from_json(operation.input_shape, document, binary=True)
    return value


def encode(shape: Any, output: dict[str, Any]) -> bytes:
    """An operation's output as a CBOR map."""
    return cbor2.dumps(to_json(shape, output, binary=True) if shape is not None else {})


def encode_error(body: dict[str, Any]) -> bytes:
    """An error's `__type`, message and fields as a CBOR map."""
    return cbor2.dumps(body)
