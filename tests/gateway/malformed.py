"""Malformed inputs for an operation, generated from its botocore input shape.

Each case is a plausible input (every required member set to a value that fits
its shape, pattern and length where a simple candidate does) with exactly one
fault in it, so the fault reaches as deep into the operation as it can: a member
of the wrong type, an empty, huge or odd string, an out-of-range number, a list
of the wrong element type, a nested structure missing its required members.
The first case of every operation is `{}` (every required member missing).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from airlock.protocol import protocol_of
from airlock.protocol.validate import compile_pattern

HUGE = "x" * (100 * 1024)
TRAVERSAL = "../../../etc/passwd%00/..;/\\..\\%2e%2e/"
ODD = "\x00\x01\x1b[31m\x7f\u202e\ufeff\U0001f4a9 'q\"<x>&amp;]]>"
DEEP = "[" * 2000 + "]" * 2000  # JSON nested past the parser's stack
# Members whose string is a JSON document (a policy, a pattern, an event, a definition).
JSON_TEXT = ("policy", "document", "pattern", "definition", "detail", "event", "content")
FOREIGN_ACCOUNT = "000000000000"  # an account no test server has
MAX_DEPTH = 4
# Python's own parse of a pattern, to write a string it matches (typeshed has no stubs
# for these modules; the public `sre_parse` warns that it is deprecated).
sre: Any = importlib.import_module("re._constants")
sre_parse: Any = importlib.import_module("re._parser")


@dataclass(frozen=True)
class Case:
    """One malformed input: what is wrong with it, and the params to send."""

    label: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Raw:
    """A value botocore will not serialize for its shape (a string for a structure).

    The params carry `stand_in` in its place, and the JSON body sent carries `value`
    (see `stand_ins`), so a JSON service receives the wrong type itself.
    """

    value: Any
    stand_in: Any


WIRE_LOCATIONS = ("uri", "querystring", "header", "headers")


class Values:
    """Plausible and wrong values for an operation's members, ARNs naming the caller."""

    def __init__(self, model: Any, account_id: str, region: str) -> None:
        self.service = model.endpoint_prefix
        self.json = protocol_of(model) in ("json", "rest-json")
        self.account_id = account_id
        self.region = region

    def _strings(self, name: str) -> Iterator[str]:
        """Candidates for a string, the most specific first."""
        arn = f"arn:aws:{self.service}:{self.region}:{self.account_id}"
        lowered = name.lower()
        if "arn" in lowered:
            if "role" in lowered:
                yield f"arn:aws:iam::{self.account_id}:role/fuzz"
            yield f"{arn}:fuzz/fuzz"
            yield f"arn:aws:iam::{self.account_id}:policy/fuzz"
        if "account" in lowered:
            yield self.account_id
        if "email" in lowered:
            yield "fuzz@example.com"
        if "url" in lowered or "uri" in lowered:
            yield "s3://fuzz/fuzz"
        yield from ("fuzz", "fuzz-1", "Fuzz1", "1", "a", "/", "/fuzz/", "s3://fuzz/fuzz", "{}")

    def string(self, shape: Any, name: str) -> str:
        """A string that satisfies the shape's enum, pattern and length if one of ours can."""
        meta = shape.metadata
        if meta.get("enum"):
            return str(meta["enum"][0])
        low, high = meta.get("min", 0), meta.get("max", 10**9)
        pattern = compile_pattern(meta["pattern"]) if meta.get("pattern") else None
        generated = [example(pattern)] if pattern is not None else []
        for candidate in [*self._strings(name), *filter(None, generated)]:
            if len(candidate) < low:
                candidate = candidate + "a" * (low - len(candidate))
            if len(candidate) > high:
                continue
            if pattern is None or pattern.fullmatch(candidate):
                return candidate
        return "fuzz"[: max(high, 1)] if high < 4 else "fuzz"

    def plausible(self, shape: Any, name: str = "", depth: int = 0) -> Any:
        """A value of the right type for `shape`; structures get only their required members."""
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            if depth >= MAX_DEPTH:
                return {}
            return {
                member: self.plausible(shape.members[member], member, depth + 1)
                for member in shape.required_members
            }
        if kind == "list":
            count = max(meta.get("min", 1), 1)
            return [self.plausible(shape.member, name, depth + 1) for _ in range(count)]
        if kind == "map":
            return {"fuzz": self.plausible(shape.value, name, depth + 1)}
        if kind == "string":
            return self.string(shape, name)
        if kind in ("integer", "long"):
            return max(int(meta.get("min", 1)), 1)
        if kind in ("float", "double"):
            return float(max(meta.get("min", 1), 1))
        if kind == "boolean":
            return True
        if kind == "timestamp":
            return datetime(2020, 1, 1, tzinfo=UTC)
        if kind == "blob":
            return b"fuzz"
        return "fuzz"

    def _wrong(
        self, shape: Any, value: Any, name: str, depth: int, label: str = "wrong type"
    ) -> list[tuple[str, Any]]:
        """`value` in place of a `shape` botocore will not serialize it as, where the
        wire can carry it (a JSON body); nothing elsewhere."""
        if not self.json:
            return []
        return [(label, Raw(value, self.plausible(shape, name, depth)))]

    def faults(
        self, shape: Any, name: str, depth: int = 0, location: str | None = None
    ) -> list[tuple[str, Any]]:
        """The wrong values to try for a member of `shape`, the most telling first.

        In a URI, query string or header every value is a string, so there is no
        wrong type to send for a string there.
        """
        kind = shape.type_name
        if kind == "string":
            typed: list[tuple[str, Any]] = []
            if location not in WIRE_LOCATIONS:
                typed.append(("wrong type", [1, {"a": "b"}]))
            if any(word in name.lower() for word in JSON_TEXT):
                typed.insert(0, ("nested too deeply", DEEP))
            return [
                *typed,
                ("empty", ""),
                ("huge", HUGE),
                ("foreign account", f"arn:aws:{self.service}:{self.region}:{FOREIGN_ACCOUNT}:x/y"),
                ("traversal", TRAVERSAL),
                ("odd characters", ODD),
            ]
        if kind in ("integer", "long"):
            return [("wrong type", "NaN"), ("negative", -1), ("huge", 2**63), ("zero", 0)]
        if kind in ("float", "double"):
            return [("wrong type", "x"), ("negative", -1e308), ("not a number", float("nan"))]
        if kind == "boolean":
            return [("wrong type", "maybe")]
        if kind == "timestamp":
            return [
                *self._wrong(shape, "yesterday", name, depth),
                ("ancient", datetime(1, 1, 1, tzinfo=UTC)),
                *self._wrong(shape, -(10**12), name, depth, "negative"),
            ]
        if kind == "blob":
            return [
                *self._wrong(shape, 12345, name, depth),
                ("empty", b""),
                ("huge", HUGE.encode()),
            ]
        if kind == "list":
            element = shape.member
            faults: list[tuple[str, Any]] = [
                *self._wrong(shape, "not-a-list", name, depth),
                ("empty", []),
            ]
            if depth < MAX_DEPTH:
                faults += [
                    (f"element {label}", [value])
                    for label, value in self.faults(element, name, depth + 1)[:2]
                ]
            faults.append(("huge", [self.plausible(element, name, depth + 1)] * 1000))
            return faults
        if kind == "map":
            return [
                *self._wrong(shape, ["not", "a", "map"], name, depth),
                ("empty key", {"": self.plausible(shape.value, name, depth + 1)}),
                *[
                    ("wrong value type", {"fuzz": value})
                    for _, value in self._wrong(shape.value, {"a": [1]}, name, depth + 1)
                ],
                ("huge key", {HUGE: self.plausible(shape.value, name, depth + 1)}),
            ]
        if kind == "structure":
            faults = [*self._wrong(shape, "not-a-structure", name, depth), ("empty", {})]
            if depth < MAX_DEPTH:
                base = self.plausible(shape, name, depth)
                for member, inner in list(shape.members.items())[:6]:
                    for label, value in self.faults(inner, member, depth + 1)[:1]:
                        faults.append((f"{member} {label}", {**base, member: value}))
            return faults
        return [("wrong type", {"a": 1})]

    def cases(self, shape: Any, limit: int) -> list[Case]:
        """At most `limit` inputs for an operation's input shape, each malformed once.

        Members take turns (required members first) so that every member gets its
        most telling fault before any gets its second.
        """
        if shape is None:
            return [Case("{}", {})]
        base = self.plausible(shape)
        # No request can leave out a URI label: those stay in the "{}" case.
        labels = {m for m in base if shape.members[m].serialization.get("location") == "uri"}
        found = [Case("{}", {m: base[m] for m in labels})]
        required = list(shape.required_members)
        order = required + [m for m in shape.members if m not in required]
        per_member: dict[str, list[tuple[str, Any]]] = {}
        for m in order:
            location = shape.members[m].serialization.get("location")
            if shape.members[m].serialization.get("name", "").lower() == "content-length":
                # A length that is not the body's desynchronizes the connection: the
                # next request is read as the rest of this body (on any server).
                per_member[m] = []
                continue
            faults = self.faults(shape.members[m], m, location=location)
            if location in WIRE_LOCATIONS:  # only a JSON body can carry a Raw value
                faults = [(label, value) for label, value in faults if not isinstance(value, Raw)]
            per_member[m] = faults
        for m in required:  # each required member missing on its own
            if m not in labels:
                per_member[m].insert(1, ("missing", None))
        rounds = max((len(f) for f in per_member.values()), default=0)
        for index in range(rounds):
            for member in order:
                if len(found) >= limit:
                    return found
                if index >= len(per_member[member]):
                    continue
                label, value = per_member[member][index]
                params = dict(base)
                if value is None:
                    params.pop(member, None)
                else:
                    params[member] = value
                found.append(Case(f"{member}: {label}", params))
        return found


class _Unsupported(Exception):
    """A pattern construct `example` does not write strings for."""


def example(pattern: re.Pattern[str]) -> str | None:
    """A short string that `pattern` matches in full, or None if none is found this way."""
    try:
        text = _emit(sre_parse.parse(pattern.pattern, pattern.flags))
    except (_Unsupported, re.error):
        return None
    return text if pattern.fullmatch(text) else None


def _emit(items: Any) -> str:
    """The shortest string the parsed items match (first branch, fewest repeats)."""
    out = []
    for op, arg in items:
        if op is sre.LITERAL:
            out.append(chr(arg))
        elif op is sre.NOT_LITERAL:
            out.append("a" if arg != ord("a") else "b")
        elif op is sre.ANY:
            out.append("a")
        elif op is sre.IN:
            out.append(_pick(arg))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, _, inner = arg
            out.append(_emit(inner) * low)
        elif op is sre.SUBPATTERN:
            out.append(_emit(arg[-1]))
        elif op is sre.ATOMIC_GROUP:
            out.append(_emit(arg))
        elif op is sre.BRANCH:
            out.append(_emit(arg[1][0]))
        elif op is sre.CATEGORY:
            out.append(_pick([(op, arg)]))
        elif op not in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            raise _Unsupported(str(op))
    return "".join(out)


_CATEGORIES: dict[Any, Callable[[str], bool]] = {
    sre.CATEGORY_DIGIT: str.isdigit,
    sre.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
    sre.CATEGORY_SPACE: str.isspace,
    sre.CATEGORY_NOT_DIGIT: lambda c: not c.isdigit(),
    sre.CATEGORY_NOT_WORD: lambda c: not (c.isalnum() or c == "_"),
    sre.CATEGORY_NOT_SPACE: lambda c: not c.isspace(),
}


def _pick(items: Any) -> str:
    """A character of a class, a plain one if the class has one."""

    def member(char: str) -> bool:
        for op, arg in items:
            if op is sre.LITERAL and ord(char) == arg:
                return True
            if op is sre.RANGE and arg[0] <= ord(char) <= arg[1]:
                return True
            if op is sre.CATEGORY and arg in _CATEGORIES and _CATEGORIES[arg](char):
                return True
        return False

    negate = bool(items) and items[0][0] is sre.NEGATE
    for char in "a0A-_./: " + "".join(map(chr, range(33, 127))):
        if member(char) != negate:
            return char
    raise _Unsupported("a class of no plain character")


def stand_ins(
    params: Any, path: tuple[Any, ...] = ()
) -> tuple[Any, list[tuple[tuple[Any, ...], Any]]]:
    """`params` with each `Raw` replaced by its stand-in, and where each `Raw` was."""
    if isinstance(params, Raw):
        return params.stand_in, [(path, params.value)]
    if isinstance(params, dict):
        out, found = {}, []
        for key, value in params.items():
            out[key], inner = stand_ins(value, (*path, key))
            found += inner
        return out, found
    if isinstance(params, list):
        items, found = [], []
        for index, value in enumerate(params):
            item, inner = stand_ins(value, (*path, index))
            items.append(item)
            found += inner
        return items, found
    return params, []


def wire_path(shape: Any, path: tuple[Any, ...]) -> tuple[Any, ...]:
    """A path of member names and list indexes as the JSON body names it."""
    out: list[Any] = []
    for step in path:
        if shape.type_name == "structure":
            shape = shape.members[step]
            out.append(shape.serialization.get("name", step))
        elif shape.type_name == "list":
            shape = shape.member
            out.append(step)
        else:  # a map: the key is the name
            shape = shape.value
            out.append(step)
    return tuple(out)
