"""Hosting tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class HostedModel(Base):
    """A model (CreateModel): its containers as given and as resolved when it was created."""

    __tablename__ = "sagemaker_models"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(63))
    arn: Mapped[str] = mapped_column(String(256), unique=True)
    # The CreateModel request as given (PrimaryContainer/Containers, ExecutionRoleArn…).
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Each container as it will run: Image, ModelDataUrl, Environment, the model package
    # it came from, and the artifact as it was checked (ETag, size, version, SHA-256s).
    containers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
