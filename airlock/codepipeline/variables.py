"""Variables in action configuration: `#{codepipeline.PipelineExecutionId}`, `#{variables.X}`
(pipeline variables) and `#{Namespace.Variable}` (an earlier action's output variables)."""

from __future__ import annotations

import re
from collections.abc import Mapping

REFERENCE = re.compile(r"#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_]+)\}")
PIPELINE_NAMESPACE = "codepipeline"
VARIABLES_NAMESPACE = "variables"


class UnresolvedVariable(Exception):
    """A reference to a namespace or variable that has no value (yet)."""


def references(value: str) -> list[tuple[str, str]]:
    """The (namespace, variable) pairs a value refers to."""
    return [(m.group(1), m.group(2)) for m in REFERENCE.finditer(value)]


def resolve(value: str, scopes: Mapping[str, Mapping[str, str]]) -> str:
    """`value` with every reference replaced; UnresolvedVariable names the first missing one."""

    def one(match: re.Match[str]) -> str:
        namespace, name = match.group(1), match.group(2)
        scope = scopes.get(namespace)
        if scope is None or name not in scope:
            raise UnresolvedVariable(
                f"The variable #{{{namespace}.{name}}} could not be resolved: "
                + (
                    f"the namespace {namespace} has no variable {name}"
                    if scope is not None
                    else f"no action produced the namespace {namespace}"
                )
            )
        return scope[name]

    return REFERENCE.sub(one, value)


def resolve_configuration(
    configuration: Mapping[str, str], scopes: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """Every value of an action's configuration, resolved."""
    return {key: resolve(str(value), scopes) for key, value in configuration.items()}


def scopes_of(
    execution_id: str,
    pipeline_variables: list[dict[str, str]],
    namespaces: Mapping[str, Mapping[str, str]],
) -> dict[str, dict[str, str]]:
    """The namespaces an execution resolves against at this point of its run."""
    scopes: dict[str, dict[str, str]] = {ns: dict(v) for ns, v in namespaces.items()}
    scopes[PIPELINE_NAMESPACE] = {"PipelineExecutionId": execution_id}
    scopes[VARIABLES_NAMESPACE] = {v["name"]: v["resolvedValue"] for v in pipeline_variables}
    return scopes
