"""What every stack change shares: status transitions with their events, who acts.

A status change of a stack or a resource is one row of DescribeStackEvents and one
`CloudFormation … Status Change` event on the account's default bus, committed in
the transaction that makes the change.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from airlock.core.api import WAKE_WORKERS
from airlock.core.calls import acting_context
from airlock.core.context import (
    RequestContext,
    principal_of,
)
from airlock.events import EventsService
from airlock.platform.clock import Clock
from airlock.sts import assume_role_for_service

from .models import Stack, StackEvent, StackResource

CLOUDFORMATION = "cloudformation.amazonaws.com"
STACK_TYPE = "AWS::CloudFormation::Stack"
TERMINAL = {
    "CREATE_COMPLETE",
    "CREATE_FAILED",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "DELETE_COMPLETE",
    "DELETE_FAILED",
    "UPDATE_COMPLETE",
    "UPDATE_FAILED",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "REVIEW_IN_PROGRESS",
}


def actor(session: Session, clock: Clock, platform: Any, stack: Stack) -> RequestContext:
    """Who the stack's resources are made as: its role, assumed by CloudFormation, or its caller.

    Raises ServiceAccessDenied when the role does not trust CloudFormation.
    """
    if stack.role_arn:
        principal = assume_role_for_service(
            session,
            clock,
            service_principal=CLOUDFORMATION,
            role_arn=stack.role_arn,
            session_name="AWSCloudFormation",
            source_account=stack.account_id,
            source_arn=stack.stack_id,
        )
    else:
        principal = principal_of(stack.principal)
    return acting_context(
        platform, principal, via=CLOUDFORMATION, service="cloudformation", region=stack.region
    )


def _bus_event(
    session: Session, clock: Clock, stack: Stack, kind: str, detail: dict[str, Any]
) -> None:
    EventsService(session, clock).emit(
        stack.account_id,
        stack.region,
        source="aws.cloudformation",
        detail_type=kind,
        detail=detail,
        resources=[stack.stack_id],
    )


def set_stack_status(
    session: Session, clock: Clock, stack: Stack, status: str, reason: str | None = None
) -> None:
    """A stack's new status, its event and its bus event."""
    stack.status = status
    stack.status_reason = reason
    now = clock.now()
    if status.startswith("UPDATE") or status.startswith("ROLLBACK"):
        stack.updated_at = now
    if status == "DELETE_COMPLETE":
        stack.deleted_at = now
    session.add(
        StackEvent(
            stack_pk=stack.id,
            event_id=str(uuid.uuid4()),
            logical_id=stack.name,
            physical_id=stack.stack_id,
            type=STACK_TYPE,
            status=status,
            reason=reason,
            client_token=stack.client_token,
            timestamp=now,
        )
    )
    session.flush()
    detail = {
        "stack-id": stack.stack_id,
        "status-details": {"status": status, "status-reason": reason or ""},
    }
    _bus_event(session, clock, stack, "CloudFormation Stack Status Change", detail)
    if not status.endswith("_IN_PROGRESS"):
        # Whoever waits on the stack (a stack set operation, a pipeline's deploy action)
        # looks again as soon as this commits, not at its next poll.
        session.info[WAKE_WORKERS] = True


def set_resource_status(
    session: Session,
    clock: Clock,
    stack: Stack,
    row: StackResource,
    status: str,
    reason: str | None = None,
    *,
    physical_id: str | None = None,
) -> None:
    """A resource's new status, its event and its bus event."""
    row.status = status
    row.status_reason = reason
    row.updated_at = clock.now()
    shown = physical_id if physical_id is not None else row.physical_id
    resource_event(
        session, clock, stack, row.logical_id, row.type, status, reason, shown or "", row.updated_at
    )


def resource_event(
    session: Session,
    clock: Clock,
    stack: Stack,
    logical_id: str,
    type_name: str,
    status: str,
    reason: str | None,
    physical_id: str = "",
    at: datetime | None = None,
) -> None:
    """A resource's event and its bus event (also for one that failed before it had a row)."""
    session.add(
        StackEvent(
            stack_pk=stack.id,
            event_id=f"{logical_id}-{status}-{uuid.uuid4()}",
            logical_id=logical_id,
            physical_id=physical_id,
            type=type_name,
            status=status,
            reason=reason,
            client_token=stack.client_token,
            timestamp=at or clock.now(),
        )
    )
    session.flush()
    detail = {
        "stack-id": stack.stack_id,
        "logical-resource-id": logical_id,
        "physical-resource-id": physical_id,
        "resource-type": type_name,
        "status-details": {"status": status, "status-reason": reason or ""},
    }
    _bus_event(session, clock, stack, "CloudFormation Resource Status Change", detail)


def live_stack(session: Session, account: str, region: str, name_or_id: str) -> Stack | None:
    """The stack a name (not deleted) or stack id (deleted or not) names."""
    query = select(Stack).where(Stack.account_id == account, Stack.region == region)
    if name_or_id.startswith("arn:"):
        return session.scalars(query.where(Stack.stack_id == name_or_id)).first()
    return session.scalars(
        query.where(Stack.name == name_or_id, Stack.status != "DELETE_COMPLETE")
    ).first()


def resources_of(session: Session, stack: Stack) -> list[StackResource]:
    """The stack's resource rows, oldest first."""
    return list(
        session.scalars(
            select(StackResource)
            .where(StackResource.stack_pk == stack.id)
            .order_by(StackResource.id)
        ).all()
    )
