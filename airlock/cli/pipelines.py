"""`airlock pipelines show|approve|reject`: a pipeline's stages and actions, and its approvals.

A client of the API like any other, signed as the profile's principal: it reads what that
principal may read (GetPipelineState, ListActionExecutions) and approves as it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

WATCH_SECONDS = 1.0


class PipelineViewError(Exception):
    """Nothing to approve, or the pipeline cannot be read; the message says why."""


def _duration(start: datetime, end: datetime) -> str:
    seconds = max(0, int((end - start).total_seconds()))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _details(cp: Any, name: str) -> dict[str, dict[str, Any]]:
    """The latest action execution of each (stage, action), by actionExecutionId."""
    found: dict[str, dict[str, Any]] = {}
    for page in cp.get_paginator("list_action_executions").paginate(pipelineName=name):
        for detail in page["actionExecutionDetails"]:
            found.setdefault(detail["actionExecutionId"], detail)
    return found


def render(cp: Any, name: str) -> tuple[list[str], bool]:
    """The lines of the view, and whether an execution is still under way."""
    state = cp.get_pipeline_state(name=name)
    details = _details(cp, name)
    lines = [f"Pipeline {name} (version {state['pipelineVersion']})"]
    busy = False
    for stage in state["stageStates"]:
        latest = stage.get("latestExecution") or {}
        status = latest.get("status", "-")
        busy |= status in ("InProgress", "Stopping")
        header = f"  {stage['stageName']}: {status}"
        if latest.get("pipelineExecutionId"):
            header += f" ({latest['pipelineExecutionId']})"
        transition = stage.get("inboundTransitionState") or {}
        if transition.get("enabled") is False:
            header += f" [transition disabled: {transition.get('disabledReason', '')}]"
        lines.append(header)
        for waiting in stage.get("inboundExecutions") or []:
            busy = True
            lines.append(f"    waiting to enter: {waiting['pipelineExecutionId']}")
        for action in stage["actionStates"]:
            run = action.get("latestExecution")
            if run is None:
                lines.append(f"    {action['actionName']}: -")
                continue
            line = f"    {action['actionName']}: {run['status']}"
            detail = details.get(run["actionExecutionId"])
            if detail is not None:
                line += f" {_duration(detail['startTime'], detail['lastUpdateTime'])}"
            if run.get("token") and run["status"] == "InProgress":
                line += " - waiting for approval"
            if run.get("summary"):
                line += f" - {run['summary']}"
            if run.get("lastUpdatedBy"):
                line += f" (by {run['lastUpdatedBy']})"
            lines.append(line)
            error = run.get("errorDetails")
            if error and run["status"] == "Failed":
                lines.append(f"      error {error.get('code')}: {error.get('message')}")
    return lines, busy


def show(cp: Any, name: str, write: Callable[[str], None], *, watch: bool = False) -> None:
    """Write the view; with `watch`, again every second until nothing is under way."""
    import time

    while True:
        lines, busy = render(cp, name)
        write("\n".join(lines))
        if not watch or not busy:
            return
        time.sleep(WATCH_SECONDS)
        write("")


def answer(cp: Any, name: str, status: str, summary: str, stage: str | None = None) -> str:
    """Approve or reject the approval the pipeline waits at; the stage and action answered."""
    state = cp.get_pipeline_state(name=name)
    for entry in state["stageStates"]:
        if stage is not None and entry["stageName"] != stage:
            continue
        for action in entry["actionStates"]:
            run = action.get("latestExecution") or {}
            if run.get("token") and run.get("status") == "InProgress":
                cp.put_approval_result(
                    pipelineName=name,
                    stageName=entry["stageName"],
                    actionName=action["actionName"],
                    result={"summary": summary, "status": status},
                    token=run["token"],
                )
                return f"{entry['stageName']}/{action['actionName']}"
    where = f" in stage {stage}" if stage else ""
    raise PipelineViewError(f"Pipeline {name} has no approval waiting{where}")
