"""The record worker: makes a record's stack call as the launch role, then follows the stack.

A record's `phase` says what is next. `launch`: assume the launch role as
servicecatalog.amazonaws.com (or act as the caller when there is no launch
constraint) and call CreateStack, UpdateStack or DeleteStack through the call path;
the record moves to `follow` in that call's own transaction, so a crash can neither
lose the stack nor make it twice (CreateStack also gets the record id as its client
token). `follow`: read the stack through the call path as the same principal until it
settles. Everything the worker needs is in the row, so a restart resumes every record.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from airlock.core.calls import acting_context, call
from airlock.core.context import RequestContext, principal_of
from airlock.core.errors import ServiceError
from airlock.platform.loop import BackgroundLoop
from airlock.sts import ServiceAccessDenied, assume_role_for_service

from .models import ProvisionedProduct, ProvisioningArtifact, Record
from .records import DONE, FOLLOW, LAUNCH, PROVISION, TERMINATE, UPDATE, finish, stack_outputs
from .service import SERVICECATALOG, stack_name
from .templates import MAX_BODY

log = logging.getLogger("airlock.servicecatalog")
_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
# The session name Service Catalog's launch role sessions carry.
SESSION_NAME = "servicecatalog"
_MAX_INTERVAL = 2.0


class _Refused(Exception):
    """The launch role could not be assumed; the record fails with this message."""


class RecordWorker(BackgroundLoop):
    """Advances every record that is not done."""

    name = "airlock-servicecatalog"

    def __init__(self, platform: Any) -> None:
        super().__init__()
        self.platform = platform

    def tick(self) -> float:
        clock = self.platform.clock
        with self.platform.db.read() as session:
            pending = session.execute(
                select(Record.id, Record.record_id, Record.next_check_at)
                .where(Record.phase.in_([LAUNCH, FOLLOW]))
                .order_by(Record.id)
            ).all()
        if not pending:
            return 5.0
        now = clock.now()
        wait = _MAX_INTERVAL
        for record in pending:
            if record.next_check_at > now:
                wait = min(wait, (record.next_check_at - now).total_seconds())
                continue
            try:
                advance(self.platform, record.id)
            except Exception:
                log.exception("record %s could not advance", record.record_id)
            wait = 0.05
        return max(wait, 0.05)


def _actor(
    platform: Any, session: Session, record: Record, pp: ProvisionedProduct
) -> RequestContext:
    """Who the record's stack calls are made as: the launch role, or the launching caller."""
    if record.launch_role_arn:
        # The stack is made in the launching account: a role of another account cannot be
        # the launch role there (a shared portfolio's constraint names it by LocalRoleName).
        if record.launch_role_arn.split(":")[4:5] != [record.account_id]:
            raise _Refused(f"Access denied while assuming the role {record.launch_role_arn}.")
        try:
            principal = assume_role_for_service(
                session,
                platform.clock,
                service_principal=SERVICECATALOG,
                role_arn=record.launch_role_arn,
                session_name=SESSION_NAME,
                source_account=record.account_id,
                source_arn=pp.arn,
            )
        except ServiceAccessDenied as error:
            raise _Refused(
                f"Access denied while assuming the role {record.launch_role_arn}."
            ) from error
    else:
        principal = principal_of(pp.principal)
    return acting_context(
        platform, principal, via=SERVICECATALOG, service="servicecatalog", region=record.region
    )


def advance(platform: Any, record_pk: int) -> None:
    """Take a record's next step."""
    db = platform.db
    with db.read() as session:
        record = session.get(Record, record_pk)
        if record is None or record.phase == DONE:
            return
        pp = session.scalars(
            select(ProvisionedProduct).where(ProvisionedProduct.pp_id == record.pp_id)
        ).one()
        artifact = session.scalars(
            select(ProvisioningArtifact).where(
                ProvisioningArtifact.artifact_id == record.artifact_id
            )
        ).first()
        if record.record_type == TERMINATE and pp.stack_id is None:
            # A launch that never made its stack: nothing to delete, nothing to assume.
            session.expunge_all()
            _settle(platform, record_pk, succeeded=True, outputs=[])
            return
        try:
            actor = _actor(platform, session, record, pp)
        except _Refused as refused:
            actor = None
            reason = str(refused)
        # Kept as read: the read transaction's end would expire them.
        session.expunge_all()
    if actor is None:
        _fail(platform, record_pk, "AccessDenied", reason)
        return
    if record.phase == LAUNCH:
        _launch(platform, actor, record, pp, artifact)
    else:
        _follow(platform, actor, record, pp)


def _fail(platform: Any, record_pk: int, code: str, message: str) -> None:
    with platform.db.write() as session:
        record = session.get(Record, record_pk)
        if record is None or record.phase == DONE:
            return
        pp = _pp(session, record)
        if record.record_type == TERMINATE and record.request.get("IgnoreErrors"):
            finish(record, pp, platform.clock.now(), succeeded=True)
            return
        finish(record, pp, platform.clock.now(), succeeded=False, error=(code, message))


def _pp(session: Session, record: Record) -> ProvisionedProduct | None:
    return session.scalars(
        select(ProvisionedProduct).where(ProvisionedProduct.pp_id == record.pp_id)
    ).first()


def _template(artifact: ProvisioningArtifact | None) -> dict[str, str]:
    if artifact is None:
        raise ServiceError(
            "The provisioning artifact no longer exists.", code="ResourceNotFoundException"
        )
    if len(artifact.template_body.encode()) <= MAX_BODY:
        return {"TemplateBody": artifact.template_body}
    return {"TemplateURL": artifact.template_url}


def _launch(
    platform: Any,
    actor: RequestContext,
    record: Record,
    pp: ProvisionedProduct,
    artifact: ProvisioningArtifact | None,
) -> None:
    """The record's one stack call; the record moves on in the call's own transaction."""
    parameters = [
        {"ParameterKey": item["Key"], "ParameterValue": item["Value"]}
        for item in record.request.get("Parameters") or []
    ]
    tags = list(record.request.get("Tags") or [])
    try:
        if record.record_type == PROVISION:
            operation = "CreateStack"
            params: dict[str, Any] = {
                "StackName": stack_name(record.account_id, pp.pp_id),
                **_template(artifact),
                "Parameters": parameters,
                "Capabilities": _CAPABILITIES,
                "ClientRequestToken": record.record_id,
            }
        elif record.record_type == UPDATE:
            operation = "UpdateStack"
            params = {
                "StackName": pp.stack_id,
                **_template(artifact),
                "Parameters": parameters,
                "Capabilities": _CAPABILITIES,
                "ClientRequestToken": record.record_id,
            }
        else:
            operation = "DeleteStack"
            params = {"StackName": pp.stack_id, "ClientRequestToken": record.record_id}
        if tags and operation != "DeleteStack":
            params["Tags"] = tags
    except ServiceError as error:
        _fail(platform, record.id, error.code, error.message)
        return

    def started(session: Session, output: dict[str, Any]) -> None:
        row = session.get(Record, record.id)
        if row is None or row.phase != LAUNCH:
            return
        row.phase = FOLLOW
        row.status = "IN_PROGRESS"
        row.updated_at = platform.clock.now()
        row.next_check_at = platform.clock.now()
        if output.get("StackId"):
            target = _pp(session, row)
            if target is not None:
                target.stack_id = output["StackId"]

    try:
        call(platform, actor, "cloudformation", operation, params, within=started)
    except ServiceError as error:
        if operation == "UpdateStack" and "No updates are to be performed" in error.message:
            _settle(platform, record.id, succeeded=True, outputs=None)
            return
        _fail(platform, record.id, error.code, error.message)


def _follow(platform: Any, actor: RequestContext, record: Record, pp: ProvisionedProduct) -> None:
    """Read the stack; end the record once it settles, otherwise look again later."""
    try:
        out = call(platform, actor, "cloudformation", "DescribeStacks", {"StackName": pp.stack_id})
    except ServiceError as error:
        if record.record_type == TERMINATE and "does not exist" in error.message:
            _settle(platform, record.id, succeeded=True, outputs=[])
            return
        _fail(platform, record.id, error.code, error.message)
        return
    stack = (out.get("Stacks") or [{}])[0]
    status = str(stack.get("StackStatus", ""))
    reason = str(stack.get("StackStatusReason") or status)
    kind = record.record_type
    if kind == TERMINATE:
        if status == "DELETE_COMPLETE":
            _settle(platform, record.id, succeeded=True, outputs=[])
            return
        if status == "DELETE_FAILED":
            _fail(platform, record.id, "DELETE_FAILED", reason)
            return
    elif status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        _settle(platform, record.id, succeeded=True, outputs=stack_outputs(stack))
        return
    elif status in (
        "CREATE_FAILED",
        "ROLLBACK_COMPLETE",
        "ROLLBACK_FAILED",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_FAILED",
        "DELETE_COMPLETE",
        "DELETE_FAILED",
    ):
        _fail(platform, record.id, status, _failure_reason(platform, actor, pp, reason))
        return
    _later(platform, record.id, in_error="ROLLBACK" in status)


def _failure_reason(
    platform: Any, actor: RequestContext, pp: ProvisionedProduct, fallback: str
) -> str:
    """The first failed resource's reason, as the stack's events tell it."""
    try:
        out = call(
            platform, actor, "cloudformation", "DescribeStackEvents", {"StackName": pp.stack_id}
        )
    except ServiceError:
        return fallback
    failed = [
        e
        for e in out.get("StackEvents") or []
        if str(e.get("ResourceStatus", "")).endswith("_FAILED") and e.get("ResourceStatusReason")
    ]
    if not failed:
        return fallback
    first = failed[-1]  # events are newest first
    return f"{first.get('LogicalResourceId')}: {first['ResourceStatusReason']}"


def _settle(
    platform: Any, record_pk: int, *, succeeded: bool, outputs: list[dict[str, str]] | None
) -> None:
    with platform.db.write() as session:
        record = session.get(Record, record_pk)
        if record is None or record.phase == DONE:
            return
        finish(
            record, _pp(session, record), platform.clock.now(), succeeded=succeeded, outputs=outputs
        )


def _later(platform: Any, record_pk: int, *, in_error: bool) -> None:
    with platform.db.write() as session:
        record = session.get(Record, record_pk)
        if record is None or record.phase == DONE:
            return
        if in_error and record.status == "IN_PROGRESS":
            record.status = "IN_PROGRESS_IN_ERROR"
            record.updated_at = platform.clock.now()
        interval = min(record.check_interval * 1.5, _MAX_INTERVAL)
        record.check_interval = interval
        record.next_check_at = platform.clock.now() + timedelta(seconds=interval)
