"""`airlock pipelines show|approve|reject`: a pipeline's stages and actions, live, and its approval.

A client of the API like any other: it signs as the profile's principal with the state
dir's AWS config, so it shows what that principal may see (codepipeline:GetPipelineState,
ListActionExecutions) and approves only if IAM lets it (codepipeline:PutApprovalResult).
Like the AWS console's pipeline view: a box a stage, its actions in order with status,
duration, the approval that waits and the failing action's error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

POLL_SECONDS = 0.5
RUNNING = {"InProgress", "Stopping"}
COLOURS = {
    "Succeeded": "green",
    "InProgress": "yellow",
    "Stopping": "yellow",
    "Failed": "red",
    "Abandoned": "magenta",
    "Stopped": "magenta",
    "Cancelled": "magenta",
    "Superseded": "cyan",
    "Skipped": "cyan",
}


class PipelineViewError(Exception):
    """What the command cannot do (no approval waiting, no such action); the message says why."""


@dataclass(frozen=True)
class Waiting:
    """An approval that waits for a person: where it is and its token."""

    stage: str
    action: str
    token: str


def waiting_approvals(state: dict[str, Any]) -> list[Waiting]:
    """The approvals of GetPipelineState's answer that wait for a result."""
    found = []
    for stage in state.get("stageStates", []):
        for action in stage.get("actionStates", []):
            latest = action.get("latestExecution") or {}
            if latest.get("status") == "InProgress" and latest.get("token"):
                found.append(Waiting(stage["stageName"], action["actionName"], latest["token"]))
    return found


def _seconds(start: datetime, end: datetime) -> str:
    return f"{max((end - start).total_seconds(), 0.0):.1f}s"


def _durations(executions: list[dict[str, Any]], now: datetime) -> dict[tuple[str, str], str]:
    """Each action's duration in the execution, from ListActionExecutions."""
    durations: dict[tuple[str, str], str] = {}
    for item in executions:
        start = item.get("startTime")
        if start is None:
            continue
        end = now if item.get("status") == "InProgress" else item.get("lastUpdateTime", now)
        durations.setdefault((item["stageName"], item["actionName"]), _seconds(start, end))
    return durations


def render(
    state: dict[str, Any],
    executions: list[dict[str, Any]],
    now: datetime | None = None,
) -> Group:
    """The pipeline as boxes of stages, each listing its actions, for one moment's state."""
    moment = now or datetime.now(UTC)
    durations = _durations(executions, moment)
    boxes: list[Any] = [Text(f"{state['pipelineName']} (version {state.get('pipelineVersion')})")]
    for stage in state.get("stageStates", []):
        latest = stage.get("latestExecution") or {}
        status = latest.get("status", "—")
        lines = []
        inbound = stage.get("inboundTransitionState") or {}
        if inbound and not inbound.get("enabled", True):
            reason = inbound.get("disabledReason") or "no reason given"
            lines.append(Text(f"⛔ transition disabled: {reason}", style="red"))
        for action in stage.get("actionStates", []):
            lines.append(_action_line(stage["stageName"], action, durations))
        title = Text(stage["stageName"] + "  ")
        title.append(status, style=COLOURS.get(status, "white"))
        boxes.append(
            Panel(Group(*lines) if lines else Text("no actions"), title=title, title_align="left")
        )
    return Group(*boxes)


def _action_line(stage: str, action: dict[str, Any], durations: dict[tuple[str, str], str]) -> Text:
    latest = action.get("latestExecution") or {}
    status = latest.get("status", "—")
    line = Text(f"{action['actionName']}  ")
    line.append(status, style=COLOURS.get(status, "white"))
    took = durations.get((stage, action["actionName"]))
    if took:
        line.append(f"  {took}")
    if status == "InProgress" and latest.get("token"):
        line.append("  waiting for approval", style="bold yellow")
    summary = latest.get("summary")
    if summary and status != "InProgress":
        line.append(f"  “{summary}”")
    if latest.get("lastUpdatedBy") and status in {"Succeeded", "Failed"} and "token" in latest:
        line.append(f"  by {latest['lastUpdatedBy']}")
    error = latest.get("errorDetails")
    if error:
        line.append(f"\n    {error.get('code', 'Error')}: {error.get('message', '')}", style="red")
    return line


def snapshot(client: Any, name: str) -> tuple[dict[str, Any], list[dict[str, Any]], str | None]:
    """The pipeline's state, its latest execution's actions and that execution's status."""
    state = dict(client.get_pipeline_state(name=name))
    summaries = client.list_pipeline_executions(pipelineName=name, maxResults=1)
    latest = (summaries.get("pipelineExecutionSummaries") or [None])[0]
    if latest is None:
        return state, [], None
    answer = client.list_action_executions(
        pipelineName=name, filter={"pipelineExecutionId": latest["pipelineExecutionId"]}
    )
    return state, list(answer.get("actionExecutionDetails", [])), str(latest["status"])


def show(
    client: Any,
    name: str,
    console: Console,
    *,
    watch: bool = False,
    pause: Callable[[float], None] = time.sleep,
) -> str | None:
    """Print the pipeline's view; with `watch`, live until its latest execution ends. Its status.

    A watch goes on while an approval waits: approve in another terminal and it moves on.
    """
    state, executions, status = snapshot(client, name)
    if not watch:
        console.print(render(state, executions))
        return status
    with Live(render(state, executions), console=console, refresh_per_second=4) as live:
        while status in RUNNING:
            pause(POLL_SECONDS)
            state, executions, status = snapshot(client, name)
            live.update(render(state, executions))
    return status


def decide(
    client: Any,
    name: str,
    approved: bool,
    summary: str,
    *,
    stage: str | None = None,
    action: str | None = None,
) -> Waiting:
    """Approve or reject the waiting approval (found by its token, as the console does)."""
    state = client.get_pipeline_state(name=name)
    candidates = [
        w
        for w in waiting_approvals(state)
        if (stage is None or w.stage == stage) and (action is None or w.action == action)
    ]
    if not candidates:
        where = f" at {stage or '*'}/{action or '*'}" if stage or action else ""
        raise PipelineViewError(f"No approval is waiting in pipeline {name}{where}.")
    if len(candidates) > 1:
        names = ", ".join(f"{w.stage}/{w.action}" for w in candidates)
        raise PipelineViewError(
            f"More than one approval waits in pipeline {name} ({names}): "
            "name one with --stage and --action."
        )
    chosen = candidates[0]
    client.put_approval_result(
        pipelineName=name,
        stageName=chosen.stage,
        actionName=chosen.action,
        result={"summary": summary, "status": "Approved" if approved else "Rejected"},
        token=chosen.token,
    )
    return chosen
