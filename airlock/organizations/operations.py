"""The AWS Organizations operations: declare action and resources, call the service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import Output, Params, Resource, ServiceApi
from airlock.core.context import RequestContext
from airlock.core.paging import paginate
from airlock.identity import Account

from . import access, errors, handshakes
from .models import CreateAccountRequest, Membership, Organization, OrganizationalUnit
from .scp import root_policy_types
from .service import CREATE_ACCOUNT_TASK, Arns, OrganizationsService, create_account_step


def _factory(platform: Any, session: Session) -> OrganizationsService:
    return OrganizationsService(session, platform.clock)


api: ServiceApi[OrganizationsService] = ServiceApi(
    "organizations",
    _factory,
    validation_error=errors.invalid_input_from,
    steps={CREATE_ACCOUNT_TASK: create_account_step},
)


def _resource(kind: str, param: str | None = None) -> Any:
    """A resource finder naming the organization resource an operation acts on."""

    def find(svc: OrganizationsService, ctx: RequestContext, params: Params) -> list[Resource]:
        org = svc.organization_of(ctx.account_id)
        if org is None:
            return [Resource("*")]
        arns = Arns(org)
        value = str(params.get(param, "")) if param else ""
        if kind == "organization":
            arn = arns.organization()
        elif kind == "account":
            arn = arns.account(value)
        elif kind == "handshake":
            arn = arns.handshake(value)
        elif value.startswith("r-"):
            arn = arns.root(value)
        elif value.startswith("ou-"):
            arn = arns.ou(value)
        else:
            arn = arns.account(value) if value else arns.organization()
        return [Resource(arn)]

    return find


SERVICE_PRINCIPAL = {"organizations:ServicePrincipal": "ServicePrincipal"}


def _page(items: Sequence[Any], params: Params, key: str) -> Output:
    chunk, token = paginate(items, params, default_max=20, bad_token=errors.bad_next_token)
    out: Output = {key: chunk}
    if token:
        out["NextToken"] = token
    return out


def _org(svc: OrganizationsService, org: Organization) -> Output:
    management = svc.management_account(org)
    return {
        "Id": org.id,
        "Arn": Arns(org).organization(),
        "FeatureSet": org.feature_set,
        "MasterAccountArn": Arns(org).account(org.management_account_id),
        "MasterAccountId": org.management_account_id,
        "MasterAccountEmail": management.email,
        "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
    }


def _ou(org: Organization, ou: OrganizationalUnit) -> Output:
    return {"Id": ou.id, "Arn": Arns(org).ou(ou.id), "Name": ou.name}


def _account(org: Organization, member: Membership, account: Account) -> Output:
    return {
        "Id": account.id,
        "Arn": Arns(org).account(account.id),
        "Email": account.email,
        "Name": account.name,
        "Status": account.status,
        "State": account.status,
        "JoinedMethod": member.joined_method,
        "JoinedTimestamp": member.joined_at,
    }


def _status(request: CreateAccountRequest) -> Output:
    out: Output = {
        "Id": request.id,
        "AccountName": request.account_name,
        "State": request.state,
        "RequestedTimestamp": request.requested_at,
    }
    if request.completed_at is not None:
        out["CompletedTimestamp"] = request.completed_at
    if request.account_id:
        out["AccountId"] = request.account_id
    if request.failure_reason:
        out["FailureReason"] = request.failure_reason
    return out


# -- organization ---------------------------------------------------------


@api.operation("organizations:CreateOrganization", resources=_resource("organization"))
def create_organization(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Create an organization managed by the caller's account."""
    org = svc.create_organization(ctx, p.get("FeatureSet") or "ALL")
    return {"Organization": _org(svc, org)}


@api.operation("organizations:DescribeOrganization", resources=_resource("organization"))
def describe_organization(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """The organization the caller's account belongs to."""
    return {"Organization": _org(svc, svc.member_org(ctx))}


@api.operation("organizations:DeleteOrganization", resources=_resource("organization"))
def delete_organization(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Delete an organization that has no member accounts left."""
    svc.delete_organization(ctx)
    return {}


@api.operation("organizations:ListRoots", resources=_resource("organization"))
def list_roots(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """The organization's root."""
    org = svc.managed_org(ctx)
    roots = [
        {
            "Id": r.id,
            "Arn": Arns(org).root(r.id),
            "Name": r.name,
            "PolicyTypes": root_policy_types(svc, r),
        }
        for r in svc.roots(org)
    ]
    return _page(roots, p, "Roots")


# -- organizational units -------------------------------------------------


@api.operation("organizations:CreateOrganizationalUnit", resources=_resource("parent", "ParentId"))
def create_organizational_unit(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Create an OU under a root or OU."""
    org, ou = svc.create_ou(ctx, p["ParentId"], p["Name"], p.get("Tags") or [])
    return {"OrganizationalUnit": _ou(org, ou)}


@api.operation(
    "organizations:DescribeOrganizationalUnit", resources=_resource("ou", "OrganizationalUnitId")
)
def describe_organizational_unit(
    svc: OrganizationsService, ctx: RequestContext, p: Params
) -> Output:
    """One OU."""
    org = svc.managed_org(ctx)
    return {"OrganizationalUnit": _ou(org, svc.get_ou(org, p["OrganizationalUnitId"]))}


@api.operation(
    "organizations:UpdateOrganizationalUnit", resources=_resource("ou", "OrganizationalUnitId")
)
def update_organizational_unit(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Rename an OU."""
    org, ou = svc.rename_ou(ctx, p["OrganizationalUnitId"], p.get("Name"))
    return {"OrganizationalUnit": _ou(org, ou)}


@api.operation(
    "organizations:DeleteOrganizationalUnit", resources=_resource("ou", "OrganizationalUnitId")
)
def delete_organizational_unit(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Delete an empty OU."""
    svc.delete_ou(ctx, p["OrganizationalUnitId"])
    return {}


@api.operation(
    "organizations:ListOrganizationalUnitsForParent", resources=_resource("parent", "ParentId")
)
def list_organizational_units_for_parent(
    svc: OrganizationsService, ctx: RequestContext, p: Params
) -> Output:
    """The OUs directly under a root or OU."""
    org = svc.managed_org(ctx)
    ous = [_ou(org, ou) for ou in svc.child_ous(org, p["ParentId"])]
    return _page(ous, p, "OrganizationalUnits")


@api.operation("organizations:ListChildren", resources=_resource("parent", "ParentId"))
def list_children(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """The accounts or OUs directly under a root or OU."""
    org = svc.managed_org(ctx)
    kind = p["ChildType"]
    children = [{"Id": i, "Type": kind} for i in svc.children(org, p["ParentId"], kind)]
    return _page(children, p, "Children")


@api.operation("organizations:ListParents", resources=_resource("child", "ChildId"))
def list_parents(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """The root or OU directly above an account or OU."""
    org = svc.managed_org(ctx)
    parent = svc.parent_of(org, p["ChildId"])
    kind = "ROOT" if parent.startswith("r-") else "ORGANIZATIONAL_UNIT"
    return _page([{"Id": parent, "Type": kind}], p, "Parents")


# -- accounts -------------------------------------------------------------


@api.operation("organizations:CreateAccount", resources=_resource("organization"))
def create_account(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Start creating a member account (finished asynchronously)."""
    request = svc.request_account(
        ctx,
        name=p["AccountName"],
        email=p["Email"],
        role_name=p.get("RoleName"),
        billing=p.get("IamUserAccessToBilling"),
        tags=p.get("Tags") or [],
    )
    return {"CreateAccountStatus": _status(request)}


@api.operation("organizations:DescribeCreateAccountStatus", resources=_resource("organization"))
def describe_create_account_status(
    svc: OrganizationsService, ctx: RequestContext, p: Params
) -> Output:
    """The state of one CreateAccount request."""
    org = svc.managed_org(ctx)
    return {"CreateAccountStatus": _status(svc.account_request(org, p["CreateAccountRequestId"]))}


@api.operation("organizations:ListCreateAccountStatus", resources=_resource("organization"))
def list_create_account_status(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """CreateAccount requests, optionally filtered by state."""
    org = svc.managed_org(ctx)
    statuses = [_status(r) for r in svc.account_requests(org, p.get("States"))]
    return _page(statuses, p, "CreateAccountStatuses")


@api.operation("organizations:DescribeAccount", resources=_resource("account", "AccountId"))
def describe_account(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """One member account."""
    org = svc.managed_org(ctx)
    member, account = svc.member(org, p["AccountId"])
    return {"Account": _account(org, member, account)}


@api.operation("organizations:ListAccounts", resources=_resource("organization"))
def list_accounts(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Every account in the organization."""
    org = svc.managed_org(ctx)
    accounts = [_account(org, m, a) for m, a in svc.members(org)]
    return _page(accounts, p, "Accounts")


@api.operation("organizations:ListAccountsForParent", resources=_resource("parent", "ParentId"))
def list_accounts_for_parent(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """The accounts directly under a root or OU."""
    org = svc.managed_org(ctx)
    accounts = [_account(org, m, a) for m, a in svc.members(org, p["ParentId"])]
    return _page(accounts, p, "Accounts")


@api.operation("organizations:MoveAccount", resources=_resource("account", "AccountId"))
def move_account(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Move an account between roots and OUs."""
    svc.move_account(ctx, p["AccountId"], p["SourceParentId"], p["DestinationParentId"])
    return {}


@api.operation(
    "organizations:RemoveAccountFromOrganization", resources=_resource("account", "AccountId")
)
def remove_account_from_organization(
    svc: OrganizationsService, ctx: RequestContext, p: Params
) -> Output:
    """Remove a member account; it becomes a standalone account."""
    svc.remove_account(svc.managed_org(ctx), p["AccountId"])
    return {}


@api.operation("organizations:LeaveOrganization", resources=_resource("organization"))
def leave_organization(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """A member account leaves its organization."""
    svc.remove_account(svc.member_org(ctx), ctx.account_id)
    return {}


# -- invitations ----------------------------------------------------------


@api.operation("organizations:InviteAccountToOrganization", resources=_resource("organization"))
def invite_account_to_organization(
    svc: OrganizationsService, ctx: RequestContext, p: Params
) -> Output:
    """Invite an existing account to join the organization."""
    _, handshake = handshakes.invite(svc, ctx, p["Target"], p.get("Notes"), p.get("Tags") or [])
    return {"Handshake": handshakes.to_wire(svc, handshake)}


def _filtered(svc: OrganizationsService, rows: Sequence[Any], p: Params) -> list[Output]:
    wanted = p.get("Filter") or {}
    out = [handshakes.to_wire(svc, h) for h in rows]
    if wanted.get("ActionType"):
        out = [h for h in out if h["Action"] == wanted["ActionType"]]
    if wanted.get("ParentHandshakeId"):
        out = []  # only INVITE handshakes exist; none has a parent
    return out


@api.operation("organizations:ListHandshakesForAccount")
def list_handshakes_for_account(
    svc: OrganizationsService, ctx: RequestContext, p: Params
) -> Output:
    """Invitations addressed to the caller's account."""
    return _page(_filtered(svc, handshakes.for_account(svc, ctx), p), p, "Handshakes")


@api.operation("organizations:ListHandshakesForOrganization", resources=_resource("organization"))
def list_handshakes_for_organization(
    svc: OrganizationsService, ctx: RequestContext, p: Params
) -> Output:
    """Invitations the organization has sent."""
    return _page(_filtered(svc, handshakes.for_organization(svc, ctx), p), p, "Handshakes")


@api.operation("organizations:DescribeHandshake", resources=_resource("handshake", "HandshakeId"))
def describe_handshake(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """One handshake the caller can see."""
    return {"Handshake": handshakes.to_wire(svc, handshakes.describe(svc, ctx, p["HandshakeId"]))}


@api.operation("organizations:AcceptHandshake", resources=_resource("handshake", "HandshakeId"))
def accept_handshake(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Accept an invitation: the caller's account joins the organization."""
    handshake = handshakes.respond(svc, ctx, p["HandshakeId"], accept=True)
    return {"Handshake": handshakes.to_wire(svc, handshake)}


@api.operation("organizations:DeclineHandshake", resources=_resource("handshake", "HandshakeId"))
def decline_handshake(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Decline an invitation."""
    handshake = handshakes.respond(svc, ctx, p["HandshakeId"], accept=False)
    return {"Handshake": handshakes.to_wire(svc, handshake)}


@api.operation("organizations:CancelHandshake", resources=_resource("handshake", "HandshakeId"))
def cancel_handshake(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Withdraw an open invitation."""
    return {"Handshake": handshakes.to_wire(svc, handshakes.cancel(svc, ctx, p["HandshakeId"]))}


# -- trusted access and delegated administrators --------------------------


@api.operation(
    "organizations:EnableAWSServiceAccess",
    resources=_resource("organization"),
    condition_keys=SERVICE_PRINCIPAL,
)
def enable_aws_service_access(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Give a service principal trusted access."""
    access.enable_service(svc, ctx, p["ServicePrincipal"])
    return {}


@api.operation(
    "organizations:DisableAWSServiceAccess",
    resources=_resource("organization"),
    condition_keys=SERVICE_PRINCIPAL,
)
def disable_aws_service_access(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Withdraw a service principal's trusted access."""
    access.disable_service(svc, ctx, p["ServicePrincipal"])
    return {}


@api.operation(
    "organizations:ListAWSServiceAccessForOrganization", resources=_resource("organization")
)
def list_aws_service_access_for_organization(
    svc: OrganizationsService, ctx: RequestContext, p: Params
) -> Output:
    """Service principals with trusted access."""
    rows = [
        {"ServicePrincipal": r.service_principal, "DateEnabled": r.enabled_at}
        for r in access.enabled_services(svc, ctx)
    ]
    return _page(rows, p, "EnabledServicePrincipals")


@api.operation(
    "organizations:RegisterDelegatedAdministrator",
    resources=_resource("account", "AccountId"),
    condition_keys=SERVICE_PRINCIPAL,
)
def register_delegated_administrator(
    svc: OrganizationsService, ctx: RequestContext, p: Params
) -> Output:
    """Make a member account a service's delegated administrator."""
    access.register_admin(svc, ctx, p["AccountId"], p["ServicePrincipal"])
    return {}


@api.operation(
    "organizations:DeregisterDelegatedAdministrator",
    resources=_resource("account", "AccountId"),
    condition_keys=SERVICE_PRINCIPAL,
)
def deregister_delegated_administrator(
    svc: OrganizationsService, ctx: RequestContext, p: Params
) -> Output:
    """Remove a delegated administrator."""
    access.deregister_admin(svc, ctx, p["AccountId"], p["ServicePrincipal"])
    return {}


@api.operation(
    "organizations:ListDelegatedAdministrators",
    resources=_resource("organization"),
    condition_keys=SERVICE_PRINCIPAL,
)
def list_delegated_administrators(
    svc: OrganizationsService, ctx: RequestContext, p: Params
) -> Output:
    """Delegated administrators, optionally for one service."""
    org = svc.managed_org(ctx)
    rows = []
    for admin in access.admins(svc, ctx, p.get("ServicePrincipal")):
        member, account = svc.member(org, admin.account_id)
        rows.append(_account(org, member, account) | {"DelegationEnabledDate": admin.registered_at})
    return _page(rows, p, "DelegatedAdministrators")


@api.operation(
    "organizations:ListDelegatedServicesForAccount", resources=_resource("account", "AccountId")
)
def list_delegated_services_for_account(
    svc: OrganizationsService, ctx: RequestContext, p: Params
) -> Output:
    """The services an account is delegated administrator for."""
    rows = [
        {"ServicePrincipal": r.service_principal, "DelegationEnabledDate": r.registered_at}
        for r in access.delegated_services(svc, ctx, p["AccountId"])
    ]
    return _page(rows, p, "DelegatedServices")


# -- tags -----------------------------------------------------------------


@api.operation("organizations:TagResource", resources=_resource("target", "ResourceId"))
def tag_resource(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Add or overwrite tags on a root, OU or account."""
    org = svc.managed_org(ctx)
    svc.check_taggable(org, p["ResourceId"])
    svc.set_tags(org, p["ResourceId"], p["Tags"])
    return {}


@api.operation("organizations:UntagResource", resources=_resource("target", "ResourceId"))
def untag_resource(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """Remove tags by key."""
    org = svc.managed_org(ctx)
    svc.check_taggable(org, p["ResourceId"])
    svc.untag(org, p["ResourceId"], p["TagKeys"])
    return {}


@api.operation("organizations:ListTagsForResource", resources=_resource("target", "ResourceId"))
def list_tags_for_resource(svc: OrganizationsService, ctx: RequestContext, p: Params) -> Output:
    """The tags on a root, OU or account."""
    org = svc.managed_org(ctx)
    svc.check_taggable(org, p["ResourceId"])
    return _page(svc.tags(org, p["ResourceId"]), p, "Tags")
