"""`airlock explain`: the IAM decision for a profile, an action and a resource, with reasons."""

from __future__ import annotations

import configparser
from datetime import UTC, datetime

from airlock.gateway import Airlock
from airlock.iam.explain import explain_decision
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
        return explain_decision(
            session,
            platform.clock,
            credential.principal,
            action,
            resource,
            region=airlock.settings.region,
            context=context,
            at=datetime.now(UTC),
        )
