"""The output structures: GetPipelineExecution, summaries, action details, pipeline state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ActionExecution, Pipeline, PipelineExecution, StageExecution

Output = dict[str, Any]


def execution_out(ex: PipelineExecution) -> Output:
    """The `PipelineExecution` structure."""
    out: Output = {
        "pipelineName": ex.pipeline_name,
        "pipelineVersion": ex.pipeline_version,
        "pipelineExecutionId": ex.execution_id,
        "status": ex.status,
        "artifactRevisions": [
            {
                "name": r.get("artifactName", r["actionName"]),
                "revisionId": r.get("revisionId"),
                "revisionSummary": r.get("revisionSummary"),
                "revisionUrl": r.get("revisionUrl"),
            }
            for r in ex.source_revisions
        ],
        "variables": list(ex.variables),
        "trigger": dict(ex.trigger),
        "executionMode": ex.execution_mode,
        "executionType": "STANDARD",
    }
    if ex.status_summary:
        out["statusSummary"] = ex.status_summary
    return out


def summary_out(ex: PipelineExecution) -> Output:
    """The `PipelineExecutionSummary` structure."""
    out: Output = {
        "pipelineExecutionId": ex.execution_id,
        "status": ex.status,
        "startTime": ex.started_at,
        "lastUpdateTime": ex.updated_at,
        "sourceRevisions": [
            {k: v for k, v in r.items() if k != "artifactName" and v is not None}
            for r in ex.source_revisions
        ],
        "trigger": dict(ex.trigger),
        "executionMode": ex.execution_mode,
        "executionType": "STANDARD",
    }
    if ex.status_summary:
        out["statusSummary"] = ex.status_summary
    if ex.stop_reason is not None:
        out["stopTrigger"] = {"reason": ex.stop_reason}
    return out


def _result(action: ActionExecution) -> Output:
    result: Output = {}
    if action.external_execution_id:
        result["externalExecutionId"] = action.external_execution_id
    if action.summary:
        result["externalExecutionSummary"] = action.summary
    if action.external_execution_url:
        result["externalExecutionUrl"] = action.external_execution_url
    if action.error_code:
        result["errorDetails"] = {"code": action.error_code, "message": action.error_message or ""}
    return result


def action_detail_out(ex: PipelineExecution, action: ActionExecution) -> Output:
    """The `ActionExecutionDetail` structure."""
    out: Output = {
        "pipelineExecutionId": ex.execution_id,
        "actionExecutionId": action.action_execution_id,
        "pipelineVersion": ex.pipeline_version,
        "stageName": action.stage_name,
        "actionName": action.action_name,
        "startTime": action.started_at,
        "lastUpdateTime": action.updated_at,
        "status": action.status,
        "input": dict(action.input),
        "output": {
            "outputArtifacts": list(action.output_artifacts)
            if action.status == "Succeeded"
            else [],
            "executionResult": _result(action),
            "outputVariables": dict(action.output_variables),
        },
    }
    if action.updated_by:
        out["updatedBy"] = action.updated_by
    return out


def action_execution_out(action: ActionExecution) -> Output:
    """The `ActionExecution` structure of GetPipelineState."""
    out: Output = {
        "actionExecutionId": action.action_execution_id,
        "status": action.status,
        "lastStatusChange": action.updated_at,
    }
    if action.summary:
        out["summary"] = action.summary
    if action.token and action.status == "InProgress":
        out["token"] = action.token
    if action.updated_by:
        out["lastUpdatedBy"] = action.updated_by
    if action.external_execution_id:
        out["externalExecutionId"] = action.external_execution_id
    if action.external_execution_url:
        out["externalExecutionUrl"] = action.external_execution_url
    if action.error_code:
        out["errorDetails"] = {"code": action.error_code, "message": action.error_message or ""}
    return out


def _transition(pipeline: Pipeline, stage: str) -> Output:
    disabled = pipeline.disabled_transitions.get(stage)
    if disabled is None:
        return {"enabled": True}
    return {
        "enabled": False,
        "lastChangedBy": disabled["lastChangedBy"],
        "lastChangedAt": datetime.fromisoformat(disabled["lastChangedAt"]),
        "disabledReason": disabled["disabledReason"],
    }


def state_out(session: Session, pipeline: Pipeline) -> Output:
    """GetPipelineState: each stage's latest execution, inbound executions and actions."""
    executions = {
        ex.id: ex
        for ex in session.scalars(
            select(PipelineExecution).where(PipelineExecution.pipeline_pk == pipeline.id)
        )
    }
    stages_out = []
    for index, stage in enumerate(pipeline.declaration["stages"]):
        name = stage["name"]
        latest = session.scalars(
            select(StageExecution)
            .where(StageExecution.pipeline_pk == pipeline.id, StageExecution.stage_name == name)
            .order_by(StageExecution.id.desc())
        ).first()
        entry: Output = {
            "stageName": name,
            "inboundTransitionState": _transition(pipeline, name),
            "actionStates": [],
        }
        waiting = sorted(
            (
                ex
                for ex in executions.values()
                if ex.status in ("InProgress", "Stopping")
                and ex.at_entry
                and ex.stage_index == index
                and index < len(ex.declaration["stages"])
                and ex.declaration["stages"][index]["name"] == name
            ),
            key=lambda ex: ex.seq,
        )
        if waiting:
            inbound = [
                {"pipelineExecutionId": ex.execution_id, "status": "InProgress", "type": "STANDARD"}
                for ex in waiting
            ]
            entry["inboundExecution"] = inbound[-1]
            entry["inboundExecutions"] = inbound
        if latest is not None:
            entry["latestExecution"] = {
                "pipelineExecutionId": executions[latest.execution_pk].execution_id,
                "status": latest.status,
                "type": "STANDARD",
            }
        for action in stage["actions"]:
            row = session.scalars(
                select(ActionExecution)
                .where(
                    ActionExecution.pipeline_pk == pipeline.id,
                    ActionExecution.stage_name == name,
                    ActionExecution.action_name == action["name"],
                )
                .order_by(ActionExecution.id.desc())
            ).first()
            state: Output = {"actionName": action["name"]}
            if row is not None:
                state["latestExecution"] = action_execution_out(row)
                link = (row.input.get("resolvedConfiguration") or {}).get("ExternalEntityLink")
                if link:
                    state["entityUrl"] = link
            entry["actionStates"].append(state)
        stages_out.append(entry)
    return {
        "pipelineName": pipeline.name,
        "pipelineVersion": pipeline.version,
        "stageStates": stages_out,
        "created": pipeline.created_at,
        "updated": pipeline.updated_at,
    }
