"""Requests that are wrong on the wire get AWS errors, never a 500 or a stack trace."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support import LiveServer


def signed_post(
    server: LiveServer,
    account_id: str,
    *,
    target: str | None,
    body: bytes,
    content_type: str = "application/x-amz-json-1.1",
    service: str = "organizations",
) -> httpx.Response:
    """POST a SigV4-signed raw request."""
    access_key, secret = server.root_keys(account_id)
    headers = {"Content-Type": content_type}
    if target:
        headers["X-Amz-Target"] = target
    request = AWSRequest(method="POST", url=server.url + "/", data=body, headers=headers)
    SigV4Auth(Credentials(access_key, secret), service, "us-east-1").add_auth(request)
    return httpx.post(server.url + "/", content=body, headers=dict(request.headers.items()))


def error_body(response: httpx.Response) -> dict[str, Any]:
    """The JSON error body, checking the request id header is present."""
    assert response.headers["x-amzn-RequestId"]
    body: dict[str, Any] = json.loads(response.content)
    return body


def test_unknown_operation(server: LiveServer, account_id: str) -> None:
    response = signed_post(
        server, account_id, target="AWSOrganizationsV20161128.MakeCoffee", body=b"{}"
    )
    assert response.status_code == 404
    body = error_body(response)
    assert body["__type"] == "UnknownOperationException"
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_unimplemented_operation_is_named(server: LiveServer, account_id: str) -> None:
    response = signed_post(
        server,
        account_id,
        target="AWSOrganizationsV20161128.CloseAccount",
        body=b'{"AccountId":"123456789012"}',
    )
    assert response.status_code == 501
    body = error_body(response)
    assert body["__type"] == "NotImplemented"
    assert "organizations:CloseAccount" in str(body.get("message") or body.get("Message"))


def test_malformed_json_body(server: LiveServer, account_id: str) -> None:
    response = signed_post(
        server, account_id, target="AWSOrganizationsV20161128.ListRoots", body=b"{not json"
    )
    assert response.status_code == 400
    assert error_body(response)["__type"] == "SerializationException"


def test_unknown_service(server: LiveServer, account_id: str) -> None:
    response = signed_post(
        server,
        account_id,
        target=None,
        body=b"Action=DescribeInstances",
        service="ec2",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 501
    body = error_body(response)
    assert body["__type"] == "NotImplemented"
    assert "'ec2'" in body["message"]


def test_unsigned_request(server: LiveServer) -> None:
    response = httpx.post(
        server.url + "/",
        content=b"{}",
        headers={
            "X-Amz-Target": "AWSOrganizationsV20161128.ListRoots",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    assert response.status_code == 403
    assert error_body(response)["__type"] == "MissingAuthenticationTokenException"


def test_wrong_content_type(server: LiveServer, account_id: str) -> None:
    response = signed_post(
        server,
        account_id,
        target="AWSOrganizationsV20161128.ListRoots",
        body=b"{}",
        content_type="text/plain",
    )
    assert response.status_code == 404
    body = error_body(response)
    assert body["__type"] == "UnknownOperationException"
    assert "Content-Type 'text/plain' is not supported" in body["message"]


def test_control_characters_quoted_in_an_xml_error_are_escaped(
    server: LiveServer, account_id: str
) -> None:
    # XML cannot carry U+0000 or ESC even as references: quoted raw, they made the
    # whole error unreadable to botocore (ResponseParserError instead of the error).
    iam = server.client("iam", account_id)
    with pytest.raises(ClientError) as caught:
        iam.get_user(UserName="bad\x00name\x1b")
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"] == (
        "1 validation error detected: Value 'bad\\u0000name\\u001b' at 'userName' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )


def test_control_characters_echoed_in_an_xml_answer_are_escaped(
    server: LiveServer, account_id: str
) -> None:
    # ListMultipartUploads echoes its markers: raw, a NUL made the listing unreadable
    # (botocore took the 200 for a broken stream and reported a 500).
    s3 = server.client("s3", account_id)
    s3.create_bucket(Bucket="echoes")
    listed = s3.list_multipart_uploads(Bucket="echoes", KeyMarker="a\x00b", Prefix="\x1b")
    assert (listed["KeyMarker"], listed["Prefix"]) == ("a\\u0000b", "\\u001b")
    assert listed.get("Uploads", []) == []


def test_a_body_nested_too_deeply_is_a_serialization_error(
    server: LiveServer, account_id: str
) -> None:
    response = signed_post(
        server,
        account_id,
        target="AWSOrganizationsV20161128.ListRoots",
        body=b"[" * 100_000 + b"]" * 100_000,
    )
    assert response.status_code == 400
    body = error_body(response)
    assert body["__type"] == "SerializationException"
    assert body["message"] == "The request body is not valid JSON: the document nests too deeply."
