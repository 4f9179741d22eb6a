"""Running a stack set action's plan: calls made one after another, each operation waited
for before the next call.

The plan is worked out by a first step that changes nothing and is saved with its
outcome, so a repeated step never plans again from a state its own calls changed. Each
call is idempotent: CreateStackSet by its ClientRequestToken, every operation by its
OperationId (derived from the job), so a step repeated after a crash re-attaches to the
operation the first one started.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airlock.core.api import Output, Params
from airlock.core.pipeline_actions import ActionJob, ActionOutcome

from .common import cfn

Item = dict[str, Any]
UNDER_WAY = ("RUNNING", "QUEUED", "STOPPING")


def planned(job: ActionJob, plan: list[Item], summary: str) -> ActionOutcome:
    """The first step's outcome: the plan saved, nothing done yet."""
    return ActionOutcome("InProgress", state={"plan": plan, "index": 0}, summary=summary)


def run_plan(platform: Any, job: ActionJob, request: Callable[[Item], Params]) -> ActionOutcome:
    """Go on with the saved plan: make the next call, or look at the operation under way."""
    name = job.configuration["StackSetName"]
    plan: list[Item] = list(job.state["plan"])
    index = int(job.state.get("index", 0))
    started = bool(job.state.get("started"))
    last: str | None = job.state.get("last")
    while index < len(plan):
        item = plan[index]
        if not started:
            cfn(platform, job, item["call"], request(item))
            if item["call"] == "CreateStackSet":  # no operation to wait for
                index += 1
                continue
            started = True
        last = item["id"]
        operation = cfn(
            platform, job, "DescribeStackSetOperation", {"StackSetName": name, "OperationId": last}
        )["StackSetOperation"]
        state = {"plan": plan, "index": index, "started": True, "last": last}
        if operation["Status"] in UNDER_WAY:
            return ActionOutcome("InProgress", state=state, external_execution_id=last)
        if operation["Status"] != "SUCCEEDED":
            return ActionOutcome.failed(
                failure_summary(platform, job, name, operation),
                state=state,
                external_execution_id=last,
            )
        index, started = index + 1, False
    done = [i["id"] for i in plan if "id" in i]
    return ActionOutcome(
        "Succeeded",
        state={"plan": plan, "index": index, "last": last},
        external_execution_id=last,
        summary=f"Stack set {name}: operations {', '.join(done)} succeeded"
        if done
        else f"Stack set {name}: nothing to deploy",
    )


def failure_summary(platform: Any, job: ActionJob, name: str, operation: Output) -> str:
    """What a failed or stopped operation came to, instance by instance."""
    operation_id = operation["OperationId"]
    results: list[Output] = []
    params: Params = {"StackSetName": name, "OperationId": operation_id}
    while True:
        page = cfn(platform, job, "ListStackSetOperationResults", params)
        results.extend(page.get("Summaries") or [])
        if not page.get("NextToken"):
            break
        params = {**params, "NextToken": page["NextToken"]}
    failed = [r for r in results if r.get("Status") in ("FAILED", "CANCELLED")]
    message = f"Stack set operation {operation_id} of {name} is {operation['Status']}"
    if operation.get("StatusReason"):
        message += f": {operation['StatusReason']}"
    if failed:
        detail = "; ".join(
            f"{r['Account']} {r['Region']} {r['Status']}: {r.get('StatusReason', '')}"
            for r in failed
        )
        message += f". {len(failed)} of {len(results)} stack instances did not succeed: {detail}"
    return message
