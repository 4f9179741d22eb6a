"""CodePipeline's state change events on the account's default bus, committed with each change.

The detail shapes are CodePipeline's: `pipeline`, `execution-id`, `state` (STARTED,
SUCCEEDED, FAILED…), `version`, and for stages and actions their names and type.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from airlock.events import EventsService
from airlock.platform.clock import Clock

from .models import ActionExecution, PipelineExecution

PIPELINE_CHANGE = "CodePipeline Pipeline Execution State Change"
STAGE_CHANGE = "CodePipeline Stage Execution State Change"
ACTION_CHANGE = "CodePipeline Action Execution State Change"

# Statuses as the events spell them.
EVENT_STATE = {
    "InProgress": "STARTED",
    "Succeeded": "SUCCEEDED",
    "Failed": "FAILED",
    "Stopped": "STOPPED",
    "Stopping": "STOPPING",
    "Superseded": "SUPERSEDED",
    "Cancelled": "CANCELED",
    "Abandoned": "ABANDONED",
}


def pipeline_arn(account: str, region: str, name: str) -> str:
    """`arn:aws:codepipeline:<region>:<account>:<name>`."""
    return f"arn:aws:codepipeline:{region}:{account}:{name}"


def _emit(session: Session, clock: Clock, ex: PipelineExecution, kind: str, detail: Any) -> None:
    EventsService(session, clock).emit(
        ex.account_id,
        ex.region,
        source="aws.codepipeline",
        detail_type=kind,
        detail=detail,
        resources=[pipeline_arn(ex.account_id, ex.region, ex.pipeline_name)],
    )


def _base(ex: PipelineExecution, state: str) -> dict[str, Any]:
    return {
        "pipeline": ex.pipeline_name,
        "execution-id": ex.execution_id,
        "state": state,
        "version": float(ex.pipeline_version),
        "pipeline-execution-attempt": 1.0,
    }


def emit_pipeline(
    session: Session, clock: Clock, ex: PipelineExecution, state: str | None = None
) -> None:
    """The execution's status changed (`state` overrides it: RESUMED after a retry)."""
    detail = _base(ex, state or EVENT_STATE[ex.status])
    detail["execution-trigger"] = {
        "trigger-type": ex.trigger.get("triggerType"),
        "trigger-detail": ex.trigger.get("triggerDetail", ""),
    }
    _emit(session, clock, ex, PIPELINE_CHANGE, detail)


def emit_stage(
    session: Session, clock: Clock, ex: PipelineExecution, stage: str, status: str
) -> None:
    """A stage of the execution changed status."""
    detail = _base(ex, EVENT_STATE.get(status, status.upper()))
    detail["stage"] = stage
    _emit(session, clock, ex, STAGE_CHANGE, detail)


def emit_action(
    session: Session, clock: Clock, ex: PipelineExecution, action: ActionExecution
) -> None:
    """An action execution changed status."""
    detail = _base(ex, EVENT_STATE.get(action.status, action.status.upper()))
    type_id = action.input["actionTypeId"]
    detail.update(
        stage=action.stage_name,
        action=action.action_name,
        region=ex.region,
        type={k: type_id[k] for k in ("owner", "category", "provider", "version")},
    )
    detail["input-artifacts"] = [
        {"name": a["name"], "s3location": a["s3location"]} for a in action.input["inputArtifacts"]
    ]
    if action.status != "InProgress":
        result: dict[str, Any] = {}
        if action.external_execution_id:
            result["external-execution-id"] = action.external_execution_id
        if action.external_execution_url:
            result["external-execution-url"] = action.external_execution_url
        if action.summary:
            result["external-execution-summary"] = action.summary
        if action.error_code:
            result["error-code"] = action.error_code
        detail["execution-result"] = result
        detail["output-artifacts"] = list(action.output_artifacts)
    _emit(session, clock, ex, ACTION_CHANGE, detail)
