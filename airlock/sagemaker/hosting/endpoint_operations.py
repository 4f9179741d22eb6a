"""Endpoint operations: the row and its status; the hosting worker does the deploying."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from airlock.core.api import WAKE_WORKERS, Output, Params
from airlock.core.context import RequestContext
from airlock.core.paging import paginate
from airlock.protocol.timestamps import between

from .. import errors
from ..jobs import find_named, job_arn, job_resource, named
from ..models import SageMakerTag
from ..operations import _bad_token, _tag, api
from ..registry import Registry
from .config_operations import config, models_of
from .events import set_status
from .model_operations import listed
from .models import Endpoint

KIND = "endpoint"
_endpoint_resource = job_resource(KIND, "EndpointName")
BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting", "UpdateRollbackFailed")


def find_endpoint(session: Any, account: str, region: str, name: str) -> Endpoint | None:
    """A Endpoint of an account and region by name (case-insensitive)."""
    return find_named(session, Endpoint, account, region, name)


def endpoint(svc: Registry, ctx: RequestContext, name: str) -> Endpoint:
    """An endpoint, or ValidationException as SageMaker words it."""
    return named(svc, Endpoint, ctx, KIND, name)


def snapshot(svc: Registry, ctx: RequestContext, config_name: str) -> dict[str, Any]:
    """What a deployment of a config runs: the config and its models, as they are now."""
    row = config(svc, ctx, config_name)
    models = models_of(svc, ctx, row.spec)
    return {
        "EndpointConfigName": row.name,
        "spec": row.spec,
        "models": {
            name: {
                "ModelArn": model.arn,
                "ExecutionRoleArn": model.spec.get("ExecutionRoleArn"),
                "containers": model.containers,
            }
            for name, model in models.items()
        },
    }


def desired_variants(target: dict[str, Any]) -> list[dict[str, Any]]:
    """Each variant of a deployment snapshot with the weight and count its config asks for."""
    return [
        {
            "VariantName": v["VariantName"],
            "DesiredWeight": float(v.get("InitialVariantWeight", 1.0)),
            "DesiredInstanceCount": int(v.get("InitialInstanceCount") or 1),
        }
        for v in target["spec"]["ProductionVariants"]
    ]


@api.operation("sagemaker:CreateEndpoint", resources=_endpoint_resource)
def create_endpoint(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Accept an endpoint (Creating); the hosting worker brings its fleet up."""
    name = p["EndpointName"]
    arn = job_arn(ctx, KIND, name)
    if find_endpoint(svc.session, ctx.account_id, ctx.region, name) is not None:
        raise errors.SageMakerValidation(f'Cannot create already existing endpoint "{arn}".')
    target = snapshot(svc, ctx, p["EndpointConfigName"])
    row = Endpoint(
        account_id=ctx.account_id,
        region=ctx.region,
        name=name,
        arn=arn,
        status="Creating",
        target_name=target["EndpointConfigName"],
        target=target,
        deployment=p.get("DeploymentConfig"),
        variants=desired_variants(target),
        created_at=ctx.time,
        modified_at=ctx.time,
    )
    svc.session.add(row)
    svc.session.flush()
    _tag(svc, arn, p.get("Tags") or [])
    set_status(svc.session, svc.clock, row, "Creating")
    svc.session.info[WAKE_WORKERS] = True
    return {"EndpointArn": arn}


def endpoint_out(row: Endpoint) -> Output:
    """DescribeEndpoint."""
    out: Output = {
        "EndpointName": row.name,
        "EndpointArn": row.arn,
        "EndpointConfigName": row.config_name or row.target_name,
        "EndpointStatus": row.status,
        "CreationTime": row.created_at,
        "LastModifiedTime": row.modified_at,
    }
    deployed = row.deployed or {}
    images = {
        name: [c["Image"] for c in model["containers"]]
        for name, model in (deployed.get("models") or {}).items()
    }
    models = {
        v["VariantName"]: v["ModelName"]
        for v in deployed.get("spec", {}).get("ProductionVariants", [])
    }
    if row.variants and row.deployed:
        out["ProductionVariants"] = [
            {
                "VariantName": v["VariantName"],
                "DeployedImages": [
                    {
                        "SpecifiedImage": image,
                        "ResolvedImage": image,
                        "ResolutionTime": row.modified_at,
                    }
                    for image in images.get(models.get(v["VariantName"], ""), [])
                ],
                **{
                    k: v[k]
                    for k in (
                        "CurrentWeight",
                        "DesiredWeight",
                        "CurrentInstanceCount",
                        "DesiredInstanceCount",
                    )
                    if k in v
                },
            }
            for v in row.variants
        ]
    capture = deployed.get("spec", {}).get("DataCaptureConfig")
    if capture:
        out["DataCaptureConfig"] = {
            "EnableCapture": capture.get("EnableCapture", False),
            "CaptureStatus": "Started" if capture.get("EnableCapture") else "Stopped",
            "CurrentSamplingPercentage": capture.get("InitialSamplingPercentage", 0),
            "DestinationS3Uri": capture["DestinationS3Uri"],
        }
    if row.failure_reason:
        out["FailureReason"] = row.failure_reason
    if row.last_deployment:
        out["LastDeploymentConfig"] = row.last_deployment
    if row.status == "Updating" and row.target_name:
        out["PendingDeploymentSummary"] = {
            "EndpointConfigName": row.target_name,
            "ProductionVariants": [
                {**v, "VariantStatus": [{"Status": "Creating", "StartTime": row.modified_at}]}
                for v in desired_variants(row.target or {})
            ],
            "StartTime": row.modified_at,
        }
    return out


@api.operation("sagemaker:DescribeEndpoint", resources=_endpoint_resource)
def describe_endpoint(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """An endpoint's status, variants and deployments."""
    return endpoint_out(endpoint(svc, ctx, p["EndpointName"]))


@api.operation("sagemaker:ListEndpoints")
def list_endpoints(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """The account's endpoints, filtered and sorted (CreationTime, Descending unless told)."""
    rows = svc.session.scalars(
        select(Endpoint).where(Endpoint.account_id == ctx.account_id, Endpoint.region == ctx.region)
    ).all()
    status = p.get("StatusEquals")
    after, before = p.get("LastModifiedTimeAfter"), p.get("LastModifiedTimeBefore")
    rows = [
        r
        for r in rows
        if (status is None or r.status == status) and between(r.modified_at, after, before)
    ]
    chosen = listed(rows, p)  # NameContains, CreationTime bounds, Name or CreationTime order
    if p.get("SortBy") == "Status":
        descending = (p.get("SortOrder") or "Descending") == "Descending"
        chosen.sort(key=lambda r: (r.status, r.created_at), reverse=descending)
    summaries = [
        {
            "EndpointName": r.name,
            "EndpointArn": r.arn,
            "CreationTime": r.created_at,
            "LastModifiedTime": r.modified_at,
            "EndpointStatus": r.status,
        }
        for r in chosen
    ]
    page, token = paginate(summaries, p, default_max=10, bad_token=_bad_token)
    return {"Endpoints": page, **({"NextToken": token} if token else {})}


def _changeable(ctx: RequestContext, row: Endpoint) -> None:
    if row.status != "InService":
        raise errors.SageMakerValidation(
            f'Cannot update in-progress endpoint "{row.arn}".'
            if row.status in BUSY
            else f'Cannot update endpoint "{row.arn}" in status {row.status}.'
        )


@api.operation("sagemaker:UpdateEndpoint", resources=_endpoint_resource)
def update_endpoint(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Deploy another config: the new fleet is healthy before it takes traffic."""
    row = endpoint(svc, ctx, p["EndpointName"])
    _changeable(ctx, row)
    target = snapshot(svc, ctx, p["EndpointConfigName"])
    row.failure_reason = None
    row.target_name = target["EndpointConfigName"]
    row.target = target
    row.deployment = p.get("DeploymentConfig")
    set_status(svc.session, svc.clock, row, "Updating")
    svc.session.info[WAKE_WORKERS] = True
    return {"EndpointArn": row.arn}


@api.operation("sagemaker:UpdateEndpointWeightsAndCapacities", resources=_endpoint_resource)
def update_endpoint_weights_and_capacities(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """New weights (at once) and instance counts (once the instances are up) per variant."""
    row = endpoint(svc, ctx, p["EndpointName"])
    _changeable(ctx, row)
    variants = [dict(v) for v in row.variants]
    by_name = {v["VariantName"]: v for v in variants}
    for change in p["DesiredWeightsAndCapacities"]:
        variant = by_name.get(change["VariantName"])
        if variant is None:
            raise errors.SageMakerValidation(
                f"The variant {change['VariantName']} is not part of endpoint {row.arn}."
            )
        if "DesiredWeight" in change:
            variant["DesiredWeight"] = float(change["DesiredWeight"])
        if "DesiredInstanceCount" in change:
            variant["DesiredInstanceCount"] = int(change["DesiredInstanceCount"])
    row.variants = variants
    row.failure_reason = None
    set_status(svc.session, svc.clock, row, "Updating")
    svc.session.info[WAKE_WORKERS] = True
    return {"EndpointArn": row.arn}


@api.operation("sagemaker:DeleteEndpoint", resources=_endpoint_resource)
def delete_endpoint(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Delete an endpoint: its instances stop, then the endpoint is gone."""
    row = endpoint(svc, ctx, p["EndpointName"])
    if row.status == "Deleting":
        return {}
    set_status(svc.session, svc.clock, row, "Deleting")
    svc.session.execute(delete(SageMakerTag).where(SageMakerTag.resource_arn == row.arn))
    svc.session.info[WAKE_WORKERS] = True
    return {}
