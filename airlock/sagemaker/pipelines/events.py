"""The events SageMaker Pipelines emit, in AWS's shapes, committed with the change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from airlock.events import EventsService
from airlock.platform.clock import Clock

from .models import ExecutionStep, Pipeline, PipelineExecution

EXECUTION_CHANGE = "SageMaker Model Building Pipeline Execution Status Change"
STEP_CHANGE = "SageMaker Model Building Pipeline Execution Step Status Change"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _send(
    session: Session,
    clock: Clock,
    pipeline: Pipeline,
    kind: str,
    detail: dict[str, Any],
    resources: list[str],
) -> None:
    EventsService(session, clock).emit(
        pipeline.account_id,
        pipeline.region,
        source="aws.sagemaker",
        detail_type=kind,
        detail={k: v for k, v in detail.items() if v is not None},
        resources=resources,
    )


def execution_changed(
    session: Session, clock: Clock, execution: PipelineExecution, previous: str | None
) -> None:
    """`… Execution Status Change` for an execution's new status."""
    pipeline = session.get(Pipeline, execution.pipeline_id)
    assert pipeline is not None
    ended = execution.status in ("Succeeded", "Failed", "Stopped")
    _send(
        session,
        clock,
        pipeline,
        EXECUTION_CHANGE,
        {
            "pipelineExecutionDisplayName": execution.display_name,
            "currentPipelineExecutionStatus": execution.status,
            "previousPipelineExecutionStatus": previous,
            "executionStartTime": _iso(execution.created_at),
            "executionEndTime": _iso(execution.modified_at) if ended else None,
            "pipelineExecutionDescription": execution.description,
            "pipelineArn": pipeline.arn,
            "pipelineExecutionArn": execution.arn,
        },
        [pipeline.arn, execution.arn],
    )


def step_changed(
    session: Session,
    clock: Clock,
    execution: PipelineExecution,
    step: ExecutionStep,
    previous: str | None,
) -> None:
    """`… Execution Step Status Change` for a step's new status."""
    pipeline = session.get(Pipeline, execution.pipeline_id)
    assert pipeline is not None
    metadata = {
        kind[0].lower() + kind[1:]: {k[0].lower() + k[1:]: v for k, v in value.items()}
        for kind, value in (step.metadata_ or {}).items()
    }
    _send(
        session,
        clock,
        pipeline,
        STEP_CHANGE,
        {
            "metadata": metadata,
            "stepStartTime": _iso(step.started_at),
            "stepEndTime": _iso(step.ended_at),
            "stepName": step.name,
            "stepType": step.type,
            "previousStepStatus": previous,
            "currentStepStatus": step.status,
            "failureReason": step.failure_reason,
            "pipelineArn": pipeline.arn,
            "pipelineExecutionArn": execution.arn,
        },
        [pipeline.arn, execution.arn],
    )
