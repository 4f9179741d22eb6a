"""Block Public Access: which bucket policies are public, and what the settings leave of them.

S3 calls a policy public when one of its Allow statements grants to a wildcard
principal (or through NotPrincipal) without a condition that pins the request to
fixed values of a key that names who or where the caller is ("The meaning of
public" in the S3 user guide). Airlock has no ACLs, so BlockPublicAcls and
IgnorePublicAcls hold by construction; BlockPublicPolicy and RestrictPublicBuckets
act on the bucket policy here.
"""

from __future__ import annotations

import json
from typing import Any

FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")

# Condition keys that make a grant to "*" non-public when given fixed values.
_PINNING_KEYS = frozenset(
    {
        "aws:sourceip",
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "aws:userid",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
    }
)
# Operators that only let fixed values through (negations and wildcards do not pin).
_PINNING_OPERATORS = ("StringEquals", "StringLike", "ArnEquals", "ArnLike", "IpAddress")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _fixed(value: Any) -> bool:
    text = str(value)
    return "*" not in text and "?" not in text and not text.endswith("/0")


def _pinned(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, keys in condition.items():
        base = str(operator).split(":")[-1].removesuffix("IfExists")
        if base not in _PINNING_OPERATORS or str(operator).endswith("IfExists"):
            continue
        for key, values in (keys or {}).items():
            if key.lower() in _PINNING_KEYS and all(_fixed(v) for v in _as_list(values)):
                return True
    return False


def _wildcard_principal(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any("*" in str(v) for v in _as_list(principal.get("AWS", [])))


def public_statement(statement: dict[str, Any]) -> bool:
    """Whether one statement of a bucket policy grants access to the public."""
    return (
        statement.get("Effect") == "Allow"
        and _wildcard_principal(statement)
        and not _pinned(statement.get("Condition"))
    )


def _statements(policy: str) -> list[dict[str, Any]]:
    document = json.loads(policy)
    return [s for s in _as_list(document.get("Statement", [])) if isinstance(s, dict)]


def is_public(policy: str) -> bool:
    """Whether a (valid) bucket policy grants access to the public."""
    return any(public_statement(s) for s in _statements(policy))


def restricted(policy: str, owner: str) -> str:
    """The policy as RestrictPublicBuckets leaves it: public grants only to the owner's account.

    A public statement cannot already pin `aws:PrincipalAccount` (that would make it
    non-public), so adding the key never overwrites one the policy had.
    """
    document = json.loads(policy)
    statements = []
    for statement in _statements(policy):
        if public_statement(statement):
            condition = dict(statement.get("Condition") or {})
            pinned = dict(condition.get("StringEquals") or {})
            pinned["aws:PrincipalAccount"] = owner
            condition["StringEquals"] = pinned
            statement = {**statement, "Condition": condition}
        statements.append(statement)
    document["Statement"] = statements
    return json.dumps(document)
