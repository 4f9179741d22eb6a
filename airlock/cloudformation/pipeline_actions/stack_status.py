"""Looking at a stack as the action's role: whether it is there, whether this job already
started an operation on it, and what its end means for the action."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Collection
from typing import Any

from airlock.core.api import Output
from airlock.core.errors import ServiceError
from airlock.core.pipeline_actions import ActionJob, ActionOutcome

from .artifacts import ConfigurationError
from .common import cfn

# The states REPLACE_ON_FAILURE replaces a stack from, as CodePipeline documents them.
FAILED_STATES = (
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "CREATE_FAILED",
    "DELETE_FAILED",
    "UPDATE_ROLLBACK_FAILED",
)
SUCCEEDED = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")
# Events of a stack looked through for this job's token, newest first.
EVENT_PAGES = 5


def describe(platform: Any, job: ActionJob, name_or_id: str) -> Output | None:
    """The stack (DescribeStacks), or None when no live stack has that name."""
    try:
        found = cfn(platform, job, "DescribeStacks", {"StackName": name_or_id})
    except ServiceError as error:
        if error.code == "ValidationError" and error.message.endswith("does not exist"):
            return None
        raise
    stacks: list[Output] = found.get("Stacks") or []
    return stacks[0] if stacks else None


def events(platform: Any, job: ActionJob, stack_id: str) -> list[Output]:
    """The stack's newest events (a few pages), newest first."""
    found: list[Output] = []
    params: dict[str, Any] = {"StackName": stack_id}
    for _ in range(EVENT_PAGES):
        page = cfn(platform, job, "DescribeStackEvents", params)
        found.extend(page.get("StackEvents") or [])
        if not page.get("NextToken"):
            break
        params = {"StackName": stack_id, "NextToken": page["NextToken"]}
    return found


def started_by(platform: Any, job: ActionJob, stack_id: str, tokens: Collection[str]) -> str | None:
    """Which of this job's ClientRequestTokens an operation on the stack was started with.

    How a step repeated after a crash finds the operation the first one began. A role
    that may not read the events cannot tell; it goes on as if nothing was started (the
    create is idempotent by its token anyway)."""
    try:
        for event in events(platform, job, stack_id):
            if event.get("ClientRequestToken") in tokens:
                return str(event["ClientRequestToken"])
    except ServiceError as error:
        if not error.code.startswith("AccessDenied"):
            raise
    return None


def outputs_of(stack: Output) -> dict[str, str]:
    """The stack's outputs, key → value."""
    return {str(o["OutputKey"]): str(o.get("OutputValue", "")) for o in stack.get("Outputs") or []}


def succeeded(job: ActionJob, stack: Output | None, summary: str) -> ActionOutcome:
    """Succeeded: the stack's outputs as variables and, with OutputFileName, in the output."""
    outputs = outputs_of(stack) if stack else {}
    file_name = job.configuration.get("OutputFileName")
    if file_name:
        if not job.outputs:
            raise ConfigurationError(
                "OutputFileName is set but the action declares no output artifact"
            )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(file_name, json.dumps(outputs, indent=2))
        job.write_artifact(job.outputs[0].name, buffer.getvalue())
    return ActionOutcome(
        "Succeeded",
        state=dict(job.state),
        external_execution_id=stack["StackId"] if stack else None,
        summary=summary,
        output_variables=outputs,
    )


def failure_message(platform: Any, job: ActionJob, stack: Output, tokens: Collection[str]) -> str:
    """Why the stack's operation failed: its status, its reason, the first failed resource.

    As in CodePipeline, the resource's reason needs cloudformation:DescribeStackEvents;
    without it the message is the stack's own."""
    message = f"Stack {stack['StackName']} is in {stack['StackStatus']} state"
    if stack.get("StackStatusReason"):
        message += f": {stack['StackStatusReason']}"
    try:
        found = events(platform, job, stack["StackId"])
    except ServiceError:
        return message
    ours = [e for e in found if e.get("ClientRequestToken") in tokens] or found
    failed = [
        e
        for e in ours
        if str(e.get("ResourceStatus", "")).endswith("_FAILED")
        and e.get("LogicalResourceId") != stack["StackName"]
    ]
    if failed:
        first = failed[-1]  # newest first: the last one listed failed first
        message += (
            f". Resource {first['LogicalResourceId']} ({first['ResourceType']}) "
            f"{first['ResourceStatus']}: {first.get('ResourceStatusReason', '')}"
        )
    return message


def waiting(job: ActionJob, stack_id: str, operation: str) -> ActionOutcome:
    """InProgress, waiting for the operation on the stack to end."""
    return ActionOutcome(
        "InProgress",
        state={"phase": "wait", "stack_id": stack_id, "operation": operation},
        external_execution_id=stack_id,
    )
