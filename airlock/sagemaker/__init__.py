"""SageMaker: the model registry (groups, versions, approvals) and, later, jobs and endpoints."""

from .operations import api
from .registry import Registry

__all__ = ["Registry", "api"]
