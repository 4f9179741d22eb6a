"""Launching products: provisioning parameters, ProvisionProduct, updates, terminations,
and reading provisioned products and records.

The calls only record what is asked (a record in CREATED, the provisioned product
UNDER_CHANGE); the record worker makes the stack calls as the launch role and follows
the stack, so a launch role that cannot be assumed fails the record, not the call.
"""

from __future__ import annotations

from typing import Any

from airlock.core.api import WAKE_WORKERS, Output, Params
from airlock.core.context import RequestContext, principal_record

from .api import api, page, product_resource
from .constraints import launch_role_arn
from .errors import DuplicateResource, InvalidParameters, InvalidState, ResourceNotFound
from .models import Portfolio, Product, ProvisionedProduct, ProvisioningArtifact, Record
from .products import chosen_artifact
from .records import (
    LAUNCH,
    PROVISION,
    TERMINATE,
    UPDATE,
    attribute_out,
    provisioned_out,
    record_out,
)
from .service import (
    CatalogService,
    new_id,
    path_id,
    provisioned_product_arn,
)
from .templates import check_parameters, outputs_out, parameters_out

_PRODUCT = product_resource()


def _launch(
    svc: CatalogService, ctx: RequestContext, p: Params
) -> tuple[Product, Portfolio, ProvisioningArtifact]:
    """The product, launch path and version a launch call names, if the caller may launch."""
    product = svc.product(p.get("ProductId") or "") if p.get("ProductId") else None
    if product is None and p.get("ProductName"):
        named = [x for x in svc.launchable(ctx) if x.name == p["ProductName"]]
        product = named[0] if named else None
    if product is None:
        wanted = p.get("ProductId") or p.get("ProductName")
        if not wanted:
            raise InvalidParameters("Either ProductId or ProductName is required.")
        raise ResourceNotFound(f"No launch paths found for resource: {wanted}")
    wanted_path = p.get("PathId")
    if not wanted_path and p.get("PathName"):
        for portfolio in svc.launch_paths(ctx, product):
            if portfolio.display_name == p["PathName"]:
                wanted_path = path_id(portfolio.portfolio_id)
    portfolio = svc.choose_path(ctx, product, wanted_path)
    artifact = chosen_artifact(
        svc, product, p.get("ProvisioningArtifactId"), p.get("ProvisioningArtifactName")
    )
    if not artifact.active:
        raise InvalidParameters(f"Provisioning artifact {artifact.artifact_id} is not active.")
    return product, portfolio, artifact


def _role(
    svc: CatalogService, ctx: RequestContext, portfolio: Portfolio, product: Product
) -> str | None:
    constraint = svc.launch_constraint(portfolio.portfolio_id, product.product_id)
    return launch_role_arn(constraint, ctx.account_id) if constraint is not None else None


@api.operation("servicecatalog:DescribeProvisioningParameters", resources=_PRODUCT)
def describe_provisioning_parameters(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """What launching a version asks for: its template's parameters and outputs, and the
    constraints of the launch path."""
    product, portfolio, artifact = _launch(svc, ctx, p)
    constraints = svc.constraints(portfolio.portfolio_id, product.product_id)
    outputs = outputs_out(artifact.template_body)
    return {
        "ProvisioningArtifactParameters": parameters_out(artifact.template_body),
        "ConstraintSummaries": [
            {"Type": c.type, "Description": c.description} for c in constraints
        ],
        "UsageInstructions": [
            {"Type": "rules", "Value": "{}"},
            {"Type": "version", "Value": "2010-09-09"},
            *(
                [{"Type": "launchAsRole", "Value": role}]
                if (role := _role(svc, ctx, portfolio, product))
                else []
            ),
        ],
        "TagOptions": [],
        "ProvisioningArtifactPreferences": {},
        "ProvisioningArtifactOutputs": outputs,
        "ProvisioningArtifactOutputKeys": outputs,
    }


def _new_record(
    svc: CatalogService,
    ctx: RequestContext,
    pp: ProvisionedProduct,
    kind: str,
    token: str,
    request: dict[str, Any],
    tags: list[dict[str, str]],
) -> Record:
    now = svc.clock.now()
    record = Record(
        record_id=new_id("rec-"),
        account_id=ctx.account_id,
        region=ctx.region,
        pp_id=pp.pp_id,
        pp_name=pp.name,
        record_type=kind,
        status="CREATED",
        phase=LAUNCH,
        product_id=request.get("ProductId", pp.product_id),
        artifact_id=request.get("ProvisioningArtifactId", pp.artifact_id),
        path_id=request.get("PathId", pp.path_id),
        launch_role_arn=request.get("LaunchRoleArn", pp.launch_role_arn),
        token=token,
        request=request,
        errors=[],
        outputs=[],
        tags=tags,
        next_check_at=now,
        check_interval=0.2,
        created_at=now,
        updated_at=now,
    )
    svc.session.add(record)
    pp.status = "UNDER_CHANGE"
    pp.status_message = None
    pp.last_record_id = record.record_id
    if kind != TERMINATE:
        pp.last_provisioning_record_id = record.record_id
    svc.session.flush()
    svc.session.info[WAKE_WORKERS] = True
    return record


@api.operation("servicecatalog:ProvisionProduct", resources=_PRODUCT)
def provision_product(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Launch a version of a product through a launch path (the same launch again for a
    repeated ProvisionToken)."""
    name = p["ProvisionedProductName"]
    for existing in svc.provisioned_products(ctx):
        if existing.idempotency_token == p["ProvisionToken"]:
            first = existing.last_provisioning_record_id or existing.last_record_id or ""
            return {
                "RecordDetail": record_out(svc.record(ctx, _first_record(svc, existing, first)))
            }
        if existing.name == name:
            raise DuplicateResource(f"A provisioned product with the name {name} already exists.")
    product, portfolio, artifact = _launch(svc, ctx, p)
    parameters = check_parameters(artifact.template_body, p.get("ProvisioningParameters") or [])
    role = _role(svc, ctx, portfolio, product)
    pp_id = new_id("pp-")
    session_arn = ctx.principal.arn
    pp = ProvisionedProduct(
        account_id=ctx.account_id,
        region=ctx.region,
        pp_id=pp_id,
        name=name,
        arn=provisioned_product_arn(ctx.region, ctx.account_id, name, pp_id),
        status="UNDER_CHANGE",
        idempotency_token=p["ProvisionToken"],
        product_id=product.product_id,
        artifact_id=artifact.artifact_id,
        path_id=path_id(portfolio.portfolio_id),
        launch_role_arn=role,
        user_arn=ctx.principal.source_arn or session_arn,
        user_arn_session=session_arn,
        principal=principal_record(ctx.principal),
        parameters=parameters,
        tags=list(p.get("Tags") or []),
        created_at=svc.clock.now(),
    )
    svc.session.add(pp)
    svc.session.flush()
    request = {"Parameters": parameters, "Tags": list(p.get("Tags") or [])}
    record = _new_record(
        svc, ctx, pp, PROVISION, p["ProvisionToken"], request, list(p.get("Tags") or [])
    )
    return {"RecordDetail": record_out(record)}


def _first_record(svc: CatalogService, pp: ProvisionedProduct, fallback: str) -> str:
    records = [r for r in svc.records_of(pp.pp_id) if r.record_type == PROVISION]
    return records[0].record_id if records else fallback


def _changeable(pp: ProvisionedProduct) -> None:
    if pp.status in ("UNDER_CHANGE", "PLAN_IN_PROGRESS"):
        raise InvalidState(
            f"Provisioned product {pp.pp_id} is {pp.status}; wait until its current operation ends."
        )


@api.operation("servicecatalog:UpdateProvisionedProduct", resources=_PRODUCT)
def update_provisioned_product(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Move a provisioned product to another version or other parameters (UpdateStack)."""
    pp = svc.provisioned(
        ctx, pp_id=p.get("ProvisionedProductId"), name=p.get("ProvisionedProductName")
    )
    for record in svc.records_of(pp.pp_id):
        if record.record_type == UPDATE and record.token == p["UpdateToken"]:
            return {"RecordDetail": record_out(record)}
    _changeable(pp)
    if pp.stack_id is None:
        raise InvalidState(f"Provisioned product {pp.pp_id} has no stack to update.")
    launch = {
        "ProductId": p.get("ProductId") or pp.product_id,
        "ProductName": p.get("ProductName"),
        "ProvisioningArtifactId": p.get("ProvisioningArtifactId")
        or (None if p.get("ProvisioningArtifactName") else pp.artifact_id),
        "ProvisioningArtifactName": p.get("ProvisioningArtifactName"),
        "PathId": p.get("PathId") or pp.path_id,
        "PathName": p.get("PathName"),
    }
    if p.get("ProductName") and not p.get("ProductId"):
        launch["ProductId"] = None
    product, portfolio, artifact = _launch(svc, ctx, launch)
    previous = {item["Key"]: item["Value"] for item in pp.parameters}
    parameters = check_parameters(
        artifact.template_body, p.get("ProvisioningParameters") or [], previous
    )
    tags = list(p.get("Tags") or pp.tags)
    request = {
        "Parameters": parameters,
        "Tags": tags,
        "ProductId": product.product_id,
        "ProvisioningArtifactId": artifact.artifact_id,
        "PathId": path_id(portfolio.portfolio_id),
        "LaunchRoleArn": _role(svc, ctx, portfolio, product),
    }
    record = _new_record(svc, ctx, pp, UPDATE, p["UpdateToken"], request, tags)
    return {"RecordDetail": record_out(record)}


@api.operation("servicecatalog:TerminateProvisionedProduct")
def terminate_provisioned_product(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Delete a provisioned product's stack (resources with DeletionPolicy Retain stay)."""
    for record in svc.records(ctx):
        if record.record_type == TERMINATE and record.token == p["TerminateToken"]:
            return {"RecordDetail": record_out(record)}
    pp = svc.provisioned(
        ctx, pp_id=p.get("ProvisionedProductId"), name=p.get("ProvisionedProductName")
    )
    _changeable(pp)
    request = {
        "IgnoreErrors": bool(p.get("IgnoreErrors")),
        "RetainPhysicalResources": bool(p.get("RetainPhysicalResources")),
    }
    record = _new_record(svc, ctx, pp, TERMINATE, p["TerminateToken"], request, [])
    return {"RecordDetail": record_out(record)}


@api.operation("servicecatalog:DescribeRecord")
def describe_record(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A record, its errors and (once it succeeded) its outputs."""
    record = svc.record(ctx, p["Id"])
    out: Output = {"RecordDetail": record_out(record), "RecordOutputs": list(record.outputs)}
    return out


@api.operation("servicecatalog:DescribeProvisionedProduct")
def describe_provisioned_product(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A provisioned product by id or name."""
    if p.get("Id") and p.get("Name"):
        raise InvalidParameters("Specify either Id or Name, not both.")
    pp = svc.provisioned(ctx, pp_id=p.get("Id"), name=p.get("Name"))
    return {"ProvisionedProductDetail": provisioned_out(pp), "CloudWatchDashboards": []}


def _visible(
    svc: CatalogService, ctx: RequestContext, p: Params, *, terminated: bool = False
) -> list[ProvisionedProduct]:
    """The provisioned products the AccessLevelFilter asks for (the caller's own by default,
    as Service Catalog shows a user what it launched)."""
    items = svc.provisioned_products(ctx, terminated=terminated)
    level = p.get("AccessLevelFilter") or {"Key": "User", "Value": "Self"}
    key, value = level.get("Key"), level.get("Value")
    if key == "Account":
        return items
    if key == "Role":
        role = ctx.principal.source_arn or ctx.principal.arn
        return [x for x in items if x.user_arn == role]
    if value and value != "Self":
        return [x for x in items if x.user_arn_session == value or x.user_arn == value]
    return [x for x in items if x.user_arn_session == ctx.principal.arn]


@api.operation("servicecatalog:ScanProvisionedProducts", readonly=True)
def scan_provisioned_products(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """The provisioned products the caller may see."""
    return page([provisioned_out(x) for x in _visible(svc, ctx, p)], p, "ProvisionedProducts")


@api.operation("servicecatalog:SearchProvisionedProducts", readonly=True)
def search_provisioned_products(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Provisioned products with their product's names, filtered by SearchQuery."""
    items = []
    for pp in _visible(svc, ctx, p):
        product = svc.product(pp.product_id)
        artifact = next(
            (a for a in svc.artifacts(pp.product_id) if a.artifact_id == pp.artifact_id), None
        )
        items.append(
            attribute_out(pp, product.name if product else "", artifact.name if artifact else "")
        )
    for query in (p.get("Filters") or {}).get("SearchQuery") or []:
        field, _, wanted = str(query).partition(":")
        if not wanted:
            field, wanted = "", field
        items = [
            x
            for x in items
            if any(
                wanted.lower() in str(v).lower()
                for k, v in x.items()
                if not field or k.lower() == field.lower()
            )
        ]
    sort = p.get("SortBy") or "createdTime"
    keys = {"arn": "Arn", "id": "Id", "name": "Name", "lastRecordId": "LastRecordId"}
    items.sort(
        key=lambda x: str(x.get(keys.get(sort, "CreatedTime"), "")),
        reverse=p.get("SortOrder") == "DESCENDING",
    )
    out = page(items, p, "ProvisionedProducts")
    out["TotalResultsCount"] = len(items)
    return out


@api.operation("servicecatalog:ListRecordHistory", readonly=True)
def list_record_history(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """The records of the provisioned products the caller may see, newest first."""
    visible = {x.pp_id for x in _visible(svc, ctx, p, terminated=True)}
    level = (p.get("AccessLevelFilter") or {}).get("Key")
    records = [r for r in svc.records(ctx) if level == "Account" or r.pp_id in visible]
    search = p.get("SearchFilter") or {}
    if search.get("Key") == "product":
        records = [r for r in records if r.product_id == search.get("Value")]
    elif search.get("Key") == "provisionedproduct":
        records = [r for r in records if r.pp_id == search.get("Value")]
    return page([record_out(r) for r in records], p, "RecordDetails")
