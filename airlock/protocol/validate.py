"""Input-shape validation with AWS's (Coral's) wording.

Messages look like "Value 'x' at 'name' failed to satisfy constraint: Member
must have length less than or equal to 128"; members are named by a path of
lowerCamelCase names with 1-based `.member` list indexes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from airlock.core.errors import Problem

MAX_PROBLEMS = 10

# Java regex property classes botocore patterns use, as class contents for `re`.
_JAVA_CLASSES = {
    "L": "a-zA-Z\\u00c0-\\u024f\\u0370-\\u03ff\\u0400-\\u04ff\\u4e00-\\u9fff",
    "N": "0-9",
    "Z": " \\u00a0\\u2000-\\u200a\\u2028\\u2029\\u3000",
    "M": "\\u0300-\\u036f",
    "S": "$+<=>^`|~\\u00a2-\\u00a9\\u00ac\\u00ae-\\u00b1\\u00b4\\u00d7\\u00f7",
    "P": "!-#%-*,-/:;?@\\[-\\]_{}\\u00a1\\u00a7\\u00ab\\u00b6\\u00b7\\u00bb\\u00bf",
    "Punct": "!-/:-@\\[-`{-~",
    "Alnum": "a-zA-Z0-9",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Print": "\\x20-\\x7e",
    "Graph": "\\x21-\\x7e",
    "ASCII": "\\x00-\\x7f",
    "XDigit": "0-9a-fA-F",
    "Lower": "a-z",
    "Upper": "A-Z",
    "Space": " \\t\\n\\x0b\\f\\r",
}
_PROPERTY = re.compile(r"\\p\{(\w+)\}")
_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)
# Java accepts a quantifier on `$` (as in `(...)${1,128}`); Python does not.
_QUANTIFIED_END = re.compile(r"\$\{\d+(,\d*)?\}")


def _code_point(match: re.Match[str]) -> str:
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"


def _translate(pattern: str) -> str:
    pattern = _SURROGATE_PAIR.sub(_code_point, pattern)
    pattern = _QUANTIFIED_END.sub("$", pattern)
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            found = _PROPERTY.match(pattern, i)
            if found:
                body = _JAVA_CLASSES.get(found.group(1))
                if body is None:
                    raise re.error(f"unknown property {found.group(1)}")
                out.append(body if in_class else f"[{body}]")
                i = found.end()
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


@cache
def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """The pattern as a Python regex, or None if it cannot be translated."""
    try:
        return re.compile(_translate(pattern))
    except re.error:
        return None


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    return str(value)


class _Validator:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, kind: str, path: str, value: Any, shape: Any, rule: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            return
        if value is None:
            shown = "Value null"
        elif (shape is not None and shape.serialization.get("sensitive")) or (
            shape is not None and shape.metadata.get("sensitive")
        ):
            shown = "Value"
        else:
            shown = f"Value '{_show(value)}'"
        text = f"{shown} at '{path}' failed to satisfy constraint: Member must {rule}"
        self.problems.append(Problem(kind, path, text))

    def structure(
        self, shape: Any, value: dict[str, Any], prefix: str, required: Sequence[str] = ()
    ) -> None:
        for name in [*shape.required_members, *required]:
            if value.get(name) is None:
                self.add("required", prefix + _camel(name), None, None, "not be null")
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                self.value(member, value[name], prefix + _camel(name))

    def value(self, shape: Any, value: Any, path: str) -> None:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure" and isinstance(value, dict):
            self.structure(shape, value, path + ".")
        elif kind == "list" and isinstance(value, list):
            self._size(shape, value, len(value), path)
            for index, item in enumerate(value, start=1):
                if item is not None:
                    self.value(shape.member, item, f"{path}.{index}.member")
        elif kind == "map" and isinstance(value, dict):
            self._size(shape, value, len(value), path)
            for key, item in value.items():
                self.value(shape.key, key, f"{path}.entry.key")
                if item is not None:
                    self.value(shape.value, item, f"{path}.entry.value")
        elif kind == "string" and isinstance(value, str):
            self._size(shape, value, len(value), path)
            enum = meta.get("enum")
            if enum and value not in enum:
                self.add("enum", path, value, shape, f"satisfy enum value set: [{', '.join(enum)}]")
            pattern = meta.get("pattern")
            if pattern:
                compiled = compile_pattern(pattern)
                if compiled is not None and compiled.fullmatch(value) is None:
                    self.add(
                        "pattern",
                        path,
                        value,
                        shape,
                        f"satisfy regular expression pattern: {pattern}",
                    )
        elif kind == "blob" and isinstance(value, bytes | bytearray):
            self._size(shape, value, len(value), path)
        elif kind in ("integer", "long", "float", "double") and isinstance(value, int | float):
            if "min" in meta and value < meta["min"]:
                self.add(
                    "min_value",
                    path,
                    value,
                    shape,
                    f"have value greater than or equal to {meta['min']}",
                )
            if "max" in meta and value > meta["max"]:
                self.add(
                    "max_value",
                    path,
                    value,
                    shape,
                    f"have value less than or equal to {meta['max']}",
                )

    def _size(self, shape: Any, value: Any, size: int, path: str) -> None:
        meta = shape.metadata
        if "min" in meta and size < meta["min"]:
            self.add(
                "min_length",
                path,
                value,
                shape,
                f"have length greater than or equal to {meta['min']}",
            )
        if "max" in meta and size > meta["max"]:
            self.add(
                "max_length",
                path,
                value,
                shape,
                f"have length less than or equal to {meta['max']}",
            )


def validate(shape: Any, params: dict[str, Any], required: Sequence[str] = ()) -> list[Problem]:
    """Every constraint of `shape` that `params` violates (at most MAX_PROBLEMS).

    `required` names further top-level members that must be present.
    """
    if shape is None:
        return []
    validator = _Validator()
    extra = [name for name in required if name not in shape.required_members]
    validator.structure(shape, params, "", extra)
    return validator.problems
