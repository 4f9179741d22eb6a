"""`airlock explain`: the IAM decision for a profile, an action and a resource, with reasons."""

from __future__ import annotations

import configparser
import json
from datetime import UTC, datetime

from airlock.core.api import Resource
from airlock.core.context import RequestContext
from airlock.gateway import Airlock
from airlock.iam.authorizer import Authorizer
from airlock.identity import IdentityService
from airlock.identity.profiles import aws_dir


class ExplainError(Exception):
    """The question cannot be asked (unknown profile or key)."""


def explain(
    airlock: Airlock, profile: str, action: str, resource: str, context: dict[str, list[str]]
) -> list[str]:
    """Lines describing the decision and the statements that made it."""
    credentials = configparser.ConfigParser()
    credentials.read(aws_dir(airlock.settings) / "credentials")
    if profile not in credentials:
        raise ExplainError(f"No profile {profile!r} in {aws_dir(airlock.settings) / 'credentials'}")
    key_id = credentials[profile]["aws_access_key_id"]
    platform = airlock.platform
    with platform.db.read() as session:
        credential = IdentityService(session, platform.clock).resolve_key(key_id)
        if credential is None:
            raise ExplainError(f"The access key of profile {profile!r} is unknown to Airlock.")
        principal = credential.principal
        owner = (
            resource.split(":")[4] if resource.count(":") >= 5 and resource.split(":")[4] else None
        )
        ctx = RequestContext(
            "explain",
            principal.account_id,
            airlock.settings.region,
            principal,
            "127.0.0.1",
            datetime.now(UTC),
            action.split(":", 1)[0],
        )
        request, decision = Authorizer(session, platform.clock).decide(
            ctx, action, Resource(resource, owner, context=context)
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
