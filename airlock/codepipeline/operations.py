"""CodePipeline operations (JSON 1.1, `CodePipeline_20150709`): pipelines, executions, state."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import WAKE_WORKERS, Output, Params, Resource, ServiceApi
from airlock.core.context import RequestContext
from airlock.core.paging import paginate
from airlock.core.pipeline_actions import ActionProvider
from airlock.sts import ServiceAccessDenied, assume_role_for_service

from .approval import OWN_TYPES
from .errors import CodePipelineValidation, InvalidNextToken, InvalidStructure
from .events import pipeline_arn
from .service import CodePipelineService
from .structure import check_declaration, roles_of
from .views import action_detail_out, execution_out, state_out, summary_out

PRINCIPAL = "codepipeline.amazonaws.com"


def known_types(platform: Any) -> dict[str, ActionProvider]:
    """Every action type: the services' registered ones and the engine's own."""
    calls = getattr(platform, "calls", None)
    registered: Mapping[str, ActionProvider] = calls.pipeline_actions if calls else {}
    return {**registered, **OWN_TYPES}


def _factory(platform: Any, session: Session) -> CodePipelineService:
    return CodePipelineService(session, platform.clock, known_types(platform))


api: ServiceApi[CodePipelineService] = ServiceApi("codepipeline", _factory)


def _pipeline_resource(svc: CodePipelineService, ctx: RequestContext, p: Params) -> list[Resource]:
    declared = p.get("pipeline")
    name = p.get("name") or p.get("pipelineName") or (declared or {}).get("name") or "*"
    return [Resource(pipeline_arn(ctx.account_id, ctx.region, str(name)))]


def _action_resource(svc: CodePipelineService, ctx: RequestContext, p: Params) -> list[Resource]:
    arn = pipeline_arn(ctx.account_id, ctx.region, str(p["pipelineName"]))
    return [Resource(f"{arn}/{p['stageName']}/{p['actionName']}")]


def _stage_resource(svc: CodePipelineService, ctx: RequestContext, p: Params) -> list[Resource]:
    arn = pipeline_arn(ctx.account_id, ctx.region, str(p["pipelineName"]))
    return [Resource(f"{arn}/{p['stageName']}")]


def _tagged_resource(svc: CodePipelineService, ctx: RequestContext, p: Params) -> list[Resource]:
    return [Resource(str(p["resourceArn"]))]


def _passed_roles(p: Params) -> list[str]:
    """The roles of the pipeline's account: an action role of another account is not passed
    but assumed, and its own trust policy decides (as for cross-account actions on AWS)."""
    roles = roles_of(p.get("pipeline") or {})
    home = str((p.get("pipeline") or {}).get("roleArn") or "").split(":")[4:5]
    return [r for r in roles if r.split(":")[4:5] == home]


def _wake(svc: CodePipelineService) -> None:
    svc.session.info[WAKE_WORKERS] = True


def _check_role(svc: CodePipelineService, ctx: RequestContext, declaration: Params) -> None:
    """CodePipeline must be able to assume the pipeline's role, as CreatePipeline checks."""
    role = declaration["roleArn"]
    try:
        assume_role_for_service(
            svc.session,
            svc.clock,
            service_principal=PRINCIPAL,
            role_arn=role,
            session_name="codepipeline-check",
            source_account=ctx.account_id,
        )
    except ServiceAccessDenied as error:
        raise InvalidStructure(
            f"CodePipeline is not authorized to perform AssumeRole on role {role}"
        ) from error


def _declaration_out(pipeline: Any) -> Output:
    return {**copy.deepcopy(pipeline.declaration), "version": pipeline.version}


def pipeline_variables(declaration: Params, given: list[dict[str, str]]) -> list[dict[str, str]]:
    """The execution's variables: the given values over the declared defaults."""
    declared = {v["name"]: v for v in declaration.get("variables") or []}
    values: dict[str, str] = {}
    for variable in given:
        if variable["name"] not in declared:
            raise CodePipelineValidation(
                f"Variable '{variable['name']}' is not declared in the pipeline"
            )
        values[variable["name"]] = variable["value"]
    out = []
    for name, variable in declared.items():
        if name in values:
            out.append({"name": name, "resolvedValue": values[name]})
        elif "defaultValue" in variable:
            out.append({"name": name, "resolvedValue": variable["defaultValue"]})
        else:
            raise CodePipelineValidation(
                f"Variable '{name}' has no default value and StartPipelineExecution gave none"
            )
    return out


@api.operation(
    "codepipeline:CreatePipeline",
    resources=_pipeline_resource,
    passes_role=(PRINCIPAL, _passed_roles),
)
def create_pipeline(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """A new pipeline; its first execution starts at once with trigger CreatePipeline."""
    declaration = check_declaration(p["pipeline"], svc.known, ctx.region)
    _check_role(svc, ctx, declaration)
    tags = list(p.get("tags") or [])
    pipeline = svc.create_pipeline(ctx.account_id, ctx.region, declaration, tags)
    variables = pipeline_variables(declaration, [])
    trigger = {"triggerType": "CreatePipeline", "triggerDetail": ctx.principal.arn}
    svc.start_execution(pipeline, trigger, variables)
    _wake(svc)
    out: Output = {"pipeline": _declaration_out(pipeline)}
    if tags:
        out["tags"] = tags
    return out


@api.operation(
    "codepipeline:UpdatePipeline",
    resources=_pipeline_resource,
    passes_role=(PRINCIPAL, _passed_roles),
)
def update_pipeline(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """The next version of the pipeline; executions in flight end Cancelled."""
    pipeline = svc.require_pipeline(ctx.account_id, ctx.region, p["pipeline"]["name"])
    declaration = check_declaration(p["pipeline"], svc.known, ctx.region)
    _check_role(svc, ctx, declaration)
    svc.update_pipeline(pipeline, declaration)
    _wake(svc)
    return {"pipeline": _declaration_out(pipeline)}


@api.operation("codepipeline:GetPipeline", resources=_pipeline_resource)
def get_pipeline(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """The pipeline's declaration (of `version`, or the current one) and metadata."""
    from .errors import PipelineVersionNotFound

    pipeline = svc.require_pipeline(ctx.account_id, ctx.region, p["name"])
    declaration = _declaration_out(pipeline)
    if p.get("version") is not None and int(p["version"]) != pipeline.version:
        old = pipeline.history.get(str(p["version"]))
        if old is None:
            raise PipelineVersionNotFound(
                f"Pipeline '{pipeline.name}' has no version {p['version']}"
            )
        declaration = {**copy.deepcopy(old), "version": int(p["version"])}
    return {
        "pipeline": declaration,
        "metadata": {
            "pipelineArn": pipeline.arn,
            "created": pipeline.created_at,
            "updated": pipeline.updated_at,
        },
    }


@api.operation("codepipeline:DeletePipeline", resources=_pipeline_resource)
def delete_pipeline(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """Delete the pipeline (one that does not exist is no error, as AWS answers)."""
    pipeline = svc.pipeline(ctx.account_id, ctx.region, p["name"])
    if pipeline is not None:
        svc.delete_pipeline(pipeline)
        _wake(svc)
    return {}


def _page(items: list[Any], p: Params, default_max: int = 100) -> tuple[list[Any], str | None]:
    return paginate(
        items,
        p,
        default_max=default_max,
        bad_token=lambda: InvalidNextToken("The next token is not valid"),
        token_key="nextToken",
        max_key="maxResults",
    )


@api.operation("codepipeline:ListPipelines")
def list_pipelines(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """Summaries of the account's pipelines, by name."""
    summaries = [
        {
            "name": r.name,
            "version": r.version,
            "pipelineType": r.declaration.get("pipelineType", "V1"),
            "executionMode": r.declaration.get("executionMode", "SUPERSEDED"),
            "created": r.created_at,
            "updated": r.updated_at,
        }
        for r in svc.pipelines(ctx.account_id, ctx.region)
    ]
    page, token = _page(summaries, p, 1000)
    out: Output = {"pipelines": page}
    if token:
        out["nextToken"] = token
    return out


@api.operation("codepipeline:ListActionTypes")
def list_action_types(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """The action types there are (the services' and the engine's own)."""
    types = []
    for provider in sorted(svc.known.values(), key=lambda t: (t.category, t.provider)):
        if p.get("actionOwnerFilter") and provider.owner != p["actionOwnerFilter"]:
            continue
        types.append(
            {
                "id": {
                    "category": provider.category,
                    "owner": provider.owner,
                    "provider": provider.provider,
                    "version": provider.version,
                },
                "settings": {},
                "actionConfigurationProperties": [
                    {
                        "name": c.name,
                        "required": c.required,
                        "key": True,
                        "secret": c.secret,
                        "queryable": False,
                    }
                    for c in provider.configuration
                ],
                "inputArtifactDetails": {
                    "minimumCount": provider.input_artifacts[0],
                    "maximumCount": provider.input_artifacts[1],
                },
                "outputArtifactDetails": {
                    "minimumCount": provider.output_artifacts[0],
                    "maximumCount": provider.output_artifacts[1],
                },
            }
        )
    return {"actionTypes": types}


@api.operation("codepipeline:GetPipelineState", resources=_pipeline_resource)
def get_pipeline_state(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """Each stage's latest execution, inbound transition and actions."""
    pipeline = svc.require_pipeline(ctx.account_id, ctx.region, p["name"])
    return state_out(svc.session, pipeline)


@api.operation("codepipeline:GetPipelineExecution", resources=_pipeline_resource)
def get_pipeline_execution(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """One execution."""
    pipeline = svc.require_pipeline(ctx.account_id, ctx.region, p["pipelineName"])
    return {"pipelineExecution": execution_out(svc.execution(pipeline, p["pipelineExecutionId"]))}


@api.operation("codepipeline:ListPipelineExecutions", resources=_pipeline_resource)
def list_pipeline_executions(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """The pipeline's executions, newest first."""
    pipeline = svc.require_pipeline(ctx.account_id, ctx.region, p["pipelineName"])
    executions = svc.executions(pipeline, summaries=True)
    wanted = ((p.get("filter") or {}).get("succeededInStage") or {}).get("stageName")
    if wanted:
        executions = [e for e in executions if svc.succeeded_in(e, wanted)]
    page, token = _page([summary_out(e) for e in executions], p)
    out: Output = {"pipelineExecutionSummaries": page}
    if token:
        out["nextToken"] = token
    return out


@api.operation("codepipeline:ListActionExecutions", resources=_pipeline_resource)
def list_action_executions(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """Action executions, newest first (of one execution with the filter)."""
    pipeline = svc.require_pipeline(ctx.account_id, ctx.region, p["pipelineName"])
    execution_id = (p.get("filter") or {}).get("pipelineExecutionId")
    executions = (
        [svc.execution(pipeline, execution_id)] if execution_id else svc.executions(pipeline)
    )
    details = []
    for ex in executions:
        for action in reversed(svc.all_actions(ex)):
            details.append((action.id, action_detail_out(ex, action)))
    details.sort(key=lambda d: -d[0])
    page, token = _page([d for _, d in details], p)
    out: Output = {"actionExecutionDetails": page}
    if token:
        out["nextToken"] = token
    return out


def _tagged_pipeline(svc: CodePipelineService, ctx: RequestContext, arn: str) -> Any:
    from .errors import InvalidArn, ResourceNotFound

    parts = arn.split(":")
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "codepipeline"]:
        raise InvalidArn(f"The ARN {arn} is not valid")
    pipeline = svc.pipeline(parts[4], parts[3], parts[5])
    if pipeline is None or parts[4] != ctx.account_id:
        raise ResourceNotFound(f"The resource with the ARN {arn} does not exist")
    return pipeline


@api.operation("codepipeline:TagResource", resources=_tagged_resource)
def tag_resource(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """Add or replace tags of a pipeline."""
    pipeline = _tagged_pipeline(svc, ctx, p["resourceArn"])
    tags = {t["key"]: t["value"] for t in pipeline.tags}
    tags.update({t["key"]: t["value"] for t in p["tags"]})
    pipeline.tags = [{"key": k, "value": v} for k, v in tags.items()]
    return {}


@api.operation("codepipeline:UntagResource", resources=_tagged_resource)
def untag_resource(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """Remove tags of a pipeline by key."""
    pipeline = _tagged_pipeline(svc, ctx, p["resourceArn"])
    pipeline.tags = [t for t in pipeline.tags if t["key"] not in set(p["tagKeys"])]
    return {}


@api.operation("codepipeline:ListTagsForResource", resources=_tagged_resource)
def list_tags_for_resource(svc: CodePipelineService, ctx: RequestContext, p: Params) -> Output:
    """A pipeline's tags."""
    pipeline = _tagged_pipeline(svc, ctx, p["resourceArn"])
    page, token = _page(list(pipeline.tags), p)
    out: Output = {"tags": page}
    if token:
        out["nextToken"] = token
    return out


# The execution operations are in `executions.py`; importing it registers them.
from . import executions as _executions  # noqa: E402,F401
