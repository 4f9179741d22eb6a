"""Tables for accounts and the credentials that authenticate requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class Account(Base):
    """An AWS-style account: the security boundary every resource belongs to."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(32), default="ACTIVE")
    created_at: Mapped[datetime]


class AccessKey(Base):
    """An access key pair.

    Secrets are kept as given: SigV4 needs the secret itself to recompute the
    signature. Temporary keys (`ASIA…`) also carry the SHA-256 of their session
    token and an expiry.
    """

    __tablename__ = "access_keys"

    access_key_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    secret_access_key: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    principal_arn: Mapped[str] = mapped_column(String(2048))
    principal_type: Mapped[str] = mapped_column(String(32))
    principal_user_id: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default="Active")
    session_token_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    # For role sessions: the role's ARN, and the session policies (a JSON list of
    # documents) that narrow it.
    source_arn: Mapped[str | None] = mapped_column(String(2048), default=None)
    session_policies: Mapped[str | None] = mapped_column(Text, default=None)
    # JSON: {"tags": {...}, "transitive": [...], "source_identity": "..."}.
    session_context: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
