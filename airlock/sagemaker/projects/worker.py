"""The project worker: makes a project's Service Catalog calls as its caller and follows them.

A project's `phase` says what is next. `provision`, `update`, `terminate`: the one
Service Catalog call, as the caller via sagemaker.amazonaws.com, through the call path;
the project moves to `follow` in that call's own transaction, and each call's token is
derived from the project id, so a crash can neither lose the launch nor make it twice.
`follow`: DescribeRecord through the call path until the record ends. Everything the
worker needs is in the row, so a restart resumes every project.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from airlock.core.calls import acting_context, call
from airlock.core.context import principal_of
from airlock.core.errors import ServiceError
from airlock.core.tags import upsert_tags
from airlock.platform.loop import BackgroundLoop

from ..jobs import SAGEMAKER
from ..models import SageMakerTag
from .models import Project
from .operations import forget

log = logging.getLogger("airlock.sagemaker.projects")
_MAX_INTERVAL = 2.0
ACTING = ("provision", "update", "terminate", "follow")
# What a project's status becomes while its record runs, once it ended well, or badly.
_RUNNING = {
    "create": "CreateInProgress",
    "update": "UpdateInProgress",
    "delete": "DeleteInProgress",
}
_ENDED = {"create": "CreateCompleted", "update": "UpdateCompleted", "delete": "DeleteCompleted"}
_FAILED = {"create": "CreateFailed", "update": "UpdateFailed", "delete": "DeleteFailed"}


def project_tags(row: Project, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    """The tags a project's launch carries: the caller's and the two SageMaker adds, which
    CloudFormation passes on to every resource of the stack."""
    own = {"sagemaker:project-name": row.name, "sagemaker:project-id": row.project_id}
    kept = [t for t in tags if t["Key"] not in own]
    return [*kept, *({"Key": k, "Value": v} for k, v in own.items())]


def project_parameters(row: Project, parameters: list[dict[str, str]]) -> list[dict[str, str]]:
    """The caller's parameters and the two SageMaker adds to every launch."""
    own = {"SageMakerProjectName": row.name, "SageMakerProjectId": row.project_id}
    kept = [x for x in parameters if x["Key"] not in own]
    return [*kept, *({"Key": k, "Value": v} for k, v in own.items())]


def _kind(row: Project) -> str:
    if row.status.startswith("Delete"):
        return "delete"
    if row.status.startswith("Update"):
        return "update"
    return "create"


class ProjectWorker(BackgroundLoop):
    """Advances every project with a Service Catalog call to make or follow."""

    name = "airlock-sagemaker-projects"

    def __init__(self, platform: Any) -> None:
        super().__init__()
        self.platform = platform

    def tick(self) -> float:
        with self.platform.db.read() as session:
            due = session.execute(
                select(Project.id, Project.name, Project.next_check_at)
                .where(Project.phase.in_(ACTING))
                .order_by(Project.id)
            ).all()
        if not due:
            return 5.0
        now = self.platform.clock.now()
        wait = _MAX_INTERVAL
        for row in due:
            if row.next_check_at > now:
                wait = min(wait, (row.next_check_at - now).total_seconds())
                continue
            try:
                advance(self.platform, row.id)
            except Exception:
                log.exception("project %s could not advance", row.name)
            wait = 0.05
        return max(wait, 0.05)


def advance(platform: Any, pk: int) -> None:
    """Take a project's next step."""
    with platform.db.read() as session:
        row = session.get(Project, pk)
        if row is None or row.phase not in ACTING:
            return
        session.expunge(row)
    actor = acting_context(
        platform, principal_of(row.principal), via=SAGEMAKER, service="sagemaker", region=row.region
    )
    if row.phase == "follow":
        _follow(platform, actor, row)
        return
    operation, params = _request(row)

    def started(session: Session, output: dict[str, Any]) -> None:
        target = session.get(Project, pk)
        if target is None or target.phase != row.phase:
            return
        detail = output.get("RecordDetail") or {}
        target.record_id = detail.get("RecordId")
        target.pp_id = detail.get("ProvisionedProductId") or target.pp_id
        target.phase = "follow"
        target.status = _RUNNING[_kind(target)]
        target.next_check_at = platform.clock.now()
        target.check_interval = 0.2

    try:
        call(platform, actor, "servicecatalog", operation, params, within=started)
    except ServiceError as error:
        _end(platform, pk, failed=error.message)


def _request(row: Project) -> tuple[str, dict[str, Any]]:
    """The Service Catalog call a phase makes, with tokens derived from the project."""
    if row.phase == "provision":
        details = row.provisioning
        params: dict[str, Any] = {
            "ProductId": details["ProductId"],
            "ProvisioningArtifactId": details["ProvisioningArtifactId"],
            "ProvisionedProductName": f"{row.name}-{row.project_id}",
            "ProvisioningParameters": project_parameters(
                row, list(details.get("ProvisioningParameters") or [])
            ),
            "Tags": project_tags(row, list(row.tags)),
            "ProvisionToken": row.project_id,
        }
        if details.get("PathId"):
            params["PathId"] = details["PathId"]
        return "ProvisionProduct", params
    if row.phase == "update":
        pending = row.pending_update or {"provisioning": row.provisioning, "tags": row.tags}
        details = pending["provisioning"]
        return "UpdateProvisionedProduct", {
            "ProvisionedProductId": row.pp_id,
            "ProvisioningArtifactId": details["ProvisioningArtifactId"],
            "ProvisioningParameters": project_parameters(
                row, list(details.get("ProvisioningParameters") or [])
            ),
            "Tags": project_tags(row, list(pending["tags"])),
            "UpdateToken": f"{row.project_id}-update-{row.updates}",
        }
    return "TerminateProvisionedProduct", {
        "ProvisionedProductId": row.pp_id,
        "TerminateToken": f"{row.project_id}-delete-{row.updates}",
    }


def _follow(platform: Any, actor: Any, row: Project) -> None:
    """Read the record; end the project's step once it ends, otherwise look again later."""
    try:
        out = call(platform, actor, "servicecatalog", "DescribeRecord", {"Id": row.record_id})
    except ServiceError as error:
        _end(platform, row.id, failed=error.message)
        return
    detail = out.get("RecordDetail") or {}
    status = detail.get("Status")
    if status == "SUCCEEDED":
        _end(platform, row.id, failed=None)
    elif status == "FAILED":
        reasons = [
            str(e.get("Description") or e.get("Code")) for e in detail.get("RecordErrors") or []
        ]
        _end(platform, row.id, failed="; ".join(reasons) or "The provisioned product failed.")
    else:
        _later(platform, row.id)


def _end(platform: Any, pk: int, *, failed: str | None) -> None:
    with platform.db.write() as session:
        row = session.get(Project, pk)
        if row is None or row.phase not in ACTING:
            return
        kind = _kind(row)
        now = platform.clock.now()
        row.modified_at = now
        row.phase = "done"
        if failed is not None:
            row.status = _FAILED[kind]
            row.status_message = failed[:2048]
            return
        row.status = _ENDED[kind]
        row.status_message = None
        if kind == "update" and row.pending_update is not None:
            row.provisioning = row.pending_update["provisioning"]
            row.tags = row.pending_update["tags"]
            # The project's own tags are the ones its launch now carries.
            session.execute(delete(SageMakerTag).where(SageMakerTag.resource_arn == row.arn))
            upsert_tags(session, SageMakerTag, row.arn, row.tags)
        row.pending_update = None
        if kind == "delete":
            forget(session, row)


def _later(platform: Any, pk: int) -> None:
    with platform.db.write() as session:
        row = session.get(Project, pk)
        if row is None or row.phase != "follow":
            return
        interval = min(row.check_interval * 1.5, _MAX_INTERVAL)
        row.check_interval = interval
        row.next_check_at = platform.clock.now() + timedelta(seconds=interval)
