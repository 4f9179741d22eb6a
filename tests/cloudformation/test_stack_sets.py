"""Self-managed stack sets through boto3: roles decide, instances are real stacks."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cloudformation.helpers import invoked_by
from tests.cloudformation.sets import (
    ADMIN_ROLE,
    EXECUTION_ROLE,
    admin_role,
    execution_role,
    instances,
    log_group_names,
    log_group_template,
    operation_done,
    results,
    stack_sets_stacks,
)
from tests.support import LiveServer


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def targets(server: LiveServer, account_id: str) -> list[str]:
    """Two accounts with execution roles trusting the administrator account."""
    admin_role(server, account_id)
    made = [server.create_account("dev"), server.create_account("prod")]
    for target in made:
        execution_role(server, target, f"arn:aws:iam::{account_id}:root")
    return made


def test_self_managed_into_two_accounts(
    server: LiveServer, account_id: str, region: str, targets: list[str]
) -> None:
    cfn = server.client("cloudformation")
    set_id = cfn.create_stack_set(
        StackSetName="logging",
        TemplateBody=log_group_template(),
        Description="one log group",
        Parameters=[{"ParameterKey": "Retention", "ParameterValue": "14"}],
        Tags=[{"Key": "team", "Value": "ml"}],
    )["StackSetId"]
    assert set_id.startswith("logging:")
    described = cfn.describe_stack_set(StackSetName="logging")["StackSet"]
    assert described["Status"] == "ACTIVE"
    assert described["PermissionModel"] == "SELF_MANAGED"
    assert described["AdministrationRoleARN"] == f"arn:aws:iam::{account_id}:role/{ADMIN_ROLE}"
    assert described["ExecutionRoleName"] == EXECUTION_ROLE
    assert described["StackSetARN"] == (
        f"arn:aws:cloudformation:{region}:{account_id}:stackset/{set_id}"
    )
    assert described["Parameters"] == [{"ParameterKey": "Retention", "ParameterValue": "14"}]

    operation_id = cfn.create_stack_instances(
        StackSetName="logging", Accounts=targets, Regions=[region]
    )["OperationId"]
    operation = operation_done(cfn, "logging", operation_id)
    assert operation["Status"] == "SUCCEEDED" and operation["Action"] == "CREATE"
    assert "EndTimestamp" in operation
    outcome = results(cfn, "logging", operation_id)
    assert {k: r["Status"] for k, r in outcome.items()} == {
        (t, region): "SUCCEEDED" for t in targets
    }
    assert outcome[(targets[0], region)]["AccountGateResult"]["Status"] == "SKIPPED"
    found = instances(cfn, "logging")
    for target in targets:
        instance = found[(target, region)]
        assert instance["Status"] == "CURRENT"
        assert instance["StackInstanceStatus"] == {"DetailedStatus": "SUCCEEDED"}
        stacks = stack_sets_stacks(server, target, "logging")
        assert [s["StackId"] for s in stacks] == [instance["StackId"]]
        assert stacks[0]["StackStatus"] == "CREATE_COMPLETE"
        assert stacks[0]["Tags"] == [{"Key": "team", "Value": "ml"}]
        assert f"{stacks[0]['StackName']}-logs" in log_group_names(server, target)
        # Made in the target account as its execution role, on CloudFormation's behalf.
        assert invoked_by(server, target, "CreateLogGroup") == ["cloudformation.amazonaws.com"]
    assert stack_sets_stacks(server, account_id, "logging") == []
    detail = cfn.describe_stack_instance(
        StackSetName="logging", StackInstanceAccount=targets[0], StackInstanceRegion=region
    )["StackInstance"]
    assert detail["LastOperationId"] == operation_id and detail["DriftStatus"] == "NOT_CHECKED"

    with pytest.raises(ClientError) as caught:
        cfn.delete_stack_set(StackSetName="logging")
    assert error_of(caught) == ("StackSetNotEmptyException", "StackSet is not empty")

    # An update reaches every instance's stack.
    update_id = cfn.update_stack_set(
        StackSetName="logging",
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Retention", "ParameterValue": "30"}],
    )["OperationId"]
    assert operation_done(cfn, "logging", update_id)["Status"] == "SUCCEEDED"
    for target in targets:
        groups = server.client("logs", target).describe_log_groups()["logGroups"]
        assert [g["retentionInDays"] for g in groups] == [30]

    delete_id = cfn.delete_stack_instances(
        StackSetName="logging", Accounts=targets, Regions=[region], RetainStacks=False
    )["OperationId"]
    assert operation_done(cfn, "logging", delete_id)["Status"] == "SUCCEEDED"
    assert instances(cfn, "logging") == {}
    for target in targets:
        assert stack_sets_stacks(server, target, "logging") == []
        assert log_group_names(server, target) == set()
    cfn.delete_stack_set(StackSetName="logging")
    with pytest.raises(ClientError) as caught:
        cfn.describe_stack_set(StackSetName="logging")
    assert error_of(caught) == ("StackSetNotFoundException", "StackSet logging not found")
    deleted = cfn.list_stack_sets(Status="DELETED")["Summaries"]
    assert [s["StackSetId"] for s in deleted] == [set_id]
    assert cfn.list_stack_sets(Status="ACTIVE")["Summaries"] == []
    assert cfn.describe_stack_set(StackSetName=set_id)["StackSet"]["Status"] == "DELETED"


def _reason(outcome: dict[str, Any]) -> str:
    return str(outcome["StatusReason"])


def test_an_account_whose_role_does_not_trust_the_administrator_fails(
    server: LiveServer, account_id: str, region: str
) -> None:
    admin_role(server, account_id)
    good = server.create_account("good")
    untrusting = server.create_account("untrusting")
    missing = server.create_account("missing")
    execution_role(server, good, f"arn:aws:iam::{account_id}:root")
    execution_role(server, untrusting, f"arn:aws:iam::{good}:root")
    cfn = server.client("cloudformation")
    cfn.create_stack_set(StackSetName="partial", TemplateBody=log_group_template())
    operation_id = cfn.create_stack_instances(
        StackSetName="partial",
        Accounts=[good, untrusting, missing],
        Regions=[region],
        OperationPreferences={"FailureToleranceCount": 2, "MaxConcurrentCount": 3},
    )["OperationId"]
    assert operation_done(cfn, "partial", operation_id)["Status"] == "SUCCEEDED"
    outcome = results(cfn, "partial", operation_id)
    assert outcome[(good, region)]["Status"] == "SUCCEEDED"
    for account in (untrusting, missing):
        assert outcome[(account, region)]["Status"] == "FAILED"
        assert _reason(outcome[(account, region)]) == (
            f"Account {account} should have '{EXECUTION_ROLE}' role with trust relationship "
            f"to Role '{ADMIN_ROLE}'."
        )
        instance = instances(cfn, "partial")[(account, region)]
        assert instance["Status"] == "OUTDATED"
        assert instance["StackInstanceStatus"] == {"DetailedStatus": "FAILED"}
        assert "StackId" not in instance
        assert stack_sets_stacks(server, account, "partial") == []
    assert len(stack_sets_stacks(server, good, "partial")) == 1


def test_a_stack_that_fails_reports_its_resource(
    server: LiveServer, account_id: str, region: str, targets: list[str]
) -> None:
    taken = "already-there"
    server.client("logs", targets[1]).create_log_group(logGroupName=taken)
    cfn = server.client("cloudformation")
    cfn.create_stack_set(StackSetName="clash", TemplateBody=log_group_template(taken))
    operation_id = cfn.create_stack_instances(
        StackSetName="clash", Accounts=targets, Regions=[region]
    )["OperationId"]
    operation = operation_done(cfn, "clash", operation_id)
    assert operation["Status"] == "FAILED"
    outcome = results(cfn, "clash", operation_id)
    assert outcome[(targets[0], region)]["Status"] == "SUCCEEDED"
    failed = outcome[(targets[1], region)]
    assert failed["Status"] == "FAILED"
    assert failed["StatusReason"].startswith(
        "ResourceLogicalId:Logs, ResourceType:AWS::Logs::LogGroup, ResourceStatusReason:"
    )
    stacks = stack_sets_stacks(server, targets[1], "clash")
    assert [s["StackStatus"] for s in stacks] == ["ROLLBACK_COMPLETE"]


def test_bad_requests_change_nothing(
    server: LiveServer, account_id: str, region: str, targets: list[str]
) -> None:
    cfn = server.client("cloudformation")
    cfn.create_stack_set(StackSetName="once", TemplateBody=log_group_template())
    cases: list[tuple[str, dict[str, Any], tuple[str, str]]] = [
        (
            "create_stack_set",
            {"StackSetName": "once", "TemplateBody": log_group_template()},
            ("NameAlreadyExistsException", "StackSet once already exists"),
        ),
        (
            "create_stack_set",
            {"StackSetName": "1bad", "TemplateBody": log_group_template()},
            (
                "ValidationError",
                "1 validation error detected: Value '1bad' at 'stackSetName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "[a-zA-Z][-a-zA-Z0-9]*",
            ),
        ),
        (
            "create_stack_instances",
            {"StackSetName": "nowhere", "Accounts": targets, "Regions": [region]},
            ("StackSetNotFoundException", "StackSet nowhere not found"),
        ),
        (
            "create_stack_instances",
            {
                "StackSetName": "once",
                "Accounts": targets,
                "DeploymentTargets": {"Accounts": targets},
                "Regions": [region],
            },
            (
                "ValidationError",
                "You can specify either Accounts or DeploymentTargets, but not both.",
            ),
        ),
        (
            "create_stack_instances",
            {
                "StackSetName": "once",
                "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-cdefgh34"]},
                "Regions": [region],
            },
            (
                "ValidationError",
                "StackSets with SELF_MANAGED permission model can only have accounts as target",
            ),
        ),
        (
            "create_stack_instances",
            {"StackSetName": "once", "Accounts": ["12345"], "Regions": [region]},
            (
                "ValidationError",
                "1 validation error detected: Value '12345' at 'accounts.1.member' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                "^[0-9]{12}$",
            ),
        ),
        (
            "update_stack_instances",
            {"StackSetName": "once", "Accounts": targets[:1], "Regions": [region]},
            (
                "StackInstanceNotFoundException",
                f"Stack instance in account {targets[0]} and region {region} does not exist "
                "for StackSet once",
            ),
        ),
        (
            "describe_stack_instance",
            {
                "StackSetName": "once",
                "StackInstanceAccount": targets[0],
                "StackInstanceRegion": region,
            },
            (
                "StackInstanceNotFoundException",
                f"Stack instance in account {targets[0]} and region {region} does not exist "
                "for StackSet once",
            ),
        ),
        (
            "create_stack_set",
            {
                "StackSetName": "auto",
                "TemplateBody": log_group_template(),
                "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
            },
            (
                "ValidationError",
                "AutoDeployment is only supported for stack sets with the SERVICE_MANAGED "
                "permission model",
            ),
        ),
    ]
    for method, params, expected in cases:
        with pytest.raises(ClientError) as caught:
            getattr(cfn, method)(**params)
        assert error_of(caught) == expected, method
    assert [s["StackSetName"] for s in cfn.list_stack_sets()["Summaries"]] == ["once"]
    assert cfn.list_stack_set_operations(StackSetName="once")["Summaries"] == []
    assert instances(cfn, "once") == {}
