"""Deploy/AWS/CloudFormationStackSet: create the stack set or update it, and create
instances for the targets that have none, as CodePipeline's StackSet action does.

On its first run the set is created and its instances made in the targets and regions.
Later runs first create instances for targets (and regions) that have none, with the
set's current template, then update the set, which deploys to every targeted instance:
the order AWS documents ("the new instances are deployed first and the update is
completed last").
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from airlock.core.api import Output, Params
from airlock.core.errors import ServiceError
from airlock.core.pipeline_actions import ActionJob, ActionOutcome

from .artifacts import ConfigurationError, comma_list
from .common import cfn, guarded, key, properties, required
from .set_config import (
    AUTO_DEPLOYMENT,
    deployment_targets,
    instances,
    missing_groups,
    parameters,
    preferences,
    regions,
    targets,
)
from .set_plan import Item, planned, run_plan
from .stack_request import template_params

MODELS = ("SELF_MANAGED", "SERVICE_MANAGED")


def find_stack_set(platform: Any, job: ActionJob, name: str) -> Output | None:
    """The stack set (DescribeStackSet), or None."""
    try:
        found: Output = cfn(platform, job, "DescribeStackSet", {"StackSetName": name})["StackSet"]
    except ServiceError as error:
        if error.code == "StackSetNotFoundException":
            return None
        raise
    return found


class StackSetAction:
    """The CloudFormation StackSets deploy action type."""

    category = "Deploy"
    owner = "AWS"
    provider = "CloudFormationStackSet"
    version = "1"
    configuration = properties(
        ("StackSetName", "TemplatePath", "DeploymentTargets", "Regions"),
        (
            "Parameters",
            "Capabilities",
            "PermissionModel",
            "OrganizationsAutoDeployment",
            "FailureTolerancePercentage",
            "FailureToleranceCount",
            "MaxConcurrentPercentage",
            "MaxConcurrentCount",
            "AdministrationRoleArn",
            "ExecutionRoleName",
            "Description",
        ),
    )
    input_artifacts = (1, 10)
    output_artifacts = (0, 0)

    def check(self, configuration: Mapping[str, str]) -> str | None:
        """Why CreatePipeline refuses this configuration, or None."""
        missing = required(
            configuration, "StackSetName", "TemplatePath", "DeploymentTargets", "Regions"
        )
        if missing:
            return missing
        model = configuration.get("PermissionModel") or "SELF_MANAGED"
        if model not in MODELS:
            return f"PermissionModel {model} is not valid: use SELF_MANAGED or SERVICE_MANAGED"
        auto = configuration.get("OrganizationsAutoDeployment")
        if auto and auto not in AUTO_DEPLOYMENT:
            return f"OrganizationsAutoDeployment {auto} is not valid: use " + ", ".join(
                AUTO_DEPLOYMENT
            )
        if auto and model != "SERVICE_MANAGED":
            return "OrganizationsAutoDeployment is only valid with PermissionModel SERVICE_MANAGED"
        if model == "SERVICE_MANAGED" and (
            configuration.get("AdministrationRoleArn") or configuration.get("ExecutionRoleName")
        ):
            return (
                "AdministrationRoleArn and ExecutionRoleName are only valid with "
                "PermissionModel SELF_MANAGED"
            )
        return None

    def step(self, platform: Any, job: ActionJob) -> ActionOutcome:
        """Plan (first step), then the plan's calls and operations one by one."""
        return guarded(_step, platform, job)

    def abandon(self, platform: Any, job: ActionJob) -> None:
        """The operation under way is stopped (StopStackSetOperation)."""
        stop_operation(platform, job)


def stop_operation(platform: Any, job: ActionJob) -> None:
    """Stop the operation this job has under way, if any (best effort)."""
    last = job.state.get("last")
    if not last or not job.state.get("started"):
        return
    # Over already, or not stoppable: nothing is left to stop.
    with contextlib.suppress(ServiceError):
        cfn(
            platform,
            job,
            "StopStackSetOperation",
            {"StackSetName": job.configuration["StackSetName"], "OperationId": last},
        )


def _step(platform: Any, job: ActionJob) -> ActionOutcome:
    if "plan" in job.state:
        return run_plan(platform, job, lambda item: _request(platform, job, item))
    return _plan(platform, job)


def _plan(platform: Any, job: ActionJob) -> ActionOutcome:
    config = job.configuration
    name = config["StackSetName"]
    ids, wanted = targets(job), regions(job)
    template_params(platform, job)  # a missing template fails the action now
    found = find_stack_set(platform, job, name)
    if found is None:
        model = config.get("PermissionModel") or "SELF_MANAGED"
        plan: list[Item] = [
            {"call": "CreateStackSet", "model": model},
            {
                "call": "CreateStackInstances",
                "id": key(job, "Instances0"),
                "model": model,
                "targets": ids,
                "regions": wanted,
            },
        ]
        return planned(job, plan, f"Creating stack set {name}")
    model = str(found.get("PermissionModel") or "SELF_MANAGED")
    asked = config.get("PermissionModel")
    if asked and asked != model:
        raise ConfigurationError(
            f"Stack set {name} has PermissionModel {model}: it cannot become {asked}"
        )
    groups = missing_groups(model, ids, wanted, instances(platform, job, name))
    plan = [
        {
            "call": "CreateStackInstances",
            "id": key(job, f"Instances{i}"),
            "model": model,
            "targets": group,
            "regions": group_regions,
        }
        for i, (group, group_regions) in enumerate(groups)
    ]
    plan.append(
        {
            "call": "UpdateStackSet",
            "id": key(job, "Update"),
            "model": model,
            "targets": ids,
            "regions": wanted,
        }
    )
    return planned(job, plan, f"Updating stack set {name}")


def _settings(platform: Any, job: ActionJob, model: str) -> Params:
    """What CreateStackSet and UpdateStackSet both take from the configuration."""
    config = job.configuration
    request: Params = {"StackSetName": config["StackSetName"], **template_params(platform, job)}
    given = parameters(job, "Parameters")
    if given is not None:
        request["Parameters"] = given
    capabilities = comma_list(config.get("Capabilities"))
    if capabilities:
        request["Capabilities"] = capabilities
    if config.get("Description"):
        request["Description"] = config["Description"]
    if model == "SELF_MANAGED":
        if config.get("AdministrationRoleArn"):
            request["AdministrationRoleARN"] = config["AdministrationRoleArn"]
        if config.get("ExecutionRoleName"):
            request["ExecutionRoleName"] = config["ExecutionRoleName"]
    elif config.get("OrganizationsAutoDeployment"):
        request["AutoDeployment"] = AUTO_DEPLOYMENT[config["OrganizationsAutoDeployment"]]
    return request


def _request(platform: Any, job: ActionJob, item: Item) -> Params:
    model = item["model"]
    if item["call"] == "CreateStackSet":
        return {
            **_settings(platform, job, model),
            "PermissionModel": model,
            "ClientRequestToken": key(job, "CreateStackSet"),
        }
    deployment: Params = {
        "StackSetName": job.configuration["StackSetName"],
        "DeploymentTargets": deployment_targets(model, item["targets"]),
        "Regions": item["regions"],
        "OperationId": item["id"],
    }
    chosen = preferences(job)
    if chosen:
        deployment["OperationPreferences"] = chosen
    if item["call"] == "UpdateStackSet":
        return {**_settings(platform, job, model), **deployment}
    return deployment
