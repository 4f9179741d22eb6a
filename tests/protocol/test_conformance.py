"""botocore's protocol suites: Airlock parses what botocore sends and writes what it reads.

Input cases: parsing the `serialized` request gives the case's `params`.
Output cases: serializing `result` (or the error) gives a response that
botocore's own parser turns back into `result`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.model import ServiceModel
from botocore.parsers import create_parser

from airlock.core.errors import ServiceError
from airlock.core.http import Headers, HttpRequest
from airlock.protocol import parse_request, serialize_error, serialize_response
from airlock.protocol.timestamps import parse_timestamp
from tests.paths import CONFORMANCE

SUITES = CONFORMANCE / "botocore-protocols"
PROTOCOLS = ("json", "query", "rest-json", "rest-xml")

# Cases a server cannot or should not reproduce, with the reason.
_GZIP = (
    "the case records only the Content-Encoding header, not the compressed body, so there "
    "is nothing to parse (gzip bodies are decompressed: see test_protocol_units)"
)
_TOKEN = (
    "the client fills in the idempotency token; the case's params omit it, but a server "
    "receives it as an ordinary member"
)
_EMPTY = "an empty collection is not sent at all, so a server cannot tell it from an absent one"
_MAP_COPY = (
    "the client passes the same values in a bound member and in the query-params map; on the "
    "wire they are one parameter, which the server binds to the member (the Smithy server "
    "rule), so the map's copy cannot be recovered"
)
_FLAT_NAMES = (
    "two flattened lists share the member name 'item', and botocore's parser reads flattened "
    "lists by that name, so no response can give them different contents"
)
EXCLUDED: dict[str, str] = {
    "input json:SDKAppliedContentEncoding_awsJson1_1": _GZIP,
    "input json:SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsJson1_1": _GZIP,
    "input query:SDKAppliedContentEncoding_awsQuery": _GZIP,
    "input query:SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsQuery": _GZIP,
    "input rest-json:SDKAppliedContentEncoding_restJson1": _GZIP,
    "input rest-json:SDKAppendedGzipAfterProvidedEncoding_restJson1": _GZIP,
    "input rest-xml:SDKAppliedContentEncoding_restXml": _GZIP,
    "input rest-xml:SDKAppendedGzipAfterProvidedEncoding_restXml": _GZIP,
    "input query:QueryProtocolIdempotencyTokenAutoFill": _TOKEN,
    "input rest-json:RestJsonQueryIdempotencyTokenAutoFill": _TOKEN,
    "input rest-xml:QueryIdempotencyTokenAutoFill": _TOKEN,
    "input query:QueryEmptyQueryMaps": _EMPTY,
    "input rest-json:RestJsonOmitsEmptyListQueryValues": _EMPTY,
    "input rest-json:RestJsonHttpPrefixHeadersAreNotPresent": _EMPTY,
    "input rest-xml:HttpPrefixHeadersAreNotPresent": _EMPTY,
    "input rest-json:RestJsonAllQueryStringTypes": _MAP_COPY,
    "input rest-json:RestJsonQueryStringEscaping": _MAP_COPY,
    "input rest-json:RestJsonSupportsNaNFloatQueryValues": _MAP_COPY,
    "input rest-json:RestJsonSupportsInfinityFloatQueryValues": _MAP_COPY,
    "input rest-json:RestJsonSupportsNegativeInfinityFloatQueryValues": _MAP_COPY,
    "input rest-json:RestJsonZeroAndFalseQueryValues": _MAP_COPY,
    "input rest-json:RestJsonQueryPrecedence": (
        "the client drops the map's 'bar' entry in favour of the bound member before sending, "
        "so the value 'fromMap' never reaches the server"
    ),
    "input rest-xml:RestXmlQueryPrecedence": (
        "the client drops the map's 'bar' entry in favour of the bound member before sending, "
        "so the value 'fromMap' never reaches the server"
    ),
    "output query:QueryXmlLists": _FLAT_NAMES,
    "output rest-xml:XmlLists": _FLAT_NAMES,
    "output rest-json:RestJsonHttpPayloadTraitsWithNoBlobBody": (
        "botocore reads an empty body as b'' for a blob payload; the case expects the member "
        "to be absent, which no response body can express"
    ),
    "output rest-xml:HttpPayloadTraitsWithNoBlobBody": (
        "botocore reads an empty body as b'' for a blob payload; the case expects the member "
        "to be absent, which no response body can express"
    ),
    "output rest-json:RestJsonHttpPayloadWithUnsetUnion": (
        "botocore's parser rejects a response whose union payload has no member set"
    ),
    "output rest-xml:RestXmlHttpPayloadWithUnsetUnion": (
        "botocore's parser rejects a response whose union payload has no member set"
    ),
    "output rest-json:HttpPrefixHeadersResponse": (
        "a header prefix of '' claims every response header, including the request id and "
        "content type every Airlock response carries"
    ),
    "output rest-json:RestJsonInputAndOutputWithQuotedStringHeaders": (
        "botocore's response parser splits header lists on every comma, so a quoted value "
        "containing a comma cannot round-trip (the input direction passes)"
    ),
    "output rest-json:RestJsonInputAndOutputWithTimestampHeaders": (
        "botocore's response parser splits header lists on every comma, and HTTP dates contain "
        "one (the input direction passes)"
    ),
    "output rest-xml:InputAndOutputWithTimestampHeaders": (
        "botocore's response parser splits header lists on every comma, and HTTP dates contain "
        "one (the input direction passes)"
    ),
}


def load_cases(direction: str) -> list[Any]:
    """(id, protocol, suite, case) for every case of a direction."""
    if not SUITES.is_dir():
        return []
    cases = []
    for protocol in PROTOCOLS:
        suites = json.loads((SUITES / direction / f"{protocol}.json").read_text())
        for number, suite in enumerate(suites):
            for index, case in enumerate(suite["cases"]):
                case_id = f"{protocol}:{case.get('id') or f'{number}.{index}'}"
                cases.append(pytest.param(protocol, suite, case, id=case_id))
    return cases


def build_operation(protocol: str, suite: dict[str, Any], case: dict[str, Any]) -> Any:
    """A one-operation botocore model from the suite's metadata and shapes."""
    metadata = {
        "apiVersion": "2014-01-01",
        "endpointPrefix": "test",
        "signatureVersion": "v4",
        "serviceId": "Test",
        **suite["metadata"],
        "protocol": protocol,
        "protocols": [protocol],
    }
    given = dict(case["given"])
    given.setdefault("http", {"method": "POST", "requestUri": "/"})
    model = ServiceModel(
        {"metadata": metadata, "shapes": suite["shapes"], "operations": {given["name"]: given}},
        service_name="test",
    )
    return model.operation_model(given["name"])


def walk(shape: Any, value: Any, leaf: Callable[[Any, Any], Any]) -> Any:
    """`value` with each scalar replaced by `leaf(shape, scalar)`; None members dropped."""
    if value is None or shape is None or shape.metadata.get("document"):
        return value
    kind = shape.type_name
    if kind == "structure":
        return {
            k: walk(shape.members[k], v, leaf)
            for k, v in value.items()
            if v is not None and k in shape.members
        }
    if kind == "list":
        return [walk(shape.member, v, leaf) for v in value]
    if kind == "map":
        return {k: walk(shape.value, v, leaf) for k, v in value.items()}
    return leaf(shape, value)


def canonical(shape: Any, value: Any) -> Any:
    """A comparable form: timestamps as epoch seconds, blobs as bytes, NaN as a string."""
    return walk(shape, value, _canonical_scalar)


def _canonical_scalar(shape: Any, value: Any) -> Any:
    kind = shape.type_name
    if kind == "timestamp":
        moment = value if isinstance(value, datetime) else parse_timestamp(value)
        if moment.tzinfo is None:
            from datetime import UTC

            moment = moment.replace(tzinfo=UTC)
        return round(moment.timestamp(), 3)
    if kind == "blob":
        if isinstance(value, str):
            return value.encode()
        return bytes(value.read() if hasattr(value, "read") else value)
    if kind in ("float", "double"):
        number = float(value)
        return "NaN" if math.isnan(number) else number
    return value


def _skip_excluded(direction: str, protocol: str, case: dict[str, Any]) -> None:
    reason = EXCLUDED.get(f"{direction} {protocol}:{case.get('id')}")
    if reason:
        pytest.skip(reason)


INPUT_CASES = load_cases("input")
OUTPUT_CASES = load_cases("output")
ABSENT = f"botocore protocol suites not found at {SUITES}"


@pytest.mark.skipif(not INPUT_CASES, reason=ABSENT)
@pytest.mark.parametrize(("protocol", "suite", "case"), INPUT_CASES)
def test_input(
    protocol: str,
    suite: dict[str, Any],
    case: dict[str, Any],
    record_property: Callable[[str, object], None],
) -> None:
    record_property("conformance", f"protocol input {protocol}")
    _skip_excluded("input", protocol, case)
    operation = build_operation(protocol, suite, case)
    wire = case["serialized"]
    parts = urlsplit(wire.get("uri", "/"))
    body = wire.get("body", "")
    http = HttpRequest(
        method=wire.get("method", "POST"),
        path=parts.path or "/",
        query_string=parts.query,
        headers=Headers(list(wire.get("headers", {}).items())),
        body=body.encode() if isinstance(body, str) else body,
    )
    parsed = parse_request(operation, http, validate_input=False)
    shape = operation.input_shape
    assert canonical(shape, parsed) == canonical(shape, case["params"])


@pytest.mark.skipif(not OUTPUT_CASES, reason=ABSENT)
@pytest.mark.parametrize(("protocol", "suite", "case"), OUTPUT_CASES)
def test_output(
    protocol: str,
    suite: dict[str, Any],
    case: dict[str, Any],
    record_property: Callable[[str, object], None],
) -> None:
    record_property("conformance", f"protocol output {protocol}")
    _skip_excluded("output", protocol, case)
    output_round_trip(build_operation(protocol, suite, case), case, protocol)


def output_round_trip(operation: Any, case: dict[str, Any], protocol: str) -> None:
    """Airlock writes the case's result (or error) in `protocol`; botocore's parser must
    read back what the case says."""
    if "errorCode" in case:
        fields = {k: v for k, v in case.get("error", {}).items() if k not in ("Message", "message")}
        error = ServiceError(
            case.get("errorMessage", ""),
            code=case["errorCode"],
            http_status=case["response"]["status_code"],
            fields=fields,
        )
        response = serialize_error(
            operation.service_model, error, "request-id", operation, protocol
        )
    else:
        response = serialize_response(operation, case["result"], "request-id", protocol)
    parser = create_parser(protocol)
    raw = {
        "status_code": response.status,
        "headers": {k: v for k, v in response.headers},
        "body": response.body,
    }
    parsed = parser.parse(raw, operation.output_shape)
    if "errorCode" in case:
        assert parsed["Error"]["Code"] == case["errorCode"]
        assert parsed["Error"].get("Message", "") == case.get("errorMessage", "")
        return
    parsed.pop("ResponseMetadata", None)
    shape = operation.output_shape
    assert canonical(shape, parsed) == canonical(shape, case["result"])
