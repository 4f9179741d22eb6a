"""The execution operations: start, stop, retry, approve, and stage transitions."""

from __future__ import annotations

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext

from .errors import (
    ActionNotFound,
    ApprovalAlreadyCompleted,
    CodePipelineValidation,
    Conflict,
    DuplicatedStopRequest,
    InvalidApprovalToken,
    NotLatestPipelineExecution,
    PipelineExecutionNotStoppable,
    StageNotRetryable,
)
from .events import emit_pipeline
from .models import ActionExecution, Pipeline, PipelineExecution
from .operations import (
    _action_resource,
    _pipeline_resource,
    _stage_resource,
    _wake,
    api,
    pipeline_variables,
)
from .service import ACTIVE, CodePipelineService

REVISION_TYPES = ("COMMIT_ID", "IMAGE_DIGEST", "S3_OBJECT_VERSION_ID", "S3_OBJECT_KEY")


def start(
    svc: CodePipelineService, pipeline: Pipeline, trigger: dict[str, str], p: Params
) -> PipelineExecution:
    """A new execution from StartPipelineExecution's input (and its clientRequestToken)."""
    token = p.get("clientRequestToken")
    if token:
        earlier = svc.by_token(pipeline, str(token))
        if earlier is not None:
            return earlier
    variables = pipeline_variables(pipeline.declaration, list(p.get("variables") or []))
    sources = {a["name"] for a in pipeline.declaration["stages"][0]["actions"]}
    revisions = list(p.get("sourceRevisions") or [])
    for revision in revisions:
        if revision["actionName"] not in sources:
            raise CodePipelineValidation(
                f"Source revision action '{revision['actionName']}' is not a source action of "
                f"pipeline '{pipeline.name}'"
            )
    ex = svc.start_execution(pipeline, trigger, variables, token=token, revisions=revisions)
    _wake(svc)
    return ex


@api.operation("codepipeline:StartPipelineExecution", resources=_pipeline_resource)
def start_pipeline_execution(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """Start an execution (the same one again for a clientRequestToken used before)."""
    pipeline = svc.require_pipeline(ctx.account_id, ctx.region, p["name"])
    trigger = {"triggerType": "StartPipelineExecution", "triggerDetail": ctx.principal.arn}
    return {"pipelineExecutionId": start(svc, pipeline, trigger, p).execution_id}


@api.operation("codepipeline:StopPipelineExecution", resources=_pipeline_resource)
def stop_pipeline_execution(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """Stop: let the running actions finish (Stopping, then Stopped), or abandon them."""
    pipeline = svc.require_pipeline(ctx.account_id, ctx.region, p["pipelineName"])
    ex = svc.execution(pipeline, p["pipelineExecutionId"], lock=True)
    abandon = bool(p.get("abandon"))
    if ex.status == "Stopping" and not abandon:
        raise DuplicatedStopRequest(
            f"Pipeline execution {ex.execution_id} is already stopping: stop it with abandon to "
            "abandon its running actions"
        )
    if ex.status not in ACTIVE:
        raise PipelineExecutionNotStoppable(
            f"Unable to stop pipeline execution {ex.execution_id}: its status is {ex.status}"
        )
    ex.stop_reason = str(p.get("reason") or "")
    if ex.at_entry:
        ex.status = "Stopped"
        ex.updated_at = svc.clock.now()
        emit_pipeline(svc.session, svc.clock, ex)
    else:
        if ex.status != "Stopping":
            ex.status = "Stopping"
            ex.updated_at = svc.clock.now()
            emit_pipeline(svc.session, svc.clock, ex)
        stage = svc.current_stage(ex)
        if abandon and stage is not None:
            for action in svc.stage_actions(stage):
                if action.status == "InProgress":
                    svc.set_action(ex, action, "Abandoned")
                    action.abandon_pending = True
    _wake(svc)
    return {"pipelineExecutionId": ex.execution_id}


@api.operation("codepipeline:RetryStageExecution", resources=_pipeline_resource)
def retry_stage_execution(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """Run a failed or stopped stage again: its failed actions only, or all of them."""
    pipeline = svc.require_pipeline(ctx.account_id, ctx.region, p["pipelineName"])
    svc.require_stage(pipeline, p["stageName"])
    ex = svc.execution(pipeline, p["pipelineExecutionId"], lock=True)
    stage = svc.current_stage(ex) if not ex.at_entry else None
    if (
        ex.status not in ("Failed", "Stopped")
        or stage is None
        or stage.stage_name != p["stageName"]
        or stage.status not in ("Failed", "Stopped")
    ):
        raise StageNotRetryable(
            f"Stage '{p['stageName']}' of pipeline execution {ex.execution_id} is not in a "
            "retryable state: only a failed or stopped stage can be retried"
        )
    latest = svc.latest_stage_run(pipeline, p["stageName"])
    if latest is not None and latest.id != stage.id:
        raise NotLatestPipelineExecution(
            f"Pipeline execution {ex.execution_id} is not the latest execution of stage "
            f"'{p['stageName']}'"
        )
    for other in svc.executions(pipeline, active_only=True):
        if other.stage_index == ex.stage_index and not other.at_entry:
            raise Conflict(
                f"Stage '{p['stageName']}' is in use by pipeline execution {other.execution_id}"
            )
    ex.status = "InProgress"
    ex.status_summary = None
    ex.stop_reason = None
    emit_pipeline(svc.session, svc.clock, ex, "RESUMED")
    svc.enter_stage(ex, p["retryMode"])
    _wake(svc)
    return {"pipelineExecutionId": ex.execution_id}


def _approval_row(svc: CodePipelineService, pipeline: Pipeline, p: Params) -> ActionExecution:
    stage = svc.require_stage(pipeline, p["stageName"])
    if not any(a["name"] == p["actionName"] for a in stage["actions"]):
        raise ActionNotFound(
            f"Action '{p['actionName']}' not found in stage '{p['stageName']}' of pipeline "
            f"'{pipeline.name}'"
        )
    from sqlalchemy import select

    row = svc.session.scalars(
        select(ActionExecution)
        .where(
            ActionExecution.pipeline_pk == pipeline.id,
            ActionExecution.stage_name == p["stageName"],
            ActionExecution.action_name == p["actionName"],
            ActionExecution.token == p["token"],
        )
        .with_for_update()
    ).first()
    if row is None:
        raise InvalidApprovalToken(
            f"The approval token {p['token']} is not valid for action '{p['actionName']}' in "
            f"stage '{p['stageName']}'"
        )
    if row.status != "InProgress":
        raise ApprovalAlreadyCompleted(
            f"The approval action '{p['actionName']}' has already been completed"
        )
    return row


@api.operation("codepipeline:PutApprovalResult", resources=_action_resource)
def put_approval_result(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """Approve or reject a waiting approval; who, when and the summary are recorded."""
    pipeline = svc.require_pipeline(ctx.account_id, ctx.region, p["pipelineName"])
    row = _approval_row(svc, pipeline, p)
    ex = svc.session.get(PipelineExecution, row.execution_pk)
    assert ex is not None
    result = p["result"]
    row.summary = result["summary"]
    row.updated_by = ctx.principal.arn
    if result["status"] == "Approved":
        svc.set_action(ex, row, "Succeeded")
    else:
        row.error_code = "JobFailed"
        row.error_message = f"Rejected by {ctx.principal.arn}: {result['summary']}"
        svc.set_action(ex, row, "Failed")
    _wake(svc)
    return {"approvedAt": row.updated_at}


def _transition_stage(svc: CodePipelineService, pipeline: Pipeline, p: Params) -> str:
    """The stage whose inbound transition the call changes (Outbound: the next stage's)."""
    svc.require_stage(pipeline, p["stageName"])
    names = svc.stage_names(pipeline)
    if p["transitionType"] == "Inbound":
        return str(p["stageName"])
    index = names.index(p["stageName"])
    if index + 1 >= len(names):
        raise CodePipelineValidation(
            f"Stage '{p['stageName']}' is the last stage: it has no outbound transition"
        )
    return names[index + 1]


@api.operation("codepipeline:DisableStageTransition", resources=_stage_resource)
def disable_stage_transition(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """Hold executions at a stage's entry."""
    pipeline = svc.require_pipeline(ctx.account_id, ctx.region, p["pipelineName"])
    stage = _transition_stage(svc, pipeline, p)
    pipeline.disabled_transitions = {
        **pipeline.disabled_transitions,
        stage: {
            "lastChangedBy": ctx.principal.arn,
            "lastChangedAt": svc.clock.now().isoformat(),
            "disabledReason": p["reason"],
        },
    }
    return {}


@api.operation("codepipeline:EnableStageTransition", resources=_stage_resource)
def enable_stage_transition(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """Let executions into the stage again."""
    pipeline = svc.require_pipeline(ctx.account_id, ctx.region, p["pipelineName"])
    stage = _transition_stage(svc, pipeline, p)
    pipeline.disabled_transitions = {
        k: v for k, v in pipeline.disabled_transitions.items() if k != stage
    }
    _wake(svc)
    return {}
