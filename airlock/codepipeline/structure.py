"""What CreatePipeline and UpdatePipeline check about a declaration, and its defaults.

Pure: the action types known are handed in (the services' registered providers and the
engine's own approval), so the checks can be tested without a server.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from airlock.core.pipeline_actions import ActionProvider, action_key

from .errors import (
    CodePipelineValidation,
    InvalidActionDeclaration,
    InvalidStageDeclaration,
    InvalidStructure,
)
from .variables import PIPELINE_NAMESPACE, VARIABLES_NAMESPACE, references


def _type_text(type_id: Mapping[str, str], action: str, region: str) -> str:
    return (
        f"ActionType (Category: '{type_id.get('category')}', Provider: "
        f"'{type_id.get('provider')}', Owner: '{type_id.get('owner')}', Version: "
        f"'{type_id.get('version')}') in action '{action}' is not available in region "
        f"'{region.upper().replace('-', '_')}'"
    )


def _check_modes(declaration: dict[str, Any]) -> None:
    kind = declaration.setdefault("pipelineType", "V1")
    mode = declaration.setdefault("executionMode", "SUPERSEDED")
    if kind == "V1" and mode != "SUPERSEDED":
        raise CodePipelineValidation(
            f"Execution mode {mode} is not supported for pipeline type V1: use pipelineType V2"
        )
    if kind == "V1" and declaration.get("variables"):
        raise CodePipelineValidation(
            "Pipeline variables are not supported for pipeline type V1: use pipelineType V2"
        )
    names = [v["name"] for v in declaration.get("variables") or []]
    if len(set(names)) != len(names):
        raise CodePipelineValidation("Pipeline variable names must be unique")


def _check_store(declaration: dict[str, Any], region: str) -> None:
    store, stores = declaration.get("artifactStore"), declaration.get("artifactStores")
    if store and stores:
        raise InvalidStructure(
            "Pipeline cannot have both artifactStore and artifactStores: use one of them"
        )
    if not store and not stores:
        raise InvalidStructure("Pipeline must have an artifactStore or artifactStores")
    if stores and region not in stores:
        raise InvalidStructure(f"artifactStores must include the pipeline's region {region}")


def artifact_bucket(declaration: Mapping[str, Any], region: str) -> str:
    """The pipeline's artifact store bucket in its region."""
    store = declaration.get("artifactStore") or (declaration.get("artifactStores") or {})[region]
    return str(store["location"])


def check_declaration(
    declaration: dict[str, Any], known: Mapping[str, ActionProvider], region: str
) -> dict[str, Any]:
    """The declaration with AWS's defaults, or the error CreatePipeline answers with."""
    out = copy.deepcopy(declaration)
    out.pop("version", None)
    _check_modes(out)
    _check_store(out, region)
    stages = out["stages"]
    if len(stages) < 2:
        raise InvalidStructure("Pipeline has only 1 stage: a pipeline must have at least 2 stages")
    seen_stages: set[str] = set()
    outputs: set[str] = set()
    namespaces: set[str] = {PIPELINE_NAMESPACE, VARIABLES_NAMESPACE}
    variables = {v["name"] for v in out.get("variables") or []}
    for index, stage in enumerate(stages):
        name = stage["name"]
        if name in seen_stages:
            raise InvalidStructure(f"Stage name '{name}' is not unique: stage names must be unique")
        seen_stages.add(name)
        actions = stage.get("actions") or []
        if not actions:
            raise InvalidStageDeclaration(f"Stage '{name}' must have at least one action")
        _check_stage(index, stage, actions, known, region, outputs, namespaces, variables)
    return out


def _check_stage(
    index: int,
    stage: dict[str, Any],
    actions: list[dict[str, Any]],
    known: Mapping[str, ActionProvider],
    region: str,
    outputs: set[str],
    namespaces: set[str],
    variables: set[str],
) -> None:
    names: set[str] = set()
    for action in actions:
        action.setdefault("runOrder", 1)
        action.setdefault("inputArtifacts", [])
        action.setdefault("outputArtifacts", [])
        action.setdefault("configuration", {})
        if action["name"] in names:
            raise InvalidStructure(
                f"Action name '{action['name']}' is not unique in stage '{stage['name']}'"
            )
        names.add(action["name"])
        source = action["actionTypeId"]["category"] == "Source"
        if index == 0 and not source:
            raise InvalidStructure(
                f"Pipeline's first stage '{stage['name']}' must contain only Source actions: "
                f"action '{action['name']}' is a {action['actionTypeId']['category']} action"
            )
        if index > 0 and source:
            raise InvalidStructure(
                f"Source action '{action['name']}' must be in the pipeline's first stage"
            )
    # Actions of one stage see the outputs and namespaces of lower runOrders only.
    for order in sorted({a["runOrder"] for a in actions}):
        group = [a for a in actions if a["runOrder"] == order]
        produced: set[str] = set()
        declared: set[str] = set()
        for action in group:
            _check_action(action, known, region, outputs, namespaces, variables)
            for artifact in action["outputArtifacts"]:
                if artifact["name"] in outputs or artifact["name"] in produced:
                    raise InvalidStructure(
                        f"Output artifact name '{artifact['name']}' is not unique in the pipeline"
                    )
                produced.add(artifact["name"])
            if action.get("namespace"):
                if action["namespace"] in namespaces or action["namespace"] in declared:
                    raise InvalidActionDeclaration(
                        f"Namespace '{action['namespace']}' of action '{action['name']}' is not "
                        "unique in the pipeline"
                    )
                declared.add(action["namespace"])
        outputs |= produced
        namespaces |= declared


def _check_action(
    action: dict[str, Any],
    known: Mapping[str, ActionProvider],
    region: str,
    outputs: set[str],
    namespaces: set[str],
    variables: set[str],
) -> None:
    type_id = action["actionTypeId"]
    name = action["name"]
    provider = known.get(action_key(type_id["category"], type_id["owner"], type_id["provider"]))
    if provider is None or provider.version != type_id.get("version"):
        raise InvalidActionDeclaration(_type_text(type_id, name, region))
    config: dict[str, str] = action["configuration"]
    allowed = {p.name for p in provider.configuration}
    for prop in provider.configuration:
        if prop.required and not config.get(prop.name):
            raise InvalidActionDeclaration(
                f"Action configuration for action '{name}' is missing required configuration "
                f"'{prop.name}'"
            )
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise InvalidActionDeclaration(
            f"Action configuration for action '{name}' contains unknown configuration "
            f"'{unknown[0]}'"
        )
    low, high = provider.input_artifacts
    count = len(action["inputArtifacts"])
    if not low <= count <= high:
        raise InvalidActionDeclaration(
            f"Action '{name}' has {count} input artifacts: its type takes between {low} and {high}"
        )
    low, high = provider.output_artifacts
    count = len(action["outputArtifacts"])
    if not low <= count <= high:
        raise InvalidActionDeclaration(
            f"Action '{name}' has {count} output artifacts: its type takes between {low} and {high}"
        )
    for artifact in action["inputArtifacts"]:
        if artifact["name"] not in outputs:
            raise InvalidStructure(
                f"Input artifact '{artifact['name']}' of action '{name}' is not the output "
                "artifact of a preceding action"
            )
    for value in config.values():
        for namespace, variable in references(str(value)):
            if namespace not in namespaces:
                raise InvalidActionDeclaration(
                    f"Action '{name}' refers to #{{{namespace}.{variable}}}, but no preceding "
                    f"action has the namespace '{namespace}'"
                )
            if namespace == VARIABLES_NAMESPACE and variable not in variables:
                raise InvalidActionDeclaration(
                    f"Action '{name}' refers to #{{{namespace}.{variable}}}, but the pipeline "
                    f"declares no variable '{variable}'"
                )
    problem = provider.check(config)
    if problem:
        raise InvalidActionDeclaration(f"Action '{name}': {problem}")


def roles_of(declaration: Mapping[str, Any]) -> list[str]:
    """The pipeline's role and every action's, as `iam:PassRole` checks them."""
    roles = [str(declaration["roleArn"])] if declaration.get("roleArn") else []
    for stage in declaration.get("stages") or []:
        for action in stage.get("actions") or []:
            if action.get("roleArn"):
                roles.append(str(action["roleArn"]))
    return roles
