"""What GetTemplateSummary and ValidateTemplate answer, and the capabilities a template needs."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from airlock.cloudformation.template.checks import declared_transforms
from airlock.cloudformation.template.parameters import declared_parameters

VERSION = "2010-09-09"
CAPABILITY_IAM = "CAPABILITY_IAM"
CAPABILITY_NAMED_IAM = "CAPABILITY_NAMED_IAM"
CAPABILITY_AUTO_EXPAND = "CAPABILITY_AUTO_EXPAND"

# The IAM types CreateStack's documentation lists as needing CAPABILITY_IAM, with the inline
# policy types, which grant as much as AWS::IAM::Policy does.
_IAM_TYPES = frozenset(
    {
        "AWS::IAM::AccessKey",
        "AWS::IAM::Group",
        "AWS::IAM::GroupPolicy",
        "AWS::IAM::InstanceProfile",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Policy",
        "AWS::IAM::Role",
        "AWS::IAM::RolePolicy",
        "AWS::IAM::User",
        "AWS::IAM::UserPolicy",
        "AWS::IAM::UserToGroupAddition",
    }
)
# The property that gives each a custom name, which needs CAPABILITY_NAMED_IAM.
_IAM_NAMES = {
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
}


def _resources(template: Mapping[str, Any]) -> list[dict[str, Any]]:
    section = template.get("Resources") or {}
    return [resource for resource in section.values() if isinstance(resource, dict)]


def capability_resource_types(template: Mapping[str, Any]) -> list[str]:
    """The IAM resource types that make the template need a capability, in template order."""
    found: dict[str, None] = {}
    for resource in _resources(template):
        if resource.get("Type") in _IAM_TYPES:
            found[resource["Type"]] = None
    return list(found)


def required_capabilities(template: Mapping[str, Any]) -> list[str]:
    """What CreateStack must acknowledge: CAPABILITY_NAMED_IAM if an IAM resource is named,
    else CAPABILITY_IAM if there is one; CAPABILITY_AUTO_EXPAND for a Transform.

    CAPABILITY_NAMED_IAM also satisfies CAPABILITY_IAM (see `missing_capabilities`). A name
    counts whatever its value, since it is judged before any function is evaluated.
    """
    needed = []
    named = any(
        _IAM_NAMES.get(resource.get("Type", "")) in (resource.get("Properties") or {})
        for resource in _resources(template)
        if isinstance(resource.get("Properties"), dict)
    )
    if named:
        needed.append(CAPABILITY_NAMED_IAM)
    elif capability_resource_types(template):
        needed.append(CAPABILITY_IAM)
    if declared_transforms(template):
        needed.append(CAPABILITY_AUTO_EXPAND)
    return needed


def missing_capabilities(template: Mapping[str, Any], granted: Collection[str]) -> list[str]:
    """The required capabilities `granted` lacks (`Requires capabilities : [...]` lists them)."""
    missing = []
    for capability in required_capabilities(template):
        if capability in granted:
            continue
        if capability == CAPABILITY_IAM and CAPABILITY_NAMED_IAM in granted:
            continue
        missing.append(capability)
    return missing


def _capabilities(template: Mapping[str, Any]) -> dict[str, Any]:
    capabilities = [
        capability
        for capability in required_capabilities(template)
        if capability != CAPABILITY_AUTO_EXPAND
    ]
    if not capabilities:
        return {}
    types = ", ".join(capability_resource_types(template))
    return {
        "Capabilities": capabilities,
        "CapabilitiesReason": f"The following resource(s) require capabilities: [{types}]",
    }


def _parameters(template: Mapping[str, Any], *, typed: bool) -> list[dict[str, Any]]:
    entries = []
    for decl in declared_parameters(template):
        entry: dict[str, Any] = {"ParameterKey": decl.name}
        if decl.default is not None:
            entry["DefaultValue"] = decl.default
        if typed:
            entry["ParameterType"] = decl.type
        entry["NoEcho"] = decl.no_echo
        if decl.description is not None:
            entry["Description"] = decl.description
        if typed:
            allowed = decl.allowed_values
            entry["ParameterConstraints"] = {} if allowed is None else {"AllowedValues": allowed}
        entries.append(entry)
    return entries


def _summary(template: Mapping[str, Any], *, typed: bool) -> dict[str, Any]:
    summary: dict[str, Any] = {"Parameters": _parameters(template, typed=typed)}
    if isinstance(template.get("Description"), str):
        summary["Description"] = template["Description"]
    summary.update(_capabilities(template))
    return summary


def template_summary(template: Mapping[str, Any]) -> dict[str, Any]:
    """GetTemplateSummary's answer (botocore's GetTemplateSummaryOutput members)."""
    summary = _summary(template, typed=True)
    types = {resource.get("Type") for resource in _resources(template)}
    summary["ResourceTypes"] = sorted(kind for kind in types if isinstance(kind, str))
    summary["Version"] = VERSION
    if "Metadata" in template:
        summary["Metadata"] = json.dumps(template["Metadata"])
    summary["DeclaredTransforms"] = declared_transforms(template)
    return summary


def validation_summary(template: Mapping[str, Any]) -> dict[str, Any]:
    """ValidateTemplate's answer: GetTemplateSummary's without parameter types or constraints."""
    summary = _summary(template, typed=False)
    summary["DeclaredTransforms"] = declared_transforms(template)
    return summary
