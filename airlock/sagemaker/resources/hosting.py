"""Hosting's resource types: `AWS::SageMaker::Model`, `EndpointConfig` and `Endpoint`.

Models and endpoint configs are immutable (every property but Tags replaces them); an
endpoint changes config in place with UpdateEndpoint, a blue/green deployment.
"""

from __future__ import annotations

from typing import Any

from airlock.core.errors import ServiceError
from airlock.core.resources import Properties, ProviderContext, ResourceFailed, ResourceSpec

from .common import NamedResource, call, members, missing, name_in, sync_tags

MODEL_MEMBERS = (
    "PrimaryContainer",
    "Containers",
    "ExecutionRoleArn",
    "EnableNetworkIsolation",
    "VpcConfig",
    "InferenceExecutionConfig",
)
CONFIG_MEMBERS = (
    "ProductionVariants",
    "ShadowProductionVariants",
    "DataCaptureConfig",
    "KmsKeyId",
    "AsyncInferenceConfig",
    "ExplainerConfig",
    "ExecutionRoleArn",
    "EnableNetworkIsolation",
    "VpcConfig",
)
UPDATE_MEMBERS = (
    "RetainAllVariantProperties",
    "ExcludeRetainedVariantProperties",
    "DeploymentConfig",
    "RetainDeploymentConfig",
)
# Statuses an endpoint passes through on its way to InService.
ON_THE_WAY = ("Creating", "Updating", "SystemUpdating", "RollingBack")


class Model(NamedResource):
    """A model; `Ref` is its ARN."""

    type_name = "AWS::SageMaker::Model"
    kind = "Model"
    members = MODEL_MEMBERS
    spec = ResourceSpec(
        properties=frozenset({"ModelName", "Tags", *MODEL_MEMBERS}),
        create_only=frozenset({"ModelName", *MODEL_MEMBERS}),
        attributes=frozenset({"ModelName"}),
    )


class EndpointConfig(NamedResource):
    """An endpoint configuration; `Ref` is its ARN."""

    type_name = "AWS::SageMaker::EndpointConfig"
    kind = "EndpointConfig"
    members = CONFIG_MEMBERS
    spec = ResourceSpec(
        properties=frozenset({"EndpointConfigName", "Tags", *CONFIG_MEMBERS}),
        required=frozenset({"ProductionVariants"}),
        create_only=frozenset({"EndpointConfigName", *CONFIG_MEMBERS}),
        attributes=frozenset({"EndpointConfigName"}),
    )


class Endpoint(NamedResource):
    """An endpoint, ready once InService; `Ref` is its ARN.

    A new `EndpointConfigName` is an UpdateEndpoint: the new fleet comes up beside the
    old one and takes the traffic once healthy. If it never does, SageMaker keeps the
    endpoint InService on the old config with the reason, and the update fails with it.
    """

    type_name = "AWS::SageMaker::Endpoint"
    kind = "Endpoint"
    members = ("EndpointConfigName", "DeploymentConfig")
    spec = ResourceSpec(
        properties=frozenset({"EndpointName", "EndpointConfigName", "Tags", *UPDATE_MEMBERS}),
        required=frozenset({"EndpointConfigName"}),
        create_only=frozenset({"EndpointName"}),
        attributes=frozenset({"EndpointName"}),
    )

    def _describe(self, pc: ProviderContext, physical_id: str) -> dict[str, Any]:
        return call(pc, "DescribeEndpoint", {"EndpointName": name_in(physical_id)})

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        if old is None:
            return  # CreateEndpoint deploys the config
        wanted = str(props["EndpointConfigName"])
        endpoint = self._describe(pc, physical_id)
        pending = (endpoint.get("PendingDeploymentSummary") or {}).get("EndpointConfigName")
        # Against what the endpoint runs, not the old properties: a rollback to a config
        # the endpoint kept (its update failed) asks for nothing, and a repeated configure
        # finds its update under way.
        if not any(_same(name, wanted) for name in (endpoint["EndpointConfigName"], pending)):
            request = {
                "EndpointName": name_in(physical_id),
                "EndpointConfigName": wanted,
                **members(props, *UPDATE_MEMBERS),
            }
            call(pc, "UpdateEndpoint", request)
        sync_tags(pc, physical_id, props, old)

    def stabilize(self, pc: ProviderContext, physical_id: str, props: Properties) -> bool:
        endpoint = self._describe(pc, physical_id)
        status = endpoint["EndpointStatus"]
        reason = endpoint.get("FailureReason")
        if status in ON_THE_WAY:
            return False
        if status == "InService":
            if _same(endpoint["EndpointConfigName"], str(props["EndpointConfigName"])):
                return True
            raise ResourceFailed(
                reason
                or f"Endpoint {physical_id} is InService with endpoint configuration "
                f"{endpoint['EndpointConfigName']}, not {props['EndpointConfigName']}."
            )
        raise ResourceFailed(reason or f"Endpoint {physical_id} is {status}.")

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> bool | None:
        """DeleteEndpoint once, then False until the endpoint is gone, as CloudFormation waits.

        SageMaker takes an endpoint away in the background (Deleting, then gone); the
        engine asks again on a later tick instead of holding its thread, and a delete
        repeated after a crash finds the endpoint Deleting or gone.
        """
        try:
            status = self._describe(pc, physical_id).get("EndpointStatus")
        except ServiceError as error:
            if missing(error):
                return True
            raise
        if status != "Deleting":
            super().delete(pc, physical_id, props)
        return False


def _same(name: str | None, other: str) -> bool:
    """SageMaker names are matched without regard to case, as their ARNs are."""
    return name is not None and name.lower() == other.lower()
