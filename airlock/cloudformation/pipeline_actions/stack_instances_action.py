"""Deploy/AWS/CloudFormationStackInstances: create the stack instances targets lack and
update the outdated ones (or all targeted ones, with new parameter overrides), as
CodePipeline's StackInstances action does after a StackSet action."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airlock.core.api import Params
from airlock.core.pipeline_actions import ActionJob, ActionOutcome

from .artifacts import ConfigurationError
from .common import guarded, key, properties, required
from .set_config import (
    covered,
    deployment_targets,
    instances,
    missing_groups,
    parameters,
    preferences,
    regions,
    targets,
)
from .set_plan import Item, planned, run_plan
from .stack_set_action import find_stack_set, stop_operation


class StackInstancesAction:
    """The CloudFormation StackInstances deploy action type."""

    category = "Deploy"
    owner = "AWS"
    provider = "CloudFormationStackInstances"
    version = "1"
    configuration = properties(
        ("StackSetName", "DeploymentTargets", "Regions"),
        (
            "ParameterOverrides",
            "FailureTolerancePercentage",
            "FailureToleranceCount",
            "MaxConcurrentPercentage",
            "MaxConcurrentCount",
        ),
    )
    input_artifacts = (0, 3)
    output_artifacts = (0, 0)

    def check(self, configuration: Mapping[str, str]) -> str | None:
        """Why CreatePipeline refuses this configuration, or None."""
        return required(configuration, "StackSetName", "DeploymentTargets", "Regions")

    def step(self, platform: Any, job: ActionJob) -> ActionOutcome:
        """Plan (first step), then the plan's operations one by one."""
        return guarded(_step, platform, job)

    def abandon(self, platform: Any, job: ActionJob) -> None:
        """The operation under way is stopped."""
        stop_operation(platform, job)


def _step(platform: Any, job: ActionJob) -> ActionOutcome:
    if "plan" in job.state:
        return run_plan(platform, job, lambda item: _request(job, item))
    return _plan(platform, job)


def _plan(platform: Any, job: ActionJob) -> ActionOutcome:
    name = job.configuration["StackSetName"]
    ids, wanted = targets(job), regions(job)
    overrides = parameters(job, "ParameterOverrides")
    found = find_stack_set(platform, job, name)
    if found is None:
        raise ConfigurationError(f"StackSet {name} not found")
    model = str(found.get("PermissionModel") or "SELF_MANAGED")
    have = instances(platform, job, name)
    groups = missing_groups(model, ids, wanted, have)
    plan: list[Item] = [
        {
            "call": "CreateStackInstances",
            "id": key(job, f"Instances{i}"),
            "model": model,
            "targets": group,
            "regions": group_regions,
        }
        for i, (group, group_regions) in enumerate(groups)
    ]
    lacking = {t for group, _ in groups for t in group}
    complete = [t for t in ids if t not in lacking]  # every region has its instance
    outdated = {
        covered(model, i)
        for i in have
        if i.get("Status") != "CURRENT" and i.get("Region") in wanted
    }
    chosen = [t for t in complete if overrides is not None or t in outdated]
    if chosen:
        plan.append(
            {
                "call": "UpdateStackInstances",
                "id": key(job, "Update"),
                "model": model,
                "targets": chosen,
                "regions": wanted,
            }
        )
    return planned(job, plan, f"Deploying instances of stack set {name}")


def _request(job: ActionJob, item: Item) -> Params:
    request: Params = {
        "StackSetName": job.configuration["StackSetName"],
        "DeploymentTargets": deployment_targets(item["model"], item["targets"]),
        "Regions": item["regions"],
        "OperationId": item["id"],
    }
    overrides = parameters(job, "ParameterOverrides")
    if overrides is not None:
        request["ParameterOverrides"] = overrides
    chosen = preferences(job)
    if chosen:
        request["OperationPreferences"] = chosen
    return request
