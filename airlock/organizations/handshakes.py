"""Invitations: an existing account joins an organization through a handshake."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from airlock.core.context import RequestContext
from airlock.platform import ids

from . import errors
from .models import Handshake, Membership, Organization
from .service import Arns, OrganizationsService

# AWS keeps an invitation open for 15 days.
HANDSHAKE_LIFETIME = timedelta(days=15)


def invite(
    svc: OrganizationsService,
    ctx: RequestContext,
    target: dict[str, str],
    notes: str | None,
    tags: list[dict[str, str]],
) -> tuple[Organization, Handshake]:
    """Invite an account (by id or email) to join the caller's organization."""
    org = svc.managed_org(ctx)
    svc.check_tags(tags)
    kind, value = target["Type"], target["Id"]
    if kind == "ACCOUNT":
        account = svc.identity.get_account(value)
    elif kind == "EMAIL":
        account = svc.identity.account_by_email(value)
    else:
        raise errors.InvalidInput(
            "You can invite only an account, by its id or its email address.",
            reason="INVALID_PARTY_TYPE_TARGET",
        )
    if account is None:
        raise errors.AccountNotFound(
            f"No account has the {kind.lower()} {value!r}. Create it first with "
            "`airlock accounts create`."
        )
    if svc.session.get(Membership, account.id) is not None:
        raise errors.HandshakeConstraintViolation(
            "The account is already a member of an organization.",
            reason="ALREADY_IN_AN_ORGANIZATION",
        )
    for existing in _handshakes(svc, target_account_id=account.id, organization_id=org.id):
        if state_of(svc, existing) == "OPEN":
            raise errors.DuplicateHandshake()
    now = svc.clock.now()
    handshake = Handshake(
        id="h-" + ids.lower_id(10),
        organization_id=org.id,
        target_account_id=account.id,
        target_type=kind,
        target_value=value,
        action="INVITE",
        state="OPEN",
        notes=notes,
        requested_at=now,
        expires_at=now + HANDSHAKE_LIFETIME,
    )
    svc.session.add(handshake)
    svc.session.flush()
    svc.set_tags(org, handshake.id, tags)
    return org, handshake


def state_of(svc: OrganizationsService, handshake: Handshake) -> str:
    """The handshake's state, with open handshakes past their expiry reported EXPIRED."""
    if handshake.state == "OPEN" and svc.clock.now() >= handshake.expires_at:
        return "EXPIRED"
    return handshake.state


def _handshakes(svc: OrganizationsService, **where: str) -> Sequence[Handshake]:
    query = select(Handshake).filter_by(**where).order_by(Handshake.requested_at, Handshake.id)
    return svc.session.scalars(query).all()


def for_account(svc: OrganizationsService, ctx: RequestContext) -> Sequence[Handshake]:
    """Handshakes addressed to the caller's account."""
    return _handshakes(svc, target_account_id=ctx.account_id)


def for_organization(svc: OrganizationsService, ctx: RequestContext) -> Sequence[Handshake]:
    """Handshakes the caller's organization has sent."""
    org = svc.managed_org(ctx)
    return _handshakes(svc, organization_id=org.id)


def _get(svc: OrganizationsService, handshake_id: str) -> Handshake:
    handshake = svc.session.get(Handshake, handshake_id)
    if handshake is None:
        raise errors.HandshakeNotFound()
    return handshake


def _transition(svc: OrganizationsService, handshake: Handshake, state: str) -> None:
    if state_of(svc, handshake) != "OPEN":
        raise errors.InvalidHandshakeTransition()
    handshake.state = state
    svc.session.flush()


def respond(
    svc: OrganizationsService, ctx: RequestContext, handshake_id: str, accept: bool
) -> Handshake:
    """The invited account accepts (and joins under the root) or declines."""
    handshake = _get(svc, handshake_id)
    if handshake.target_account_id != ctx.account_id:
        raise errors.HandshakeNotFound()
    if accept and svc.organization_of(ctx.account_id) is not None:
        raise errors.HandshakeConstraintViolation(
            "Your account is already a member of an organization.",
            reason="ALREADY_IN_AN_ORGANIZATION",
        )
    _transition(svc, handshake, "ACCEPTED" if accept else "DECLINED")
    if accept:
        org = svc.session.get(Organization, handshake.organization_id)
        assert org is not None
        svc.join(org, ctx.account_id, "INVITED")
    return handshake


def cancel(svc: OrganizationsService, ctx: RequestContext, handshake_id: str) -> Handshake:
    """The inviting organization withdraws an open invitation."""
    org = svc.managed_org(ctx)
    handshake = _get(svc, handshake_id)
    if handshake.organization_id != org.id:
        raise errors.HandshakeNotFound()
    _transition(svc, handshake, "CANCELED")
    return handshake


def describe(svc: OrganizationsService, ctx: RequestContext, handshake_id: str) -> Handshake:
    """A handshake visible to the caller (sent by its organization or addressed to it)."""
    handshake = _get(svc, handshake_id)
    org = svc.organization_of(ctx.account_id)
    mine = org is not None and org.management_account_id == ctx.account_id
    if handshake.target_account_id != ctx.account_id and not (
        mine and org is not None and handshake.organization_id == org.id
    ):
        raise errors.HandshakeNotFound()
    return handshake


def to_wire(svc: OrganizationsService, handshake: Handshake) -> dict[str, Any]:
    """The `Handshake` structure as AWS returns it."""
    org = svc.session.get(Organization, handshake.organization_id)
    assert org is not None
    management = svc.management_account(org)
    org_resources = [
        {"Value": management.email, "Type": "MASTER_EMAIL"},
        {"Value": management.name, "Type": "MASTER_NAME"},
        {"Value": org.feature_set, "Type": "ORGANIZATION_FEATURE_SET"},
    ]
    resources: list[dict[str, Any]] = [
        {"Value": org.id, "Type": "ORGANIZATION", "Resources": org_resources},
        {"Value": handshake.target_account_id, "Type": "ACCOUNT"},
    ]
    if handshake.notes:
        resources.append({"Value": handshake.notes, "Type": "NOTES"})
    return {
        "Id": handshake.id,
        "Arn": Arns(org).handshake(handshake.id),
        "Parties": [
            {"Id": org.id.removeprefix("o-"), "Type": "ORGANIZATION"},
            {"Id": handshake.target_value, "Type": handshake.target_type},
        ],
        "State": state_of(svc, handshake),
        "RequestedTimestamp": handshake.requested_at,
        "ExpirationTimestamp": handshake.expires_at,
        "Action": handshake.action,
        "Resources": resources,
    }
