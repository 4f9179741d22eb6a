"""CloudWatch Logs tables: groups, streams and events, per account and region."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class LogGroup(Base):
    """A log group."""

    __tablename__ = "logs_groups"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(512))
    retention_days: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime]


class LogStream(Base):
    """A log stream inside a group."""

    __tablename__ = "logs_streams"
    __table_args__ = (UniqueConstraint("group_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("logs_groups.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime]
    first_event_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_event_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_ingestion_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    stored_bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class LogEvent(Base):
    """One log event; `id` orders events of a stream in arrival order."""

    __tablename__ = "logs_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stream_id: Mapped[int] = mapped_column(
        ForeignKey("logs_streams.id", ondelete="CASCADE"), index=True
    )
    timestamp_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    ingestion_ms: Mapped[int] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(Text)


class LogTag(Base):
    """A tag on a log group."""

    __tablename__ = "logs_tags"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("logs_groups.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
