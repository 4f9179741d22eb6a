"""The enforcement point: allow, or raise AccessDenied as AWS words it.

The gateway calls it before every operation body; services call it when an
operation touches a second resource (CopyObject's source) or acts for a principal
(a training job reading its data with its role).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from airlock.auth.errors import Family
from airlock.core.api import Resource
from airlock.core.context import RequestContext
from airlock.core.errors import ServiceError
from airlock.iam.authorizer import Authorizer
from airlock.platform.clock import Clock


class AccessDenied(ServiceError):
    """The caller may not perform the action on the resource."""

    sender_fault = True


def access_denied(message: str, family: Family) -> AccessDenied:
    """The AccessDenied error, coded as the protocol family codes it."""
    if family == "json":
        return AccessDenied(message, code="AccessDeniedException", http_status=400)
    return AccessDenied(message, code="AccessDenied", http_status=403)


def authorize(
    session: Session,
    clock: Clock,
    ctx: RequestContext,
    action: str,
    resources: Sequence[Resource],
    family: Family,
    keys: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Allow, or raise AccessDenied worded as AWS words it, for every resource of the call."""
    authorizer = Authorizer(session, clock)
    for resource in resources:
        request, decision = authorizer.decide(ctx, action, resource, keys)
        if not decision.allowed:
            raise access_denied(decision.message(request), family)
