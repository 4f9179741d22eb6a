"""Deploy/AWS/CloudFormation: create, update, replace or delete a stack, or make and run a
change set, as CodePipeline's CloudFormation action does.

Every call is the action role's, through the call path. Each stack operation carries a
ClientRequestToken derived from the job, and a step first looks at the stack's events for
one of those tokens: a step repeated after a crash attaches to the operation the first
one began instead of starting another.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from airlock.core.errors import ServiceError
from airlock.core.pipeline_actions import ActionJob, ActionOutcome

from .change_set_modes import execute_change_set, replace_change_set
from .common import cfn, guarded, key, properties, required
from .stack_request import stack_request
from .stack_status import (
    FAILED_STATES,
    SUCCEEDED,
    describe,
    failure_message,
    started_by,
    succeeded,
    waiting,
)

log = logging.getLogger(__name__)

MODES = (
    "CREATE_UPDATE",
    "DELETE_ONLY",
    "REPLACE_ON_FAILURE",
    "CHANGE_SET_REPLACE",
    "CHANGE_SET_EXECUTE",
)
NO_UPDATES = "No updates are to be performed."
# The modes that need the stack's role, as CodePipeline requires it.
ROLE_MODES = ("CREATE_UPDATE", "REPLACE_ON_FAILURE", "DELETE_ONLY", "CHANGE_SET_REPLACE")


def tokens(job: ActionJob) -> dict[str, str]:
    """This job's ClientRequestToken for each kind of stack operation."""
    return {verb: key(job, verb) for verb in ("Create", "Update", "Delete", "Execute")}


class StackAction:
    """The CloudFormation deploy action type."""

    category = "Deploy"
    owner = "AWS"
    provider = "CloudFormation"
    version = "1"
    configuration = properties(
        ("ActionMode", "StackName"),
        (
            "ChangeSetName",
            "TemplatePath",
            "TemplateConfiguration",
            "ParameterOverrides",
            "Capabilities",
            "RoleArn",
            "OutputFileName",
        ),
    )
    input_artifacts = (0, 10)
    output_artifacts = (0, 1)

    def check(self, configuration: Mapping[str, str]) -> str | None:
        """Why CreatePipeline refuses this configuration, or None."""
        missing = required(configuration, "ActionMode", "StackName")
        if missing:
            return missing
        mode = configuration["ActionMode"]
        if mode not in MODES:
            return f"ActionMode {mode} is not valid: use one of {', '.join(MODES)}"
        if mode.startswith("CHANGE_SET") and not configuration.get("ChangeSetName"):
            return f"Action configuration is missing the required key ChangeSetName for {mode}"
        if mode in ("CREATE_UPDATE", "REPLACE_ON_FAILURE", "CHANGE_SET_REPLACE"):
            missing = required(configuration, "TemplatePath")
            if missing:
                return f"{missing} for {mode}"
        if mode in ROLE_MODES and not configuration.get("RoleArn"):
            return f"Action configuration is missing the required key RoleArn for {mode}"
        return None

    def step(self, platform: Any, job: ActionJob) -> ActionOutcome:
        """Begin, or look at the stack operation under way."""
        return guarded(_step, platform, job)

    def abandon(self, platform: Any, job: ActionJob) -> None:
        """An update this job started is cancelled (it rolls back); others run to their end."""
        stack_id = job.state.get("stack_id")
        if not stack_id or job.state.get("operation") != "Update":
            return
        try:
            stack = describe(platform, job, stack_id)
            if stack and stack["StackStatus"] == "UPDATE_IN_PROGRESS":
                cfn(platform, job, "CancelUpdateStack", {"StackName": stack_id})
        except ServiceError as error:
            log.warning("abandoning %s: %s: %s", job.job_id, error.code, error.message)


def _step(platform: Any, job: ActionJob) -> ActionOutcome:
    phase = job.state.get("phase")
    if phase == "wait":
        return wait(platform, job)
    if phase == "replace":
        return _replaced(platform, job)
    mode = job.configuration["ActionMode"]
    if mode == "DELETE_ONLY":
        return _delete(platform, job)
    if mode == "CHANGE_SET_REPLACE":
        return replace_change_set(platform, job)
    if mode == "CHANGE_SET_EXECUTE":
        return execute_change_set(platform, job)
    if mode in ("CREATE_UPDATE", "REPLACE_ON_FAILURE"):
        return _create_or_update(platform, job, replace=mode == "REPLACE_ON_FAILURE")
    return ActionOutcome.failed(f"ActionMode {mode} is not valid", "ConfigurationError")


def _create_or_update(platform: Any, job: ActionJob, *, replace: bool) -> ActionOutcome:
    name = job.configuration["StackName"]
    token = tokens(job)
    stack = describe(platform, job, name)
    if stack is not None:
        begun = started_by(platform, job, stack["StackId"], token.values())
        if begun == token["Delete"]:
            return _replacing(job, stack["StackId"])
        if begun is not None:
            return waiting(
                job, stack["StackId"], "Create" if begun == token["Create"] else "Update"
            )
    request = stack_request(platform, job)
    if stack is None:
        made = cfn(platform, job, "CreateStack", {**request, "ClientRequestToken": token["Create"]})
        return waiting(job, made["StackId"], "Create")
    if replace and stack["StackStatus"] in FAILED_STATES:
        cfn(
            platform,
            job,
            "DeleteStack",
            {"StackName": stack["StackId"], "ClientRequestToken": token["Delete"], **_role(job)},
        )
        return _replacing(job, stack["StackId"])
    try:
        cfn(platform, job, "UpdateStack", {**request, "ClientRequestToken": token["Update"]})
    except ServiceError as error:
        if error.code == "ValidationError" and error.message == NO_UPDATES:
            return succeeded(job, stack, f"Stack {name}: {NO_UPDATES}")
        raise
    return waiting(job, stack["StackId"], "Update")


def _role(job: ActionJob) -> dict[str, str]:
    role = job.configuration.get("RoleArn")
    return {"RoleARN": role} if role else {}


def _replacing(job: ActionJob, stack_id: str) -> ActionOutcome:
    return ActionOutcome(
        "InProgress",
        state={"phase": "replace", "stack_id": stack_id},
        external_execution_id=stack_id,
    )


def _replaced(platform: Any, job: ActionJob) -> ActionOutcome:
    """REPLACE_ON_FAILURE: once the failed stack is deleted, a new one is created."""
    old = describe(platform, job, job.state["stack_id"])
    if old is not None and old["StackStatus"] == "DELETE_IN_PROGRESS":
        return _replacing(job, job.state["stack_id"])
    if old is not None and old["StackStatus"] != "DELETE_COMPLETE":
        return ActionOutcome.failed(
            failure_message(platform, job, old, tokens(job).values()),
            state=dict(job.state),
            external_execution_id=old["StackId"],
        )
    token = tokens(job)["Create"]
    request = stack_request(platform, job)
    made = cfn(platform, job, "CreateStack", {**request, "ClientRequestToken": token})
    return waiting(job, made["StackId"], "Create")


def _delete(platform: Any, job: ActionJob) -> ActionOutcome:
    name = job.configuration["StackName"]
    stack = describe(platform, job, name)
    if stack is None:
        return succeeded(job, None, f"Stack {name} does not exist: nothing to delete")
    cfn(
        platform,
        job,
        "DeleteStack",
        {"StackName": stack["StackId"], "ClientRequestToken": tokens(job)["Delete"], **_role(job)},
    )
    return waiting(job, stack["StackId"], "Delete")


def wait(platform: Any, job: ActionJob) -> ActionOutcome:
    """The operation's end: the stack's status decides."""
    stack_id = job.state["stack_id"]
    operation = job.state.get("operation")
    stack = describe(platform, job, stack_id)
    if stack is None:  # a stack id always names the stack, deleted or not
        return ActionOutcome.failed(f"Stack {stack_id} does not exist", state=dict(job.state))
    status = stack["StackStatus"]
    if status.endswith("_IN_PROGRESS"):
        return waiting(job, stack_id, str(operation))
    if operation == "Delete" and status == "DELETE_COMPLETE":
        outcome = succeeded(job, None, f"Stack {stack['StackName']} was deleted")
        outcome.external_execution_id = stack_id
        return outcome
    if operation != "Delete" and status in SUCCEEDED:
        verb = {"Create": "created", "Update": "updated"}.get(str(operation), "changed")
        return succeeded(job, stack, f"Stack {stack['StackName']} was {verb}")
    return ActionOutcome.failed(
        failure_message(platform, job, stack, tokens(job).values()),
        state=dict(job.state),
        external_execution_id=stack_id,
    )
