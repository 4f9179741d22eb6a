"""The caller a project's Service Catalog calls are made as, kept in the project's row."""

from __future__ import annotations

import dataclasses
from typing import Any

from airlock.core.context import Principal, PrincipalType


def principal_record(principal: Principal) -> dict[str, Any]:
    """A principal as a JSON column keeps it."""
    record = dataclasses.asdict(principal)
    record["type"] = principal.type.value
    return record


def principal_of(record: dict[str, Any]) -> Principal:
    """The principal a JSON column holds."""
    values = dict(record)
    values["type"] = PrincipalType(values["type"])
    for name in ("session_policies", "transitive_tag_keys"):
        values[name] = tuple(values.get(name) or ())
    values["session_tags"] = tuple(tuple(pair) for pair in values.get("session_tags") or ())
    return Principal(**values)


def user_context(principal: Principal) -> dict[str, Any]:
    """`UserContext` (CreatedBy, LastModifiedBy): the caller's IAM identity."""
    identity: dict[str, Any] = {"Arn": principal.arn, "PrincipalId": principal.user_id}
    if principal.source_identity:
        identity["SourceIdentity"] = principal.source_identity
    return {"IamIdentity": identity}
