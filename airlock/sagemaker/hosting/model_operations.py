"""Model operations: create (with its containers checked), describe, list, delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from airlock.core.api import Output, Params, role_members
from airlock.core.context import RequestContext
from airlock.core.paging import paginate
from airlock.protocol.timestamps import between

from .. import errors
from ..jobs import SAGEMAKER, find_named, job_arn, job_resource, named
from ..models import SageMakerTag
from ..operations import _bad_token, _tag, api
from ..registry import Registry
from .containers import resolve_containers
from .models import HostedModel

KIND = "model"
CONTAINERS = "@containers"
_model_resource = job_resource(KIND, "ModelName")


def find_model(session: Any, account: str, region: str, name: str) -> HostedModel | None:
    """A HostedModel of an account and region by name (case-insensitive)."""
    return find_named(session, HostedModel, account, region, name)


def _find(svc: Registry, ctx: RequestContext, name: str) -> HostedModel:
    """A model, or ValidationException as SageMaker words it."""
    return named(svc, HostedModel, ctx, KIND, name)


def new_model(
    svc: Registry,
    ctx: RequestContext,
    name: str,
    request: dict[str, Any],
    containers: list[dict[str, Any]],
) -> HostedModel:
    """Record a model whose containers were resolved (and checked) by resolve_containers."""
    if find_model(svc.session, ctx.account_id, ctx.region, name) is not None:
        raise errors.SageMakerValidation(
            f'Cannot create already existing model "{job_arn(ctx, KIND, name)}".'
        )
    spec = {k: v for k, v in request.items() if k not in ("ModelName", "Tags", CONTAINERS)}
    model = HostedModel(
        account_id=ctx.account_id,
        region=ctx.region,
        name=name,
        arn=job_arn(ctx, KIND, name),
        spec=spec,
        containers=containers,
        created_at=ctx.time,
    )
    svc.session.add(model)
    svc.session.flush()
    _tag(svc, model.arn, request.get("Tags") or [])
    return model


def model_out(model: HostedModel) -> Output:
    """DescribeModel: the request as given, with the model's name, ARN and time."""
    return {
        "ModelName": model.name,
        "ModelArn": model.arn,
        "CreationTime": model.created_at,
        "EnableNetworkIsolation": False,
        **model.spec,
    }


def _resolve(platform: Any, ctx: RequestContext, p: Params) -> Any:
    """Before the transaction: the containers, their images, packages and model data."""
    p[CONTAINERS] = resolve_containers(platform, ctx, p, job_arn(ctx, KIND, p["ModelName"]))
    return lambda: None


@api.operation(
    "sagemaker:CreateModel",
    resources=_model_resource,
    stage=_resolve,
    passes_role=role_members(SAGEMAKER, "ExecutionRoleArn"),
)
def create_model(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A model from an image and model data, or from a model package of any account."""
    model = new_model(svc, ctx, p["ModelName"], p, p[CONTAINERS])
    return {"ModelArn": model.arn}


@api.operation("sagemaker:DescribeModel", resources=_model_resource)
def describe_model(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """A model as it was created."""
    return model_out(_find(svc, ctx, p["ModelName"]))


def listed(rows: Any, p: Params) -> list[Any]:
    """Rows after NameContains and CreationTime bounds, by SortBy/SortOrder (newest first)."""
    contains = (p.get("NameContains") or "").lower()
    after, before = p.get("CreationTimeAfter"), p.get("CreationTimeBefore")
    chosen = [
        r for r in rows if contains in r.name.lower() and between(r.created_at, after, before)
    ]
    if (p.get("SortBy") or "CreationTime") == "Name":
        chosen.sort(key=lambda r: r.name)
    else:
        chosen.sort(key=lambda r: (r.created_at, r.id))
    if (p.get("SortOrder") or "Descending") == "Descending":
        chosen.reverse()
    return chosen


@api.operation("sagemaker:ListModels")
def list_models(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """The account's models, filtered and sorted (CreationTime, Descending unless told)."""
    models = svc.session.scalars(
        select(HostedModel).where(
            HostedModel.account_id == ctx.account_id, HostedModel.region == ctx.region
        )
    ).all()
    summaries = [
        {"ModelName": m.name, "ModelArn": m.arn, "CreationTime": m.created_at}
        for m in listed(models, p)
    ]
    page, token = paginate(summaries, p, default_max=10, bad_token=_bad_token)
    return {"Models": page, **({"NextToken": token} if token else {})}


@api.operation("sagemaker:DeleteModel", resources=_model_resource)
def delete_model(svc: Registry, ctx: RequestContext, p: Params) -> Output:
    """Delete a model (endpoints already serving it keep serving, as in SageMaker)."""
    model = _find(svc, ctx, p["ModelName"])
    svc.session.execute(delete(SageMakerTag).where(SageMakerTag.resource_arn == model.arn))
    svc.session.delete(model)
    return {}
