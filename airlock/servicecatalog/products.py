"""Products, their versions (provisioning artifacts) and their portfolios."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext

from .api import (
    api,
    artifact_out,
    page,
    portfolio_out,
    portfolio_resource,
    product_detail,
    product_resource,
    product_summary,
    tags_after,
)
from .errors import InvalidParameters, ResourceInUse, ResourceNotFound
from .models import PortfolioProduct, Product, ProvisionedProduct, ProvisioningArtifact
from .service import CatalogService, new_id, path_id, product_arn
from .templates import FETCHED, fetch_template, parameters_out

_PRODUCT = product_resource()
_BY_ID = product_resource("Id")
_FIELDS = (
    "Owner",
    "Description",
    "Distributor",
    "SupportDescription",
    "SupportEmail",
    "SupportUrl",
)


def _new_artifact(
    svc: CatalogService, product_id: str, spec: dict[str, Any], fetched: dict[str, str], token: str
) -> ProvisioningArtifact:
    artifact = ProvisioningArtifact(
        product_id=product_id,
        artifact_id=new_id("pa-"),
        name=spec.get("Name") or "",
        description=spec.get("Description") or "",
        type=spec.get("Type") or "CLOUD_FORMATION_TEMPLATE",
        active=True,
        guidance="DEFAULT",
        template_url=fetched["url"],
        template_body=fetched["body"],
        idempotency_token=token,
        created_at=svc.clock.now(),
    )
    svc.session.add(artifact)
    svc.session.flush()
    return artifact


@api.operation("servicecatalog:CreateProduct", stage=fetch_template)
def create_product(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A new product with its first version, from a template the caller may read."""
    fetched = p.pop(FETCHED, None)
    if p["ProductType"] != "CLOUD_FORMATION_TEMPLATE":
        raise InvalidParameters(
            f"ProductType {p['ProductType']} is not supported; use CLOUD_FORMATION_TEMPLATE."
        )
    for existing in svc.products_of_account(ctx):
        if existing.idempotency_token == p["IdempotencyToken"]:
            first = svc.artifacts(existing.product_id)[0]
            return _created(svc, existing, first)
    if fetched is None:
        raise InvalidParameters("ProvisioningArtifactParameters is required.")
    product_id = new_id("prod-")
    product = Product(
        account_id=ctx.account_id,
        region=ctx.region,
        product_id=product_id,
        arn=product_arn(ctx.region, ctx.account_id, product_id),
        name=p["Name"],
        fields={k: p[k] for k in _FIELDS if p.get(k) is not None},
        product_type=p["ProductType"],
        idempotency_token=p["IdempotencyToken"],
        tags=tags_after([], p.get("Tags") or [], []),
        created_at=svc.clock.now(),
    )
    svc.session.add(product)
    svc.session.flush()
    artifact = _new_artifact(
        svc, product_id, p["ProvisioningArtifactParameters"], fetched, p["IdempotencyToken"]
    )
    return _created(svc, product, artifact)


def _created(svc: CatalogService, product: Product, artifact: ProvisioningArtifact) -> Output:
    return {
        "ProductViewDetail": product_detail(svc, product),
        "ProvisioningArtifactDetail": artifact_out(artifact),
        "Tags": list(product.tags),
    }


def _named_product(svc: CatalogService, ctx: RequestContext, p: Params) -> Product:
    if p.get("Id"):
        return svc.own_product(ctx, p["Id"])
    if p.get("Name"):
        found = svc.product_named(ctx.account_id, p["Name"])
        if found is None:
            raise ResourceNotFound(f"Product {p['Name']} not found.")
        return found
    raise InvalidParameters("Either Id or Name is required.")


@api.operation("servicecatalog:DescribeProductAsAdmin", resources=_BY_ID)
def describe_product_as_admin(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A product of the caller's account with all its versions and tags."""
    product = _named_product(svc, ctx, p)
    return {
        "ProductViewDetail": product_detail(svc, product),
        "ProvisioningArtifactSummaries": [
            {
                "Id": a.artifact_id,
                "Name": a.name,
                "Description": a.description,
                "CreatedTime": a.created_at,
                "ProvisioningArtifactMetadata": {},
            }
            for a in svc.artifacts(product.product_id)
        ],
        "Tags": list(product.tags),
        "TagOptions": [],
        "Budgets": [],
    }


@api.operation("servicecatalog:DescribeProduct", resources=_BY_ID)
def describe_product(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A product the caller may launch, with its active versions and launch paths."""
    if p.get("Id"):
        product = svc.launch_product(ctx, p["Id"])
    elif p.get("Name"):
        named = [x for x in svc.launchable(ctx) if x.name == p["Name"]]
        if not named:
            raise ResourceNotFound(f"Product {p['Name']} not found.")
        product = named[0]
    else:
        raise InvalidParameters("Either Id or Name is required.")
    paths = svc.launch_paths(ctx, product)
    return {
        "ProductViewSummary": product_summary(svc, product, ctx),
        "ProvisioningArtifacts": [
            {
                "Id": a.artifact_id,
                "Name": a.name,
                "Description": a.description,
                "CreatedTime": a.created_at,
                "Guidance": a.guidance,
            }
            for a in svc.artifacts(product.product_id)
            if a.active
        ],
        "Budgets": [],
        "LaunchPaths": [{"Id": path_id(x.portfolio_id), "Name": x.display_name} for x in paths],
    }


def _filtered(svc: CatalogService, products: list[Product], p: Params) -> list[Product]:
    """The products the search's Filters keep, in its SortBy order."""
    filters = p.get("Filters") or {}
    out = products
    for key, values in filters.items():
        wanted = [str(v).lower() for v in values]
        if key == "FullTextSearch":
            out = [
                x
                for x in out
                if any(
                    w in " ".join([x.name, *(str(v) for v in x.fields.values())]).lower()
                    for w in wanted
                )
            ]
        elif key == "Owner":
            out = [x for x in out if str(x.fields.get("Owner", "")).lower() in wanted]
        elif key == "ProductType":
            out = [x for x in out if x.product_type.lower() in wanted]
        elif key == "SourceProductId":
            out = [x for x in out if x.product_id.lower() in wanted]
    keys: dict[str, Any] = {
        "Title": lambda x: x.name.lower(),
        "CreationDate": lambda x: (x.created_at, x.id),
        "VersionCount": lambda x: (len(svc.artifacts(x.product_id)), x.id),
    }
    by = str(p.get("SortBy") or "CreationDate")
    return sorted(
        out, key=keys.get(by, keys["CreationDate"]), reverse=p.get("SortOrder") == "DESCENDING"
    )


@api.operation("servicecatalog:SearchProducts", readonly=True)
def search_products(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """The products the caller may launch."""
    products = _filtered(svc, svc.launchable(ctx), p)
    out = page([product_summary(svc, x, ctx) for x in products], p, "ProductViewSummaries")
    out["ProductViewAggregations"] = {}
    return out


@api.operation(
    "servicecatalog:SearchProductsAsAdmin", resources=portfolio_resource(), readonly=True
)
def search_products_as_admin(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """The caller's account's products (those of one portfolio)."""
    if p.get("PortfolioId"):
        portfolio = svc.visible_portfolio(ctx, p["PortfolioId"])
        products = svc.products_of_portfolio(portfolio.portfolio_id)
    else:
        products = svc.products_of_account(ctx)
    return page(
        [product_detail(svc, x) for x in _filtered(svc, products, p)], p, "ProductViewDetails"
    )


@api.operation("servicecatalog:UpdateProduct", resources=_BY_ID)
def update_product(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Change a product's names, descriptions and tags."""
    product = svc.own_product(ctx, p["Id"])
    if p.get("Name") is not None:
        product.name = p["Name"]
    fields = dict(product.fields)
    for key in _FIELDS:
        if p.get(key) is not None:
            fields[key] = p[key]
    product.fields = fields
    product.tags = tags_after(product.tags, p.get("AddTags") or [], p.get("RemoveTags") or [])
    return {"ProductViewDetail": product_detail(svc, product), "Tags": list(product.tags)}


@api.operation("servicecatalog:DeleteProduct", resources=_BY_ID)
def delete_product(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Delete a product no portfolio holds."""
    product = svc.own_product(ctx, p["Id"])
    if svc.portfolios_of_product(product.product_id):
        raise ResourceInUse(
            "Product is associated with one or more portfolios. Disassociate it from all "
            "portfolios before deleting it."
        )
    svc.session.execute(
        delete(ProvisioningArtifact).where(ProvisioningArtifact.product_id == product.product_id)
    )
    svc.session.delete(product)
    return {}


# -- versions ---------------------------------------------------------------------------


def _artifact_output(artifact: ProvisioningArtifact) -> Output:
    return {
        "ProvisioningArtifactDetail": artifact_out(artifact),
        "Info": {"TemplateUrl": artifact.template_url},
        "Status": "AVAILABLE",
    }


@api.operation(
    "servicecatalog:CreateProvisioningArtifact", resources=_PRODUCT, stage=fetch_template
)
def create_provisioning_artifact(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A new version of a product, from a template the caller may read."""
    fetched = p.pop(FETCHED)
    product = svc.own_product(ctx, p["ProductId"])
    for existing in svc.artifacts(product.product_id):
        if existing.idempotency_token == p["IdempotencyToken"]:
            return _artifact_output(existing)
    name = p["Parameters"].get("Name") or ""
    if name and any(a.name == name for a in svc.artifacts(product.product_id)):
        raise InvalidParameters(
            f"Provisioning artifact name {name} already exists for product {product.product_id}."
        )
    return _artifact_output(
        _new_artifact(svc, product.product_id, p["Parameters"], fetched, p["IdempotencyToken"])
    )


@api.operation("servicecatalog:ListProvisioningArtifacts", resources=_PRODUCT)
def list_provisioning_artifacts(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A product's versions (an end user sees the active ones of a product it may launch)."""
    product = svc.product(p["ProductId"])
    if product is not None and product.account_id == ctx.account_id:
        artifacts = svc.artifacts(product.product_id)
    else:
        product = svc.launch_product(ctx, p["ProductId"])
        artifacts = [a for a in svc.artifacts(product.product_id) if a.active]
    return {"ProvisioningArtifactDetails": [artifact_out(a) for a in artifacts]}


def readable_product(
    svc: CatalogService, ctx: RequestContext, product_id: str | None, product_name: str | None
) -> Product:
    """A product the caller administers or may launch, by id or name."""
    if product_id:
        product = svc.product(product_id)
        if product is not None and product.account_id == ctx.account_id:
            return product
        return svc.launch_product(ctx, product_id)
    if product_name:
        product = svc.product_named(ctx.account_id, product_name)
        if product is not None:
            return product
        named = [x for x in svc.launchable(ctx) if x.name == product_name]
        if named:
            return named[0]
        raise ResourceNotFound(f"Product {product_name} not found.")
    raise InvalidParameters("Either ProductId or ProductName is required.")


def chosen_artifact(
    svc: CatalogService, product: Product, artifact_id: str | None, artifact_name: str | None
) -> ProvisioningArtifact:
    """The version a call names, or the newest active one."""
    if artifact_id:
        return svc.artifact(product, artifact_id)
    if artifact_name:
        return svc.artifact_named(product, artifact_name)
    active = [a for a in svc.artifacts(product.product_id) if a.active]
    if not active:
        raise ResourceNotFound(f"Product {product.product_id} has no active provisioning artifact.")
    return active[-1]


@api.operation("servicecatalog:DescribeProvisioningArtifact", resources=_PRODUCT)
def describe_provisioning_artifact(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """One version of a product, with its template's parameters if asked for."""
    product = readable_product(svc, ctx, p.get("ProductId"), p.get("ProductName"))
    if not p.get("ProvisioningArtifactId") and not p.get("ProvisioningArtifactName"):
        raise InvalidParameters(
            "Either ProvisioningArtifactId or ProvisioningArtifactName is required."
        )
    artifact = chosen_artifact(
        svc, product, p.get("ProvisioningArtifactId"), p.get("ProvisioningArtifactName")
    )
    out = _artifact_output(artifact)
    if p.get("Verbose"):
        out["Info"]["CloudFormationTemplate"] = artifact.template_body
    if p.get("IncludeProvisioningArtifactParameters"):
        out["ProvisioningArtifactParameters"] = parameters_out(artifact.template_body)
    return out


@api.operation("servicecatalog:UpdateProvisioningArtifact", resources=_PRODUCT)
def update_provisioning_artifact(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Rename, describe, deactivate or deprecate a version."""
    product = svc.own_product(ctx, p["ProductId"])
    artifact = svc.artifact(product, p["ProvisioningArtifactId"])
    if p.get("Name") is not None:
        artifact.name = p["Name"]
    if p.get("Description") is not None:
        artifact.description = p["Description"]
    if p.get("Active") is not None:
        artifact.active = bool(p["Active"])
    if p.get("Guidance") is not None:
        artifact.guidance = p["Guidance"]
    return _artifact_output(artifact)


@api.operation("servicecatalog:DeleteProvisioningArtifact", resources=_PRODUCT)
def delete_provisioning_artifact(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Delete a version no live provisioned product uses, unless it is the last one."""
    product = svc.own_product(ctx, p["ProductId"])
    artifact = svc.artifact(product, p["ProvisioningArtifactId"])
    if len(svc.artifacts(product.product_id)) == 1:
        raise InvalidParameters("Cannot delete the only provisioning artifact of a product.")
    in_use = svc.session.query(ProvisionedProduct).filter(
        ProvisionedProduct.artifact_id == artifact.artifact_id,
        ProvisionedProduct.terminated.is_(False),
    )
    if in_use.first() is not None:
        raise ResourceInUse(
            f"Provisioning artifact {artifact.artifact_id} is used by a provisioned product."
        )
    svc.session.delete(artifact)
    return {}


# -- portfolios of a product ----------------------------------------------------------


@api.operation("servicecatalog:AssociateProductWithPortfolio", resources=_PRODUCT)
def associate_product(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Put a product (of the caller's account, or of an imported portfolio) in a portfolio."""
    portfolio = svc.own_portfolio(ctx, p["PortfolioId"])
    product = svc.product(p["ProductId"])
    if product is None:
        raise ResourceNotFound(f"Product {p['ProductId']} not found.")
    if product.account_id != ctx.account_id:
        # Another account's product comes from a portfolio the caller's account imported.
        source = svc.portfolio(str(p.get("SourcePortfolioId") or ""))
        holders = {x.portfolio_id for x in svc.portfolios_of_product(product.product_id)}
        if (
            source is None
            or source.portfolio_id not in holders
            or not svc.sees(ctx.account_id, source)
        ):
            raise ResourceNotFound(f"Product {p['ProductId']} not found.")
    key = (portfolio.portfolio_id, product.product_id)
    if svc.session.get(PortfolioProduct, key) is None:
        svc.session.add(
            PortfolioProduct(
                portfolio_id=portfolio.portfolio_id,
                product_id=product.product_id,
                created_at=svc.clock.now(),
            )
        )
    return {}


@api.operation("servicecatalog:DisassociateProductFromPortfolio", resources=_PRODUCT)
def disassociate_product(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Take a product out of a portfolio that has no constraint on it any more."""
    portfolio = svc.own_portfolio(ctx, p["PortfolioId"])
    row = svc.session.get(PortfolioProduct, (portfolio.portfolio_id, str(p["ProductId"])))
    if row is None:
        raise ResourceNotFound(
            f"Product {p['ProductId']} is not associated with portfolio {p['PortfolioId']}."
        )
    if svc.constraints(portfolio.portfolio_id, row.product_id):
        raise ResourceInUse(
            "Delete the constraints on the product in this portfolio before disassociating it."
        )
    svc.session.delete(row)
    return {}


@api.operation("servicecatalog:ListPortfoliosForProduct", resources=_PRODUCT)
def list_portfolios_for_product(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """The caller's account's portfolios (and imported ones) holding the product."""
    product = svc.product(p["ProductId"])
    if product is None:
        raise ResourceNotFound(f"Product {p['ProductId']} not found.")
    portfolios = [
        x for x in svc.portfolios_of_product(product.product_id) if svc.sees(ctx.account_id, x)
    ]
    return page([portfolio_out(x) for x in portfolios], p, "PortfolioDetails")
