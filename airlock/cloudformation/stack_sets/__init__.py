"""CloudFormation stack sets: one template deployed as stacks into many accounts and regions."""

from . import instances, operations, resources
from .engine import StackSetEngine

__all__ = ["StackSetEngine", "instances", "operations", "resources"]
