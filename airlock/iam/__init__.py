"""IAM: users, roles, policies and the evaluation engine that authorizes every call."""

from . import credential_operations, operations, policy_operations, resources, simulate
from .api import Iam, api
from .credentials import authenticate_git_password

__all__ = [
    "Iam",
    "api",
    "authenticate_git_password",
    "credential_operations",
    "operations",
    "policy_operations",
    "resources",
    "simulate",
]
