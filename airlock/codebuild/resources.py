"""CloudFormation resource types of CodeBuild: `AWS::CodeBuild::Project`."""

from __future__ import annotations

from typing import Any

from airlock.core.errors import ServiceError
from airlock.core.resources import BaseResource, Properties, ProviderContext, ResourceSpec, gone

from .operations import api
from .service import project_arn

# Template members whose API name is not the template name with a lower-case first letter.
_RENAMED = {"BuildSpec": "buildspec"}
_BOOLEANS = {
    "PrivilegedMode",
    "InsecureSsl",
    "EncryptionDisabled",
    "ReportBuildStatus",
    "BadgeEnabled",
}
_INTEGERS = {"GitCloneDepth", "TimeoutInMinutes", "QueuedTimeoutInMinutes"}
_MEMBERS = {
    "Description": "description",
    "Source": "source",
    "SecondarySources": "secondarySources",
    "SourceVersion": "sourceVersion",
    "Artifacts": "artifacts",
    "SecondaryArtifacts": "secondaryArtifacts",
    "Environment": "environment",
    "ServiceRole": "serviceRole",
    "TimeoutInMinutes": "timeoutInMinutes",
    "QueuedTimeoutInMinutes": "queuedTimeoutInMinutes",
    "EncryptionKey": "encryptionKey",
    "LogsConfig": "logsConfig",
    "Cache": "cache",
    "BadgeEnabled": "badgeEnabled",
}


def _api_value(name: str, value: Any) -> Any:
    """A template value in the API's shape: camelCase members, real booleans and integers."""
    if isinstance(value, dict):
        return {_api_name(k): _api_value(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api_value(name, item) for item in value]
    if name in _BOOLEANS and isinstance(value, str):
        return value.lower() == "true"
    if name in _INTEGERS and isinstance(value, str):
        return int(value)
    return value


def _api_name(name: str) -> str:
    return _RENAMED.get(name) or name[:1].lower() + name[1:]


class Project(BaseResource):
    """A build project; `Ref` is its name, `Arn` its ARN, as CloudFormation documents them."""

    type_name = "AWS::CodeBuild::Project"
    spec = ResourceSpec(
        properties=frozenset({"Name", "Tags", *_MEMBERS}),
        required=frozenset({"Source", "Artifacts", "Environment", "ServiceRole"}),
        create_only=frozenset({"Name"}),
        attributes=frozenset({"Arn"}),
    )

    def _request(self, pc: ProviderContext, props: Properties) -> dict[str, Any]:
        request = {
            member: _api_value(prop, props[prop])
            for prop, member in _MEMBERS.items()
            if props.get(prop) is not None
        }
        role = request.get("serviceRole")
        if isinstance(role, str) and not role.startswith("arn:"):
            # Templates often give the role's name (`!Ref Role`); the API wants its ARN.
            request["serviceRole"] = f"arn:aws:iam::{pc.account_id}:role/{role}"
        return request

    def create(self, pc: ProviderContext, props: Properties) -> str:
        name = props.get("Name") or pc.physical_name(255)
        request = {"name": name, **self._request(pc, props)}
        tags = pc.resource_tags(props)
        if tags:
            request["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in tags]
        pc.call("codebuild", "CreateProject", request, creates=lambda _: name)
        return str(name)

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        if old is None:
            return  # CreateProject set everything
        request = {"name": physical_id, **self._request(pc, props)}
        request["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in pc.resource_tags(props)]
        if props.get("Description") is None and old.get("Description") is not None:
            request["description"] = ""
        pc.call("codebuild", "UpdateProject", request)

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        return {"Ref": physical_id, "Arn": project_arn(pc.account_id, pc.region, physical_id)}

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        try:
            pc.call("codebuild", "DeleteProject", {"name": physical_id})
        except ServiceError as error:
            if not gone(error):
                raise


api.resource_type(Project())
