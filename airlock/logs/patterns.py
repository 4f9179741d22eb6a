"""CloudWatch Logs filter patterns: terms, phrases, `?` alternatives, `-` exclusions, JSON.

- `ERROR Exception`: both terms appear (case-sensitive).
- `"connection reset"`: the exact phrase appears.
- `?ERROR ?WARN`: at least one of the alternatives appears.
- `ERROR -Retrying`: ERROR appears and Retrying does not.
- `{ $.level = "error" && $.latency > 100 }`: a JSON event whose fields satisfy the
  comparisons (`=`, `!=`, `<`, `<=`, `>`, `>=`, `*` wildcards in strings, `IS NULL`,
  `NOT EXISTS`, `IS TRUE`, `IS FALSE`), joined by `&&` and `||`.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from typing import Any

from airlock.core.documents import load_json
from airlock.core.errors import ClientFault

Matcher = Callable[[str], bool]


class InvalidFilterPattern(ClientFault):
    """`InvalidParameterException` for a pattern that does not parse."""

    code = "InvalidParameterException"


_COMPARISON = re.compile(
    r"^\s*\$(?P<path>(?:\.[A-Za-z0-9_\-]+|\[\d+\])*)\s*"
    r"(?:(?P<op>=|!=|<=|>=|<|>)\s*(?P<value>\"(?:[^\"\\]|\\.)*\"|[^\s)]+)"
    r"|(?P<test>IS NULL|NOT EXISTS|IS TRUE|IS FALSE))\s*$"
)


def compile_pattern(pattern: str | None) -> Matcher:
    """A predicate over log messages; InvalidFilterPattern if the pattern is malformed."""
    text = (pattern or "").strip()
    if not text:
        return lambda message: True
    if text.startswith("{"):
        return _json_matcher(text)
    return _term_matcher(text)


def _term_matcher(text: str) -> Matcher:
    try:
        tokens = shlex.split(text, posix=True)
    except ValueError as error:
        raise InvalidFilterPattern(f"Invalid filter pattern: {text}") from error
    required = [t for t in tokens if not t.startswith(("?", "-")) or len(t) == 1]
    optional = [t[1:] for t in tokens if t.startswith("?") and len(t) > 1]
    excluded = [t[1:] for t in tokens if t.startswith("-") and len(t) > 1]

    def match(message: str) -> bool:
        if any(term in message for term in excluded):
            return False
        if not all(term in message for term in required):
            return False
        return not optional or any(term in message for term in optional)

    return match


def _lookup(document: Any, path: str) -> tuple[bool, Any]:
    current = document
    for part in re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]", path):
        key, index = part
        if key and isinstance(current, dict) and key in current:
            current = current[key]
        elif index and isinstance(current, list) and int(index) < len(current):
            current = current[int(index)]
        else:
            return False, None
    return True, current


def _comparison(clause: str) -> Callable[[Any], bool]:
    found = _COMPARISON.match(clause)
    if found is None:
        raise InvalidFilterPattern(f"Invalid filter pattern clause: {clause.strip()}")
    path, op, raw, test = found["path"], found["op"], found["value"], found["test"]

    def check(document: Any) -> bool:
        present, value = _lookup(document, path)
        if test == "NOT EXISTS":
            return not present
        if test == "IS NULL":
            return present and value is None
        if test in ("IS TRUE", "IS FALSE"):
            return present and value is (test == "IS TRUE")
        if not present:
            return False
        if raw.startswith('"'):
            wanted = json.loads(raw)
            regex = "^" + ".*".join(re.escape(p) for p in wanted.split("*")) + "$"
            hit = isinstance(value, str) and re.match(regex, value, re.DOTALL) is not None
            return hit if op == "=" else (not hit if op == "!=" else False)
        try:
            number = float(raw)
        except ValueError:
            return False
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        return {
            "=": value == number,
            "!=": value != number,
            "<": value < number,
            "<=": value <= number,
            ">": value > number,
            ">=": value >= number,
        }[op]

    return check


def _json_matcher(text: str) -> Matcher:
    if not text.endswith("}"):
        raise InvalidFilterPattern(f"Invalid filter pattern: {text}")
    body = text[1:-1].strip().replace("(", " ").replace(")", " ")
    alternatives = [
        [_comparison(clause) for clause in part.split("&&")] for part in body.split("||")
    ]

    def match(message: str) -> bool:
        try:
            document = load_json(message)
        except ValueError:  # a line that is not JSON (or nests too deeply) matches nothing
            return False
        return any(all(check(document) for check in group) for group in alternatives)

    return match
