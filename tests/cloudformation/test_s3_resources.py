"""AWS::S3::Bucket and AWS::S3::BucketPolicy, through their providers as the stack's principal."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.core.errors import ServiceError
from airlock.core.resources import ResourceFailed
from tests.cloudformation.helpers import invoked_by, refusal, service_error, user_allowed
from tests.cloudformation.providers import provision
from tests.support import LiveServer

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


@pytest.fixture
def s3(server: LiveServer, account_id: str) -> Any:
    return server.client("s3", account_id)


def code(call: Any, **params: Any) -> str | None:
    """The error code of a call, or None when it succeeds."""
    try:
        call(**params)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return None


def reader_policy(bucket: str, action: str = "s3:GetObject") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": action,
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


def test_bucket_lifecycle(server: LiveServer, s3: Any, account_id: str, region: str) -> None:
    made = provision(
        server,
        account_id,
        "AWS::S3::Bucket",
        {
            "AccessControl": "Private",
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": "alias/models",
                        },
                        "BucketKeyEnabled": "true",
                    }
                ]
            },
            # As a template with parameters gives them: text.
            "PublicAccessBlockConfiguration": {k: "TRUE" for k in BLOCK_ALL},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]},
            "Tags": [{"Key": "team", "Value": "ml"}],
        },
        logical_id="ModelBucket",
        stack_name="Iris-Prod",
        tags={"project": "iris", "team": "stack"},
    )
    name = made.physical_id
    assert name.startswith("iris-prod-modelbucket-")
    assert len(name) == len("iris-prod-modelbucket-") + 13 and BUCKET_NAME.match(name)
    assert region == "us-east-1"  # whose website endpoint joins the region with a dash
    assert made.attributes == {
        "Ref": name,
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
        "WebsiteURL": f"http://{name}.s3-website-us-east-1.amazonaws.com",
    }
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [
        {"Key": "project", "Value": "iris"},
        {"Key": "team", "Value": "ml"},
    ]
    [rule] = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule == {
        "ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": "alias/models",
        },
        "BucketKeyEnabled": True,
    }
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == BLOCK_ALL
    rules = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerPreferred"}]

    made.update(
        {
            "PublicAccessBlockConfiguration": {"BlockPublicPolicy": True},
            "Tags": [{"Key": "tier", "Value": "gold"}],
        }
    )
    # Versioning cannot be turned off, only suspended; the other settings go back to S3's.
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [
        {"Key": "project", "Value": "iris"},
        {"Key": "team", "Value": "stack"},
        {"Key": "tier", "Value": "gold"},
    ]
    [rule] = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == {
        **{k: False for k in BLOCK_ALL},
        "BlockPublicPolicy": True,
    }
    assert code(s3.get_bucket_ownership_controls, Bucket=name) == "OwnershipControlsNotFoundError"
    made.update({})
    assert code(s3.get_public_access_block, Bucket=name) == "NoSuchPublicAccessBlockConfiguration"
    assert invoked_by(server, account_id, "CreateBucket") == ["cloudformation.amazonaws.com"]

    made.delete()
    assert code(s3.head_bucket, Bucket=name) == "404"
    made.delete()  # already gone: still deleted


def test_tags_removed_from_a_bucket(server: LiveServer, s3: Any, account_id: str) -> None:
    made = provision(
        server, account_id, "AWS::S3::Bucket", {"Tags": [{"Key": "team", "Value": "ml"}]}
    )
    made.update({})
    assert code(s3.get_bucket_tagging, Bucket=made.physical_id) == "NoSuchTagSet"


def test_a_bucket_with_objects_is_not_deleted(server: LiveServer, s3: Any, account_id: str) -> None:
    made = provision(server, account_id, "AWS::S3::Bucket", {"BucketName": "kept-models"})
    s3.put_object(Bucket="kept-models", Key="model.tar.gz", Body=b"weights")
    with pytest.raises(ServiceError) as caught:
        made.delete()
    assert (caught.value.code, caught.value.message) == (
        "BucketNotEmpty",
        "The bucket you tried to delete is not empty",
    )
    assert code(s3.head_bucket, Bucket="kept-models") is None


def test_a_bucket_name_that_is_taken_fails(server: LiveServer, s3: Any, account_id: str) -> None:
    s3.create_bucket(Bucket="mine")
    props = {"BucketName": "mine"}
    assert service_error(server, account_id, "AWS::S3::Bucket", props) == (
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
    )
    other = server.create_account("other")
    assert service_error(server, other, "AWS::S3::Bucket", props) == (
        "BucketAlreadyExists",
        "The requested bucket name is not available. The bucket namespace is shared by all "
        "users of the system. Please select a different name and try again.",
    )


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"LifecycleConfiguration": {"Rules": [{"Status": "Enabled", "ExpirationInDays": 1}]}},
            "Airlock does not support LifecycleConfiguration on AWS::S3::Bucket yet",
        ),
        (
            {"ObjectLockEnabled": True},
            "Airlock does not support ObjectLockEnabled on AWS::S3::Bucket yet",
        ),
        (
            {"AccessControl": "PublicRead"},
            "Airlock does not support AccessControl PublicRead on AWS::S3::Bucket yet "
            "(buckets have no ACLs: only Private)",
        ),
    ],
)
def test_unsupported_bucket_properties_are_refused(
    server: LiveServer, s3: Any, account_id: str, props: dict[str, Any], message: str
) -> None:
    refused = refusal(server, account_id, "AWS::S3::Bucket", {"BucketName": "refused", **props})
    assert refused == message
    assert code(s3.head_bucket, Bucket="refused") == "404"


def test_an_update_adding_an_unsupported_property_changes_nothing(
    server: LiveServer, s3: Any, account_id: str
) -> None:
    made = provision(server, account_id, "AWS::S3::Bucket", {})
    with pytest.raises(ResourceFailed) as refused:
        made.update(
            {
                "VersioningConfiguration": {"Status": "Enabled"},
                "CorsConfiguration": {"CorsRules": []},
            }
        )
    assert str(refused.value) == "Airlock does not support CorsConfiguration on AWS::S3::Bucket yet"
    assert "Status" not in s3.get_bucket_versioning(Bucket=made.physical_id)


def test_iam_decides_each_bucket_call(server: LiveServer, s3: Any, account_id: str) -> None:
    creator = user_allowed(server, account_id, "creator", "s3:CreateBucket")
    props = {"BucketName": "half-made", "VersioningConfiguration": {"Status": "Enabled"}}
    assert service_error(server, account_id, "AWS::S3::Bucket", props, principal=creator) == (
        "AccessDenied",
        f"User: {creator.arn} is not authorized to perform: s3:PutBucketVersioning on resource: "
        "arn:aws:s3:::half-made because no identity-based policy allows the "
        "s3:PutBucketVersioning action",
    )
    assert "Status" not in s3.get_bucket_versioning(Bucket="half-made")


def test_bucket_policy_lifecycle(server: LiveServer, s3: Any, account_id: str) -> None:
    s3.create_bucket(Bucket="models")
    made = provision(
        server,
        account_id,
        "AWS::S3::BucketPolicy",
        {"Bucket": "models", "PolicyDocument": reader_policy("models")},
    )
    assert made.physical_id == "models"
    assert made.attributes == {"Ref": "models"}
    assert json.loads(s3.get_bucket_policy(Bucket="models")["Policy"]) == reader_policy("models")
    updated = reader_policy("models", "s3:ListBucket")
    made.update({"Bucket": "models", "PolicyDocument": updated})
    assert json.loads(s3.get_bucket_policy(Bucket="models")["Policy"]) == updated
    assert invoked_by(server, account_id, "PutBucketPolicy")[0] == "cloudformation.amazonaws.com"
    made.delete()
    assert code(s3.get_bucket_policy, Bucket="models") == "NoSuchBucketPolicy"
    made.delete()
    s3.delete_bucket(Bucket="models")
    made.delete()  # the bucket itself is gone too


def test_a_bucket_that_has_a_policy_is_refused(
    server: LiveServer, s3: Any, account_id: str
) -> None:
    s3.create_bucket(Bucket="models")
    s3.put_bucket_policy(Bucket="models", Policy=json.dumps(reader_policy("models")))
    props = {"Bucket": "models", "PolicyDocument": reader_policy("models", "s3:*")}
    assert refusal(server, account_id, "AWS::S3::BucketPolicy", props) == (
        "Resource of type 'AWS::S3::BucketPolicy' with identifier 'models' already exists."
    )
    assert json.loads(s3.get_bucket_policy(Bucket="models")["Policy"]) == reader_policy("models")


def test_block_public_access_refuses_a_public_bucket_policy(
    server: LiveServer, account_id: str
) -> None:
    bucket = provision(
        server,
        account_id,
        "AWS::S3::Bucket",
        {"BucketName": "guarded", "PublicAccessBlockConfiguration": BLOCK_ALL},
    )
    public = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::guarded/*",
            }
        ],
    }
    props = {"Bucket": bucket.physical_id, "PolicyDocument": public}
    assert service_error(server, account_id, "AWS::S3::BucketPolicy", props) == (
        "AccessDenied",
        f"User: arn:aws:iam::{account_id}:root is not authorized to perform: s3:PutBucketPolicy "
        "on resource: arn:aws:s3:::guarded because public policies are blocked by the "
        "BlockPublicPolicy block public access setting.",
    )
