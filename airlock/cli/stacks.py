"""`airlock stacks watch`: a stack's operation, live, as a tree of its resources; or a
stack set's operation, as a tree of its regions and accounts (see stack_sets.py).

It is a client of the API like any other: it signs as the profile's principal with
the state dir's AWS config, so it shows what that principal may see.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import botocore.session
from botocore.exceptions import ClientError
from rich.console import Console
from rich.live import Live
from rich.text import Text
from rich.tree import Tree

from airlock.identity.profiles import aws_dir
from airlock.settings import Settings

from .stack_sets import OperationWatch
from .stack_sets import going as operation_going

COLOURS = {
    "COMPLETE": "green",
    "IN_PROGRESS": "yellow",
    "FAILED": "red",
    "SKIPPED": "cyan",
}


def cloudformation_client(settings: Settings, profile: str) -> Any:
    """A botocore CloudFormation client for a profile of the state dir's AWS config."""
    session = botocore.session.Session(profile=profile)
    folder = aws_dir(settings)
    session.set_config_variable("config_file", str(folder / "config"))
    session.set_config_variable("credentials_file", str(folder / "credentials"))
    return session.create_client(
        "cloudformation", endpoint_url=settings.endpoint_url, region_name=settings.region
    )


def colour(status: str) -> str:
    """The colour a status shows in: rollbacks and failures red, work yellow, done green."""
    if "ROLLBACK" in status or "FAILED" in status:
        return "red" if not status.endswith("IN_PROGRESS") else "magenta"
    for suffix, name in COLOURS.items():
        if status.endswith(suffix):
            return name
    return "white"


def _seconds(start: datetime, end: datetime) -> str:
    return f"{(end - start).total_seconds():.1f}s"


def stack_tree(client: Any, name: str) -> tuple[Tree, str]:
    """The tree of a stack's operation (its resources with status, reason, duration) and status."""
    stack = client.describe_stacks(StackName=name)["Stacks"][0]
    events = client.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    events.reverse()  # oldest first
    starts = [
        i
        for i, e in enumerate(events)
        if e["LogicalResourceId"] == stack["StackName"]
        and e["ResourceStatus"].endswith("_IN_PROGRESS")
        and "CLEANUP" not in e["ResourceStatus"]
        and "ROLLBACK" not in e["ResourceStatus"]
    ]
    current = events[starts[-1] if starts else 0 :]
    status = stack["StackStatus"]
    head = Text(f"{stack['StackName']}  ")
    head.append(status, style=f"bold {colour(status)}")
    reasons = [
        e["ResourceStatusReason"]
        for e in current
        if e["LogicalResourceId"] == stack["StackName"]
        and e.get("ResourceStatusReason")
        and e["ResourceStatusReason"] != "User Initiated"
    ]
    reason = stack.get("StackStatusReason") or (reasons[-1] if reasons else None)
    if reason:
        head.append(f"  {reason}", style="dim")
    tree = Tree(head)
    seen: dict[str, dict[str, Any]] = {}
    first: dict[str, datetime] = {}
    failures: dict[str, str] = {}
    for event in current:
        logical = event["LogicalResourceId"]
        if logical == stack["StackName"]:
            continue
        seen[logical] = event
        first.setdefault(logical, event["Timestamp"])
        if event["ResourceStatus"].endswith("_FAILED") and event.get("ResourceStatusReason"):
            failures[logical] = event["ResourceStatusReason"]
    for logical, event in seen.items():
        line = Text(f"{logical}  ", style="bold")
        line.append(f"{event['ResourceType']}  ", style="dim")
        line.append(event["ResourceStatus"], style=colour(event["ResourceStatus"]))
        line.append(f"  {_seconds(first[logical], event['Timestamp'])}", style="dim")
        reason = event.get("ResourceStatusReason")
        if logical in failures and not event["ResourceStatus"].endswith("_FAILED"):
            line.append(f"\nfailed: {failures[logical]}", style="red")
        elif reason:
            line.append(f"\n{reason}", style="italic")
        tree.add(line)
    return tree, status


@dataclass(frozen=True)
class View:
    """What `watch` shows: a render of the tree and its status, whether that status is
    still under way, and whether it ended well."""

    render: Callable[[], tuple[Tree, str]]
    going: Callable[[str], bool]
    succeeded: Callable[[str], bool]


def stack_view(client: Any, name: str) -> View:
    """A stack's operation."""
    return View(
        render=lambda: stack_tree(client, name),
        going=lambda status: status.endswith("_IN_PROGRESS"),
        succeeded=succeeded,
    )


def stack_set_view(client: Any, name: str, operation_id: str | None = None) -> View:
    """An operation of a stack set (its latest when no id is given)."""
    operation = OperationWatch(client, name, operation_id)
    return View(
        render=operation.render,
        going=operation_going,
        succeeded=lambda status: status == "SUCCEEDED",
    )


def view_of(
    client: Any, name: str, *, stack_set: bool = False, operation_id: str | None = None
) -> View:
    """The stack NAME, or the stack set NAME when asked for or when no stack is so named."""
    if stack_set or operation_id is not None:
        return stack_set_view(client, name, operation_id)
    try:
        client.describe_stacks(StackName=name)
    except ClientError as missing:
        if "does not exist" not in missing.response["Error"].get("Message", ""):
            raise
        try:
            client.describe_stack_set(StackSetName=name)
        except ClientError:
            raise missing from None  # neither: the stack's error, as before
        return stack_set_view(client, name)
    return stack_view(client, name)


def watch(
    view: View,
    console: Console,
    *,
    interval: float = 0.5,
    stop: threading.Event | None = None,
) -> str:
    """Show the view until its operation is over; its final status."""
    stop = stop or threading.Event()
    tree, status = view.render()
    with Live(tree, console=console, refresh_per_second=4, transient=False) as live:
        while view.going(status) and not stop.is_set():
            stop.wait(interval)
            tree, status = view.render()
            live.update(tree)
    return status


def succeeded(status: str) -> bool:
    """Whether an operation that ended so did what was asked."""
    return status.endswith("_COMPLETE") and "ROLLBACK" not in status
