"""Who is calling, from where, when: built once per request by the gateway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PrincipalType(StrEnum):
    """The kinds of caller, named as `aws:PrincipalType` names them."""

    ROOT = "Account"
    USER = "User"
    ASSUMED_ROLE = "AssumedRole"
    SERVICE = "AWSService"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    account_id: str
    arn: str
    type: PrincipalType
    # `aws:userid`: the account id for root, AIDA… for users, AROA…:session for roles.
    user_id: str
    access_key_id: str | None = None
    # Role sessions: the role's ARN and the session policies that narrow it.
    source_arn: str | None = None
    session_policies: tuple[str, ...] = ()
    # Session tags (they override the role's tags), the ones passed on when
    # the session assumes another role, and the source identity.
    session_tags: tuple[tuple[str, str], ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None

    @property
    def is_root(self) -> bool:
        """Whether this is the account's root user."""
        return self.type is PrincipalType.ROOT


def root_principal(account_id: str, access_key_id: str | None = None) -> Principal:
    """The root user of `account_id`."""
    return Principal(
        account_id=account_id,
        arn=f"arn:aws:iam::{account_id}:root",
        type=PrincipalType.ROOT,
        user_id=account_id,
        access_key_id=access_key_id,
    )


@dataclass(frozen=True)
class RequestContext:
    """Everything an operation may know about the request besides its input."""

    request_id: str
    account_id: str
    region: str
    principal: Principal
    source_ip: str
    time: datetime
    service: str
    user_agent: str = ""
    # Services that made this call on the principal's behalf, first to last.
    called_via: tuple[str, ...] = ()
