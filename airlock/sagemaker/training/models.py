"""Training job table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class TrainingJob(Base):
    """A training job: the request as given, and what became of it."""

    __tablename__ = "sagemaker_training_jobs"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(63))
    arn: Mapped[str] = mapped_column(String(256), unique=True)
    # The CreateTrainingJob request (HyperParameters, AlgorithmSpecification, channels…).
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    secondary_status: Mapped[str] = mapped_column(String(32))
    transitions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    model_artifacts: Mapped[str | None] = mapped_column(String(1024), default=None)
    final_metrics: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    stop_requested: Mapped[bool] = mapped_column(default=False)
    # How many times a runner has started the job (a restart after a crash runs it again).
    runs: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
