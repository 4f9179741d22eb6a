"""IAM's policy simulator, answering with the same engine that decides real calls."""

from __future__ import annotations

from collections.abc import Sequence

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext

from .api import Iam, api, by_arn, page
from .errors import InvalidInput
from .policy import AuthzRequest, Caller, Decision, Policy, PolicyKind, PolicySet, evaluate
from .policy.document import parse_policy
from .policy.matching import action_matches, resource_matches

_SOURCE_TYPES = {
    "identity-based policy": "user-managed",
    "resource-based policy": "resource",
    "permissions boundary": "none",
    "session policy": "none",
    "service control policy": "none",
}


def _context(p: Params) -> dict[str, list[str]]:
    return {e["ContextKeyName"]: list(e["ContextKeyValues"]) for e in p.get("ContextEntries") or []}


def _missing(
    policies: Sequence[Policy], action: str, resource: str, context: dict[str, list[str]]
) -> list[str]:
    known = {k.lower() for k in context}
    missing: set[str] = set()
    for policy in policies:
        for statement in policy.statements:
            if statement.actions is not None and not any(
                action_matches(a, action) for a in statement.actions
            ):
                continue
            if statement.resources is not None and not any(
                resource_matches(r, resource) for r in statement.resources
            ):
                continue
            for block in statement.conditions.values():
                missing.update(k for k in block if k.lower() not in known)
    return sorted(missing)


def _result(decision: Decision, action: str, resource: str, missing: list[str]) -> Output:
    matched = [
        {
            "SourcePolicyId": m.statement.sid or f"statement{m.statement.index + 1}",
            "SourcePolicyType": _SOURCE_TYPES.get(m.policy_type, "none"),
        }
        for m in decision.matched
    ]
    return {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": decision.decision,
        "MatchedStatements": matched,
        "MissingContextValues": missing,
    }


def _simulate(
    p: Params, caller: Caller, identity: list[Policy], boundary: Policy | None, owner: str
) -> Output:
    resource_policy = (
        parse_policy(p["ResourcePolicy"], PolicyKind.RESOURCE) if p.get("ResourcePolicy") else None
    )
    context = _context(p)
    results = []
    for action in p["ActionNames"]:
        for resource in p.get("ResourceArns") or ["*"]:
            request = AuthzRequest(
                caller, action, resource, p.get("ResourceOwner") or owner, context
            )
            decision = evaluate(
                request, PolicySet(identity=identity, resource=resource_policy, boundary=boundary)
            )
            consulted = identity + ([resource_policy] if resource_policy else [])
            results.append(
                _result(decision, action, resource, _missing(consulted, action, resource, context))
            )
    return page(results, p, "EvaluationResults")


def _parse_list(texts: Sequence[str]) -> list[Policy]:
    return [parse_policy(t, PolicyKind.IDENTITY) for t in texts]


@api.operation("iam:SimulateCustomPolicy", readonly=True, resources=lambda iam, ctx, p: [])
def simulate_custom_policy(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Evaluate the given policies for actions and resources."""
    caller_arn = p.get("CallerArn") or f"arn:aws:iam::{ctx.account_id}:user/SimulatedUser"
    boundary_texts = p.get("PermissionsBoundaryPolicyInputList") or []
    boundary = parse_policy(boundary_texts[0], PolicyKind.IDENTITY) if boundary_texts else None
    caller = Caller(caller_arn, ctx.account_id)
    return _simulate(p, caller, _parse_list(p["PolicyInputList"]), boundary, ctx.account_id)


@api.operation("iam:SimulatePrincipalPolicy", readonly=True, resources=by_arn("PolicySourceArn"))
def simulate_principal_policy(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Evaluate a user's, group's or role's policies (plus any given) for actions."""
    arn: str = p["PolicySourceArn"]
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[4] != ctx.account_id:
        raise InvalidInput(f"Invalid PolicySourceArn: {arn}")
    kind, name = parts[5].split("/", 1)[0], arn.rsplit("/", 1)[-1]
    owners = [arn]
    boundary_arn: str | None = None
    role_arn: str | None = None
    if kind == "user":
        user = iam.principals.user(ctx.account_id, name)
        owners += [g.arn for g in iam.principals.user_groups(user)]
        boundary_arn = user.boundary_arn
    elif kind == "role":
        role = iam.principals.role(ctx.account_id, name)
        boundary_arn, role_arn = role.boundary_arn, role.arn
    elif kind == "group":
        iam.principals.group(ctx.account_id, name)
    else:
        raise InvalidInput(f"Invalid PolicySourceArn: {arn}")
    identity = _parse_list(iam.policies.documents_for(owners)) + _parse_list(
        p.get("PolicyInputList") or []
    )
    boundary_texts: list[str] = list(p.get("PermissionsBoundaryPolicyInputList") or [])
    if not boundary_texts and boundary_arn:
        boundary_texts = [
            iam.policies.default_document(iam.policies.get(ctx.account_id, boundary_arn))
        ]
    boundary = parse_policy(boundary_texts[0], PolicyKind.IDENTITY) if boundary_texts else None
    caller = Caller(p.get("CallerArn") or arn, ctx.account_id, role_arn=role_arn)
    return _simulate(p, caller, identity, boundary, ctx.account_id)
