"""The stack set actions' configuration: deployment targets, regions, parameters and
operation preferences, as CodePipeline's StackSet and StackInstances actions take them."""

from __future__ import annotations

from typing import Any

from airlock.core.api import Output, Params
from airlock.core.pipeline_actions import ActionJob

from .artifacts import ConfigurationError, comma_list, json_file
from .common import cfn, positive_int

AUTO_DEPLOYMENT = {
    "Enabled": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
    "EnabledWithStackRetention": {"Enabled": True, "RetainStacksOnAccountRemoval": True},
    "Disabled": {"Enabled": False},
}
PREFERENCES = (
    "FailureTolerancePercentage",
    "FailureToleranceCount",
    "MaxConcurrentPercentage",
    "MaxConcurrentCount",
)


def targets(job: ActionJob) -> list[str]:
    """DeploymentTargets: account or OU ids, a comma list or a JSON list in an artifact file."""
    value = (job.configuration.get("DeploymentTargets") or "").strip()
    if "::" in value:
        document = json_file(job, value, "DeploymentTargets")
        if not isinstance(document, list) or not all(isinstance(t, str) for t in document):
            raise ConfigurationError(
                f"DeploymentTargets file {value} must be a JSON list of account or OU ids"
            )
        found = [t.strip() for t in document if t.strip()]
    else:
        found = comma_list(value)
    if not found:
        raise ConfigurationError(
            "Action configuration is missing the required key DeploymentTargets"
        )
    return list(dict.fromkeys(found))


def regions(job: ActionJob) -> list[str]:
    """Regions: a comma list."""
    found = comma_list(job.configuration.get("Regions"))
    if not found:
        raise ConfigurationError("Action configuration is missing the required key Regions")
    return list(dict.fromkeys(found))


def deployment_targets(model: str, ids: list[str]) -> Params:
    """DeploymentTargets of a call: OUs for a service-managed set, accounts otherwise."""
    if model == "SERVICE_MANAGED":
        return {"OrganizationalUnitIds": ids}
    return {"Accounts": ids}


def parameters(job: ActionJob, member: str) -> list[Params] | None:
    """`Parameters` / `ParameterOverrides`: an artifact file of [{ParameterKey,
    ParameterValue}], or the shorthand `ParameterKey=k,ParameterValue=v ...`."""
    value = (job.configuration.get(member) or "").strip()
    if not value:
        return None
    if "::" in value and not value.startswith("ParameterKey="):
        document = json_file(job, value, member)
        if not isinstance(document, list) or not all(isinstance(p, dict) for p in document):
            raise ConfigurationError(
                f"{member} file {value} must be a JSON list of ParameterKey/ParameterValue objects"
            )
        items = document
    else:
        items = [_shorthand(part, member) for part in value.split()]
    found: list[Params] = []
    for item in items:
        if not item.get("ParameterKey"):
            raise ConfigurationError(f"{member}: every parameter needs a ParameterKey")
        parameter: Params = {"ParameterKey": str(item["ParameterKey"])}
        if str(item.get("UsePreviousValue", "")).lower() == "true":
            parameter["UsePreviousValue"] = True
        else:
            parameter["ParameterValue"] = str(item.get("ParameterValue", ""))
        found.append(parameter)
    return found


def _shorthand(part: str, member: str) -> dict[str, str]:
    item: dict[str, str] = {}
    for pair in part.split(","):
        name, sep, value = pair.partition("=")
        if not sep or name not in (
            "ParameterKey",
            "ParameterValue",
            "UsePreviousValue",
            "ResolvedValue",
        ):
            raise ConfigurationError(
                f"{member} '{part}' is not valid: use ParameterKey=key,ParameterValue=value"
            )
        item[name] = value
    return item


def preferences(job: ActionJob) -> Params:
    """OperationPreferences from FailureTolerance* and MaxConcurrent*."""
    found: Params = {}
    for name in PREFERENCES:
        value = positive_int(job.configuration, name)
        if value is not None:
            found[name] = value
    for a, b in (PREFERENCES[0:2], PREFERENCES[2:4]):
        if a in found and b in found:
            raise ConfigurationError(f"Specify either {a} or {b}, not both")
    return found


def instances(platform: Any, job: ActionJob, name: str) -> list[Output]:
    """Every instance of the stack set (ListStackInstances, all pages)."""
    found: list[Output] = []
    params: Params = {"StackSetName": name}
    while True:
        page = cfn(platform, job, "ListStackInstances", params)
        found.extend(page.get("Summaries") or [])
        if not page.get("NextToken"):
            return found
        params = {"StackSetName": name, "NextToken": page["NextToken"]}


def covered(model: str, instance: Output) -> str | None:
    """The target (account, or OU for a service-managed set) an instance belongs to."""
    if model == "SERVICE_MANAGED":
        return instance.get("OrganizationalUnitId")
    return instance.get("Account")


def missing_groups(
    model: str, ids: list[str], wanted_regions: list[str], have: list[Output]
) -> list[tuple[list[str], list[str]]]:
    """The targets without an instance, grouped by the regions they lack:
    [(targets, regions)], in the configuration's order."""
    present = {(covered(model, i), i.get("Region")) for i in have}
    groups: dict[tuple[str, ...], list[str]] = {}
    for target in ids:
        lacking = tuple(r for r in wanted_regions if (target, r) not in present)
        if lacking:
            groups.setdefault(lacking, []).append(target)
    return [(found, list(lacking)) for lacking, found in groups.items()]
