"""Pipeline definitions (the JSON the SageMaker SDK writes), parsed and checked into a DAG.

A definition is refused with a message that names the step and the field: an
unknown step type, a reference to a step or parameter that does not exist, a
default of the wrong type, or a cycle among the steps' dependencies (DependsOn,
data references `{"Get": "Steps.X…"}`, and a Condition's If/Else branches).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airlock.core.documents import load_json

from .retry import policy_problem

STEP_TYPES = (
    "Training",
    "Processing",
    "RegisterModel",
    "CreateModel",
    "Model",
    "Condition",
    "Fail",
)
PARAMETER_TYPES = {
    "String": (str,),
    "Integer": (int,),
    "Float": (int, float),
    "Boolean": (bool,),
}
EXECUTION_VARIABLES = (
    "PipelineExecutionId",
    "PipelineExecutionArn",
    "StartDateTime",
    "CurrentDateTime",
    "PipelineName",
    "PipelineArn",
)


class InvalidDefinition(ValueError):
    """A definition SageMaker would refuse; the message names the step and the field."""


@dataclass
class Step:
    """A step and the steps it waits for."""

    name: str
    type: str
    arguments: dict[str, Any]
    raw: dict[str, Any]
    needs: set[str] = field(default_factory=set)


@dataclass
class Definition:
    """A checked definition: parameters with their defaults, and steps in an order that runs."""

    parameters: dict[str, dict[str, Any]]
    steps: dict[str, Step]
    order: list[str]
    # Steps that run only when a Condition step chooses them (IfSteps/ElseSteps).
    conditional: set[str]


def _references(value: Any, where: str) -> list[tuple[str, str]]:
    """Every `{"Get": …}` path in a value, with where it was found."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        if set(value) == {"Get"} and isinstance(value["Get"], str):
            found.append((value["Get"], where))
        for key, item in value.items():
            found += _references(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _references(item, f"{where}[{index}]")
    return found


def parse_definition(text: str) -> Definition:
    """A definition's parameters and steps, or InvalidDefinition saying what is wrong."""
    try:
        document = load_json(text)
    except ValueError as error:
        raise InvalidDefinition(f"The pipeline definition is not valid JSON: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("Steps"), list):
        raise InvalidDefinition("The pipeline definition must be an object with a Steps list.")
    parameters = _parameters(document.get("Parameters") or [])
    steps: dict[str, Step] = {}
    for index, raw in enumerate(document["Steps"]):
        _add_step(steps, raw, f"Step {index}")
    conditional: set[str] = set()
    # The SDK writes a Condition's branches as whole steps nested in its arguments.
    for step in list(steps.values()):
        if step.type == "Condition":
            for branch in ("IfSteps", "ElseSteps"):
                for nested in step.arguments.get(branch) or []:
                    if (
                        isinstance(nested, dict)
                        and "Type" in nested
                        and nested.get("Name") not in steps
                    ):
                        _add_step(steps, nested, f"Step {step.name}: {branch}")
    for step in list(steps.values()):
        for dependency in step.raw.get("DependsOn") or []:
            if dependency not in steps:
                raise InvalidDefinition(
                    f"Step {step.name}: DependsOn names step {dependency}, which does not exist."
                )
            step.needs.add(dependency)
        for path, where in _references(step.raw, ""):
            _check_reference(step, path, where, steps, parameters)
        if step.type == "Condition":
            for branch in ("IfSteps", "ElseSteps"):
                for target in step.arguments.get(branch) or []:
                    target_name = target.get("Name") if isinstance(target, dict) else target
                    if target_name not in steps:
                        raise InvalidDefinition(
                            f"Step {step.name}: {branch} names step {target_name}, which does "
                            "not exist."
                        )
                    steps[target_name].needs.add(step.name)
                    conditional.add(target_name)
    return Definition(parameters, steps, _order(steps), conditional)


def _add_step(steps: dict[str, Step], raw: Any, where: str) -> None:
    if not isinstance(raw, dict) or not isinstance(raw.get("Name"), str):
        raise InvalidDefinition(f"{where} has no Name.")
    name = raw["Name"]
    if name in steps:
        raise InvalidDefinition(f"Step names must be unique: {name} appears twice.")
    kind = raw.get("Type")
    if kind not in STEP_TYPES:
        raise InvalidDefinition(
            f"Step {name}: type {kind} is not supported. Supported: {', '.join(STEP_TYPES)}."
        )
    problem = policy_problem(kind, raw.get("RetryPolicies"))
    if problem:
        raise InvalidDefinition(f"Step {name}: {problem}.")
    steps[name] = Step(name, kind, dict(raw.get("Arguments") or {}), raw)
    if kind == "Condition":  # nested branch steps are read on their own
        steps[name].raw = {k: v for k, v in raw.items() if k != "Arguments"} | {
            "Arguments": {
                k: v for k, v in steps[name].arguments.items() if k not in ("IfSteps", "ElseSteps")
            }
        }


def _parameters(items: list[Any]) -> dict[str, dict[str, Any]]:
    parameters: dict[str, dict[str, Any]] = {}
    for item in items:
        name, kind = item.get("Name"), item.get("Type")
        if kind not in PARAMETER_TYPES:
            raise InvalidDefinition(
                f"Parameter {name}: type {kind} is not one of {', '.join(PARAMETER_TYPES)}."
            )
        default = item.get("DefaultValue")
        if default is not None and (
            not isinstance(default, PARAMETER_TYPES[kind])
            or (kind in ("Integer", "Float") and isinstance(default, bool))
        ):
            raise InvalidDefinition(
                f"Parameter {name}: DefaultValue {default!r} is not of type {kind}."
            )
        parameters[name] = item
    return parameters


def _check_reference(
    step: Step,
    path: str,
    where: str,
    steps: dict[str, Step],
    parameters: dict[str, dict[str, Any]],
) -> None:
    head, _, rest = path.partition(".")
    if head == "Parameters":
        if rest not in parameters:
            raise InvalidDefinition(
                f"Step {step.name}: {where} refers to parameter {rest}, which is not defined."
            )
    elif head == "Steps":
        target = rest.split(".", 1)[0].split("[", 1)[0]
        if target not in steps:
            raise InvalidDefinition(
                f"Step {step.name}: {where} refers to step {target}, which does not exist."
            )
        if target == step.name:
            raise InvalidDefinition(f"Step {step.name}: {where} refers to the step itself.")
        step.needs.add(target)
    elif head == "Execution":
        if rest not in EXECUTION_VARIABLES:
            raise InvalidDefinition(
                f"Step {step.name}: {where} refers to execution variable {rest}, which does not "
                f"exist. Known: {', '.join(EXECUTION_VARIABLES)}."
            )
    else:
        raise InvalidDefinition(
            f"Step {step.name}: {where} has a Get of {path}; expected Parameters., Steps. or "
            "Execution."
        )


def _order(steps: dict[str, Step]) -> list[str]:
    """The steps in an order where every step comes after what it needs; a cycle is refused."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = " -> ".join([*trail[trail.index(name) :], name])
            raise InvalidDefinition(f"The pipeline has a cycle among its steps: {cycle}.")
        state[name] = "visiting"
        for needed in sorted(steps[name].needs):
            visit(needed, [*trail, name])
        state[name] = "done"
        order.append(name)

    for name in steps:
        visit(name, [])
    return order
