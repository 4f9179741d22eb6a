"""The stack set engine: advances every operation under way, and keeps auto-deployment up.

Each target (an account in a region) of an operation is PENDING, then RUNNING once its
call is due, then SUCCEEDED, FAILED or CANCELLED. The call on the instance's stack
(CreateStack, UpdateStack, DeleteStack in the target account, as the stack set's role
there) records in its own transaction that it was made (`phase` "called"), so after a
restart a RUNNING target either makes its call (it never committed) or follows its
stack, which the stack engine advances: nothing is made twice, nothing is left behind.

An operation QUEUED behind another (a set with ManagedExecution) starts here once
the set has nothing under way, oldest first (see queue.py).

Auto-deployment is a reconcile: every few seconds, a service-managed stack set with
AutoDeployment enabled and no operation under way compares the accounts now in its
OUs (and the OUs below them) with its instances, and starts an operation creating
the missing ones or deleting those of accounts that left (retaining their stacks when
RetainStacksOnAccountRemoval says so), one operation at a time as AWS runs them.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from airlock.core.api import WAKE_WORKERS
from airlock.core.calls import call
from airlock.core.errors import ServiceError
from airlock.platform.loop import BackgroundLoop

from ..models import Stack, StackEvent
from .auto import reconcile
from .models import StackInstance, StackSet, StackSetOperation, StackSetOperationResult
from .principals import TargetRefused, target_context
from .queue import start_queued
from .targets import Preferences

log = logging.getLogger("airlock.cloudformation.stack_sets")

DONE = ("SUCCEEDED", "FAILED", "CANCELLED")
DEPLOYED = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
# A stack left like this by a failed create is replaced, not updated.
DEAD = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_COMPLETE")
TOLERANCE_CANCELLED = "Cancelled since failure tolerance has exceeded"
STOP_CANCELLED = "Cancelled since the operation was stopped"
RECONCILE_EVERY = 2.0


class StackSetEngine(BackgroundLoop):
    """Advances every stack set operation under way; reconciles auto-deployment."""

    name = "airlock-stack-sets"

    def __init__(self, platform: Any) -> None:
        super().__init__()
        self.platform = platform
        self._reconciled = 0.0

    def tick(self) -> float:
        try:
            queued = start_queued(self.platform)
        except Exception:
            log.exception("queued stack set operations could not start")
            queued = True
        with self.platform.db.read() as session:
            busy = session.scalars(
                select(StackSetOperation.id).where(
                    StackSetOperation.status.in_(("RUNNING", "STOPPING"))
                )
            ).all()
        for operation_pk in busy:
            try:
                OperationRun(self.platform, operation_pk).advance()
            except Exception:
                log.exception("stack set operation %d could not advance", operation_pk)
        if time.monotonic() - self._reconciled >= RECONCILE_EVERY:
            self._reconciled = time.monotonic()
            try:
                reconcile(self.platform)
            except Exception:
                log.exception("stack set auto-deployment could not reconcile")
        return 0.1 if busy or queued else RECONCILE_EVERY


def _failure_reason(session: Session, stack: Stack) -> str:
    """Why an instance's stack failed, as StackSets reports it: the failing resource."""
    events = session.scalars(
        select(StackEvent).where(StackEvent.stack_pk == stack.id).order_by(StackEvent.id)
    ).all()
    for event in events:
        cancelled = (event.reason or "").startswith("Resource creation cancelled")
        if event.status.endswith("_FAILED") and event.logical_id != stack.name and not cancelled:
            return (
                f"ResourceLogicalId:{event.logical_id}, ResourceType:{event.type}, "
                f"ResourceStatusReason:{event.reason}."
            )
    return stack.status_reason or f"The stack is in {stack.status} state"


class OperationRun:
    """One advance of one stack set operation."""

    def __init__(self, platform: Any, operation_pk: int) -> None:
        self.platform = platform
        self.db = platform.db
        self.clock = platform.clock
        self.operation_pk = operation_pk

    def _snapshot(self) -> tuple[StackSetOperation, StackSet, list[StackSetOperationResult]]:
        with self.db.read() as session:
            operation = session.get(StackSetOperation, self.operation_pk)
            assert operation is not None
            stack_set = session.get(StackSet, operation.stack_set_pk)
            assert stack_set is not None
            results = list(
                session.scalars(
                    select(StackSetOperationResult)
                    .where(StackSetOperationResult.operation_pk == operation.id)
                    .order_by(StackSetOperationResult.id)
                ).all()
            )
            session.expunge_all()
            return operation, stack_set, results

    def advance(self) -> None:
        """Follow what runs, start what is due, and end the operation when all is done."""
        operation, stack_set, results = self._snapshot()
        for result in results:
            if result.status == "RUNNING":
                if result.phase == "called":
                    self._follow(result)
                else:  # marked RUNNING, its call never committed: make it now
                    self._launch(stack_set, result)
        operation, stack_set, results = self._snapshot()
        if operation.status == "STOPPING":
            self._cancel([r for r in results if r.status == "PENDING"], STOP_CANCELLED)
        else:
            self._start_due(operation, stack_set, results)
        operation, stack_set, results = self._snapshot()
        if all(r.status in DONE for r in results):
            self._end(operation, results)

    # Pace ----------------------------------------------------------------------------

    def _start_due(
        self,
        operation: StackSetOperation,
        stack_set: StackSet,
        results: list[StackSetOperationResult],
    ) -> None:
        preferences = Preferences.of(operation.preferences)
        parallel = preferences.region_concurrency == "PARALLEL"
        for index, region in enumerate(operation.regions):
            here = [r for r in results if r.region == region]
            failed = sum(r.status == "FAILED" for r in here)
            tolerance = preferences.tolerance(len(here))
            if failed > tolerance:  # this region, and (sequential) every one after it
                scope = (
                    here
                    if parallel
                    else [r for r in results if r.region in operation.regions[index:]]
                )
                self._cancel([r for r in scope if r.status == "PENDING"], TOLERANCE_CANCELLED)
                if not parallel:
                    return
                continue
            running = sum(r.status == "RUNNING" for r in here)
            room = preferences.concurrency(len(here), failed) - running
            for result in [r for r in here if r.status == "PENDING"][: max(room, 0)]:
                self._mark_running(result)
                self._launch(stack_set, result)
            if not parallel and any(
                r.status not in DONE for r in self._snapshot()[2] if r.region == region
            ):
                return  # the next region waits for this one

    def _end(self, operation: StackSetOperation, results: list[StackSetOperationResult]) -> None:
        preferences = Preferences.of(operation.preferences)
        exceeded = []
        for region in operation.regions:
            here = [r for r in results if r.region == region]
            if sum(r.status == "FAILED" for r in here) > preferences.tolerance(len(here)):
                exceeded.append(region)
        with self.db.write() as session:
            found = session.get(StackSetOperation, operation.id)
            assert found is not None
            if found.status == "STOPPING":
                found.status = "STOPPED"
            elif exceeded:
                found.status = "FAILED"
                found.status_reason = (
                    f"The operation failed because the failure tolerance was exceeded in "
                    f"region(s): [{', '.join(exceeded)}]"
                )
            else:
                found.status = "SUCCEEDED"
            found.ended_at = self.clock.now()
            # Whoever waits on the operation (a pipeline's stack set action) looks again as
            # soon as this commits, not at its next poll.
            session.info[WAKE_WORKERS] = True

    # Targets -------------------------------------------------------------------------

    def _instance(self, session: Session, result: StackSetOperationResult) -> StackInstance | None:
        operation = session.get(StackSetOperation, result.operation_pk)
        assert operation is not None
        return session.scalars(
            select(StackInstance).where(
                StackInstance.stack_set_pk == operation.stack_set_pk,
                StackInstance.account == result.account,
                StackInstance.region == result.region,
            )
        ).first()

    def _mark_running(self, result: StackSetOperationResult) -> None:
        with self.db.write() as session:
            found = session.get(StackSetOperationResult, result.id)
            assert found is not None
            found.status = "RUNNING"
            instance = self._instance(session, found)
            if instance is not None:
                instance.detailed_status = "RUNNING"

    def _cancel(self, results: list[StackSetOperationResult], reason: str) -> None:
        if not results:
            return
        with self.db.write() as session:
            for result in results:
                found = session.get(StackSetOperationResult, result.id)
                assert found is not None
                if found.status != "PENDING":
                    continue
                found.status, found.status_reason = "CANCELLED", reason
                instance = self._instance(session, found)
                if instance is not None:
                    instance.detailed_status = "CANCELLED"
                    instance.status_reason = reason

    def _finish(
        self, result: StackSetOperationResult, status: str, reason: str | None = None
    ) -> None:
        """A target's outcome, and its instance's: current, failed, or gone."""
        with self.db.write() as session:
            found = session.get(StackSetOperationResult, result.id)
            assert found is not None
            found.status, found.status_reason = status, reason
            instance = self._instance(session, found)
            if instance is None:
                return
            if status == "SUCCEEDED" and found.action == "delete":
                session.execute(delete(StackInstance).where(StackInstance.id == instance.id))
            elif status == "SUCCEEDED":
                instance.status, instance.detailed_status = "CURRENT", "SUCCEEDED"
                instance.status_reason = None
            elif found.action == "delete":
                instance.status, instance.detailed_status = "INOPERABLE", "INOPERABLE"
                instance.status_reason = reason
            else:
                instance.status, instance.detailed_status = "OUTDATED", "FAILED"
                instance.status_reason = reason

    def _follow(self, result: StackSetOperationResult) -> None:
        """A target whose call was made: its stack's outcome, once there is one."""
        with self.db.read() as session:
            stack = session.scalars(select(Stack).where(Stack.stack_id == result.stack_id)).first()
            if stack is None or stack.status.endswith("_IN_PROGRESS"):
                return
            ok = (
                stack.status == "DELETE_COMPLETE"
                if result.action == "delete"
                else (stack.status in DEPLOYED)
            )
            reason = None if ok else _failure_reason(session, stack)
        self._finish(result, "SUCCEEDED" if ok else "FAILED", reason)

    def _launch(self, stack_set: StackSet, result: StackSetOperationResult) -> None:
        """Make the target's call as the stack set's role in the target account."""
        with self.db.read() as session:
            instance = self._instance(session, result)
            stack = None
            if instance is not None and instance.stack_id:
                stack = session.scalars(
                    select(Stack).where(Stack.stack_id == instance.stack_id)
                ).first()
            if instance is not None:
                session.expunge(instance)
            if stack is not None:
                session.expunge(stack)
        if result.action == "delete":
            retain = self._retains(result)
            if retain or stack is None or stack.status == "DELETE_COMPLETE":
                self._finish(result, "SUCCEEDED")
                return
        try:
            ctx = target_context(self.platform, stack_set, result.account, result.region)
            if result.action == "delete":
                assert stack is not None
                self._call(
                    ctx, result, "DeleteStack", {"StackName": stack.stack_id}, stack.stack_id
                )
            elif stack is None or stack.status in DEAD:
                if stack is not None and stack.status != "DELETE_COMPLETE":
                    call(
                        self.platform,
                        ctx,
                        "cloudformation",
                        "DeleteStack",
                        {"StackName": stack.stack_id},
                    )
                self._create(ctx, stack_set, result, instance)
            else:
                self._update(ctx, stack_set, result, instance, stack)
        except TargetRefused as refused:
            self._finish(result, "FAILED", str(refused))
        except ServiceError as error:
            self._finish(result, "FAILED", error.message)

    def _retains(self, result: StackSetOperationResult) -> bool:
        with self.db.read() as session:
            operation = session.get(StackSetOperation, result.operation_pk)
            return bool(operation is not None and operation.retain_stacks)

    def _stack_params(self, stack_set: StackSet, instance: StackInstance | None) -> dict[str, Any]:
        values = {**stack_set.parameters, **(instance.parameter_overrides if instance else {})}
        request: dict[str, Any] = {
            "TemplateBody": stack_set.template_body,
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
            "Capabilities": list(stack_set.capabilities),
            "Tags": [{"Key": k, "Value": v} for k, v in stack_set.tags.items()],
        }
        return request

    def _call(
        self,
        ctx: Any,
        result: StackSetOperationResult,
        operation: str,
        request: dict[str, Any],
        stack_id: str | None,
    ) -> None:
        """The call on the instance's stack; that it was made commits with it."""

        def made(session: Session, output: dict[str, Any]) -> None:
            found = session.get(StackSetOperationResult, result.id)
            assert found is not None
            found.phase = "called"
            found.stack_id = str(output.get("StackId") or stack_id)
            instance = self._instance(session, found)
            if instance is not None:
                instance.stack_id = found.stack_id

        call(self.platform, ctx, "cloudformation", operation, request, within=made)

    def _create(
        self,
        ctx: Any,
        stack_set: StackSet,
        result: StackSetOperationResult,
        instance: StackInstance | None,
    ) -> None:
        # The same name and token when a call is made again after a crash.
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"{stack_set.stack_set_id}/{result.id}")
        request = {
            "StackName": f"StackSet-{stack_set.name}-{key}",
            "ClientRequestToken": f"StackSet-{key}",
            **self._stack_params(stack_set, instance),
        }
        self._call(ctx, result, "CreateStack", request, None)

    def _update(
        self,
        ctx: Any,
        stack_set: StackSet,
        result: StackSetOperationResult,
        instance: StackInstance | None,
        stack: Stack,
    ) -> None:
        request = {"StackName": stack.stack_id, **self._stack_params(stack_set, instance)}
        try:
            self._call(ctx, result, "UpdateStack", request, stack.stack_id)
        except ServiceError as error:
            if error.message != "No updates are to be performed.":
                raise
            self._finish(result, "SUCCEEDED")
