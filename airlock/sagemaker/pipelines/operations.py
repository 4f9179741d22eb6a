"""Pipeline operations: create, describe, list, update, delete (definitions checked first)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_

from airlock.core.api import Output, Params, role_members
from airlock.core.context import RequestContext
from airlock.core.paging import paginate
from airlock.s3.access import ObjectAccess, ObjectAccessError, S3Url

from .. import errors
from ..jobs import SAGEMAKER, find_job, job_arn, job_resource, listed_jobs
from ..models import SageMakerTag
from ..operations import _bad_token, _tag, api
from ..registry import Registry, user_context
from .definition import InvalidDefinition, parse_definition
from .models import Pipeline

KIND = "pipeline"
DEFINITION = "@definition"
_pipeline = job_resource(KIND, "PipelineName")


def _load_definition(platform: Any, ctx: RequestContext, p: Params) -> Any:
    """Before the transaction: the definition (read from S3 as the caller if need be), checked."""
    text = p.get("PipelineDefinition")
    location = p.get("PipelineDefinitionS3Location")
    if text is None and location is not None:
        url = S3Url(location["Bucket"], location["ObjectKey"])
        try:
            text = b"".join(ObjectAccess(platform, ctx).read(url)).decode()
        except (ObjectAccessError, UnicodeDecodeError) as error:
            raise errors.SageMakerValidation(
                f"Could not read the pipeline definition at {url}: {error}"
            ) from error
    if text is not None:
        try:
            parse_definition(text)
        except InvalidDefinition as error:
            raise errors.SageMakerValidation(f"Invalid pipeline definition: {error}") from error
        p[DEFINITION] = text
    return lambda: None


def _find(svc: Registry, ctx: RequestContext, name: str) -> Pipeline:
    pipeline = find_job(svc, Pipeline, ctx, name.rsplit("/", 1)[-1])
    if pipeline is None:
        raise errors.ResourceNotFound(f"Pipeline '{job_arn(ctx, KIND, name)}' does not exist.")
    return pipeline


@api.operation(
    "sagemaker:CreatePipeline",
    resources=_pipeline,
    stage=_load_definition,
    passes_role=role_members(SAGEMAKER, "RoleArn"),
)
def create_pipeline(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A pipeline from a checked definition."""
    name = p["PipelineName"]
    existing = find_job(svc, Pipeline, ctx, name)
    if existing is not None:
        if p.get("ClientRequestToken") and existing.client_token == p["ClientRequestToken"]:
            return {"PipelineArn": existing.arn}
        # AWS answers ValidationException here; the SDK's upsert() relies on "already exists".
        raise errors.SageMakerValidation(
            "Pipeline names must be unique within an AWS account and region. Pipeline with "
            f"name ({existing.name}) already exists."
        )
    if DEFINITION not in p:
        raise errors.SageMakerValidation(
            "Either PipelineDefinition or PipelineDefinitionS3Location must be specified."
        )
    pipeline = Pipeline(
        account_id=ctx.account_id,
        region=ctx.region,
        name=name,
        arn=job_arn(ctx, KIND, name),
        display_name=p.get("PipelineDisplayName") or name,
        description=p.get("PipelineDescription"),
        definition=p[DEFINITION],
        role_arn=p["RoleArn"],
        parallelism=p.get("ParallelismConfiguration"),
        client_token=p.get("ClientRequestToken"),
        created_at=ctx.time,
        created_by=user_context(ctx),
        modified_at=ctx.time,
        modified_by=user_context(ctx),
    )
    svc.session.add(pipeline)
    svc.session.flush()
    _tag(svc, pipeline.arn, p.get("Tags") or [])
    return {"PipelineArn": pipeline.arn}


def pipeline_out(pipeline: Pipeline) -> Output:
    """DescribePipeline."""
    out: Output = {
        "PipelineArn": pipeline.arn,
        "PipelineName": pipeline.name,
        "PipelineDisplayName": pipeline.display_name,
        "PipelineDefinition": pipeline.definition,
        "RoleArn": pipeline.role_arn,
        "PipelineStatus": "Active",
        "CreationTime": pipeline.created_at,
        "LastModifiedTime": pipeline.modified_at,
        "CreatedBy": pipeline.created_by,
        "LastModifiedBy": pipeline.modified_by,
    }
    for member, value in (
        ("PipelineDescription", pipeline.description),
        ("ParallelismConfiguration", pipeline.parallelism),
        ("LastRunTime", pipeline.last_run_at),
    ):
        if value is not None:
            out[member] = value
    return out


@api.operation("sagemaker:DescribePipeline", resources=_pipeline)
def describe_pipeline(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A pipeline and its definition."""
    return pipeline_out(_find(svc, ctx, p["PipelineName"]))


@api.operation("sagemaker:ListPipelines")
def list_pipelines(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """The account's pipelines (by CreationTime, Ascending, unless told otherwise)."""
    query = {
        "NameContains": "",
        "CreationTimeAfter": p.get("CreatedAfter"),
        "CreationTimeBefore": p.get("CreatedBefore"),
        "SortBy": {"Name": "Name", "CreationTime": "CreationTime"}.get(p.get("SortBy") or ""),
        "SortOrder": p.get("SortOrder"),
    }
    prefix = p.get("PipelineNamePrefix") or ""
    pipelines = [x for x in listed_jobs(svc, Pipeline, ctx, query) if x.name.startswith(prefix)]
    summaries = []
    for pipeline in pipelines:
        summary: dict[str, Any] = {
            "PipelineArn": pipeline.arn,
            "PipelineName": pipeline.name,
            "PipelineDisplayName": pipeline.display_name,
            "RoleArn": pipeline.role_arn,
            "CreationTime": pipeline.created_at,
            "LastModifiedTime": pipeline.modified_at,
        }
        if pipeline.description:
            summary["PipelineDescription"] = pipeline.description
        if pipeline.last_run_at:
            summary["LastExecutionTime"] = pipeline.last_run_at
        summaries.append(summary)
    page, token = paginate(summaries, p, default_max=50, bad_token=_bad_token)
    return {"PipelineSummaries": page, **({"NextToken": token} if token else {})}


@api.operation(
    "sagemaker:UpdatePipeline",
    resources=_pipeline,
    stage=_load_definition,
    passes_role=role_members(SAGEMAKER, "RoleArn"),
)
def update_pipeline(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A new definition, role or description (executions keep the definition they began with)."""
    pipeline = _find(svc, ctx, p["PipelineName"])
    if DEFINITION in p:
        pipeline.definition = p[DEFINITION]
    for member, column in (
        ("PipelineDisplayName", "display_name"),
        ("PipelineDescription", "description"),
        ("RoleArn", "role_arn"),
        ("ParallelismConfiguration", "parallelism"),
    ):
        if p.get(member) is not None:
            setattr(pipeline, column, p[member])
    pipeline.version += 1
    pipeline.modified_at = ctx.time
    pipeline.modified_by = user_context(ctx)
    return {"PipelineArn": pipeline.arn, "PipelineVersionId": pipeline.version}


@api.operation("sagemaker:DeletePipeline", resources=_pipeline)
def delete_pipeline(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Delete a pipeline."""
    pipeline = _find(svc, ctx, p["PipelineName"])
    # Its tags and its executions' go with it: a pipeline made again under the name
    # starts untagged.
    svc.session.execute(
        delete(SageMakerTag).where(
            or_(
                SageMakerTag.resource_arn == pipeline.arn,
                SageMakerTag.resource_arn.startswith(f"{pipeline.arn}/execution/", autoescape=True),
            )
        )
    )
    svc.session.delete(pipeline)
    return {"PipelineArn": pipeline.arn}
