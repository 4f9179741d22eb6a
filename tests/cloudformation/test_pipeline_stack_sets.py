"""Deploy/AWS/CloudFormationStackSet and CloudFormationStackInstances stepped as the
pipeline engine steps them, into OUs of an organization (service-managed)."""

from __future__ import annotations

import json
from typing import Any

from airlock.cloudformation.stack_sets import StackSetEngine
from tests.cloudformation.pipeline_setup import (
    INSTANCES_KEY,
    STACK_SET_KEY,
    Setup,
    log_template,
    setup,
)
from tests.cloudformation.sets import (
    EXECUTION_ROLE,
    Organization,
    admin_role,
    execution_role,
    instances,
    stack_sets_stacks,
)
from tests.support import LiveServer


def retention(server: LiveServer, account: str) -> dict[str, int]:
    """Log group name → retention days in an account."""
    groups = server.client("logs", account).describe_log_groups()["logGroups"]
    return {g["logGroupName"]: g.get("retentionInDays", 0) for g in groups}


def operations(server: LiveServer, account_id: str, name: str) -> list[tuple[str, str]]:
    """(action, status) of the set's operations, oldest first."""
    found = server.client("cloudformation", account_id).list_stack_set_operations(
        StackSetName=name
    )["Summaries"]
    return [(o["Action"], o["Status"]) for o in reversed(found)]


def stack_set_run(env: Setup, configuration: dict[str, str], template: str | None = None) -> Any:
    return env.run(
        STACK_SET_KEY,
        {"TemplatePath": "Template::template.json", **configuration},
        {"Template": {"template.json": template or log_template()}},
    )


def org_with_units(server: LiveServer, account_id: str) -> tuple[Organization, dict[str, str]]:
    org = Organization(server, account_id)
    staging = org.unit("staging")
    prod = org.unit("prod")
    accounts = {
        "staging": staging,
        "prod": prod,
        "staging-account": org.account("staging-one", staging),
        "prod-account": org.account("prod-one", prod),
    }
    org.trust_stack_sets()
    return org, accounts


def test_the_stack_set_action_creates_a_set_into_an_ou_then_updates_it(
    server: LiveServer, account_id: str, region: str
) -> None:
    env = setup(server, account_id)
    _, ids = org_with_units(server, account_id)
    staging, member = ids["staging"], ids["staging-account"]
    config = {
        "StackSetName": "model",
        "PermissionModel": "SERVICE_MANAGED",
        "OrganizationsAutoDeployment": "Enabled",
        "DeploymentTargets": staging,
        "Regions": region,
        "FailureTolerancePercentage": "0",
        "MaxConcurrentPercentage": "100",
        "Description": "the model endpoint",
    }
    run = stack_set_run(env, config)
    created = run.run()
    assert created.status == "Succeeded", created.error_message
    assert run.steps[0].state["plan"][0]["call"] == "CreateStackSet"
    cfn = server.client("cloudformation", account_id)
    described = cfn.describe_stack_set(StackSetName="model")["StackSet"]
    assert described["PermissionModel"] == "SERVICE_MANAGED"
    assert described["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert described["Description"] == "the model endpoint"
    found = instances(cfn, "model")
    assert set(found) == {(member, region)}
    assert found[(member, region)]["OrganizationalUnitId"] == staging
    [stack] = stack_sets_stacks(server, member, "model")
    assert retention(server, member) == {f"{stack['StackName']}-logs": 7}
    assert operations(server, account_id, "model") == [("CREATE", "SUCCEEDED")]
    assert created.external_execution_id == run.steps[-1].state["last"]

    # The next run updates the set: new parameters reach the instance.
    update = stack_set_run(
        env, {**config, "Parameters": "ParameterKey=Retention,ParameterValue=14"}
    )
    outcome = update.run()
    assert outcome.status == "Succeeded", outcome.error_message
    assert [i["call"] for i in update.steps[0].state["plan"]] == ["UpdateStackSet"]
    assert operations(server, account_id, "model") == [
        ("CREATE", "SUCCEEDED"),
        ("UPDATE", "SUCCEEDED"),
    ]
    assert retention(server, member) == {f"{stack['StackName']}-logs": 14}
    parameters = cfn.describe_stack_set(StackSetName="model")["StackSet"]["Parameters"]
    assert [(p["ParameterKey"], p["ParameterValue"]) for p in parameters] == [("Retention", "14")]


def test_a_new_ou_gets_its_instances_first_then_the_update(
    server: LiveServer, account_id: str, region: str
) -> None:
    env = setup(server, account_id)
    _, ids = org_with_units(server, account_id)
    config = {
        "StackSetName": "grow",
        "PermissionModel": "SERVICE_MANAGED",
        "DeploymentTargets": ids["staging"],
        "Regions": region,
    }
    assert stack_set_run(env, config).run().status == "Succeeded"
    params = json.dumps([{"ParameterKey": "Retention", "ParameterValue": "30"}])
    run = env.run(
        STACK_SET_KEY,
        {
            **config,
            "TemplatePath": "Template::template.json",
            "DeploymentTargets": "Template::targets.json",
            "Parameters": "Template::params.json",
        },
        {
            "Template": {
                "template.json": log_template(),
                "targets.json": json.dumps([ids["staging"], ids["prod"]]),
                "params.json": params,
            }
        },
    )
    outcome = run.run()
    assert outcome.status == "Succeeded", outcome.error_message
    plan = run.steps[0].state["plan"]
    assert [(i["call"], i["targets"]) for i in plan] == [
        ("CreateStackInstances", [ids["prod"]]),
        ("UpdateStackSet", [ids["staging"], ids["prod"]]),
    ]
    assert operations(server, account_id, "grow") == [
        ("CREATE", "SUCCEEDED"),
        ("CREATE", "SUCCEEDED"),
        ("UPDATE", "SUCCEEDED"),
    ]
    for account in (ids["staging-account"], ids["prod-account"]):
        assert list(retention(server, account).values()) == [30]


def test_a_repeated_step_makes_one_operation(
    server: LiveServer, account_id: str, region: str
) -> None:
    env = setup(server, account_id)
    _, ids = org_with_units(server, account_id)
    config = {
        "StackSetName": "once",
        "PermissionModel": "SERVICE_MANAGED",
        "DeploymentTargets": ids["staging"],
        "Regions": region,
    }
    run = stack_set_run(env, config)
    plan = run.step()  # plans, changes nothing
    assert plan.status == "InProgress"
    assert server.client("cloudformation", account_id).list_stack_sets()["Summaries"] == []
    run.state = {}  # lost: the plan is made again from the same state
    assert run.step().state == plan.state
    started = run.step()  # creates the set and starts the instances' operation
    run.state = dict(plan.state)  # lost again: the same calls, by token and OperationId
    again = run.step()
    assert again.external_execution_id == started.external_execution_id
    assert run.run().status == "Succeeded"
    assert operations(server, account_id, "once") == [("CREATE", "SUCCEEDED")]
    assert len(server.client("cloudformation", account_id).list_stack_sets()["Summaries"]) == 1


def test_a_failed_operation_fails_the_action_with_each_instance_reason(
    server: LiveServer, account_id: str, region: str
) -> None:
    env = setup(server, account_id)
    _, ids = org_with_units(server, account_id)
    member = ids["staging-account"]
    server.client("logs", member).create_log_group(logGroupName="fixed-name")
    outcome = stack_set_run(
        env,
        {
            "StackSetName": "clash",
            "PermissionModel": "SERVICE_MANAGED",
            "DeploymentTargets": ids["staging"],
            "Regions": region,
        },
        log_template("fixed-name"),
    ).run()
    assert (outcome.status, outcome.error_code) == ("Failed", "JobFailed")
    message = outcome.error_message or ""
    assert message.startswith(
        f"Stack set operation {outcome.external_execution_id} of clash is FAILED"
    ), message
    assert f"1 of 1 stack instances did not succeed: {member} {region} FAILED: " in message
    assert "The specified log group already exists" in message, message


def test_the_stack_instances_action_creates_missing_and_updates_existing(
    server: LiveServer, account_id: str, region: str
) -> None:
    env = setup(server, account_id)
    _, ids = org_with_units(server, account_id)
    base = {"StackSetName": "fleet", "PermissionModel": "SERVICE_MANAGED", "Regions": region}
    assert stack_set_run(env, {**base, "DeploymentTargets": ids["staging"]}).run().status == (
        "Succeeded"
    )
    run = env.run(
        INSTANCES_KEY,
        {
            "StackSetName": "fleet",
            "DeploymentTargets": f"{ids['staging']},{ids['prod']}",
            "Regions": region,
            "ParameterOverrides": "ParameterKey=Retention,ParameterValue=3",
            "MaxConcurrentCount": "2",
        },
    )
    outcome = run.run()
    assert outcome.status == "Succeeded", outcome.error_message
    plan = run.steps[0].state["plan"]
    assert [(i["call"], i["targets"]) for i in plan] == [
        ("CreateStackInstances", [ids["prod"]]),
        ("UpdateStackInstances", [ids["staging"]]),
    ]
    cfn = server.client("cloudformation", account_id)
    found = instances(cfn, "fleet")
    assert set(found) == {(ids["staging-account"], region), (ids["prod-account"], region)}
    for account in (ids["staging-account"], ids["prod-account"]):
        assert list(retention(server, account).values()) == [3]
        detail = cfn.describe_stack_instance(
            StackSetName="fleet", StackInstanceAccount=account, StackInstanceRegion=region
        )["StackInstance"]
        overrides = detail["ParameterOverrides"]
        assert [(p["ParameterKey"], p["ParameterValue"]) for p in overrides] == [("Retention", "3")]


def test_a_missing_stack_set_fails_the_instances_action(
    server: LiveServer, account_id: str, region: str
) -> None:
    env = setup(server, account_id)
    outcome = env.run(
        INSTANCES_KEY,
        {"StackSetName": "nowhere", "DeploymentTargets": account_id, "Regions": region},
    ).run()
    assert (outcome.status, outcome.error_code, outcome.error_message) == (
        "Failed",
        "ConfigurationError",
        "StackSet nowhere not found",
    )


def test_a_self_managed_set_into_accounts_with_its_roles(
    server: LiveServer, account_id: str, region: str
) -> None:
    env = setup(server, account_id)
    admin = admin_role(server, account_id)
    targets = [server.create_account("target-a"), server.create_account("target-b")]
    for target in targets:
        execution_role(server, target, f"arn:aws:iam::{account_id}:root")
    config = {
        "StackSetName": "selfish",
        "DeploymentTargets": targets[0],
        "Regions": region,
        "AdministrationRoleArn": admin,
        "ExecutionRoleName": EXECUTION_ROLE,
    }
    assert stack_set_run(env, config).run().status == "Succeeded"
    cfn = server.client("cloudformation", account_id)
    described = cfn.describe_stack_set(StackSetName="selfish")["StackSet"]
    assert (described["PermissionModel"], described["AdministrationRoleARN"]) == (
        "SELF_MANAGED",
        admin,
    )
    assert set(instances(cfn, "selfish")) == {(targets[0], region)}
    # A second account in the list: its instance is made, then the set updated everywhere.
    run = stack_set_run(env, {**config, "DeploymentTargets": ",".join(targets)})
    assert run.run().status == "Succeeded"
    assert [(i["call"], i["targets"]) for i in run.steps[0].state["plan"]] == [
        ("CreateStackInstances", [targets[1]]),
        ("UpdateStackSet", targets),
    ]
    assert set(instances(cfn, "selfish")) == {(t, region) for t in targets}
    for target in targets:
        [stack] = stack_sets_stacks(server, target, "selfish")
        assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")


def test_abandon_stops_the_operation_under_way(
    server: LiveServer, account_id: str, region: str, paused: StackSetEngine
) -> None:
    env = setup(server, account_id)
    _, ids = org_with_units(server, account_id)
    run = stack_set_run(
        env,
        {
            "StackSetName": "halted",
            "PermissionModel": "SERVICE_MANAGED",
            "DeploymentTargets": ids["staging"],
            "Regions": region,
        },
    )
    run.step()
    under_way = run.step()
    assert under_way.status == "InProgress"
    operation_id = under_way.external_execution_id
    run.provider().abandon(server.airlock.platform, run.job())
    cfn = server.client("cloudformation", account_id)
    status = cfn.describe_stack_set_operation(StackSetName="halted", OperationId=operation_id)[
        "StackSetOperation"
    ]["Status"]
    assert status in ("STOPPING", "STOPPED")
    paused.start()
    outcome = run.run()
    assert (outcome.status, outcome.error_code) == ("Failed", "JobFailed")
    assert (outcome.error_message or "").startswith(
        f"Stack set operation {operation_id} of halted is STOPPED"
    ), outcome.error_message
