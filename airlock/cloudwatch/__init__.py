"""CloudWatch metrics: SageMaker endpoints' invocation metrics, as statistics per period."""

from .operations import api
from .service import CloudWatchService

__all__ = ["CloudWatchService", "api"]
