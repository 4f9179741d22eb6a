"""IAM: users, roles, policies and the evaluation engine that authorizes every call."""

from . import operations, policy_operations, resources, simulate
from .api import Iam, api

__all__ = ["Iam", "api", "operations", "policy_operations", "resources", "simulate"]
