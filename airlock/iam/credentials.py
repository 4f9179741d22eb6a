"""Service-specific credentials: a user name and password for one service (Git over HTTPS).

IAM generates both. The user name is `<user>-at-<account id>` (`<user>+<n>-at-…`
for a user's further credentials of the same service); the password is shown
once, when it is made, and kept only as a salted scrypt hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from airlock.core.context import Principal
from airlock.platform import Platform, ids
from airlock.platform.clock import Clock

from .errors import LimitExceeded, NoSuchEntity
from .models import IamServiceCredential, IamUser
from .service import IamService

CODECOMMIT = "codecommit.amazonaws.com"
# The services AWS issues user-name-and-password credentials for (Keyspaces is the other).
SUPPORTED_SERVICES = (CODECOMMIT, "cassandra.amazonaws.com")
MAX_PER_USER_AND_SERVICE = 2

# scrypt's cost: about 16 MiB and a few tens of milliseconds per check.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
# Checked when a user name has no credential, so that an unknown name costs what a known one does.
DECOY_HASH = "$".join(["scrypt", "16384", "8", "1", "A" * 22 + "==", "A" * 43 + "="])


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password`, with its parameters: `scrypt$n$r$p$salt$hash`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return "$".join(["scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), *encoded])


def password_matches(password: str, stored: str) -> bool:
    """Whether `password` hashes to `stored` (compared in constant time)."""
    scheme, n, r, p, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(
        password.encode(),
        salt=base64.b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(expected),
    )
    return hmac.compare_digest(actual, expected)


def new_password() -> str:
    """A generated password: 32 random bytes in base64 (44 characters), as AWS's look."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def check_service(service_name: str) -> str:
    """The service name, or NoSuchEntity when it takes no service-specific credentials."""
    if service_name not in SUPPORTED_SERVICES:
        raise NoSuchEntity(
            f"No such service {service_name} is supported for Service Specific Credentials"
        )
    return service_name


class ServiceCredentials:
    """Users' service-specific credentials, bound to one transaction."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def create(self, user: IamUser, service_name: str) -> tuple[IamServiceCredential, str]:
        """A new active credential for a user and its password (returned only here)."""
        check_service(service_name)
        existing = self.of_user(user, service_name)
        if len(existing) >= MAX_PER_USER_AND_SERVICE:
            raise LimitExceeded(
                f"Cannot exceed quota for ServiceSpecificCredentialsPerUser: "
                f"{MAX_PER_USER_AND_SERVICE}"
            )
        password = new_password()
        credential = IamServiceCredential(
            id=ids.unique_id("ACCA"),
            account_id=user.account_id,
            user_id=user.id,
            service_name=service_name,
            service_user_name=self._free_user_name(user, existing),
            password_hash=hash_password(password),
            status="Active",
            created_at=self.clock.now(),
        )
        self.session.add(credential)
        self.session.flush()
        return credential, password

    def of_user(self, user: IamUser, service_name: str | None) -> Sequence[IamServiceCredential]:
        """A user's credentials, oldest first, for one service or all."""
        query = select(IamServiceCredential).where(IamServiceCredential.user_id == user.id)
        if service_name:
            query = query.where(IamServiceCredential.service_name == check_service(service_name))
        return self.session.scalars(
            query.order_by(IamServiceCredential.created_at, IamServiceCredential.id)
        ).all()

    def of_account(
        self, account_id: str, service_name: str | None
    ) -> Sequence[tuple[IamServiceCredential, IamUser]]:
        """Every user's credentials in an account, by user name then age."""
        query = (
            select(IamServiceCredential, IamUser)
            .join(IamUser, IamUser.id == IamServiceCredential.user_id)
            .where(IamServiceCredential.account_id == account_id)
        )
        if service_name:
            query = query.where(IamServiceCredential.service_name == check_service(service_name))
        rows = self.session.execute(
            query.order_by(IamUser.name, IamServiceCredential.created_at, IamServiceCredential.id)
        )
        return [(row[0], row[1]) for row in rows]

    def find(self, user: IamUser, credential_id: str) -> IamServiceCredential:
        """One of a user's credentials by id, or NoSuchEntity."""
        credential = self.session.get(IamServiceCredential, credential_id)
        if credential is None or credential.user_id != user.id:
            raise NoSuchEntity(f"No such credential {credential_id} exists")
        return credential

    def reset(self, credential: IamServiceCredential) -> str:
        """A new password for a credential; the old one stops working at once."""
        password = new_password()
        credential.password_hash = hash_password(password)
        self.session.flush()
        return password

    def delete(self, credential: IamServiceCredential) -> None:
        """Delete a credential."""
        self.session.delete(credential)
        self.session.flush()

    def authenticate(self, service_name: str, user_name: str, password: str) -> Principal | None:
        """The user an active credential of `service_name` belongs to, if the password is its."""
        rows = self.session.execute(
            select(IamServiceCredential, IamUser)
            .join(IamUser, IamUser.id == IamServiceCredential.user_id)
            .where(
                IamServiceCredential.service_name == service_name,
                IamServiceCredential.service_user_name == user_name,
                IamServiceCredential.status == "Active",
            )
            .order_by(IamServiceCredential.created_at)
        )
        candidates = [(row[0], row[1]) for row in rows]
        if not candidates:
            password_matches(password, DECOY_HASH)
            return None
        for credential, user in candidates:
            if password_matches(password, credential.password_hash):
                return IamService(self.session, self.clock).user_principal(user)
        return None

    def _free_user_name(self, user: IamUser, existing: Sequence[IamServiceCredential]) -> str:
        taken = {credential.service_user_name for credential in existing}
        suffix = f"-at-{user.account_id}"
        slot = 0
        while True:
            name = user.name + (f"+{slot}" if slot else "") + suffix
            if name not in taken:
                return name
            slot += 1


def authenticate_git_password(platform: Platform, username: str, password: str) -> Principal | None:
    """The IAM user whose active CodeCommit Git credential `username`/`password` is, or None."""
    with platform.db.read() as session:
        return ServiceCredentials(session, platform.clock).authenticate(
            CODECOMMIT, username, password
        )
