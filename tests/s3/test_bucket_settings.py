"""Bucket settings through boto3: default encryption, Block Public Access, object ownership."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.s3.public import is_public
from tests.support import LiveServer


@pytest.fixture
def s3(server: LiveServer, account_id: str) -> Any:
    return server.client("s3", account_id)


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def _policy(principal: Any, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetBucketLocation",
        "Resource": "arn:aws:s3:::open-data",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_default_encryption(s3: Any) -> None:
    s3.create_bucket(Bucket="sealed")
    assert s3.get_bucket_encryption(Bucket="sealed")["ServerSideEncryptionConfiguration"] == {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                "BucketKeyEnabled": False,
            }
        ]
    }
    kms = {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": "alias/models",
                },
                "BucketKeyEnabled": True,
            }
        ]
    }
    s3.put_bucket_encryption(Bucket="sealed", ServerSideEncryptionConfiguration=kms)
    assert s3.get_bucket_encryption(Bucket="sealed")["ServerSideEncryptionConfiguration"] == kms
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_encryption(
            Bucket="sealed",
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "AES256",
                            "KMSMasterKeyID": "alias/models",
                        }
                    }
                ]
            },
        )
    assert error(caught) == (
        "InvalidArgument",
        "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or "
        "aws:kms:dsse",
    )
    s3.delete_bucket_encryption(Bucket="sealed")
    rules = s3.get_bucket_encryption(Bucket="sealed")["ServerSideEncryptionConfiguration"]
    assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_block_public_policy(s3: Any) -> None:
    s3.create_bucket(Bucket="open-data")
    with pytest.raises(ClientError) as caught:
        s3.get_public_access_block(Bucket="open-data")
    assert error(caught) == (
        "NoSuchPublicAccessBlockConfiguration",
        "The public access block configuration was not found",
    )
    s3.put_public_access_block(
        Bucket="open-data", PublicAccessBlockConfiguration={"BlockPublicPolicy": True}
    )
    assert s3.get_public_access_block(Bucket="open-data")["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": False,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False,
    }
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_policy(Bucket="open-data", Policy=_policy("*"))
    code, message = error(caught)
    assert code == "AccessDenied"
    assert message.endswith(
        "is not authorized to perform: s3:PutBucketPolicy on resource: arn:aws:s3:::open-data "
        "because public policies are blocked by the BlockPublicPolicy block public access setting."
    )
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket="open-data")  # nothing was stored
    pinned = _policy("*", {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c"}})
    s3.put_bucket_policy(Bucket="open-data", Policy=pinned)
    s3.delete_public_access_block(Bucket="open-data")
    s3.put_bucket_policy(Bucket="open-data", Policy=_policy("*"))
    assert json.loads(s3.get_bucket_policy(Bucket="open-data")["Policy"]) == json.loads(
        _policy("*")
    )


def test_restrict_public_buckets_confines_public_grants_to_the_owner(
    s3: Any, server: LiveServer, account_id: str
) -> None:
    s3.create_bucket(Bucket="open-data")
    s3.put_bucket_policy(Bucket="open-data", Policy=_policy({"AWS": "*"}))
    outsider = server.client("s3", server.create_account("outsider"))
    iam = server.client("iam", account_id)
    iam.create_user(UserName="insider")
    key = iam.create_access_key(UserName="insider")["AccessKey"]
    insider = server.client("s3", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    outsider.get_bucket_location(Bucket="open-data")
    s3.put_public_access_block(
        Bucket="open-data", PublicAccessBlockConfiguration={"RestrictPublicBuckets": True}
    )
    with pytest.raises(ClientError) as caught:
        outsider.get_bucket_location(Bucket="open-data")
    assert error(caught)[0] == "AccessDenied"
    # The owner's own principals keep what the public grant gives them.
    insider.get_bucket_location(Bucket="open-data")
    s3.delete_public_access_block(Bucket="open-data")
    outsider.get_bucket_location(Bucket="open-data")


def test_object_ownership(s3: Any) -> None:
    s3.create_bucket(Bucket="owned")
    rules = s3.get_bucket_ownership_controls(Bucket="owned")["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    s3.create_bucket(Bucket="written", ObjectOwnership="ObjectWriter")
    rules = s3.get_bucket_ownership_controls(Bucket="written")["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "ObjectWriter"}]
    s3.put_bucket_ownership_controls(
        Bucket="written", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    rules = s3.get_bucket_ownership_controls(Bucket="written")["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_ownership_controls(
            Bucket="written", OwnershipControls={"Rules": [{"ObjectOwnership": "Anyone"}]}
        )
    assert error(caught)[0] == "MalformedXML"
    s3.delete_bucket_ownership_controls(Bucket="written")
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_ownership_controls(Bucket="written")
    assert error(caught) == (
        "OwnershipControlsNotFoundError",
        "The bucket ownership controls were not found",
    )


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        ({"Effect": "Allow", "Principal": "*"}, True),
        ({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]}}, True),
        ({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}}, True),
        ({"Effect": "Deny", "Principal": "*"}, False),
        ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}, False),
        ({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}, False),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
            },
            False,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            },
            False,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
            },
            True,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Condition": {"StringLike": {"aws:SourceArn": "arn:aws:sns:*"}},
            },
            True,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Condition": {"StringNotEquals": {"aws:SourceAccount": "111122223333"}},
            },
            True,
        ),
        (
            {
                "Effect": "Allow",
                "Principal": "*",
                "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}},
            },
            True,
        ),
    ],
)
def test_what_counts_as_public(statement: dict[str, Any], public: bool) -> None:
    statement = {**statement, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    assert is_public(json.dumps({"Version": "2012-10-17", "Statement": [statement]})) is public
