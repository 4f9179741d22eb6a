"""Stack set operations: preferences (tolerance, concurrency, regions), one operation at a
time, OperationId idempotency, StopStackSetOperation."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from airlock.cloudformation.stack_sets import StackSetEngine
from tests.cloudformation.sets import (
    admin_role,
    advance_once,
    execution_role,
    instances,
    log_group_template,
    operation_done,
    results,
)
from tests.support import LiveServer

OTHER_REGION = "us-west-2"


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def accounts(server: LiveServer, account_id: str) -> list[str]:
    """Four accounts: two with execution roles, then two without."""
    admin_role(server, account_id)
    made = [server.create_account(f"acct{i}") for i in range(4)]
    for target in made[:2]:
        execution_role(server, target, f"arn:aws:iam::{account_id}:root")
    return made


def create(server: LiveServer, name: str = "paced") -> Any:
    cfn = server.client("cloudformation")
    cfn.create_stack_set(StackSetName=name, TemplateBody=log_group_template())
    return cfn


def statuses(cfn: Any, name: str, operation_id: str) -> dict[tuple[str, str], str]:
    return {k: r["Status"] for k, r in results(cfn, name, operation_id).items()}


def test_past_the_tolerance_the_rest_is_cancelled(
    server: LiveServer, region: str, accounts: list[str]
) -> None:
    cfn = create(server)
    good, other, missing, _ = accounts
    operation_id = cfn.create_stack_instances(
        StackSetName="paced",
        Accounts=[missing, good, other],
        Regions=[region],
        OperationPreferences={"FailureToleranceCount": 0, "MaxConcurrentCount": 1},
    )["OperationId"]
    operation = operation_done(cfn, "paced", operation_id)
    assert operation["Status"] == "FAILED"
    assert operation["StatusReason"] == (
        f"The operation failed because the failure tolerance was exceeded in region(s): [{region}]"
    )
    outcome = results(cfn, "paced", operation_id)
    assert outcome[(missing, region)]["Status"] == "FAILED"
    for account in (good, other):
        assert outcome[(account, region)]["Status"] == "CANCELLED"
        assert outcome[(account, region)]["StatusReason"] == (
            "Cancelled since failure tolerance has exceeded"
        )
        instance = instances(cfn, "paced")[(account, region)]
        assert instance["Status"] == "OUTDATED"
        assert instance["StackInstanceStatus"] == {"DetailedStatus": "CANCELLED"}


@pytest.mark.parametrize(("percentage", "status"), [(50, "SUCCEEDED"), (49, "FAILED")])
def test_a_tolerance_percentage_rounds_down(
    server: LiveServer, region: str, accounts: list[str], percentage: int, status: str
) -> None:
    cfn = create(server)
    # Two of four fail: 50% tolerates two, 49% rounds down to one.
    operation_id = cfn.create_stack_instances(
        StackSetName="paced",
        Accounts=accounts[2:] + accounts[:2],
        Regions=[region],
        OperationPreferences={
            "FailureTolerancePercentage": percentage,
            "MaxConcurrentPercentage": 25,
        },
    )["OperationId"]
    assert operation_done(cfn, "paced", operation_id)["Status"] == status
    outcome = statuses(cfn, "paced", operation_id)
    assert [outcome[(a, region)] for a in accounts[2:]] == ["FAILED", "FAILED"]
    expected = "SUCCEEDED" if status == "SUCCEEDED" else "CANCELLED"
    assert [outcome[(a, region)] for a in accounts[:2]] == [expected, expected]


def _stacks_in(server: LiveServer, account: str, region: str) -> list[dict[str, Any]]:
    keys = server.root_keys(account)
    client = boto3.session.Session(
        aws_access_key_id=keys[0], aws_secret_access_key=keys[1], region_name=region
    ).client("cloudformation", endpoint_url=server.url)
    return list(client.describe_stacks()["Stacks"])


def _completed(server: LiveServer, account: str, region: str, stack: dict[str, Any]) -> Any:
    keys = server.root_keys(account)
    client = boto3.session.Session(
        aws_access_key_id=keys[0], aws_secret_access_key=keys[1], region_name=region
    ).client("cloudformation", endpoint_url=server.url)
    events = client.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    return max(e["Timestamp"] for e in events)


def test_regions_one_after_another_in_region_order(
    server: LiveServer, region: str, accounts: list[str]
) -> None:
    cfn = create(server)
    good = accounts[:2]
    operation_id = cfn.create_stack_instances(
        StackSetName="paced",
        Accounts=good,
        Regions=[region, OTHER_REGION],
        OperationPreferences={
            "RegionConcurrencyType": "SEQUENTIAL",
            "RegionOrder": [OTHER_REGION, region],
            "MaxConcurrentCount": 1,
        },
    )["OperationId"]
    operation = operation_done(cfn, "paced", operation_id)
    assert operation["Status"] == "SUCCEEDED"
    assert operation["OperationPreferences"]["RegionOrder"] == [OTHER_REGION, region]
    first = [s for a in good for s in _stacks_in(server, a, OTHER_REGION)]
    second = [s for a in good for s in _stacks_in(server, a, region)]
    assert len(first) == len(second) == 2
    assert all(s["StackId"].split(":")[3] == OTHER_REGION for s in first)
    done_first = max(
        _completed(server, a, OTHER_REGION, s)
        for a in good
        for s in _stacks_in(server, a, OTHER_REGION)
    )
    assert min(s["CreationTime"] for s in second) >= done_first
    # One account at a time within a region too.
    ordered = sorted(second, key=lambda s: s["CreationTime"])
    assert ordered[1]["CreationTime"] >= _completed(
        server, ordered[0]["StackId"].split(":")[4], region, ordered[0]
    )
    assert set(instances(cfn, "paced")) == {(a, r) for a in good for r in (region, OTHER_REGION)}


def test_a_region_past_its_tolerance_stops_the_regions_after_it(
    server: LiveServer, region: str, accounts: list[str]
) -> None:
    cfn = create(server)
    operation_id = cfn.create_stack_instances(
        StackSetName="paced",
        Accounts=[accounts[2], accounts[0]],
        Regions=[region, OTHER_REGION],
    )["OperationId"]
    assert operation_done(cfn, "paced", operation_id)["Status"] == "FAILED"
    outcome = statuses(cfn, "paced", operation_id)
    assert outcome[(accounts[2], region)] == "FAILED"
    assert outcome[(accounts[0], region)] == "CANCELLED"
    assert outcome[(accounts[2], OTHER_REGION)] == "CANCELLED"
    assert outcome[(accounts[0], OTHER_REGION)] == "CANCELLED"


def test_preferences_are_checked(server: LiveServer, region: str, accounts: list[str]) -> None:
    cfn = create(server)
    for preferences, message in (
        (
            {"FailureToleranceCount": 1, "FailureTolerancePercentage": 10},
            "You can specify either FailureToleranceCount or FailureTolerancePercentage, "
            "but not both.",
        ),
        (
            {"MaxConcurrentCount": 1, "MaxConcurrentPercentage": 10},
            "You can specify either MaxConcurrentCount or MaxConcurrentPercentage, but not both.",
        ),
    ):
        with pytest.raises(ClientError) as caught:
            cfn.create_stack_instances(
                StackSetName="paced",
                Accounts=accounts[:1],
                Regions=[region],
                OperationPreferences=preferences,
            )
        assert error_of(caught) == ("ValidationError", message)
    assert cfn.list_stack_set_operations(StackSetName="paced")["Summaries"] == []
    assert instances(cfn, "paced") == {}


def test_one_operation_at_a_time_and_operation_ids(
    server: LiveServer, region: str, accounts: list[str], paused: StackSetEngine
) -> None:
    cfn = create(server)
    request = {"StackSetName": "paced", "Accounts": accounts[:2], "Regions": [region]}
    first = cfn.create_stack_instances(OperationId="op-1", **request)["OperationId"]
    assert first == "op-1"
    # The same request again (a retry) is the same operation.
    assert cfn.create_stack_instances(OperationId="op-1", **request)["OperationId"] == "op-1"
    with pytest.raises(ClientError) as caught:
        cfn.create_stack_instances(OperationId="op-1", **{**request, "Accounts": accounts[:1]})
    assert error_of(caught) == (
        "OperationIdAlreadyExistsException",
        "The operation ID op-1 already exists for another operation.",
    )
    arn = cfn.describe_stack_set(StackSetName="paced")["StackSet"]["StackSetARN"]
    for method, params in (
        ("create_stack_instances", {**request, "OperationId": "op-2"}),
        ("update_stack_set", {"StackSetName": "paced", "UsePreviousTemplate": True}),
        ("delete_stack_set", {"StackSetName": "paced"}),
    ):
        with pytest.raises(ClientError) as caught:
            getattr(cfn, method)(**params)
        assert error_of(caught) == (
            "OperationInProgressException",
            f"Another Operation on StackSet {arn} is in progress",
        )
    summaries = cfn.list_stack_set_operations(StackSetName="paced")["Summaries"]
    assert [(s["OperationId"], s["Status"]) for s in summaries] == [("op-1", "RUNNING")]
    paused.start()
    assert operation_done(cfn, "paced", "op-1")["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as caught:
        cfn.describe_stack_set_operation(StackSetName="paced", OperationId="op-9")
    assert error_of(caught) == ("OperationNotFoundException", "Operation op-9 not found")


def test_stop_cancels_what_has_not_started(
    server: LiveServer, region: str, accounts: list[str], paused: StackSetEngine
) -> None:
    cfn = create(server)
    account = accounts[0]
    execution_role(server, accounts[2], f"arn:aws:iam::{server.first_account_id()}:root")
    targets = [account, accounts[1], accounts[2]]
    operation_id = cfn.create_stack_instances(
        StackSetName="paced",
        Accounts=targets,
        Regions=[region],
        OperationPreferences={"MaxConcurrentCount": 1},
    )["OperationId"]
    advance_once(server, operation_id)  # the first account's stack is under way
    assert statuses(cfn, "paced", operation_id)[(account, region)] == "RUNNING"
    cfn.stop_stack_set_operation(StackSetName="paced", OperationId=operation_id)
    stopping = cfn.describe_stack_set_operation(StackSetName="paced", OperationId=operation_id)
    assert stopping["StackSetOperation"]["Status"] == "STOPPING"
    paused.start()
    assert operation_done(cfn, "paced", operation_id)["Status"] == "STOPPED"
    outcome = statuses(cfn, "paced", operation_id)
    assert outcome == {
        (account, region): "SUCCEEDED",
        (accounts[1], region): "CANCELLED",
        (accounts[2], region): "CANCELLED",
    }
    with pytest.raises(ClientError) as caught:
        cfn.stop_stack_set_operation(StackSetName="paced", OperationId=operation_id)
    assert error_of(caught) == (
        "InvalidOperationException",
        f"Operation {operation_id} is STOPPED and cannot be stopped",
    )
