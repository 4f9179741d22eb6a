"""Git passwords made by the aws CLI's credential helper, checked on the server side.

`aws codecommit credential-helper get` answers git with the access key id as the
user name (followed by `%` and the session token for temporary credentials) and
`<YYYYMMDDTHHMMSS>Z<signature>` as the password. The signature is SigV4 over a
canonical request of its own:

    GIT\\n<path>\\n\\nhost:<hostname>\\n\\nhost\\n

with the URL's path (`/v1/repos/<name>`), the host without its port, no query and
an empty payload hash; the credential scope names the service `codecommit` and
the region of a `git-codecommit.<region>.amazonaws.com` host, or else the region
the CLI is configured with (`--region`, `AWS_REGION`, the profile). Its string to
sign carries the timestamp without the `Z` that the password adds.

Pure: the caller hands over the request's host and repository path, the region
it serves, a lookup of access keys and the time.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from airlock.core.context import Principal

from .errors import AuthError, AuthFailure
from .sigv4 import check_skew, scoped_string_to_sign, sign, signing_key

SERVICE = "codecommit"
METHOD = "GIT"
_PASSWORD = re.compile(r"(\d{8}T\d{6})Z([0-9a-f]{64})")
# The helper's own pattern for CodeCommit hosts (also VPC endpoints and FIPS).
_CODECOMMIT_HOST = re.compile(
    r"(vpce-.+\.)?git-codecommit(-fips)?\.([^.]+)\.(vpce\.)?amazonaws\.com"
)
_STAMP = "%Y%m%dT%H%M%S"


class SigningCredential(Protocol):
    """What a lookup returns for an access key id (`airlock.identity.Credential` is one)."""

    @property
    def secret_access_key(self) -> str:
        """The secret the signature was made with."""
        ...

    @property
    def principal(self) -> Principal:
        """Whose key it is."""
        ...

    @property
    def active(self) -> bool:
        """False for a deactivated key."""
        ...

    @property
    def expires_at(self) -> datetime | None:
        """When temporary credentials stop working (None for long-term keys)."""
        ...

    def session_token_matches(self, token: str | None) -> bool:
        """Whether `token` is the key's session token (None or empty for long-term keys)."""
        ...


CredentialLookup = Callable[[str], SigningCredential | None]


@dataclass(frozen=True)
class GitSigner:
    """An accepted git password: who signed it, in which region, when."""

    access_key_id: str
    principal: Principal
    region: str
    signed_at: datetime


@dataclass(frozen=True)
class GitRefusal:
    """A refused git password and why (for the git error and the audit trail)."""

    failure: AuthFailure
    reason: str


def split_username(username: str) -> tuple[str, str | None]:
    """The access key id and the session token (None without one) of a git user name."""
    key_id, percent, token = username.partition("%")
    return key_id, (token if percent else None)


def signing_region(host: str, region: str) -> str:
    """The region the helper signs for: a CodeCommit host's own, else the configured one."""
    match = _CODECOMMIT_HOST.match(host)
    return match.group(3) if match else region


def canonical_git_request(path: str, host: str) -> str:
    """The helper's canonical request for a repository `path` on `host` (port dropped)."""
    hostname = host.split(":")[0]
    return f"{METHOD}\n{path}\n\nhost:{hostname}\n\nhost\n"


def git_signature(secret: str, stamp: str, region: str, path: str, host: str) -> str:
    """The hex signature the helper computes at `stamp` (YYYYMMDDTHHMMSS, UTC)."""
    date = stamp[:8]
    scope = f"{date}/{region}/{SERVICE}/aws4_request"
    text = scoped_string_to_sign(stamp, scope, canonical_git_request(path, host))
    return sign(signing_key(secret, date, region, SERVICE), text)


def verify_git_password(
    username: str,
    password: str,
    *,
    host: str,
    path: str,
    region: str,
    lookup: CredentialLookup,
    now: datetime,
) -> GitSigner | GitRefusal:
    """Accept a credential-helper user name and password for `path` on `host`, or say why not.

    `host` is the request's Host header (port included, as git hands it to the
    helper), `path` the repository's URL path (`/v1/repos/<name>`), `region` the
    region Airlock serves (used unless the host names one).
    """
    key_id, token = split_username(username)
    match = _PASSWORD.fullmatch(password)
    if not key_id or match is None:
        return GitRefusal(
            AuthFailure.MALFORMED,
            "The password is not one the aws CLI's credential helper makes "
            "(<YYYYMMDDTHHMMSS>Z<64 hex digits>); configure git with "
            "credential.helper '!aws codecommit credential-helper --ignore-host-check $@' "
            "and credential.UseHttpPath true.",
        )
    stamp, signature = match.groups()
    credential = lookup(key_id)
    if credential is None or not credential.active:
        return GitRefusal(
            AuthFailure.UNKNOWN_KEY,
            f"The access key ID {key_id} is not a valid, active key in Airlock.",
        )
    if not credential.session_token_matches(token):
        return GitRefusal(
            AuthFailure.INVALID_TOKEN,
            f"The session token after '%' in the user name is not the one issued with "
            f"{key_id}; long-term keys (AKIA...) take no token, temporary ones (ASIA...) "
            f"need theirs.",
        )
    if credential.expires_at is not None and now >= credential.expires_at:
        return GitRefusal(
            AuthFailure.EXPIRED_TOKEN,
            f"The temporary credentials of {key_id} expired at "
            f"{credential.expires_at.isoformat()}; get new ones and retry.",
        )
    try:
        signed_at = datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return GitRefusal(AuthFailure.MALFORMED, f"The password's timestamp {stamp} is no date.")
    try:
        check_skew(signed_at, now)
    except AuthError as error:
        return GitRefusal(error.failure, f"{error.detail}; the password is made per request.")
    signed_region = signing_region(host, region)
    expected = git_signature(credential.secret_access_key, stamp, signed_region, path, host)
    if not hmac.compare_digest(expected, signature):
        return GitRefusal(
            AuthFailure.SIGNATURE_MISMATCH,
            f"The password's signature does not match one by {key_id} for {path} on host "
            f"{host.split(':')[0]} in region {signed_region}; the aws CLI must be configured "
            f"with region {signed_region} (--region or AWS_REGION) and the secret key of "
            f"{key_id}.",
        )
    return GitSigner(
        access_key_id=key_id,
        principal=credential.principal,
        region=signed_region,
        signed_at=signed_at,
    )
