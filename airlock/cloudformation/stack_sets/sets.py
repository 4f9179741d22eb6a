"""What the stack set operations share: finding a set as its caller may, its instances
and operations, the targets a call names, and an OperationId naming one request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from airlock.core.api import Params, Resource
from airlock.core.context import RequestContext
from airlock.organizations import (
    STACKSETS_MEMBER,
    OrganizationsService,
    is_delegated_admin,
    is_service_enabled,
)
from airlock.organizations.models import Organization

from ..errors import CloudFormationValidation
from ..service import CloudFormation
from . import errors
from .models import StackInstance, StackSet, StackSetOperation
from .principals import stack_set_arn
from .targets import accounts_of_units, check_accounts, filtered

BUSY = ("RUNNING", "STOPPING", "QUEUED")


@dataclass(frozen=True)
class Caller:
    """Whose stack sets a call sees: its own, or (DELEGATED_ADMIN) the management account's."""

    owner: str
    delegated: bool


def caller_of(svc: CloudFormation, ctx: RequestContext, p: Params) -> Caller:
    """The caller's standing for `CallAs`; a delegated administrator acts for the management
    account, where service-managed stack sets live (as AWS documents)."""
    if p.get("CallAs") != "DELEGATED_ADMIN":
        return Caller(ctx.account_id, False)
    orgs = OrganizationsService(svc.session, svc.clock)
    org = orgs.organization_of(ctx.account_id)
    if org is None or not is_delegated_admin(orgs, org, ctx.account_id, STACKSETS_MEMBER):
        raise CloudFormationValidation("Account used is not a delegated administrator")
    return Caller(org.management_account_id, True)


def service_managed_org(svc: CloudFormation, caller: Caller) -> Organization:
    """The organization a service-managed stack set deploys into, with trusted access on."""
    orgs = OrganizationsService(svc.session, svc.clock)
    org = orgs.organization_of(caller.owner)
    if (
        org is None
        or org.management_account_id != caller.owner
        or not is_service_enabled(orgs, org, STACKSETS_MEMBER)
    ):
        raise CloudFormationValidation(
            "You must enable organizations access to operate a service managed stack set"
        )
    return org


def stack_set_resource(
    svc: CloudFormation | None, ctx: RequestContext, p: Params
) -> list[Resource]:
    """The stack set a call names, as IAM sees it."""
    name = str(p.get("StackSetName") or "*").split(":")[0]
    return [Resource(f"arn:aws:cloudformation:{ctx.region}:{ctx.account_id}:stackset/{name}:*")]


def find_stack_set(
    svc: CloudFormation,
    ctx: RequestContext,
    caller: Caller,
    name_or_id: str,
    *,
    deleted: bool = False,
) -> StackSet:
    """An active stack set by name or id (a deleted one by id when `deleted`)."""
    query = select(StackSet).where(
        StackSet.account_id == caller.owner, StackSet.region == ctx.region
    )
    if ":" in name_or_id:
        query = query.where(StackSet.stack_set_id == name_or_id)
        if not deleted:
            query = query.where(StackSet.status == "ACTIVE")
    else:
        query = query.where(StackSet.name == name_or_id, StackSet.status == "ACTIVE")
    found = svc.session.scalars(query).first()
    if found is None or (caller.delegated and found.permission_model != "SERVICE_MANAGED"):
        raise errors.StackSetNotFound(f"StackSet {name_or_id} not found")
    return found


def instances_of(svc: CloudFormation, stack_set: StackSet) -> list[StackInstance]:
    """The stack set's instances, by account and region."""
    return list(
        svc.session.scalars(
            select(StackInstance)
            .where(StackInstance.stack_set_pk == stack_set.id)
            .order_by(StackInstance.account, StackInstance.region)
        ).all()
    )


def busy_operation(svc: CloudFormation, stack_set: StackSet) -> StackSetOperation | None:
    """The stack set's operation under way, if any."""
    return svc.session.scalars(
        select(StackSetOperation).where(
            StackSetOperation.stack_set_pk == stack_set.id, StackSetOperation.status.in_(BUSY)
        )
    ).first()


def check_idle(svc: CloudFormation, stack_set: StackSet) -> None:
    """OperationInProgressException while another operation is under way or queued."""
    if busy_operation(svc, stack_set) is not None:
        raise errors.OperationInProgress(
            f"Another Operation on StackSet {stack_set_arn(stack_set)} is in progress"
        )


def fingerprint(p: Params) -> dict[str, Any]:
    """A request as compared for OperationId idempotency (the id itself left out)."""
    kept = {k: v for k, v in p.items() if k != "OperationId" and not k.startswith("@")}
    return dict(json.loads(json.dumps(kept, sort_keys=True, default=str)))


def operation_by_id(
    svc: CloudFormation, stack_set: StackSet, operation_id: str
) -> StackSetOperation | None:
    """The stack set's operation of that id, if any."""
    return svc.session.scalars(
        select(StackSetOperation).where(
            StackSetOperation.stack_set_pk == stack_set.id,
            StackSetOperation.operation_id == operation_id,
        )
    ).first()


def retried(svc: CloudFormation, stack_set: StackSet, p: Params) -> StackSetOperation | None:
    """The operation an OperationId already names for this same request, if any.

    OperationIdAlreadyExistsException when it names one for a different request.
    """
    operation_id = p.get("OperationId")
    found = operation_by_id(svc, stack_set, str(operation_id)) if operation_id else None
    if found is None:
        return None
    if found.request != fingerprint(p):
        raise errors.OperationIdAlreadyExists(
            f"The operation ID {operation_id} already exists for another operation."
        )
    return found


@dataclass(frozen=True)
class Target:
    """One account of an operation, and the targeted OU it is in (service-managed)."""

    account: str
    ou_id: str | None = None


def resolve_targets(
    svc: CloudFormation, caller: Caller, stack_set: StackSet, p: Params
) -> list[Target]:
    """The accounts a call's `Accounts` or `DeploymentTargets` name.

    Self-managed sets take accounts; service-managed ones take OUs (their accounts and
    those of every OU below them, never the management account), narrowed or widened
    by the accounts given and AccountFilterType.
    """
    accounts = p.get("Accounts")
    deployment = p.get("DeploymentTargets")
    if accounts and deployment:
        raise CloudFormationValidation(
            "You can specify either Accounts or DeploymentTargets, but not both."
        )
    if not accounts and not deployment:
        raise CloudFormationValidation("Either Accounts or DeploymentTargets should be specified")
    deployment = deployment or {}
    units = [str(u) for u in deployment.get("OrganizationalUnitIds") or []]
    if stack_set.permission_model == "SELF_MANAGED":
        if units:
            raise CloudFormationValidation(
                "StackSets with SELF_MANAGED permission model can only have accounts as target"
            )
        return [Target(a) for a in check_accounts(accounts or deployment.get("Accounts") or [])]
    if accounts:
        raise CloudFormationValidation(
            "StackSets with SERVICE_MANAGED permission model can only have OrganizationalUnit "
            "as target"
        )
    org = service_managed_org(svc, caller)
    orgs = OrganizationsService(svc.session, svc.clock)
    given = check_accounts(deployment.get("Accounts") or [])
    chosen = filtered(
        accounts_of_units(orgs, org, units), given, deployment.get("AccountFilterType")
    )
    for account in chosen:
        found = orgs.organization_of(account)
        if found is None or found.id != org.id or account == org.management_account_id:
            raise CloudFormationValidation(
                f"Account {account} is not a member account of the organization"
            )
    return [Target(a, ou) for a, ou in chosen.items()]
