"""The stack engine: one path for every stack change.

A stack whose status is one of the `*_IN_PROGRESS` ones has an operation under way.
Each tick advances it: resources whose dependencies are settled take their next
step (create, configure, wait until ready; or update in place, replace, delete),
each step one short transaction that writes what it did and the events it caused.
Independent resources progress in the same tick, so a slow one (an endpoint) does
not hold up the others. A restart finds every row where the last commit left it
and takes the next step, so nothing is made twice and nothing is left behind.

CreateStack, UpdateStack and ExecuteChangeSet all end here: an update is the
template's resources compared with the stack's, the same way for every caller.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from airlock.core.calls import resource_types
from airlock.core.errors import ServiceError
from airlock.core.resources import ProviderContext, ResourceFailed, ResourceType
from airlock.platform.clock import Clock, utc
from airlock.platform.db import READ_ONLY, Database
from airlock.platform.loop import BackgroundLoop

from .models import Stack, StackExport, StackResource
from .plans import failure_reason, plan_of
from .stacks import actor, resource_event, resources_of, set_resource_status, set_stack_status
from .template import Plan, TemplateError

log = logging.getLogger("airlock.cloudformation")

IN_PROGRESS = (
    "CREATE_IN_PROGRESS",
    "ROLLBACK_IN_PROGRESS",
    "DELETE_IN_PROGRESS",
    "UPDATE_IN_PROGRESS",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
)
SETTLED = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
TIMED_OUT = "Stack creation time exceeded the specified timeout."
GONE = ("DELETE_COMPLETE", "DELETE_SKIPPED")


class StackEngine(BackgroundLoop):
    """Advances every stack with an operation under way."""

    name = "airlock-stacks"

    def __init__(self, platform: Any) -> None:
        super().__init__()
        self.platform = platform

    def tick(self) -> float:
        with self.platform.db.read() as session:
            busy = session.scalars(select(Stack.id).where(Stack.status.in_(IN_PROGRESS))).all()
        waiting = False
        for stack_pk in busy:
            try:
                waiting |= StackRun(self.platform, stack_pk).advance()
            except Exception:
                log.exception("stack %d could not advance", stack_pk)
                waiting = True
        if not busy:
            return 2.0
        return 0.2 if waiting else 0.0


class _Failed(Exception):
    """A resource step failed; the stack's operation turns to its failure path."""

    def __init__(self, logical_id: str, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.logical_id = logical_id
        self.reason = reason
        self.timed_out = timed_out
        # The resource's type when it failed before it had a row (its properties could not
        # be evaluated or checked): its event is then written without one.
        self.type_name: str | None = None


class _Stale(Exception):
    """The stack's status changed under the tick (CancelUpdateStack): the next tick goes on."""


class StackRun:
    """One advance of one stack's operation."""

    def __init__(self, platform: Any, stack_pk: int) -> None:
        self.platform = platform
        self.db: Database = platform.db
        self.clock: Clock = platform.clock
        self.stack_pk = stack_pk
        self.types: Mapping[str, ResourceType] = resource_types(platform)
        # The status this tick advances; a write finding another one stops the tick.
        self.started: str | None = None

    # Reading ------------------------------------------------------------------------

    def _load(self, session: Session) -> tuple[Stack, list[StackResource]]:
        stack = session.get(Stack, self.stack_pk)
        assert stack is not None
        writing = not session.info.get(READ_ONLY)
        if writing and self.started is not None and stack.status != self.started:
            raise _Stale(stack.status)
        return stack, resources_of(session, stack)

    def _snapshot(self) -> tuple[Stack, list[StackResource]]:
        """The stack and its rows as they are now, detached (safe to read after the session)."""
        with self.db.read() as session:
            stack, rows = self._load(session)
            session.expunge_all()
            return stack, rows

    def _plan(self, stack: Stack, template: dict[str, Any] | None = None) -> Plan:
        return plan_of(stack, template if template is not None else stack.template)

    def _exports(self, session: Session, stack: Stack) -> Any:
        def value(name: str) -> str:
            found = session.scalars(
                select(StackExport).where(
                    StackExport.account_id == stack.account_id,
                    StackExport.region == stack.region,
                    StackExport.name == name,
                )
            ).first()
            if found is None:
                raise TemplateError(f"No export named {name} found.")
            return found.value

        return value

    # The advance --------------------------------------------------------------------

    def advance(self) -> bool:
        """Take every step that is due; True when something is waiting (an endpoint)."""
        status = self._snapshot()[0].status
        self.started = status
        try:
            if status in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"):
                return self._forward()
            if status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":
                return self._delete_rows(cleanup=True, final="UPDATE_COMPLETE")
            if status == "ROLLBACK_IN_PROGRESS":
                return self._delete_rows(cleanup=False, final="ROLLBACK_COMPLETE")
            if status == "DELETE_IN_PROGRESS":
                return self._delete_rows(cleanup=False, final="DELETE_COMPLETE")
            if status == "UPDATE_ROLLBACK_IN_PROGRESS":
                return self._revert()
            if status == "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS":
                return self._delete_rows(cleanup=True, final="UPDATE_ROLLBACK_COMPLETE")
        except _Failed as failure:
            try:
                self._operation_failed(failure)
            except _Stale:
                return True
        except _Stale:
            return True
        return False

    # Create and update ---------------------------------------------------------------

    def _forward(self) -> bool:
        stack, rows = self._snapshot()
        generation = stack.generation
        if _timed_out(stack, self.clock.now()):
            raise _Failed(stack.name, TIMED_OUT, timed_out=True)
        try:
            plan = self._plan(stack)
        except TemplateError as error:
            raise _Failed(stack.name, error.message) from error
        current = {r.logical_id: r for r in rows if not r.replaced and r.status not in GONE}
        waiting = False
        for logical_id in plan.order():
            row = current.get(logical_id)
            if row is not None and row.generation == generation and row.status in SETTLED:
                continue
            needs = plan.dependencies.get(logical_id, set())
            if not all(_settled(current.get(n), generation) for n in needs):
                continue
            row = self._step(plan, logical_id, row)
            current[logical_id] = row
            if not _settled(row, generation):
                waiting = True
        if all(_settled(current.get(lid), generation) for lid in plan.order()):
            self._forward_done(plan)
            return False
        return waiting

    def _attributes(self, session: Session, stack: Stack) -> Any:
        rows = {
            r.logical_id: r
            for r in resources_of(session, stack)
            if not r.replaced and r.status not in GONE
        }

        def attributes(logical_id: str) -> Mapping[str, Any]:
            row = rows.get(logical_id)
            return row.attributes if row is not None else {}

        return attributes

    def _evaluate(self, plan: Plan, logical_id: str) -> dict[str, Any]:
        with self.db.read() as session:
            stack, _ = self._load(session)
            try:
                return plan.properties(
                    logical_id, self._attributes(session, stack), self._exports(session, stack)
                )
            except TemplateError as error:
                raise _Failed(logical_id, error.message) from error

    def _step(self, plan: Plan, logical_id: str, row: StackResource | None) -> StackResource:
        """The next step of one resource; the row as that step left it."""
        declared = plan.resources[logical_id]
        type_name = declared["Type"]
        provider = self.types.get(type_name)
        if provider is None:  # checked at CreateStack; a provider gone since is a failure
            raise _Failed(logical_id, f"Unrecognized resource type: {type_name}")
        if row is None or (row.generation != self._generation() and row.status in SETTLED):
            try:
                props = self._evaluate(plan, logical_id)
                _check_properties(provider, logical_id, props)
            except _Failed as failure:
                failure.type_name = type_name
                raise
            row = self._begin(plan, logical_id, row, provider, props)
            if row.status in SETTLED:
                return row
        return self._progress(row, provider)

    def _generation(self) -> int:
        with self.db.read() as session:
            stack = session.get(Stack, self.stack_pk)
            assert stack is not None
            return stack.generation

    def _begin(
        self,
        plan: Plan,
        logical_id: str,
        existing: StackResource | None,
        provider: ResourceType,
        props: dict[str, Any],
    ) -> StackResource:
        """Record what the operation does to a resource: add, keep, update or replace it."""
        declared = plan.resources[logical_id]
        policy = str(declared.get("DeletionPolicy") or "Delete")
        replace_policy = str(declared.get("UpdateReplacePolicy") or "Delete")
        with self.db.write() as session:
            stack, _ = self._load(session)
            now = self.clock.now()
            if existing is not None:
                row = session.get(StackResource, existing.id)
                assert row is not None
                replace = row.type != declared["Type"] or any(
                    row.properties.get(name) != props.get(name)
                    for name in provider.spec.create_only
                )
                if not replace:
                    row.generation = stack.generation
                    row.deletion_policy = policy
                    row.replace_policy = replace_policy
                    if row.properties == props:
                        return row
                    row.old_properties = row.properties
                    row.properties = props
                    row.phase = "created"
                    set_resource_status(session, self.clock, stack, row, "UPDATE_IN_PROGRESS")
                    return row
                row.replaced = True
            row = StackResource(
                stack_pk=stack.id,
                logical_id=logical_id,
                type=declared["Type"],
                status="",
                phase="",
                properties=props,
                attributes={},
                deletion_policy=policy,
                replace_policy=replace_policy,
                generation=stack.generation,
                added=stack.operation == "UPDATE",
                metadata_=declared.get("Metadata"),
                updated_at=now,
            )
            session.add(row)
            session.flush()
            if existing is not None:
                set_resource_status(
                    session,
                    self.clock,
                    stack,
                    row,
                    "UPDATE_IN_PROGRESS",
                    "Requested update requires the creation of a new physical resource; "
                    "hence creating one.",
                    physical_id=existing.physical_id,
                )
            else:
                set_resource_status(session, self.clock, stack, row, "CREATE_IN_PROGRESS")
            return row

    def _context(self, row: StackResource) -> ProviderContext:
        with self.db.read() as session:
            stack, _ = self._load(session)
            try:
                ctx = actor(session, self.clock, self.platform, stack)
            except ServiceError as error:
                raise _Failed(row.logical_id, error.message) from error
            name, stack_id, tags = stack.name, stack.stack_id, dict(stack.tags)
            generation = stack.generation
        row_pk = row.id

        def created(session: Session, physical_id: str) -> None:
            found = session.get(StackResource, row_pk)
            owner = session.get(Stack, self.stack_pk)
            assert found is not None and owner is not None
            found.physical_id = physical_id
            found.phase = "created"
            status = found.status
            initiated = "Resource creation Initiated"
            set_resource_status(session, self.clock, owner, found, status, initiated)

        return ProviderContext(
            self.platform,
            ctx,
            stack_name=name,
            stack_id=stack_id,
            logical_id=row.logical_id,
            tags=tags,
            on_created=created,
            # Per row: a replacement (a new row, same logical id) gets names of its own.
            resource_key=f"{stack_id}/{row.logical_id}/{row_pk}",
            generation=generation,
        )

    def _progress(self, row: StackResource, provider: ResourceType) -> StackResource:
        """Create, configure, wait: as far as the resource goes now."""
        pc = self._context(row)
        try:
            if row.phase == "" and row.physical_id is None:
                provider.create(pc, dict(row.properties))
                row = self._reload(row)
            if row.phase == "created":
                assert row.physical_id is not None
                provider.configure(pc, row.physical_id, dict(row.properties), row.old_properties)
                row = self._set_phase(row, "configured")
            if row.phase == "configured":
                assert row.physical_id is not None
                if not provider.stabilize(pc, row.physical_id, dict(row.properties)):
                    return row
                attributes = provider.attributes(pc, row.physical_id, dict(row.properties))
                return self._complete(row, attributes)
        except (ServiceError, ResourceFailed) as error:
            raise _Failed(row.logical_id, failure_reason(pc, error)) from error
        return row

    def _reload(self, row: StackResource) -> StackResource:
        with self.db.read() as session:
            found = session.get(StackResource, row.id)
            assert found is not None
            session.expunge(found)
            return found

    def _set_phase(self, row: StackResource, phase: str) -> StackResource:
        with self.db.write() as session:
            found = session.get(StackResource, row.id)
            assert found is not None
            found.phase = phase
            return found

    def _complete(self, row: StackResource, attributes: dict[str, Any]) -> StackResource:
        with self.db.write() as session:
            stack, _ = self._load(session)
            found = session.get(StackResource, row.id)
            assert found is not None
            found.attributes = attributes
            found.phase = "ready"
            status = (
                "CREATE_COMPLETE" if found.status == "CREATE_IN_PROGRESS" else "UPDATE_COMPLETE"
            )
            set_resource_status(session, self.clock, stack, found, status)
            return found

    def _forward_done(self, plan: Plan) -> None:
        """Every resource is settled: outputs and exports, then cleanup or complete."""
        with self.db.write() as session:
            stack, rows = self._load(session)
            try:
                outputs = plan.outputs(
                    self._attributes(session, stack), self._exports(session, stack)
                )
            except TemplateError as error:
                raise _Failed(stack.name, error.message) from error
            clash = _export_clash(session, stack, outputs)
            if clash:
                raise _Failed(stack.name, clash)
            stack.outputs = outputs
            stack.imports = sorted(plan.exports_used())
            _replace_exports(session, stack, outputs)
            if stack.operation == "CREATE":
                set_stack_status(session, self.clock, stack, "CREATE_COMPLETE")
                return
            wanted = set(plan.resources)
            stale = [
                r
                for r in rows
                if r.status not in GONE and (r.replaced or r.logical_id not in wanted)
            ]
            if stale:
                set_stack_status(session, self.clock, stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            else:
                _updated(stack, rows)
                set_stack_status(session, self.clock, stack, "UPDATE_COMPLETE")

    # Failure ---------------------------------------------------------------------------

    def _operation_failed(self, failure: _Failed) -> None:
        with self.db.write() as session:
            stack, rows = self._load(session)
            verb = "create" if stack.operation == "CREATE" else "update"
            for row in rows:
                failing = (
                    row.logical_id == failure.logical_id and row.generation == stack.generation
                )
                if failing and row.status.endswith("_IN_PROGRESS"):
                    verb = "create" if row.status == "CREATE_IN_PROGRESS" else "update"
                    status = (
                        "UPDATE_FAILED" if row.status == "UPDATE_IN_PROGRESS" else "CREATE_FAILED"
                    )
                    if row.status == "DELETE_IN_PROGRESS":
                        status = "DELETE_FAILED"
                    set_resource_status(session, self.clock, stack, row, status, failure.reason)
            current = {r.logical_id for r in rows if r.generation == stack.generation}
            if failure.type_name is not None and failure.logical_id not in current:
                status = "CREATE_FAILED" if stack.operation == "CREATE" else "UPDATE_FAILED"
                resource_event(
                    session,
                    self.clock,
                    stack,
                    failure.logical_id,
                    failure.type_name,
                    status,
                    failure.reason,
                )
            for row in rows:
                if row.status == "CREATE_IN_PROGRESS":  # others under way are cancelled
                    set_resource_status(
                        session,
                        self.clock,
                        stack,
                        row,
                        "CREATE_FAILED",
                        "Resource creation cancelled",
                    )
            failed = sorted({failure.logical_id})
            if stack.status == "CREATE_IN_PROGRESS":
                reason = f"The following resource(s) failed to create: [{', '.join(failed)}]. "
                if failure.logical_id == stack.name:
                    reason = failure.reason + (" " if failure.timed_out else "")
                # A timeout is worded as a resource failure is: what happens next follows.
                then = failure.logical_id != stack.name or failure.timed_out
                if stack.on_failure == "DO_NOTHING":
                    set_stack_status(
                        session,
                        self.clock,
                        stack,
                        "CREATE_FAILED",
                        reason.rstrip() if failure.timed_out else reason,
                    )
                elif stack.on_failure == "DELETE":
                    deleting = reason + "Delete requested by user." if failure.timed_out else reason
                    set_stack_status(session, self.clock, stack, "CREATE_FAILED", deleting)
                    set_stack_status(session, self.clock, stack, "DELETE_IN_PROGRESS")
                else:
                    set_stack_status(
                        session,
                        self.clock,
                        stack,
                        "ROLLBACK_IN_PROGRESS",
                        reason + "Rollback requested by user." if then else reason,
                    )
            elif stack.status == "UPDATE_IN_PROGRESS":
                reason = f"The following resource(s) failed to {verb}: [{', '.join(failed)}]. "
                if failure.logical_id == stack.name:
                    reason = failure.reason
                # UpdateStack with DisableRollback keeps what the update did so far.
                after = (
                    "UPDATE_FAILED"
                    if stack.on_failure == "DO_NOTHING"
                    else ("UPDATE_ROLLBACK_IN_PROGRESS")
                )
                set_stack_status(session, self.clock, stack, after, reason)
            elif stack.status == "UPDATE_ROLLBACK_IN_PROGRESS":
                set_stack_status(
                    session, self.clock, stack, "UPDATE_ROLLBACK_FAILED", failure.reason
                )
            elif stack.status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":
                # AWS finishes the update and leaves what it could not delete.
                _updated(stack, rows)
                set_stack_status(session, self.clock, stack, "UPDATE_COMPLETE")
            elif stack.status == "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS":
                set_stack_status(session, self.clock, stack, "UPDATE_ROLLBACK_COMPLETE")
            elif stack.status == "ROLLBACK_IN_PROGRESS":
                set_stack_status(session, self.clock, stack, "ROLLBACK_FAILED", failure.reason)
            elif stack.status == "DELETE_IN_PROGRESS":
                set_stack_status(session, self.clock, stack, "DELETE_FAILED", failure.reason)

    # Update rollback ------------------------------------------------------------------

    def _revert(self) -> bool:
        """Put resources updated in place back as they were, then clean up what was added.

        The rollback is an operation of its own: once, it restores the template and
        takes the next generation. A row of an older generation with properties to go
        back to begins its revert (one transaction swaps the properties); one of this
        generation continues it (configure, wait until ready) as an update would, so a
        restart neither repeats a revert's start nor skips its wait.
        """
        with self.db.write() as session:
            stack, rows = self._load(session)
            previous = stack.previous or {}
            if previous and not previous.get("reverting"):
                stack.template = previous["template"]
                stack.template_body = previous["template_body"]
                stack.parameters = previous["parameters"]
                stack.tags = previous["tags"]
                stack.generation += 1
                stack.previous = {**previous, "reverting": True}
                for row in rows:
                    row.replaced = False
            generation = stack.generation
        _, rows = self._snapshot()
        waiting = False
        for row in rows:
            if row.old_properties is None or row.status in GONE:
                continue
            provider = self.types[row.type]
            if row.generation != generation:
                row = self._begin_revert(row, generation)
            if row.status not in SETTLED:
                row = self._progress(row, provider)
                waiting |= row.status not in SETTLED
        if waiting:
            return True
        with self.db.write() as session:
            stack, _ = self._load(session)
            set_stack_status(
                session, self.clock, stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
            )
        return False

    def _begin_revert(self, row: StackResource, generation: int) -> StackResource:
        """Swap a row's properties back (what it had becomes what it goes to) and mark it
        this rollback's, with its UPDATE_IN_PROGRESS."""
        with self.db.write() as session:
            stack, _ = self._load(session)
            found = session.get(StackResource, row.id)
            assert found is not None and found.old_properties is not None
            found.properties, found.old_properties = found.old_properties, found.properties
            found.generation = generation
            found.phase = "created"
            set_resource_status(session, self.clock, stack, found, "UPDATE_IN_PROGRESS")
            return found

    # Deletion -------------------------------------------------------------------------

    def _delete_rows(self, *, cleanup: bool, final: str) -> bool:
        """Delete what is to go, dependents first: all of it, or (cleanup) what is stale."""
        stack, rows = self._snapshot()
        template = stack.template
        rolling_back = final == "UPDATE_ROLLBACK_COMPLETE"
        previous = (stack.previous or {}).get("template") if not rolling_back else None
        try:
            plan = self._plan(stack, template)
            needs = plan.dependencies
            wanted = set(plan.resources)
        except TemplateError:
            needs, wanted = {}, set()
        if previous is not None:
            with contextlib.suppress(TemplateError):
                needs = {**self._plan(stack, previous).dependencies, **needs}
        if cleanup and rolling_back:
            doomed = [r for r in rows if r.added and r.status not in GONE]
        elif cleanup:
            doomed = [
                r
                for r in rows
                if r.status not in GONE and (r.replaced or r.logical_id not in wanted)
            ]
        else:
            doomed = [r for r in rows if r.status not in GONE]
        waiting = False
        for row in sorted(doomed, key=lambda r: -r.id):  # the newest (dependents) first
            blocked = any(
                other.id != row.id
                and other.status not in GONE
                and other.logical_id != row.logical_id
                and row.logical_id in needs.get(other.logical_id, set())
                for other in doomed
            )
            if blocked:
                continue
            if self._delete(row, retain=_retained(row, cleanup=cleanup, rolling_back=rolling_back)):
                waiting = True
                continue
            row.status = "DELETE_COMPLETE"  # what depends on this row may go in this tick
        _, rows = self._snapshot()
        left = [r for r in rows if r.id in {d.id for d in doomed} and r.status not in GONE]
        if left:
            return waiting
        with self.db.write() as session:
            stack, rows = self._load(session)
            if final in ("DELETE_COMPLETE", "ROLLBACK_COMPLETE"):
                for export in session.scalars(
                    select(StackExport).where(StackExport.stack_pk == stack.id)
                ):
                    session.delete(export)
                stack.outputs = []
            if final in ("UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"):
                _updated(stack, rows)
            set_stack_status(session, self.clock, stack, final)
        return False

    def _delete(self, row: StackResource, *, retain: bool) -> bool:
        """Delete one resource; True while its provider says the removal is under way."""
        if row.physical_id is None or retain:
            with self.db.write() as session:
                stack, _ = self._load(session)
                found = session.get(StackResource, row.id)
                assert found is not None
                status = "DELETE_SKIPPED" if retain and row.physical_id else "DELETE_COMPLETE"
                set_resource_status(session, self.clock, stack, found, status)
            return False
        provider = self.types.get(row.type)
        pc = self._context(row)
        with self.db.write() as session:
            stack, _ = self._load(session)
            found = session.get(StackResource, row.id)
            assert found is not None
            if found.status != "DELETE_IN_PROGRESS":
                set_resource_status(session, self.clock, stack, found, "DELETE_IN_PROGRESS")
        try:
            if provider is None:
                raise ResourceFailed(f"Unrecognized resource type: {row.type}")
            if provider.delete(pc, row.physical_id, dict(row.properties)) is False:
                return True
        except (ServiceError, ResourceFailed) as error:
            reason = failure_reason(pc, error)
            with self.db.write() as session:
                stack, _ = self._load(session)
                found = session.get(StackResource, row.id)
                assert found is not None
                set_resource_status(session, self.clock, stack, found, "DELETE_FAILED", reason)
            raise _Failed(row.logical_id, reason) from error
        with self.db.write() as session:
            stack, _ = self._load(session)
            found = session.get(StackResource, row.id)
            assert found is not None
            set_resource_status(session, self.clock, stack, found, "DELETE_COMPLETE")
        return False


def _retained(row: StackResource, *, cleanup: bool, rolling_back: bool) -> bool:
    """Whether a resource outlives its removal: its DeletionPolicy, or UpdateReplacePolicy
    for the old resource of a replacement; never what a rollback takes back."""
    if rolling_back:
        return False
    if cleanup and row.replaced:
        return row.replace_policy == "Retain"
    return row.deletion_policy == "Retain"


def _timed_out(stack: Stack, now: datetime) -> bool:
    """Whether a CreateStack's TimeoutInMinutes has passed (it counts from the call)."""
    if stack.operation != "CREATE" or stack.timeout_minutes is None:
        return False
    return now >= utc(stack.created_at) + timedelta(minutes=stack.timeout_minutes)


def _settled(row: StackResource | None, generation: int) -> bool:
    return row is not None and row.generation == generation and row.status in SETTLED


def _check_properties(provider: ResourceType, logical_id: str, props: dict[str, Any]) -> None:
    unknown = sorted(set(props) - provider.spec.properties)
    if unknown:
        raise _Failed(
            logical_id,
            f"Properties validation failed for resource {logical_id} with message: "
            f"#: extraneous key [{unknown[0]}] is not permitted",
        )
    missing = sorted(provider.spec.required - set(props))
    if missing:
        raise _Failed(
            logical_id,
            f"Properties validation failed for resource {logical_id} with message: "
            f"#: required key [{missing[0]}] not found",
        )


def _updated(stack: Stack, rows: list[StackResource]) -> None:
    """An update (or its rollback) is over: what it kept is the stack now."""
    stack.previous = None
    for row in rows:
        row.added = False
        row.old_properties = None


def _export_clash(session: Session, stack: Stack, outputs: list[dict[str, Any]]) -> str | None:
    for output in outputs:
        name = output.get("ExportName")
        if not name:
            continue
        owner = session.scalars(
            select(StackExport).where(
                StackExport.account_id == stack.account_id,
                StackExport.region == stack.region,
                StackExport.name == name,
                StackExport.stack_pk != stack.id,
            )
        ).first()
        if owner is not None:
            other = session.get(Stack, owner.stack_pk)
            holder = other.name if other is not None else "another stack"
            return f"Export with name {name} is already exported by stack {holder}"
    return None


def _replace_exports(session: Session, stack: Stack, outputs: list[dict[str, Any]]) -> None:
    for export in session.scalars(select(StackExport).where(StackExport.stack_pk == stack.id)):
        session.delete(export)
    session.flush()
    for output in outputs:
        if output.get("ExportName"):
            session.add(
                StackExport(
                    account_id=stack.account_id,
                    region=stack.region,
                    name=output["ExportName"],
                    value=str(output.get("OutputValue", "")),
                    stack_pk=stack.id,
                )
            )
