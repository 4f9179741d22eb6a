"""Authentication at the gateway: every denial through boto3, as each protocol words it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer


def test_wrong_secret_is_rejected(server: LiveServer, account_id: str) -> None:
    access_key, _ = server.root_keys(account_id)
    client = server.client("organizations", keys=(access_key, "x" * 40))
    with pytest.raises(ClientError) as caught:
        client.describe_organization()
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidSignatureException"
    assert error["Message"].startswith(
        "The request signature we calculated does not match the signature you provided."
    )


def test_unknown_key_is_rejected(server: LiveServer) -> None:
    client = server.client("organizations", keys=("AKIAUNKNOWNKEY000000", "x" * 40))
    with pytest.raises(ClientError) as caught:
        client.describe_organization()
    error = caught.value.response["Error"]
    assert error["Code"] == "UnrecognizedClientException"
    assert error["Message"] == "The security token included in the request is invalid."
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unexpected_session_token_is_rejected(server: LiveServer, account_id: str) -> None:
    import boto3

    access_key, secret = server.root_keys(account_id)
    session = boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        aws_session_token="made-up-token",
        region_name="us-east-1",
    )
    client = session.client("organizations", endpoint_url=server.url)
    with pytest.raises(ClientError) as caught:
        client.describe_organization()
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"


@pytest.mark.parametrize("minutes", [-16, 16])
def test_skewed_clock_is_rejected(server: LiveServer, account_id: str, minutes: int) -> None:
    client = server.client("organizations", account_id)
    skewed = datetime.now(UTC) + timedelta(minutes=minutes)
    with (
        mock.patch("botocore.auth.datetime.datetime") as fake,
        pytest.raises(ClientError) as caught,
    ):
        fake.now.return_value = skewed.replace(tzinfo=None)
        fake.utcnow.return_value = skewed.replace(tzinfo=None)
        fake.strptime = datetime.strptime
        client.describe_organization()
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidSignatureException"
    if minutes < 0:
        assert error["Message"].startswith("Signature expired: ")
        assert "is now earlier than" in error["Message"]
        assert error["Message"].endswith(" - 15 min.)")
    else:
        assert error["Message"].startswith("Signature not yet current: ")
        assert "is still later than" in error["Message"]
        assert error["Message"].endswith(" + 15 min.)")


def test_small_skew_is_accepted(server: LiveServer, account_id: str) -> None:
    client = server.client("organizations", account_id)
    skewed = datetime.now(UTC) + timedelta(minutes=14)
    with mock.patch("botocore.auth.datetime.datetime") as fake:
        fake.now.return_value = skewed.replace(tzinfo=None)
        fake.utcnow.return_value = skewed.replace(tzinfo=None)
        fake.strptime = datetime.strptime
        with pytest.raises(ClientError) as caught:
            client.describe_organization()
    # Authenticated: the answer comes from Organizations itself.
    assert caught.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"


def test_every_response_has_a_request_id(server: LiveServer, account_id: str) -> None:
    client = server.client("organizations", account_id)
    ok = client.create_organization()
    assert ok["ResponseMetadata"]["RequestId"]
    headers = ok["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-requestid"] == ok["ResponseMetadata"]["RequestId"]
    with pytest.raises(ClientError) as caught:
        client.create_organization()
    assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
