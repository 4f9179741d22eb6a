"""CloudWatch operations (`monitoring`; smithy RPC v2 CBOR on the wire)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import Output, Params, ServiceApi
from airlock.core.context import RequestContext

from .errors import validation_error
from .service import CloudWatchService


def _factory(platform: Any, session: Session) -> CloudWatchService:
    return CloudWatchService(session, platform.clock)


api: ServiceApi[CloudWatchService] = ServiceApi(
    "cloudwatch", _factory, validation_error=validation_error
)


# Both act on resource `*`, as the service authorization reference lists them.
@api.operation("cloudwatch:GetMetricStatistics")
def get_metric_statistics(svc: CloudWatchService, ctx: RequestContext, p: Params) -> Output:
    """Statistics per period of one metric (SageMaker's endpoint metrics)."""
    return svc.get_metric_statistics(ctx.account_id, ctx.region, p)


@api.operation("cloudwatch:ListMetrics")
def list_metrics(svc: CloudWatchService, ctx: RequestContext, p: Params) -> Output:
    """The metrics with recent data, filtered by namespace, name and dimensions."""
    return svc.list_metrics(ctx.account_id, ctx.region, p)
