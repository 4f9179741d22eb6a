"""The IAM API through boto3: users, keys, groups, roles and policies."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
READ_MODELS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::models/*"}
    ],
}


def code_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_users_and_access_keys(iam: Any, account_id: str) -> None:
    user = iam.create_user(UserName="alice", Path="/data/", Tags=[{"Key": "team", "Value": "ml"}])[
        "User"
    ]
    assert re.fullmatch(r"AIDA[A-Z0-9]{17}", user["UserId"])
    assert user["Arn"] == f"arn:aws:iam::{account_id}:user/data/alice"
    assert iam.get_user(UserName="alice")["User"]["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["alice"]
    with pytest.raises(ClientError) as caught:
        iam.create_user(UserName="ALICE")
    assert code_of(caught) == ("EntityAlreadyExists", "User with name ALICE already exists.")

    key = iam.create_access_key(UserName="alice")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    iam.create_access_key(UserName="alice")
    with pytest.raises(ClientError) as caught:
        iam.create_access_key(UserName="alice")
    assert code_of(caught) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
    listed = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert len(listed) == 2 and all("SecretAccessKey" not in k for k in listed)
    iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    statuses = {
        k["AccessKeyId"]: k["Status"]
        for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    }
    assert statuses[key["AccessKeyId"]] == "Inactive"
    assert iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["UserName"] == "alice"

    with pytest.raises(ClientError) as caught:
        iam.delete_user(UserName="alice")
    assert code_of(caught) == (
        "DeleteConflict",
        "Cannot delete entity, must delete access keys first.",
    )
    for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName="alice", AccessKeyId=k["AccessKeyId"])
    iam.delete_user(UserName="alice")
    with pytest.raises(ClientError) as caught:
        iam.get_user(UserName="alice")
    assert code_of(caught) == ("NoSuchEntity", "The user with name alice cannot be found.")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_inactive_key_is_refused(server: LiveServer, iam: Any) -> None:
    iam.create_user(UserName="bob")
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    bob = server.client("iam", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    with pytest.raises(ClientError) as caught:
        bob.list_users()
    # Authenticated (the key works) but not yet authorized.
    assert code_of(caught)[0] == "AccessDenied"
    iam.update_access_key(UserName="bob", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as caught:
        bob.list_users()
    assert code_of(caught) == (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    )


def test_groups(iam: Any) -> None:
    iam.create_user(UserName="carol")
    group = iam.create_group(GroupName="scientists")["Group"]
    assert group["GroupId"].startswith("AGPA")
    iam.add_user_to_group(GroupName="scientists", UserName="carol")
    assert [u["UserName"] for u in iam.get_group(GroupName="scientists")["Users"]] == ["carol"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="carol")["Groups"]] == [
        "scientists"
    ]
    with pytest.raises(ClientError) as caught:
        iam.delete_group(GroupName="scientists")
    assert code_of(caught)[0] == "DeleteConflict"
    iam.remove_user_from_group(GroupName="scientists", UserName="carol")
    iam.delete_group(GroupName="scientists")


def test_roles(iam: Any, account_id: str) -> None:
    role = iam.create_role(
        RoleName="sagemaker-role-staging",
        Path="/service-role/",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        MaxSessionDuration=7200,
        Tags=[{"Key": "stage", "Value": "staging"}],
    )["Role"]
    assert role["RoleId"].startswith("AROA")
    assert role["Arn"] == f"arn:aws:iam::{account_id}:role/service-role/sagemaker-role-staging"
    fetched = iam.get_role(RoleName="sagemaker-role-staging")["Role"]
    assert fetched["AssumeRolePolicyDocument"] == TRUST  # boto3 decodes the URL-encoded JSON
    assert fetched["MaxSessionDuration"] == 7200
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/service-role/")["Roles"]] == [
        "sagemaker-role-staging"
    ]
    assert iam.list_roles(PathPrefix="/other/")["Roles"] == []
    iam.update_role(RoleName="sagemaker-role-staging", Description="runs training")
    assert iam.get_role(RoleName="sagemaker-role-staging")["Role"]["Description"] == "runs training"
    trust2 = dict(TRUST, Statement=[dict(TRUST["Statement"][0], Principal={"AWS": account_id})])  # type: ignore[arg-type]
    iam.update_assume_role_policy(
        RoleName="sagemaker-role-staging", PolicyDocument=json.dumps(trust2)
    )
    assert (
        iam.get_role(RoleName="sagemaker-role-staging")["Role"]["AssumeRolePolicyDocument"]
        == trust2
    )
    iam.tag_role(RoleName="sagemaker-role-staging", Tags=[{"Key": "owner", "Value": "ds"}])
    iam.untag_role(RoleName="sagemaker-role-staging", TagKeys=["stage"])
    assert iam.list_role_tags(RoleName="sagemaker-role-staging")["Tags"] == [
        {"Key": "owner", "Value": "ds"}
    ]

    iam.put_role_policy(
        RoleName="sagemaker-role-staging", PolicyName="read", PolicyDocument=json.dumps(READ_MODELS)
    )
    assert (
        iam.get_role_policy(RoleName="sagemaker-role-staging", PolicyName="read")["PolicyDocument"]
        == READ_MODELS
    )
    assert iam.list_role_policies(RoleName="sagemaker-role-staging")["PolicyNames"] == ["read"]
    with pytest.raises(ClientError) as caught:
        iam.delete_role(RoleName="sagemaker-role-staging")
    assert code_of(caught) == (
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
    )
    iam.delete_role_policy(RoleName="sagemaker-role-staging", PolicyName="read")
    iam.delete_role(RoleName="sagemaker-role-staging")


def test_managed_policies_versions_and_attachments(iam: Any, account_id: str) -> None:
    policy = iam.create_policy(PolicyName="ReadModels", PolicyDocument=json.dumps(READ_MODELS))[
        "Policy"
    ]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{account_id}:policy/ReadModels"
    assert policy["DefaultVersionId"] == "v1" and policy["PolicyId"].startswith("ANPA")
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(READ_MODELS))
    with pytest.raises(ClientError) as caught:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(READ_MODELS))
    assert code_of(caught)[0] == "LimitExceeded"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v3"]
    with pytest.raises(ClientError) as caught:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert code_of(caught) == ("DeleteConflict", "Cannot delete the default version of a policy.")
    assert (
        iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"]
        == READ_MODELS
    )

    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="deployer", PolicyArn=arn)
    iam.attach_role_policy(
        RoleName="deployer", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )
    attached = iam.list_attached_role_policies(RoleName="deployer")["AttachedPolicies"]
    assert [a["PolicyName"] for a in attached] == ["AmazonS3ReadOnlyAccess", "ReadModels"]
    assert [r["RoleName"] for r in iam.list_entities_for_policy(PolicyArn=arn)["PolicyRoles"]] == [
        "deployer"
    ]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    with pytest.raises(ClientError) as caught:
        iam.delete_policy(PolicyArn=arn)
    assert code_of(caught) == ("DeleteConflict", "Cannot delete a policy attached to entities.")
    with pytest.raises(ClientError) as caught:
        iam.attach_role_policy(
            RoleName="deployer", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy"
        )
    assert code_of(caught) == (
        "NoSuchEntity",
        "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.",
    )
    iam.detach_role_policy(RoleName="deployer", PolicyArn=arn)
    local = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert local == ["ReadModels"]
    aws = {p["PolicyName"] for p in iam.list_policies(Scope="AWS", MaxItems=100)["Policies"]}
    assert {"AdministratorAccess", "AmazonSageMakerFullAccess", "CloudWatchLogsFullAccess"} <= aws
    assert [p["PolicyName"] for p in iam.list_policies(OnlyAttached=True)["Policies"]] == [
        "AmazonS3ReadOnlyAccess"
    ]


def test_aws_managed_policies_under_their_paths(iam: Any, account_id: str) -> None:
    iam.create_role(RoleName="setup", AssumeRolePolicyDocument=json.dumps(TRUST))
    basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    scientist = "arn:aws:iam::aws:policy/job-function/DataScientist"
    for arn in (basic, scientist, "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"):
        iam.attach_role_policy(RoleName="setup", PolicyArn=arn)
    attached = iam.list_attached_role_policies(RoleName="setup")["AttachedPolicies"]
    assert sorted(a["PolicyName"] for a in attached) == [
        "AWSLambdaBasicExecutionRole",
        "AmazonEC2ReadOnlyAccess",
        "DataScientist",
    ]
    assert iam.get_policy(PolicyArn=basic)["Policy"]["Path"] == "/service-role/"
    assert iam.get_policy(PolicyArn=scientist)["Policy"]["Path"] == "/job-function/"
    answers = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{account_id}:role/setup",
        ActionNames=["logs:PutLogEvents", "ec2:DescribeSubnets", "ec2:RunInstances"],
    )["EvaluationResults"]
    assert {a["EvalActionName"]: a["EvalDecision"] for a in answers} == {
        "logs:PutLogEvents": "allowed",
        "ec2:DescribeSubnets": "allowed",
        "ec2:RunInstances": "implicitDeny",
    }
    # AWSCodePipeline_FullAccess replaced it, and AWS no longer lets new roles attach it.
    with pytest.raises(ClientError) as caught:
        iam.attach_role_policy(
            RoleName="setup", PolicyArn="arn:aws:iam::aws:policy/AWSCodePipelineFullAccess"
        )
    assert code_of(caught) == (
        "NoSuchEntity",
        "Policy arn:aws:iam::aws:policy/AWSCodePipelineFullAccess does not exist or is not "
        "attachable.",
    )


def test_malformed_policies_change_nothing(iam: Any) -> None:
    iam.create_user(UserName="dave")
    cases = [
        ("{not json", "This policy contains invalid Json"),
        (
            json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}
            ),
            "Policy statement must contain actions.",
        ),
        (
            json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}
            ),
            "Policy statement must contain resources.",
        ),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": "*"}
                    ],
                }
            ),
            "Policy document should not specify a principal.",
        ),
    ]
    for document, message in cases:
        with pytest.raises(ClientError) as caught:
            iam.put_user_policy(UserName="dave", PolicyName="p", PolicyDocument=document)
        assert code_of(caught) == ("MalformedPolicyDocument", message)
    assert iam.list_user_policies(UserName="dave")["PolicyNames"] == []
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": [f"s3:Get{i:04d}" for i in range(400)], "Resource": "*"}
        ],
    }
    with pytest.raises(ClientError) as caught:
        iam.put_user_policy(UserName="dave", PolicyName="p", PolicyDocument=json.dumps(big))
    assert code_of(caught) == (
        "LimitExceeded",
        "Maximum policy size of 2048 bytes exceeded for user dave",
    )
    with pytest.raises(ClientError) as caught:
        iam.create_role(
            RoleName="r",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}],
                }
            ),
        )
    assert code_of(caught) == ("MalformedPolicyDocument", "Missing required field Principal")
    assert iam.list_roles()["Roles"] == []


def test_accounts_do_not_see_each_other(server: LiveServer, iam: Any) -> None:
    iam.create_user(UserName="erin")
    other = server.client("iam", server.create_account("other"))
    assert other.list_users()["Users"] == []
    with pytest.raises(ClientError) as caught:
        other.get_user(UserName="erin")
    assert code_of(caught)[0] == "NoSuchEntity"
    other.create_user(UserName="erin")  # names are per account


def test_account_authorization_details(iam: Any) -> None:
    iam.create_user(UserName="frank")
    iam.put_user_policy(
        UserName="frank", PolicyName="inline", PolicyDocument=json.dumps(READ_MODELS)
    )
    iam.create_group(GroupName="team")
    iam.add_user_to_group(GroupName="team", UserName="frank")
    iam.create_role(RoleName="runner", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="runner", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    local = iam.create_policy(PolicyName="Local", PolicyDocument=json.dumps(READ_MODELS))["Policy"]
    details = iam.get_account_authorization_details()
    [user] = details["UserDetailList"]
    assert user["UserName"] == "frank" and user["GroupList"] == ["team"]
    assert user["UserPolicyList"] == [{"PolicyName": "inline", "PolicyDocument": READ_MODELS}]
    [role] = details["RoleDetailList"]
    assert role["AttachedManagedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    ]
    assert role["AssumeRolePolicyDocument"] == TRUST
    assert [g["GroupName"] for g in details["GroupDetailList"]] == ["team"]
    assert [x["Arn"] for x in details["Policies"]] == [local["Arn"]]
    assert details["Policies"][0]["PolicyVersionList"][0]["Document"] == READ_MODELS
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert "UserDetailList" not in only_roles and len(only_roles["RoleDetailList"]) == 1
