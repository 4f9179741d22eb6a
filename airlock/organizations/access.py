"""Trusted access for service principals and delegated administrators."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from airlock.core.context import RequestContext

from . import errors
from .models import DelegatedAdministrator, EnabledService, Organization
from .service import OrganizationsService


def enable_service(svc: OrganizationsService, ctx: RequestContext, principal: str) -> None:
    """Give a service principal trusted access to the organization (idempotent)."""
    org = svc.managed_org(ctx)
    if svc.session.get(EnabledService, (org.id, principal)) is None:
        svc.session.add(
            EnabledService(
                organization_id=org.id, service_principal=principal, enabled_at=svc.clock.now()
            )
        )
        svc.session.flush()
    for member, _ in svc.members(org):
        svc.link_service_role(org, member.account_id, principal)


def disable_service(svc: OrganizationsService, ctx: RequestContext, principal: str) -> None:
    """Withdraw a service principal's trusted access (idempotent)."""
    org = svc.managed_org(ctx)
    row = svc.session.get(EnabledService, (org.id, principal))
    if row is not None:
        svc.session.delete(row)
        svc.session.flush()


def enabled_services(svc: OrganizationsService, ctx: RequestContext) -> Sequence[EnabledService]:
    """Service principals with trusted access, in the order they were enabled."""
    org = svc.managed_org(ctx)
    return svc.session.scalars(
        select(EnabledService)
        .where(EnabledService.organization_id == org.id)
        .order_by(EnabledService.enabled_at, EnabledService.service_principal)
    ).all()


def is_service_enabled(svc: OrganizationsService, org: Organization, principal: str) -> bool:
    """Whether `principal` has trusted access to `org` (used by StackSets and others)."""
    return svc.session.get(EnabledService, (org.id, principal)) is not None


def is_delegated_admin(
    svc: OrganizationsService, org: Organization, account_id: str, principal: str
) -> bool:
    """Whether `account_id` is `org`'s delegated administrator for `principal`."""
    row = svc.session.get(DelegatedAdministrator, (account_id, principal))
    return row is not None and row.organization_id == org.id


def register_admin(
    svc: OrganizationsService, ctx: RequestContext, account_id: str, principal: str
) -> None:
    """Make a member account the delegated administrator for a service."""
    org = svc.managed_org(ctx)
    svc.member(org, account_id)
    if account_id == org.management_account_id:
        raise errors.ConstraintViolation(
            "You can't register the management account as a delegated administrator.",
            reason="CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR",
        )
    if svc.session.get(DelegatedAdministrator, (account_id, principal)) is not None:
        raise errors.AccountAlreadyRegistered()
    svc.session.add(
        DelegatedAdministrator(
            organization_id=org.id,
            account_id=account_id,
            service_principal=principal,
            registered_at=svc.clock.now(),
        )
    )
    svc.session.flush()


def deregister_admin(
    svc: OrganizationsService, ctx: RequestContext, account_id: str, principal: str
) -> None:
    """Remove an account's delegated administration of a service."""
    org = svc.managed_org(ctx)
    svc.member(org, account_id)
    row = svc.session.get(DelegatedAdministrator, (account_id, principal))
    if row is None:
        raise errors.AccountNotRegistered()
    svc.session.delete(row)
    svc.session.flush()


def admins(
    svc: OrganizationsService, ctx: RequestContext, principal: str | None
) -> Sequence[DelegatedAdministrator]:
    """Delegated administrators, for one service principal or all."""
    org = svc.managed_org(ctx)
    query = select(DelegatedAdministrator).where(DelegatedAdministrator.organization_id == org.id)
    if principal:
        query = query.where(DelegatedAdministrator.service_principal == principal)
    return svc.session.scalars(
        query.order_by(DelegatedAdministrator.registered_at, DelegatedAdministrator.account_id)
    ).all()


def delegated_services(
    svc: OrganizationsService, ctx: RequestContext, account_id: str
) -> Sequence[DelegatedAdministrator]:
    """The services an account administers for the organization."""
    org = svc.managed_org(ctx)
    svc.member(org, account_id)
    rows = svc.session.scalars(
        select(DelegatedAdministrator)
        .where(DelegatedAdministrator.account_id == account_id)
        .order_by(DelegatedAdministrator.registered_at)
    ).all()
    if not rows:
        raise errors.AccountNotRegistered()
    return rows
