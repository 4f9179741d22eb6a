"""CloudFormation resource types of CloudWatch Logs: `AWS::Logs::LogGroup`."""

from __future__ import annotations

from typing import Any

from airlock.core.errors import ServiceError
from airlock.core.resources import (
    BaseResource,
    Properties,
    ProviderContext,
    ResourceSpec,
    gone,
)

from .operations import api


class LogGroup(BaseResource):
    """A log group; `Ref` is its name, `Arn` ends in `:*` as CloudFormation documents it."""

    type_name = "AWS::Logs::LogGroup"
    spec = ResourceSpec(
        properties=frozenset(
            {
                "LogGroupName",
                "RetentionInDays",
                "KmsKeyId",
                "LogGroupClass",
                "Tags",
                "DataProtectionPolicy",
                "FieldIndexPolicies",
                "ResourcePolicyDocument",
            }
        ),
        create_only=frozenset({"LogGroupName", "LogGroupClass"}),
        attributes=frozenset({"Arn"}),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        name = props.get("LogGroupName") or pc.physical_name(512)
        request: dict[str, Any] = {"logGroupName": name}
        tags = pc.resource_tags(props)
        if tags:
            request["tags"] = {t["Key"]: t["Value"] for t in tags}
        if props.get("KmsKeyId"):
            request["kmsKeyId"] = props["KmsKeyId"]
        pc.call("logs", "CreateLogGroup", request, creates=lambda _: name)
        return name

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        days = props.get("RetentionInDays")
        if days is not None:
            request = {"logGroupName": physical_id, "retentionInDays": int(days)}
            pc.call("logs", "PutRetentionPolicy", request)
        elif old is not None and old.get("RetentionInDays") is not None:
            pc.call("logs", "DeleteRetentionPolicy", {"logGroupName": physical_id})

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        arn = f"arn:aws:logs:{pc.region}:{pc.account_id}:log-group:{physical_id}:*"
        return {"Ref": physical_id, "Arn": arn}

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> None:
        try:
            pc.call("logs", "DeleteLogGroup", {"logGroupName": physical_id})
        except ServiceError as error:
            if not gone(error):
                raise


api.resource_type(LogGroup())
