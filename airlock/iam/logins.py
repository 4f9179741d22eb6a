"""Login profiles: an IAM user's console password, and the check the console signs in with.

A password is kept only as a salted scrypt hash (the same scheme as
service-specific credentials). New passwords follow AWS's default password
policy, which applies while an account has set no policy of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from airlock.core.context import Principal
from airlock.identity import IdentityService
from airlock.platform import Platform
from airlock.platform.clock import Clock

from .credentials import DECOY_HASH, hash_password, password_matches
from .errors import EntityAlreadyExists, NoSuchEntity, PasswordPolicyViolation
from .models import IamLoginProfile, IamUser
from .service import IamService

MIN_LENGTH, MAX_LENGTH = 8, 128
# The symbols AWS's password policies count as non-alphanumeric characters.
SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")


def _character_types(password: str) -> int:
    kinds = (
        any("A" <= c <= "Z" for c in password),
        any("a" <= c <= "z" for c in password),
        any("0" <= c <= "9" for c in password),
        any(c in SYMBOLS for c in password),
    )
    return sum(kinds)


def check_password_policy(password: str, *, forbidden: tuple[str, ...] = ()) -> None:
    """PasswordPolicyViolation unless `password` meets AWS's default password policy.

    8 to 128 characters, at least three of uppercase, lowercase, digits and
    symbols, and not the account's name or email address.
    """
    if (
        not MIN_LENGTH <= len(password) <= MAX_LENGTH
        or _character_types(password) < 3
        or password.lower() in {f.lower() for f in forbidden}
    ):
        raise PasswordPolicyViolation(
            "Password does not conform to the account password policy. A password needs "
            f"{MIN_LENGTH} to {MAX_LENGTH} characters with at least three of: uppercase "
            "letters, lowercase letters, numbers and the symbols ! @ # $ % ^ & * ( ) _ + - = "
            "[ ] { } | ', and must not be the account's name or email address."
        )


@dataclass(frozen=True)
class ConsoleSignIn:
    """A user whose console password was right, and whether it must be changed now."""

    principal: Principal
    password_reset_required: bool


class LoginProfiles:
    """Users' login profiles, bound to one transaction."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def create(self, user: IamUser, password: str, reset_required: bool) -> IamLoginProfile:
        """A user's login profile; EntityAlreadyExists if it has one."""
        if self.session.get(IamLoginProfile, user.id) is not None:
            raise EntityAlreadyExists(f"Login Profile for user {user.name} already exists.")
        self._check(user, password)
        profile = IamLoginProfile(
            user_id=user.id,
            account_id=user.account_id,
            user_name=user.name,
            password_hash=hash_password(password),
            password_reset_required=reset_required,
            created_at=self.clock.now(),
        )
        self.session.add(profile)
        self.session.flush()
        return profile

    def of(self, user: IamUser) -> IamLoginProfile:
        """A user's login profile, or NoSuchEntity."""
        profile = self.session.get(IamLoginProfile, user.id)
        if profile is None:
            raise NoSuchEntity(f"Login Profile for User {user.name} cannot be found.")
        return profile

    def exists(self, user: IamUser) -> bool:
        """Whether a user has a login profile."""
        return self.session.get(IamLoginProfile, user.id) is not None

    def password_is(self, profile: IamLoginProfile, password: str) -> bool:
        """Whether `password` is the profile's password."""
        return password_matches(password, profile.password_hash)

    def set_password(self, profile: IamLoginProfile, user: IamUser, password: str) -> None:
        """Replace a profile's password (checked against the password policy)."""
        self._check(user, password)
        profile.password_hash = hash_password(password)
        self.session.flush()

    def delete(self, profile: IamLoginProfile) -> None:
        """Delete a login profile: the user can no longer sign in to the console."""
        self.session.delete(profile)
        self.session.flush()

    def sign_in(self, account_id: str, user_name: str, password: str) -> ConsoleSignIn | None:
        """The user whose console password `password` is, or None.

        A user without a profile costs one scrypt too, so the time taken does
        not tell which user names exist.
        """
        row = self.session.execute(
            select(IamLoginProfile, IamUser)
            .join(IamUser, IamUser.id == IamLoginProfile.user_id)
            .where(
                IamLoginProfile.account_id == account_id,
                func.lower(IamUser.name) == user_name.lower(),
            )
        ).first()
        if row is None:
            password_matches(password, DECOY_HASH)
            return None
        profile, user = row[0], row[1]
        if not self.password_is(profile, password):
            return None
        principal = IamService(self.session, self.clock).user_principal(user)
        return ConsoleSignIn(principal, profile.password_reset_required)

    def _check(self, user: IamUser, password: str) -> None:
        account = IdentityService(self.session, self.clock).get_account(user.account_id)
        forbidden = (account.name, account.email) if account is not None else ()
        check_password_policy(password, forbidden=forbidden)


def verify_password(
    platform: Platform, account_id: str, user_name: str, password: str
) -> ConsoleSignIn | None:
    """The IAM user of `account_id` named `user_name` if `password` is its console password."""
    with platform.db.read() as session:
        return LoginProfiles(session, platform.clock).sign_in(account_id, user_name, password)
