"""`AWS::CloudFormation::StackSet`: a stack set and its StackInstancesGroup from a template.

Every step is a StackSets call through the call path as the stack's principal, and each
operation's OperationId is derived from the stack operation (its generation), the
resource and the request, so asking again (the next tick, or after a restart) is the
same operation and never a second one, while a later stack update gets operations of
its own. `stabilize` makes the instances what the groups say, one operation at a time:
first the instances no group covers any more are deleted (an account, region or OU
taken out of a group, or a whole group removed), then each group with instances still
to make is a CreateStackInstances; each is waited for across ticks. A delete removes
the instances and then the set.
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
        json.dumps(
            [pc.stack_id, pc.logical_id, pc.generation, kind, value], sort_keys=True
        ).encode()
    ).hexdigest()
    return f"cfn-{kind}-{digest[:40]}"


def _strings(values: Any) -> list[str]:
    return [str(v) for v in values or []]


def covers(group: dict[str, Any], instance: dict[str, Any], service_managed: bool) -> bool:
    """Whether an instances group asks for this instance (ListStackInstances' summary).

    A service-managed instance belongs to the OU it was deployed through, narrowed or
    widened by the group's accounts as AccountFilterType says.
    """
    if instance["Region"] not in _strings(group.get("Regions")):
        return False
    targets = group.get("DeploymentTargets") or {}
    account = instance["Account"]
    accounts = _strings(targets.get("Accounts"))
    units = _strings(targets.get("OrganizationalUnitIds"))
    if not service_managed or not units:
        return account in accounts
    in_unit = instance.get("OrganizationalUnitId") in units
    kind = targets.get("AccountFilterType") or "NONE"
    if kind == "INTERSECTION":
        return in_unit and account in accounts
    if kind == "DIFFERENCE":
        return in_unit and account not in accounts
    if kind == "UNION":
        return in_unit or account in accounts
    return in_unit


def _removal(physical_id: str, props: Properties, listed: list[dict[str, Any]]) -> dict[str, Any]:
    """A DeleteStackInstances of every account and region of these instances."""
    request: dict[str, Any] = {
        "StackSetName": physical_id,
        "Regions": sorted({i["Region"] for i in listed}),
        "RetainStacks": False,
        **_call_as(props),
    }
    units = sorted({i["OrganizationalUnitId"] for i in listed if "OrganizationalUnitId" in i})
    loose = sorted({i["Account"] for i in listed if "OrganizationalUnitId" not in i})
    if units:
        targets: dict[str, Any] = {"OrganizationalUnitIds": units}
        if loose:
            targets.update(Accounts=loose, AccountFilterType="UNION")
        request["DeploymentTargets"] = targets
    else:
        request["Accounts"] = loose
    return request


def _dropped_units(
    groups: list[dict[str, Any]], deployed: dict[str, set[str]]
) -> dict[str, set[str]]:
    """The OUs, and their regions, deployed through but no group targets any more."""
    dropped: dict[str, set[str]] = {}
    for unit, regions in deployed.items():
        for region in regions:
            wanted = any(
                unit in _strings((g.get("DeploymentTargets") or {}).get("OrganizationalUnitIds"))
                and region in _strings(g.get("Regions"))
                for g in groups
            )
            if not wanted:
                dropped.setdefault(unit, set()).add(region)
    return dropped


def _unit_removal(
    physical_id: str, props: Properties, dropped: dict[str, set[str]]
) -> dict[str, Any]:
    """A DeleteStackInstances of whole OUs in the regions they are dropped from: those
    that share one set of regions first (the operation works each OU in each region)."""
    batches: dict[tuple[str, ...], list[str]] = {}
    for unit, regions in sorted(dropped.items()):
        batches.setdefault(tuple(sorted(regions)), []).append(unit)
    lost, units = min(batches.items())
    return {
        "StackSetName": physical_id,
        "DeploymentTargets": {"OrganizationalUnitIds": units},
        "Regions": list(lost),
        "RetainStacks": False,
        **_call_as(props),
    }


def _first_removal(
    physical_id: str, props: Properties, extra: list[dict[str, Any]]
) -> dict[str, Any]:
    """A DeleteStackInstances of some of these instances and of nothing else.

    An operation works every account it names in every region it names, so the first
    batch is the accounts that share one set of regions to lose (and, service-managed,
    are all deployed through an OU or all not), named exactly.
    """
    by_account: dict[str, set[str]] = {}
    through: dict[str, str | None] = {}
    for instance in extra:
        by_account.setdefault(instance["Account"], set()).add(instance["Region"])
        through[instance["Account"]] = instance.get("OrganizationalUnitId")
    batches: dict[tuple[tuple[str, ...], bool], list[str]] = {}
    for account, regions in sorted(by_account.items()):
        batches.setdefault((tuple(sorted(regions)), through[account] is None), []).append(account)
    (lost, loose), accounts = min(batches.items())
    request: dict[str, Any] = {
        "StackSetName": physical_id,
        "Regions": list(lost),
        "RetainStacks": False,
        **_call_as(props),
    }
    if props.get("PermissionModel") != "SERVICE_MANAGED":
        request["Accounts"] = accounts
    elif loose:
        request["DeploymentTargets"] = {"Accounts": accounts}
    else:
        units = sorted({str(through[a]) for a in accounts})
        request["DeploymentTargets"] = {
            "OrganizationalUnitIds": units,
            "Accounts": accounts,
            "AccountFilterType": "INTERSECTION",
        }
    return request


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

    def _instances(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> list[dict[str, Any]]:
        request: dict[str, Any] = {"StackSetName": physical_id, **_call_as(props)}
        found: list[dict[str, Any]] = []
        while True:
            page = pc.call("cloudformation", "ListStackInstances", request)
            found.extend(page["Summaries"])
            if not page.get("NextToken"):
                return found
            request["NextToken"] = page["NextToken"]

    def _deployed_units(
        self, pc: ProviderContext, physical_id: str, props: Properties
    ) -> dict[str, set[str]]:
        listed = pc.call(
            "cloudformation",
            "ListStackSetAutoDeploymentTargets",
            {"StackSetName": physical_id, **_call_as(props)},
        )["Summaries"]
        return {str(t["OrganizationalUnitId"]): set(t["Regions"]) for t in listed}

    def _made(
        self,
        group: dict[str, Any],
        have: dict[tuple[str, str], str],
        units: dict[str, set[str]] | None,
    ) -> bool:
        """Whether a group's instances are all there and current (a group with parameter
        overrides is deployed again, so its overrides hold)."""
        if group.get("ParameterOverrides"):
            return False
        regions = _strings(group.get("Regions"))
        targets = group.get("DeploymentTargets") or {}
        if units is None:
            return all(
                have.get((account, region)) == "CURRENT"
                for account in _strings(targets.get("Accounts"))
                for region in regions
            )
        # Service-managed: which accounts an OU holds is the organization's to say; a
        # group of whole OUs all deployed through in its regions is there.
        if targets.get("Accounts") or targets.get("AccountFilterType") not in (None, "NONE"):
            return False
        wanted = _strings(targets.get("OrganizationalUnitIds"))
        return bool(wanted) and all(set(regions) <= units.get(unit, set()) for unit in wanted)

    def stabilize(self, pc: ProviderContext, physical_id: str, props: Properties) -> bool:
        if self._busy(pc, physical_id, props):
            return False
        groups = list(props.get("StackInstancesGroup") or [])
        service_managed = props.get("PermissionModel") == "SERVICE_MANAGED"
        listed = self._instances(pc, physical_id, props)
        extra = [i for i in listed if not any(covers(g, i, service_managed) for g in groups)]
        units = self._deployed_units(pc, physical_id, props) if service_managed else None
        # An OU no group targets goes as a whole (auto-deployment stops keeping it);
        # then the single instances no group covers.
        dropped = _dropped_units(groups, units or {})
        if dropped or extra:
            removal = (
                _unit_removal(physical_id, props, dropped)
                if dropped
                else _first_removal(physical_id, props, extra)
            )
            if props.get("OperationPreferences"):
                removal["OperationPreferences"] = props["OperationPreferences"]
            removal["OperationId"] = _operation_id(pc, "remove", removal)
            op = pc.call("cloudformation", "DeleteStackInstances", removal)["OperationId"]
            if self._wait(pc, physical_id, props, str(op)):
                # The same request again is that finished operation: what it was to
                # delete is still there.
                left = [f"{u}/{r}" for u, regions in dropped.items() for r in sorted(regions)]
                left += [f"{i['Account']}/{i['Region']}" for i in extra]
                raise ResourceFailed(f"Stack instances of {', '.join(left)} could not be removed")
            return False
        have = {(i["Account"], i["Region"]): str(i["Status"]) for i in listed}
        for group in groups:
            if self._made(group, have, units):
                continue
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
            # An operation still under way (the instances' removal, whose last stack is
            # gone before the operation is marked done) must end before anything else.
            if self._busy(pc, physical_id, props):
                return False
            listed = self._instances(pc, physical_id, props)
            if not listed:
                pc.call(
                    "cloudformation",
                    "DeleteStackSet",
                    {"StackSetName": physical_id, **_call_as(props)},
                )
                return None
            request = _removal(physical_id, props, listed)
            request["OperationId"] = _operation_id(pc, "delete", request)
            op = pc.call("cloudformation", "DeleteStackInstances", request)["OperationId"]
            self._wait(pc, physical_id, props, str(op))
            return False
        except ServiceError as error:
            if gone(error):
                return None
            raise


api.resource_type(StackSetResource())
