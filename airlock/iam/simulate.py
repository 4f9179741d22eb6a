"""IAM's policy simulator, answering with the same engine that decides real calls."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from airlock.core.api import Output, Params
from airlock.core.context import RequestContext

from .api import Iam, api, by_arn, page
from .errors import InvalidInput
from .policy import (
    AuthzRequest,
    Caller,
    Decision,
    Policy,
    PolicyKind,
    PolicySet,
    evaluate,
    resource_policy_decision,
)
from .policy.document import parse_policy
from .policy.matching import action_matches, resource_matches

_SOURCE_TYPES = {
    "identity-based policy": "user-managed",
    "resource-based policy": "resource",
    "permissions boundary": "none",
    "session policy": "none",
    "service control policy": "none",
}

_ACCOUNT = re.compile(r"\d{12}")
# AWS simulates IAM users, groups and roles, never assumed roles, federated users or services.
_CALLER = re.compile(r"arn:aws:iam::(\d{12}):(user|group|role)/.+")
# The owning account, named by its root or by a user in it.
_OWNER = re.compile(r"arn:aws:iam::(\d{12}):(?:root|user/.+)")


def _caller(arn: str) -> Caller:
    """The simulated caller, in the account its ARN names (not necessarily the simulating one)."""
    match = _CALLER.fullmatch(arn)
    if match is None:
        raise InvalidInput(
            f"Invalid CallerArn: {arn}. Give the ARN of an IAM user, group or role; assumed "
            "roles, federated users and service principals cannot be simulated callers."
        )
    account, kind = match.groups()
    return Caller(arn, account, role_arn=arn if kind == "role" else None)


def _owner(value: str | None, caller: Caller) -> str:
    """The account owning the resource policy and the resources whose ARN names none (S3's)."""
    if not value:
        return caller.account_id
    if _ACCOUNT.fullmatch(value):
        return value
    match = _OWNER.fullmatch(value)
    if match is None:
        # AWS's message, word for word.
        raise InvalidInput(f"'{value}' is not a valid as a Resource Owner.")
    return match.group(1)


def _account_of(resource: str, owner: str) -> str:
    parts = resource.split(":", 5)
    if len(parts) == 6 and _ACCOUNT.fullmatch(parts[4]):
        return parts[4]
    return owner


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


def _decision_details(request: AuthzRequest, policies: PolicySet) -> dict[str, str] | None:
    """Each side's decision of a cross-account request; None within one account.

    The caller's account decides with its identity policies (and boundary) as for
    a call to its own resources, the owner's with the resource policy alone; the
    request is allowed only if both allow.
    """
    if request.resource_account == request.caller.account_id:
        return None
    own = evaluate(
        replace(request, resource_account=request.caller.account_id),
        replace(policies, resource=None),
    )
    theirs = resource_policy_decision(request, policies.resource)
    return {"IAM Policy": own.decision, "Resource Policy": theirs.decision}


def _result(
    request: AuthzRequest,
    decision: Decision,
    details: dict[str, str] | None,
    missing: list[str],
) -> Output:
    matched = [
        {
            "SourcePolicyId": m.statement.sid or f"statement{m.statement.index + 1}",
            "SourcePolicyType": _SOURCE_TYPES.get(m.policy_type, "none"),
        }
        for m in decision.matched
    ]
    result: Output = {
        "EvalActionName": request.action,
        "EvalResourceName": request.resource,
        "EvalDecision": decision.decision,
        "MatchedStatements": matched,
        "MissingContextValues": missing,
    }
    if request.resource == "*":
        if details is not None:
            result["EvalDecisionDetails"] = details
        return result
    # A named resource gets its own result, and decision details even when they are
    # empty (AWS leaves them out only for same-account simulations over `*`).
    specific: Output = {
        "EvalResourceName": request.resource,
        "EvalResourceDecision": decision.decision,
        "MatchedStatements": matched,
        "MissingContextValues": missing,
    }
    if details is not None:
        specific["EvalDecisionDetails"] = details
    result["EvalDecisionDetails"] = details or {}
    result["ResourceSpecificResults"] = [specific]
    return result


def _simulate(p: Params, caller: Caller, identity: list[Policy], boundary: Policy | None) -> Output:
    resource_policy = (
        parse_policy(p["ResourcePolicy"], PolicyKind.RESOURCE) if p.get("ResourcePolicy") else None
    )
    owner = _owner(p.get("ResourceOwner"), caller)
    policies = PolicySet(identity=identity, resource=resource_policy, boundary=boundary)
    consulted = identity + ([resource_policy] if resource_policy else [])
    context = _context(p)
    results = []
    for action in p["ActionNames"]:
        for resource in p.get("ResourceArns") or ["*"]:
            request = AuthzRequest(caller, action, resource, _account_of(resource, owner), context)
            results.append(
                _result(
                    request,
                    evaluate(request, policies),
                    _decision_details(request, policies),
                    _missing(consulted, action, resource, context),
                )
            )
    return page(results, p, "EvaluationResults")


def _parse_list(texts: Sequence[str]) -> list[Policy]:
    return [parse_policy(t, PolicyKind.IDENTITY) for t in texts]


@api.operation("iam:SimulateCustomPolicy", readonly=True, resources=lambda iam, ctx, p: [])
def simulate_custom_policy(iam: Iam, ctx: RequestContext, p: Params) -> Output:
    """Evaluate the given policies for actions and resources."""
    if p.get("CallerArn"):
        caller = _caller(p["CallerArn"])
    elif p.get("ResourcePolicy"):
        raise InvalidInput(
            "CallerArn is required with a ResourcePolicy: it is the principal that the "
            "resource policy's Principal element is evaluated against."
        )
    else:
        caller = Caller(f"arn:aws:iam::{ctx.account_id}:user/SimulatedUser", ctx.account_id)
    boundary_texts = p.get("PermissionsBoundaryPolicyInputList") or []
    boundary = parse_policy(boundary_texts[0], PolicyKind.IDENTITY) if boundary_texts else None
    return _simulate(p, caller, _parse_list(p["PolicyInputList"]), boundary)


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
    if kind == "user":
        user = iam.principals.user(ctx.account_id, name)
        owners += [g.arn for g in iam.principals.user_groups(user)]
        boundary_arn = user.boundary_arn
    elif kind == "role":
        role = iam.principals.role(ctx.account_id, name)
        boundary_arn = role.boundary_arn
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
    if p.get("CallerArn"):
        caller = _caller(p["CallerArn"])
    else:  # the source entity calls, so a resource policy may name it
        caller = Caller(arn, ctx.account_id, role_arn=arn if kind == "role" else None)
    return _simulate(p, caller, identity, boundary)
