"""AWS Organizations: accounts, the OU tree, invitations, trusted access."""

from . import policy_operations
from .access import is_delegated_admin, is_service_enabled
from .operations import api
from .service import (
    CREATE_ACCOUNT_TASK,
    SERVICE_LINKED_ROLES,
    STACKSETS_MEMBER,
    Arns,
    OrganizationsService,
    create_account_step,
)

__all__ = [
    "CREATE_ACCOUNT_TASK",
    "SERVICE_LINKED_ROLES",
    "STACKSETS_MEMBER",
    "Arns",
    "OrganizationsService",
    "api",
    "create_account_step",
    "is_delegated_admin",
    "is_service_enabled",
    "policy_operations",
]
