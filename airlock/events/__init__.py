"""EventBridge: buses, rules, targets, patterns and at-least-once delivery."""

from . import connections, resources
from .operations import api
from .service import EventsService, new_event
from .targets import register_kind

__all__ = ["EventsService", "api", "connections", "new_event", "register_kind", "resources"]
