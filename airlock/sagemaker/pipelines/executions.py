"""Pipeline execution operations: start, describe, list, steps, parameters, stop."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from airlock.core.api import WAKE_WORKERS, Output, Params, Resource
from airlock.core.context import RequestContext
from airlock.core.paging import paginate

from .. import errors
from ..operations import _bad_token, api
from ..registry import Registry, user_context
from .definition import parse_definition
from .events import execution_changed, step_changed
from .models import ExecutionStep, Pipeline, PipelineExecution
from .operations import _find, _pipeline


def _boolean(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueError(value)
    return value.lower() == "true"


CONVERT: dict[str, Callable[[str], Any]] = {
    "String": str,
    "Integer": int,
    "Float": float,
    "Boolean": _boolean,
}


def _execution_resource(svc: Registry, ctx: RequestContext, p: Params) -> list[Resource]:
    arn = str(p.get("PipelineExecutionArn", ""))
    return [Resource(arn.split("/execution/", 1)[0] if "/execution/" in arn else arn)]


def _execution(svc: Registry, ctx: RequestContext, arn: str) -> PipelineExecution:
    execution = svc.session.scalars(
        select(PipelineExecution).where(PipelineExecution.arn == arn)
    ).first()
    pipeline = svc.session.get(Pipeline, execution.pipeline_id) if execution else None
    if execution is None or pipeline is None or pipeline.account_id != ctx.account_id:
        raise errors.ResourceNotFound(f"Pipeline execution '{arn}' does not exist.")
    return execution


def _parameters(definition: str, given: list[dict[str, str]]) -> dict[str, Any]:
    declared = parse_definition(definition).parameters
    values: dict[str, Any] = {}
    for name, item in declared.items():
        if item.get("DefaultValue") is not None:
            values[name] = item["DefaultValue"]
    for entry in given:
        name = entry["Name"]
        if name not in declared:
            raise errors.SageMakerValidation(
                f"Pipeline parameter {name} is not defined by the pipeline. "
                f"Defined: {', '.join(sorted(declared)) or 'none'}."
            )
        kind = declared[name]["Type"]
        try:
            values[name] = CONVERT[kind](entry["Value"])
        except ValueError as error:
            raise errors.SageMakerValidation(
                f"Pipeline parameter {name}: {entry['Value']!r} is not of type {kind}."
            ) from error
    missing = sorted(set(declared) - set(values))
    if missing:
        raise errors.SageMakerValidation(
            f"Pipeline parameters without a default need a value: {', '.join(missing)}."
        )
    return values


@api.operation("sagemaker:StartPipelineExecution", resources=_pipeline)
def start_pipeline_execution(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Start an execution of the pipeline's current definition."""
    pipeline = _find(svc, ctx, p["PipelineName"])
    token = p.get("ClientRequestToken")
    if token:
        earlier = svc.session.scalars(
            select(PipelineExecution).where(
                PipelineExecution.pipeline_id == pipeline.id,
                PipelineExecution.client_token == token,
            )
        ).first()
        if earlier is not None:
            return {"PipelineExecutionArn": earlier.arn}
    values = _parameters(pipeline.definition, p.get("PipelineParameters") or [])
    execution_id = secrets.token_hex(6)
    execution = PipelineExecution(
        pipeline_id=pipeline.id,
        execution_id=execution_id,
        arn=f"{pipeline.arn}/execution/{execution_id}",
        display_name=p.get("PipelineExecutionDisplayName") or f"execution-{execution_id}",
        description=p.get("PipelineExecutionDescription"),
        definition=pipeline.definition,
        parameters=values,
        status="Executing",
        client_token=token,
        parallelism=p.get("ParallelismConfiguration"),
        created_at=ctx.time,
        created_by=user_context(ctx),
        modified_at=ctx.time,
    )
    pipeline.last_run_at = ctx.time
    svc.session.add(execution)
    svc.session.flush()
    execution_changed(svc.session, svc.clock, execution, None)
    svc.session.info[WAKE_WORKERS] = True
    return {"PipelineExecutionArn": execution.arn}


def execution_out(svc: Registry, execution: PipelineExecution) -> Output:
    """DescribePipelineExecution."""
    pipeline = svc.session.get(Pipeline, execution.pipeline_id)
    assert pipeline is not None
    out: Output = {
        "PipelineArn": pipeline.arn,
        "PipelineExecutionArn": execution.arn,
        "PipelineExecutionDisplayName": execution.display_name,
        "PipelineExecutionStatus": execution.status,
        "CreationTime": execution.created_at,
        "LastModifiedTime": execution.modified_at,
        "CreatedBy": execution.created_by,
        "LastModifiedBy": execution.created_by,
    }
    if execution.description:
        out["PipelineExecutionDescription"] = execution.description
    if execution.failure_reason:
        out["FailureReason"] = execution.failure_reason
    if execution.parallelism:
        out["ParallelismConfiguration"] = execution.parallelism
    return out


@api.operation("sagemaker:DescribePipelineExecution", resources=_execution_resource)
def describe_pipeline_execution(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """An execution's status."""
    return execution_out(svc, _execution(svc, ctx, p["PipelineExecutionArn"]))


@api.operation("sagemaker:ListPipelineExecutions", resources=_pipeline)
def list_pipeline_executions(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A pipeline's executions, newest first unless told otherwise."""
    pipeline = _find(svc, ctx, p["PipelineName"])
    rows = list(
        svc.session.scalars(
            select(PipelineExecution).where(PipelineExecution.pipeline_id == pipeline.id)
        )
    )
    rows.sort(
        key=lambda e: (e.created_at, e.id),
        reverse=(p.get("SortOrder") or "Descending") == "Descending",
    )
    summaries = [
        {
            "PipelineExecutionArn": e.arn,
            "StartTime": e.created_at,
            "PipelineExecutionStatus": e.status,
            "PipelineExecutionDisplayName": e.display_name,
            **({"PipelineExecutionFailureReason": e.failure_reason} if e.failure_reason else {}),
        }
        for e in rows
    ]
    page, token = paginate(summaries, p, default_max=50, bad_token=_bad_token)
    return {"PipelineExecutionSummaries": page, **({"NextToken": token} if token else {})}


@api.operation(
    "sagemaker:ListPipelineExecutionSteps",
    resources=_execution_resource,
    required=["PipelineExecutionArn"],  # optional in botocore's model, not in SageMaker
)
def list_pipeline_execution_steps(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """An execution's steps, newest first (as SageMaker lists them) unless told otherwise."""
    execution = _execution(svc, ctx, p["PipelineExecutionArn"])
    rows = list(
        svc.session.scalars(select(ExecutionStep).where(ExecutionStep.execution_id == execution.id))
    )
    rows.sort(
        key=lambda r: (r.started_at, r.id),
        reverse=(p.get("SortOrder") or "Descending") == "Descending",
    )
    steps = []
    for row in rows:
        step: dict[str, Any] = {
            "StepName": row.name,
            "StepDisplayName": row.name,
            "StartTime": row.started_at,
            "StepStatus": row.status,
            "Metadata": row.metadata_,
            "AttemptCount": row.attempts,
        }
        if row.ended_at:
            step["EndTime"] = row.ended_at
        if row.failure_reason:
            step["FailureReason"] = row.failure_reason
        if row.cache_source:
            step["CacheHitResult"] = {"SourcePipelineExecutionArn": row.cache_source}
        steps.append(step)
    page, token = paginate(steps, p, default_max=50, bad_token=_bad_token)
    return {"PipelineExecutionSteps": page, **({"NextToken": token} if token else {})}


@api.operation("sagemaker:ListPipelineParametersForExecution", resources=_execution_resource)
def list_pipeline_parameters_for_execution(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """The parameter values an execution ran with (defaults included)."""
    execution = _execution(svc, ctx, p["PipelineExecutionArn"])
    items = [
        {"Name": k, "Value": str(v).lower() if isinstance(v, bool) else str(v)}
        for k, v in execution.parameters.items()
    ]
    page, token = paginate(items, p, default_max=50, bad_token=_bad_token)
    return {"PipelineParameters": page, **({"NextToken": token} if token else {})}


@api.operation("sagemaker:DescribePipelineDefinitionForExecution", resources=_execution_resource)
def describe_pipeline_definition_for_execution(
    svc: Registry, ctx: RequestContext, p: Params
) -> Output:
    """The definition an execution began with (later updates do not change it)."""
    execution = _execution(svc, ctx, p["PipelineExecutionArn"])
    return {"PipelineDefinition": execution.definition, "CreationTime": execution.created_at}


@api.operation("sagemaker:StopPipelineExecution", resources=_execution_resource)
def stop_pipeline_execution(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Stop an execution: its running jobs are stopped, no new step starts."""
    execution = _execution(svc, ctx, p["PipelineExecutionArn"])
    if execution.status != "Executing":
        raise errors.SageMakerValidation(
            f"Pipeline execution {execution.arn} is {execution.status} and cannot be stopped."
        )
    execution.status = "Stopping"
    execution.modified_at = ctx.time
    svc.session.info[WAKE_WORKERS] = True
    return {"PipelineExecutionArn": execution.arn}


@api.operation("sagemaker:RetryPipelineExecution", resources=_execution_resource)
def retry_pipeline_execution(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Run a Failed or Stopped execution on: its failed and stopped steps run again."""
    execution = _execution(svc, ctx, p["PipelineExecutionArn"])
    token = p.get("ClientRequestToken")
    if token and execution.retry_token == token:
        return {"PipelineExecutionArn": execution.arn}
    if execution.status not in ("Failed", "Stopped"):
        raise errors.SageMakerValidation(
            f"Pipeline execution {execution.arn} is {execution.status}: only a Failed or Stopped "
            "execution can be retried."
        )
    for row in svc.session.scalars(
        select(ExecutionStep).where(
            ExecutionStep.execution_id == execution.id,
            ExecutionStep.status.in_(("Failed", "Stopped")),
        )
    ):
        previous = row.status
        row.status = "Executing"
        row.retry_at = ctx.time
        row.failure_reason = None
        row.ended_at = None
        svc.session.flush()
        step_changed(svc.session, svc.clock, execution, row, previous)
    previous = execution.status
    execution.status = "Executing"
    execution.failure_reason = None
    execution.modified_at = ctx.time
    execution.retry_token = token
    if p.get("ParallelismConfiguration"):
        execution.parallelism = p["ParallelismConfiguration"]
    execution_changed(svc.session, svc.clock, execution, previous)
    svc.session.info[WAKE_WORKERS] = True
    return {"PipelineExecutionArn": execution.arn}
