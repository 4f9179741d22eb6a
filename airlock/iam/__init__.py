"""IAM: users, roles, policies and the evaluation engine that authorizes every call."""

from . import credential_operations, operations, policy_operations, resources, simulate
from .api import Iam, api
from .credentials import authenticate_git_password
from .logins import ConsoleSignIn, check_password_policy, verify_password

__all__ = [
    "ConsoleSignIn",
    "Iam",
    "api",
    "authenticate_git_password",
    "check_password_policy",
    "credential_operations",
    "operations",
    "policy_operations",
    "resources",
    "simulate",
    "verify_password",
]
