"""SageMaker project tables: projects and the account's Service Catalog portfolio switch."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class Project(Base):
    """A project: a Service Catalog launch made for the caller, followed to its end.

    `phase` says what the project worker does next: `provision`, `update` or
    `terminate` (make that Service Catalog call as the caller), `follow` (read the
    call's record until it ends) or `done`.
    """

    __tablename__ = "sagemaker_projects"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[str] = mapped_column(String(32), unique=True)
    arn: Mapped[str] = mapped_column(String(256), unique=True)
    description: Mapped[str | None] = mapped_column(String(1024), default=None)
    status: Mapped[str] = mapped_column(String(32))
    phase: Mapped[str] = mapped_column(String(16), index=True)
    # ServiceCatalogProvisioningDetails as the project runs them (the version resolved).
    provisioning: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # The caller, as the worker acts: its Service Catalog calls are the caller's.
    principal: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[dict[str, Any]] = mapped_column(JSON)
    modified_by: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    pp_id: Mapped[str | None] = mapped_column(String(64), default=None)
    record_id: Mapped[str | None] = mapped_column(String(64), default=None)
    status_message: Mapped[str | None] = mapped_column(String(2048), default=None)
    # An update waiting for the worker: the new version and parameters.
    pending_update: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Counts updates, so each one's UpdateToken differs and a retry repeats the same one.
    updates: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime]
    check_interval: Mapped[float] = mapped_column(default=0.2)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class PortfolioSwitch(Base):
    """Whether an account uses Service Catalog for SageMaker projects."""

    __tablename__ = "sagemaker_servicecatalog_portfolio"
    __table_args__ = (UniqueConstraint("account_id", "region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    modified_at: Mapped[datetime]
