"""CloudFormation's CodePipeline action types: Deploy/AWS/CloudFormation,
CloudFormationStackSet and CloudFormationStackInstances, registered on CloudFormation's
ServiceApi so the pipeline engine finds them by key."""

from airlock.cloudformation.operations import api

from .stack_action import StackAction
from .stack_instances_action import StackInstancesAction
from .stack_set_action import StackSetAction

STACK = api.pipeline_action(StackAction())
STACK_SET = api.pipeline_action(StackSetAction())
STACK_INSTANCES = api.pipeline_action(StackInstancesAction())

__all__ = [
    "STACK",
    "STACK_INSTANCES",
    "STACK_SET",
    "StackAction",
    "StackInstancesAction",
    "StackSetAction",
]
