"""The Service Catalog API object (JSON 1.1, `AWS242ServiceCatalogService`) and what every
operation module shares: resource finders, paging and output shapes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import Output, Params, Resource, ServiceApi
from airlock.core.context import RequestContext
from airlock.core.paging import paginate

from .errors import InvalidParameters
from .models import Portfolio, Product, ProvisioningArtifact
from .service import CatalogService, portfolio_arn, product_arn, ref


def _factory(platform: Any, session: Session) -> CatalogService:
    return CatalogService(session, platform.clock, platform)


api: ServiceApi[CatalogService] = ServiceApi("servicecatalog", _factory)


def portfolio_resource(member: str = "PortfolioId") -> Any:
    """A finder for the portfolio a call names (its ARN, owned as the caller's)."""

    def find(svc: CatalogService, ctx: RequestContext, p: Params) -> list[Resource]:
        value = p.get(member)
        if not value:
            return [Resource("*")]
        found = svc.portfolio(str(value)) if svc is not None else None
        arn = found.arn if found else portfolio_arn(ctx.region, ctx.account_id, ref(str(value)))
        # Access to a shared portfolio is the share's business, not a resource policy's.
        return [Resource(arn)]

    return find


def product_resource(member: str = "ProductId") -> Any:
    """A finder for the product a call names."""

    def find(svc: CatalogService, ctx: RequestContext, p: Params) -> list[Resource]:
        value = p.get(member)
        if not value:
            return [Resource("*")]
        found = svc.product(str(value)) if svc is not None else None
        arn = found.arn if found else product_arn(ctx.region, ctx.account_id, ref(str(value)))
        return [Resource(arn)]

    return find


def _bad_token() -> InvalidParameters:
    return InvalidParameters("The page token is not valid.")


def page(items: list[Any], p: Params, key: str, default_max: int = 20) -> Output:
    """One page of `items` under `key`, with NextPageToken when more follow."""
    chunk, token = paginate(
        items,
        p,
        default_max=default_max,
        bad_token=_bad_token,
        token_key="PageToken",
        max_key="PageSize",
    )
    out: Output = {key: chunk}
    if token:
        out["NextPageToken"] = token
    return out


def portfolio_out(portfolio: Portfolio) -> Output:
    """`PortfolioDetail`."""
    out: Output = {
        "Id": portfolio.portfolio_id,
        "ARN": portfolio.arn,
        "DisplayName": portfolio.display_name,
        "CreatedTime": portfolio.created_at,
        "ProviderName": portfolio.provider_name,
    }
    if portfolio.description is not None:
        out["Description"] = portfolio.description
    return out


def product_summary(
    svc: CatalogService, product: Product, ctx: RequestContext | None = None
) -> Output:
    """`ProductViewSummary`."""
    fields = product.fields
    out: Output = {
        "Id": "prodview-" + product.product_id.split("-", 1)[-1],
        "ProductId": product.product_id,
        "Name": product.name,
        "Owner": fields.get("Owner", ""),
        "Type": product.product_type,
        "HasDefaultPath": False,
    }
    for member, key in (
        ("ShortDescription", "Description"),
        ("Distributor", "Distributor"),
        ("SupportEmail", "SupportEmail"),
        ("SupportDescription", "SupportDescription"),
        ("SupportUrl", "SupportUrl"),
    ):
        if fields.get(key) is not None:
            out[member] = fields[key]
    if ctx is not None:
        out["HasDefaultPath"] = len(svc.launch_paths(ctx, product)) == 1
    return out


def product_detail(svc: CatalogService, product: Product) -> Output:
    """`ProductViewDetail`."""
    return {
        "ProductViewSummary": product_summary(svc, product),
        "Status": "AVAILABLE",
        "ProductARN": product.arn,
        "CreatedTime": product.created_at,
    }


def artifact_out(artifact: ProvisioningArtifact) -> Output:
    """`ProvisioningArtifactDetail`."""
    return {
        "Id": artifact.artifact_id,
        "Name": artifact.name,
        "Description": artifact.description,
        "Type": artifact.type,
        "CreatedTime": artifact.created_at,
        "Active": artifact.active,
        "Guidance": artifact.guidance,
    }


def tags_after(
    current: list[dict[str, str]], add: list[dict[str, str]], remove: list[str]
) -> list[dict[str, str]]:
    """Tags with `add` set and `remove` dropped, in their first order."""
    merged = {t["Key"]: t["Value"] for t in current}
    for key in remove:
        merged.pop(key, None)
    for tag in add:
        merged[tag["Key"]] = tag["Value"]
    if len(merged) > 20:
        raise InvalidParameters("A resource can have at most 20 tags.")
    return [{"Key": k, "Value": v} for k, v in merged.items()]
