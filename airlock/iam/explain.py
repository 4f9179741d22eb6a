"""The IAM decision for a principal, an action and a resource, with the statements behind it.

`airlock explain` prints it for a profile; the console shows it beside a denied call.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from airlock.core.api import Resource
from airlock.core.context import Principal, RequestContext
from airlock.platform.clock import Clock

from .authorizer import Authorizer


def explain_decision(
    session: Session,
    clock: Clock,
    principal: Principal,
    action: str,
    resource: str,
    *,
    region: str,
    context: dict[str, list[str]] | None = None,
    at: datetime | None = None,
) -> list[str]:
    """Lines describing the decision and each statement that made it (or that none did)."""
    parts = resource.split(":")
    owner = parts[4] if len(parts) >= 6 and parts[4] else None
    ctx = RequestContext(
        "explain",
        principal.account_id,
        region,
        principal,
        "127.0.0.1",
        at or clock.now(),
        action.split(":", 1)[0],
    )
    request, decision = Authorizer(session, clock).decide(
        ctx, action, Resource(resource, owner, context=context or {})
    )
    lines = [
        f"principal: {principal.arn}",
        f"action:    {action}",
        f"resource:  {resource}",
        f"decision:  {decision.decision}",
    ]
    if not decision.allowed:
        lines.append(f"message:   {decision.message(request)}")
    for match in decision.matched:
        lines.append(f"- {match.statement.effect} in a {match.policy_type}:")
        lines.append("  " + json.dumps(match.statement.describe()))
    return lines
