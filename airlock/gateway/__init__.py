"""The gateway: one endpoint, every service, one pipeline."""

from .app import Airlock, create_app
from .authz import authorize

__all__ = ["Airlock", "authorize", "create_app"]
