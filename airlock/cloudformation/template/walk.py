"""What a part of a template refers to: the names behind Ref, Fn::GetAtt, Fn::Sub, Fn::If…"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from airlock.cloudformation.template.errors import circular
from airlock.cloudformation.template.values import (
    function_name,
    getatt_arguments,
    sub_arguments,
    sub_pieces,
    sub_target,
)

Kind = Literal["Ref", "GetAtt", "If", "Condition", "ImportValue", "Function"]


@dataclass(frozen=True)
class Reference:
    """One name a template part uses: a Ref or GetAtt target, a condition, a function called."""

    kind: Kind
    name: str
    # Fn::ImportValue's argument (the export name, perhaps a Fn::Sub).
    argument: Any = None


def references(
    node: Any, *, chosen: Callable[[str], bool] | None = None, condition: bool = False
) -> Iterator[Reference]:
    """Every reference in `node`, in document order.

    With `chosen` (a condition's value), only the Fn::If branch that condition picks is
    walked, so a resource named only in the other branch is not a dependency. `condition`
    says `node` is a condition, where `{"Condition": name}` names another condition.
    """
    if isinstance(node, list):
        for item in node:
            yield from references(item, chosen=chosen, condition=condition)
        return
    if not isinstance(node, dict):
        return
    function = function_name(node, condition=condition)
    if function is None:
        for item in node.values():
            yield from references(item, chosen=chosen, condition=condition)
        return
    argument = node[function]
    walk_on: Any = argument
    if function == "Ref" and isinstance(argument, str):
        yield Reference("Ref", argument)
        return
    if function == "Condition" and isinstance(argument, str):
        yield Reference("Condition", argument)
        return
    if function == "Fn::GetAtt":
        resource, attribute = getatt_arguments(argument)
        yield Reference("GetAtt", resource)
        walk_on = attribute
    elif function == "Fn::Sub":
        string, variables = sub_arguments(argument)
        for piece in sub_pieces(string):
            if isinstance(piece, tuple) and piece[0] not in variables:
                name, attribute = sub_target(piece[0])
                yield Reference("Ref" if attribute is None else "GetAtt", name)
        walk_on = list(variables.values())
    elif function == "Fn::If" and isinstance(argument, list) and len(argument) == 3:
        name = argument[0]
        if isinstance(name, str):
            yield Reference("If", name)
            if chosen is not None:
                walk_on = argument[1] if chosen(name) else argument[2]
            else:
                walk_on = argument[1:]
    elif function == "Fn::ImportValue":
        yield Reference("ImportValue", function, argument)
    else:
        yield Reference("Function", function)
    yield from references(walk_on, chosen=chosen, condition=condition)


def dependencies_of(
    node: Any, resources: Collection[str], *, chosen: Callable[[str], bool] | None = None
) -> list[str]:
    """The resources (names in `resources`) `node` refers to, in order, each once."""
    found: dict[str, None] = {}
    for reference in references(node, chosen=chosen):
        if reference.kind in ("Ref", "GetAtt") and reference.name in resources:
            found[reference.name] = None
    return list(found)


def depends_on(resource: dict[str, Any]) -> list[str]:
    """A resource's `DependsOn`, a name or a list of names, as a list."""
    value = resource.get("DependsOn")
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def ordered(dependencies: Mapping[str, Collection[str]]) -> list[str]:
    """A topological order: each time, the first (in template order) whose needs are met.

    Raises TemplateError `Circular dependency between resources: [...]` naming every
    resource that cannot be ordered, as AWS does (those in a cycle and those waiting on one).
    """
    remaining = list(dependencies)
    done: set[str] = set()
    order = []
    while remaining:
        ready = next(
            (name for name in remaining if all(need in done for need in dependencies[name])), None
        )
        if ready is None:
            raise circular(remaining)
        remaining.remove(ready)
        done.add(ready)
        order.append(ready)
    return order
