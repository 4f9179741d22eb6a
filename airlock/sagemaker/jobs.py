"""What training and processing jobs share: ARNs, lookups, the role check, stop requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from airlock.core.api import WAKE_WORKERS, Resource
from airlock.core.context import Principal, RequestContext
from airlock.protocol.timestamps import between
from airlock.sts import ServiceAccessDenied, assume_role_for_service

from . import errors
from .registry import Registry

J = TypeVar("J")
# The service principal SageMaker assumes roles as (and that roles are passed to).
SAGEMAKER = "sagemaker.amazonaws.com"
TERMINAL = ("Completed", "Failed", "Stopped")


class JobColumns:
    """The columns every kind of job has."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(63))
    arn: Mapped[str] = mapped_column(String(256), unique=True)
    # The Create… request as given.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    stop_requested: Mapped[bool] = mapped_column(default=False)
    # How many times a runner started the job (a restart after a crash runs it again).
    runs: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


def job_arn(ctx: RequestContext, kind: str, name: str) -> str:
    """`arn:aws:sagemaker:REGION:ACCOUNT:<kind>/<name>` (lower case, as SageMaker writes it)."""
    return f"arn:aws:sagemaker:{ctx.region}:{ctx.account_id}:{kind}/{name.lower()}"


def job_resource(kind: str, member: str) -> Any:
    """A resource finder for operations that name a job in `member`."""

    def find(svc: Registry, ctx: RequestContext, p: dict[str, Any]) -> list[Resource]:
        return [Resource(job_arn(ctx, kind, str(p.get(member, ""))))]

    return find


def find_named(session: Any, model: type[J], account: str, region: str, name: str) -> J | None:
    """A resource of an account and region by name (case-insensitive, as its ARN is)."""
    table: Any = model
    query = select(table).where(
        table.account_id == account,
        table.region == region,
        func.lower(table.name) == name.lower(),
    )
    found: J | None = session.scalars(query).first()
    return found


def named(svc: Registry, model: type[J], ctx: RequestContext, kind: str, name: str) -> J:
    """A resource by name, or ValidationException as SageMaker words it (`Could not find …`)."""
    found = find_named(svc.session, model, ctx.account_id, ctx.region, name)
    if found is None:
        label = {"endpoint-config": "endpoint configuration"}.get(kind, kind)
        raise errors.SageMakerValidation(f'Could not find {label} "{job_arn(ctx, kind, name)}".')
    return found


def find_job(svc: Registry, model: type[J], ctx: RequestContext, name: str) -> J | None:
    """A job of the caller's account and region by name."""
    return find_named(svc.session, model, ctx.account_id, ctx.region, name)


def check_role(svc: Registry, ctx: RequestContext, role_arn: str, arn: str) -> Principal:
    """The role as SageMaker assumes it for `arn`, or ValidationException worded as SageMaker's."""
    try:
        return assume_role_for_service(
            svc.session,
            svc.clock,
            service_principal="sagemaker.amazonaws.com",
            role_arn=role_arn,
            session_name="SageMaker",
            source_account=ctx.account_id,
            source_arn=arn,
        )
    except ServiceAccessDenied as error:
        raise errors.SageMakerValidation(
            f"Could not assume role {role_arn}. Please ensure that the role exists and allows "
            f"principal 'sagemaker.amazonaws.com' to assume the role."
        ) from error


def request_stop(svc: Registry, ctx: RequestContext, job: Any, kind: str) -> None:
    """Mark a running job Stopping; its runner kills the process."""
    if job.status in TERMINAL:
        raise errors.SageMakerValidation(
            f"The request was rejected because the {kind} is in status {job.status}."
        )
    job.stop_requested = True
    job.status = "Stopping"
    job.modified_at = ctx.time
    svc.session.info[WAKE_WORKERS] = True


def listed_jobs(svc: Registry, model: type[J], ctx: RequestContext, p: dict[str, Any]) -> list[J]:
    """The caller's jobs after List…Jobs' filters, in its sort order (CreationTime, Ascending)."""
    table: Any = model
    jobs = svc.session.scalars(
        select(table).where(table.account_id == ctx.account_id, table.region == ctx.region)
    ).all()
    contains = (p.get("NameContains") or "").lower()
    status = p.get("StatusEquals")
    bounds = {
        "created_at": (p.get("CreationTimeAfter"), p.get("CreationTimeBefore")),
        "modified_at": (p.get("LastModifiedTimeAfter"), p.get("LastModifiedTimeBefore")),
    }

    def keep(job: Any) -> bool:
        if contains not in job.name.lower() or (status is not None and job.status != status):
            return False
        return all(between(getattr(job, column), *bound) for column, bound in bounds.items())

    keys = {
        "Name": lambda j: j.name,
        "CreationTime": lambda j: (j.created_at, j.id),
        "Status": lambda j: (j.status, j.created_at),
    }
    chosen = [job for job in jobs if keep(job)]
    chosen.sort(key=keys[p.get("SortBy") or "CreationTime"])
    if (p.get("SortOrder") or "Ascending") == "Descending":
        chosen.reverse()
    return chosen
