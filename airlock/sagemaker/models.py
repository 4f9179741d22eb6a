"""SageMaker model registry tables: groups, versions, approval history, tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class ModelPackageGroup(Base):
    """A model package group; `policy` is its resource-based policy (cross-account sharing)."""

    __tablename__ = "sagemaker_model_package_groups"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(63))
    arn: Mapped[str] = mapped_column(String(256), unique=True)
    description: Mapped[str | None] = mapped_column(String(1024), default=None)
    policy: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
    created_by: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Versions are numbered 1, 2, … and a number is never given out twice.
    last_version: Mapped[int] = mapped_column(Integer, default=0)


class ModelPackage(Base):
    """A model package: a version in a group, or an unversioned package."""

    __tablename__ = "sagemaker_model_packages"
    __table_args__ = (UniqueConstraint("group_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sagemaker_model_package_groups.id"), index=True, default=None
    )
    name: Mapped[str] = mapped_column(String(63))
    version: Mapped[int | None] = mapped_column(Integer, default=None)
    arn: Mapped[str] = mapped_column(String(256), unique=True)
    description: Mapped[str | None] = mapped_column(String(1024), default=None)
    # Everything else CreateModelPackage accepted (InferenceSpecification, ModelMetrics…).
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    approval_status: Mapped[str | None] = mapped_column(String(32), default=None)
    approval_description: Mapped[str | None] = mapped_column(String(1024), default=None)
    status: Mapped[str] = mapped_column(String(32))
    # The artifacts as they were when registered: URL, ETag, size, version, SHA-256s.
    artifacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    client_token: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime]
    created_by: Mapped[dict[str, Any]] = mapped_column(JSON)
    modified_at: Mapped[datetime]
    modified_by: Mapped[dict[str, Any]] = mapped_column(JSON)


class ApprovalChange(Base):
    """One change of a package's approval status: who, when, from, to, why."""

    __tablename__ = "sagemaker_approval_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    package_id: Mapped[int] = mapped_column(
        ForeignKey("sagemaker_model_packages.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    principal_arn: Mapped[str] = mapped_column(String(2048))
    from_status: Mapped[str | None] = mapped_column(String(32), default=None)
    to_status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(String(1024), default=None)


class SageMakerTag(Base):
    """A tag on a SageMaker resource."""

    __tablename__ = "sagemaker_tags"

    resource_arn: Mapped[str] = mapped_column(String(256), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
