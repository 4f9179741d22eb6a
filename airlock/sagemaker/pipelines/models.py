"""Pipeline table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class Pipeline(Base):
    """A pipeline: its checked definition and who changed it when."""

    __tablename__ = "sagemaker_pipelines"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(256))
    arn: Mapped[str] = mapped_column(String(512), unique=True)
    display_name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(String(3072), default=None)
    definition: Mapped[str] = mapped_column(Text)
    role_arn: Mapped[str] = mapped_column(String(2048))
    parallelism: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    client_token: Mapped[str | None] = mapped_column(String(128), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    created_by: Mapped[dict[str, Any]] = mapped_column(JSON)
    modified_at: Mapped[datetime]
    modified_by: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)


class PipelineExecution(Base):
    """One run of a pipeline, with the definition and parameters it began with."""

    __tablename__ = "sagemaker_pipeline_executions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pipeline_id: Mapped[int] = mapped_column(
        ForeignKey("sagemaker_pipelines.id", ondelete="CASCADE"), index=True
    )
    execution_id: Mapped[str] = mapped_column(String(32), unique=True)
    arn: Mapped[str] = mapped_column(String(512), unique=True)
    display_name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(String(3072), default=None)
    definition: Mapped[str] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    client_token: Mapped[str | None] = mapped_column(String(128), default=None)
    # The ClientRequestToken of the newest RetryPipelineExecution.
    retry_token: Mapped[str | None] = mapped_column(String(128), default=None)
    # ParallelismConfiguration given to Start/RetryPipelineExecution (else the pipeline's).
    parallelism: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime]
    created_by: Mapped[dict[str, Any]] = mapped_column(JSON)
    modified_at: Mapped[datetime]


class ExecutionStep(Base):
    """A step of an execution: its status, what it started, and its properties once done."""

    __tablename__ = "sagemaker_pipeline_steps"
    __table_args__ = (UniqueConstraint("execution_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    execution_id: Mapped[int] = mapped_column(
        ForeignKey("sagemaker_pipeline_executions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(256))
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    # What later steps may Get from this one (a training step's DescribeTrainingJob…).
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    # A failed attempt a RetryPolicy (or RetryPipelineExecution) runs again at this time.
    retry_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # CacheConfig: the digest of the step's resolved arguments, and where a cache hit came from.
    cache_key: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    cache_source: Mapped[str | None] = mapped_column(String(512), default=None)
