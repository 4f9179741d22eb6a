"""Calls the console makes: AWS operations through the call path, as the signed-in principal.

The console holds no privilege of its own. Each page's reads and each form's action
are operations run by `airlock.core.calls.call` with a context like the gateway
builds for a signed request, so IAM decides and the audit trail records them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from airlock.core.api import Output, Params
from airlock.core.calls import call, caller_context
from airlock.core.context import Principal, RequestContext
from airlock.core.errors import ServiceError
from airlock.iam.explain import explain_decision
from airlock.identity import IdentityService
from airlock.platform import Platform

from .sessions import Identity

# How IAM words a denial (airlock.iam.policy.evaluate.Decision.message).
_DENIAL = re.compile(r"is not authorized to perform: (\S+) on resource: (\S+)")


class SignedOut(Exception):
    """The session's credentials no longer work (expired, deactivated or deleted)."""


@dataclass(frozen=True)
class Caller:
    """Who a console request acts as, and from where."""

    principal: Principal
    source_ip: str
    user_agent: str


def principal_of_key(platform: Platform, access_key_id: str) -> Principal:
    """The principal behind a session's key, checked as the gateway checks a signed request."""
    with platform.db.read() as session:
        credential = IdentityService(session, platform.clock).resolve_key(access_key_id)
    if credential is None or not credential.active:
        raise SignedOut("The session's credentials are no longer valid.")
    expires = credential.expires_at
    if expires is not None and platform.clock.now() >= expires:
        raise SignedOut("The session's credentials have expired.")
    return credential.principal


def caller_of(platform: Platform, identity: Identity, source_ip: str, user_agent: str) -> Caller:
    """The caller for a request made as `identity`."""
    return Caller(principal_of_key(platform, identity.access_key_id), source_ip, user_agent)


def context_of(platform: Platform, caller: Caller, service: str) -> RequestContext:
    """The request context of one console call, as the gateway makes it for a request."""
    return caller_context(
        platform,
        caller.principal,
        service=service,
        source_ip=caller.source_ip,
        user_agent=caller.user_agent,
    )


def api_call(
    platform: Platform, caller: Caller, service: str, operation: str, params: Params | None = None
) -> Output:
    """Run one operation as the caller; raises the ServiceError an API client would get."""
    ctx = context_of(platform, caller, service)
    return call(platform, ctx, service, operation, params or {})


def is_denial(error: ServiceError) -> bool:
    """Whether IAM refused the call (AccessDenied, AccessDeniedException)."""
    return error.code.startswith("AccessDenied")


def explain_denial(platform: Platform, caller: Caller, error: ServiceError) -> list[str]:
    """The denial as `airlock explain` states it: the decision and the statements behind it."""
    found = _DENIAL.search(error.message)
    if found is None:
        return []
    action, resource = found.group(1), found.group(2)
    with platform.db.read() as session:
        return explain_decision(
            session,
            platform.clock,
            caller.principal,
            action,
            resource,
            region=platform.settings.region,
        )


def describe_failure(platform: Platform, caller: Caller, error: ServiceError) -> dict[str, Any]:
    """What a page shows for a failed call: the error and, for a denial, why."""
    denied = is_denial(error)
    return {
        "kind": "denied" if denied else "error",
        "text": f"{error.code}: {error.message}",
        "explanation": explain_denial(platform, caller, error) if denied else [],
    }
