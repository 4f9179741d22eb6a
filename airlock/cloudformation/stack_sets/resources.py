"""`AWS::CloudFormation::StackSet`: a stack set and its StackInstancesGroup from a template.

Every step is a StackSets call through the call path as the stack's principal. Each
instances group is one CreateStackInstances whose OperationId is derived from the stack,
the resource and the group, so asking again (the next tick, or after a restart) is the
same operation and never a second one; `stabilize` waits until each has succeeded. A
delete removes the instances (an operation, waited for across ticks) and then the set.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from airlock.core.errors import ServiceError
from airlock.core.resources import (
    BaseResource,
    Properties,
    ProviderContext,
    ResourceFailed,
    ResourceSpec,
    gone,
)

from ..operations import api

SETTINGS = (
    "AdministrationRoleARN",
    "AutoDeployment",
    "Capabilities",
    "Description",
    "ExecutionRoleName",
    "ManagedExecution",
    "Parameters",
    "PermissionModel",
    "TemplateBody",
    "TemplateURL",
)
BUSY = ("RUNNING", "STOPPING", "QUEUED")


def _operation_id(pc: ProviderContext, kind: str, value: Any) -> str:
    digest = hashlib.sha256(
        json.dumps([pc.stack_id, pc.logical_id, kind, value], sort_keys=True).encode()
    ).hexdigest()
    return f"cfn-{kind}-{digest[:40]}"


def _call_as(props: Properties) -> dict[str, Any]:
    return {"CallAs": props["CallAs"]} if props.get("CallAs") else {}


class StackSetResource(BaseResource):
    """A stack set; `Ref` and `StackSetId` are its id (`<name>:<uuid>`)."""

    type_name = "AWS::CloudFormation::StackSet"
    spec = ResourceSpec(
        properties=frozenset(
            {*SETTINGS, "CallAs", "OperationPreferences", "StackInstancesGroup", "StackSetName"}
            | {"Tags"}
        ),
        required=frozenset({"PermissionModel", "StackSetName"}),
        create_only=frozenset({"PermissionModel", "StackSetName"}),
        attributes=frozenset({"StackSetId"}),
    )

    def create(self, pc: ProviderContext, props: Properties) -> str:
        request: dict[str, Any] = {"StackSetName": props["StackSetName"], **_call_as(props)}
        request.update({k: props[k] for k in SETTINGS if props.get(k) is not None})
        tags = pc.resource_tags(props)
        if tags:
            request["Tags"] = tags
        out = pc.call(
            "cloudformation", "CreateStackSet", request, creates=lambda o: str(o["StackSetId"])
        )
        return str(out["StackSetId"])

    def configure(
        self, pc: ProviderContext, physical_id: str, props: Properties, old: Properties | None
    ) -> None:
        if old is None or all(props.get(k) == old.get(k) for k in (*SETTINGS, "Tags")):
            return
        request: dict[str, Any] = {"StackSetName": physical_id, **_call_as(props)}
        request.update({k: props[k] for k in SETTINGS if props.get(k) is not None})
        request.pop("PermissionModel", None)
        if props.get("Tags") is not None:
            request["Tags"] = pc.resource_tags(props)
        if props.get("OperationPreferences"):
            request["OperationPreferences"] = props["OperationPreferences"]
        request["OperationId"] = _operation_id(pc, "update", request)
        if self._busy(pc, physical_id, props):
            raise ResourceFailed(f"Stack set {physical_id} has an operation in progress")
        pc.call("cloudformation", "UpdateStackSet", request)

    def _busy(self, pc: ProviderContext, physical_id: str, props: Properties) -> bool:
        listed = pc.call(
            "cloudformation",
            "ListStackSetOperations",
            {"StackSetName": physical_id, **_call_as(props)},
        )["Summaries"]
        return any(o["Status"] in BUSY for o in listed)

    def _wait(self, pc: ProviderContext, physical_id: str, props: Properties, op: str) -> bool:
        """True once the operation succeeded; ResourceFailed if it did not."""
        described = pc.call(
            "cloudformation",
            "DescribeStackSetOperation",
            {"StackSetName": physical_id, "OperationId": op, **_call_as(props)},
        )["StackSetOperation"]
        if described["Status"] in BUSY:
            return False
        if described["Status"] != "SUCCEEDED":
            reason = described.get("StatusReason") or described["Status"]
            raise ResourceFailed(f"Stack set operation {op} {described['Status']}: {reason}")
        return True

    def stabilize(self, pc: ProviderContext, physical_id: str, props: Properties) -> bool:
        if self._busy(pc, physical_id, props):
            return False
        for group in props.get("StackInstancesGroup") or []:
            request: dict[str, Any] = {
                "StackSetName": physical_id,
                "DeploymentTargets": group.get("DeploymentTargets") or {},
                "Regions": list(group.get("Regions") or []),
                **_call_as(props),
            }
            if group.get("ParameterOverrides"):
                request["ParameterOverrides"] = group["ParameterOverrides"]
            if props.get("OperationPreferences"):
                request["OperationPreferences"] = props["OperationPreferences"]
            request["OperationId"] = _operation_id(pc, "instances", request)
            op = pc.call("cloudformation", "CreateStackInstances", request)["OperationId"]
            if not self._wait(pc, physical_id, props, str(op)):
                return False
        return True

    def attributes(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, Any]:
        return {"Ref": physical_id, "StackSetId": physical_id}

    def delete(self, pc: ProviderContext, physical_id: str, props: Properties) -> bool | None:
        try:
            listed = pc.call(
                "cloudformation",
                "ListStackInstances",
                {"StackSetName": physical_id, **_call_as(props)},
            )["Summaries"]
            if not listed:
                pc.call(
                    "cloudformation",
                    "DeleteStackSet",
                    {"StackSetName": physical_id, **_call_as(props)},
                )
                return None
            if self._busy(pc, physical_id, props):
                return False
            request: dict[str, Any] = {
                "StackSetName": physical_id,
                "Regions": sorted({i["Region"] for i in listed}),
                "RetainStacks": False,
                **_call_as(props),
            }
            units = sorted(
                {i["OrganizationalUnitId"] for i in listed if "OrganizationalUnitId" in i}
            )
            loose = sorted({i["Account"] for i in listed if "OrganizationalUnitId" not in i})
            if units:
                targets: dict[str, Any] = {"OrganizationalUnitIds": units}
                if loose:
                    targets.update(Accounts=loose, AccountFilterType="UNION")
                request["DeploymentTargets"] = targets
            else:
                request["Accounts"] = loose
            request["OperationId"] = _operation_id(pc, "delete", request)
            op = pc.call("cloudformation", "DeleteStackInstances", request)["OperationId"]
            self._wait(pc, physical_id, props, str(op))
            return False
        except ServiceError as error:
            if gone(error):
                return None
            raise


api.resource_type(StackSetResource())
