"""Project operations: the calls record what is asked; the project worker provisions.

CreateProject checks, as the caller and before its transaction, that the product is
one the caller may launch and that it is tagged for SageMaker, then stores the project
as Pending. The Service Catalog calls (ProvisionProduct, UpdateProvisionedProduct,
TerminateProvisionedProduct) are the worker's, made as the caller through the call path:
making them here would nest a write transaction inside this one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from airlock.core.api import WAKE_WORKERS, Output, Params, Resource
from airlock.core.calls import acting_context, call
from airlock.core.context import RequestContext, principal_record
from airlock.core.errors import ServiceError
from airlock.core.paging import paginate
from airlock.platform import ids
from airlock.protocol.timestamps import between

from .. import errors
from ..jobs import SAGEMAKER, find_named, job_arn
from ..models import SageMakerTag
from ..operations import _bad_token, _tag, api
from ..registry import Registry
from .models import Project
from .principals import user_context

KIND = "project"
VISIBILITY_TAG = "sagemaker:studio-visibility"
# Input members the stage resolved: the version the project launches.
RESOLVED = "@provisioning"
# Statuses in which a Service Catalog call is under way: nothing else may start.
BUSY = ("Pending", "CreateInProgress", "UpdateInProgress", "DeleteInProgress")


def _project_resource(svc: Registry, ctx: RequestContext, p: Params) -> list[Resource]:
    return [Resource(job_arn(ctx, KIND, str(p.get("ProjectName", ""))))]


def find_project(svc: Registry, ctx: RequestContext, name: str) -> Project | None:
    """A project of the caller's account and region by name."""
    return find_named(svc.session, Project, ctx.account_id, ctx.region, name)


def project(svc: Registry, ctx: RequestContext, name: str) -> Project:
    """A project, or ValidationException as SageMaker words it."""
    found = find_project(svc, ctx, name)
    if found is None:
        raise errors.SageMakerValidation(f"Project {name} does not exist.")
    return found


def _as_caller(platform: Any, ctx: RequestContext, operation: str, params: Params) -> Output:
    """A Service Catalog call as the caller, via SageMaker (the trail shows it)."""
    actor = acting_context(platform, ctx.principal, via=SAGEMAKER, service="sagemaker")
    return call(platform, actor, "servicecatalog", operation, params)


def _resolve_product(platform: Any, ctx: RequestContext, p: Params) -> Any:
    """Before the transaction: the product is launchable by the caller, tagged
    `sagemaker:studio-visibility=true`, and the version exists (the newest by default)."""
    details = dict(p.get("ServiceCatalogProvisioningDetails") or {})
    if not details.get("ProductId"):
        raise errors.SageMakerValidation(
            "ServiceCatalogProvisioningDetails with a ProductId is required."
        )
    product_id = details["ProductId"]
    try:
        product = _as_caller(platform, ctx, "DescribeProduct", {"Id": product_id})
    except ServiceError as error:
        if error.code == "ResourceNotFoundException":
            raise errors.SageMakerValidation(
                f"Product {product_id} does not exist or access was denied."
            ) from error
        raise
    admin = _as_caller(platform, ctx, "DescribeProductAsAdmin", {"Id": product_id})
    tags = {t["Key"]: t["Value"] for t in admin.get("Tags") or []}
    if tags.get(VISIBILITY_TAG, "").lower() != "true":
        raise errors.SageMakerValidation(
            f"Product {product_id} is not available to SageMaker projects: it must be tagged "
            f"{VISIBILITY_TAG}=true."
        )
    artifacts = sorted(product.get("ProvisioningArtifacts") or [], key=lambda a: a["CreatedTime"])
    wanted = details.get("ProvisioningArtifactId")
    if wanted is None:
        if not artifacts:
            raise errors.SageMakerValidation(f"Product {product_id} has no active version.")
        wanted = artifacts[-1]["Id"]
    elif wanted not in {a["Id"] for a in artifacts}:
        raise errors.SageMakerValidation(
            f"Provisioning artifact {wanted} does not exist or access was denied."
        )
    paths = [x["Id"] for x in product.get("LaunchPaths") or []]
    if details.get("PathId") and details["PathId"] not in paths:
        raise errors.SageMakerValidation(
            f"Launch path {details['PathId']} does not exist or access was denied."
        )
    details["ProvisioningArtifactId"] = wanted
    details["ProvisioningParameters"] = list(details.get("ProvisioningParameters") or [])
    p[RESOLVED] = details
    return lambda: None


@api.operation("sagemaker:CreateProject", resources=_project_resource, stage=_resolve_product)
def create_project(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Accept a project (Pending); the project worker launches its product as the caller."""
    name = p["ProjectName"]
    if find_project(svc, ctx, name) is not None:
        raise errors.SageMakerValidation(f"Project {name} already exists.")
    project_id = f"p-{ids.lower_id(12)}"
    arn = job_arn(ctx, KIND, name)
    who = user_context(ctx.principal)
    row = Project(
        account_id=ctx.account_id,
        region=ctx.region,
        name=name,
        project_id=project_id,
        arn=arn,
        description=p.get("ProjectDescription"),
        status="Pending",
        phase="provision",
        provisioning=p[RESOLVED],
        tags=list(p.get("Tags") or []),
        principal=principal_record(ctx.principal),
        created_by=who,
        next_check_at=ctx.time,
        created_at=ctx.time,
        modified_at=ctx.time,
    )
    svc.session.add(row)
    svc.session.flush()
    _tag(svc, arn, p.get("Tags") or [])
    svc.session.info[WAKE_WORKERS] = True
    return {"ProjectArn": arn, "ProjectId": project_id}


def _details(row: Project) -> Output:
    out: Output = {"ProductId": row.provisioning["ProductId"]}
    for member in ("ProvisioningArtifactId", "PathId"):
        if row.provisioning.get(member):
            out[member] = row.provisioning[member]
    if row.provisioning.get("ProvisioningParameters"):
        out["ProvisioningParameters"] = row.provisioning["ProvisioningParameters"]
    return out


@api.operation("sagemaker:DescribeProject", resources=_project_resource)
def describe_project(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A project, its provisioned product and where its launch stands."""
    row = project(svc, ctx, p["ProjectName"])
    out: Output = {
        "ProjectArn": row.arn,
        "ProjectName": row.name,
        "ProjectId": row.project_id,
        "ServiceCatalogProvisioningDetails": _details(row),
        "ProjectStatus": row.status,
        "CreatedBy": row.created_by,
        "CreationTime": row.created_at,
        "LastModifiedTime": row.modified_at,
    }
    if row.description:
        out["ProjectDescription"] = row.description
    provisioned: Output = {}
    if row.pp_id:
        provisioned["ProvisionedProductId"] = row.pp_id
    if row.status_message:
        provisioned["ProvisionedProductStatusMessage"] = row.status_message
    if provisioned:
        out["ServiceCatalogProvisionedProductDetails"] = provisioned
    if row.modified_by:
        out["LastModifiedBy"] = row.modified_by
    return out


@api.operation("sagemaker:ListProjects")
def list_projects(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """The account's projects, filtered and sorted (CreationTime, Descending unless told)."""
    rows = svc.session.scalars(
        select(Project).where(Project.account_id == ctx.account_id, Project.region == ctx.region)
    ).all()
    contains = (p.get("NameContains") or "").lower()
    chosen = [
        r
        for r in rows
        if contains in r.name.lower()
        and between(r.created_at, p.get("CreationTimeAfter"), p.get("CreationTimeBefore"))
    ]
    by_name = p.get("SortBy") == "Name"
    chosen.sort(
        key=lambda r: (r.name, r.id) if by_name else (r.created_at, r.id),
        reverse=(p.get("SortOrder") or "Descending") == "Descending",
    )
    summaries = []
    for r in chosen:
        summary: Output = {
            "ProjectName": r.name,
            "ProjectArn": r.arn,
            "ProjectId": r.project_id,
            "CreationTime": r.created_at,
            "ProjectStatus": r.status,
        }
        if r.description:
            summary["ProjectDescription"] = r.description
        summaries.append(summary)
    page, token = paginate(summaries, p, default_max=10, bad_token=_bad_token)
    return {"ProjectSummaryList": page, **({"NextToken": token} if token else {})}


def _settled(row: Project, verb: str) -> None:
    if row.status in BUSY:
        raise errors.ConflictException(
            f"Project {row.name} is in {row.status} status and cannot be {verb} now; "
            "wait until its current operation ends."
        )


@api.operation("sagemaker:UpdateProject", resources=_project_resource)
def update_project(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Change a project's description at once; a new version, parameters or tags go to
    its provisioned product (UpdateInProgress until the update's record ends)."""
    row = project(svc, ctx, p["ProjectName"])
    _settled(row, "updated")
    update: dict[str, Any] | None = p.get("ServiceCatalogProvisioningUpdateDetails")
    if (update or p.get("Tags") is not None) and row.status in ("CreateFailed", "DeleteFailed"):
        raise errors.SageMakerValidation(
            f"Project {row.name} is in {row.status} status; only a project whose product was "
            "provisioned can be updated."
        )
    if p.get("ProjectDescription") is not None:
        row.description = p["ProjectDescription"]
    if update or p.get("Tags") is not None:
        provisioning = dict(row.provisioning)
        changes = update or {}
        if changes.get("ProvisioningArtifactId"):
            provisioning["ProvisioningArtifactId"] = changes["ProvisioningArtifactId"]
        if changes.get("ProvisioningParameters") is not None:
            provisioning["ProvisioningParameters"] = list(changes["ProvisioningParameters"])
        tags = list(p["Tags"]) if p.get("Tags") is not None else list(row.tags)
        row.pending_update = {"provisioning": provisioning, "tags": tags}
        row.updates += 1
        row.status = "UpdateInProgress"
        row.status_message = None
        row.phase = "update"
        row.next_check_at = ctx.time
        row.check_interval = 0.2
        svc.session.info[WAKE_WORKERS] = True
    elif row.status == "UpdateFailed":
        row.status = "UpdateCompleted"
    row.modified_at = ctx.time
    row.modified_by = user_context(ctx.principal)
    return {"ProjectArn": row.arn}


@api.operation("sagemaker:DeleteProject", resources=_project_resource)
def delete_project(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Terminate a project's provisioned product (DeleteInProgress); the project is gone
    once that ends. A project whose launch never made a provisioned product goes at once."""
    row = project(svc, ctx, p["ProjectName"])
    _settled(row, "deleted")
    if row.pp_id is None:
        forget(svc.session, row)
        return {}
    row.updates += 1
    row.status = "DeleteInProgress"
    row.status_message = None
    row.phase = "terminate"
    row.modified_at = ctx.time
    row.modified_by = user_context(ctx.principal)
    row.next_check_at = ctx.time
    row.check_interval = 0.2
    svc.session.info[WAKE_WORKERS] = True
    return {}


def forget(session: Any, row: Project) -> None:
    """Remove a deleted project and its tags (a deleted project is not found, as on AWS)."""
    session.execute(delete(SageMakerTag).where(SageMakerTag.resource_arn == row.arn))
    session.delete(row)
