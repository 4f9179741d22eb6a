"""CHANGE_SET_REPLACE and CHANGE_SET_EXECUTE of the CloudFormation deploy action.

A change set changes nothing until it runs, but a step repeated after a crash still
must not make a second one: an existing change set of that name whose template,
parameters and capabilities are what this job would submit is kept as the one it made.
"""

from __future__ import annotations

from typing import Any

from airlock.core.api import Output, Params
from airlock.core.errors import ServiceError
from airlock.core.pipeline_actions import ActionJob, ActionOutcome

from .common import cfn, key
from .stack_request import stack_request
from .stack_status import describe, started_by, succeeded, waiting

NO_CHANGES = "The submitted information didn't contain changes."


def _change_set(platform: Any, job: ActionJob, stack_name: str) -> Output | None:
    name = job.configuration["ChangeSetName"]
    try:
        return cfn(
            platform, job, "DescribeChangeSet", {"ChangeSetName": name, "StackName": stack_name}
        )
    except ServiceError as error:
        if error.code == "ChangeSetNotFound":
            return None
        raise


def _same(platform: Any, job: ActionJob, found: Output, request: Params) -> bool:
    """Whether an existing change set is the one `request` would make."""
    made = found.get("Status") in ("CREATE_COMPLETE", "CREATE_PENDING", "CREATE_IN_PROGRESS")
    if not made and not str(found.get("StatusReason", "")).startswith(NO_CHANGES):
        return False
    if found.get("ExecutionStatus") not in ("AVAILABLE", "UNAVAILABLE"):
        return False
    wanted = {p["ParameterKey"]: p["ParameterValue"] for p in request.get("Parameters") or []}
    have = {p["ParameterKey"]: p.get("ParameterValue") for p in found.get("Parameters") or []}
    if any(have.get(k) != v for k, v in wanted.items()):
        return False
    if sorted(found.get("Capabilities") or []) != sorted(request.get("Capabilities") or []):
        return False
    if "TemplateBody" not in request:
        return False  # a staged large template: made again rather than compared
    body = cfn(
        platform,
        job,
        "GetTemplate",
        {"StackName": found["StackId"], "ChangeSetName": found["ChangeSetId"]},
    ).get("TemplateBody")
    return bool(body == request["TemplateBody"])


def _outcome(job: ActionJob, change_set: Output) -> ActionOutcome:
    """The change set is made: Succeeded, naming it (no changes is not a failure)."""
    outcome = succeeded(job, None, f"Change set {change_set['ChangeSetName']} was created")
    outcome.external_execution_id = change_set["ChangeSetId"]
    outcome.output_variables = {}
    return outcome


def replace_change_set(platform: Any, job: ActionJob) -> ActionOutcome:
    """CHANGE_SET_REPLACE: the change set made anew (or kept, if this job made it)."""
    stack_name = job.configuration["StackName"]
    stack = describe(platform, job, stack_name)
    request = stack_request(platform, job)
    found = _change_set(platform, job, stack_name) if stack is not None else None
    if found is not None and _same(platform, job, found, request):
        return _settled(platform, job, found)
    if found is not None:
        cfn(
            platform,
            job,
            "DeleteChangeSet",
            {"ChangeSetName": found["ChangeSetId"], "StackName": found["StackId"]},
        )
    kind = "CREATE" if stack is None or stack["StackStatus"] == "REVIEW_IN_PROGRESS" else "UPDATE"
    request.pop("StackPolicyBody", None)  # not a change set's: it is the stack's
    made = cfn(
        platform,
        job,
        "CreateChangeSet",
        {**request, "ChangeSetName": job.configuration["ChangeSetName"], "ChangeSetType": kind},
    )
    found = cfn(
        platform,
        job,
        "DescribeChangeSet",
        {"ChangeSetName": made["Id"], "StackName": made["StackId"]},
    )
    return _settled(platform, job, found)


def _settled(platform: Any, job: ActionJob, found: Output) -> ActionOutcome:
    status = found.get("Status")
    if status in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
        return ActionOutcome(
            "InProgress", state=dict(job.state), external_execution_id=found["ChangeSetId"]
        )
    if status == "CREATE_COMPLETE" or str(found.get("StatusReason", "")).startswith(NO_CHANGES):
        return _outcome(job, found)
    return ActionOutcome.failed(
        f"Change set {found['ChangeSetName']} is in {status} state: "
        f"{found.get('StatusReason', '')}",
        external_execution_id=found["ChangeSetId"],
    )


def execute_change_set(platform: Any, job: ActionJob) -> ActionOutcome:
    """CHANGE_SET_EXECUTE: the change set runs; the stack's operation is waited for."""
    stack_name = job.configuration["StackName"]
    token = key(job, "Execute")
    stack = describe(platform, job, stack_name)
    if stack is None:
        return ActionOutcome.failed(f"Stack [{stack_name}] does not exist")
    if started_by(platform, job, stack["StackId"], [token]):
        return waiting(job, stack["StackId"], "Execute")
    found = _change_set(platform, job, stack["StackId"])
    if found is None:
        return ActionOutcome.failed(
            f"ChangeSet [{job.configuration['ChangeSetName']}] does not exist"
        )
    if found.get("Status") == "FAILED" and str(found.get("StatusReason", "")).startswith(
        NO_CHANGES
    ):
        return succeeded(job, stack, f"Change set {found['ChangeSetName']}: {NO_CHANGES}")
    cfn(
        platform,
        job,
        "ExecuteChangeSet",
        {
            "ChangeSetName": found["ChangeSetId"],
            "StackName": stack["StackId"],
            "ClientRequestToken": token,
        },
    )
    return waiting(job, stack["StackId"], "Execute")
