"""STS (query protocol): AssumeRole, GetCallerIdentity, GetSessionToken."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import Output, Params, Resource, ServiceApi
from airlock.core.context import Principal, PrincipalType, RequestContext
from airlock.core.errors import ClientFault
from airlock.iam.policies import PolicyStore
from airlock.iam.policy import PolicyKind, parse_policy
from airlock.iam.service import IamService
from airlock.identity import IdentityService
from airlock.platform.clock import Clock

# Role chaining (a role session assuming a role) is capped at one hour.
CHAINED_LIMIT = 3600
PACKED_POLICY_LIMIT = 2048


class Sts:
    """STS for one transaction."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.clock = clock
        self.identity = IdentityService(session, clock)
        self.iam = IamService(session, clock)
        self.policies = PolicyStore(session, clock)


def _factory(platform: Any, session: Session) -> Sts:
    return Sts(session, platform.clock)


api: ServiceApi[Sts] = ServiceApi("sts", _factory)


class StsValidation(ClientFault):
    """`ValidationError` as STS reports bad values."""

    code = "ValidationError"


def _role_resource(sts: Sts, ctx: RequestContext, p: Params) -> list[Resource]:
    arn = str(p.get("RoleArn", ""))
    role = sts.iam.role_by_arn(arn)
    context = {"sts:RoleSessionName": [str(p.get("RoleSessionName", ""))]}
    if p.get("ExternalId"):
        context["sts:ExternalId"] = [str(p["ExternalId"])]
    if p.get("SourceIdentity"):
        context["sts:SourceIdentity"] = [str(p["SourceIdentity"])]
    account = arn.split(":")[4] if arn.count(":") >= 5 else None
    # An unknown role is denied like one whose trust policy does not allow the caller.
    return [Resource(arn, account, policy=role.trust_policy if role else None, context=context)]


def _credentials(key: Any, token: str) -> Output:
    return {
        "AccessKeyId": key.access_key_id,
        "SecretAccessKey": key.secret_access_key,
        "SessionToken": token,
        "Expiration": key.expires_at,
    }


def _tagging(p: Params) -> list[str]:
    return ["sts:TagSession"] if p.get("Tags") or p.get("TransitiveTagKeys") else []


@api.operation(
    "sts:AssumeRole",
    resources=_role_resource,
    condition_keys={"sts:TransitiveTagKeys": "TransitiveTagKeys"},
    also=_tagging,
)
def assume_role(sts: Sts, ctx: RequestContext, p: Params) -> Output:
    """Temporary credentials for a role whose trust policy allows the caller."""
    role = sts.iam.role_by_arn(p["RoleArn"])
    assert role is not None  # authorization denied unknown roles
    duration = int(p.get("DurationSeconds") or 3600)
    chained = ctx.principal.type is PrincipalType.ASSUMED_ROLE
    if chained and duration > CHAINED_LIMIT:
        raise StsValidation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
            "by role chaining."
        )
    if duration > role.max_session_duration:
        raise StsValidation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    session_policies: list[str] = []
    if p.get("Policy"):
        parse_policy(p["Policy"], PolicyKind.IDENTITY)
        session_policies.append(p["Policy"])
    for ref in p.get("PolicyArns") or []:
        policy = sts.policies.get(role.account_id, ref["arn"])
        session_policies.append(sts.policies.default_document(policy))
    packed = sum(len(re.sub(r"\s", "", d)) for d in session_policies)
    if packed > PACKED_POLICY_LIMIT:
        raise ClientFault(
            "Packed policy consumes more than the allowed size.",
            code="PackedPolicyTooLarge",
        )
    name = p["RoleSessionName"]
    session_arn = f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{name}"
    caller = ctx.principal
    # Transitive tags of a chained session carry over; new tags are added to them.
    inherited = {k: v for k, v in caller.session_tags if k in caller.transitive_tag_keys}
    tags = inherited | {t["Key"]: t["Value"] for t in p.get("Tags") or []}
    transitive = sorted(set(caller.transitive_tag_keys) | set(p.get("TransitiveTagKeys") or []))
    unknown = [k for k in transitive if k not in tags]
    if unknown:
        raise StsValidation(
            f"The specified transitive tag key {unknown[0]} must be included in the requested tags."
        )
    principal = Principal(
        account_id=role.account_id,
        arn=session_arn,
        type=PrincipalType.ASSUMED_ROLE,
        user_id=f"{role.id}:{name}",
        source_arn=role.arn,
        session_tags=tuple(sorted(tags.items())),
        transitive_tag_keys=tuple(transitive),
        source_identity=p.get("SourceIdentity") or caller.source_identity,
    )
    key, token = sts.identity.create_session_key(
        principal, sts.clock.now() + timedelta(seconds=duration), session_policies
    )
    out: Output = {
        "Credentials": _credentials(key, token),
        "AssumedRoleUser": {"AssumedRoleId": principal.user_id, "Arn": session_arn},
        "PackedPolicySize": min(100, packed * 100 // PACKED_POLICY_LIMIT),
    }
    if p.get("SourceIdentity"):
        out["SourceIdentity"] = p["SourceIdentity"]
    return out


@api.operation("sts:GetCallerIdentity", resources=lambda sts, ctx, p: [])
def get_caller_identity(sts: Sts, ctx: RequestContext, p: Params) -> Output:
    """Who the credentials belong to (needs no permission, as in AWS)."""
    return {"UserId": ctx.principal.user_id, "Account": ctx.account_id, "Arn": ctx.principal.arn}


@api.operation("sts:GetSessionToken", readonly=False)
def get_session_token(sts: Sts, ctx: RequestContext, p: Params) -> Output:
    """Temporary credentials with the caller's own permissions."""
    principal = ctx.principal
    if principal.type is PrincipalType.ASSUMED_ROLE:
        raise ClientFault(
            "Cannot call GetSessionToken with session credentials",
            code="AccessDenied",
            http_status=403,
        )
    limit = 3600 if principal.is_root else 129600
    duration = min(int(p.get("DurationSeconds") or (3600 if principal.is_root else 43200)), limit)
    key, token = sts.identity.create_session_key(
        principal, sts.clock.now() + timedelta(seconds=duration), []
    )
    return {"Credentials": _credentials(key, token)}


@api.operation("sts:DecodeAuthorizationMessage")
def decode_authorization_message(sts: Sts, ctx: RequestContext, p: Params) -> Output:
    """Airlock's denial messages are not encoded; the message is returned as it came."""
    return {"DecodedMessage": json.dumps({"message": p["EncodedMessage"]})}
