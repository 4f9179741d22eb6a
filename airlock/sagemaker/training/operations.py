"""Training job operations: create, describe, list and stop."""

from __future__ import annotations

from datetime import datetime

from airlock.core.api import WAKE_WORKERS, Output, Params, role_members
from airlock.core.context import RequestContext
from airlock.core.paging import paginate

from .. import errors
from ..jobs import SAGEMAKER, check_role, find_job, job_arn, job_resource, listed_jobs, request_stop
from ..operations import _bad_token, _tag, api
from ..registry import Registry
from .images import hyperparameter, repository_of
from .models import TrainingJob

KIND = "training-job"
_job_resource = job_resource(KIND, "TrainingJobName")


def _find(svc: Registry, ctx: RequestContext, name: str) -> TrainingJob:
    job = find_job(svc, TrainingJob, ctx, name)
    if job is None:
        raise errors.ResourceNotFound(f"Requested resource not found: TrainingJob {name}")
    return job


@api.operation(
    "sagemaker:CreateTrainingJob",
    resources=_job_resource,
    passes_role=role_members(SAGEMAKER, "RoleArn"),
)
def create_training_job(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Accept a job; the runner takes it from InProgress/Starting."""
    name = p["TrainingJobName"]
    if find_job(svc, TrainingJob, ctx, name) is not None:
        raise errors.ResourceInUse(
            "Training job names must be unique within an AWS account and region, and a "
            f"training job with this name already exists ({job_arn(ctx, KIND, name)})"
        )
    algorithm = p.get("AlgorithmSpecification") or {}
    if (p.get("ResourceConfig") or {}).get("InstanceCount", 1) > 1 and (
        repository_of(algorithm.get("TrainingImage") or "") == "sagemaker-xgboost"
        and not hyperparameter(p.get("HyperParameters") or {}, "sagemaker_program")
    ):
        raise errors.SageMakerValidation(
            "InstanceCount > 1 is not supported by the built-in XGBoost algorithm in Airlock: "
            "it would train once per instance instead of in a distributed cluster. Use 1, or "
            "script mode, where every instance runs your program."
        )
    check_role(svc, ctx, p["RoleArn"], job_arn(ctx, KIND, name))
    now = ctx.time
    spec = {k: v for k, v in p.items() if k not in ("TrainingJobName", "Tags")}
    job = TrainingJob(
        account_id=ctx.account_id,
        region=ctx.region,
        name=name,
        arn=job_arn(ctx, KIND, name),
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
    ordered = listed_jobs(svc, TrainingJob, ctx, p)
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
    request_stop(svc, ctx, _find(svc, ctx, p["TrainingJobName"]), "training job")
    return {}
