"""Policy documents: parsed once, validated with AWS's `MalformedPolicyDocument` messages."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from airlock.core.documents import load_json
from airlock.core.errors import ClientFault

VERSIONS = ("2012-10-17", "2008-10-17")
# Size limits AWS documents (characters, whitespace excluded for managed policies).
MANAGED_POLICY_LIMIT = 6144
INLINE_USER_LIMIT = 2048
INLINE_ROLE_LIMIT = 10240
INLINE_GROUP_LIMIT = 5120
TRUST_POLICY_LIMIT = 2048


class MalformedPolicyDocument(ClientFault):
    """A policy document that does not follow the policy grammar."""

    code = "MalformedPolicyDocument"


class PolicyKind(Enum):
    """Where a policy is used decides which elements it may have."""

    IDENTITY = "identity"  # user, group, role, managed, boundary and session policies
    RESOURCE = "resource"  # bucket policies and other resource-based policies
    TRUST = "trust"  # a role's assume-role policy
    SCP = "scp"  # organization service control policies


@dataclass(frozen=True)
class Statement:
    """One statement; lists are already normalized, `principals` maps type to values."""

    effect: str
    sid: str | None = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    principals: dict[str, tuple[str, ...]] | None = None
    not_principals: dict[str, tuple[str, ...]] | None = None
    conditions: dict[str, dict[str, tuple[Any, ...]]] = field(default_factory=dict)
    index: int = 0

    def describe(self) -> dict[str, Any]:
        """The statement as JSON-ready data (for explanations and simulations)."""
        out: dict[str, Any] = {"Effect": self.effect}
        for key, value in (
            ("Sid", self.sid),
            ("Action", self.actions),
            ("NotAction", self.not_actions),
            ("Resource", self.resources),
            ("NotResource", self.not_resources),
            ("Principal", self.principals),
            ("NotPrincipal", self.not_principals),
        ):
            if value is not None:
                out[key] = list(value) if isinstance(value, tuple) else value
        if self.conditions:
            out["Condition"] = self.conditions
        return out


@dataclass(frozen=True)
class Policy:
    """A parsed policy document."""

    version: str
    statements: tuple[Statement, ...]
    text: str = ""

    @property
    def supports_variables(self) -> bool:
        """Policy variables are only substituted in version 2012-10-17."""
        return self.version == "2012-10-17"


_VENDOR = re.compile(r"^[A-Za-z0-9*?-]+$")
_OPERATOR = re.compile(
    r"^(ForAnyValue:|ForAllValues:)?"
    r"(StringEquals|StringNotEquals|StringEqualsIgnoreCase|StringNotEqualsIgnoreCase|"
    r"StringLike|StringNotLike|NumericEquals|NumericNotEquals|NumericLessThan|"
    r"NumericLessThanEquals|NumericGreaterThan|NumericGreaterThanEquals|DateEquals|"
    r"DateNotEquals|DateLessThan|DateLessThanEquals|DateGreaterThan|DateGreaterThanEquals|"
    r"Bool|BinaryEquals|IpAddress|NotIpAddress|ArnEquals|ArnLike|ArnNotEquals|ArnNotLike|"
    r"Null)(IfExists)?$"
)


def _syntax() -> MalformedPolicyDocument:
    return MalformedPolicyDocument("Syntax errors in policy.")


def _strings(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) for v in items):
        raise _syntax()
    return tuple(items)


def _check_action(action: str) -> None:
    if action == "*":
        return
    if ":" not in action:
        raise MalformedPolicyDocument(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        )
    if action.count(":") > 1:
        raise MalformedPolicyDocument("Actions/Condition can contain only one colon.")
    vendor = action.split(":", 1)[0]
    if not _VENDOR.match(vendor):
        raise MalformedPolicyDocument(f"Vendor {vendor} is not valid")


def _check_resource(resource: str) -> None:
    if resource == "*":
        return
    # An ARN of fewer than six segments is whole only when it ends in `*`, which then
    # reaches across the colons (`arn:aws:ecr:*` is every ECR resource).
    if resource.startswith("arn:") and (resource.count(":") >= 5 or resource.endswith("*")):
        return
    raise MalformedPolicyDocument(f'Resource {resource} must be in ARN format or "*".')


_PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")


def _principals(value: Any) -> dict[str, tuple[str, ...]]:
    if value == "*":
        return {"AWS": ("*",)}
    if not isinstance(value, dict) or not value:
        raise MalformedPolicyDocument(f"Invalid principal in policy: {json.dumps(value)}")
    out: dict[str, tuple[str, ...]] = {}
    for kind, items in value.items():
        if kind not in _PRINCIPAL_TYPES:
            raise MalformedPolicyDocument(
                f"Invalid principal in policy: {json.dumps({kind: items})}"
            )
        names = _strings(items)
        for name in names:
            if kind == "AWS" and not (
                name == "*" or re.fullmatch(r"\d{12}", name) or name.startswith("arn:aws:")
            ):
                raise MalformedPolicyDocument(f'Invalid principal in policy: "AWS":"{name}"')
        out[kind] = names
    return out


def _conditions(value: Any) -> dict[str, dict[str, tuple[Any, ...]]]:
    if not isinstance(value, dict):
        raise _syntax()
    out: dict[str, dict[str, tuple[Any, ...]]] = {}
    for operator, block in value.items():
        if not _OPERATOR.match(operator):
            raise MalformedPolicyDocument(f"Invalid Condition type : {operator}")
        if not isinstance(block, dict) or not block:
            raise _syntax()
        keys: dict[str, tuple[Any, ...]] = {}
        for key, values in block.items():
            if ":" not in key and not key.startswith("${"):
                raise MalformedPolicyDocument(
                    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
                )
            items = values if isinstance(values, list) else [values]
            if not all(isinstance(v, str | int | float | bool) for v in items):
                raise _syntax()
            keys[key] = tuple(items)
        out[operator] = keys
    return out


def _statement(raw: Any, index: int, kind: PolicyKind) -> Statement:
    if not isinstance(raw, dict):
        raise _syntax()
    known = {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    }
    unknown = set(raw) - known
    if unknown:
        raise MalformedPolicyDocument(
            f"Syntax errors in policy. Unknown field {sorted(unknown)[0]}"
        )
    effect = raw.get("Effect")
    if effect is None:
        raise MalformedPolicyDocument("Missing required field Effect")
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicyDocument(f"Invalid effect: {effect}")
    sid = raw.get("Sid")
    # IAM wants alphanumeric Sids; services' resource policies take any string
    # (EventBridge's PutPermission makes Sids such as "data-science").
    sid_pattern = r".*" if kind is PolicyKind.RESOURCE else r"[A-Za-z0-9 ]*"
    if sid is not None and (not isinstance(sid, str) or not re.fullmatch(sid_pattern, sid)):
        raise MalformedPolicyDocument("Statement IDs (SID) must be alpha-numeric.")
    if "Action" in raw and "NotAction" in raw:
        raise _syntax()
    if "Action" not in raw and "NotAction" not in raw:
        raise MalformedPolicyDocument("Policy statement must contain actions.")
    actions = _strings(raw["Action"]) if "Action" in raw else None
    not_actions = _strings(raw["NotAction"]) if "NotAction" in raw else None
    for action in (actions or ()) + (not_actions or ()):
        _check_action(action)
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    if kind in (PolicyKind.IDENTITY, PolicyKind.SCP) and has_principal:
        raise MalformedPolicyDocument("Policy document should not specify a principal.")
    if kind in (PolicyKind.RESOURCE, PolicyKind.TRUST) and not has_principal:
        raise MalformedPolicyDocument("Missing required field Principal")
    has_resource = "Resource" in raw or "NotResource" in raw
    if kind is PolicyKind.TRUST and has_resource:
        raise MalformedPolicyDocument("Has prohibited field Resource")
    if kind is PolicyKind.IDENTITY and not has_resource:
        raise MalformedPolicyDocument("Policy statement must contain resources.")
    if "Resource" in raw and "NotResource" in raw:
        raise _syntax()
    resources = _strings(raw["Resource"]) if "Resource" in raw else None
    not_resources = _strings(raw["NotResource"]) if "NotResource" in raw else None
    for resource in (resources or ()) + (not_resources or ()):
        _check_resource(resource)
    return Statement(
        effect=effect,
        sid=sid,
        actions=actions,
        not_actions=not_actions,
        resources=resources,
        not_resources=not_resources,
        principals=_principals(raw["Principal"]) if "Principal" in raw else None,
        not_principals=_principals(raw["NotPrincipal"]) if "NotPrincipal" in raw else None,
        conditions=_conditions(raw["Condition"]) if "Condition" in raw else {},
        index=index,
    )


def parse_policy(text: str, kind: PolicyKind = PolicyKind.IDENTITY) -> Policy:
    """Parse and validate a policy document; MalformedPolicyDocument says what is wrong."""
    try:
        document = load_json(text)
    except (ValueError, TypeError) as error:
        raise MalformedPolicyDocument("This policy contains invalid Json") from error
    if not isinstance(document, dict):
        raise _syntax()
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise MalformedPolicyDocument("The policy failed legacy parsing")
    unknown = set(document) - {"Version", "Statement", "Id"}
    if unknown:
        raise _syntax()
    raw = document.get("Statement")
    if raw is None:
        raise _syntax()
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise _syntax()
    statements = tuple(_statement(item, i, kind) for i, item in enumerate(items))
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        raise MalformedPolicyDocument("Statement IDs (SID) in a single policy must be unique.")
    return Policy(version=version, statements=statements, text=text)


def policy_size(text: str) -> int:
    """The size AWS counts against limits: characters without whitespace."""
    return len(re.sub(r"\s", "", text))
