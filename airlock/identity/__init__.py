"""Accounts and credentials (the IAM issue adds users, roles and temporary keys)."""

from .models import AccessKey, Account
from .service import ACCOUNTS_CHANGED, Credential, IdentityService

__all__ = ["ACCOUNTS_CHANGED", "AccessKey", "Account", "Credential", "IdentityService"]
