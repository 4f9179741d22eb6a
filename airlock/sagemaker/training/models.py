"""Training job table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base

from ..jobs import JobColumns


class TrainingJob(JobColumns, Base):
    """A training job: the request as given, and what became of it."""

    __tablename__ = "sagemaker_training_jobs"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    secondary_status: Mapped[str] = mapped_column(String(32))
    transitions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    model_artifacts: Mapped[str | None] = mapped_column(String(1024), default=None)
    final_metrics: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
