"""Stage locks and execution modes: may an execution enter the stage it waits for?

As AWS documents them: an execution in a stage locks it. SUPERSEDED: one execution per
stage, and a newer execution waiting at a stage's entry supersedes an older one waiting
there. QUEUED: one execution per stage, the waiting ones enter in the order they started.
PARALLEL: executions do not wait for each other. A disabled inbound transition holds
every execution at the stage's entry, in every mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Decision = Literal["enter", "wait", "superseded"]


@dataclass(frozen=True)
class Position:
    """Where an active execution of the pipeline is."""

    seq: int
    stage_index: int
    at_entry: bool


def decide(mode: str, me: Position, others: list[Position], transition_enabled: bool) -> Decision:
    """What the execution at `me` (waiting at its stage's entry) does now."""
    waiting = [o for o in others if o.at_entry and o.stage_index == me.stage_index]
    if mode == "SUPERSEDED" and any(o.seq > me.seq for o in waiting):
        return "superseded"
    if not transition_enabled:
        return "wait"
    if mode == "PARALLEL":
        return "enter"
    held = any(not o.at_entry and o.stage_index == me.stage_index for o in others)
    if held:
        return "wait"
    if mode == "QUEUED" and any(o.seq < me.seq for o in waiting):
        return "wait"
    return "enter"
