"""What a target receives: the event, or Input, InputPath or an InputTransformer's result."""

from __future__ import annotations

import json
import re
from typing import Any

_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
MISSING = object()


class InvalidPath(ValueError):
    """A JSON path Airlock cannot read (`$.detail.field`, `$.list[0]`, `$['key']`)."""


def check_path(path: str) -> None:
    """ValueError unless `path` is a JSON path of the supported form."""
    if not path.startswith("$"):
        raise InvalidPath(f"JSON path {path!r} must start with '$'")
    rest = path[1:]
    consumed = "".join(m.group(0) for m in _STEP.finditer(rest))
    if consumed != rest:
        raise InvalidPath(f"JSON path {path!r} is not of the form $.field.sub[0]")


def read_path(document: Any, path: str) -> Any:
    """The value at a JSON path, or MISSING."""
    check_path(path)
    value = document
    for match in _STEP.finditer(path[1:]):
        key, index, quoted = match.groups()
        if index is not None:
            if not isinstance(value, list) or int(index) >= len(value):
                return MISSING
            value = value[int(index)]
        else:
            name = key if key is not None else quoted
            if not isinstance(value, dict) or name not in value:
                return MISSING
            value = value[name]
    return value


def _in_string(template: str, position: int) -> bool:
    """Whether `position` falls inside a JSON string literal of the template."""
    inside = False
    escaped = False
    for char in template[:position]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            inside = not inside
    return inside


def render_template(template: str, values: dict[str, Any]) -> str:
    """Fill `<name>` placeholders as EventBridge does.

    In a JSON template, a placeholder inside quotes takes the value's text and one
    outside quotes its JSON (a missing value is `null`); in a plain-text template
    every value is inserted as text. Unknown placeholders stay as they are.
    """
    as_json = template.lstrip().startswith(("{", "["))
    out: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1)
        if name not in values:
            continue
        out.append(template[last : match.start()])
        value = values[name]
        if as_json and not _in_string(template, match.start()):
            out.append("null" if value is MISSING else json.dumps(value))
        else:
            if value is MISSING or value is None:
                text = ""
            elif isinstance(value, str):
                text = value
            else:
                text = json.dumps(value)
            out.append(json.dumps(text)[1:-1] if as_json else text)
        last = match.end()
    out.append(template[last:])
    return "".join(out)


def target_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str) -> str:
    """The payload a target gets for an event."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        value = read_path(event, target["InputPath"])
        return "null" if value is MISSING else json.dumps(value)
    transformer = target.get("InputTransformer")
    if transformer:
        values: dict[str, Any] = {
            name: read_path(event, path)
            for name, path in (transformer.get("InputPathsMap") or {}).items()
        }
        values.update(
            {
                "aws.events.rule-arn": rule_arn,
                "aws.events.rule-name": rule_arn.rsplit("/", 1)[-1],
                "aws.events.event.ingestion-time": event.get("time"),
                "aws.events.event": event,
                "aws.events.event.json": event,
            }
        )
        return render_template(transformer["InputTemplate"], values)
    return json.dumps(event)
