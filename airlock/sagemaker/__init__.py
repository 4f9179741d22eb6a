"""SageMaker: the model registry (groups, versions, approvals) and, later, jobs and endpoints."""

from .operations import api
from .registry import Registry
from .training import operations as training_operations

__all__ = ["Registry", "api", "training_operations"]
