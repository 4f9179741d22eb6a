"""ManagedExecution: a stack set's operation called while another is under way is QUEUED,
then runs in request order; a queued one that is stopped never runs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.cloudformation.stack_sets import StackSetEngine
from tests.cloudformation.sets import (
    admin_role,
    client_in,
    execution_role,
    instances,
    log_group_template,
    operation_done,
    results,
    stack_sets_stacks,
)
from tests.support import LiveServer

OTHER_REGION = "us-west-2"


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def target(server: LiveServer, account_id: str) -> str:
    """An account the administrator's self-managed sets may deploy into."""
    admin_role(server, account_id)
    made = server.create_account("target")
    execution_role(server, made, f"arn:aws:iam::{account_id}:root")
    return made


def managed(server: LiveServer, name: str = "queued") -> Any:
    cfn = server.client("cloudformation")
    cfn.create_stack_set(
        StackSetName=name, TemplateBody=log_group_template(), ManagedExecution={"Active": True}
    )
    return cfn


def retention(value: str) -> dict[str, Any]:
    return {
        "UsePreviousTemplate": True,
        "Parameters": [{"ParameterKey": "Retention", "ParameterValue": value}],
    }


def set_retention(cfn: Any, name: str) -> str | None:
    """The Retention the stack set gives its instances (None: the template's default)."""
    given = cfn.describe_stack_set(StackSetName=name)["StackSet"]["Parameters"]
    return next((p["ParameterValue"] for p in given if p["ParameterKey"] == "Retention"), None)


def operations(cfn: Any, name: str) -> list[tuple[str, str]]:
    """(OperationId, Status), oldest first."""
    found = cfn.list_stack_set_operations(StackSetName=name)["Summaries"]
    return [(o["OperationId"], o["Status"]) for o in reversed(found)]


def retention_calls(server: LiveServer, account: str, region: str) -> list[int]:
    """The retentions CloudFormation set on the account's log groups, oldest first."""
    trail = client_in(server, "cloudtrail", account, region)
    events = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutRetentionPolicy"}]
    )["Events"]
    calls = [json.loads(e["CloudTrailEvent"]) for e in reversed(events)]
    return [
        int(c["requestParameters"]["retentionInDays"]) for c in calls if c["awsRegion"] == region
    ]


def test_operations_queue_behind_the_one_under_way_and_run_in_order(
    server: LiveServer, region: str, target: str, paused: StackSetEngine
) -> None:
    cfn = managed(server)
    summary = cfn.list_stack_sets()["Summaries"][0]
    assert summary["ManagedExecution"] == {"Active": True}
    first = cfn.create_stack_instances(
        StackSetName="queued", Accounts=[target], Regions=[region], OperationId="op-1"
    )["OperationId"]
    second = cfn.create_stack_instances(
        StackSetName="queued", Accounts=[target], Regions=[OTHER_REGION], OperationId="op-2"
    )["OperationId"]
    third = cfn.update_stack_set(StackSetName="queued", OperationId="op-3", **retention("3"))
    fourth = cfn.update_stack_set(StackSetName="queued", OperationId="op-4", **retention("14"))
    assert (first, second, third["OperationId"], fourth["OperationId"]) == (
        "op-1",
        "op-2",
        "op-3",
        "op-4",
    )
    assert operations(cfn, "queued") == [
        ("op-1", "RUNNING"),
        ("op-2", "QUEUED"),
        ("op-3", "QUEUED"),
        ("op-4", "QUEUED"),
    ]
    # A retry of a queued call is that same operation.
    again = cfn.update_stack_set(StackSetName="queued", OperationId="op-3", **retention("3"))
    assert again["OperationId"] == "op-3"
    # Nothing queued has happened yet: no instance in the other region, the old parameters.
    queued = cfn.describe_stack_set_operation(StackSetName="queued", OperationId="op-2")
    assert queued["StackSetOperation"]["Status"] == "QUEUED"
    assert "EndTimestamp" not in queued["StackSetOperation"]
    assert results(cfn, "queued", "op-2") == {}
    assert set(instances(cfn, "queued")) == {(target, region)}
    assert set_retention(cfn, "queued") is None

    paused.start()
    done = [operation_done(cfn, "queued", op) for op in ("op-1", "op-2", "op-3", "op-4")]
    assert [o["Status"] for o in done] == ["SUCCEEDED"] * 4
    ends = [o["EndTimestamp"] for o in done]
    assert ends == sorted(ends)
    # Each ran after the one before it ended: the updates found the second region's
    # instance, and set 3 days before 14 in both regions.
    for op in ("op-3", "op-4"):
        assert set(results(cfn, "queued", op)) == {(target, region), (target, OTHER_REGION)}
    assert {k: i["Status"] for k, i in instances(cfn, "queued").items()} == {
        (target, region): "CURRENT",
        (target, OTHER_REGION): "CURRENT",
    }
    for where in (region, OTHER_REGION):
        assert retention_calls(server, target, where) == [7, 3, 14]
    (stack,) = stack_sets_stacks(server, target, "queued")
    assert stack["Parameters"] == [{"ParameterKey": "Retention", "ParameterValue": "14"}]
    assert set_retention(cfn, "queued") == "14"
    described = cfn.describe_stack_set(StackSetName="queued")["StackSet"]
    assert described["Regions"] == sorted([region, OTHER_REGION])


def test_a_stopped_queued_operation_never_runs(
    server: LiveServer, region: str, target: str, paused: StackSetEngine
) -> None:
    cfn = managed(server)
    first = cfn.create_stack_instances(StackSetName="queued", Accounts=[target], Regions=[region])
    queued = cfn.update_stack_set(StackSetName="queued", **retention("3"))["OperationId"]
    arn = cfn.describe_stack_set(StackSetName="queued")["StackSet"]["StackSetARN"]
    # The execution configuration cannot change while operations run or wait.
    with pytest.raises(ClientError) as caught:
        cfn.update_stack_set(
            StackSetName="queued", ManagedExecution={"Active": False}, UsePreviousTemplate=True
        )
    assert error_of(caught) == (
        "OperationInProgressException",
        f"You can't modify the execution configuration of StackSet {arn} while it has "
        "running or queued operations",
    )
    cfn.stop_stack_set_operation(StackSetName="queued", OperationId=queued)
    stopped = cfn.describe_stack_set_operation(StackSetName="queued", OperationId=queued)
    assert stopped["StackSetOperation"]["Status"] == "STOPPED"
    assert "EndTimestamp" in stopped["StackSetOperation"]
    with pytest.raises(ClientError) as caught:
        cfn.stop_stack_set_operation(StackSetName="queued", OperationId=queued)
    assert error_of(caught) == (
        "InvalidOperationException",
        f"Operation {queued} is STOPPED and cannot be stopped",
    )

    paused.start()
    assert operation_done(cfn, "queued", first["OperationId"])["Status"] == "SUCCEEDED"
    assert operations(cfn, "queued") == [(first["OperationId"], "SUCCEEDED"), (queued, "STOPPED")]
    assert results(cfn, "queued", queued) == {}
    assert retention_calls(server, target, region) == [7]
    assert set_retention(cfn, "queued") is None
    # With nothing under way, the next operation runs at once.
    after = cfn.update_stack_set(StackSetName="queued", **retention("5"))["OperationId"]
    assert dict(operations(cfn, "queued"))[after] == "RUNNING"
    assert operation_done(cfn, "queued", after)["Status"] == "SUCCEEDED"
    assert retention_calls(server, target, region) == [7, 5]


def test_without_managed_execution_a_second_operation_is_refused(
    server: LiveServer, region: str, target: str, paused: StackSetEngine
) -> None:
    cfn = server.client("cloudformation")
    cfn.create_stack_set(StackSetName="plain", TemplateBody=log_group_template())
    first = cfn.create_stack_instances(StackSetName="plain", Accounts=[target], Regions=[region])
    arn = cfn.describe_stack_set(StackSetName="plain")["StackSet"]["StackSetARN"]
    for method, params in (
        ("update_stack_set", {"StackSetName": "plain", **retention("3")}),
        (
            "create_stack_instances",
            {"StackSetName": "plain", "Accounts": [target], "Regions": [OTHER_REGION]},
        ),
    ):
        with pytest.raises(ClientError) as caught:
            getattr(cfn, method)(**params)
        assert error_of(caught) == (
            "OperationInProgressException",
            f"Another Operation on StackSet {arn} is in progress",
        )
    assert operations(cfn, "plain") == [(first["OperationId"], "RUNNING")]
    assert set_retention(cfn, "plain") is None
    paused.start()
    assert operation_done(cfn, "plain", first["OperationId"])["Status"] == "SUCCEEDED"
