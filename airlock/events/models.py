"""EventBridge tables: buses, rules, targets, the event outbox and deliveries, API destinations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class EventBus(Base):
    """An event bus; `policy` is its resource-based policy."""

    __tablename__ = "events_buses"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(256))
    arn: Mapped[str] = mapped_column(String(512), unique=True)
    description: Mapped[str | None] = mapped_column(String(512), default=None)
    policy: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class Rule(Base):
    """A rule on a bus: an event pattern, a schedule, or both."""

    __tablename__ = "events_rules"
    __table_args__ = (UniqueConstraint("bus_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bus_id: Mapped[int] = mapped_column(ForeignKey("events_buses.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    arn: Mapped[str] = mapped_column(String(512), unique=True)
    event_pattern: Mapped[str | None] = mapped_column(Text, default=None)
    schedule: Mapped[str | None] = mapped_column(String(256), default=None)
    state: Mapped[str] = mapped_column(String(48))
    description: Mapped[str | None] = mapped_column(String(512), default=None)
    role_arn: Mapped[str | None] = mapped_column(String(1600), default=None)
    managed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    created_by: Mapped[str] = mapped_column(String(12))
    # When a scheduled rule fires next.
    next_fire_at: Mapped[datetime | None] = mapped_column(default=None, index=True)


class Target(Base):
    """A target of a rule, with how its input is shaped and how delivery is retried."""

    __tablename__ = "events_targets"
    __table_args__ = (UniqueConstraint("rule_id", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("events_rules.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[str] = mapped_column(String(64))
    arn: Mapped[str] = mapped_column(String(1600), index=True)
    # The rest of the Target structure as PutTargets received it (Input, RetryPolicy…).
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Event(Base):
    """An accepted event on one bus: the outbox row its deliveries come from.

    The same event `id` may arrive on several buses (forwarded between accounts) and
    more than once (at-least-once delivery), so rows have a sequence of their own.
    """

    __tablename__ = "events_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), index=True)
    bus_id: Mapped[int] = mapped_column(
        ForeignKey("events_buses.id", ondelete="CASCADE"), index=True
    )
    envelope: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]


class Delivery(Base):
    """One event for one target: pending until delivered, or failed with its reason."""

    __tablename__ = "events_deliveries"
    __table_args__ = (Index("ix_events_deliveries_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(
        ForeignKey("events_events.seq", ondelete="CASCADE"), index=True
    )
    rule_arn: Mapped[str] = mapped_column(String(512))
    target_id: Mapped[str] = mapped_column(String(64))
    target_arn: Mapped[str] = mapped_column(String(1600))
    # The target as it was when the event matched (later PutTargets do not change it).
    target: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # PENDING, DELIVERED, FAILED
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime]
    leased_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(2000), default=None)


class Connection(Base):
    """A connection: how API destinations authenticate. Its secrets never leave the server."""

    __tablename__ = "events_connections"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    arn: Mapped[str] = mapped_column(String(1600), unique=True)
    description: Mapped[str | None] = mapped_column(String(512), default=None)
    authorization_type: Mapped[str] = mapped_column(String(32))
    auth_parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class ApiDestination(Base):
    """An HTTP endpoint events are POSTed to, through a connection, at a bounded rate."""

    __tablename__ = "events_api_destinations"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    arn: Mapped[str] = mapped_column(String(1600), unique=True)
    description: Mapped[str | None] = mapped_column(String(512), default=None)
    connection_arn: Mapped[str] = mapped_column(String(1600))
    endpoint: Mapped[str] = mapped_column(String(2048))
    http_method: Mapped[str] = mapped_column(String(16))
    rate_limit: Mapped[int | None] = mapped_column(Integer, default=None)
    state: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class EventsTag(Base):
    """A tag on a bus, rule, connection or API destination."""

    __tablename__ = "events_tags"

    resource_arn: Mapped[str] = mapped_column(String(1600), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
