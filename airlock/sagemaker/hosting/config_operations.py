"""Endpoint configuration operations: create, describe, list, delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext
from airlock.core.paging import paginate

from .. import errors
from ..jobs import find_named, job_arn, job_resource, named
from ..models import SageMakerTag
from ..operations import _bad_token, _tag, api
from ..registry import Registry
from .model_operations import find_model, listed
from .models import EndpointConfig, HostedModel

KIND = "endpoint-config"
_config_resource = job_resource(KIND, "EndpointConfigName")


def find_config(session: Any, account: str, region: str, name: str) -> EndpointConfig | None:
    """A EndpointConfig of an account and region by name (case-insensitive)."""
    return find_named(session, EndpointConfig, account, region, name)


def config(svc: Registry, ctx: RequestContext, name: str) -> EndpointConfig:
    """An endpoint config, or ValidationException as SageMaker words it."""
    return named(svc, EndpointConfig, ctx, KIND, name)


def models_of(svc: Registry, ctx: RequestContext, spec: dict[str, Any]) -> dict[str, HostedModel]:
    """The models a config's variants name (each must exist in the caller's account)."""
    found: dict[str, HostedModel] = {}
    for variant in spec.get("ProductionVariants") or []:
        name = variant["ModelName"]
        model = find_model(svc.session, ctx.account_id, ctx.region, name)
        if model is None:
            raise errors.SageMakerValidation(
                f'Could not find model "{job_arn(ctx, "model", name)}".'
            )
        found[name] = model
    return found


@api.operation("sagemaker:CreateEndpointConfig", resources=_config_resource)
def create_endpoint_config(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Production variants (each naming a model of this account) and data capture."""
    name = p["EndpointConfigName"]
    arn = job_arn(ctx, KIND, name)
    if find_config(svc.session, ctx.account_id, ctx.region, name) is not None:
        raise errors.SageMakerValidation(
            f'Cannot create already existing endpoint configuration "{arn}".'
        )
    variants = p["ProductionVariants"]
    names = [v["VariantName"] for v in variants]
    for variant in variants:
        if names.count(variant["VariantName"]) > 1:
            raise errors.SageMakerValidation(
                f"The variant name {variant['VariantName']} appears more than once: variant "
                "names must be unique within an endpoint configuration."
            )
        if variant.get("ServerlessConfig") or not variant.get("InstanceType"):
            raise errors.SageMakerValidation(
                f"Variant {variant['VariantName']}: Airlock hosts instance-based variants; "
                "give InstanceType and InitialInstanceCount (ServerlessConfig is not supported)."
            )
    capture = p.get("DataCaptureConfig")
    if capture and not capture["DestinationS3Uri"].startswith("s3://"):
        raise errors.SageMakerValidation(
            "DataCaptureConfig.DestinationS3Uri must be an S3 URI (s3://bucket/prefix)."
        )
    spec = {k: v for k, v in p.items() if k not in ("EndpointConfigName", "Tags")}
    for variant in spec["ProductionVariants"]:
        variant.setdefault("InitialVariantWeight", 1.0)
    models_of(svc, ctx, spec)
    row = EndpointConfig(
        account_id=ctx.account_id,
        region=ctx.region,
        name=name,
        arn=arn,
        spec=spec,
        created_at=ctx.time,
    )
    svc.session.add(row)
    svc.session.flush()
    _tag(svc, arn, p.get("Tags") or [])
    return {"EndpointConfigArn": arn}


@api.operation("sagemaker:DescribeEndpointConfig", resources=_config_resource)
def describe_endpoint_config(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A config as it was created."""
    row = config(svc, ctx, p["EndpointConfigName"])
    return {
        "EndpointConfigName": row.name,
        "EndpointConfigArn": row.arn,
        "CreationTime": row.created_at,
        **row.spec,
    }


@api.operation("sagemaker:ListEndpointConfigs")
def list_endpoint_configs(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """The account's configs, filtered and sorted (CreationTime, Descending unless told)."""
    rows = svc.session.scalars(
        select(EndpointConfig).where(
            EndpointConfig.account_id == ctx.account_id, EndpointConfig.region == ctx.region
        )
    ).all()
    chosen = listed(rows, p)
    summaries = [
        {"EndpointConfigName": r.name, "EndpointConfigArn": r.arn, "CreationTime": r.created_at}
        for r in chosen
    ]
    page, token = paginate(summaries, p, default_max=10, bad_token=_bad_token)
    return {"EndpointConfigs": page, **({"NextToken": token} if token else {})}


@api.operation("sagemaker:DeleteEndpointConfig", resources=_config_resource)
def delete_endpoint_config(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Delete a config (endpoints already using it keep running, as in SageMaker)."""
    row = config(svc, ctx, p["EndpointConfigName"])
    svc.session.execute(delete(SageMakerTag).where(SageMakerTag.resource_arn == row.arn))
    svc.session.delete(row)
    return {}
