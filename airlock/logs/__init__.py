"""CloudWatch Logs: log groups, streams and events, with filter patterns."""

from . import resources
from .operations import api
from .service import LogsService

__all__ = ["LogsService", "api", "resources"]
