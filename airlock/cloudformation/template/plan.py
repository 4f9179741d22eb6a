"""A template evaluated against parameter values: its conditions, resources and their order.

`plan` does what needs no resource to exist (conditions, which resources and outputs
exist, the dependency graph); `Plan.properties` and `Plan.outputs` evaluate the rest as
resources come into being, through `attributes(logical_id)`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from airlock.cloudformation.template.checks import (
    EVALUATED_PARTS,
    POLICIES,
    check_template,
)
from airlock.cloudformation.template.errors import (
    ParameterError,
    format_error,
    undefined_condition,
    unresolved,
)
from airlock.cloudformation.template.intrinsics import Attributes, Evaluator, Exports
from airlock.cloudformation.template.parameters import declared_parameters
from airlock.cloudformation.template.values import NO_VALUE, is_scalar, text
from airlock.cloudformation.template.walk import (
    dependencies_of,
    depends_on,
    ordered,
    references,
)

# What a pseudo parameter is when the caller does not say.
PSEUDO_DEFAULTS: Mapping[str, Any] = {
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}


def _output_text(value: Any) -> str:
    # An output's value is a string: lists are joined with commas, objects are JSON.
    if isinstance(value, list):
        return ",".join(text(item) if is_scalar(item) else json.dumps(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value)
    if value is NO_VALUE:
        return ""
    return text(value)


def _no_attributes(logical_id: str) -> Mapping[str, Any]:
    raise format_error(
        f"Fn::ImportValue cannot use {logical_id}: an export name cannot depend on a resource"
    )


@dataclass
class Plan:
    """A template evaluated against parameter values and pseudo parameters."""

    conditions: dict[str, bool]
    # Logical id → resource (as in the template, DependsOn a list, policies evaluated), for
    # the resources whose Condition holds, in template order.
    resources: dict[str, dict[str, Any]]
    # Logical id → the logical ids (among `resources`) it needs first.
    dependencies: dict[str, set[str]]
    template: dict[str, Any] = field(default_factory=dict, repr=False)
    parameters: dict[str, Any] = field(default_factory=dict, repr=False)
    pseudo: dict[str, Any] = field(default_factory=dict, repr=False)

    def order(self) -> list[str]:
        """A topological order; among resources ready together, template order."""
        return ordered(self.dependencies)

    def _condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise undefined_condition(name)
        return self.conditions[name]

    def evaluator(
        self, block: str, attributes: Attributes | None = None, exports: Exports | None = None
    ) -> Evaluator:
        """An Evaluator for a part of the `block` section of this template."""
        return Evaluator(
            self.template,
            parameters=self.parameters,
            pseudo=self.pseudo,
            block=block,
            condition=self._condition,
            resources=self.resources,
            attributes=attributes,
            exports=exports,
        )

    def evaluate(self, node: Any, attributes: Attributes, exports: Exports | None = None) -> Any:
        """Any part of a resource (its Metadata, say) with every function evaluated."""
        return self.evaluator("Resources", attributes, exports).value(node)

    def properties(
        self,
        logical_id: str,
        attributes: Callable[[str], Mapping[str, Any]],
        exports: Callable[[str], str | None] | None = None,
    ) -> dict[str, Any]:
        """The resource's Properties with every intrinsic function evaluated.

        `attributes(logical_id)` gives a created resource's `Fn::GetAtt` values and its
        `Ref` under "Ref"; `exports(name)` an export's value (None, or KeyError, if none).
        """
        body = self.resources[logical_id].get("Properties")
        value = self.evaluate(body, attributes, exports)
        if value is None or value is NO_VALUE:
            return {}
        if not isinstance(value, dict):
            raise format_error(
                f"[/Resources/{logical_id}/Properties] Properties must be an object."
            )
        return value

    def _outputs(self) -> dict[str, dict[str, Any]]:
        section = self.template.get("Outputs") or {}
        return {
            key: output
            for key, output in section.items()
            if "Condition" not in output or self._condition(output["Condition"])
        }

    def outputs(
        self,
        attributes: Callable[[str], Mapping[str, Any]],
        exports: Callable[[str], str | None] | None = None,
    ) -> list[dict[str, Any]]:
        """The outputs whose Condition holds: OutputKey, OutputValue, Description?, ExportName?"""
        evaluator = self.evaluator("Outputs", attributes, exports)
        answered = []
        for key, output in self._outputs().items():
            entry = {
                "OutputKey": key,
                "OutputValue": _output_text(evaluator.value(output["Value"])),
            }
            if output.get("Description") is not None:
                entry["Description"] = evaluator.string(output["Description"], "Description")
            if isinstance(output.get("Export"), dict):
                entry["ExportName"] = evaluator.string(output["Export"]["Name"], "Export Name")
            answered.append(entry)
        return answered

    def exports_used(self) -> set[str]:
        """The export names the resources' and outputs' Fn::ImportValue read."""
        evaluator = self.evaluator("Resources", _no_attributes)
        parts = [
            *(
                [resource.get(part) for part in EVALUATED_PARTS]
                for resource in self.resources.values()
            ),
            *([output.get("Value"), output.get("Export")] for output in self._outputs().values()),
        ]
        return {
            evaluator.string(reference.argument, "Fn::ImportValue")
            for reference in references(parts, chosen=self._condition)
            if reference.kind == "ImportValue"
        }


def _conditions(
    template: Mapping[str, Any], parameters: Mapping[str, Any], pseudo: Mapping[str, Any]
) -> dict[str, bool]:
    section = template.get("Conditions") or {}
    results: dict[str, bool] = {}

    def condition(name: str) -> bool:
        # Conditions may name each other; check_template has refused cycles.
        if name not in section:
            raise undefined_condition(name)
        if name not in results:
            results[name] = evaluator.condition_value(section[name])
        return results[name]

    evaluator = Evaluator(
        template, parameters=parameters, pseudo=pseudo, block="Conditions", condition=condition
    )
    return {name: condition(name) for name in section}


def _policies(plan: Plan) -> None:
    evaluator = plan.evaluator("Resources", _no_attributes)
    for logical_id, resource in plan.resources.items():
        for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
            if policy in resource and not isinstance(resource[policy], str):
                value = evaluator.string(resource[policy], policy)
                if value not in POLICIES:
                    raise format_error(
                        f"[/Resources/{logical_id}/{policy}] {policy} must be one of "
                        f"{', '.join(POLICIES)}."
                    )
                resource[policy] = value


def plan(
    template: Mapping[str, Any], parameters: Mapping[str, Any], pseudo: Mapping[str, Any]
) -> Plan:
    """Evaluate the template's conditions and graph for these values. Raises TemplateError.

    `parameters` are resolve_parameters' values; `pseudo` the pseudo parameters
    (AWS::AccountId, AWS::Region, AWS::StackName, AWS::StackId; AWS::Partition,
    AWS::URLSuffix and AWS::NotificationARNs default to aws, amazonaws.com and []).
    A resource that refers to one whose Condition is false is an unresolved dependency.
    """
    check_template(template)
    missing = [decl.name for decl in declared_parameters(template) if decl.name not in parameters]
    if missing:
        raise ParameterError(f"Parameters: [{', '.join(missing)}] must have values")
    values = dict(parameters)
    pseudo_values = {**PSEUDO_DEFAULTS, **pseudo}
    conditions = _conditions(template, values, pseudo_values)
    section: dict[str, Any] = template["Resources"]
    resources = {}
    for logical_id, resource in section.items():
        if "Condition" in resource and not conditions[resource["Condition"]]:
            continue
        kept = copy.deepcopy(resource)
        if "DependsOn" in kept:
            kept["DependsOn"] = depends_on(kept)
        resources[logical_id] = kept
    dependencies: dict[str, set[str]] = {}
    excluded: list[str] = []
    for logical_id, resource in resources.items():
        parts = [resource.get(part) for part in EVALUATED_PARTS]
        needs = [
            *dependencies_of(parts, section, chosen=conditions.__getitem__),
            *depends_on(resource),
        ]
        excluded += [name for name in needs if name not in resources]
        dependencies[logical_id] = {name for name in needs if name in resources}
    if excluded:
        raise unresolved(excluded, "Resources")
    result = Plan(
        conditions=conditions,
        resources=resources,
        dependencies=dependencies,
        template=dict(template),
        parameters=values,
        pseudo=pseudo_values,
    )
    outputs = result._outputs().values()
    parts = [[output.get("Value"), output.get("Export")] for output in outputs]
    excluded = dependencies_of(parts, section, chosen=conditions.__getitem__)
    excluded = [name for name in excluded if name not in resources]
    if excluded:
        raise unresolved(excluded, "Outputs")
    _policies(result)
    result.order()
    return result
