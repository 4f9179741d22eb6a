"""AWS::IAM::Role, User, Policy and ManagedPolicy, through their providers as the stack's role."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.core.resources import ResourceFailed
from tests.cloudformation.helpers import invoked_by, refusal, service_error, user_allowed
from tests.cloudformation.providers import provision
from tests.support import LiveServer

SUFFIX = 13  # characters of the generated part of a physical name


def trust(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def allow(*actions: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }


@pytest.fixture
def iam(server: LiveServer, account_id: str) -> Any:
    return server.client("iam", account_id)


def managed(iam: Any, name: str, *actions: str) -> str:
    document = json.dumps(allow(*(actions or ("s3:GetObject",))))
    return str(iam.create_policy(PolicyName=name, PolicyDocument=document)["Policy"]["Arn"])


def missing(call: Any, **params: Any) -> bool:
    try:
        call(**params)
    except ClientError as error:
        return bool(error.response["Error"]["Code"] == "NoSuchEntity")
    return False


def test_role_lifecycle(server: LiveServer, iam: Any, account_id: str) -> None:
    reader, writer = managed(iam, "reader"), managed(iam, "writer", "s3:PutObject")
    boundary, wider = managed(iam, "boundary", "s3:*"), managed(iam, "wider", "*")
    made = provision(
        server,
        account_id,
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": trust("sagemaker.amazonaws.com"),
            "Description": "deploys models",
            "ManagedPolicyArns": [reader],
            "MaxSessionDuration": 7200,
            "Path": "/ml/",
            "PermissionsBoundary": boundary,
            "Policies": [{"PolicyName": "logs", "PolicyDocument": allow("logs:PutLogEvents")}],
            "Tags": [{"Key": "team", "Value": "ml"}],
        },
        logical_id="DeployRole",
        stack_name="iris",
        tags={"project": "iris", "team": "stack"},
    )
    name = made.physical_id
    assert name.startswith("iris-DeployRole-") and len(name) == len("iris-DeployRole-") + SUFFIX
    role = iam.get_role(RoleName=name)["Role"]
    assert made.attributes == {
        "Ref": name,
        "Arn": f"arn:aws:iam::{account_id}:role/ml/{name}",
        "RoleId": role["RoleId"],
    }
    assert role["RoleId"].startswith("AROA")
    assert role["AssumeRolePolicyDocument"] == trust("sagemaker.amazonaws.com")
    assert (role["Description"], role["MaxSessionDuration"]) == ("deploys models", 7200)
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert iam.list_role_tags(RoleName=name)["Tags"] == [
        {"Key": "project", "Value": "iris"},
        {"Key": "team", "Value": "ml"},
    ]
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [reader]
    inline = iam.get_role_policy(RoleName=name, PolicyName="logs")
    assert inline["PolicyDocument"] == allow("logs:PutLogEvents")

    made.update(
        {
            "AssumeRolePolicyDocument": trust("lambda.amazonaws.com"),
            "Description": "deploys endpoints",
            "ManagedPolicyArns": [writer],
            "MaxSessionDuration": 10800,
            "Path": "/ml/",
            "PermissionsBoundary": wider,
            "Policies": [
                {"PolicyName": "logs", "PolicyDocument": allow("logs:*")},
                {"PolicyName": "events", "PolicyDocument": allow("events:PutEvents")},
            ],
            "Tags": [{"Key": "team", "Value": "ops"}, {"Key": "tier", "Value": "gold"}],
        }
    )
    role = iam.get_role(RoleName=name)["Role"]
    assert role["AssumeRolePolicyDocument"] == trust("lambda.amazonaws.com")
    assert (role["Description"], role["MaxSessionDuration"]) == ("deploys endpoints", 10800)
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == wider
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [writer]
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["events", "logs"]
    assert iam.get_role_policy(RoleName=name, PolicyName="logs")["PolicyDocument"] == allow(
        "logs:*"
    )
    assert iam.list_role_tags(RoleName=name)["Tags"] == [
        {"Key": "project", "Value": "iris"},
        {"Key": "team", "Value": "ops"},
        {"Key": "tier", "Value": "gold"},
    ]

    made.update(
        {
            "AssumeRolePolicyDocument": trust("lambda.amazonaws.com"),
            "Path": "/ml/",
            "Policies": [{"PolicyName": "events", "PolicyDocument": allow("events:PutEvents")}],
        }
    )
    role = iam.get_role(RoleName=name)["Role"]
    assert "Description" not in role and "PermissionsBoundary" not in role
    assert role["MaxSessionDuration"] == 3600
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["events"]
    # Without its own tag, the role has the stack's again.
    assert iam.list_role_tags(RoleName=name)["Tags"] == [
        {"Key": "project", "Value": "iris"},
        {"Key": "team", "Value": "stack"},
    ]
    assert invoked_by(server, account_id, "CreateRole") == ["cloudformation.amazonaws.com"]
    assert invoked_by(server, account_id, "UpdateAssumeRolePolicy") == [
        "cloudformation.amazonaws.com"
    ]

    # A policy attached outside the stack does not keep the role from being deleted.
    iam.attach_role_policy(RoleName=name, PolicyArn=reader)
    made.delete()
    assert missing(iam.get_role, RoleName=name)
    assert iam.get_policy(PolicyArn=reader)["Policy"]["AttachmentCount"] == 0
    made.delete()  # already gone: still deleted


@pytest.mark.parametrize(
    ("type_name", "props", "message"),
    [
        (
            "AWS::IAM::Role",
            {"RoleName": "taken", "AssumeRolePolicyDocument": trust("ec2.amazonaws.com")},
            "Role with name taken already exists.",
        ),
        ("AWS::IAM::User", {"UserName": "taken"}, "User with name taken already exists."),
        (
            "AWS::IAM::ManagedPolicy",
            {"ManagedPolicyName": "taken", "PolicyDocument": allow("s3:GetObject")},
            "A policy called taken already exists. Duplicate names are not allowed.",
        ),
    ],
)
def test_a_name_that_is_taken_fails(
    server: LiveServer, iam: Any, account_id: str, type_name: str, props: Any, message: str
) -> None:
    iam.create_role(
        RoleName="taken", AssumeRolePolicyDocument=json.dumps(trust("ec2.amazonaws.com"))
    )
    iam.create_user(UserName="taken")
    managed(iam, "taken")
    failure = service_error(server, account_id, type_name, props)
    assert failure == ("EntityAlreadyExists", message)


def test_iam_decides_each_call(server: LiveServer, account_id: str, iam: Any) -> None:
    nobody = user_allowed(server, account_id, "nobody")
    props: dict[str, Any] = {
        "RoleName": "never",
        "AssumeRolePolicyDocument": trust("ec2.amazonaws.com"),
    }
    assert service_error(server, account_id, "AWS::IAM::Role", props, principal=nobody) == (
        "AccessDenied",
        f"User: {nobody.arn} is not authorized to perform: iam:CreateRole on resource: "
        f"arn:aws:iam::{account_id}:role/never because no identity-based policy allows the "
        "iam:CreateRole action",
    )
    assert missing(iam.get_role, RoleName="never")
    builder = user_allowed(server, account_id, "builder", "iam:CreateRole", "iam:GetRole")
    props = {
        "RoleName": "half",
        "AssumeRolePolicyDocument": trust("ec2.amazonaws.com"),
        "Policies": [{"PolicyName": "p", "PolicyDocument": allow("s3:GetObject")}],
    }
    assert service_error(server, account_id, "AWS::IAM::Role", props, principal=builder) == (
        "AccessDenied",
        f"User: {builder.arn} is not authorized to perform: iam:PutRolePolicy on resource: "
        f"arn:aws:iam::{account_id}:role/half because no identity-based policy allows the "
        "iam:PutRolePolicy action",
    )
    # The role was made (its create was allowed); the refused step left nothing.
    assert iam.list_role_policies(RoleName="half")["PolicyNames"] == []


def test_user_lifecycle(server: LiveServer, iam: Any, account_id: str) -> None:
    for group in ("analysts", "deployers"):
        iam.create_group(GroupName=group)
    reader, boundary = managed(iam, "reader"), managed(iam, "boundary", "s3:*")
    made = provision(
        server,
        account_id,
        "AWS::IAM::User",
        {
            "Path": "/people/",
            "Groups": ["analysts"],
            "ManagedPolicyArns": [reader],
            "Policies": [{"PolicyName": "read", "PolicyDocument": allow("s3:GetObject")}],
            "PermissionsBoundary": boundary,
            "Tags": [{"Key": "team", "Value": "ml"}],
        },
        logical_id="Analyst",
        stack_name="iris",
    )
    name = made.physical_id
    assert name.startswith("iris-Analyst-") and len(name) == len("iris-Analyst-") + SUFFIX
    assert made.attributes == {"Ref": name, "Arn": f"arn:aws:iam::{account_id}:user/people/{name}"}
    user = iam.get_user(UserName=name)["User"]
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert user["Tags"] == [{"Key": "team", "Value": "ml"}]
    groups = iam.list_groups_for_user(UserName=name)["Groups"]
    assert [g["GroupName"] for g in groups] == ["analysts"]
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [reader]
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["read"]

    made.update(
        {
            "Path": "/people/",
            "Groups": ["deployers"],
            "Policies": [{"PolicyName": "write", "PolicyDocument": allow("s3:PutObject")}],
            "Tags": [{"Key": "team", "Value": "ops"}],
        }
    )
    user = iam.get_user(UserName=name)["User"]
    assert "PermissionsBoundary" not in user
    assert user["Tags"] == [{"Key": "team", "Value": "ops"}]
    groups = iam.list_groups_for_user(UserName=name)["Groups"]
    assert [g["GroupName"] for g in groups] == ["deployers"]
    assert iam.list_attached_user_policies(UserName=name)["AttachedPolicies"] == []
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["write"]
    made.update({"Path": "/people/", "PermissionsBoundary": boundary, "Groups": ["deployers"]})
    user = iam.get_user(UserName=name)["User"]
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    with pytest.raises(ResourceFailed) as refused:
        made.update({"Path": "/elsewhere/"})
    assert str(refused.value) == "Airlock does not support changing Path on AWS::IAM::User yet"

    iam.create_access_key(UserName=name)  # made outside the stack: the delete removes it
    made.delete()
    assert missing(iam.get_user, UserName=name)
    assert iam.get_group(GroupName="deployers")["Users"] == []
    made.delete()


def test_a_login_profile_is_refused(server: LiveServer, iam: Any, account_id: str) -> None:
    props = {"UserName": "console", "LoginProfile": {"Password": "Secret-1234"}}
    assert refusal(server, account_id, "AWS::IAM::User", props) == (
        "Airlock does not support LoginProfile on AWS::IAM::User yet "
        "(IAM users have no console passwords in Airlock)"
    )
    assert missing(iam.get_user, UserName="console")


def test_inline_policy_lifecycle(server: LiveServer, iam: Any, account_id: str) -> None:
    for role in ("trainer", "deployer"):
        iam.create_role(
            RoleName=role, AssumeRolePolicyDocument=json.dumps(trust("ec2.amazonaws.com"))
        )
    iam.create_user(UserName="analyst")
    iam.create_group(GroupName="analysts")
    made = provision(
        server,
        account_id,
        "AWS::IAM::Policy",
        {
            "PolicyName": "shared",
            "PolicyDocument": allow("s3:GetObject"),
            "Roles": ["trainer"],
            "Users": ["analyst"],
        },
        logical_id="SharedAccess",
        stack_name="teams",
    )
    # As CloudFormation names them: five characters of the stack and of the logical id.
    policy_id = made.physical_id
    assert policy_id.startswith("teams-Share-") and len(policy_id) == len("teams-Share-") + SUFFIX
    assert made.attributes == {"Ref": policy_id, "Id": policy_id}
    doc = iam.get_role_policy(RoleName="trainer", PolicyName="shared")["PolicyDocument"]
    assert doc == allow("s3:GetObject")
    assert iam.list_user_policies(UserName="analyst")["PolicyNames"] == ["shared"]

    made.update(
        {
            "PolicyName": "shared",
            "PolicyDocument": allow("s3:PutObject"),
            "Roles": ["deployer"],
            "Groups": ["analysts"],
        }
    )
    assert iam.list_role_policies(RoleName="trainer")["PolicyNames"] == []
    assert iam.list_user_policies(UserName="analyst")["PolicyNames"] == []
    doc = iam.get_role_policy(RoleName="deployer", PolicyName="shared")["PolicyDocument"]
    assert doc == allow("s3:PutObject")
    doc = iam.get_group_policy(GroupName="analysts", PolicyName="shared")["PolicyDocument"]
    assert doc == allow("s3:PutObject")

    made.update(
        {"PolicyName": "renamed", "PolicyDocument": allow("s3:PutObject"), "Roles": ["deployer"]}
    )
    assert iam.list_role_policies(RoleName="deployer")["PolicyNames"] == ["renamed"]
    assert iam.list_group_policies(GroupName="analysts")["PolicyNames"] == []

    iam.delete_role_policy(RoleName="deployer", PolicyName="renamed")  # gone already
    made.delete()
    made.delete()
    assert iam.list_role_policies(RoleName="deployer")["PolicyNames"] == []
    props = {"PolicyName": "nowhere", "PolicyDocument": allow("s3:GetObject")}
    assert refusal(server, account_id, "AWS::IAM::Policy", props) == (
        "At least one of [Groups, Roles, Users] must be specified for AWS::IAM::Policy"
    )


def test_managed_policy_lifecycle(server: LiveServer, iam: Any, account_id: str) -> None:
    iam.create_role(
        RoleName="trainer", AssumeRolePolicyDocument=json.dumps(trust("ec2.amazonaws.com"))
    )
    iam.create_user(UserName="analyst")
    iam.create_group(GroupName="analysts")
    props: dict[str, Any] = {
        "Description": "reads the model bucket",
        "Path": "/ml/",
        "PolicyDocument": allow("s3:GetObject"),
        "Roles": ["trainer"],
    }
    made = provision(
        server,
        account_id,
        "AWS::IAM::ManagedPolicy",
        props,
        logical_id="ModelAccess",
        stack_name="iris",
    )
    arn = made.physical_id
    name = arn.rsplit("/", 1)[-1]
    assert arn == f"arn:aws:iam::{account_id}:policy/ml/{name}"
    assert name.startswith("iris-ModelAccess-") and len(name) == len("iris-ModelAccess-") + SUFFIX
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["Description"] == "reads the model bucket"
    assert made.attributes == {
        "Ref": arn,
        "PolicyArn": arn,
        "PolicyId": policy["PolicyId"],
        "AttachmentCount": 1,
        "DefaultVersionId": "v1",
        "IsAttachable": True,
        "PermissionsBoundaryUsageCount": 0,
        "CreateDate": policy["CreateDate"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "UpdateDate": policy["UpdateDate"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    roles = iam.list_entities_for_policy(PolicyArn=arn)["PolicyRoles"]
    assert [r["RoleName"] for r in roles] == ["trainer"]

    # Five versions at most: the sixth document pushes out the oldest one.
    for number, action in enumerate(("s3:PutObject", "s3:ListBucket", "s3:*", "logs:*", "*"), 2):
        made.update({**props, "PolicyDocument": allow(action)})
        assert made.attributes["DefaultVersionId"] == f"v{number}"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v6", "v5", "v4", "v3", "v2"]
    default = iam.get_policy_version(PolicyArn=arn, VersionId="v6")["PolicyVersion"]
    assert default["IsDefaultVersion"] and default["Document"] == allow("*")

    made.update(
        {
            **props,
            "PolicyDocument": allow("*"),
            "Roles": [],
            "Users": ["analyst"],
            "Groups": ["analysts"],
        }
    )
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert entities["PolicyRoles"] == []
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["analyst"]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["analysts"]
    assert made.attributes["DefaultVersionId"] == "v6"  # the same document: no new version
    assert invoked_by(server, account_id, "CreatePolicyVersion")[0] == (
        "cloudformation.amazonaws.com"
    )

    made.delete()
    assert missing(iam.get_policy, PolicyArn=arn)
    assert iam.list_attached_user_policies(UserName="analyst")["AttachedPolicies"] == []
    made.delete()
