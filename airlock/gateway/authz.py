"""The authorization point: one decision before every operation body."""

from __future__ import annotations

from collections.abc import Sequence

from airlock.core.api import Resource
from airlock.core.context import Principal
from airlock.core.errors import ServiceError

from .routing import Family


class AccessDenied(ServiceError):
    """The caller may not perform the action on the resource."""

    sender_fault = True


def access_denied(principal: Principal, action: str, resource: str, family: Family) -> AccessDenied:
    """The AccessDenied error, worded as AWS words it for the protocol family."""
    message = (
        f"User: {principal.arn} is not authorized to perform: {action} on resource: {resource}"
    )
    if family == "json":
        return AccessDenied(message, code="AccessDeniedException", http_status=400)
    return AccessDenied(message, code="AccessDenied", http_status=403)


def authorize(
    principal: Principal, action: str, resources: Sequence[Resource], family: Family
) -> None:
    """Allow or raise AccessDenied.

    The decision for now: an account's root user may do anything inside its own
    account; everything else is denied. IAM policy evaluation replaces this
    function's body, not its callers.
    """
    for resource in resources:
        owner = resource.account_id or principal.account_id
        if not principal.is_root or owner != principal.account_id:
            raise access_denied(principal, action, resource.arn, family)
