"""Signing in: with an IAM user's password or with access keys, each attempt audited.

Either way the session then holds temporary credentials of its own for the
principal (as AWS's sign-in service issues them): the console never keeps a
long-term secret, and every call it makes is the principal's.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from airlock.audit import record
from airlock.core.context import Principal, PrincipalType, RequestContext
from airlock.core.errors import ClientFault
from airlock.identity import IdentityService
from airlock.platform import Platform

from .acting import Caller, context_of
from .sessions import LIFETIME, Identity

SIGNIN_SOURCE = "signin.amazonaws.com"
FAILED = "Failed authentication"


class SignInFailed(Exception):
    """The credentials were wrong (the message says no more than AWS's console does)."""


@dataclass(frozen=True)
class SignedIn:
    """The identity a new session acts as, and when its credentials end."""

    identity: Identity
    expires_at: datetime | None
    must_change_password: bool = False


def label_of(principal: Principal) -> str:
    """How the header names a principal: `alice`, `root`, `role/session`."""
    if principal.type is PrincipalType.ROOT:
        return "root"
    if principal.type is PrincipalType.ASSUMED_ROLE:
        _, role, session = principal.arn.split("/", 2)
        return f"{role}/{session}"
    return principal.arn.rsplit("/", 1)[-1]


def key_principal(platform: Platform, access_key_id: str, secret: str) -> Principal:
    """The principal whose long-term key this is, if the secret is its secret."""
    with platform.db.read() as session:
        credential = IdentityService(session, platform.clock).resolve_key(access_key_id)
    if credential is None:
        hmac.compare_digest(secret, secret)  # as long as a known key's comparison takes
        raise SignInFailed(FAILED)
    matches = hmac.compare_digest(secret.encode(), credential.secret_access_key.encode())
    usable = credential.active and credential.session_token_sha256 is None
    if not (matches and usable):
        raise SignInFailed(FAILED)
    return credential.principal


def record_sign_in(platform: Platform, caller: Caller, error: str | None) -> None:
    """The `ConsoleLogin` event in the trail of the account signed in to."""
    with platform.db.write() as session:
        _record(session, context_of(platform, caller, "signin"), error)


def _record(session: Session, ctx: RequestContext, error: str | None) -> None:
    record(
        session,
        ctx,
        event_source=SIGNIN_SOURCE,
        operation="ConsoleLogin",
        read_only=False,
        params=None,
        output={"ConsoleLogin": "Failure" if error else "Success"},
        error=ClientFault(error, code="ConsoleLoginFailure") if error else None,
        resources=[],
    )


def unknown_principal(platform: Platform, account_id: str | None, user: str) -> Principal:
    """Whom a failed attempt names, where no principal could be found for it."""
    with platform.db.read() as session:
        identity = IdentityService(session, platform.clock)
        account = identity.get_account(account_id) if account_id else None
        home = account.id if account is not None else identity.list_accounts()[0].id
    return Principal(
        account_id=home,
        arn=f"arn:aws:iam::{home}:user/{user}",
        type=PrincipalType.USER,
        user_id="",
    )


def sign_in(platform: Platform, caller: Caller, *, must_change_password: bool = False) -> SignedIn:
    """Console credentials for a verified principal, issued with its `ConsoleLogin` event.

    As AWS's sign-in service does, the console session gets temporary credentials of
    its own with the principal's permissions (IAM needs no permission for that).
    """
    principal = caller.principal
    expires = platform.clock.now() + LIFETIME
    with platform.db.write() as session:
        key, _token = IdentityService(session, platform.clock).create_session_key(
            principal, expires, []
        )
        key_id = key.access_key_id
        _record(session, context_of(platform, caller, "signin"), None)
    identity = Identity(key_id, principal.arn, principal.account_id, label_of(principal))
    return SignedIn(identity, expires, must_change_password)
