"""Shared infrastructure every service stands on: settings, store, clock, controllers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airlock.platform.blobs import BlobStore
from airlock.platform.clock import Clock
from airlock.platform.db import Database
from airlock.platform.tasks import Controllers
from airlock.settings import Settings


@dataclass
class Platform:
    """The dependencies handed to every service factory and controller."""

    settings: Settings
    db: Database
    clock: Clock
    controllers: Controllers
    blobs: BlobStore
    # What workers of this process share with operations (the endpoints' routing table).
    runtime: dict[str, Any] = field(default_factory=dict)
    # The call path services act as a principal through (airlock.core.calls), installed
    # by the gateway when the application is built.
    calls: Any = None


__all__ = ["Platform"]
