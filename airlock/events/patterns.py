"""EventBridge event patterns: compiled once, matched against flattened events.

A pattern compiles to alternatives (one per combination of `$or` branches), each
a list of (field path, matchers) conditions: every condition must hold, and a
condition holds when one of its matchers accepts one of the field's values.
Paths join keys with dots on both sides, so `{"a": {"b": [...]}}` and
`{"a.b": [...]}` name the same field, in patterns and in events alike. An event
is flattened once (path → leaf values, arrays spread) and shared by every rule.

Matching is array-consistent, as in AWS's event-ruler (`rulesForJSONEvent`):
every leaf remembers which element of each enclosing array it sits in, and the
leaves one alternative matches must not come from different elements of the
same array. So `{"Tags": {"Key": ["a"], "Value": ["b"]}}` needs one tag with
both; conditions whose leaves share no array stay independent.
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from airlock.core.documents import load_json

Value = Any  # a JSON leaf: str, int, float, bool or None
# The array elements a leaf sits in: (array id, index) for each enclosing array whose
# element is an object or an array. A scalar right inside an array pins no element
# (event-ruler's rule), so `{"resources": ["x"]}` still matches any of the resources.
Membership = tuple[tuple[int, int], ...]
Flat = dict[str, list[tuple[Value, Membership]]]
# The elements a match has chosen so far, as (array id, index) pairs.
Pins = frozenset[tuple[int, int]]
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
    # `exists: false` holds when the field has no value (in the elements chosen so far).
    absent: bool = False


Condition = tuple[str, list[Matcher]]


@dataclass
class CompiledPattern:
    """A pattern ready to match: alternatives of conditions, each sorted by path."""

    alternatives: list[list[Condition]] = field(default_factory=list)

    def matches(self, event: dict[str, Any] | Flat, *, flat: bool = False) -> bool:
        """Whether the event (or an already flattened one) matches."""
        values: Flat = event if flat else flatten(event)
        return any(_holds(conditions, values) for conditions in self.alternatives)


def _holds(conditions: list[Condition], values: Flat) -> bool:
    """Whether every condition holds with leaves that agree on the array elements they share.

    The conditions are tried in path order, as event-ruler walks a rule's fields, which
    matters only for `exists: false`: it looks at the elements the conditions before it
    have chosen (none yet: the field must be absent from every element).
    """
    # The arrays the leaves of conditions i.. sit in: a pin outside them can no longer
    # matter, so dropping it lets choices that differ only there merge into one (no
    # cross product over sibling arrays).
    later: list[set[int]] = [set() for _ in range(len(conditions) + 1)]
    for index in range(len(conditions) - 1, -1, -1):
        leaves = values.get(conditions[index][0], [])
        later[index] = later[index + 1] | {array for _, m in leaves for array, _ in m}
    failed: set[tuple[int, Pins]] = set()

    def search(index: int, pins: Pins) -> bool:
        if index == len(conditions):
            return True
        if (index, pins) in failed:
            return False
        path, matchers = conditions[index]
        for chosen in _choices(values.get(path, []), matchers, dict(pins), later[index + 1]):
            if search(index + 1, chosen):
                return True
        failed.add((index, pins))
        return False

    return search(0, frozenset())


def _choices(
    leaves: list[tuple[Value, Membership]],
    matchers: list[Matcher],
    pins: dict[int, int],
    keep: set[int],
) -> set[Pins]:
    """The pins after each way this condition can hold, kept to the arrays in `keep`."""
    out: set[Pins] = set()
    for matcher in matchers:
        if matcher.absent:
            if not any(_agrees(pins, membership) for _, membership in leaves):
                out.add(frozenset((a, i) for a, i in pins.items() if a in keep))
            continue
        for value, membership in leaves:
            if _agrees(pins, membership) and matcher.test(value):
                merged = {**pins, **dict(membership)}
                out.add(frozenset((a, i) for a, i in merged.items() if a in keep))
    return out


def _agrees(pins: dict[int, int], membership: Membership) -> bool:
    return all(pins.get(array, index) == index for array, index in membership)


def flatten(event: Any) -> Flat:
    """Every leaf of an event by its dotted path (arrays spread), with the elements it sits in."""
    out: Flat = {}
    _flatten(event, "", (), out, itertools.count())
    return out


def _flatten(
    value: Any, path: str, membership: Membership, out: Flat, arrays: Iterator[int]
) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else key, membership, out, arrays)
    elif isinstance(value, list):
        array = next(arrays)
        for index, item in enumerate(value):
            inner = (*membership, (array, index)) if isinstance(item, dict | list) else membership
            _flatten(item, path, inner, out, arrays)
    else:
        out.setdefault(path, []).append((value, membership))


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
    # Sorted by path because that is the order `exists: false` is judged in (see _holds).
    alternatives = [sorted(a, key=lambda c: c[0]) for a in _object(document, "")]
    return CompiledPattern(alternatives)


def _object(document: dict[str, Any], prefix: str) -> list[list[Condition]]:
    alternatives: list[list[Condition]] = [[]]
    for key, value in document.items():
        path = f"{prefix}.{key}" if prefix else key
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise _reason("Value of $or must be an array of at least two objects")
            branches: list[list[Condition]] = []
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
