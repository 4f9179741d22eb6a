"""Processing job table."""

from __future__ import annotations

from sqlalchemy import Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base

from ..jobs import JobColumns


class ProcessingJob(JobColumns, Base):
    """A processing job: the request as given, and what became of it."""

    __tablename__ = "sagemaker_processing_jobs"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    exit_message: Mapped[str | None] = mapped_column(Text, default=None)
