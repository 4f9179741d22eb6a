"""CreateStack's TimeoutInMinutes, on an injected clock: the engine is ticked by the test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from airlock.platform.clock import ManualClock
from airlock.settings import Settings
from tests.cloudformation.test_stack_recovery import drive
from tests.cloudformation.test_stacks import group, log_groups, template
from tests.support import LiveServer, free_socket


@pytest.fixture
def paused(tmp_path: Path, database_url: str | None, clock: ManualClock) -> Iterator[LiveServer]:
    """A live server on the test's clock whose stacks advance only when ticked."""
    sock = free_socket()
    settings = Settings(
        state_dir=tmp_path / "state",
        database_url=database_url,
        port=sock.getsockname()[1],
        run_controllers=False,
    )
    server = LiveServer(settings, sock, clock)
    try:
        yield server
    finally:
        server.stop()


def stack_reasons(cfn: Any, name: str) -> list[tuple[str, str]]:
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [
        (e["ResourceStatus"], e.get("ResourceStatusReason", ""))
        for e in reversed(events)
        if e["ResourceType"] == "AWS::CloudFormation::Stack"
    ]


BODY = template({"A": group(LogGroupName="/timed/a"), "B": group(LogGroupName="/timed/b")})


@pytest.mark.parametrize(
    ("on_failure", "final", "reason"),
    [
        (
            "ROLLBACK",
            "ROLLBACK_COMPLETE",
            (
                "ROLLBACK_IN_PROGRESS",
                "Stack creation time exceeded the specified timeout. Rollback requested by user.",
            ),
        ),
        (
            "DELETE",
            "DELETE_COMPLETE",
            (
                "CREATE_FAILED",
                "Stack creation time exceeded the specified timeout. Delete requested by user.",
            ),
        ),
        (
            "DO_NOTHING",
            "CREATE_FAILED",
            ("CREATE_FAILED", "Stack creation time exceeded the specified timeout."),
        ),
    ],
)
def test_a_create_past_its_timeout_fails(
    paused: LiveServer,
    clock: ManualClock,
    on_failure: str,
    final: str,
    reason: tuple[str, str],
) -> None:
    cfn = paused.client("cloudformation")
    stack_id = cfn.create_stack(
        StackName="late", TemplateBody=BODY, TimeoutInMinutes=1, OnFailure=on_failure
    )["StackId"]
    assert cfn.describe_stacks(StackName="late")["Stacks"][0]["TimeoutInMinutes"] == 1
    clock.advance(timedelta(minutes=1, seconds=1))
    assert drive(paused, cfn, stack_id)["StackStatus"] == final
    assert reason in stack_reasons(cfn, stack_id)
    assert not {"/timed/a", "/timed/b"} & set(log_groups(paused, "/timed/"))


def test_a_create_within_its_timeout_completes_and_stays(
    paused: LiveServer, clock: ManualClock
) -> None:
    cfn = paused.client("cloudformation")
    cfn.create_stack(StackName="prompt", TemplateBody=BODY, TimeoutInMinutes=5)
    clock.advance(timedelta(minutes=4))
    assert drive(paused, cfn, "prompt")["StackStatus"] == "CREATE_COMPLETE"
    assert {"/timed/a", "/timed/b"} <= set(log_groups(paused, "/timed/"))
    # The timeout is the creation's: a later update is not bound by it.
    clock.advance(timedelta(minutes=10))
    cfn.update_stack(
        StackName="prompt",
        TemplateBody=template({"A": group(LogGroupName="/timed/a", RetentionInDays=7)}),
    )
    assert drive(paused, cfn, "prompt")["StackStatus"] == "UPDATE_COMPLETE"
    assert cfn.describe_stacks(StackName="prompt")["Stacks"][0]["TimeoutInMinutes"] == 5
