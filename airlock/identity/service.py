"""Accounts and credentials: create accounts, issue keys, resolve a key to its principal."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from airlock.core.context import Principal, PrincipalType, root_principal
from airlock.platform import ids
from airlock.platform.clock import Clock

from .models import AccessKey, Account

ACCOUNTS_CHANGED = "airlock.accounts_changed"


@dataclass(frozen=True)
class Credential:
    """A resolved access key: the secret to verify a signature with and whose it is."""

    access_key_id: str
    secret_access_key: str
    principal: Principal
    active: bool
    session_token_sha256: str | None
    expires_at: datetime | None

    def session_token_matches(self, token: str | None) -> bool:
        """Whether `token` is this key's session token (always False for a missing one)."""
        if self.session_token_sha256 is None:
            return token is None or token == ""
        if not token:
            return False
        digest = hashlib.sha256(token.encode()).hexdigest()
        return hmac.compare_digest(digest, self.session_token_sha256)


class IdentityService:
    """Accounts and their credentials, bound to one transaction."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def create_account(self, name: str, email: str, account_id: str | None = None) -> Account:
        """Create an account with root access keys; its id is random unless given."""
        new_id = account_id or self._free_account_id()
        account = Account(
            id=new_id, name=name, email=email, status="ACTIVE", created_at=self.clock.now()
        )
        self.session.add(account)
        self.session.flush()
        self.create_root_key(new_id)
        # Tell whoever keeps derived files (profiles) to refresh after commit.
        self.session.info[ACCOUNTS_CHANGED] = True
        return account

    def create_root_key(self, account_id: str) -> AccessKey:
        """Issue a long-term access key for the account's root user."""
        return self.create_key(root_principal(account_id))

    def create_key(self, principal: Principal, *, prefix: str = "AKIA", **extra: Any) -> AccessKey:
        """Issue an access key for a principal (long-term unless `extra` makes it a session)."""
        key = AccessKey(
            access_key_id=ids.access_key_id(prefix),
            secret_access_key=ids.secret_access_key(),
            account_id=principal.account_id,
            principal_arn=principal.arn,
            principal_type=principal.type.value,
            principal_user_id=principal.user_id,
            status="Active",
            created_at=self.clock.now(),
            **extra,
        )
        self.session.add(key)
        self.session.flush()
        return key

    def create_session_key(
        self, principal: Principal, expires_at: datetime, session_policies: list[str]
    ) -> tuple[AccessKey, str]:
        """Temporary credentials (ASIA…) and their session token, stored only as a digest."""
        token = "IQoJ" + secrets.token_urlsafe(264)
        context = {
            "tags": dict(principal.session_tags),
            "transitive": list(principal.transitive_tag_keys),
            "source_identity": principal.source_identity,
        }
        key = self.create_key(
            principal,
            prefix="ASIA",
            session_token_sha256=hashlib.sha256(token.encode()).hexdigest(),
            expires_at=expires_at,
            source_arn=principal.source_arn,
            session_policies=json.dumps(session_policies) if session_policies else None,
            session_context=json.dumps(context),
        )
        return key, token

    def keys_of(self, principal_arn: str) -> Sequence[AccessKey]:
        """The access keys issued to a principal, oldest first."""
        return self.session.scalars(
            select(AccessKey)
            .where(AccessKey.principal_arn == principal_arn)
            .order_by(AccessKey.created_at, AccessKey.access_key_id)
        ).all()

    def key(self, access_key_id: str) -> AccessKey | None:
        """An access key by id."""
        return self.session.get(AccessKey, access_key_id)

    def get_account(self, account_id: str) -> Account | None:
        """The account with this id, if any."""
        return self.session.get(Account, account_id)

    def account_by_email(self, email: str) -> Account | None:
        """The account registered with this email address (case-insensitive), if any."""
        return self.session.scalars(
            select(Account).where(func.lower(Account.email) == email.lower())
        ).first()

    def list_accounts(self) -> Sequence[Account]:
        """Every account, oldest first."""
        return self.session.scalars(select(Account).order_by(Account.created_at, Account.id)).all()

    def root_key(self, account_id: str) -> AccessKey | None:
        """The account's oldest active root access key."""
        return self.session.scalars(
            select(AccessKey)
            .where(
                AccessKey.account_id == account_id,
                AccessKey.principal_type == PrincipalType.ROOT.value,
                AccessKey.status == "Active",
            )
            .order_by(AccessKey.created_at)
        ).first()

    def resolve_key(self, access_key_id: str) -> Credential | None:
        """The credential behind an access key id, or None if there is no such key."""
        key = self.session.get(AccessKey, access_key_id)
        if key is None:
            return None
        session = json.loads(key.session_context or "{}")
        principal = Principal(
            account_id=key.account_id,
            arn=key.principal_arn,
            type=PrincipalType(key.principal_type),
            user_id=key.principal_user_id,
            access_key_id=key.access_key_id,
            source_arn=key.source_arn,
            session_policies=tuple(json.loads(key.session_policies or "[]")),
            session_tags=tuple(sorted(session.get("tags", {}).items())),
            transitive_tag_keys=tuple(session.get("transitive", [])),
            source_identity=session.get("source_identity"),
        )
        return Credential(
            access_key_id=key.access_key_id,
            secret_access_key=key.secret_access_key,
            principal=principal,
            active=key.status == "Active",
            session_token_sha256=key.session_token_sha256,
            expires_at=key.expires_at,
        )

    def _free_account_id(self) -> str:
        while True:
            candidate = ids.account_id()
            if self.session.get(Account, candidate) is None:
                return candidate
