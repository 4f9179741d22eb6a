"""SageMaker model registry operations (JSON 1.1, `SageMaker`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from airlock.core.api import Output, Params, Resource, ServiceApi
from airlock.core.context import RequestContext
from airlock.core.errors import ValidationError
from airlock.core.paging import paginate
from airlock.core.tags import arn_exists, arn_resource, upsert_tags
from airlock.iam.authorizer import Authorizer
from airlock.protocol.timestamps import between
from airlock.s3.access import ObjectAccess, ObjectAccessError, ObjectInfo, parse_s3_url

from . import errors
from .models import ModelPackage, ModelPackageGroup, SageMakerTag
from .registry import Registry, group_arn

ARTIFACTS = "@artifacts"


def _factory(platform: Any, session: Session) -> Registry:
    return Registry(session, platform.clock)


def _invalid(error: ValidationError) -> errors.SageMakerValidation:
    return errors.SageMakerValidation(error.message)


api: ServiceApi[Registry] = ServiceApi("sagemaker", _factory, validation_error=_invalid)


def _bad_token() -> errors.SageMakerValidation:
    return errors.SageMakerValidation("Invalid pagination token.")


def _group_resource(svc: Registry, ctx: RequestContext, p: Params) -> list[Resource]:
    account, name = svc.parse_group(ctx.account_id, ctx.region, str(p.get("ModelPackageGroupName")))
    group = svc.find_group(account, ctx.region, name)
    if group is None:
        return [Resource(group_arn(ctx.region, account, name), account)]
    return [Resource(group.arn, group.account_id, policy=group.policy)]


def _package_resource(svc: Registry, ctx: RequestContext, p: Params) -> list[Resource]:
    """A package, governed by its group's policy."""
    name = str(p.get("ModelPackageName") or p.get("ModelPackageArn") or "")
    package = svc.find_package(ctx.account_id, ctx.region, name)
    if package is None:
        arn = (
            name
            if name.startswith("arn:")
            else f"arn:aws:sagemaker:{ctx.region}:{ctx.account_id}:model-package/{name.lower()}"
        )
        parts = arn.split(":")
        return [Resource(arn, parts[4] if len(parts) > 4 else None)]
    group = svc.group_of(package)
    return [Resource(package.arn, package.account_id, policy=group.policy if group else None)]


# Groups ----------------------------------------------------------------------------------


def group_out(group: ModelPackageGroup) -> Output:
    """DescribeModelPackageGroup."""
    out: Output = {
        "ModelPackageGroupName": group.name,
        "ModelPackageGroupArn": group.arn,
        "CreationTime": group.created_at,
        "CreatedBy": group.created_by,
        "ModelPackageGroupStatus": "Completed",
    }
    if group.description:
        out["ModelPackageGroupDescription"] = group.description
    return out


@api.operation("sagemaker:CreateModelPackageGroup", resources=_group_resource)
def create_model_package_group(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A group for the versions of one model."""
    group = svc.create_group(ctx, p["ModelPackageGroupName"], p.get("ModelPackageGroupDescription"))
    _tag(svc, group.arn, p.get("Tags") or [])
    return {"ModelPackageGroupArn": group.arn}


@api.operation("sagemaker:DescribeModelPackageGroup", resources=_group_resource)
def describe_model_package_group(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A group, by name or ARN (another account's when its policy allows)."""
    account, name = svc.parse_group(ctx.account_id, ctx.region, p["ModelPackageGroupName"])
    return group_out(svc.group(account, ctx.region, name))


def _sorted(
    items: list[Any], p: Params, keys: dict[str, Any], default: str, order: str
) -> list[Any]:
    key = keys[p.get("SortBy") or default]
    return sorted(items, key=key, reverse=(p.get("SortOrder") or order) == "Descending")


def _in_time(created: Any, p: Params) -> bool:
    return between(created, p.get("CreationTimeAfter"), p.get("CreationTimeBefore"))


@api.operation("sagemaker:ListModelPackageGroups")
def list_model_package_groups(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """The caller's groups, or groups other accounts share with it (CrossAccountFilterOption)."""
    cross = p.get("CrossAccountFilterOption") == "CrossAccount"
    if cross:
        authorizer = Authorizer(svc.session, svc.clock)
        groups = [
            g
            for g in svc.shared_groups(ctx.account_id, ctx.region)
            if authorizer.decide(
                ctx,
                "sagemaker:DescribeModelPackageGroup",
                Resource(g.arn, g.account_id, policy=g.policy),
                None,
            )[1].allowed
        ]
    else:
        groups = list(svc.groups(ctx.account_id, ctx.region))
    contains = (p.get("NameContains") or "").lower()
    chosen = [g for g in groups if contains in g.name.lower() and _in_time(g.created_at, p)]
    ordered = _sorted(
        chosen,
        p,
        {"Name": lambda g: g.name, "CreationTime": lambda g: (g.created_at, g.id)},
        "CreationTime",
        "Ascending",
    )
    summaries = [
        {
            "ModelPackageGroupName": g.name,
            "ModelPackageGroupArn": g.arn,
            "CreationTime": g.created_at,
            "ModelPackageGroupStatus": "Completed",
            **({"ModelPackageGroupDescription": g.description} if g.description else {}),
        }
        for g in ordered
    ]
    page, token = paginate(summaries, p, default_max=100, bad_token=_bad_token)
    return {"ModelPackageGroupSummaryList": page, **({"NextToken": token} if token else {})}


@api.operation("sagemaker:DeleteModelPackageGroup", resources=_group_resource)
def delete_model_package_group(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Delete a group that has no versions left."""
    svc.delete_group(svc.group(ctx.account_id, ctx.region, p["ModelPackageGroupName"]))
    return {}


@api.operation("sagemaker:PutModelPackageGroupPolicy", resources=_group_resource)
def put_model_package_group_policy(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Share the group: a resource policy other accounts' principals are decided by."""
    group = svc.group(ctx.account_id, ctx.region, p["ModelPackageGroupName"])
    svc.set_policy(group, p["ResourcePolicy"])
    return {"ModelPackageGroupArn": group.arn}


@api.operation("sagemaker:GetModelPackageGroupPolicy", resources=_group_resource)
def get_model_package_group_policy(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """The group's policy."""
    group = svc.group(ctx.account_id, ctx.region, p["ModelPackageGroupName"])
    if group.policy is None:
        raise errors.SageMakerValidation(
            f"Cannot find resource policy for ModelPackageGroup {group.arn}."
        )
    return {"ResourcePolicy": group.policy}


@api.operation("sagemaker:DeleteModelPackageGroupPolicy", resources=_group_resource)
def delete_model_package_group_policy(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Stop sharing the group."""
    group = svc.group(ctx.account_id, ctx.region, p["ModelPackageGroupName"])
    svc.set_policy(group, None)
    return {}


# Packages --------------------------------------------------------------------------------

SPEC_MEMBERS = (
    "InferenceSpecification",
    "ValidationSpecification",
    "SourceAlgorithmSpecification",
    "CertifyForMarketplace",
    "MetadataProperties",
    "ModelMetrics",
    "Domain",
    "Task",
    "SamplePayloadUrl",
    "CustomerMetadataProperties",
    "DriftCheckBaselines",
    "AdditionalInferenceSpecifications",
    "SkipModelValidation",
    "SourceUri",
    "ModelCard",
    "ModelLifeCycle",
    "ModelPackageRegistrationType",
)


def artifact_record(info: ObjectInfo) -> dict[str, Any]:
    """What an artifact is now: ETag, size, version and the SHA-256 of its bytes as stored."""
    return {
        "ETag": info.etag,
        "Size": info.size,
        "VersionId": info.version_id,
        "Sha256": list(info.sha256s),
    }


def registered_artifacts(access: ObjectAccess, inference: dict[str, Any]) -> list[dict[str, Any]]:
    """Every ModelDataUrl of an InferenceSpecification, checked readable and recorded."""
    found = []
    for container in inference.get("Containers") or []:
        url = container.get("ModelDataUrl")
        if not url:
            continue
        try:
            info = access.head(parse_s3_url(url))
        except (ValueError, ObjectAccessError) as error:
            raise errors.SageMakerValidation(
                f"Could not access model data at {url}: {error}"
            ) from error
        found.append({"ModelDataUrl": url, **artifact_record(info)})
    return found


def _check_artifacts(platform: Any, ctx: RequestContext, p: Params) -> Any:
    """Before the transaction: every ModelDataUrl exists and the caller may read it.

    What each one is now is recorded, so a deployment can later prove it deploys
    the approved bytes.
    """
    access = ObjectAccess(platform, ctx)
    p[ARTIFACTS] = registered_artifacts(access, p.get("InferenceSpecification") or {})
    return lambda: None


@api.operation("sagemaker:CreateModelPackage", resources=_group_resource, stage=_check_artifacts)
def create_model_package(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A new version in a group (numbered 1, 2, …), pending approval unless told otherwise."""
    group = None
    if p.get("ModelPackageGroupName"):
        account, name = svc.parse_group(ctx.account_id, ctx.region, p["ModelPackageGroupName"])
        if account != ctx.account_id:
            raise errors.SageMakerValidation("A model package is created in the caller's account.")
        group = svc.group(account, ctx.region, name)
    elif not p.get("ModelPackageName"):
        raise errors.SageMakerValidation(
            "Either ModelPackageName or ModelPackageGroupName must be specified."
        )
    if group is not None and p.get("ModelPackageName"):
        raise errors.SageMakerValidation(
            "ModelPackageName and ModelPackageGroupName cannot both be specified."
        )
    token = p.get("ClientToken")
    if token:
        earlier = svc.by_token(group, token)
        if earlier is not None:
            return {"ModelPackageArn": earlier.arn}
    spec = {member: p[member] for member in SPEC_MEMBERS if p.get(member) is not None}
    package = svc.create_package(
        ctx,
        group,
        p.get("ModelPackageName"),
        spec,
        description=p.get("ModelPackageDescription"),
        approval=p.get("ModelApprovalStatus"),
        artifacts=p.get(ARTIFACTS) or [],
        token=token,
    )
    _tag(svc, package.arn, p.get("Tags") or [])
    return {"ModelPackageArn": package.arn}


def package_out(svc: Registry, package: ModelPackage) -> Output:
    """DescribeModelPackage."""
    out: Output = {
        "ModelPackageName": package.name,
        "ModelPackageArn": package.arn,
        "CreationTime": package.created_at,
        "ModelPackageStatus": package.status,
        "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
        "CertifyForMarketplace": bool(package.spec.get("CertifyForMarketplace", False)),
        "CreatedBy": package.created_by,
        "LastModifiedTime": package.modified_at,
        "LastModifiedBy": package.modified_by,
        **{k: v for k, v in package.spec.items() if k != "CertifyForMarketplace"},
    }
    if package.version is not None:
        out["ModelPackageGroupName"] = package.name
        out["ModelPackageVersion"] = package.version
    for member, value in (
        ("ModelPackageDescription", package.description),
        ("ModelApprovalStatus", package.approval_status),
        ("ApprovalDescription", package.approval_description),
    ):
        if value:
            out[member] = value
    return out


@api.operation("sagemaker:DescribeModelPackage", resources=_package_resource)
def describe_model_package(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A package, by ARN (another account's when its group's policy allows) or name."""
    return package_out(svc, svc.package(ctx.account_id, ctx.region, p["ModelPackageName"]))


def summary(package: ModelPackage) -> Output:
    """ModelPackageSummary."""
    out: Output = {
        "ModelPackageName": package.name,
        "ModelPackageArn": package.arn,
        "CreationTime": package.created_at,
        "ModelPackageStatus": package.status,
    }
    if package.version is not None:
        out["ModelPackageGroupName"] = package.name
        out["ModelPackageVersion"] = package.version
    if package.description:
        out["ModelPackageDescription"] = package.description
    if package.approval_status:
        out["ModelApprovalStatus"] = package.approval_status
    return out


def _arn_list(svc: Registry, ctx: RequestContext, p: Params) -> list[Resource]:
    resources = []
    for arn in p.get("ModelPackageArnList") or []:
        resources += _package_resource(svc, ctx, {"ModelPackageName": arn})
    return resources or [Resource("*")]


@api.operation(
    "sagemaker:DescribeModelPackage", name="BatchDescribeModelPackage", resources=_arn_list
)
def batch_describe_model_package(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Several packages at once; unknown ARNs come back in the error map."""
    found, failed = {}, {}
    for arn in p["ModelPackageArnList"]:
        package = svc.find_package(ctx.account_id, ctx.region, arn)
        if package is None:
            failed[arn] = {
                "ErrorCode": "ValidationException",
                "ErrorResponse": f"ModelPackage {arn} does not exist.",
            }
            continue
        out = summary(package)
        out["InferenceSpecification"] = package.spec.get("InferenceSpecification")
        out["ModelPackageGroupName"] = out.get("ModelPackageGroupName", package.name)
        found[arn] = out
    return {"ModelPackageSummaries": found, "BatchDescribeModelPackageErrorMap": failed}


def _list_resource(svc: Registry, ctx: RequestContext, p: Params) -> list[Resource]:
    if p.get("ModelPackageGroupName"):
        return _group_resource(svc, ctx, p)
    return [Resource("*")]


@api.operation("sagemaker:ListModelPackages", resources=_list_resource)
def list_model_packages(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Packages, filtered and sorted (by CreationTime, ascending, unless told otherwise)."""
    query = select(ModelPackage).where(ModelPackage.region == ctx.region)
    if p.get("ModelPackageGroupName"):
        account, name = svc.parse_group(ctx.account_id, ctx.region, p["ModelPackageGroupName"])
        group = svc.group(account, ctx.region, name)
        query = query.where(ModelPackage.group_id == group.id)
    else:
        query = query.where(ModelPackage.account_id == ctx.account_id)
    kind = p.get("ModelPackageType") or "Both"
    if kind == "Versioned":
        query = query.where(ModelPackage.group_id.is_not(None))
    elif kind == "Unversioned":
        query = query.where(ModelPackage.group_id.is_(None))
    if p.get("ModelApprovalStatus"):
        query = query.where(ModelPackage.approval_status == p["ModelApprovalStatus"])
    contains = (p.get("NameContains") or "").lower()
    packages = [
        m
        for m in svc.session.scalars(query)
        if contains in m.name.lower() and _in_time(m.created_at, p)
    ]
    ordered = _sorted(
        packages,
        p,
        {
            "Name": lambda m: (m.name, m.version or 0),
            "CreationTime": lambda m: (m.created_at, m.id),
        },
        "CreationTime",
        "Ascending",
    )
    page, token = paginate([summary(m) for m in ordered], p, default_max=100, bad_token=_bad_token)
    return {"ModelPackageSummaryList": page, **({"NextToken": token} if token else {})}


@api.operation("sagemaker:UpdateModelPackage", resources=_package_resource)
def update_model_package(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Approve or reject a version, describe why, edit its customer metadata."""
    package = svc.package(ctx.account_id, ctx.region, p["ModelPackageArn"])
    if package.account_id != ctx.account_id:
        raise errors.SageMakerValidation("Only the owning account may update a model package.")
    before = package.approval_status
    svc.update_approval(ctx, package, p.get("ModelApprovalStatus"), p.get("ApprovalDescription"))
    metadata = dict(package.spec.get("CustomerMetadataProperties") or {})
    metadata.update(p.get("CustomerMetadataProperties") or {})
    for key in p.get("CustomerMetadataPropertiesToRemove") or []:
        metadata.pop(key, None)
    spec = dict(package.spec)
    if metadata or "CustomerMetadataProperties" in spec:
        spec["CustomerMetadataProperties"] = metadata
    for member in ("SourceUri", "ModelCard", "ModelLifeCycle", "InferenceSpecification"):
        if p.get(member) is not None:
            spec[member] = p[member]
    package.spec = spec
    svc.session.flush()
    if package.approval_status != before or p.get("ApprovalDescription") is not None:
        svc.emit(package)
    return {"ModelPackageArn": package.arn}


@api.operation("sagemaker:DeleteModelPackage", resources=_package_resource)
def delete_model_package(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Delete a package (deleting one that does not exist succeeds)."""
    package = svc.find_package(ctx.account_id, ctx.region, p["ModelPackageName"])
    if package is not None:
        if package.account_id != ctx.account_id:
            raise errors.SageMakerValidation("Only the owning account may delete a model package.")
        svc.session.execute(delete(SageMakerTag).where(SageMakerTag.resource_arn == package.arn))
        svc.delete_package(package)
    return {}


# Tags ------------------------------------------------------------------------------------


def _tag(svc: Registry, arn: str, tags: list[dict[str, str]]) -> None:
    upsert_tags(svc.session, SageMakerTag, arn, tags)


def _tagged(svc: Registry, ctx: RequestContext, p: Params) -> list[Resource]:
    return [arn_resource(str(p.get("ResourceArn", "")))]


def _known(svc: Registry, arn: str) -> None:
    """Every SageMaker resource Airlock keeps takes tags, keyed by its lower-case ARN as
    its Create call stored them."""
    from .hosting.models import Endpoint, EndpointConfig, HostedModel
    from .pipelines.models import Pipeline, PipelineExecution
    from .processing.models import ProcessingJob
    from .projects.models import Project
    from .training.models import TrainingJob

    tagged = (
        ModelPackageGroup,
        ModelPackage,
        HostedModel,
        EndpointConfig,
        Endpoint,
        Pipeline,
        PipelineExecution,
        TrainingJob,
        ProcessingJob,
        Project,
    )
    if not arn_exists(svc.session, tagged, arn.lower()):
        raise errors.ResourceNotFound(f"Resource {arn} does not exist.")


@api.operation("sagemaker:AddTags", resources=_tagged)
def add_tags(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Add or overwrite tags."""
    _known(svc, p["ResourceArn"])
    _tag(svc, p["ResourceArn"].lower(), p["Tags"])
    return {"Tags": p["Tags"]}


@api.operation("sagemaker:ListTags", resources=_tagged)
def list_tags(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A resource's tags."""
    _known(svc, p["ResourceArn"])
    rows = svc.session.scalars(
        select(SageMakerTag)
        .where(SageMakerTag.resource_arn == p["ResourceArn"].lower())
        .order_by(SageMakerTag.key)
    )
    tags = [{"Key": r.key, "Value": r.value} for r in rows]
    page, token = paginate(tags, p, default_max=50, bad_token=_bad_token)
    return {"Tags": page, **({"NextToken": token} if token else {})}


@api.operation("sagemaker:DeleteTags", resources=_tagged)
def delete_tags(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Remove tags by key."""
    _known(svc, p["ResourceArn"])
    svc.session.execute(
        delete(SageMakerTag).where(
            SageMakerTag.resource_arn == p["ResourceArn"].lower(),
            SageMakerTag.key.in_(p["TagKeys"]),
        )
    )
    return {}
