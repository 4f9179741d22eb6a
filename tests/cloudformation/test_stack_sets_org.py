"""Service-managed stack sets into OUs: trusted access, the OU tree, auto-deployment,
delegated administrators."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.cloudformation.helpers import invoked_by
from tests.cloudformation.sets import (
    Organization,
    instances,
    log_group_names,
    log_group_template,
    operation_done,
    results,
    stack_sets_stacks,
)
from tests.support import LiveServer, wait_for

MEMBER = "member.org.stacksets.cloudformation.amazonaws.com"
LINKED_ROLE = "AWSServiceRoleForCloudFormationStackSetsOrgMember"


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def service_managed(cfn: object, name: str, *, retain: bool = False, **extra: object) -> str:
    """A service-managed set with auto-deployment."""
    made: str = cfn.create_stack_set(  # type: ignore[attr-defined]
        StackSetName=name,
        TemplateBody=log_group_template(),
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": retain},
        **extra,
    )["StackSetId"]
    return made


def test_trusted_access_is_needed_and_makes_the_linked_role(
    server: LiveServer, account_id: str
) -> None:
    org = Organization(server, account_id)
    member = org.account("early")
    cfn = server.client("cloudformation")
    assert cfn.describe_organizations_access()["Status"] == "DISABLED"
    with pytest.raises(ClientError) as caught:
        service_managed(cfn, "too-soon")
    assert error_of(caught) == (
        "ValidationError",
        "You must enable organizations access to operate a service managed stack set",
    )
    with pytest.raises(ClientError) as caught:
        server.client("cloudformation", member).activate_organizations_access()
    assert caught.value.response["Error"]["Code"] == "InvalidOperationException"

    org.trust_stack_sets()
    assert cfn.describe_organizations_access()["Status"] == "ENABLED"
    enabled = org.orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [e["ServicePrincipal"] for e in enabled] == [MEMBER]
    late = org.account("late")
    for account in (member, late):  # before and after trusted access
        role = server.client("iam", account).get_role(RoleName=LINKED_ROLE)["Role"]
        assert role["Path"] == f"/aws-service-role/{MEMBER}/"
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        assert trust["Statement"][0]["Principal"] == {"Service": MEMBER}
    with pytest.raises(ClientError):
        server.client("iam", account_id).get_role(RoleName=LINKED_ROLE)
    assert invoked_by(server, account_id, "EnableAWSServiceAccess") == [
        "cloudformation.amazonaws.com"
    ]
    server.client("cloudformation").deactivate_organizations_access()
    assert cfn.describe_organizations_access()["Status"] == "DISABLED"


def test_an_ou_and_its_child_ou_never_the_management_account(
    server: LiveServer, account_id: str, region: str
) -> None:
    org = Organization(server, account_id)
    workloads = org.unit("workloads")
    staging = org.unit("staging", workloads)
    other = org.unit("other")
    direct = org.account("direct", workloads)
    nested = org.account("nested", staging)
    outside = org.account("outside", other)
    org.trust_stack_sets()
    cfn = server.client("cloudformation")
    service_managed(cfn, "logging")
    described = cfn.describe_stack_set(StackSetName="logging")["StackSet"]
    assert described["PermissionModel"] == "SERVICE_MANAGED"
    assert described["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert "AdministrationRoleARN" not in described

    with pytest.raises(ClientError) as caught:
        cfn.create_stack_instances(StackSetName="logging", Accounts=[direct], Regions=[region])
    assert error_of(caught) == (
        "ValidationError",
        "StackSets with SERVICE_MANAGED permission model can only have OrganizationalUnit as "
        "target",
    )
    operation_id = cfn.create_stack_instances(
        StackSetName="logging",
        DeploymentTargets={"OrganizationalUnitIds": [workloads]},
        Regions=[region],
        OperationPreferences={"MaxConcurrentPercentage": 100, "FailureTolerancePercentage": 0},
    )["OperationId"]
    assert operation_done(cfn, "logging", operation_id)["Status"] == "SUCCEEDED"
    outcome = results(cfn, "logging", operation_id)
    assert set(outcome) == {(direct, region), (nested, region)}
    assert {r["OrganizationalUnitId"] for r in outcome.values()} == {workloads}
    found = instances(cfn, "logging")
    assert set(found) == {(direct, region), (nested, region)}
    for account in (direct, nested):
        assert found[(account, region)]["Status"] == "CURRENT"
        assert found[(account, region)]["OrganizationalUnitId"] == workloads
        stacks = stack_sets_stacks(server, account, "logging")
        assert [s["StackStatus"] for s in stacks] == ["CREATE_COMPLETE"]
        assert f"{stacks[0]['StackName']}-logs" in log_group_names(server, account)
        assert invoked_by(server, account, "CreateLogGroup") == ["cloudformation.amazonaws.com"]
        trail = server.client("cloudtrail", account).lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateStack"}]
        )["Events"]
        identity = json.loads(trail[0]["CloudTrailEvent"])["userIdentity"]
        assert identity["arn"].startswith(f"arn:aws:sts::{account}:assumed-role/{LINKED_ROLE}/")
    for account in (account_id, outside):
        assert stack_sets_stacks(server, account, "logging") == []
    assert cfn.describe_stack_set(StackSetName="logging")["StackSet"]["OrganizationalUnitIds"] == [
        workloads
    ]
    targets = cfn.list_stack_set_auto_deployment_targets(StackSetName="logging")["Summaries"]
    assert targets == [{"OrganizationalUnitId": workloads, "Regions": [region]}]

    # Auto-deployment: in comes an instance, out goes one (and its stack).
    org.move(outside, other, staging)
    wait_for(
        lambda: (
            (outside, region) in instances(cfn, "logging")
            and instances(cfn, "logging")[(outside, region)]["Status"] == "CURRENT"
        ),
        timeout=60,
        what="the moved-in account's instance",
    )
    assert len(stack_sets_stacks(server, outside, "logging")) == 1
    org.move(direct, workloads, other)
    wait_for(
        lambda: (direct, region) not in instances(cfn, "logging"),
        timeout=60,
        what="the moved-out account's instance to go",
    )
    wait_for(
        lambda: stack_sets_stacks(server, direct, "logging") == [],
        timeout=60,
        what="the moved-out account's stack to go",
    )
    assert log_group_names(server, direct) == set()
    actions = [
        o["Action"] for o in cfn.list_stack_set_operations(StackSetName="logging")["Summaries"]
    ]
    assert actions == ["DELETE", "CREATE", "CREATE"]


def test_account_filters_and_retained_stacks(
    server: LiveServer, account_id: str, region: str
) -> None:
    org = Organization(server, account_id)
    unit = org.unit("apps")
    first = org.account("first", unit)
    second = org.account("second", unit)
    org.trust_stack_sets()
    cfn = server.client("cloudformation")
    service_managed(cfn, "kept", retain=True)
    operation_id = cfn.create_stack_instances(
        StackSetName="kept",
        DeploymentTargets={
            "OrganizationalUnitIds": [unit],
            "Accounts": [second],
            "AccountFilterType": "DIFFERENCE",
        },
        Regions=[region],
    )["OperationId"]
    assert operation_done(cfn, "kept", operation_id)["Status"] == "SUCCEEDED"
    # The filter left the second account out of the operation (the stack set's instances
    # may already hold it: auto-deployment's reconcile can come at any moment now).
    assert set(results(cfn, "kept", operation_id)) == {(first, region)}
    # Auto-deployment keeps to the OU: the account left out comes in on the next reconcile.
    wait_for(
        lambda: set(instances(cfn, "kept")) == {(first, region), (second, region)},
        timeout=60,
        what="auto-deployment to the rest of the OU",
    )
    wait_for(
        lambda: all(i["Status"] == "CURRENT" for i in instances(cfn, "kept").values()),
        timeout=60,
        what="every instance current",
    )
    org.move(first, unit, org.root)
    wait_for(
        lambda: (first, region) not in instances(cfn, "kept"),
        timeout=60,
        what="the moved-out instance to go",
    )
    kept = stack_sets_stacks(server, first, "kept")
    assert [s["StackStatus"] for s in kept] == ["CREATE_COMPLETE"]  # RetainStacksOnAccountRemoval

    delete_id = cfn.delete_stack_instances(
        StackSetName="kept",
        DeploymentTargets={"OrganizationalUnitIds": [unit]},
        Regions=[region],
        RetainStacks=True,
    )["OperationId"]
    assert operation_done(cfn, "kept", delete_id)["Status"] == "SUCCEEDED"
    assert instances(cfn, "kept") == {}
    assert len(stack_sets_stacks(server, second, "kept")) == 1
    assert cfn.list_stack_set_auto_deployment_targets(StackSetName="kept")["Summaries"] == []
    cfn.delete_stack_set(StackSetName="kept")


def test_a_delegated_administrator_calls_as_delegated_admin(
    server: LiveServer, account_id: str, region: str
) -> None:
    org = Organization(server, account_id)
    unit = org.unit("targets")
    target = org.account("target", unit)
    admin = org.account("delegated")
    org.trust_stack_sets()
    delegated = server.client("cloudformation", admin)
    with pytest.raises(ClientError) as caught:
        service_managed(delegated, "by-admin", CallAs="DELEGATED_ADMIN")
    assert error_of(caught) == ("ValidationError", "Account used is not a delegated administrator")
    org.orgs.register_delegated_administrator(AccountId=admin, ServicePrincipal=MEMBER)
    set_id = service_managed(delegated, "by-admin", CallAs="DELEGATED_ADMIN")
    described = delegated.describe_stack_set(StackSetName="by-admin", CallAs="DELEGATED_ADMIN")
    # Service-managed sets live in the management account, whoever made them.
    assert described["StackSet"]["StackSetARN"] == (
        f"arn:aws:cloudformation:{region}:{account_id}:stackset/{set_id}"
    )
    assert [
        s["StackSetId"] for s in server.client("cloudformation").list_stack_sets()["Summaries"]
    ] == [set_id]
    with pytest.raises(ClientError) as caught:
        delegated.describe_stack_set(StackSetName="by-admin")
    assert error_of(caught) == ("StackSetNotFoundException", "StackSet by-admin not found")
    operation_id = delegated.create_stack_instances(
        StackSetName="by-admin",
        DeploymentTargets={"OrganizationalUnitIds": [unit]},
        Regions=[region],
        CallAs="DELEGATED_ADMIN",
    )["OperationId"]
    done = delegated.describe_stack_set_operation(
        StackSetName="by-admin", OperationId=operation_id, CallAs="DELEGATED_ADMIN"
    )["StackSetOperation"]
    assert done["Action"] == "CREATE"
    assert (
        operation_done(server.client("cloudformation"), "by-admin", operation_id)["Status"]
        == "SUCCEEDED"
    )
    assert len(stack_sets_stacks(server, target, "by-admin")) == 1
    assert stack_sets_stacks(server, admin, "by-admin") == []
