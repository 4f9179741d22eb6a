"""CloudFormation's tables: stacks, their resources and events, exports, change sets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class Stack(Base):
    """A stack: what it was asked to be (template, parameters) and where its operation is.

    A deleted stack stays (DELETE_COMPLETE) for ListStacks and DescribeStacks by id,
    as in CloudFormation; its name is free again.
    """

    __tablename__ = "cloudformation_stacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128), index=True)
    stack_id: Mapped[str] = mapped_column(String(512), unique=True)
    status: Mapped[str] = mapped_column(String(64), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    # The template as given (GetTemplate's Original) and as evaluated against (long form).
    template_body: Mapped[str] = mapped_column(Text)
    template: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Parameter values as given after defaults (typed), and the pseudo parameters' values.
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[dict[str, str]] = mapped_column(JSON)
    capabilities: Mapped[list[str]] = mapped_column(JSON)
    notification_arns: Mapped[list[str]] = mapped_column(JSON)
    role_arn: Mapped[str | None] = mapped_column(String(2048), default=None)
    # Who the stack acts as when it has no role: the caller of the operation.
    principal: Mapped[dict[str, Any]] = mapped_column(JSON)
    on_failure: Mapped[str] = mapped_column(String(16), default="ROLLBACK")
    termination_protection: Mapped[bool] = mapped_column(default=False)
    outputs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Export names the stack's template imports (an export in use cannot go).
    imports: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Counts the stack's operations; a resource row processed by the one under way has it.
    generation: Mapped[int] = mapped_column(Integer, default=1)
    client_token: Mapped[str | None] = mapped_column(String(128), default=None)
    # CreateStack's TimeoutInMinutes: the creation fails (and rolls back) once past it.
    timeout_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    # The operation under way or last run: CREATE, UPDATE, DELETE, and the one before an
    # update (to roll back to): its template, parameters and tags (`reverting` once the
    # rollback has put them back).
    operation: Mapped[str] = mapped_column(String(16))
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class StackResource(Base):
    """One resource of a stack, physical or on its way to being one.

    An update that replaces a resource keeps the old one as a row with `replaced` set
    until cleanup deletes it (or a rollback takes it back).
    """

    __tablename__ = "cloudformation_stack_resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stack_pk: Mapped[int] = mapped_column(
        ForeignKey("cloudformation_stacks.id", ondelete="CASCADE"), index=True
    )
    logical_id: Mapped[str] = mapped_column(String(256))
    physical_id: Mapped[str | None] = mapped_column(String(2048), default=None)
    type: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(64))
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # Where the step in progress is: created (physical id recorded), configured, ready.
    phase: Mapped[str] = mapped_column(String(16), default="")
    # The properties it was made with (evaluated), and before an update in place.
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
    old_properties: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deletion_policy: Mapped[str] = mapped_column(String(16), default="Delete")
    replace_policy: Mapped[str] = mapped_column(String(16), default="Delete")
    replaced: Mapped[bool] = mapped_column(default=False)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    # Made by the operation under way (an update's rollback deletes what it added).
    added: Mapped[bool] = mapped_column(default=False)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON, default=None)
    updated_at: Mapped[datetime]


class StackEvent(Base):
    """One line of DescribeStackEvents."""

    __tablename__ = "cloudformation_stack_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stack_pk: Mapped[int] = mapped_column(
        ForeignKey("cloudformation_stacks.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    logical_id: Mapped[str] = mapped_column(String(256))
    physical_id: Mapped[str | None] = mapped_column(String(2048), default=None)
    type: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    properties: Mapped[str | None] = mapped_column(Text, default=None)
    client_token: Mapped[str | None] = mapped_column(String(128), default=None)
    timestamp: Mapped[datetime]


class StackExport(Base):
    """An output's Export: a name unique in its account and region."""

    __tablename__ = "cloudformation_exports"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(Text)
    stack_pk: Mapped[int] = mapped_column(
        ForeignKey("cloudformation_stacks.id", ondelete="CASCADE"), index=True
    )


class ChangeSet(Base):
    """A change set: a stack's proposed template, parameters and the changes they make."""

    __tablename__ = "cloudformation_change_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stack_pk: Mapped[int] = mapped_column(
        ForeignKey("cloudformation_stacks.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    arn: Mapped[str] = mapped_column(String(512), unique=True)
    change_set_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    execution_status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    template_body: Mapped[str] = mapped_column(Text)
    template: Mapped[dict[str, Any]] = mapped_column(JSON)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[dict[str, str]] = mapped_column(JSON)
    capabilities: Mapped[list[str]] = mapped_column(JSON)
    role_arn: Mapped[str | None] = mapped_column(String(2048), default=None)
    principal: Mapped[dict[str, Any]] = mapped_column(JSON)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
