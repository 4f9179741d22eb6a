"""Training job operations: create, describe, list and stop."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from airlock.core.api import WAKE_WORKERS, Output, Params, Resource
from airlock.core.context import RequestContext
from airlock.core.paging import paginate
from airlock.sts import ServiceAccessDenied, assume_role_for_service

from .. import errors
from ..operations import _bad_token, _in_time, _sorted, _tag, api
from ..registry import Registry
from .models import TrainingJob

TERMINAL = ("Completed", "Failed", "Stopped")


def job_arn(ctx: RequestContext, name: str) -> str:
    """`arn:aws:sagemaker:REGION:ACCOUNT:training-job/name` (lower case, as SageMaker writes it)."""
    return f"arn:aws:sagemaker:{ctx.region}:{ctx.account_id}:training-job/{name.lower()}"


def _job_resource(svc: Registry, ctx: RequestContext, p: Params) -> list[Resource]:
    return [Resource(job_arn(ctx, str(p.get("TrainingJobName", ""))))]


def _find(svc: Registry, ctx: RequestContext, name: str) -> TrainingJob:
    job = svc.session.scalars(
        select(TrainingJob).where(
            TrainingJob.account_id == ctx.account_id,
            TrainingJob.region == ctx.region,
            TrainingJob.name == name,
        )
    ).first()
    if job is None:
        raise errors.ResourceNotFound(f"Requested resource not found: TrainingJob {name}")
    return job


@api.operation("sagemaker:CreateTrainingJob", resources=_job_resource)
def create_training_job(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Accept a job; the runner takes it from InProgress/Starting."""
    name = p["TrainingJobName"]
    exists = svc.session.scalars(
        select(TrainingJob.id).where(
            TrainingJob.account_id == ctx.account_id,
            TrainingJob.region == ctx.region,
            TrainingJob.name == name,
        )
    ).first()
    if exists is not None:
        raise errors.ResourceInUse(
            "Training job names must be unique within an AWS account and region, and a "
            f"training job with this name already exists ({job_arn(ctx, name)})"
        )
    if (p.get("ResourceConfig") or {}).get("InstanceCount", 1) > 1:
        raise errors.SageMakerValidation(
            "InstanceCount > 1 is not supported by the built-in XGBoost algorithm in Airlock: "
            "it would train once per instance instead of in a distributed cluster. Use 1."
        )
    try:
        assume_role_for_service(
            svc.session,
            svc.clock,
            service_principal="sagemaker.amazonaws.com",
            role_arn=p["RoleArn"],
            session_name="SageMaker",
            source_account=ctx.account_id,
            source_arn=job_arn(ctx, name),
        )
    except ServiceAccessDenied as error:
        raise errors.SageMakerValidation(
            f"Could not assume role {p['RoleArn']}. Please ensure that the role exists and allows "
            f"principal 'sagemaker.amazonaws.com' to assume the role."
        ) from error
    now = ctx.time
    spec = {k: v for k, v in p.items() if k not in ("TrainingJobName", "Tags")}
    job = TrainingJob(
        account_id=ctx.account_id,
        region=ctx.region,
        name=name,
        arn=job_arn(ctx, name),
        spec=spec,
        status="InProgress",
        secondary_status="Starting",
        transitions=[],
        final_metrics=[],
        created_at=now,
        modified_at=now,
    )
    svc.session.add(job)
    svc.session.flush()
    _tag(svc, job.arn, p.get("Tags") or [])
    svc.session.info[WAKE_WORKERS] = True
    return {"TrainingJobArn": job.arn}


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def job_out(job: TrainingJob) -> Output:
    """DescribeTrainingJob."""
    out: Output = {
        "TrainingJobName": job.name,
        "TrainingJobArn": job.arn,
        "TrainingJobStatus": job.status,
        "SecondaryStatus": job.secondary_status,
        "CreationTime": job.created_at,
        "LastModifiedTime": job.modified_at,
        "SecondaryStatusTransitions": [
            {
                "Status": t["Status"],
                "StartTime": _time(t["StartTime"]),
                **({"EndTime": _time(t["EndTime"])} if t.get("EndTime") else {}),
                "StatusMessage": t["StatusMessage"],
            }
            for t in job.transitions
        ],
        "ModelArtifacts": {"S3ModelArtifacts": job.model_artifacts or ""},
        **{k: v for k, v in job.spec.items() if k not in ("ClientToken",)},
    }
    out.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": 86400})
    if not job.model_artifacts:
        out.pop("ModelArtifacts")
    if job.failure_reason:
        out["FailureReason"] = job.failure_reason
    if job.started_at:
        out["TrainingStartTime"] = job.started_at
    if job.ended_at:
        out["TrainingEndTime"] = job.ended_at
        if job.started_at:
            seconds = max(1, int((job.ended_at - job.started_at).total_seconds()))
            out["TrainingTimeInSeconds"] = seconds
            out["BillableTimeInSeconds"] = seconds
    if job.final_metrics:
        out["FinalMetricDataList"] = [
            {**m, "Timestamp": _time(m["Timestamp"])} for m in job.final_metrics
        ]
    return out


@api.operation("sagemaker:DescribeTrainingJob", resources=_job_resource)
def describe_training_job(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A job's status, transitions, artifacts and metrics."""
    return job_out(_find(svc, ctx, p["TrainingJobName"]))


@api.operation("sagemaker:ListTrainingJobs")
def list_training_jobs(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """The account's jobs, filtered and sorted (CreationTime, Ascending unless told)."""
    jobs = svc.session.scalars(
        select(TrainingJob).where(
            TrainingJob.account_id == ctx.account_id, TrainingJob.region == ctx.region
        )
    ).all()
    contains = (p.get("NameContains") or "").lower()
    status = p.get("StatusEquals")
    after, before = p.get("LastModifiedTimeAfter"), p.get("LastModifiedTimeBefore")
    chosen = [
        j
        for j in jobs
        if contains in j.name.lower()
        and (status is None or j.status == status)
        and _in_time(j.created_at, p)
        and (after is None or j.modified_at > after)
        and (before is None or j.modified_at < before)
    ]
    ordered = _sorted(
        chosen,
        p,
        {
            "Name": lambda j: j.name,
            "CreationTime": lambda j: (j.created_at, j.id),
            "Status": lambda j: (j.status, j.created_at),
        },
        "CreationTime",
        "Ascending",
    )
    summaries = [
        {
            "TrainingJobName": j.name,
            "TrainingJobArn": j.arn,
            "CreationTime": j.created_at,
            "LastModifiedTime": j.modified_at,
            "TrainingJobStatus": j.status,
            "SecondaryStatus": j.secondary_status,
            **({"TrainingEndTime": j.ended_at} if j.ended_at else {}),
        }
        for j in ordered
    ]
    page, token = paginate(summaries, p, default_max=10, bad_token=_bad_token)
    return {"TrainingJobSummaries": page, **({"NextToken": token} if token else {})}


@api.operation("sagemaker:StopTrainingJob", resources=_job_resource)
def stop_training_job(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Ask the runner to stop the job's process (Stopping → Stopped)."""
    job = _find(svc, ctx, p["TrainingJobName"])
    if job.status in TERMINAL:
        raise errors.SageMakerValidation(
            f"The request was rejected because the training job is in status {job.status}."
        )
    job.stop_requested = True
    job.status = "Stopping"
    job.secondary_status = "Stopping"
    job.modified_at = ctx.time
    svc.session.info[WAKE_WORKERS] = True
    return {}


def _runner(platform: Any) -> Any:
    from .runner import TrainingRunner

    return TrainingRunner(platform)


api.worker = _runner
