"""Identifiers in AWS's formats."""

from __future__ import annotations

import secrets
import string
import uuid

_LOWER_ALNUM = string.ascii_lowercase + string.digits
_UPPER_ALNUM = string.ascii_uppercase + string.digits
# AWS access key ids use base32-like upper-case letters and digits 2-7.
_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def random_string(alphabet: str, length: int) -> str:
    """`length` characters drawn from `alphabet` with a CSPRNG."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def request_id() -> str:
    """A request id as AWS formats them (a UUID)."""
    return str(uuid.uuid4())


def account_id() -> str:
    """A 12-digit account id that does not start with 0."""
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def access_key_id(prefix: str = "AKIA") -> str:
    """An access key id: `AKIA` for long-term keys, `ASIA` for temporary ones."""
    return prefix + random_string(_KEY_ALPHABET, 16)


def secret_access_key() -> str:
    """A 40-character secret access key."""
    return random_string(_SECRET_ALPHABET, 40)


def unique_id(prefix: str) -> str:
    """IAM-style unique ids (`AIDA…`, `AROA…`): prefix + 17 upper-case alphanumerics."""
    return prefix + random_string(_UPPER_ALNUM, 17)


def lower_id(length: int) -> str:
    """Lower-case alphanumerics, as in `o-…`, `r-…` and `ou-…` ids."""
    return random_string(_LOWER_ALNUM, length)
