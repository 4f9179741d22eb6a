"""Service control policies: written through Organizations, enforced on member accounts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer


def document(effect: str, action: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Action": action, "Resource": "*"}],
        }
    )


def test_scp_on_an_ou_limits_member_accounts(
    server: LiveServer,
    org_client: Any,
    account_id: str,
    root_id: str,
    make_member: Callable[..., str],
) -> None:
    member = make_member("staging")
    ou = org_client.create_organizational_unit(ParentId=root_id, Name="staging")[
        "OrganizationalUnit"
    ]
    org_client.move_account(AccountId=member, SourceParentId=root_id, DestinationParentId=ou["Id"])

    root = org_client.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")[
        "Root"
    ]
    assert root["PolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
    for target in (root_id, ou["Id"], member):
        attached = org_client.list_policies_for_target(
            TargetId=target, Filter="SERVICE_CONTROL_POLICY"
        )
        assert [p["Name"] for p in attached["Policies"]] == ["FullAWSAccess"]

    deny = org_client.create_policy(
        Name="NoNewUsers",
        Description="Members may not create IAM users",
        Content=document("Deny", "iam:CreateUser"),
        Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]
    assert deny["Id"].startswith("p-") and deny["AwsManaged"] is False
    org_client.attach_policy(PolicyId=deny["Id"], TargetId=ou["Id"])
    targets = org_client.list_targets_for_policy(PolicyId=deny["Id"])["Targets"]
    assert [(t["TargetId"], t["Type"]) for t in targets] == [(ou["Id"], "ORGANIZATIONAL_UNIT")]

    member_iam = server.client("iam", member)  # even the member's root user is bound
    assert member_iam.list_users()["Users"] == []
    with pytest.raises(ClientError) as caught:
        member_iam.create_user(UserName="blocked")
    error = caught.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (
        f"User: arn:aws:iam::{member}:root is not authorized to perform: iam:CreateUser on "
        f"resource: arn:aws:iam::{member}:user/blocked with an explicit deny in a service "
        "control policy"
    )
    # The management account is never restricted by SCPs.
    server.client("iam", account_id).create_user(UserName="allowed")

    # Replace FullAWSAccess on the OU with a narrow allow list.
    org_client.attach_policy(
        PolicyId=org_client.create_policy(
            Name="IamReadOnly",
            Description="",
            Content=document("Allow", "iam:List*"),
            Type="SERVICE_CONTROL_POLICY",
        )["Policy"]["PolicySummary"]["Id"],
        TargetId=ou["Id"],
    )
    org_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou["Id"])
    assert member_iam.list_users()["Users"] == []
    with pytest.raises(ClientError) as caught:
        member_iam.create_role(
            RoleName="r",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": member},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )
    assert caught.value.response["Error"]["Message"].endswith(
        "because no service control policy allows the iam:CreateRole action"
    )

    with pytest.raises(ClientError) as caught:
        org_client.delete_policy(PolicyId=deny["Id"])
    assert caught.value.response["Error"]["Code"] == "PolicyInUseException"
    with pytest.raises(ClientError) as caught:
        org_client.attach_policy(PolicyId=deny["Id"], TargetId=ou["Id"])
    assert caught.value.response["Error"]["Code"] == "DuplicatePolicyAttachmentException"


def test_scp_rules(org_client: Any, root_id: str, make_member: Callable[..., str]) -> None:
    member = make_member("one")
    with pytest.raises(ClientError) as caught:
        org_client.attach_policy(PolicyId="p-FullAWSAccess", TargetId=member)
    assert caught.value.response["Error"]["Code"] == "PolicyNotFoundException"
    org_client.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
    with pytest.raises(ClientError) as caught:
        org_client.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
    assert caught.value.response["Error"]["Code"] == "PolicyTypeAlreadyEnabledException"
    with pytest.raises(ClientError) as caught:
        org_client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=member)
    assert caught.value.response["Error"]["Code"] == "ConstraintViolationException"
    assert caught.value.response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
    with pytest.raises(ClientError) as caught:
        org_client.create_policy(
            Name="bad",
            Description="",
            Content='{"Version": "2012-10-17"}',
            Type="SERVICE_CONTROL_POLICY",
        )
    assert caught.value.response["Error"]["Code"] == "MalformedPolicyDocumentException"
    assert caught.value.response["Error"]["Message"] == "Syntax errors in policy."
    names = [
        p["Name"] for p in org_client.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    ]
    assert names == ["FullAWSAccess"]
    later = make_member("two")  # accounts that join later get FullAWSAccess too
    attached = org_client.list_policies_for_target(TargetId=later, Filter="SERVICE_CONTROL_POLICY")
    assert [p["Id"] for p in attached["Policies"]] == ["p-FullAWSAccess"]
    org_client.disable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
    assert org_client.list_roots()["Roots"][0]["PolicyTypes"] == []


def test_principal_org_conditions(
    server: LiveServer,
    org_client: Any,
    organization: dict[str, Any],
    root_id: str,
    make_member: Callable[..., str],
) -> None:
    member = make_member("reader")
    ou = org_client.create_organizational_unit(ParentId=root_id, Name="science")[
        "OrganizationalUnit"
    ]
    org_client.move_account(AccountId=member, SourceParentId=root_id, DestinationParentId=ou["Id"])
    owner = server.create_account("bucket-owner")
    condition_trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:PrincipalOrgID": organization["Id"]},
                        "ForAnyValue:StringLike": {
                            "aws:PrincipalOrgPaths": f"{organization['Id']}/{root_id}/{ou['Id']}/*"
                        },
                    },
                }
            ],
        }
    )
    role = server.client("iam", owner).create_role(
        RoleName="org-only", AssumeRolePolicyDocument=condition_trust
    )["Role"]
    assumed = server.client("sts", member).assume_role(RoleArn=role["Arn"], RoleSessionName="in-ou")
    assert assumed["AssumedRoleUser"]["Arn"].endswith("assumed-role/org-only/in-ou")
    outsider = server.create_account("outsider")
    with pytest.raises(ClientError) as caught:
        server.client("sts", outsider).assume_role(RoleArn=role["Arn"], RoleSessionName="out")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
