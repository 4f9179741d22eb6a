"""`AWS::SageMaker::Pipeline`: a pipeline from a definition given inline or in S3."""

from __future__ import annotations

from typing import Any

from airlock.core.resources import BaseResource, Properties, ProviderContext, ResourceSpec

from .common import as_json, call, delete, members, sync_tags

SETTINGS = ("PipelineDisplayName", "PipelineDescription", "RoleArn", "ParallelismConfiguration")


def definition(props: Properties) -> dict[str, Any]:
    """CloudFormation's `PipelineDefinition` as the API takes it.

    `PipelineDefinitionBody` is the JSON text; `PipelineDefinitionS3Location` names the
    object as `Bucket`, `Key` and `Version`, which the API calls `ObjectKey` and `VersionId`.
    """
    given = props.get("PipelineDefinition") or {}
    if given.get("PipelineDefinitionBody") is not None:
        return {"PipelineDefinition": as_json(given["PipelineDefinitionBody"])}
    location = given.get("PipelineDefinitionS3Location") or {}
    s3 = {"Bucket": location.get("Bucket"), "ObjectKey": location.get("Key")}
    if location.get("Version"):
        s3["VersionId"] = location["Version"]
    return {"PipelineDefinitionS3Location": s3}


class Pipeline(BaseResource):
    """A pipeline; `Ref` is its name. Every property but the name changes in place."""

    type_name = "AWS::SageMaker::Pipeline"
    spec = ResourceSpec(
        properties=frozenset({"PipelineName", "PipelineDefinition", "Tags", *SETTINGS}),
        required=frozenset({"PipelineName", "PipelineDefinition", "RoleArn"}),
        create_only=frozenset({"PipelineName"}),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        name = str(props["PipelineName"])
        request = {
            "PipelineName": name,
            "Tags": pc.resource_tags(props) or None,
            **members(props, *SETTINGS),
            **definition(props),
        }
        call(pc, "CreatePipeline", request, creates=lambda _: name)
        return name

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        if old is None:
            return  # CreatePipeline set everything
        request = {"PipelineName": physical_id, **members(props, *SETTINGS), **definition(props)}
        answer = call(pc, "UpdatePipeline", request)
        sync_tags(pc, answer["PipelineArn"], props, old)

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        delete(pc, "DeletePipeline", {"PipelineName": physical_id})
