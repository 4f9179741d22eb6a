"""Processing job operations: create, describe, list and stop."""

from __future__ import annotations

from typing import Any

from airlock.core.api import WAKE_WORKERS, Output, Params, role_members
from airlock.core.context import RequestContext
from airlock.core.paging import paginate

from .. import errors
from ..jobs import SAGEMAKER, check_role, find_job, job_arn, job_resource, listed_jobs, request_stop
from ..operations import _bad_token, _tag, api
from ..registry import Registry
from .models import ProcessingJob
from .runner import PROCESSING_ROOT

KIND = "processing-job"
_job_resource = job_resource(KIND, "ProcessingJobName")


def _find(svc: Registry, ctx: RequestContext, name: str) -> ProcessingJob:
    job = find_job(svc, ProcessingJob, ctx, name)
    if job is None:
        raise errors.ResourceNotFound(
            f"Could not find processing job '{job_arn(ctx, KIND, name)}'."
        )
    return job


def _check_paths(p: Params) -> None:
    paths = [i["S3Input"]["LocalPath"] for i in p.get("ProcessingInputs") or [] if "S3Input" in i]
    outputs = (p.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    paths += [o["S3Output"]["LocalPath"] for o in outputs if "S3Output" in o]
    for path in paths:
        if not path.startswith(PROCESSING_ROOT) or ".." in path.split("/"):
            raise errors.SageMakerValidation(
                f"LocalPath {path} is not valid: it must be a path under {PROCESSING_ROOT}."
            )


@api.operation(
    "sagemaker:CreateProcessingJob",
    resources=_job_resource,
    passes_role=role_members(SAGEMAKER, "RoleArn"),
)
def create_processing_job(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Accept a job; the runner takes it from InProgress."""
    name = p["ProcessingJobName"]
    if find_job(svc, ProcessingJob, ctx, name) is not None:
        raise errors.ResourceInUse(f"Job name must be unique: {job_arn(ctx, KIND, name)} exists.")
    if p["ProcessingResources"]["ClusterConfig"].get("InstanceCount", 1) > 1:
        raise errors.SageMakerValidation(
            "InstanceCount > 1 is not supported for processing jobs in Airlock: every instance "
            "would process all of the data. Use 1."
        )
    _check_paths(p)
    check_role(svc, ctx, p["RoleArn"], job_arn(ctx, KIND, name))
    job = ProcessingJob(
        account_id=ctx.account_id,
        region=ctx.region,
        name=name,
        arn=job_arn(ctx, KIND, name),
        spec={k: v for k, v in p.items() if k not in ("ProcessingJobName", "Tags")},
        status="InProgress",
        created_at=ctx.time,
        modified_at=ctx.time,
    )
    svc.session.add(job)
    svc.session.flush()
    _tag(svc, job.arn, p.get("Tags") or [])
    svc.session.info[WAKE_WORKERS] = True
    return {"ProcessingJobArn": job.arn}


def job_out(job: ProcessingJob) -> Output:
    """DescribeProcessingJob."""
    out: Output = {
        "ProcessingJobName": job.name,
        "ProcessingJobArn": job.arn,
        "ProcessingJobStatus": job.status,
        "CreationTime": job.created_at,
        "LastModifiedTime": job.modified_at,
        **job.spec,
    }
    for member, value in (
        ("FailureReason", job.failure_reason),
        ("ExitMessage", job.exit_message),
        ("ProcessingStartTime", job.started_at),
        ("ProcessingEndTime", job.ended_at),
    ):
        if value is not None:
            out[member] = value
    return out


@api.operation("sagemaker:DescribeProcessingJob", resources=_job_resource)
def describe_processing_job(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A processing job and what became of it."""
    return job_out(_find(svc, ctx, p["ProcessingJobName"]))


@api.operation("sagemaker:ListProcessingJobs")
def list_processing_jobs(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """The account's processing jobs, filtered and sorted."""
    ordered = listed_jobs(svc, ProcessingJob, ctx, p)
    summaries: list[dict[str, Any]] = []
    for j in ordered:
        summary: dict[str, Any] = {
            "ProcessingJobName": j.name,
            "ProcessingJobArn": j.arn,
            "CreationTime": j.created_at,
            "LastModifiedTime": j.modified_at,
            "ProcessingJobStatus": j.status,
        }
        if j.ended_at:
            summary["ProcessingEndTime"] = j.ended_at
        if j.failure_reason:
            summary["FailureReason"] = j.failure_reason
        summaries.append(summary)
    page, token = paginate(summaries, p, default_max=10, bad_token=_bad_token)
    return {"ProcessingJobSummaries": page, **({"NextToken": token} if token else {})}


@api.operation("sagemaker:StopProcessingJob", resources=_job_resource)
def stop_processing_job(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Ask the runner to stop the job's process."""
    request_stop(svc, ctx, _find(svc, ctx, p["ProcessingJobName"]), "processing job")
    return {}
