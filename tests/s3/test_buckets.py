"""S3 buckets through boto3: one namespace, owners, policies, tags."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer


@pytest.fixture
def s3(server: LiveServer, account_id: str) -> Any:
    return server.client("s3", account_id)


def code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def test_bucket_lifecycle(s3: Any, server: LiveServer, account_id: str) -> None:
    created = s3.create_bucket(Bucket="models-a")
    assert created["Location"] == "/models-a"
    s3.head_bucket(Bucket="models-a")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["models-a"]
    assert s3.get_bucket_location(Bucket="models-a")["LocationConstraint"] is None
    with pytest.raises(ClientError) as caught:
        s3.create_bucket(Bucket="models-a")
    assert code(caught) == "BucketAlreadyOwnedByYou"
    other = server.client("s3", server.create_account("other"))
    with pytest.raises(ClientError) as caught:
        other.create_bucket(Bucket="models-a")
    assert code(caught) == "BucketAlreadyExists"
    assert other.list_buckets()["Buckets"] == []
    for bad in ("AB", "a", "bad..name", "192.168.0.1", "-start"):
        with pytest.raises(ClientError) as caught:
            s3.create_bucket(Bucket=bad)
        assert code(caught) == "InvalidBucketName", bad
    s3.delete_bucket(Bucket="models-a")
    with pytest.raises(ClientError) as caught:
        s3.head_bucket(Bucket="models-a")
    assert code(caught) == "404"
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_location(Bucket="models-a")
    assert code(caught) == "NoSuchBucket"


def test_bucket_policy_shares_across_accounts(s3: Any, server: LiveServer, account_id: str) -> None:
    s3.create_bucket(Bucket="shared-models")
    reader_account = server.create_account("reader")
    reader = server.client("s3", reader_account)
    with pytest.raises(ClientError) as caught:
        reader.get_bucket_location(Bucket="shared-models")
    assert code(caught) == "AccessDenied"
    assert (
        "because no resource-based policy allows the s3:GetBucketLocation action"
        in (caught.value.response["Error"]["Message"])
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{reader_account}:root"},
                "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
                "Resource": "arn:aws:s3:::shared-models",
            }
        ],
    }
    s3.put_bucket_policy(Bucket="shared-models", Policy=json.dumps(policy))
    assert json.loads(s3.get_bucket_policy(Bucket="shared-models")["Policy"]) == policy
    assert reader.get_bucket_location(Bucket="shared-models")["LocationConstraint"] is None
    reader.head_bucket(Bucket="shared-models")
    s3.delete_bucket_policy(Bucket="shared-models")
    with pytest.raises(ClientError) as caught:
        reader.get_bucket_location(Bucket="shared-models")
    assert code(caught) == "AccessDenied"
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_policy(Bucket="shared-models")
    assert code(caught) == "NoSuchBucketPolicy"
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_policy(
            Bucket="shared-models", Policy='{"Version": "2012-10-17", "Statement": []}'
        )
    assert code(caught) == "MalformedPolicy"


def test_a_bucket_policy_cannot_lock_out_the_owners_root_user(
    s3: Any, server: LiveServer, account_id: str
) -> None:
    s3.create_bucket(Bucket="locked")
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::locked", "arn:aws:s3:::locked/*"],
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [deny]})
    s3.put_bucket_policy(Bucket="locked", Policy=policy)
    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket="locked")
    assert caught.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{account_id}:root is not authorized to perform: s3:ListBucket on "
        "resource: arn:aws:s3:::locked with an explicit deny in a resource-based policy"
    )
    # The policy's own operations stay open to the owner's root user, and no one else.
    iam = server.client("iam", account_id)
    iam.create_user(UserName="admin")
    iam.attach_user_policy(
        UserName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    admin = server.client("s3", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    other = server.client("s3", server.create_account("other"))
    for client in (admin, other):
        for call in (client.get_bucket_policy, client.delete_bucket_policy):
            with pytest.raises(ClientError) as caught:
                call(Bucket="locked")
            assert code(caught) == "AccessDenied"
    assert json.loads(s3.get_bucket_policy(Bucket="locked")["Policy"])["Statement"] == [deny]
    s3.put_bucket_policy(Bucket="locked", Policy=policy)
    s3.delete_bucket_policy(Bucket="locked")
    assert s3.list_objects_v2(Bucket="locked")["KeyCount"] == 0
    s3.delete_bucket(Bucket="locked")


def test_location_outside_us_east_1(server: LiveServer, account_id: str) -> None:
    import boto3
    from botocore.config import Config

    keys = server.root_keys(account_id)
    eu = boto3.session.Session(
        aws_access_key_id=keys[0], aws_secret_access_key=keys[1], region_name="eu-west-1"
    ).client("s3", endpoint_url=server.url, config=Config(retries={"total_max_attempts": 1}))
    eu.create_bucket(
        Bucket="eu-models", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    assert eu.get_bucket_location(Bucket="eu-models")["LocationConstraint"] == "eu-west-1"
    with pytest.raises(ClientError) as caught:
        eu.create_bucket(Bucket="eu-models-2")  # no constraint outside us-east-1
    assert code(caught) == "IllegalLocationConstraintException"


def test_bucket_tagging(s3: Any) -> None:
    s3.create_bucket(Bucket="tagged")
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_tagging(Bucket="tagged")
    assert code(caught) == "NoSuchTagSet"
    s3.put_bucket_tagging(Bucket="tagged", Tagging={"TagSet": [{"Key": "stage", "Value": "prod"}]})
    assert s3.get_bucket_tagging(Bucket="tagged")["TagSet"] == [{"Key": "stage", "Value": "prod"}]
    s3.delete_bucket_tagging(Bucket="tagged")
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket="tagged")


def test_virtual_hosted_style_addressing(server: LiveServer, s3: Any, account_id: str) -> None:
    import httpx
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    s3.create_bucket(Bucket="virtual-models")
    port = server.settings.port
    # Signed for the virtual host, sent to the loopback address with that Host header.
    request = AWSRequest(method="GET", url=f"http://virtual-models.localhost:{port}/?location")
    S3SigV4Auth(Credentials(*server.root_keys(account_id)), "s3", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = f"virtual-models.localhost:{port}"
    response = httpx.get(f"http://127.0.0.1:{port}/?location", headers=headers)
    assert response.status_code == 200, response.text
    assert b"LocationConstraint" in response.content
    assert response.headers["x-amz-request-id"]
