"""IAM tables: users, groups, roles, policies, attachments and tags, per account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class IamUser(Base):
    """An IAM user."""

    __tablename__ = "iam_users"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512), default="/")
    arn: Mapped[str] = mapped_column(String(2048), unique=True)
    boundary_arn: Mapped[str | None] = mapped_column(String(2048), default=None)
    created_at: Mapped[datetime]


class IamGroup(Base):
    """An IAM group."""

    __tablename__ = "iam_groups"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(String(512), default="/")
    arn: Mapped[str] = mapped_column(String(2048), unique=True)
    created_at: Mapped[datetime]


class IamGroupMember(Base):
    """A user's membership of a group."""

    __tablename__ = "iam_group_members"

    group_id: Mapped[str] = mapped_column(
        ForeignKey("iam_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("iam_users.id", ondelete="CASCADE"), primary_key=True
    )


class IamRole(Base):
    """An IAM role and its trust (assume-role) policy."""

    __tablename__ = "iam_roles"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512), default="/")
    arn: Mapped[str] = mapped_column(String(2048), unique=True)
    trust_policy: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(String(1000), default=None)
    max_session_duration: Mapped[int] = mapped_column(Integer, default=3600)
    boundary_arn: Mapped[str | None] = mapped_column(String(2048), default=None)
    created_at: Mapped[datetime]


class IamInlinePolicy(Base):
    """A policy embedded in a user, group or role."""

    __tablename__ = "iam_inline_policies"

    owner_arn: Mapped[str] = mapped_column(String(2048), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    document: Mapped[str] = mapped_column(Text)


class IamManagedPolicy(Base):
    """A managed policy; AWS managed ones have `account_id` None and ARNs under `aws`."""

    __tablename__ = "iam_managed_policies"

    arn: Mapped[str] = mapped_column(String(2048), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(String(512), default="/")
    description: Mapped[str | None] = mapped_column(String(1000), default=None)
    default_version: Mapped[str] = mapped_column(String(8), default="v1")
    next_version: Mapped[int] = mapped_column(Integer, default=2)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IamPolicyVersion(Base):
    """One version of a managed policy (AWS keeps at most five)."""

    __tablename__ = "iam_policy_versions"

    policy_arn: Mapped[str] = mapped_column(
        ForeignKey("iam_managed_policies.arn", ondelete="CASCADE"), primary_key=True
    )
    version_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class IamAttachment(Base):
    """A managed policy attached to a user, group or role."""

    __tablename__ = "iam_attachments"

    policy_arn: Mapped[str] = mapped_column(
        ForeignKey("iam_managed_policies.arn", ondelete="CASCADE"), primary_key=True
    )
    owner_arn: Mapped[str] = mapped_column(String(2048), primary_key=True, index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)


class IamTag(Base):
    """A tag on a user, role or policy."""

    __tablename__ = "iam_tags"

    owner_arn: Mapped[str] = mapped_column(String(2048), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class IamServiceCredential(Base):
    """A user's service-specific credential (HTTPS Git credentials for CodeCommit).

    The password is kept only as a salted scrypt hash: unlike an access key's
    secret, nothing needs it back, it is only checked.
    """

    __tablename__ = "iam_service_credentials"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    # Deleting a user is refused while it has credentials (DeleteConflict), as on AWS.
    user_id: Mapped[str] = mapped_column(ForeignKey("iam_users.id"), index=True)
    service_name: Mapped[str] = mapped_column(String(128))
    service_user_name: Mapped[str] = mapped_column(String(200), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default="Active")
    created_at: Mapped[datetime]


class IamLoginProfile(Base):
    """A user's console password (a login profile), kept only as a salted scrypt hash."""

    __tablename__ = "iam_login_profiles"

    # One profile per user; it goes with the user (DeleteUser refuses while it exists).
    user_id: Mapped[str] = mapped_column(
        ForeignKey("iam_users.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    password_reset_required: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
