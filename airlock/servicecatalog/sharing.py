"""Portfolio shares with organization nodes, and Service Catalog's trusted access to the
caller's organization (read from Organizations, turned on through the call path)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airlock.core.api import Output, Params
from airlock.core.calls import acting_context, call
from airlock.core.context import RequestContext
from airlock.core.errors import ServiceError
from airlock.organizations import OrganizationsService, is_service_enabled

from .api import api
from .errors import InvalidParameters, InvalidState, OperationNotSupported
from .service import SERVICECATALOG, CatalogService


def share_target(ctx: RequestContext, p: Params) -> tuple[str, str]:
    """The share's type and principal id from AccountId or OrganizationNode."""
    node = p.get("OrganizationNode")
    account = p.get("AccountId")
    if bool(node) == bool(account):
        raise InvalidParameters("Specify either AccountId or OrganizationNode.")
    if account:
        if account == ctx.account_id:
            raise InvalidParameters("A portfolio cannot be shared with its own account.")
        return "ACCOUNT", str(account)
    node = node or {}
    kind, value = node.get("Type"), node.get("Value")
    if not kind or not value:
        raise InvalidParameters("OrganizationNode must have a Type and a Value.")
    if kind == "ACCOUNT":
        return "ORGANIZATION_MEMBER_ACCOUNT", str(value)
    return str(kind), str(value)


def _organization(svc: CatalogService, account_id: str) -> Any:
    return OrganizationsService(svc.session, svc.clock).organization_of(account_id)


def organization_share(svc: CatalogService, ctx: RequestContext, kind: str, node: str) -> None:
    """Check a share to an organization node: the caller manages the organization, which
    gave Service Catalog trusted access, and the node is in it."""
    orgs = OrganizationsService(svc.session, svc.clock)
    org = orgs.organization_of(ctx.account_id)
    if org is None or org.management_account_id != ctx.account_id:
        raise OperationNotSupported(
            "Sharing with an organization node needs the organization's management account."
        )
    if not is_service_enabled(orgs, org, SERVICECATALOG):
        raise InvalidState(
            "AWSOrganizationsAccess must be enabled in order to create a portfolio share to an "
            "organization node."
        )
    known = True
    if kind == "ORGANIZATION":
        known = node == org.id
    else:
        try:
            orgs.parent_of(org, node)
        except ServiceError:
            known = False
    if not known:
        raise InvalidParameters(f"Organization node {node} is not in organization {org.id}.")


def shared_through_organization(svc: CatalogService, portfolio_id: str, account_id: str) -> bool:
    """Whether a share of the portfolio to an organization node covers the account."""
    shares = [s for s in svc.shares(portfolio_id) if s.type != "ACCOUNT"]
    if not shares:
        return False
    orgs = OrganizationsService(svc.session, svc.clock)
    org = orgs.organization_of(account_id)
    if org is None:
        return False
    ancestors = {account_id, org.id}
    node = account_id
    for _ in range(10):  # roots, then at most five levels of OUs
        try:
            node = orgs.parent_of(org, node)
        except ServiceError:
            break
        ancestors.add(node)
        if node.startswith("r-"):
            break
    return any(share.principal_id in ancestors for share in shares)


def _organizations_access(operation: str) -> Callable[[Any, RequestContext, Params], Any]:
    """A stage step: Organizations' trusted access for Service Catalog, as the caller."""

    def stage(platform: Any, ctx: RequestContext, p: Params) -> Callable[[], None]:
        acting = acting_context(
            platform, ctx.principal, via=SERVICECATALOG, service="servicecatalog", region=ctx.region
        )
        try:
            call(platform, acting, "organizations", operation, {"ServicePrincipal": SERVICECATALOG})
        except ServiceError as error:
            raise InvalidState(error.message) from error
        return lambda: None

    return stage


@api.operation(
    "servicecatalog:EnableAWSOrganizationsAccess",
    stage=_organizations_access("EnableAWSServiceAccess"),
)
def enable_organizations_access(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Let Service Catalog share portfolios with the caller's organization's nodes."""
    return {}


@api.operation(
    "servicecatalog:DisableAWSOrganizationsAccess",
    stage=_organizations_access("DisableAWSServiceAccess"),
)
def disable_organizations_access(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """Withdraw Service Catalog's trusted access to the organization."""
    return {}


@api.operation("servicecatalog:GetAWSOrganizationsAccessStatus")
def get_organizations_access_status(svc: CatalogService, ctx: RequestContext, p: Params) -> Output:
    """ENABLED once Service Catalog has trusted access to the caller's organization."""
    org = _organization(svc, ctx.account_id)
    if org is None:
        raise OperationNotSupported("The account is not in an organization.")
    enabled = is_service_enabled(OrganizationsService(svc.session, svc.clock), org, SERVICECATALOG)
    return {"AccessStatus": "ENABLED" if enabled else "DISABLED"}
