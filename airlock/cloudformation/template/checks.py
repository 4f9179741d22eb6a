"""What CloudFormation checks of a template before it evaluates anything (ValidateTemplate).

The order follows AWS's: transforms, sections, parameters, mappings, conditions, resources
(structure, then types), then what every block refers to, then the dependency graph.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from airlock.cloudformation.template.errors import (
    TemplateError,
    format_error,
    undefined_condition,
    undefined_resource,
    unresolved,
)
from airlock.cloudformation.template.intrinsics import unsupported_function
from airlock.cloudformation.template.parameters import check_defaults, declared_parameters
from airlock.cloudformation.template.rules import check_rules_section
from airlock.cloudformation.template.values import FUNCTIONS, PSEUDO_PARAMETERS, alphanumeric, text
from airlock.cloudformation.template.walk import (
    dependencies_of,
    depends_on,
    ordered,
    references,
)

SECTIONS = (
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
    "Hooks",
)
RESOURCE_ATTRIBUTES = frozenset(
    {
        "Type",
        "Properties",
        "DependsOn",
        "DeletionPolicy",
        "UpdateReplacePolicy",
        "Metadata",
        "UpdatePolicy",
        "CreationPolicy",
        "Condition",
    }
)
POLICIES = ("Delete", "Retain", "RetainExceptOnCreate", "Snapshot")
# The parts of a resource whose functions CloudFormation evaluates.
EVALUATED_PARTS = (
    "Properties",
    "Metadata",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "UpdatePolicy",
    "CreationPolicy",
)
_VERSION = "2010-09-09"


def declared_transforms(template: Mapping[str, Any]) -> list[str]:
    """The macros the template's `Transform` names (a name or a list of names)."""
    value = template.get("Transform")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [text(item.get("Name")) if isinstance(item, dict) else text(item) for item in items]


def resources_section(template: Mapping[str, Any]) -> dict[str, Any]:
    """The Resources section; TemplateError unless it has at least one member."""
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise format_error("At least one Resources member must be defined.")
    return resources


def _check_sections(template: Mapping[str, Any]) -> None:
    transforms = declared_transforms(template)
    if transforms:
        raise format_error(
            f"Airlock does not run transforms (Transform: {', '.join(transforms)}); "
            "expand the template before deploying it."
        )
    invalid = [key for key in template if key not in SECTIONS]
    if invalid:
        raise format_error(f"Invalid template property or properties [{', '.join(invalid)}]")
    version = template.get("AWSTemplateFormatVersion")
    if version is not None and text(version) != _VERSION:
        raise format_error(
            f"AWSTemplateFormatVersion {text(version)} is not supported; "
            f"the only version is {_VERSION}."
        )
    if "Description" in template and not isinstance(template["Description"], str):
        raise format_error("Every Description member must be a string.")
    for section in ("Metadata", "Mappings", "Conditions", "Outputs"):
        if section in template and not isinstance(template[section], dict):
            raise format_error(f"Every {section} member must be an object.")


def _check_mappings(template: Mapping[str, Any]) -> None:
    for name, mapping in (template.get("Mappings") or {}).items():
        if not isinstance(mapping, dict) or not all(
            isinstance(level, dict) for level in mapping.values()
        ):
            raise format_error(f"Mappings attribute {name} must be a map of maps.")


def _check_functions(node: Any, *, condition: bool = False) -> None:
    for reference in references(node, condition=condition):
        if reference.kind == "Function" and reference.name not in FUNCTIONS:
            raise unsupported_function(reference.name)


def _check_conditions(template: Mapping[str, Any], names: Collection[str]) -> None:
    conditions = template.get("Conditions") or {}
    needs: dict[str, list[str]] = {}
    outside: list[str] = []
    undefined: list[str] = []
    for name, body in conditions.items():
        if not isinstance(body, dict):
            raise format_error(f"Condition {name} must be a function.")
        _check_functions(body, condition=True)
        needs[name] = []
        for reference in references(body, condition=True):
            if reference.kind in ("Ref", "GetAtt") and reference.name not in names:
                outside.append(reference.name)
            elif reference.kind in ("Condition", "If"):
                (needs[name] if reference.name in conditions else undefined).append(reference.name)
    if outside:
        raise format_error(
            f"Unresolved dependencies [{', '.join(dict.fromkeys(outside))}]. "
            "Cannot reference resources in the Conditions block of the template"
        )
    if undefined:
        raise format_error(
            f"Unresolved condition dependencies [{', '.join(dict.fromkeys(undefined))}] "
            "in the Conditions block of the template"
        )
    try:
        ordered(needs)
    except TemplateError as error:
        cycle = error.message.split("[", 1)[1]
        raise format_error(f"Circular dependency between conditions: [{cycle}") from None


def _check_condition_name(name: Any, conditions: Mapping[str, Any], block: str) -> None:
    if not isinstance(name, str):
        raise format_error("Every Condition member must be a string.")
    if name not in conditions:
        raise format_error(
            f"Unresolved condition dependencies [{name}] in the {block} block of the template"
        )


def _check_resources(
    template: Mapping[str, Any], known_types: Collection[str] | None
) -> dict[str, Any]:
    resources = resources_section(template)
    conditions = template.get("Conditions") or {}
    unknown_types: list[str] = []
    for logical_id, resource in resources.items():
        if not alphanumeric(logical_id):
            raise format_error(f"Resource name {logical_id} is non alphanumeric.")
        if not isinstance(resource, dict):
            raise format_error(
                f"[/Resources/{logical_id}] Every Resources object must be an object."
            )
        kind = resource.get("Type")
        if kind is None:
            raise format_error(
                f"[/Resources/{logical_id}] Every Resources object must contain a Type member."
            )
        if not isinstance(kind, str):
            raise format_error(f"[/Resources/{logical_id}/Type] Type must be a string.")
        for key in resource:
            if key not in RESOURCE_ATTRIBUTES:
                raise format_error(f"Invalid template resource property '{key}'")
        if "Condition" in resource:
            _check_condition_name(resource["Condition"], conditions, "Resources")
        dependencies = resource.get("DependsOn")
        if dependencies is not None and not (
            isinstance(dependencies, str)
            or (isinstance(dependencies, list) and all(isinstance(d, str) for d in dependencies))
        ):
            raise format_error(
                f"[/Resources/{logical_id}/DependsOn] DependsOn must be a name or a list of names."
            )
        for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
            value = resource.get(policy)
            if isinstance(value, str) and value not in POLICIES:
                raise format_error(
                    f"[/Resources/{logical_id}/{policy}] {policy} must be one of "
                    f"{', '.join(POLICIES)}."
                )
        if known_types is not None and kind not in known_types and kind not in unknown_types:
            unknown_types.append(kind)
    if unknown_types:
        raise format_error(f"Unrecognized resource types: [{', '.join(unknown_types)}]")
    return resources


def _check_references(
    parts: list[Any],
    names: Collection[str],
    resources: Collection[str],
    conditions: Mapping[str, Any],
    block: str,
) -> None:
    missing: list[str] = []
    for part in parts:
        _check_functions(part)
        for reference in references(part):
            if reference.kind == "Ref" and reference.name not in names:
                missing.append(reference.name)
            elif reference.kind == "GetAtt" and reference.name not in resources:
                raise undefined_resource(reference.name)
            elif reference.kind == "If" and reference.name not in conditions:
                raise undefined_condition(reference.name)
    if missing:
        raise unresolved(missing, block)


def _check_outputs(
    template: Mapping[str, Any], names: Collection[str], resources: Collection[str]
) -> None:
    conditions = template.get("Conditions") or {}
    parts = []
    for key, output in (template.get("Outputs") or {}).items():
        if not alphanumeric(key):
            raise format_error(f"Output name {key} is non alphanumeric.")
        if not isinstance(output, dict) or "Value" not in output:
            raise format_error("Every Outputs member must contain a Value object")
        if "Condition" in output:
            _check_condition_name(output["Condition"], conditions, "Outputs")
        export = output.get("Export")
        if export is not None and (
            not isinstance(export, dict) or export.get("Name") in (None, "")
        ):
            raise format_error(
                f"Output {key} is malformed. The Name field of every Export member must be "
                "specified and consist only of alphanumeric characters, colons, or hyphens."
            )
        parts.append([output["Value"], output.get("Description"), export])
    _check_references(parts, names, resources, conditions, "Outputs")


def resource_graph(resources: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every resource's dependencies over the whole template (both Fn::If branches)."""
    graph = {}
    for logical_id, resource in resources.items():
        parts = [resource.get(part) for part in EVALUATED_PARTS]
        graph[logical_id] = list(
            dict.fromkeys([*dependencies_of(parts, resources), *depends_on(resource)])
        )
    return graph


def check_template(template: Mapping[str, Any], known_types: Collection[str] | None = None) -> None:
    """Raise TemplateError, in AWS's words, for what CloudFormation refuses before deploying.

    `known_types`, when given, are the resource types that can be deployed; any other is
    `Unrecognized resource types`. Parameters' Defaults must meet their constraints
    (ParameterError otherwise).
    """
    _check_sections(template)
    parameters = [decl.name for decl in declared_parameters(template)]
    check_defaults(template)
    _check_mappings(template)
    _check_conditions(template, {*parameters, *PSEUDO_PARAMETERS})
    resources = _check_resources(template, known_types)
    shared = [name for name in parameters if name in resources]
    if shared:
        raise format_error(
            f"Parameters and Resources share the names [{', '.join(shared)}]; "
            "every logical id must be unique."
        )
    names = {*parameters, *PSEUDO_PARAMETERS, *resources}
    conditions = template.get("Conditions") or {}
    check_rules_section(template)
    for rule in (template.get("Rules") or {}).values():
        rule_parts = [rule.get("RuleCondition"), rule.get("Assertions")]
        _check_references(rule_parts, {*parameters, *PSEUDO_PARAMETERS}, (), {}, "Rules")
    missing = [
        target
        for resource in resources.values()
        for target in depends_on(resource)
        if target not in resources
    ]
    if missing:
        raise unresolved(missing, "Resources")
    parts = [[resource.get(part) for part in EVALUATED_PARTS] for resource in resources.values()]
    _check_references(parts, names, resources, conditions, "Resources")
    _check_outputs(template, names, resources)
    ordered(resource_graph(resources))
