"""STS: temporary credentials for roles and sessions."""

from .operations import api
from .service import ServiceAccessDenied, assume_role_for_service, credentials_principal

__all__ = [
    "ServiceAccessDenied",
    "api",
    "assume_role_for_service",
    "credentials_principal",
]
