"""Wildcards, ARNs and policy variables, as IAM matches them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "\x00":  # a literal `*` that came from a policy variable
            parts.append(r"\*")
        elif char == "\x01":  # a literal `?`
            parts.append(r"\?")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """`*` matches any run of characters, `?` any one character."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """Actions compare case-insensitively (`S3:get*` matches `s3:GetObject`)."""
    return glob_match(pattern, action, ignore_case=True)


class Unresolved(Exception):
    """A policy variable with no value in the request (the element does not match)."""


def substitute(text: str, lookup: Callable[[str], Sequence[str] | None]) -> str:
    """Replace `${key}` variables (and `${*}`, `${?}`, `${$}`) with request values."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if inner in ("*", "?", "$"):
            return inner
        key, _, default = inner.partition(",")
        values = lookup(key.strip())
        if values:
            return str(values[0])
        default = default.strip()
        if default.startswith("'") and default.endswith("'") and len(default) >= 2:
            return default[1:-1]
        raise Unresolved(key)

    return _VARIABLE.sub(replace, text)


def resource_matches(
    pattern: str,
    resource: str,
    lookup: Callable[[str], Sequence[str] | None] | None = None,
) -> bool:
    """Resources compare case-sensitively, segment by segment for ARNs."""
    if lookup is not None and "${" in pattern:
        try:
            pattern = substitute_literal(pattern, lookup)
        except Unresolved:
            return False
    if pattern == "*":
        return True
    if not pattern.startswith("arn:"):
        return glob_match(pattern, resource)
    pattern_parts = pattern.split(":", 5)
    resource_parts = resource.split(":", 5)
    if len(pattern_parts) != 6 or len(resource_parts) != 6:
        return glob_match(pattern, resource)
    return all(glob_match(p, r) for p, r in zip(pattern_parts, resource_parts, strict=True))


def substitute_literal(text: str, lookup: Callable[[str], Sequence[str] | None]) -> str:
    """Like `substitute`, but values coming from the request match literally.

    A user named `a*` must not turn `${aws:username}` into a wildcard, while
    `${*}` stands for a literal asterisk.
    """
    out: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        out.append(text[position : match.start()])
        value = substitute(match.group(0), lookup)
        out.append(value.replace("*", "\x00").replace("?", "\x01"))
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def principal_matches(
    block: Mapping[str, Sequence[str]],
    caller_ids: Sequence[str],
    service: str | None,
) -> bool:
    """Whether a Principal block names the caller.

    `caller_ids` are the forms that identify the caller: its ARN, its account
    id, `arn:aws:iam::ACCOUNT:root`, and for a role session the role's ARN.
    """
    for kind, names in block.items():
        for name in names:
            if kind == "AWS":
                if name == "*" or name in caller_ids:
                    return True
            elif kind == "Service" and service is not None and name == service:
                return True
    return False
