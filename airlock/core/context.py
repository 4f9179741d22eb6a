"""Who is calling, from where, when: built once per request by the gateway."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


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


def principal_record(principal: Principal) -> dict[str, Any]:
    """A principal as a JSON column keeps it (who a stack, record or project acts as)."""
    record = dataclasses.asdict(principal)
    record["type"] = principal.type.value
    return record


def principal_of(record: dict[str, Any]) -> Principal:
    """The principal a JSON column holds (the inverse of `principal_record`)."""
    values = dict(record)
    values["type"] = PrincipalType(values["type"])
    for name in ("session_policies", "transitive_tag_keys"):
        values[name] = tuple(values.get(name) or ())
    values["session_tags"] = tuple(tuple(pair) for pair in values.get("session_tags") or ())
    return Principal(**values)


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
