"""A user's permissions boundary through boto3: set, enforced, removed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer


def test_user_permissions_boundary(server: LiveServer, iam: Any) -> None:
    iam.create_user(UserName="bounded")
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    iam.attach_user_policy(UserName="bounded", PolicyArn=admin)
    only_iam = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}],
        }
    )
    boundary = iam.create_policy(PolicyName="only-iam", PolicyDocument=only_iam)["Policy"]["Arn"]
    key = iam.create_access_key(UserName="bounded")["AccessKey"]
    s3 = server.client("s3", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    s3.list_buckets()

    iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=boundary)
    user = iam.get_user(UserName="bounded")["User"]
    assert user["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": boundary,
    }
    with pytest.raises(ClientError) as caught:
        s3.list_buckets()
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert (
        "because no permissions boundary allows the s3:ListAllMyBuckets action"
        in (caught.value.response["Error"]["Message"])
    )

    iam.delete_user_permissions_boundary(UserName="bounded")
    assert "PermissionsBoundary" not in iam.get_user(UserName="bounded")["User"]
    s3.list_buckets()
    with pytest.raises(ClientError) as caught:
        iam.put_user_permissions_boundary(
            UserName="bounded", PermissionsBoundary="arn:aws:iam::aws:policy/NoSuchPolicy"
        )
    assert caught.value.response["Error"]["Code"] == "NoSuchEntity"
    assert caught.value.response["Error"]["Message"] == (
        "Policy arn:aws:iam::aws:policy/NoSuchPolicy was not found."
    )
