"""The gateway: one endpoint, every service, one pipeline."""

from airlock.iam.enforce import authorize

from .app import Airlock, create_app, server_config

__all__ = ["Airlock", "authorize", "create_app", "server_config"]
