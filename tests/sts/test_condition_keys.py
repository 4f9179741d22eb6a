"""Condition keys set by the request: tags, resource tags, session tags, operation keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def user_client(
    server: LiveServer, account: str, name: str, document: str, service: str = "iam"
) -> Any:
    iam = server.client("iam", account)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=document)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client(service, keys=(key["AccessKeyId"], key["SecretAccessKey"]))


def trust(account: str) -> str:
    return policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": account},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    )


def test_request_and_resource_tags(server: LiveServer, account_id: str) -> None:
    tagged_only = policy(
        {
            "Effect": "Allow",
            "Action": "iam:CreateRole",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:RequestTag/team": "ml"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
            },
        },
        {
            "Effect": "Allow",
            "Action": "iam:DeleteRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "ml"}},
        },
    )
    iam = user_client(server, account_id, "tagger", tagged_only)
    iam.create_role(
        RoleName="ok",
        AssumeRolePolicyDocument=trust(account_id),
        Tags=[{"Key": "team", "Value": "ml"}],
    )
    for tags in (
        [{"Key": "team", "Value": "web"}],
        [{"Key": "team", "Value": "ml"}, {"Key": "x", "Value": "y"}],
        [],
    ):
        with pytest.raises(ClientError) as caught:
            iam.create_role(RoleName="no", AssumeRolePolicyDocument=trust(account_id), Tags=tags)
        assert caught.value.response["Error"]["Code"] == "AccessDenied"
    root = server.client("iam", account_id)
    root.create_role(
        RoleName="web",
        AssumeRolePolicyDocument=trust(account_id),
        Tags=[{"Key": "team", "Value": "web"}],
    )
    with pytest.raises(ClientError):
        iam.delete_role(RoleName="web")
    iam.delete_role(RoleName="ok")


def test_policy_arn_condition(server: LiveServer, account_id: str) -> None:
    only_read_only = policy(
        {
            "Effect": "Allow",
            "Action": "iam:AttachRolePolicy",
            "Resource": "*",
            "Condition": {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
        }
    )
    server.client("iam", account_id).create_role(
        RoleName="r", AssumeRolePolicyDocument=trust(account_id)
    )
    iam = user_client(server, account_id, "attacher", only_read_only)
    iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    with pytest.raises(ClientError) as caught:
        iam.attach_role_policy(
            RoleName="r", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
        )
    assert caught.value.response["Error"]["Code"] == "AccessDenied"


def test_session_tags_and_transitive_tags(server: LiveServer, account_id: str) -> None:
    root = server.client("iam", account_id)
    by_tag = policy(
        {
            "Effect": "Allow",
            "Action": ["iam:ListRoles", "sts:AssumeRole", "sts:TagSession"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/project": "iris"}},
        }
    )
    for name in ("first", "second"):
        root.create_role(RoleName=name, AssumeRolePolicyDocument=trust(account_id))
        root.put_role_policy(RoleName=name, PolicyName="by-tag", PolicyDocument=by_tag)
    sts = user_client(
        server,
        account_id,
        "starter",
        policy(
            {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}
        ),
        "sts",
    )
    untagged = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/first", RoleSessionName="plain"
    )
    with pytest.raises(ClientError):
        server.session_client("iam", untagged["Credentials"]).list_roles()
    tagged = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/first",
        RoleSessionName="tagged",
        Tags=[{"Key": "project", "Value": "iris"}],
        TransitiveTagKeys=["project"],
        SourceIdentity="alice",
    )
    assert tagged["SourceIdentity"] == "alice"
    assert server.session_client("iam", tagged["Credentials"]).list_roles()["Roles"]
    # The transitive tag follows the chain into the second role.
    chained = server.session_client("sts", tagged["Credentials"]).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/second", RoleSessionName="chained"
    )
    assert server.session_client("iam", chained["Credentials"]).list_roles()["Roles"]
    with pytest.raises(ClientError) as caught:
        sts.assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/first",
            RoleSessionName="bad",
            TransitiveTagKeys=["missing"],
        )
    assert caught.value.response["Error"]["Code"] == "ValidationError"


def test_tags_need_sts_tag_session(server: LiveServer, account_id: str) -> None:
    root = server.client("iam", account_id)
    root.create_role(
        RoleName="no-tags",
        AssumeRolePolicyDocument=policy(
            {"Effect": "Allow", "Principal": {"AWS": account_id}, "Action": "sts:AssumeRole"}
        ),
    )
    sts = user_client(
        server,
        account_id,
        "tags",
        policy({"Effect": "Allow", "Action": "sts:*", "Resource": "*"}),
        "sts",
    )
    arn = f"arn:aws:iam::{account_id}:role/no-tags"
    sts.assume_role(RoleArn=arn, RoleSessionName="untagged")
    with pytest.raises(ClientError) as caught:
        sts.assume_role(RoleArn=arn, RoleSessionName="tagged", Tags=[{"Key": "k", "Value": "v"}])
    assert "sts:TagSession" in caught.value.response["Error"]["Message"]


def test_called_via_keys(server: LiveServer, account_id: str) -> None:
    from datetime import UTC, datetime

    from airlock.core.api import Resource
    from airlock.core.context import RequestContext, root_principal
    from airlock.iam.authorizer import Authorizer

    root = server.client("iam", account_id)
    root.create_user(UserName="via")
    root.put_user_policy(
        UserName="via",
        PolicyName="only-through-cloudformation",
        PolicyDocument=policy(
            {
                "Effect": "Allow",
                "Action": "iam:CreateRole",
                "Resource": "*",
                "Condition": {
                    "ForAnyValue:StringEquals": {"aws:CalledVia": "cloudformation.amazonaws.com"}
                },
            }
        ),
    )
    platform = server.airlock.platform
    with platform.db.read() as session:
        from airlock.iam.service import IamService

        user = IamService(session, platform.clock).user(account_id, "via")
        principal = IamService(session, platform.clock).user_principal(user)
        base = RequestContext(
            "r", account_id, "us-east-1", principal, "127.0.0.1", datetime.now(UTC), "iam"
        )
        authorizer = Authorizer(session, platform.clock)
        direct = authorizer.decide(base, "iam:CreateRole", Resource("*"))[1]
        through = authorizer.decide(
            RequestContext(**{**base.__dict__, "called_via": ("cloudformation.amazonaws.com",)}),
            "iam:CreateRole",
            Resource("*"),
        )[1]
        assert (direct.decision, through.decision) == ("implicitDeny", "allowed")
        assert root_principal(account_id).is_root
