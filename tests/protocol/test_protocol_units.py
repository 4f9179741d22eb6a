"""The protocol layer on real service models: botocore's serializers and parsers as oracles."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from airlock.core.errors import Problem, SerializationError, ServiceError, ValidationError
from airlock.core.http import Headers, HttpRequest
from airlock.protocol import (
    find_operation,
    load_service_model,
    parse_request,
    protocol_of,
    serialize_error,
    serialize_response,
)
from airlock.protocol.validate import compile_pattern


def wire_request(service: str, operation: str, params: dict[str, Any]) -> HttpRequest:
    """The request botocore would send for `params`, as Airlock receives it."""
    model = load_service_model(service)
    op = model.operation_model(operation)
    serializer = create_serializer(protocol_of(model), include_validation=False)
    serialized = serializer.serialize_to_request(params, op)
    query = serialized["query_string"]
    query_string = urlencode(query, doseq=True) if isinstance(query, dict) else query
    body = serialized["body"]
    if isinstance(body, dict):
        body = urlencode(body)
    if isinstance(body, str):
        body = body.encode()
    headers = Headers(
        [(k, v if isinstance(v, str) else v.decode()) for k, v in serialized["headers"].items()]
    )
    path = serialized["url_path"]
    path, _, extra = path.partition("?")
    if extra:
        query_string = "&".join(q for q in (extra, query_string) if q)
    return HttpRequest(serialized["method"], path, query_string, headers, body or b"")


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        (
            "organizations",
            "CreateOrganizationalUnit",
            {"ParentId": "r-abcd", "Name": "staging", "Tags": [{"Key": "k", "Value": "v"}]},
        ),
        (
            "iam",
            "CreateRole",
            {
                "RoleName": "deploy",
                "AssumeRolePolicyDocument": '{"Version": "2012-10-17", "Statement": []}',
                "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
                "MaxSessionDuration": 3600,
            },
        ),
        (
            "s3",
            "PutObject",
            {
                "Bucket": "models",
                "Key": "iris/model v1/ß.tar.gz",
                "Body": b"\x00\x01binary",
                "Metadata": {"stage": "staging"},
                "ContentType": "application/gzip",
            },
        ),
        ("s3", "ListObjectsV2", {"Bucket": "models", "Prefix": "iris/", "MaxKeys": 5}),
        ("s3", "ListObjects", {"Bucket": "models", "Prefix": "iris/"}),
        (
            "sagemaker-runtime",
            "InvokeEndpoint",
            {
                "EndpointName": "iris-prod",
                "Body": b"5.1,3.5,1.4,0.2",
                "ContentType": "text/csv",
                "CustomAttributes": "trace=1",
            },
        ),
        (
            "sagemaker",
            "CreateModelPackageGroup",
            {"ModelPackageGroupName": "iris", "ModelPackageGroupDescription": "Iris models"},
        ),
    ],
)
def test_botocore_requests_parse_back(service: str, operation: str, params: dict[str, Any]) -> None:
    model = load_service_model(service)
    request = wire_request(service, operation, params)
    op = find_operation(model, request)
    assert op.name == operation
    assert parse_request(op, request) == params


def test_outputs_parse_in_botocore() -> None:
    cases: list[tuple[str, str, dict[str, Any]]] = [
        (
            "organizations",
            "DescribeOrganization",
            {
                "Organization": {
                    "Id": "o-abcdefghij",
                    "FeatureSet": "ALL",
                    "AvailablePolicyTypes": [
                        {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}
                    ],
                }
            },
        ),
        (
            "iam",
            "GetRole",
            {
                "Role": {
                    "Path": "/",
                    "RoleName": "deploy",
                    "RoleId": "AROAEXAMPLE",
                    "Arn": "arn:aws:iam::123456789012:role/deploy",
                    "CreateDate": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                    "Tags": [{"Key": "a", "Value": "1"}],
                }
            },
        ),
        ("s3", "GetBucketTagging", {"TagSet": [{"Key": "stage", "Value": "prod"}]}),
        (
            "sagemaker-runtime",
            "InvokeEndpoint",
            {"Body": b"0.97", "ContentType": "text/csv", "InvokedProductionVariant": "AllTraffic"},
        ),
    ]
    for service, operation, output in cases:
        model = load_service_model(service)
        op = model.operation_model(operation)
        response = serialize_response(op, output, "rid-1")
        assert response.headers.get("x-amzn-RequestId") == "rid-1"
        parsed = create_parser(protocol_of(model)).parse(
            {
                "status_code": response.status,
                "headers": dict(response.headers.items()),
                "body": response.body,
            },
            op.output_shape,
        )
        parsed.pop("ResponseMetadata", None)
        if isinstance(parsed.get("Body"), str):  # botocore decodes a body it was handed whole
            parsed["Body"] = parsed["Body"].encode()
        assert parsed == output, service
    s3_response = serialize_response(
        load_service_model("s3").operation_model("GetBucketLocation"), {}, "rid-2"
    )
    assert s3_response.headers.get("x-amz-request-id") == "rid-2"
    assert s3_response.headers.get("x-amz-id-2")


def _problems(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    op = load_service_model(service).operation_model(operation)
    request = wire_request(service, operation, params)
    with pytest.raises(ValidationError) as caught:
        parse_request(op, request)
    return [p.text for p in caught.value.problems]


def test_validation_messages_name_the_member() -> None:
    assert _problems("organizations", "CreateOrganizationalUnit", {"Name": "x"}) == [
        "Value null at 'parentId' failed to satisfy constraint: Member must not be null"
    ]
    assert _problems("organizations", "ListChildren", {"ParentId": "r-abcd", "ChildType": "X"}) == [
        "Value 'X' at 'childType' failed to satisfy constraint: Member must satisfy enum value "
        "set: [ACCOUNT, ORGANIZATIONAL_UNIT]"
    ]
    assert _problems(
        "organizations",
        "CreateOrganizationalUnit",
        {"ParentId": "r-abcd", "Name": "x", "Tags": [{"Key": "", "Value": "v"}]},
    ) == [
        "Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length "
        "greater than or equal to 1"
    ]
    assert _problems("organizations", "ListAccounts", {"MaxResults": 0}) == [
        "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater "
        "than or equal to 1"
    ]
    [pattern] = _problems("organizations", "DescribeAccount", {"AccountId": "12"})
    assert pattern == (
        "Value '12' at 'accountId' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: ^\\d{12}$"
    )
    # Sensitive values are not echoed back.
    [email] = _problems(
        "organizations", "CreateAccount", {"AccountName": "a", "Email": "bad-address"}
    )
    assert email.startswith("Value at 'email' failed to satisfy constraint")


def test_members_required_beyond_the_model() -> None:
    op = load_service_model("organizations").operation_model("CreateOrganizationalUnit")
    request = wire_request("organizations", "CreateOrganizationalUnit", {"Name": "x"})
    with pytest.raises(ValidationError) as caught:  # one already required is named once
        parse_request(op, request, required=["ParentId", "Tags"])
    assert [p.text for p in caught.value.problems] == [
        "Value null at 'parentId' failed to satisfy constraint: Member must not be null",
        "Value null at 'tags' failed to satisfy constraint: Member must not be null",
    ]
    listed = wire_request("organizations", "ListAccounts", {"NextToken": "t"})
    model = load_service_model("organizations").operation_model("ListAccounts")
    assert parse_request(model, listed, required=["NextToken"]) == {"NextToken": "t"}


def test_validation_error_code_per_protocol() -> None:
    error = ValidationError([Problem("required", "roleName", "Value null at 'roleName' ...")])
    query = serialize_error(load_service_model("iam"), error, "rid")
    assert b"<Code>ValidationError</Code>" in query.body
    assert query.status == 400
    rpc = serialize_error(load_service_model("sagemaker"), error, "rid")
    assert json.loads(rpc.data)["__type"] == "ValidationException"
    assert rpc.headers.get("x-amzn-ErrorType") == "ValidationException"


def test_error_fields_reach_botocore() -> None:
    model = load_service_model("organizations")
    error = ServiceError(
        "bad", code="InvalidInputException", http_status=400, fields={"Reason": "INVALID_ENUM"}
    )
    response = serialize_error(model, error, "rid")
    body = json.loads(response.data)
    assert body == {"__type": "InvalidInputException", "Message": "bad", "Reason": "INVALID_ENUM"}


def test_gzip_bodies_are_decompressed() -> None:
    request = wire_request("organizations", "ListRoots", {"MaxResults": 5})
    request.body = gzip.compress(request.body)
    request.headers.set("Content-Encoding", "gzip")
    op = load_service_model("organizations").operation_model("ListRoots")
    assert parse_request(op, request) == {"MaxResults": 5}


def test_malformed_bodies() -> None:
    op = load_service_model("organizations").operation_model("ListRoots")
    for body, message in [
        (b"{nope", "The request body is not valid JSON"),
        (b"[1]", "The request body must be a JSON object."),
        (b'{"MaxResults": "five"}', "Unexpected value at 'MaxResults': expected integer"),
    ]:
        request = wire_request("organizations", "ListRoots", {})
        request.body = body
        with pytest.raises(SerializationError) as caught:
            parse_request(op, request)
        assert caught.value.message.startswith(message)
        assert caught.value.code == "SerializationException"


def test_every_pattern_of_the_planned_services_is_handled() -> None:
    untranslated = []
    for service in ("organizations", "iam", "sts", "s3", "sagemaker", "events", "cloudformation"):
        model = load_service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern and compile_pattern(pattern) is None:
                untranslated.append((service, name, pattern))
    assert untranslated == []
