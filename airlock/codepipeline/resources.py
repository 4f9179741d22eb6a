"""CloudFormation resource type of CodePipeline: `AWS::CodePipeline::Pipeline`.

`Ref` is the pipeline's name and `Fn::GetAtt Version` its version. Everything goes through
the call path as the stack's principal: CreatePipeline (which starts the first execution,
as on AWS), UpdatePipeline (and StartPipelineExecution with RestartExecutionOnUpdate),
Disable/EnableStageTransition for DisableInboundStageTransitions, DeletePipeline.
"""

from __future__ import annotations

from typing import Any

from airlock.core.errors import ServiceError
from airlock.core.resources import BaseResource, Properties, ProviderContext, ResourceSpec, gone

from .operations import api

# Maps whose keys are the user's own, not members to rename.
_VERBATIM = {"Configuration"}
_INTEGERS = {"RunOrder", "TimeoutInMinutes"}


def _api_value(name: str, value: Any) -> Any:
    """A template value in the API's shape: camelCase members, string configuration."""
    if name in _VERBATIM and isinstance(value, dict):
        return {k: v if isinstance(v, str) else _text(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _api_value(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api_value(name, item) for item in value]
    if name in _INTEGERS:
        return int(value) if isinstance(value, str) else value
    if isinstance(value, bool | int | float):
        # The template's YAML may give `Version: 1`; every other scalar of a pipeline
        # declaration is a string in the API, as CloudFormation's schema makes it.
        return _text(value)
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Pipeline(BaseResource):
    """A pipeline, as the CloudFormation resource reference documents it."""

    type_name = "AWS::CodePipeline::Pipeline"
    spec = ResourceSpec(
        properties=frozenset(
            {
                "Name",
                "RoleArn",
                "Stages",
                "ArtifactStore",
                "ArtifactStores",
                "RestartExecutionOnUpdate",
                "PipelineType",
                "ExecutionMode",
                "Variables",
                "DisableInboundStageTransitions",
                "Tags",
            }
        ),
        required=frozenset({"RoleArn", "Stages"}),
        create_only=frozenset({"Name"}),
        attributes=frozenset({"Version"}),
    )

    def _declaration(self, name: str, props: Properties) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "roleArn": props["RoleArn"]}
        out["stages"] = _api_value("Stages", props["Stages"])
        if props.get("ArtifactStore") is not None:
            out["artifactStore"] = _api_value("ArtifactStore", props["ArtifactStore"])
        if props.get("ArtifactStores") is not None:
            out["artifactStores"] = {
                entry["Region"]: _api_value("ArtifactStore", entry["ArtifactStore"])
                for entry in props["ArtifactStores"]
            }
        for prop, member in (
            ("PipelineType", "pipelineType"),
            ("ExecutionMode", "executionMode"),
            ("Variables", "variables"),
        ):
            if props.get(prop) is not None:
                out[member] = _api_value(prop, props[prop])
        return out

    def create(self, pc: ProviderContext, props: Properties) -> str:
        name = props.get("Name") or pc.physical_name(100)
        request: dict[str, Any] = {"pipeline": self._declaration(name, props)}
        tags = pc.resource_tags(props)
        if tags:
            request["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in tags]
        pc.call("codepipeline", "CreatePipeline", request, creates=lambda _: name)
        return str(name)

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        if old is not None:
            pc.call(
                "codepipeline",
                "UpdatePipeline",
                {"pipeline": self._declaration(physical_id, props)},
            )
            if str(props.get("RestartExecutionOnUpdate", "false")).lower() == "true":
                pc.call("codepipeline", "StartPipelineExecution", {"name": physical_id})
        wanted = {
            t["StageName"]: t["Reason"] for t in props.get("DisableInboundStageTransitions") or []
        }
        before = {t["StageName"] for t in (old or {}).get("DisableInboundStageTransitions") or []}
        for stage, reason in wanted.items():
            pc.call(
                "codepipeline",
                "DisableStageTransition",
                {
                    "pipelineName": physical_id,
                    "stageName": stage,
                    "transitionType": "Inbound",
                    "reason": reason,
                },
            )
        for stage in before - set(wanted):
            pc.call(
                "codepipeline",
                "EnableStageTransition",
                {"pipelineName": physical_id, "stageName": stage, "transitionType": "Inbound"},
            )

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        got = pc.call("codepipeline", "GetPipeline", {"name": physical_id})
        return {"Ref": physical_id, "Version": str(got["pipeline"]["version"])}

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        try:
            pc.call("codepipeline", "DeletePipeline", {"name": physical_id})
        except ServiceError as error:
            if not gone(error):
                raise


api.resource_type(Pipeline())
