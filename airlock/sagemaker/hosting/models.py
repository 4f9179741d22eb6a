"""Hosting tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class Named:
    """The columns of a named resource of an account and region."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(63))
    arn: Mapped[str] = mapped_column(String(256), unique=True)


class HostedModel(Named, Base):
    """A model (CreateModel): its containers as given and as resolved when it was created."""

    __tablename__ = "sagemaker_models"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    # The CreateModel request as given (PrimaryContainer/Containers, ExecutionRoleArn…).
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Each container as it will run: Image, ModelDataUrl, Environment, the model package
    # it came from, and the artifact as it was checked (ETag, size, version, SHA-256s).
    containers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class EndpointConfig(Named, Base):
    """An endpoint configuration: production variants and data capture, as given."""

    __tablename__ = "sagemaker_endpoint_configs"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class Endpoint(Named, Base):
    """An endpoint: the config it serves, the one it is moving to, and its status."""

    __tablename__ = "sagemaker_endpoints"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    # Creating, InService, Updating, RollingBack, Deleting, Failed (SageMaker's statuses).
    status: Mapped[str] = mapped_column(String(16), index=True)
    failure_reason: Mapped[str | None] = mapped_column(String(1024), default=None)
    # The config serving traffic (None until the first deployment is in service).
    config_name: Mapped[str | None] = mapped_column(String(63), default=None)
    # A snapshot of that config's spec and its models' containers (a config or model
    # deleted later does not change what runs).
    deployed: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The config being deployed, its snapshot and the DeploymentConfig of the change.
    target_name: Mapped[str | None] = mapped_column(String(63), default=None)
    target: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    deployment: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    last_deployment: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Per variant: CurrentWeight, DesiredWeight, CurrentInstanceCount, DesiredInstanceCount.
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class EndpointMetric(Base):
    """One metric of one variant of one endpoint in one minute."""

    __tablename__ = "sagemaker_endpoint_metrics"
    __table_args__ = (
        UniqueConstraint("account_id", "region", "endpoint", "variant", "minute", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    endpoint: Mapped[str] = mapped_column(String(63))
    variant: Mapped[str] = mapped_column(String(63))
    minute: Mapped[datetime]
    name: Mapped[str] = mapped_column(String(64))
    sum: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)
    minimum: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)
