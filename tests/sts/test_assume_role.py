"""STS and policy enforcement end to end: the cross-account matrix, boundaries, sessions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.platform.clock import ManualClock
from tests.support import LiveServer


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal: dict[str, Any], **extra: Any) -> str:
    return policy({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def make_user(server: LiveServer, account: str, name: str, *policies: str) -> Any:
    """A user with inline policies and a key; returns its IAM client's session keys."""
    iam = server.client("iam", account)
    iam.create_user(UserName=name)
    for index, document in enumerate(policies):
        iam.put_user_policy(UserName=name, PolicyName=f"p{index}", PolicyDocument=document)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_cross_account_matrix(clocked_server: LiveServer) -> None:
    server = clocked_server
    a, b = server.first_account_id(), server.create_account("target")
    b_iam = server.client("iam", b)
    trusted = b_iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=trust({"AWS": a}))[
        "Role"
    ]
    b_iam.attach_role_policy(RoleName="deploy", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    untrusted = b_iam.create_role(
        RoleName="closed", AssumeRolePolicyDocument=trust({"AWS": "333333333333"})
    )["Role"]
    with_external = b_iam.create_role(
        RoleName="vendor",
        AssumeRolePolicyDocument=trust(
            {"AWS": a}, Condition={"StringEquals": {"sts:ExternalId": "iris-42"}}
        ),
    )["Role"]

    ds_keys = make_user(
        server, a, "ds", policy(allow("sts:AssumeRole", f"arn:aws:iam::{b}:role/*"))
    )
    ds = server.client("sts", keys=ds_keys)
    user_arn = f"arn:aws:iam::{a}:user/ds"

    # Trusted and allowed: works, and the session acts in B with the role's permissions.
    assumed = ds.assume_role(RoleArn=trusted["Arn"], RoleSessionName="release-1")
    creds = assumed["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{b}:assumed-role/deploy/release-1"
    assert assumed["AssumedRoleUser"]["AssumedRoleId"] == f"{trusted['RoleId']}:release-1"
    who = server.session_client("sts", creds).get_caller_identity()
    assert (who["Account"], who["Arn"]) == (b, f"arn:aws:sts::{b}:assumed-role/deploy/release-1")
    session_iam = server.session_client("iam", creds)
    assert [r["RoleName"] for r in session_iam.list_roles()["Roles"]] == [
        "closed",
        "deploy",
        "vendor",
    ]
    with pytest.raises(ClientError) as caught:
        session_iam.create_user(UserName="intruder")
    assert error(caught) == (
        "AccessDenied",
        f"User: arn:aws:sts::{b}:assumed-role/deploy/release-1 is not authorized to perform: "
        f"iam:CreateUser on resource: arn:aws:iam::{b}:user/intruder because no identity-based "
        "policy allows the iam:CreateUser action",
    )

    # No trust: denied by the resource (trust) policy.
    with pytest.raises(ClientError) as caught:
        ds.assume_role(RoleArn=untrusted["Arn"], RoleSessionName="x1")
    assert error(caught) == (
        "AccessDenied",
        f"User: {user_arn} is not authorized to perform: sts:AssumeRole on resource: "
        f"{untrusted['Arn']} because no resource-based policy allows the sts:AssumeRole action",
    )

    # Trust, but no identity policy allowing sts:AssumeRole.
    bare = server.client("sts", keys=make_user(server, a, "bare"))
    with pytest.raises(ClientError) as caught:
        bare.assume_role(RoleArn=trusted["Arn"], RoleSessionName="x2")
    assert error(caught)[1].endswith(
        "because no identity-based policy allows the sts:AssumeRole action"
    )

    # ExternalId required: missing or wrong is denied, right is allowed.
    with pytest.raises(ClientError) as caught:
        ds.assume_role(RoleArn=with_external["Arn"], RoleSessionName="x3")
    assert error(caught)[0] == "AccessDenied"
    with pytest.raises(ClientError):
        ds.assume_role(RoleArn=with_external["Arn"], RoleSessionName="x3", ExternalId="wrong")
    ok = ds.assume_role(RoleArn=with_external["Arn"], RoleSessionName="x3", ExternalId="iris-42")
    assert ok["AssumedRoleUser"]["Arn"].endswith(":assumed-role/vendor/x3")

    # An account's root cannot act inside another account.
    with pytest.raises(ClientError) as caught:
        server.client("iam", a).get_role(RoleName="deploy")
    assert error(caught)[0] == "NoSuchEntity"  # it sees only its own account


def test_session_policy_narrows_the_role(clocked_server: LiveServer) -> None:
    server = clocked_server
    a = server.first_account_id()
    iam = server.client("iam", a)
    role = iam.create_role(RoleName="admin", AssumeRolePolicyDocument=trust({"AWS": a}))["Role"]
    iam.attach_role_policy(
        RoleName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    sts = server.client("sts", keys=make_user(server, a, "op", policy(allow("sts:AssumeRole"))))
    narrow = sts.assume_role(
        RoleArn=role["Arn"], RoleSessionName="narrow", Policy=policy(allow("iam:ListRoles"))
    )
    session_iam = server.session_client("iam", narrow["Credentials"])
    assert session_iam.list_roles()["Roles"]
    with pytest.raises(ClientError) as caught:
        session_iam.list_users()
    assert error(caught)[1].endswith("because no session policy allows the iam:ListUsers action")
    full = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="full")
    assert server.session_client("iam", full["Credentials"]).list_users()["Users"]


def test_permissions_boundary(clocked_server: LiveServer) -> None:
    server = clocked_server
    a = server.first_account_id()
    iam = server.client("iam", a)
    boundary = iam.create_policy(PolicyName="ListOnly", PolicyDocument=policy(allow("iam:List*")))
    iam.create_user(UserName="bounded", PermissionsBoundary=boundary["Policy"]["Arn"])
    iam.attach_user_policy(
        UserName="bounded", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    key = iam.create_access_key(UserName="bounded")["AccessKey"]
    bounded = server.client("iam", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    assert [u["UserName"] for u in bounded.list_users()["Users"]] == ["bounded"]
    with pytest.raises(ClientError) as caught:
        bounded.create_user(UserName="escalate")
    assert error(caught)[1].endswith(
        "because no permissions boundary allows the iam:CreateUser action"
    )


def test_group_policies_and_explicit_deny(clocked_server: LiveServer) -> None:
    server = clocked_server
    a = server.first_account_id()
    iam = server.client("iam", a)
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(
        GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    keys = make_user(
        server, a, "grace", policy({"Effect": "Deny", "Action": "iam:DeleteRole", "Resource": "*"})
    )
    iam.add_user_to_group(GroupName="admins", UserName="grace")
    grace = server.client("iam", keys=keys)
    grace.create_role(RoleName="temp", AssumeRolePolicyDocument=trust({"AWS": a}))
    with pytest.raises(ClientError) as caught:
        grace.delete_role(RoleName="temp")
    assert error(caught)[1].endswith("with an explicit deny in an identity-based policy")
    iam.remove_user_from_group(GroupName="admins", UserName="grace")
    with pytest.raises(ClientError) as caught:
        grace.list_roles()
    assert error(caught)[0] == "AccessDenied"


def test_session_expiry_and_wrong_token(clocked_server: LiveServer, clock: ManualClock) -> None:
    server = clocked_server
    a = server.first_account_id()
    iam = server.client("iam", a)
    role = iam.create_role(
        RoleName="short", AssumeRolePolicyDocument=trust({"AWS": a}), MaxSessionDuration=3600
    )["Role"]
    iam.attach_role_policy(RoleName="short", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    sts = server.client("sts", keys=make_user(server, a, "u", policy(allow("sts:AssumeRole"))))
    with pytest.raises(ClientError) as caught:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=7200)
    assert error(caught) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=900)[
        "Credentials"
    ]
    session_iam = server.session_client("iam", creds)
    session_iam.list_roles()
    forged = server.session_client("iam", dict(creds, SessionToken=creds["SessionToken"] + "x"))
    with pytest.raises(ClientError) as caught:
        forged.list_roles()
    assert error(caught)[0] == "InvalidClientTokenId"
    clock.advance(timedelta(seconds=901))
    with pytest.raises(ClientError) as caught:
        session_iam.list_roles()
    assert error(caught) == (
        "ExpiredToken",
        "The security token included in the request is expired",
    )


def test_role_chaining_is_capped_at_one_hour(clocked_server: LiveServer) -> None:
    server = clocked_server
    a = server.first_account_id()
    iam = server.client("iam", a)
    first = iam.create_role(
        RoleName="first", AssumeRolePolicyDocument=trust({"AWS": a}), MaxSessionDuration=14400
    )["Role"]
    iam.put_role_policy(
        RoleName="first", PolicyName="chain", PolicyDocument=policy(allow("sts:AssumeRole"))
    )
    second = iam.create_role(
        RoleName="second",
        AssumeRolePolicyDocument=trust({"AWS": first["Arn"]}),
        MaxSessionDuration=14400,
    )["Role"]
    sts = server.client("sts", keys=make_user(server, a, "chain", policy(allow("sts:AssumeRole"))))
    creds = sts.assume_role(RoleArn=first["Arn"], RoleSessionName="one", DurationSeconds=7200)
    chained = server.session_client("sts", creds["Credentials"])
    with pytest.raises(ClientError) as caught:
        chained.assume_role(RoleArn=second["Arn"], RoleSessionName="two", DurationSeconds=7200)
    assert error(caught)[1] == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining."
    )
    ok = chained.assume_role(RoleArn=second["Arn"], RoleSessionName="two")
    assert ok["AssumedRoleUser"]["Arn"].endswith(":assumed-role/second/two")


def test_get_caller_identity_and_session_token(server: LiveServer, account_id: str) -> None:
    sts = server.client("sts", account_id)
    who = sts.get_caller_identity()
    assert who == {**who, "Account": account_id, "Arn": f"arn:aws:iam::{account_id}:root"}
    token = sts.get_session_token()["Credentials"]
    assert token["AccessKeyId"].startswith("ASIA")
    assert server.session_client("sts", token).get_caller_identity()["Arn"] == who["Arn"]
