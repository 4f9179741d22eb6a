"""Pipeline expressions: `Get` of parameters, execution variables and step properties,
`Std:Join`, `Std:JsonGet`, and the conditions of Condition steps."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_SEGMENT = re.compile(r"([^.\[\]]+)|\['([^']*)'\]|\[(\d+)\]")


class ExpressionError(ValueError):
    """An expression that cannot be evaluated; the message says which and why."""


@dataclass
class Scope:
    """What expressions of one execution can see."""

    parameters: dict[str, Any]
    execution: dict[str, Any]
    # Each finished step's properties (a Training step's DescribeTrainingJob answer…).
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Reads a property file: (step name, property file name) -> its JSON.
    property_file: Callable[[str, str], Any] | None = None


def _walk(value: Any, path: str, where: str) -> Any:
    for match in _SEGMENT.finditer(path):
        key, quoted, index = match.groups()
        if index is not None:
            if not isinstance(value, list) or int(index) >= len(value):
                raise ExpressionError(f"{where}: no item {index}")
            value = value[int(index)]
        elif quoted is not None:
            value = _by_name(value, quoted, where)
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            raise ExpressionError(f"{where}: no property {key}")
    return value


def _by_name(value: Any, name: str, where: str) -> Any:
    """`List['name']`: a map's entry, or the list item whose …Name member is `name`."""
    if isinstance(value, dict) and name in value:
        return value[name]
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and any(
                k.endswith("Name") and v == name for k, v in item.items()
            ):
                return item
    raise ExpressionError(f"{where}: no entry named {name}")


def resolve(value: Any, scope: Scope) -> Any:
    """A value with every expression in it evaluated."""
    if isinstance(value, list):
        return [resolve(item, scope) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Get"} and isinstance(value["Get"], str):
        return get(value["Get"], scope)
    if set(value) == {"Std:Join"}:
        join = value["Std:Join"]
        return str(join.get("On", "")).join(_text(resolve(v, scope)) for v in join["Values"])
    if set(value) == {"Std:JsonGet"}:
        return json_get(value["Std:JsonGet"], scope)
    return {key: resolve(item, scope) for key, item in value.items()}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def get(path: str, scope: Scope) -> Any:
    """`Parameters.X`, `Execution.X`, or `Steps.Name.Property…`."""
    head, _, rest = path.partition(".")
    if head == "Parameters":
        if rest not in scope.parameters:
            raise ExpressionError(f"Parameters.{rest} is not defined")
        return scope.parameters[rest]
    if head == "Execution":
        if rest not in scope.execution:
            raise ExpressionError(f"Execution.{rest} is not an execution variable")
        return scope.execution[rest]
    step, _, inner = rest.partition(".")
    step = step.split("[", 1)[0]
    if step not in scope.steps:
        raise ExpressionError(f"step {step} has not finished, so {path} has no value")
    return _walk(scope.steps[step], inner, path)


def json_get(spec: dict[str, Any], scope: Scope) -> Any:
    """`Std:JsonGet`: a value inside a property file a processing step wrote."""
    reference = spec.get("PropertyFile")
    if isinstance(reference, dict) and isinstance(reference.get("Get"), str):
        # Steps.<step>.PropertyFiles.<name>
        parts = reference["Get"].split(".")
        step, name = parts[1], parts[-1]
    elif isinstance(reference, str):
        raise ExpressionError("Std:JsonGet needs a PropertyFile given as a Get of a step's file")
    else:
        raise ExpressionError("Std:JsonGet has no PropertyFile")
    if scope.property_file is None:
        raise ExpressionError("property files cannot be read here")
    document = scope.property_file(step, name)
    return _walk(document, str(spec["Path"]), f"Std:JsonGet {name} {spec['Path']}")


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "NotEquals": lambda a, b: a != b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanOrEqualTo": lambda a, b: a >= b,
    "LessThan": lambda a, b: a < b,
    "LessThanOrEqualTo": lambda a, b: a <= b,
}


def condition_holds(condition: dict[str, Any], scope: Scope) -> bool:
    """One condition of a Condition step (all of a step's conditions must hold)."""
    kind = condition.get("Type")
    if kind in _COMPARE:
        left = resolve(condition["LeftValue"], scope)
        right = resolve(condition["RightValue"], scope)
        try:
            return _COMPARE[kind](left, right)
        except TypeError as error:
            raise ExpressionError(
                f"{kind} cannot compare {left!r} with {right!r}: {error}"
            ) from error
    if kind == "In":
        value = resolve(condition["QueryValue"], scope)
        return value in [resolve(v, scope) for v in condition["Values"]]
    if kind == "Not":
        return not condition_holds(condition["Condition"], scope)
    if kind == "Or":
        return any(condition_holds(c, scope) for c in condition["Conditions"])
    raise ExpressionError(f"condition type {kind} is not supported")
