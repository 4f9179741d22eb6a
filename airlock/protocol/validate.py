"""Input-shape validation with AWS's (Coral's) wording.

Messages look like "Value 'x' at 'name' failed to satisfy constraint: Member
must have length less than or equal to 128"; members are named by a path of
lowerCamelCase names with 1-based `.member` list indexes.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from airlock.core.errors import Problem

MAX_PROBLEMS = 10

# Java regex classes botocore patterns use that Python's `re` lacks.
_JAVA_CLASSES = {
    r"\p{L}": r"^\W\d_",
    r"\p{N}": r"\d",
    r"\p{Z}": r"\s",
    r"\p{M}": r"\u0300-\u036f",
    r"\p{P}": r"!-/:-@\[-`{-~",
    r"\p{Punct}": r"!-/:-@\[-`{-~",
    r"\p{Alnum}": r"a-zA-Z0-9",
    r"\p{Alpha}": r"a-zA-Z",
    r"\p{Print}": r"\x20-\x7e",
    r"\p{Graph}": r"\x21-\x7e",
    r"\p{ASCII}": r"\x00-\x7f",
    r"\p{XDigit}": r"0-9a-fA-F",
    r"\p{Lower}": r"a-z",
    r"\p{Upper}": r"A-Z",
}


@cache
def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """The pattern as a Python regex, or None if it cannot be translated."""
    translated = pattern
    for java, python in _JAVA_CLASSES.items():
        if java == r"\p{L}":
            # A letter: inside a class it cannot be negated, so approximate.
            translated = translated.replace(java, r"a-zA-Z\u00c0-\uffff")
        else:
            translated = translated.replace(java, python)
    try:
        return re.compile(translated)
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

    def structure(self, shape: Any, value: dict[str, Any], prefix: str) -> None:
        for name in shape.required_members:
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


def validate(shape: Any, params: dict[str, Any]) -> list[Problem]:
    """Every constraint of `shape` that `params` violates (at most MAX_PROBLEMS)."""
    if shape is None:
        return []
    validator = _Validator()
    validator.structure(shape, params, "")
    return validator.problems
