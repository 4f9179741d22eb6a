"""`airlock stacks watch --stack-set`: a stack set operation, live, as a tree of its targets.

The operation's regions are the branches and its accounts the leaves, each with the
status ListStackSetOperationResults gives it, its reason and how long it took. The API
gives no per-target times, so those durations are what the watch saw between its looks:
from the first look that found the target RUNNING to the first that found it done;
`≥` when it was already running at the first look, `≤` when it went from PENDING to
done between two looks. A target done before the first look shows none. The
operation's own duration comes from its CreationTimestamp and EndTimestamp.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from rich.tree import Tree

# The statuses of an operation that is not over yet.
GOING = ("RUNNING", "STOPPING", "QUEUED")
# A target's statuses once it is done.
DONE = ("SUCCEEDED", "FAILED", "CANCELLED")
COLOURS = {
    "SUCCEEDED": "green",
    "RUNNING": "yellow",
    "QUEUED": "yellow",
    "PENDING": "white",
    "STOPPING": "magenta",
    "STOPPED": "red",
    "FAILED": "red",
    "CANCELLED": "cyan",
}


class NoOperation(Exception):
    """The stack set has no operation to watch; the message says so."""


def set_colour(status: str) -> str:
    """The colour a stack set operation's (or target's) status shows in."""
    return COLOURS.get(status, "white")


def latest_operation(client: Any, name: str) -> str:
    """The id of the stack set's newest operation, or NoOperation."""
    operations = [
        summary
        for page in client.get_paginator("list_stack_set_operations").paginate(StackSetName=name)
        for summary in page["Summaries"]
    ]
    if not operations:
        raise NoOperation(f"StackSet {name} has no operations")
    return str(max(operations, key=lambda o: o["CreationTimestamp"])["OperationId"])


def _seconds(seconds: float, bound: str = "") -> str:
    return f"{bound}{max(seconds, 0.0):.1f}s"


class OperationWatch:
    """Renders one operation of a stack set at each look; remembers what it saw of each
    target (when it was first seen running, and done) for the durations."""

    def __init__(self, client: Any, name: str, operation_id: str | None = None) -> None:
        self.client = client
        self.name = name
        self.operation_id = operation_id or latest_operation(client, name)
        self.looks = 0
        self.pending: dict[tuple[str, str], datetime] = {}  # the last look that saw it so
        self.started: dict[tuple[str, str], datetime] = {}
        self.running_at_first_look: set[tuple[str, str]] = set()
        self.ended: dict[tuple[str, str], datetime] = {}

    def _results(self) -> list[dict[str, Any]]:
        paginator = self.client.get_paginator("list_stack_set_operation_results")
        pages = paginator.paginate(StackSetName=self.name, OperationId=self.operation_id)
        return [summary for page in pages for summary in page["Summaries"]]

    def _saw(self, key: tuple[str, str], status: str, now: datetime) -> None:
        if status == "PENDING":
            self.pending[key] = now
        elif status == "RUNNING" and key not in self.started:
            self.started[key] = now
            if self.looks == 0:
                self.running_at_first_look.add(key)
        elif status in DONE and key not in self.ended:
            self.ended[key] = now

    def _duration(self, key: tuple[str, str], now: datetime) -> str | None:
        end = self.ended.get(key, now)
        if key in self.started:
            bound = "≥" if key in self.running_at_first_look else ""
            return _seconds((end - self.started[key]).total_seconds(), bound)
        if key in self.ended and key in self.pending:
            return _seconds((end - self.pending[key]).total_seconds(), "≤")
        return None  # pending still, or done before the first look

    def render(self) -> tuple[Tree, str]:
        """The tree of the operation (regions, then accounts) and its status."""
        operation = self.client.describe_stack_set_operation(
            StackSetName=self.name, OperationId=self.operation_id
        )["StackSetOperation"]
        results = self._results()
        now = datetime.now(UTC)
        status = str(operation["Status"])
        head = Text(f"{self.name}  ")
        head.append(f"{operation['Action']} {self.operation_id}  ", style="dim")
        head.append(status, style=f"bold {set_colour(status)}")
        began = operation["CreationTimestamp"]
        took = ((operation.get("EndTimestamp") or now) - began).total_seconds()
        head.append(f"  {_seconds(took)}", style="dim")
        if operation.get("StatusReason"):
            head.append(f"  {operation['StatusReason']}", style="dim")
        tree = Tree(head)
        regions: dict[str, Tree] = {}
        for result in results:
            key = (str(result["Account"]), str(result["Region"]))
            target = str(result["Status"])
            self._saw(key, target, now)
            if key[1] not in regions:
                regions[key[1]] = tree.add(Text(key[1], style="bold"))
            line = Text(f"{key[0]}  ", style="bold")
            if result.get("OrganizationalUnitId"):
                line.append(f"{result['OrganizationalUnitId']}  ", style="dim")
            line.append(target, style=set_colour(target))
            duration = self._duration(key, now)
            if duration is not None:
                line.append(f"  {duration}", style="dim")
            if result.get("StatusReason"):
                reason_style = "red" if target == "FAILED" else "italic"
                line.append(f"\n{result['StatusReason']}", style=reason_style)
            regions[key[1]].add(line)
        self.looks += 1
        return tree, status


def going(status: str) -> bool:
    """Whether an operation with this status is still under way."""
    return status in GOING
