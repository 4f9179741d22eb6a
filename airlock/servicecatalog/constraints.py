"""Launch constraints (the role a product is launched as) and launch paths."""

from __future__ import annotations

import json
from typing import Any

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext

from .api import api, page, portfolio_resource, product_resource
from .errors import DuplicateResource, InvalidParameters, ResourceNotFound
from .models import Constraint, PortfolioProduct
from .service import SERVICECATALOG, CatalogService, new_id, path_id

_SUPPORTED = ("LAUNCH",)


def launch_role_parameters(text: str) -> dict[str, str]:
    """A LAUNCH constraint's Parameters: exactly one of RoleArn and LocalRoleName."""
    try:
        value: Any = json.loads(text)
    except ValueError:
        raise InvalidParameters(f"Invalid constraint parameters: {text}") from None
    if not isinstance(value, dict):
        raise InvalidParameters(f"Invalid constraint parameters: {text}")
    unknown = sorted(set(value) - {"RoleArn", "LocalRoleName"})
    if unknown:
        raise InvalidParameters(f"Invalid constraint parameters: unknown key {unknown[0]}")
    role, local = value.get("RoleArn"), value.get("LocalRoleName")
    if role and local:
        raise InvalidParameters(
            "Invalid constraint parameters: RoleArn and LocalRoleName cannot both be specified"
        )
    if not role and not local:
        raise InvalidParameters(
            "Invalid constraint parameters: either RoleArn or LocalRoleName must be specified"
        )
    if role and not (isinstance(role, str) and role.startswith("arn:") and ":role/" in role):
        raise InvalidParameters(f"Invalid constraint parameters: RoleArn {role} is not a role ARN")
    return {k: str(v) for k, v in value.items() if v}


def launch_role_arn(constraint: Constraint, account_id: str) -> str:
    """The role a launch in `account_id` runs as (LocalRoleName names it in that account)."""
    parameters = launch_role_parameters(constraint.parameters)
    if "RoleArn" in parameters:
        return parameters["RoleArn"]
    return f"arn:aws:iam::{account_id}:role/{parameters['LocalRoleName']}"


def _passed_roles(p: Params) -> list[str]:
    if p.get("Type") != "LAUNCH":
        return []
    try:
        value = json.loads(str(p.get("Parameters") or ""))
    except ValueError:
        return []
    role = value.get("RoleArn") if isinstance(value, dict) else None
    return [role] if isinstance(role, str) and role.startswith("arn:") else []


def constraint_detail(row: Constraint) -> Output:
    """`ConstraintDetail`."""
    return {
        "ConstraintId": row.constraint_id,
        "Type": row.type,
        "Description": row.description,
        "Owner": row.account_id,
        "ProductId": row.product_id,
        "PortfolioId": row.portfolio_id,
    }


def _constraint_out(row: Constraint) -> Output:
    return {
        "ConstraintDetail": constraint_detail(row),
        "ConstraintParameters": row.parameters,
        "Status": "AVAILABLE",
    }


@api.operation(
    "servicecatalog:CreateConstraint",
    resources=portfolio_resource(),
    passes_role=(SERVICECATALOG, _passed_roles),
)
def create_constraint(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A constraint on a product in a portfolio; LAUNCH names the launch role."""
    portfolio = svc.visible_portfolio(ctx, p["PortfolioId"])
    for existing in svc.constraints(portfolio.portfolio_id):
        if existing.idempotency_token == p["IdempotencyToken"]:
            return _constraint_out(existing)
    if p["Type"] not in _SUPPORTED:
        raise InvalidParameters(f"Constraint type {p['Type']} is not supported; use LAUNCH.")
    product_id = str(p["ProductId"])
    if svc.session.get(PortfolioProduct, (portfolio.portfolio_id, product_id)) is None:
        raise ResourceNotFound(
            f"Product {product_id} is not associated with portfolio {portfolio.portfolio_id}."
        )
    launch_role_parameters(p["Parameters"])
    if svc.launch_constraint(portfolio.portfolio_id, product_id) is not None:
        raise DuplicateResource(
            "Only one launch constraint is allowed per product and portfolio: portfolio "
            f"{portfolio.portfolio_id} already has one for product {product_id}."
        )
    row = Constraint(
        constraint_id=new_id("cons-"),
        account_id=ctx.account_id,
        portfolio_id=portfolio.portfolio_id,
        product_id=product_id,
        type=p["Type"],
        description=p.get("Description") or "",
        parameters=p["Parameters"],
        idempotency_token=p["IdempotencyToken"],
        created_at=svc.clock.now(),
    )
    svc.session.add(row)
    svc.session.flush()
    return _constraint_out(row)


def _own_constraint(svc: CatalogService, ctx: RequestContext, constraint_id: str) -> Constraint:
    row = svc.constraint(constraint_id)
    if row is None or row.account_id != ctx.account_id:
        raise ResourceNotFound(f"Constraint {constraint_id} not found.")
    return row


@api.operation("servicecatalog:DescribeConstraint")
def describe_constraint(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A constraint of the caller's account."""
    return _constraint_out(_own_constraint(svc, ctx, p["Id"]))


@api.operation("servicecatalog:DeleteConstraint")
def delete_constraint(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Delete a constraint."""
    svc.session.delete(_own_constraint(svc, ctx, p["Id"]))
    return {}


@api.operation("servicecatalog:ListConstraintsForPortfolio", resources=portfolio_resource())
def list_constraints_for_portfolio(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A portfolio's constraints (on one product)."""
    portfolio = svc.visible_portfolio(ctx, p["PortfolioId"])
    rows = svc.constraints(portfolio.portfolio_id, p.get("ProductId"))
    return page([constraint_detail(r) for r in rows], p, "ConstraintDetails")


@api.operation("servicecatalog:ListLaunchPaths", resources=product_resource())
def list_launch_paths(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """The portfolios through which the caller may launch the product."""
    product = svc.launch_product(ctx, p["ProductId"])
    items = []
    for portfolio in svc.launch_paths(ctx, product):
        summaries = [
            {"Type": c.type, "Description": c.description}
            for c in svc.constraints(portfolio.portfolio_id, product.product_id)
        ]
        items.append(
            {
                "Id": path_id(portfolio.portfolio_id),
                "ConstraintSummaries": summaries,
                "Tags": list(portfolio.tags),
                "Name": portfolio.display_name,
            }
        )
    return page(items, p, "LaunchPathSummaries")


@api.operation("servicecatalog:UpdateConstraint")
def update_constraint(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Change a constraint's description or (for LAUNCH) its role."""
    row = _own_constraint(svc, ctx, p["Id"])
    if p.get("Parameters") is not None:
        if row.type == "LAUNCH":
            launch_role_parameters(p["Parameters"])
        row.parameters = p["Parameters"]
    if p.get("Description") is not None:
        row.description = p["Description"]
    return _constraint_out(row)
