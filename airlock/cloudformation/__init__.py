"""CloudFormation: templates, stacks, change sets and stack sets, made as the stack's principal."""

from typing import Any

from airlock.platform.loop import WorkerGroup

from . import change_sets, operations, pipeline_actions, stack_sets
from .engine import StackEngine
from .operations import api


def _workers(platform: Any) -> WorkerGroup:
    return WorkerGroup([StackEngine(platform), stack_sets.StackSetEngine(platform)])


api.worker = _workers

__all__ = ["api", "change_sets", "operations", "pipeline_actions", "stack_sets"]
