"""CancelUpdateStack, DisableRollback with RollbackStack, and ContinueUpdateRollback.

The engine is driven one tick at a time (the server runs no background work), so
each call lands between two known steps of the operation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.cloudformation.engine import StackEngine
from airlock.settings import Settings
from tests.cloudformation.test_stacks import group, log_groups, template
from tests.support import LiveServer, free_socket


@pytest.fixture
def paused(tmp_path: Path, database_url: str | None) -> Iterator[LiveServer]:
    """A live server whose stack operations advance only when the test says."""
    sock = free_socket()
    settings = Settings(
        state_dir=tmp_path / "state",
        database_url=database_url,
        port=sock.getsockname()[1],
        run_controllers=False,
    )
    server = LiveServer(settings, sock)
    try:
        yield server
    finally:
        server.stop()


def tick(server: LiveServer) -> None:
    """One pass of the stack engine."""
    StackEngine(server.airlock.platform).tick()


def drive(server: LiveServer, cfn: Any, name: str) -> dict[str, Any]:
    """Ticks until the stack's operation is over (at most 50)."""
    for _ in range(50):
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return dict(stack)
        tick(server)
    raise AssertionError(f"stack {name} still {stack['StackStatus']} after 50 ticks")


def chained(first: dict[str, Any], second: dict[str, Any]) -> str:
    body = json.loads(template({"A": first, "B": second}))
    body["Resources"]["B"]["DependsOn"] = "A"
    return json.dumps(body)


def retention_of(server: LiveServer, cfn: Any, name: str, logical: str) -> Any:
    resources = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    physical = next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == logical)
    return log_groups(server, physical)[physical].get("retentionInDays")


def test_cancel_update_stack(paused: LiveServer) -> None:
    cfn = paused.client("cloudformation")
    cfn.create_stack(StackName="c", TemplateBody=template({"A": group(RetentionInDays=7)}))
    assert drive(paused, cfn, "c")["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(ClientError) as caught:
        cfn.cancel_update_stack(StackName="c")
    assert caught.value.response["Error"]["Message"] == (
        "CancelUpdateStack cannot be called from current stack status CREATE_COMPLETE."
    )
    cfn.update_stack(StackName="c", TemplateBody=template({"A": group(RetentionInDays=14)}))
    cfn.cancel_update_stack(StackName="c")
    assert drive(paused, cfn, "c")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert retention_of(paused, cfn, "c", "A") == 7
    assert cfn.get_template(StackName="c")["TemplateBody"] == json.loads(
        template({"A": group(RetentionInDays=7)})
    )


def test_disable_rollback_then_rollback_stack(paused: LiveServer) -> None:
    paused.client("logs").create_log_group(logGroupName="taken")
    cfn = paused.client("cloudformation")
    cfn.create_stack(StackName="d", TemplateBody=template({"A": group(RetentionInDays=7)}))
    drive(paused, cfn, "d")
    bad = chained(group(RetentionInDays=14), group(LogGroupName="taken"))
    cfn.update_stack(StackName="d", TemplateBody=bad, DisableRollback=True)
    assert drive(paused, cfn, "d")["StackStatus"] == "UPDATE_FAILED"
    assert retention_of(paused, cfn, "d", "A") == 14  # what the update did is kept
    with pytest.raises(ClientError) as caught:
        cfn.rollback_stack(StackName="c-missing")
    assert caught.value.response["Error"]["Message"] == "Stack with id c-missing does not exist"
    cfn.rollback_stack(StackName="d")
    assert drive(paused, cfn, "d")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert retention_of(paused, cfn, "d", "A") == 7

    cfn.create_stack(StackName="e", TemplateBody=bad, DisableRollback=True)
    assert drive(paused, cfn, "e")["StackStatus"] == "CREATE_FAILED"
    assert len(log_groups(paused, "e-A-")) == 1
    with pytest.raises(ClientError) as caught:
        cfn.rollback_stack(StackName="d")
    assert caught.value.response["Error"]["Message"] == (
        "Stack d is in UPDATE_ROLLBACK_COMPLETE state and can not be rolled back: "
        "RollbackStack applies to a stack in CREATE_FAILED or UPDATE_FAILED."
    )
    cfn.rollback_stack(StackName="e")
    assert drive(paused, cfn, "e")["StackStatus"] == "ROLLBACK_COMPLETE"
    assert log_groups(paused, "e-A-") == {}


def test_continue_update_rollback_skipping_a_resource(paused: LiveServer) -> None:
    logs = paused.client("logs")
    logs.create_log_group(logGroupName="taken")
    cfn = paused.client("cloudformation")
    cfn.create_stack(StackName="f", TemplateBody=template({"A": group(RetentionInDays=7)}))
    drive(paused, cfn, "f")
    [a] = list(log_groups(paused, "f-A-"))
    cfn.update_stack(
        StackName="f", TemplateBody=chained(group(RetentionInDays=14), group(LogGroupName="taken"))
    )
    tick(paused)  # A is updated, B fails: the rollback is next
    assert cfn.describe_stacks(StackName="f")["Stacks"][0]["StackStatus"] == (
        "UPDATE_ROLLBACK_IN_PROGRESS"
    )
    logs.delete_log_group(logGroupName=a)  # so putting A back fails
    assert drive(paused, cfn, "f")["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    events = cfn.describe_stack_events(StackName="f")["StackEvents"]
    failed = next(e for e in events if e["ResourceStatus"] == "UPDATE_ROLLBACK_FAILED")
    assert "Operation: PutRetentionPolicy" in failed["ResourceStatusReason"]
    with pytest.raises(ClientError) as caught:
        cfn.update_stack(StackName="f", TemplateBody=template({"A": group()}))
    assert caught.value.response["Error"]["Message"].endswith(
        "is in UPDATE_ROLLBACK_FAILED state and can not be updated."
    )
    cfn.continue_update_rollback(StackName="f", ResourcesToSkip=["A"])
    assert drive(paused, cfn, "f")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert set(log_groups(paused)) == {"taken"}
