"""Who a stack acts as: its role (passed with iam:PassRole), or its caller; IAM decides."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cloudformation.sets import admin_role
from tests.cloudformation.test_stacks import group, settled, template
from tests.support import LiveServer, policy_document, policy_user, service_trust

ALL_CFN = {"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"}


def user(server: LiveServer, name: str, *statements: dict[str, Any]) -> tuple[Any, str]:
    return policy_user(server, name, "cloudformation", *statements)


def test_a_stack_acts_as_its_role(server: LiveServer, account_id: str) -> None:
    iam = server.client("iam")
    role_arn = iam.create_role(
        RoleName="StackRole", AssumeRolePolicyDocument=service_trust("cloudformation.amazonaws.com")
    )["Role"]["Arn"]
    cfn, user_arn = user(server, "deployer", ALL_CFN)
    body = template({"Logs": group()})
    # Handing the role to CloudFormation needs iam:PassRole.
    with pytest.raises(ClientError) as caught:
        cfn.create_stack(StackName="as-role", TemplateBody=body, RoleARN=role_arn)
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert caught.value.response["Error"]["Message"] == (
        f"User: {user_arn} is not authorized to perform: iam:PassRole on resource: {role_arn} "
        "because no identity-based policy allows the iam:PassRole action"
    )
    pass_role = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": role_arn,
        "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
    }
    iam.put_user_policy(
        UserName="deployer", PolicyName="p", PolicyDocument=policy_document(ALL_CFN, pass_role)
    )
    # The role may not create log groups: the resource fails with the role's denial.
    cfn.create_stack(StackName="as-role", TemplateBody=body, RoleARN=role_arn)
    stack = settled(cfn, "as-role")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack["RoleARN"] == role_arn
    events = cfn.describe_stack_events(StackName="as-role")["StackEvents"]
    [failed] = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    session = f"arn:aws:sts::{account_id}:assumed-role/StackRole/AWSCloudFormation"
    assert (
        f"User: {session} is not authorized to perform: logs:CreateLogGroup"
        in failed["ResourceStatusReason"]
    )
    assert "HandlerErrorCode: AccessDenied" in failed["ResourceStatusReason"]
    cfn.delete_stack(StackName="as-role")
    settled(cfn, stack["StackId"])

    logs_all = {"Effect": "Allow", "Action": "logs:*", "Resource": "*"}
    iam.put_role_policy(
        RoleName="StackRole", PolicyName="logs", PolicyDocument=policy_document(logs_all)
    )
    cfn.create_stack(StackName="as-role", TemplateBody=body, RoleARN=role_arn)
    assert settled(cfn, "as-role")["StackStatus"] == "CREATE_COMPLETE"
    trail = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateLogGroup"}]
    )["Events"]
    record = json.loads(trail[0]["CloudTrailEvent"])
    assert record["userIdentity"]["arn"] == session
    assert record["userIdentity"]["invokedBy"] == "cloudformation.amazonaws.com"


def test_without_a_role_a_stack_acts_as_its_caller(server: LiveServer) -> None:
    cfn, user_arn = user(server, "builder", ALL_CFN)
    cfn.create_stack(StackName="as-caller", TemplateBody=template({"Logs": group()}))
    stack = settled(cfn, "as-caller")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName="as-caller")["StackEvents"]
    [failed] = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert (
        f"User: {user_arn} is not authorized to perform: logs:CreateLogGroup"
        in (failed["ResourceStatusReason"])
    )


def test_a_stack_set_administration_role_needs_pass_role(
    server: LiveServer, account_id: str
) -> None:
    role_arn = admin_role(server, account_id)
    cfn, user_arn = user(server, "set-maker", ALL_CFN)
    body = template({"Logs": group()})
    with pytest.raises(ClientError) as caught:
        cfn.create_stack_set(StackSetName="s", TemplateBody=body, AdministrationRoleARN=role_arn)
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert caught.value.response["Error"]["Message"] == (
        f"User: {user_arn} is not authorized to perform: iam:PassRole on resource: {role_arn} "
        "because no identity-based policy allows the iam:PassRole action"
    )
    assert cfn.list_stack_sets()["Summaries"] == []  # the refused call made nothing
    pass_role = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn}
    server.client("iam").put_user_policy(
        UserName="set-maker", PolicyName="p", PolicyDocument=policy_document(ALL_CFN, pass_role)
    )
    cfn.create_stack_set(StackSetName="s", TemplateBody=body, AdministrationRoleARN=role_arn)
    described = cfn.describe_stack_set(StackSetName="s")["StackSet"]
    assert described["AdministrationRoleARN"] == role_arn
