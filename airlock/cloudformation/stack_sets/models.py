"""Stack set tables: the sets, their instances, their operations and each target's result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class StackSet(Base):
    """A stack set in its administrator account and region.

    A deleted set stays (DELETED) for ListStackSets; its name is free again. Service-managed
    sets made by a delegated administrator live in the management account, as in AWS.
    """

    __tablename__ = "cloudformation_stack_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128), index=True)
    # `<name>:<uuid>`, the StackSetId.
    stack_set_id: Mapped[str] = mapped_column(String(256), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    template_body: Mapped[str] = mapped_column(Text)
    template: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Parameter values as given: key -> value (the instances' stacks resolve defaults).
    parameters: Mapped[dict[str, str]] = mapped_column(JSON)
    capabilities: Mapped[list[str]] = mapped_column(JSON)
    tags: Mapped[dict[str, str]] = mapped_column(JSON)
    permission_model: Mapped[str] = mapped_column(String(16))
    admin_role_arn: Mapped[str | None] = mapped_column(String(2048), default=None)
    execution_role_name: Mapped[str | None] = mapped_column(String(64), default=None)
    # {"Enabled": bool, "RetainStacksOnAccountRemoval": bool} (service-managed only).
    auto_deployment: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    managed_execution: Mapped[bool] = mapped_column(default=False)
    # Service-managed: each targeted OU and the regions deployed to through it (what
    # auto-deployment keeps up as accounts join and leave the OU).
    ou_regions: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    client_token: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime]


class StackInstance(Base):
    """One account and region of a stack set, and the stack that is its instance there."""

    __tablename__ = "cloudformation_stack_instances"
    __table_args__ = (UniqueConstraint("stack_set_pk", "account", "region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stack_set_pk: Mapped[int] = mapped_column(
        ForeignKey("cloudformation_stack_sets.id", ondelete="CASCADE"), index=True
    )
    account: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    # The targeted OU the account was deployed through (service-managed), if any.
    ou_id: Mapped[str | None] = mapped_column(String(80), default=None)
    stack_id: Mapped[str | None] = mapped_column(String(512), default=None)
    status: Mapped[str] = mapped_column(String(16))
    detailed_status: Mapped[str] = mapped_column(String(32))
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    parameter_overrides: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    last_operation_id: Mapped[str | None] = mapped_column(String(128), default=None)


class StackSetOperation(Base):
    """A stack set operation: what it does, to which targets, and how far it got.

    QUEUED (a set with ManagedExecution, behind another operation), RUNNING, STOPPING,
    then SUCCEEDED, FAILED or STOPPED.
    """

    __tablename__ = "cloudformation_stack_set_operations"
    __table_args__ = (UniqueConstraint("stack_set_pk", "operation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stack_set_pk: Mapped[int] = mapped_column(
        ForeignKey("cloudformation_stack_sets.id", ondelete="CASCADE"), index=True
    )
    operation_id: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # OperationPreferences as given, and the regions in the order they are worked.
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON)
    regions: Mapped[list[str]] = mapped_column(JSON)
    deployment_targets: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    retain_stacks: Mapped[bool | None] = mapped_column(default=None)
    # What was asked, to tell a retry (same OperationId, same request) from a reuse.
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What it does once it starts (queue.Plan): kept so a QUEUED operation survives a
    # restart and changes nothing before its turn.
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class StackSetOperationResult(Base):
    """One account and region of an operation: PENDING, RUNNING, then its outcome.

    `phase` is "called" once the call on the instance's stack committed (in that call's
    own transaction), so a restart follows the stack instead of calling again.
    """

    __tablename__ = "cloudformation_stack_set_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operation_pk: Mapped[int] = mapped_column(
        ForeignKey("cloudformation_stack_set_operations.id", ondelete="CASCADE"), index=True
    )
    account: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    ou_id: Mapped[str | None] = mapped_column(String(80), default=None)
    # deploy (create or update the instance's stack) or delete.
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    phase: Mapped[str] = mapped_column(String(16), default="")
    stack_id: Mapped[str | None] = mapped_column(String(512), default=None)
