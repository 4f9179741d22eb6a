"""The caller a project's Service Catalog calls are made as, kept in the project's row."""

from __future__ import annotations

from typing import Any

from airlock.core.context import Principal


def user_context(principal: Principal) -> dict[str, Any]:
    """`UserContext` (CreatedBy, LastModifiedBy): the caller's IAM identity."""
    identity: dict[str, Any] = {"Arn": principal.arn, "PrincipalId": principal.user_id}
    if principal.source_identity:
        identity["SourceIdentity"] = principal.source_identity
    return {"IamIdentity": identity}
