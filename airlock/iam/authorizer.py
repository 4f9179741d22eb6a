"""Gathers the policies and condition keys of a request and asks the evaluation engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import Resource
from airlock.core.context import Principal, PrincipalType, RequestContext
from airlock.organizations import OrganizationsService
from airlock.organizations.scp import scp_levels
from airlock.platform.cache import cached, reads_from
from airlock.platform.clock import Clock

from .errors import NoSuchEntity
from .policies import PolicyStore
from .policy import AuthzRequest, Caller, Decision, Policy, PolicyKind, PolicySet, evaluate
from .policy.document import MalformedPolicyDocument, parse_policy
from .service import IamService

# A Standing is read from IAM's and Organizations' rows (and the accounts').
reads_from("iam_", "org_", "accounts")

# Actions a role's trust policy decides, in every account.
TRUST_ACTIONS = {"sts:assumerole", "sts:tagsession", "sts:setsourceidentity"}


@lru_cache(maxsize=4096)
def parsed(text: str, kind: PolicyKind) -> Policy | None:
    """A policy document parsed once; None for one that no longer parses (it grants nothing)."""
    try:
        return parse_policy(text, kind)
    except MalformedPolicyDocument:
        return None


def _parse_all(texts: Sequence[str], kind: PolicyKind = PolicyKind.IDENTITY) -> list[Policy]:
    return [p for p in (parsed(t, kind) for t in texts) if p is not None]


_DENY_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}'


@dataclass(frozen=True)
class Standing:
    """What a principal's requests are decided with, whatever the request: kept between them."""

    identity: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    tags: tuple[tuple[str, str], ...] = ()
    username: str | None = None
    scp_levels: tuple[tuple[Policy, ...], ...] | None = None
    org_id: str | None = None
    org_path: str | None = None


class Authorizer:
    """IAM decisions for requests made in one transaction."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.principals = IamService(session, clock)
        self.policies = PolicyStore(session, clock)
        self.organizations = OrganizationsService(session, clock)

    def standing(self, principal: Principal) -> Standing:
        """The principal's policies, boundary, tags and place in the organization."""
        return cached(self.session, standing_key(principal), lambda: self._standing(principal))

    def _standing(self, principal: Principal) -> Standing:
        owners: list[str] = []
        boundary_arn: str | None = None
        tags: list[dict[str, str]] = []
        username: str | None = None
        if principal.type is PrincipalType.USER:
            user = self.principals.user(principal.account_id, principal.arn.rsplit("/", 1)[-1])
            owners = [user.arn, *(g.arn for g in self.principals.user_groups(user))]
            boundary_arn, username = user.boundary_arn, user.name
            tags = self.principals.tags(user.arn)
        elif principal.type is PrincipalType.ASSUMED_ROLE and principal.source_arn:
            role = self.principals.role_by_arn(principal.source_arn)
            if role is not None:
                owners = [role.arn]
                boundary_arn, tags = role.boundary_arn, self.principals.tags(role.arn)
        boundary = None
        if boundary_arn:
            try:
                policy = self.policies.get(principal.account_id, boundary_arn)
                boundary = parsed(self.policies.default_document(policy), PolicyKind.IDENTITY)
            except NoSuchEntity:  # a deleted boundary policy allows nothing
                boundary = parsed(_DENY_ALL, PolicyKind.IDENTITY)
        levels = scp_levels(self.organizations, principal.account_id)
        org = self.organizations.organization_of(principal.account_id)
        return Standing(
            identity=tuple(_parse_all(self.policies.documents_for(owners))) if owners else (),
            boundary=boundary,
            tags=tuple((t["Key"], t["Value"]) for t in tags),
            username=username,
            scp_levels=None
            if levels is None
            else tuple(tuple(_parse_all(level, PolicyKind.SCP)) for level in levels),
            org_id=org.id if org is not None else None,
            org_path=self._org_path(org, principal.account_id) if org is not None else None,
        )

    def decide(
        self,
        ctx: RequestContext,
        action: str,
        resource: Resource,
        request_keys: Mapping[str, Sequence[str]] | None = None,
    ) -> tuple[AuthzRequest, Decision]:
        """The decision for one action on one resource (`request_keys`: the call's own keys)."""
        return decide(self.standing(ctx.principal), ctx, action, resource, request_keys)

    def _org_path(self, org: Any, account_id: str) -> str:
        """`o-x/r-y/ou-a/ou-b/`: the account's place in the tree, as aws:PrincipalOrgPaths."""
        nodes: list[str] = []
        node = self.organizations.parent_of(org, account_id)
        while True:
            nodes.append(node)
            if node.startswith("r-"):
                break
            node = self.organizations.parent_of(org, node)
        return "/".join([org.id, *reversed(nodes)]) + "/"


def standing_key(principal: Principal) -> tuple[object, ...]:
    """Where the read cache keeps a principal's Standing."""
    return ("standing", principal.type, principal.account_id, principal.arn, principal.source_arn)


def decide(
    standing: Standing,
    ctx: RequestContext,
    action: str,
    resource: Resource,
    request_keys: Mapping[str, Sequence[str]] | None = None,
) -> tuple[AuthzRequest, Decision]:
    """The decision for one action on one resource, given the caller's standing."""
    principal = ctx.principal
    trust = action.lower() in TRUST_ACTIONS
    kind = PolicyKind.TRUST if trust else PolicyKind.RESOURCE
    policies = PolicySet(
        identity=standing.identity,
        resource=parsed(resource.policy, kind) if resource.policy else None,
        boundary=standing.boundary,
        session=_parse_all(principal.session_policies),
        scp_levels=standing.scp_levels,
        resource_must_allow=trust,
    )
    session_tags = dict(principal.session_tags)
    tags = [(k, v) for k, v in standing.tags if k not in session_tags]
    context = _context(ctx, resource, standing, [*tags, *session_tags.items()])
    for key, values in (request_keys or {}).items():
        context[key] = list(values)
    request = AuthzRequest(
        caller=Caller(
            arn=principal.arn,
            account_id=principal.account_id,
            role_arn=principal.source_arn,
            is_root=principal.is_root,
        ),
        action=action,
        resource=resource.arn,
        resource_account=resource.account_id,
        context=context,
    )
    return request, evaluate(request, policies)


def _context(
    ctx: RequestContext,
    resource: Resource,
    standing: Standing,
    tags: list[tuple[str, str]],
) -> dict[str, list[str]]:
    principal = ctx.principal
    context: dict[str, list[str]] = {
        "aws:PrincipalArn": [principal.source_arn or principal.arn],
        "aws:PrincipalAccount": [principal.account_id],
        "aws:PrincipalType": [principal.type.value],
        "aws:userid": [principal.user_id],
        "aws:SourceIp": [ctx.source_ip],
        "aws:SecureTransport": ["false"],
        "aws:CurrentTime": [ctx.time.strftime("%Y-%m-%dT%H:%M:%SZ")],
        "aws:EpochTime": [str(int(ctx.time.timestamp()))],
        "aws:RequestedRegion": [ctx.region],
        "aws:ResourceAccount": [resource.account_id or principal.account_id],
        "aws:MultiFactorAuthPresent": ["false"],
    }
    if standing.username:
        context["aws:username"] = [standing.username]
    if principal.source_identity:
        context["aws:SourceIdentity"] = [principal.source_identity]
    if ctx.called_via:
        context["aws:CalledVia"] = list(ctx.called_via)
        context["aws:CalledViaFirst"] = [ctx.called_via[0]]
        context["aws:CalledViaLast"] = [ctx.called_via[-1]]
    if standing.org_id is not None and standing.org_path is not None:
        context["aws:PrincipalOrgID"] = [standing.org_id]
        context["aws:PrincipalOrgPaths"] = [standing.org_path]
    for key, value in tags:
        context[f"aws:PrincipalTag/{key}"] = [value]
    for key, values in resource.context.items():
        context[key] = list(values)
    return context


def request_keys(params: Mapping[str, object], declared: Mapping[str, str]) -> dict[str, list[str]]:
    """Condition keys a call sets by its input: request tags and the operation's own keys."""
    keys: dict[str, list[str]] = {}
    tags = params.get("Tags")
    if isinstance(tags, list) and all(isinstance(t, dict) and "Key" in t for t in tags):
        for tag in tags:
            keys[f"aws:RequestTag/{tag['Key']}"] = [str(tag.get("Value", ""))]
        keys["aws:TagKeys"] = [str(t["Key"]) for t in tags]
    tag_keys = params.get("TagKeys")
    if isinstance(tag_keys, list):
        keys["aws:TagKeys"] = [str(k) for k in tag_keys]
    for key, member in declared.items():
        value = params.get(member)
        if isinstance(value, list):
            keys[key] = [str(v.get("arn", v)) if isinstance(v, dict) else str(v) for v in value]
        elif value is not None:
            keys[key] = [str(value)]
    return keys
