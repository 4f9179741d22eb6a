"""The audit trail: one row per authenticated call, in the account that receives it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class AuditEvent(Base):
    """A CloudTrail event; `document` is the full event JSON as CloudTrail delivers it."""

    __tablename__ = "audit_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    event_time: Mapped[datetime] = mapped_column(index=True)
    event_source: Mapped[str] = mapped_column(String(128))
    event_name: Mapped[str] = mapped_column(String(128))
    read_only: Mapped[bool]
    username: Mapped[str | None] = mapped_column(String(256), default=None)
    access_key_id: Mapped[str | None] = mapped_column(String(128), default=None)
    resource_names: Mapped[str] = mapped_column(Text, default="")  # newline separated
    resource_types: Mapped[str] = mapped_column(Text, default="")
    document: Mapped[str] = mapped_column(Text)
