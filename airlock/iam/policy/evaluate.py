"""The IAM decision: a pure function of the request and the policies that apply to it.

Order, as AWS documents its evaluation logic:
1. An explicit Deny in any applicable policy wins.
2. Organization SCPs must allow, at every level from the root to the account
   (accounts outside an organization, and the management account, are exempt).
3. Same account: an identity-based or a resource-based policy may allow; a
   permissions boundary and session policies then limit identity grants (a
   resource policy naming the exact user or session ARN is not limited by them).
4. Cross account: the caller's identity policy and the owner's resource policy
   must both allow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .conditions import conditions_match
from .document import Policy, Statement
from .matching import action_matches, principal_matches, resource_matches


@dataclass(frozen=True)
class Caller:
    """Who asks: ARN, account, and for role sessions the role behind them."""

    arn: str
    account_id: str
    role_arn: str | None = None
    service: str | None = None
    is_root: bool = False

    def ids(self) -> tuple[str, ...]:
        """Every principal form that names this caller in a Principal element."""
        forms = [self.arn, self.account_id, f"arn:aws:iam::{self.account_id}:root"]
        if self.role_arn:
            forms.append(self.role_arn)
        return tuple(forms)


@dataclass(frozen=True)
class AuthzRequest:
    """One action on one resource, with the request's condition keys."""

    caller: Caller
    action: str
    resource: str
    resource_account: str | None = None
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicySet:
    """The policies that apply to a request, by type."""

    identity: Sequence[Policy] = ()
    resource: Policy | None = None
    boundary: Policy | None = None
    session: Sequence[Policy] = ()
    # One list of SCPs per level (root, OUs…, account); None when SCPs do not apply.
    scp_levels: Sequence[Sequence[Policy]] | None = None
    # A role's trust policy must allow even within its own account.
    resource_must_allow: bool = False


@dataclass(frozen=True)
class Match:
    """A statement that took part in the decision."""

    policy_type: str
    policy: Policy
    statement: Statement


@dataclass(frozen=True)
class Decision:
    """The answer: `allowed`, `explicitDeny` or `implicitDeny`, and why."""

    decision: str
    reason: str
    matched: tuple[Match, ...] = ()

    @property
    def allowed(self) -> bool:
        """Whether the request may proceed."""
        return self.decision == "allowed"

    def message(self, request: AuthzRequest) -> str:
        """AWS's wording of an access denial."""
        return (
            f"User: {request.caller.arn} is not authorized to perform: {request.action} "
            f"on resource: {request.resource} {self.reason}"
        )


class _Lookup:
    def __init__(self, context: Mapping[str, Sequence[str]]) -> None:
        self._values = {k.lower(): list(v) for k, v in context.items()}

    def __call__(self, key: str) -> Sequence[str] | None:
        return self._values.get(key.lower())


def statement_applies(
    statement: Statement, policy: Policy, request: AuthzRequest, lookup: _Lookup, *, principal: bool
) -> bool:
    """Whether a statement covers the request (its effect aside)."""
    action = request.action
    if statement.actions is not None and not any(
        action_matches(p, action) for p in statement.actions
    ):
        return False
    if statement.not_actions is not None and any(
        action_matches(p, action) for p in statement.not_actions
    ):
        return False
    variables = lookup if policy.supports_variables else None
    if statement.resources is not None and not any(
        resource_matches(p, request.resource, variables) for p in statement.resources
    ):
        return False
    if statement.not_resources is not None and any(
        resource_matches(p, request.resource, variables) for p in statement.not_resources
    ):
        return False
    if principal:
        ids = request.caller.ids()
        service = request.caller.service
        if statement.principals is not None and not principal_matches(
            statement.principals, ids, service
        ):
            return False
        if statement.not_principals is not None and principal_matches(
            statement.not_principals, ids, service
        ):
            return False
    return conditions_match(statement.conditions, lookup, variables=policy.supports_variables)


def _matches(
    policies: Sequence[Policy],
    effect: str,
    policy_type: str,
    request: AuthzRequest,
    lookup: _Lookup,
    *,
    principal: bool = False,
) -> list[Match]:
    return [
        Match(policy_type, policy, statement)
        for policy in policies
        for statement in policy.statements
        if statement.effect == effect
        and statement_applies(statement, policy, request, lookup, principal=principal)
    ]


def _names_caller_exactly(matches: Sequence[Match], caller: Caller) -> bool:
    for match in matches:
        principals = match.statement.principals or {}
        if caller.arn in principals.get("AWS", ()):
            return True
    return False


def _grants_directly(matches: Sequence[Match], caller: Caller) -> bool:
    account_forms = {caller.account_id, f"arn:aws:iam::{caller.account_id}:root"}
    for match in matches:
        principals = match.statement.principals
        if principals is None:
            return True
        named = set(principals.get("AWS", ())) - account_forms
        if named & {"*", caller.arn, caller.role_arn} or (
            caller.service is not None and caller.service in principals.get("Service", ())
        ):
            return True
    return False


def resource_policy_decision(request: AuthzRequest, policy: Policy | None) -> Decision:
    """What a resource policy alone says of a request: the owner's half of a cross-account
    decision, which `evaluate` combines with the caller's own half."""
    lookup = _Lookup(request.context)
    group = [policy] if policy is not None else []
    kind = "resource-based policy"
    denies = _matches(group, "Deny", kind, request, lookup, principal=True)
    if denies:
        return Decision("explicitDeny", f"with an explicit deny in a {kind}", tuple(denies))
    allows = _matches(group, "Allow", kind, request, lookup, principal=True)
    if allows:
        return Decision("allowed", "", tuple(allows))
    return Decision("implicitDeny", f"because no {kind} allows the {request.action} action")


def evaluate(request: AuthzRequest, policies: PolicySet) -> Decision:
    """Decide one request against the policies that apply to it."""
    lookup = _Lookup(request.context)
    action = request.action
    resource_policies = [policies.resource] if policies.resource is not None else []
    scps = [p for level in policies.scp_levels or () for p in level]

    denies: list[Match] = []
    for kind, group, principal in (
        ("service control policy", scps, False),
        ("resource-based policy", resource_policies, True),
        ("identity-based policy", [] if request.caller.is_root else list(policies.identity), False),
        ("permissions boundary", [policies.boundary] if policies.boundary else [], False),
        ("session policy", list(policies.session), False),
    ):
        denies = _matches(group, "Deny", kind, request, lookup, principal=principal)
        if denies:
            article = "an" if kind[0] in "aeiou" else "a"
            reason = f"with an explicit deny in {article} {kind}"
            return Decision("explicitDeny", reason, tuple(denies))

    matched: list[Match] = []
    for level in policies.scp_levels or ():
        allows = _matches(level, "Allow", "service control policy", request, lookup)
        if not allows:
            return Decision(
                "implicitDeny", f"because no service control policy allows the {action} action"
            )
        matched.extend(allows)

    resource_allows = _matches(
        resource_policies, "Allow", "resource-based policy", request, lookup, principal=True
    )
    matched.extend(resource_allows)
    same_account = request.resource_account in (None, request.caller.account_id)
    if request.caller.is_root:
        # The root user holds every identity permission of its own account.
        identity_allows = True
    else:
        identity_matches = _matches(
            policies.identity, "Allow", "identity-based policy", request, lookup
        )
        matched.extend(identity_matches)
        identity_allows = bool(identity_matches)

    if same_account and resource_allows and _names_caller_exactly(resource_allows, request.caller):
        return Decision("allowed", "", tuple(matched))

    if same_account:
        # Naming only the account delegates to the account's identity policies.
        if not (identity_allows or _grants_directly(resource_allows, request.caller)):
            return Decision(
                "implicitDeny", f"because no identity-based policy allows the {action} action"
            )
    elif not identity_allows:
        return Decision(
            "implicitDeny", f"because no identity-based policy allows the {action} action"
        )
    if policies.boundary is not None:
        bounds = _matches([policies.boundary], "Allow", "permissions boundary", request, lookup)
        if not bounds:
            return Decision(
                "implicitDeny", f"because no permissions boundary allows the {action} action"
            )
        matched.extend(bounds)
    if policies.session:
        sessions = _matches(policies.session, "Allow", "session policy", request, lookup)
        if not sessions:
            return Decision("implicitDeny", f"because no session policy allows the {action} action")
        matched.extend(sessions)
    if (not same_account or policies.resource_must_allow) and not resource_allows:
        return Decision(
            "implicitDeny", f"because no resource-based policy allows the {action} action"
        )
    return Decision("allowed", "", tuple(matched))
