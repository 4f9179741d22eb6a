"""STS: temporary credentials for roles and sessions."""

from .operations import api

__all__ = ["api"]
