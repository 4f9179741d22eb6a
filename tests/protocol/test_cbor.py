"""Smithy RPC v2 CBOR both ways with botocore's own serializer and parser, over the shapes
of the JSON protocol suites (there is no CBOR suite): what botocore sends, Airlock reads
back as the params; what Airlock answers, botocore reads back as the result."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.serialize import create_serializer

from airlock.core.http import Headers, HttpRequest
from airlock.protocol import parse_request
from tests.protocol.test_conformance import (
    build_operation,
    canonical,
    load_cases,
    output_round_trip,
    walk,
)

CBOR = "smithy-rpc-v2-cbor"


def _cbor_operation(suite: dict[str, Any], case: dict[str, Any]) -> Any:
    suite = {**suite, "metadata": {"targetPrefix": "Test", **suite["metadata"]}}
    return build_operation(CBOR, suite, case)


def _cases(direction: str, wanted: str) -> list[Any]:
    found = []
    for param in load_cases(direction):
        protocol, suite, case = param.values
        if protocol == "json" and wanted in case and not _documents(suite):
            found.append(pytest.param(suite, case, id=param.id))
    return found


def _native(shape: Any, value: Any) -> Any:
    """The suite's params as a boto3 caller passes them: no None members, and NaN and the
    infinities as floats rather than the JSON suite's strings."""
    return walk(shape, value, _native_scalar)


def _native_scalar(shape: Any, value: Any) -> Any:
    if shape.type_name in ("float", "double") and isinstance(value, str):
        return float(value)
    return value


def _documents(suite: dict[str, Any]) -> bool:
    """CBOR has no document type in botocore's serializer: those shapes stay JSON's."""
    return any(shape.get("document") for shape in suite["shapes"].values())


@pytest.mark.parametrize(("suite", "case"), _cases("input", "params"))
def test_cbor_input_round_trips(suite: dict[str, Any], case: dict[str, Any]) -> None:
    operation = _cbor_operation(suite, case)
    params = _native(operation.input_shape, case["params"])
    wire = create_serializer(CBOR).serialize_to_request(params, operation)
    request = HttpRequest(
        method=wire["method"],
        path=wire["url_path"],
        query_string="",
        headers=Headers(list(wire["headers"].items())),
        body=wire["body"],
    )
    parsed = parse_request(operation, request, validate_input=False)
    shape = operation.input_shape
    assert canonical(shape, parsed) == canonical(shape, params)


@pytest.mark.parametrize(("suite", "case"), _cases("output", "response"))
def test_cbor_output_round_trips(suite: dict[str, Any], case: dict[str, Any]) -> None:
    output_round_trip(_cbor_operation(suite, case), case, CBOR)
