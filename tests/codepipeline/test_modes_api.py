"""Stage locks and execution modes, shown with an approval holding its stage."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.codepipeline.helpers import (
    approve,
    execution,
    first_execution,
    setup,
    source_and_approval,
    stage_state,
    wait_status,
    waiting_token,
)
from tests.support import LiveServer, wait_for


def _inbound(cp: Any, execution_ids: list[str]) -> None:
    """Wait until exactly these executions wait at the Approval stage's entry."""

    def check() -> bool:
        state = stage_state(cp, "pipe", "Approval")
        found = [e["pipelineExecutionId"] for e in state.get("inboundExecutions") or []]
        return found == execution_ids

    wait_for(check, timeout=30, what=f"{execution_ids} to wait at Approval's entry")


def _start(cp: Any) -> str:
    return str(cp.start_pipeline_execution(name="pipe")["pipelineExecutionId"])


def test_superseded(server_on_each_database: LiveServer) -> None:
    cp, role = setup(server_on_each_database)
    cp.create_pipeline(pipeline=source_and_approval(role))
    first = first_execution(cp, "pipe")
    token = waiting_token(cp, "pipe", first)
    second = _start(cp)
    _inbound(cp, [second])
    third = _start(cp)
    superseded = wait_status(cp, "pipe", second, "Superseded")
    assert superseded["statusSummary"] == (
        "Superseded by a newer execution waiting for stage Approval"
    )
    _inbound(cp, [third])
    state = stage_state(cp, "pipe", "Approval")
    assert state["inboundExecution"]["pipelineExecutionId"] == third
    assert state["latestExecution"]["pipelineExecutionId"] == first
    approve(cp, "pipe", token)
    wait_status(cp, "pipe", first, "Succeeded")
    approve(cp, "pipe", waiting_token(cp, "pipe", third))
    wait_status(cp, "pipe", third, "Succeeded")
    summaries = cp.list_pipeline_executions(pipelineName="pipe")["pipelineExecutionSummaries"]
    assert [(s["pipelineExecutionId"], s["status"]) for s in summaries] == [
        (third, "Succeeded"),
        (second, "Superseded"),
        (first, "Succeeded"),
    ]


def test_queued(server: LiveServer) -> None:
    cp, role = setup(server)
    cp.create_pipeline(
        pipeline=source_and_approval(role, pipelineType="V2", executionMode="QUEUED")
    )
    first = first_execution(cp, "pipe")
    token = waiting_token(cp, "pipe", first)
    second = _start(cp)
    _inbound(cp, [second])
    third = _start(cp)
    _inbound(cp, [second, third])
    assert execution(cp, "pipe", second)["status"] == "InProgress"
    approve(cp, "pipe", token)
    token = waiting_token(cp, "pipe", second)
    _inbound(cp, [third])
    approve(cp, "pipe", token)
    approve(cp, "pipe", waiting_token(cp, "pipe", third))
    for each in (first, second, third):
        assert wait_status(cp, "pipe", each, "Succeeded")["executionMode"] == "QUEUED"


def test_parallel(server: LiveServer) -> None:
    cp, role = setup(server)
    cp.create_pipeline(
        pipeline=source_and_approval(role, pipelineType="V2", executionMode="PARALLEL")
    )
    first = first_execution(cp, "pipe")
    second = _start(cp)
    third = _start(cp)

    def tokens() -> dict[str, str] | None:
        details = cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
        waiting = {
            d["pipelineExecutionId"]
            for d in details
            if d["actionName"] == "Approve" and d["status"] == "InProgress"
        }
        return {"ok": "yes"} if waiting == {first, second, third} else None

    wait_for(tokens, timeout=30, what="three approvals waiting at once")
    # Only the latest shows its token in GetPipelineState; each is approved by its own.
    token = waiting_token(cp, "pipe", third)
    approve(cp, "pipe", token, "Rejected")
    wait_status(cp, "pipe", third, "Failed")
    assert execution(cp, "pipe", first)["status"] == "InProgress"
    assert execution(cp, "pipe", second)["status"] == "InProgress"


def test_disabled_transition_holds_executions(server: LiveServer) -> None:
    cp, role = setup(server)
    cp.create_pipeline(pipeline=source_and_approval(role))
    first = first_execution(cp, "pipe")
    approve(cp, "pipe", waiting_token(cp, "pipe", first))
    wait_status(cp, "pipe", first, "Succeeded")
    cp.disable_stage_transition(
        pipelineName="pipe", stageName="Approval", transitionType="Inbound", reason="freeze"
    )
    state = stage_state(cp, "pipe", "Approval")["inboundTransitionState"]
    account = server.first_account_id()
    assert state["enabled"] is False
    assert state["disabledReason"] == "freeze"
    assert state["lastChangedBy"] == f"arn:aws:iam::{account}:root"
    second = _start(cp)
    _inbound(cp, [second])
    cp.enable_stage_transition(pipelineName="pipe", stageName="Approval", transitionType="Inbound")
    approve(cp, "pipe", waiting_token(cp, "pipe", second))
    wait_status(cp, "pipe", second, "Succeeded")
    with pytest.raises(ClientError) as caught:
        cp.disable_stage_transition(
            pipelineName="pipe", stageName="Nope", transitionType="Inbound", reason="x"
        )
    assert caught.value.response["Error"]["Code"] == "StageNotFoundException"
    assert caught.value.response["Error"]["Message"] == "Stage 'Nope' not found in pipeline 'pipe'"
    with pytest.raises(ClientError) as caught:
        cp.disable_stage_transition(
            pipelineName="pipe", stageName="Approval", transitionType="Outbound", reason="x"
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"] == (
        "Stage 'Approval' is the last stage: it has no outbound transition"
    )


def test_stop_abandon_and_not(server: LiveServer) -> None:
    cp, role = setup(server)
    cp.create_pipeline(
        pipeline=source_and_approval(role, pipelineType="V2", executionMode="PARALLEL")
    )
    first = first_execution(cp, "pipe")
    token = waiting_token(cp, "pipe", first)
    cp.stop_pipeline_execution(pipelineName="pipe", pipelineExecutionId=first, reason="wait")
    assert execution(cp, "pipe", first)["status"] == "Stopping"
    with pytest.raises(ClientError) as caught:
        cp.stop_pipeline_execution(pipelineName="pipe", pipelineExecutionId=first)
    assert caught.value.response["Error"]["Code"] == "DuplicatedStopRequestException"
    approve(cp, "pipe", token)
    wait_status(cp, "pipe", first, "Stopped")
    summary = cp.list_pipeline_executions(pipelineName="pipe")["pipelineExecutionSummaries"][0]
    assert summary["stopTrigger"] == {"reason": "wait"}
    second = _start(cp)
    waiting_token(cp, "pipe", second)
    cp.stop_pipeline_execution(pipelineName="pipe", pipelineExecutionId=second, abandon=True)
    wait_status(cp, "pipe", second, "Stopped")
    details = cp.list_action_executions(
        pipelineName="pipe", filter={"pipelineExecutionId": second}
    )["actionExecutionDetails"]
    assert {d["actionName"]: d["status"] for d in details} == {
        "Source": "Succeeded",
        "Approve": "Abandoned",
    }
    assert stage_state(cp, "pipe", "Approval")["latestExecution"]["status"] == "Stopped"
    with pytest.raises(ClientError) as caught:
        cp.stop_pipeline_execution(pipelineName="pipe", pipelineExecutionId=second)
    assert caught.value.response["Error"]["Code"] == "PipelineExecutionNotStoppableException"
    assert caught.value.response["Error"]["Message"] == (
        f"Unable to stop pipeline execution {second}: its status is Stopped"
    )
    # A stopped stage can be retried: the approval waits again.
    cp.retry_stage_execution(
        pipelineName="pipe",
        stageName="Approval",
        pipelineExecutionId=second,
        retryMode="FAILED_ACTIONS",
    )
    approve(cp, "pipe", waiting_token(cp, "pipe", second))
    wait_status(cp, "pipe", second, "Succeeded")


def test_retry_after_rejection(server: LiveServer) -> None:
    cp, role = setup(server)
    cp.create_pipeline(pipeline=source_and_approval(role))
    first = first_execution(cp, "pipe")
    approve(cp, "pipe", waiting_token(cp, "pipe", first), "Rejected")
    wait_status(cp, "pipe", first, "Failed")
    with pytest.raises(ClientError) as caught:
        cp.retry_stage_execution(
            pipelineName="pipe",
            stageName="Source",
            pipelineExecutionId=first,
            retryMode="FAILED_ACTIONS",
        )
    assert caught.value.response["Error"]["Code"] == "StageNotRetryableException"
    cp.retry_stage_execution(
        pipelineName="pipe",
        stageName="Approval",
        pipelineExecutionId=first,
        retryMode="ALL_ACTIONS",
    )
    assert execution(cp, "pipe", first)["status"] == "InProgress"
    approve(cp, "pipe", waiting_token(cp, "pipe", first))
    wait_status(cp, "pipe", first, "Succeeded")
    details = cp.list_action_executions(pipelineName="pipe", filter={"pipelineExecutionId": first})[
        "actionExecutionDetails"
    ]
    assert [(d["actionName"], d["status"]) for d in details] == [
        ("Approve", "Succeeded"),
        ("Approve", "Failed"),
        ("Source", "Succeeded"),
    ]
