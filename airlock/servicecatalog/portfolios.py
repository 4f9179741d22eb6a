"""Portfolios, the principals given access to them, and their shares with other accounts."""

from __future__ import annotations

from sqlalchemy import delete

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext

from .api import api, page, portfolio_out, portfolio_resource, tags_after
from .errors import InvalidParameters, OperationNotSupported, ResourceInUse, ResourceNotFound
from .models import (
    Portfolio,
    PortfolioAcceptance,
    PortfolioPrincipal,
    PortfolioShare,
)
from .service import CatalogService, new_id, portfolio_arn
from .sharing import organization_share, share_target, shared_through_organization

_PORTFOLIO = portfolio_resource()
_BY_ID = portfolio_resource("Id")


@api.operation("servicecatalog:CreatePortfolio")
def create_portfolio(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A new portfolio (the same one again for a repeated IdempotencyToken)."""
    for existing in svc.portfolios_of_account(ctx):
        if existing.idempotency_token == p["IdempotencyToken"]:
            return {"PortfolioDetail": portfolio_out(existing), "Tags": list(existing.tags)}
    portfolio_id = new_id("port-")
    portfolio = Portfolio(
        account_id=ctx.account_id,
        region=ctx.region,
        portfolio_id=portfolio_id,
        arn=portfolio_arn(ctx.region, ctx.account_id, portfolio_id),
        display_name=p["DisplayName"],
        description=p.get("Description"),
        provider_name=p["ProviderName"],
        idempotency_token=p["IdempotencyToken"],
        tags=tags_after([], p.get("Tags") or [], []),
        created_at=svc.clock.now(),
    )
    svc.session.add(portfolio)
    svc.session.flush()
    return {"PortfolioDetail": portfolio_out(portfolio), "Tags": list(portfolio.tags)}


@api.operation("servicecatalog:DescribePortfolio", resources=_BY_ID)
def describe_portfolio(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A portfolio the caller's account owns or imported, with its tags."""
    portfolio = svc.visible_portfolio(ctx, p["Id"])
    return {
        "PortfolioDetail": portfolio_out(portfolio),
        "Tags": list(portfolio.tags),
        "TagOptions": [],
        "Budgets": [],
    }


@api.operation("servicecatalog:ListPortfolios")
def list_portfolios(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """The caller's account's own portfolios (imported ones are ListAcceptedPortfolioShares')."""
    portfolios = svc.portfolios_of_account(ctx)
    return page([portfolio_out(x) for x in portfolios], p, "PortfolioDetails")


@api.operation("servicecatalog:UpdatePortfolio", resources=_BY_ID)
def update_portfolio(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Change a portfolio's names, description and tags."""
    portfolio = svc.own_portfolio(ctx, p["Id"])
    if p.get("DisplayName") is not None:
        portfolio.display_name = p["DisplayName"]
    if p.get("Description") is not None:
        portfolio.description = p["Description"]
    if p.get("ProviderName") is not None:
        portfolio.provider_name = p["ProviderName"]
    portfolio.tags = tags_after(portfolio.tags, p.get("AddTags") or [], p.get("RemoveTags") or [])
    return {"PortfolioDetail": portfolio_out(portfolio), "Tags": list(portfolio.tags)}


@api.operation("servicecatalog:DeletePortfolio", resources=_BY_ID)
def delete_portfolio(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Delete a portfolio that holds no products, constraints, principals or shares."""
    portfolio = svc.own_portfolio(ctx, p["Id"])
    pid = portfolio.portfolio_id
    if svc.products_of_portfolio(pid):
        raise ResourceInUse("Delete all products associated with the portfolio first.")
    if svc.constraints(pid):
        raise ResourceInUse("Delete all constraints associated with the portfolio first.")
    if svc.shares(pid):
        raise ResourceInUse("Delete all shares of the portfolio first.")
    svc.session.execute(delete(PortfolioPrincipal).where(PortfolioPrincipal.portfolio_id == pid))
    svc.session.delete(portfolio)
    return {}


# -- principals -------------------------------------------------------------------------


@api.operation("servicecatalog:AssociatePrincipalWithPortfolio", resources=_PORTFOLIO)
def associate_principal(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Give an IAM user, role or group (or an ARN pattern) of the caller's account access."""
    portfolio = svc.visible_portfolio(ctx, p["PortfolioId"])
    arn = str(p["PrincipalARN"])
    kind = p["PrincipalType"]
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam":
        raise InvalidParameters(f"Invalid PrincipalARN: {arn}")
    if kind == "IAM":
        if parts[4] != ctx.account_id:
            raise InvalidParameters(
                f"The principal {arn} is not in the caller's account {ctx.account_id}."
            )
        if not parts[5].startswith(("user/", "role/", "group/")) and parts[5] != "root":
            raise InvalidParameters(f"Invalid PrincipalARN: {arn}")
    elif parts[4] not in ("", ctx.account_id):
        raise InvalidParameters("An IAM_PATTERN principal must leave the account id empty.")
    key = (portfolio.portfolio_id, ctx.account_id, arn)
    if svc.session.get(PortfolioPrincipal, key) is None:
        svc.session.add(
            PortfolioPrincipal(
                portfolio_id=portfolio.portfolio_id,
                account_id=ctx.account_id,
                principal_arn=arn,
                principal_type=kind,
                created_at=svc.clock.now(),
            )
        )
    return {}


@api.operation("servicecatalog:DisassociatePrincipalFromPortfolio", resources=_PORTFOLIO)
def disassociate_principal(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Withdraw a principal's access to the portfolio."""
    portfolio = svc.visible_portfolio(ctx, p["PortfolioId"])
    row = svc.session.get(
        PortfolioPrincipal, (portfolio.portfolio_id, ctx.account_id, str(p["PrincipalARN"]))
    )
    if row is None:
        raise ResourceNotFound(
            f"Principal {p['PrincipalARN']} is not associated with portfolio {p['PortfolioId']}."
        )
    svc.session.delete(row)
    return {}


@api.operation("servicecatalog:ListPrincipalsForPortfolio", resources=_PORTFOLIO)
def list_principals(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """The principals the caller's account associated with the portfolio."""
    portfolio = svc.visible_portfolio(ctx, p["PortfolioId"])
    rows = svc.principals(portfolio.portfolio_id, ctx.account_id)
    items = [{"PrincipalARN": r.principal_arn, "PrincipalType": r.principal_type} for r in rows]
    return page(items, p, "Principals")


# -- shares -----------------------------------------------------------------------------


@api.operation("servicecatalog:CreatePortfolioShare", resources=_PORTFOLIO)
def create_portfolio_share(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Share a portfolio with an account, or with an organization node of the caller's
    organization (which needs Service Catalog's trusted access to it)."""
    portfolio = svc.own_portfolio(ctx, p["PortfolioId"])
    kind, principal = share_target(ctx, p)
    if kind != "ACCOUNT" or p.get("OrganizationNode"):
        organization_share(svc, ctx, kind, principal)
    for share in svc.shares(portfolio.portfolio_id, kind):
        if share.principal_id == principal:
            # As AWS documents it: sharing again has no effect (UpdatePortfolioShare changes it).
            return {"PortfolioShareToken": share.token} if p.get("OrganizationNode") else {}
    for product in svc.products_of_portfolio(portfolio.portfolio_id):
        if product.account_id != ctx.account_id:
            raise OperationNotSupported(
                f"Portfolio {portfolio.portfolio_id} holds the shared product "
                f"{product.product_id}: a shared resource cannot be shared again."
            )
    token = new_id("share-")
    svc.session.add(
        PortfolioShare(
            portfolio_id=portfolio.portfolio_id,
            type=kind,
            principal_id=principal,
            share_tag_options=bool(p.get("ShareTagOptions")),
            share_principals=bool(p.get("SharePrincipals")),
            token=token,
            created_at=svc.clock.now(),
        )
    )
    return {"PortfolioShareToken": token} if p.get("OrganizationNode") else {}


@api.operation("servicecatalog:UpdatePortfolioShare", resources=_PORTFOLIO)
def update_portfolio_share(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Turn tag option or principal sharing of an existing share on or off."""
    portfolio = svc.own_portfolio(ctx, p["PortfolioId"])
    kind, principal = share_target(ctx, p)
    found = [s for s in svc.shares(portfolio.portfolio_id, kind) if s.principal_id == principal]
    if not found:
        raise ResourceNotFound(
            f"Portfolio {portfolio.portfolio_id} is not shared with {principal}."
        )
    share = found[0]
    if p.get("ShareTagOptions") is not None:
        share.share_tag_options = bool(p["ShareTagOptions"])
    if p.get("SharePrincipals") is not None:
        share.share_principals = bool(p["SharePrincipals"])
    return {"PortfolioShareToken": share.token, "Status": "COMPLETED"}


@api.operation("servicecatalog:DeletePortfolioShare", resources=_PORTFOLIO)
def delete_portfolio_share(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Stop sharing a portfolio; the recipients lose what they imported from that share."""
    portfolio = svc.own_portfolio(ctx, p["PortfolioId"])
    kind, principal = share_target(ctx, p)
    found = [s for s in svc.shares(portfolio.portfolio_id, kind) if s.principal_id == principal]
    if not found:
        raise ResourceNotFound(
            f"Portfolio {portfolio.portfolio_id} is not shared with {principal}."
        )
    svc.session.delete(found[0])
    svc.session.flush()
    share_type = (
        "IMPORTED" if kind == "ACCOUNT" and not p.get("OrganizationNode") else "AWS_ORGANIZATIONS"
    )
    for row in list(
        svc.session.query(PortfolioAcceptance).filter(
            PortfolioAcceptance.portfolio_id == portfolio.portfolio_id,
            PortfolioAcceptance.share_type == share_type,
        )
    ):
        if share_type == "IMPORTED" and row.account_id != principal:
            continue
        if share_type == "AWS_ORGANIZATIONS" and shared_through_organization(
            svc, portfolio.portfolio_id, row.account_id
        ):
            continue
        svc.session.delete(row)
    token = found[0].token
    return {"PortfolioShareToken": token} if p.get("OrganizationNode") else {}


@api.operation("servicecatalog:DescribePortfolioShares", resources=_PORTFOLIO)
def describe_portfolio_shares(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """A portfolio's shares of one type, and whether each was accepted."""
    portfolio = svc.own_portfolio(ctx, p["PortfolioId"])
    items = []
    for share in svc.shares(portfolio.portfolio_id, p["Type"]):
        accepted = False
        if share.type in ("ACCOUNT", "ORGANIZATION_MEMBER_ACCOUNT"):
            accepted = svc.acceptance(portfolio.portfolio_id, share.principal_id) is not None
        items.append(
            {
                "PrincipalId": share.principal_id,
                "Type": share.type,
                "Accepted": accepted,
                "ShareTagOptions": share.share_tag_options,
                "SharePrincipals": share.share_principals,
            }
        )
    return page(items, p, "PortfolioShareDetails", default_max=50)


@api.operation("servicecatalog:AcceptPortfolioShare", resources=_PORTFOLIO)
def accept_portfolio_share(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Import a portfolio shared with the caller's account (or its organization node)."""
    kind = p.get("PortfolioShareType") or "IMPORTED"
    portfolio = svc.portfolio(p["PortfolioId"])
    if portfolio is None or portfolio.account_id == ctx.account_id:
        raise ResourceNotFound(f"Portfolio {p['PortfolioId']} not found.")
    if kind == "IMPORTED":
        shared = any(
            s.principal_id == ctx.account_id for s in svc.shares(portfolio.portfolio_id, "ACCOUNT")
        )
    elif kind == "AWS_ORGANIZATIONS":
        shared = shared_through_organization(svc, portfolio.portfolio_id, ctx.account_id)
    else:
        raise InvalidParameters(f"PortfolioShareType {kind} is not supported.")
    if not shared:
        raise ResourceNotFound(f"Portfolio {p['PortfolioId']} not found.")
    if svc.acceptance(portfolio.portfolio_id, ctx.account_id) is None:
        svc.session.add(
            PortfolioAcceptance(
                portfolio_id=portfolio.portfolio_id,
                account_id=ctx.account_id,
                share_type=kind,
                created_at=svc.clock.now(),
            )
        )
    return {}


@api.operation("servicecatalog:RejectPortfolioShare", resources=_PORTFOLIO)
def reject_portfolio_share(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Give back a portfolio the caller's account imported."""
    row = svc.acceptance(str(p["PortfolioId"]), ctx.account_id)
    if row is None:
        raise ResourceNotFound(f"Portfolio {p['PortfolioId']} not found.")
    svc.session.delete(row)
    svc.session.execute(
        delete(PortfolioPrincipal).where(
            PortfolioPrincipal.portfolio_id == row.portfolio_id,
            PortfolioPrincipal.account_id == ctx.account_id,
        )
    )
    return {}


@api.operation("servicecatalog:ListAcceptedPortfolioShares")
def list_accepted_portfolio_shares(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """The portfolios the caller's account imported (of one share type)."""
    kind = p.get("PortfolioShareType") or "IMPORTED"
    items = []
    for portfolio in svc.imported(ctx.account_id):
        row = svc.acceptance(portfolio.portfolio_id, ctx.account_id)
        if row is not None and row.share_type == kind:
            items.append(portfolio_out(portfolio))
    return page(items, p, "PortfolioDetails")
