"""Condition operators, evaluated as IAM documents them.

- Several values for one key are OR'ed; several keys, and several operators, are AND'ed.
- A key missing from the request fails a positive operator and satisfies a negated one;
  `…IfExists` makes a missing key pass; `Null` tests presence.
- `ForAnyValue:` needs one request value to match; `ForAllValues:` needs every request
  value to match (and passes when the key is missing).
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .matching import Unresolved, glob_match, resource_matches, substitute_literal

Lookup = Callable[[str], Sequence[str] | None]

NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
    "ArnNotEquals",
    "ArnNotLike",
}


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> datetime | None:
    text = str(value)
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _bool(value: Any) -> str:
    return str(value).lower()


def _ip_in(request: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(request) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _compare(base: str, request: str, policy: Any) -> bool:
    """Whether one request value satisfies one policy value for the positive operator."""
    if base in ("StringEquals", "StringNotEquals"):
        return request == str(policy)
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return request.lower() == str(policy).lower()
    if base in ("StringLike", "StringNotLike"):
        return glob_match(str(policy), request)
    if base.startswith("Numeric"):
        left, right = _number(request), _number(policy)
        if left is None or right is None:
            return False
        return _order(base.removeprefix("Numeric"), left, right)
    if base.startswith("Date"):
        left_date, right_date = _date(request), _date(policy)
        if left_date is None or right_date is None:
            return False
        return _order(base.removeprefix("Date"), left_date.timestamp(), right_date.timestamp())
    if base == "Bool":
        return _bool(request) == _bool(policy)
    if base == "BinaryEquals":
        try:
            return base64.b64decode(str(policy)) == base64.b64decode(request)
        except ValueError:
            return request == str(policy)
    if base in ("IpAddress", "NotIpAddress"):
        return _ip_in(request, str(policy))
    if base in ("ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"):
        return request.count(":") >= 5 and resource_matches(str(policy), request)
    raise ValueError(f"unknown condition operator {base}")


def _order(kind: str, left: float, right: float) -> bool:
    return {
        "Equals": left == right,
        "NotEquals": left == right,  # negation is applied by the caller
        "LessThan": left < right,
        "LessThanEquals": left <= right,
        "GreaterThan": left > right,
        "GreaterThanEquals": left >= right,
    }[kind]


def _split(operator: str) -> tuple[str | None, str, bool]:
    qualifier = None
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if operator.startswith(prefix):
            qualifier = prefix[:-1]
            operator = operator[len(prefix) :]
    if_exists = operator.endswith("IfExists")
    return qualifier, operator.removesuffix("IfExists"), if_exists


def _policy_values(values: Sequence[Any], lookup: Lookup, variables: bool) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if variables and isinstance(value, str) and "${" in value:
            try:
                value = substitute_literal(value, lookup)
            except Unresolved:
                continue  # an unresolved variable matches nothing
        out.append(value)
    return out


def key_matches(
    operator: str, key: str, values: Sequence[Any], lookup: Lookup, *, variables: bool = True
) -> bool:
    """Whether one key of one operator is satisfied by the request."""
    qualifier, base, if_exists = _split(operator)
    present = lookup(key)
    if base == "Null":
        wanted_absent = _bool(values[0]) == "true" if values else True
        return (present is None or len(present) == 0) == wanted_absent
    policy_values = _policy_values(values, lookup, variables)
    negated = base in NEGATED
    if present is None or len(present) == 0:
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return True if if_exists else negated

    def one(request_value: str) -> bool:
        hit = any(_compare(base, str(request_value), p) for p in policy_values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in present)
    if qualifier == "ForAnyValue":
        return any(one(v) for v in present)
    if negated:
        return all(one(v) for v in present)
    return any(one(v) for v in present)


def conditions_match(
    conditions: Mapping[str, Mapping[str, Sequence[Any]]], lookup: Lookup, *, variables: bool = True
) -> bool:
    """Whether every operator and every key of a Condition block is satisfied."""
    return all(
        key_matches(operator, key, values, lookup, variables=variables)
        for operator, block in conditions.items()
        for key, values in block.items()
    )
