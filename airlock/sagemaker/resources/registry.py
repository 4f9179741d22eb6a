"""`AWS::SageMaker::ModelPackageGroup`: a group of model versions, shared by its policy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airlock.core.resources import Properties, ProviderContext, ResourceSpec

from .common import NamedResource, as_json, call, sync_tags

NAME = "ModelPackageGroupName"


def instant(moment: datetime) -> str:
    """A time as CloudFormation's SageMaker handlers give it: ISO 8601 in UTC to the ms."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ModelPackageGroup(NamedResource):
    """A model package group; `Ref` is its ARN, and its policy changes in place."""

    type_name = "AWS::SageMaker::ModelPackageGroup"
    kind = "ModelPackageGroup"
    members = ("ModelPackageGroupDescription",)
    spec = ResourceSpec(
        properties=frozenset(
            {NAME, "ModelPackageGroupDescription", "ModelPackageGroupPolicy", "Tags"}
        ),
        required=frozenset({NAME}),
        create_only=frozenset({NAME, "ModelPackageGroupDescription"}),
        attributes=frozenset({"CreationTime", "ModelPackageGroupArn", "ModelPackageGroupStatus"}),
    )

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        group = {NAME: props[NAME]}
        policy = props.get("ModelPackageGroupPolicy")
        if policy:
            call(pc, "PutModelPackageGroupPolicy", {**group, "ResourcePolicy": as_json(policy)})
        elif old is not None and old.get("ModelPackageGroupPolicy"):
            call(pc, "DeleteModelPackageGroupPolicy", group)
        sync_tags(pc, physical_id, props, old)

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        group = call(pc, "DescribeModelPackageGroup", {NAME: props[NAME]})
        return {
            "Ref": physical_id,
            "ModelPackageGroupArn": group["ModelPackageGroupArn"],
            "CreationTime": instant(group["CreationTime"]),
            "ModelPackageGroupStatus": group["ModelPackageGroupStatus"],
        }
