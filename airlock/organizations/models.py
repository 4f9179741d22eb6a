"""Tables of AWS Organizations: the organization, its tree, requests and handshakes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class Organization(Base):
    """An organization and its management account (an account manages at most one)."""

    __tablename__ = "org_organizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    management_account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), unique=True)
    feature_set: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class OrgRoot(Base):
    """The root of an organization's tree."""

    __tablename__ = "org_roots"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("org_organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128), default="Root")


class OrganizationalUnit(Base):
    """An OU; `parent_id` is a root id or another OU's id."""

    __tablename__ = "org_units"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("org_organizations.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[str] = mapped_column(String(80), index=True)
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class Membership(Base):
    """An account's place in an organization (one organization per account)."""

    __tablename__ = "org_memberships"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("org_organizations.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[str] = mapped_column(String(80), index=True)
    joined_method: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime]
    # The role CreateAccount asked for, trusting the management account; the
    # IAM service turns it into a real role.
    access_role_name: Mapped[str | None] = mapped_column(String(64), default=None)


class CreateAccountRequest(Base):
    """An asynchronous CreateAccount request and its outcome."""

    __tablename__ = "org_create_account_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("org_organizations.id", ondelete="CASCADE"), index=True
    )
    account_name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str] = mapped_column(String(64))
    role_name: Mapped[str] = mapped_column(String(64))
    iam_user_access_to_billing: Mapped[str] = mapped_column(String(8))
    tags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    account_id: Mapped[str | None] = mapped_column(String(12), default=None)
    failure_reason: Mapped[str | None] = mapped_column(String(64), default=None)


class Handshake(Base):
    """An invitation for an account to join an organization."""

    __tablename__ = "org_handshakes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("org_organizations.id", ondelete="CASCADE"), index=True
    )
    target_account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    target_type: Mapped[str] = mapped_column(String(16))
    target_value: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(String(1024), default=None)
    requested_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class EnabledService(Base):
    """A service principal with trusted access to the organization."""

    __tablename__ = "org_enabled_services"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("org_organizations.id", ondelete="CASCADE"), primary_key=True
    )
    service_principal: Mapped[str] = mapped_column(String(128), primary_key=True)
    enabled_at: Mapped[datetime]


class DelegatedAdministrator(Base):
    """A member account registered as administrator for a service."""

    __tablename__ = "org_delegated_admins"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("org_organizations.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    service_principal: Mapped[str] = mapped_column(String(128), primary_key=True)
    registered_at: Mapped[datetime]


class OrgTag(Base):
    """A tag on a root, OU, account or handshake, scoped to the organization."""

    __tablename__ = "org_tags"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("org_organizations.id", ondelete="CASCADE"), primary_key=True
    )
    resource_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class OrgPolicy(Base):
    """A service control policy (FullAWSAccess is AWS managed, one per organization)."""

    __tablename__ = "org_policies"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("org_organizations.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(130), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(String(512), default="")
    type: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    aws_managed: Mapped[bool] = mapped_column(default=False)


class OrgPolicyTarget(Base):
    """A policy attached to a root, OU or account."""

    __tablename__ = "org_policy_targets"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("org_organizations.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[str] = mapped_column(String(130), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class OrgPolicyType(Base):
    """A policy type enabled on a root."""

    __tablename__ = "org_policy_types"

    root_id: Mapped[str] = mapped_column(
        ForeignKey("org_roots.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(64), primary_key=True)
