"""AWS Organizations: accounts, the OU tree, invitations, trusted access."""

from . import policy_operations
from .access import is_service_enabled
from .operations import api
from .service import CREATE_ACCOUNT_TASK, Arns, OrganizationsService, create_account_step

__all__ = [
    "CREATE_ACCOUNT_TASK",
    "Arns",
    "OrganizationsService",
    "api",
    "create_account_step",
    "is_service_enabled",
    "policy_operations",
]
