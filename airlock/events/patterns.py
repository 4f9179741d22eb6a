"""EventBridge event patterns: compiled once, matched against flattened events.

A pattern compiles to alternatives (one per combination of `$or` branches), each
a list of (field path, matchers) conditions: every condition must hold, and a
condition holds when one of its matchers accepts one of the field's values.
Paths join keys with dots on both sides, so `{"a": {"b": [...]}}` and
`{"a.b": [...]}` name the same field, in patterns and in events alike. An event
is flattened once (path → leaf values, arrays spread) and shared by every rule.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from airlock.core.documents import load_json

Value = Any  # a JSON leaf: str, int, float, bool or None
Flat = dict[str, list[Value]]
MAX_WILDCARDS = 5


class InvalidPattern(ValueError):
    """A pattern EventBridge would refuse; the message is AWS's reason."""


def _reason(text: str) -> InvalidPattern:
    return InvalidPattern(f"Event pattern is not valid. Reason: {text}")


def _is_number(value: Value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Matcher:
    """One entry of a field's matcher list."""

    test: Callable[[Value], bool]
    # `exists: false` holds when the field has no value at all.
    absent: bool = False
    # Matchers that hold only for a field that is present (`exists: true`, anything-but…).
    on_missing: bool = False


@dataclass
class CompiledPattern:
    """A pattern ready to match: alternatives of conditions."""

    alternatives: list[list[tuple[str, list[Matcher]]]] = field(default_factory=list)

    def matches(self, event: dict[str, Any] | Flat, *, flat: bool = False) -> bool:
        """Whether the event (or an already flattened one) matches."""
        values: Flat = event if flat else flatten(event)
        return any(
            all(_condition(values.get(path), matchers) for path, matchers in conditions)
            for conditions in self.alternatives
        )


def _condition(values: list[Value] | None, matchers: list[Matcher]) -> bool:
    for matcher in matchers:
        if not values:
            if matcher.absent:
                return True
            continue
        if matcher.absent:
            continue
        if any(matcher.test(value) for value in values):
            return True
    return False


def flatten(event: Any) -> Flat:
    """Every leaf value of an event by its dotted path (array elements spread)."""
    out: Flat = {}
    _flatten(event, "", out)
    return out


def _flatten(value: Any, path: str, out: Flat) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else key, out)
    elif isinstance(value, list):
        for item in value:
            _flatten(item, path, out)
    else:
        out.setdefault(path, []).append(value)


def compile_pattern(text: str | dict[str, Any]) -> CompiledPattern:
    """Parse and validate a pattern (JSON text or object); InvalidPattern if AWS would refuse it."""
    if isinstance(text, str):
        try:
            document = load_json(text)
        except ValueError as error:
            raise _reason(f"Filter is not valid JSON: {error}") from error
    else:
        document = text
    if not isinstance(document, dict):
        raise _reason("Filter is not an object")
    return CompiledPattern(_object(document, ""))


def _object(document: dict[str, Any], prefix: str) -> list[list[tuple[str, list[Matcher]]]]:
    alternatives: list[list[tuple[str, list[Matcher]]]] = [[]]
    for key, value in document.items():
        path = f"{prefix}.{key}" if prefix else key
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise _reason("Value of $or must be an array of at least two objects")
            branches: list[list[tuple[str, list[Matcher]]]] = []
            for branch in value:
                if not isinstance(branch, dict):
                    raise _reason("Value of $or must be an array of objects")
                branches += _object(branch, prefix)
            alternatives = [a + b for a in alternatives for b in branches]
        elif isinstance(value, dict):
            nested = _object(value, path)
            alternatives = [a + b for a in alternatives for b in nested]
        elif isinstance(value, list):
            if not value:
                raise _reason("Empty arrays are not allowed")
            matchers = [_matcher(item) for item in value]
            alternatives = [[*a, (path, matchers)] for a in alternatives]
        else:
            raise _reason(f'"{key}" must be an object or an array')
    return alternatives


def _exact(expected: Value) -> Matcher:
    if expected is None:
        return Matcher(lambda v: v is None)
    if isinstance(expected, bool):
        return Matcher(lambda v: isinstance(v, bool) and v is expected)
    if _is_number(expected):
        return Matcher(lambda v: _is_number(v) and math.isclose(v, expected, rel_tol=1e-9))
    return Matcher(lambda v: isinstance(v, str) and v == expected)


def _matcher(item: Any) -> Matcher:
    if not isinstance(item, dict):
        if isinstance(item, list):
            raise _reason("Nested arrays are not allowed")
        return _exact(item)
    if len(item) != 1:
        raise _reason("A match expression must have exactly one key")
    ((kind, operand),) = item.items()
    build = _BUILDERS.get(kind)
    if build is None:
        raise _reason(f"Unrecognized match type {kind}")
    return build(operand)


def _string(kind: str, operand: Any) -> str:
    if not isinstance(operand, str):
        raise _reason(f"{kind} match pattern must be a string")
    return operand


def _prefix_or_suffix(kind: str, operand: Any) -> Matcher:
    folded = False
    if isinstance(operand, dict):
        if list(operand) != ["equals-ignore-case"]:
            raise _reason(f"Unsupported {kind} pattern: {json.dumps(operand)}")
        operand = _string(f"{kind}/equals-ignore-case", operand["equals-ignore-case"])
        folded = True
    text = _string(kind, operand)
    wanted = text.casefold() if folded else text

    def test(value: Value) -> bool:
        if not isinstance(value, str):
            return False
        subject = value.casefold() if folded else value
        return subject.startswith(wanted) if kind == "prefix" else subject.endswith(wanted)

    return Matcher(test)


def _equals_ignore_case(operand: Any) -> Matcher:
    wanted = _string("equals-ignore-case", operand).casefold()
    return Matcher(lambda v: isinstance(v, str) and v.casefold() == wanted)


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """The regex of a wildcard pattern (`*` any run of characters, `\\*` a star)."""
    if "**" in pattern:
        raise _reason(f"Consecutive wildcard characters at pos {pattern.index('**') + 1}")
    if pattern.count("*") > MAX_WILDCARDS:
        raise _reason(
            "Rule is too complex - try using fewer wildcard characters or fewer repeating "
            "character sequences after a wildcard character"
        )
    parts = re.split(r"(?<!\\)\*", pattern)
    return re.compile(".*".join(re.escape(p.replace("\\*", "*")) for p in parts), re.DOTALL)


def _wildcard(operand: Any) -> Matcher:
    regex = wildcard_regex(_string("wildcard", operand))
    return Matcher(lambda v: isinstance(v, str) and regex.fullmatch(v) is not None)


def _anything_but(operand: Any) -> Matcher:
    inner: list[Matcher]
    if isinstance(operand, dict):
        if len(operand) != 1:
            raise _reason("Value of anything-but must be an array or single string/number value.")
        ((kind, value),) = operand.items()
        values = value if isinstance(value, list) else [value]
        if kind in ("prefix", "suffix"):
            if isinstance(value, list) and not value:
                raise _reason("Empty arrays are not allowed")
            if isinstance(value, dict):
                raise _reason(
                    "Value of anything-but must be an array or single string/number value."
                )
            for v in values:
                _string("prefix/suffix", v)
                if v == "":
                    raise _reason("Null prefix/suffix not allowed")
            inner = [_prefix_or_suffix(kind, v) for v in values]
        elif kind == "equals-ignore-case":
            if not all(isinstance(v, str) for v in values):
                raise _reason(
                    "Inside anything-but/equals-ignore-case list, "
                    "number|start|null|boolean is not supported."
                )
            inner = [_equals_ignore_case(v) for v in values]
        elif kind == "wildcard":
            inner = [_wildcard(v) for v in values]
        else:
            raise _reason(f"Unsupported anything-but pattern: {kind}")
    else:
        values = operand if isinstance(operand, list) else [operand]
        for value in values:
            if value is None or isinstance(value, bool | dict | list):
                raise _reason(
                    "Inside anything but list, start|null|boolean is not supported."
                    if isinstance(operand, list)
                    else "Value of anything-but must be an array or single string/number value."
                )
        inner = [_exact(v) for v in values]
    return Matcher(lambda v: not any(m.test(v) for m in inner))


_LOWER = (">", ">=")
_UPPER = ("<", "<=")


def _equal(bound: float, value: float) -> bool:
    return math.isclose(value, bound, rel_tol=1e-9)


def _compare(op: str, bound: float, value: float) -> bool:
    if op == ">":
        return value > bound
    if op == ">=":
        return value >= bound
    if op == "<":
        return value < bound
    return value <= bound


def _numeric(operand: Any) -> Matcher:
    if not isinstance(operand, list) or not operand:
        raise _reason("Value of numeric must be an array.")
    checks: list[Callable[[float], bool]] = []
    allowed = (*_LOWER, *_UPPER, "=")
    seen_lower = seen_upper = False
    for index in range(0, len(operand), 2):
        op = operand[index]
        if not isinstance(op, str) or op not in allowed:
            raise _reason(f"Unrecognized numeric range operator: {op}")
        if index + 1 >= len(operand) or not _is_number(operand[index + 1]):
            raise _reason(f"Value of {op} must be numeric")
        bound = float(operand[index + 1])
        if op == "=":
            if len(operand) != 2:
                raise _reason("Bad numeric range operator: =")
            checks.append(functools.partial(_equal, bound))
            continue
        if (op in _LOWER and (seen_lower or seen_upper)) or (op in _UPPER and seen_upper):
            raise _reason(f"Bad numeric range operator: {op}")
        seen_lower |= op in _LOWER
        seen_upper |= op in _UPPER
        checks.append(functools.partial(_compare, op, bound))
    return Matcher(lambda v: _is_number(v) and all(check(float(v)) for check in checks))


def _exists(operand: Any) -> Matcher:
    if not isinstance(operand, bool):
        raise _reason("exists match pattern must be either true or false.")
    if operand:
        return Matcher(lambda v: True)
    return Matcher(lambda v: False, absent=True)


def _cidr(operand: Any) -> Matcher:
    # AWS's own wording for a cidr that is no string says "prefix".
    text = _string("prefix", operand)
    address, slash, bits = text.partition("/")
    if not slash or "/" in bits:
        raise _reason("Malformed CIDR, one '/' required")
    if not bits.isdigit():
        raise _reason("Malformed CIDR, mask bits must be an integer")
    try:
        network = ipaddress.ip_network(f"{ipaddress.ip_address(address)}/{bits}", strict=False)
    except ValueError as error:
        raise _reason(f"Nonstandard IP address: {address}") from error

    def test(value: Value) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return Matcher(test)


_BUILDERS: dict[str, Callable[[Any], Matcher]] = {
    "prefix": lambda operand: _prefix_or_suffix("prefix", operand),
    "suffix": lambda operand: _prefix_or_suffix("suffix", operand),
    "equals-ignore-case": _equals_ignore_case,
    "wildcard": _wildcard,
    "anything-but": _anything_but,
    "numeric": _numeric,
    "exists": _exists,
    "cidr": _cidr,
}
