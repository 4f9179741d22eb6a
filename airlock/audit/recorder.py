"""Turns a call into CloudTrail events (one per account involved) and stores them."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import Resource
from airlock.core.context import PrincipalType, RequestContext
from airlock.core.errors import ServiceError
from airlock.identity import Account

from .models import AuditEvent

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
_SECRET = re.compile(r"secret|password|token|privatekey", re.IGNORECASE)
_IDENTITY_TYPES = {
    PrincipalType.ROOT: "Root",
    PrincipalType.USER: "IAMUser",
    PrincipalType.ASSUMED_ROLE: "AssumedRole",
    PrincipalType.SERVICE: "AWSService",
}


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def redact(value: Any) -> Any:
    """Request or response data with secrets hidden and keys in CloudTrail's camelCase."""
    if isinstance(value, dict):
        return {_camel(k): HIDDEN if _SECRET.search(k) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, bytes):
        return HIDDEN
    if isinstance(value, datetime):
        return _stamp(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return HIDDEN  # streamed bodies and other non-JSON values are not recorded


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_identity(ctx: RequestContext) -> dict[str, Any]:
    """The `userIdentity` block."""
    principal = ctx.principal
    identity: dict[str, Any] = {
        "type": _IDENTITY_TYPES[principal.type],
        "principalId": principal.user_id,
        "arn": principal.arn,
        "accountId": principal.account_id,
    }
    if principal.access_key_id:
        identity["accessKeyId"] = principal.access_key_id
    if ctx.called_via:  # a service made the call as this principal
        identity["invokedBy"] = ctx.called_via[-1]
    if principal.type is PrincipalType.USER:
        identity["userName"] = principal.arn.rsplit("/", 1)[-1]
    if principal.type is PrincipalType.ASSUMED_ROLE and principal.source_arn:
        identity["sessionContext"] = {
            "sessionIssuer": {
                "type": "Role",
                "principalId": principal.user_id.split(":", 1)[0],
                "arn": principal.source_arn,
                "accountId": principal.account_id,
                "userName": principal.source_arn.rsplit("/", 1)[-1],
            },
            "attributes": {"creationDate": _stamp(ctx.time), "mfaAuthenticated": "false"},
        }
    return identity


def _username(ctx: RequestContext) -> str:
    principal = ctx.principal
    if principal.type is PrincipalType.ROOT:
        return "root"
    return principal.arn.rsplit("/", 1)[-1]


def record(
    session: Session,
    ctx: RequestContext,
    *,
    event_source: str,
    operation: str,
    read_only: bool,
    params: dict[str, Any] | None,
    output: dict[str, Any] | None,
    error: ServiceError | None,
    resources: Sequence[Resource],
) -> list[str]:
    """Store the events of one call; returns their ids."""
    accounts = _recipients(session, ctx, resources)
    shared = str(uuid.uuid4()) if len(accounts) > 1 else None
    named = [r for r in resources if r.arn and r.arn != "*"]
    ids: list[str] = []
    for account in accounts:
        event_id = str(uuid.uuid4())
        event: dict[str, Any] = {
            "eventVersion": "1.08",
            "userIdentity": user_identity(ctx),
            "eventTime": _stamp(ctx.time),
            "eventSource": event_source,
            "eventName": operation,
            "awsRegion": ctx.region,
            "sourceIPAddress": ctx.source_ip,
            "userAgent": ctx.user_agent,
            "requestParameters": redact(params) if params else None,
            "responseElements": redact(output) if output and not read_only else None,
            "requestID": ctx.request_id,
            "eventID": event_id,
            "readOnly": read_only,
            "resources": [
                {"ARN": r.arn, "accountId": r.account_id or ctx.account_id} for r in named
            ],
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account,
            "eventCategory": "Management",
        }
        if shared:
            event["sharedEventID"] = shared
        if error is not None:
            event["errorCode"] = error.code
            event["errorMessage"] = error.message
        session.add(
            AuditEvent(
                event_id=event_id,
                account_id=account,
                event_time=ctx.time,
                event_source=event_source,
                event_name=operation,
                read_only=read_only,
                username=_username(ctx),
                access_key_id=ctx.principal.access_key_id,
                resource_names="\n".join(r.arn for r in named),
                resource_types="\n".join(_resource_type(r.arn) for r in named),
                document=json.dumps(event),
            )
        )
        ids.append(event_id)
    session.flush()
    return ids


def _recipients(session: Session, ctx: RequestContext, resources: Sequence[Resource]) -> list[str]:
    """The caller's account, then each other account owning a resource the call names.

    An ARN may name an account that does not exist (a typo, or a probe): it has no
    trail to receive the event, so it gets none, and the caller's event is still written.
    """
    accounts = [ctx.account_id]
    for resource in resources:
        owner = resource.account_id
        if owner and owner not in accounts and session.get(Account, owner) is not None:
            accounts.append(owner)
    return accounts


def _resource_type(arn: str) -> str:
    """CloudTrail's resource type (`AWS::IAM::Role`) from an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return ""
    service = {"iam": "IAM", "sts": "STS", "s3": "S3", "organizations": "Organizations"}.get(
        parts[2], parts[2].capitalize()
    )
    kind = parts[5].split("/", 1)[0].split(":", 1)[0]
    return f"AWS::{service}::{kind[:1].upper() + kind[1:]}"
