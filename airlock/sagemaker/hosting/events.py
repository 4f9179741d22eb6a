"""`SageMaker Endpoint State Change` events, committed with each change of status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import WAKE_WORKERS
from airlock.events import EventsService
from airlock.platform.clock import Clock

from .models import Endpoint

ENDPOINT_CHANGE = "SageMaker Endpoint State Change"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_status(session: Session, clock: Clock, row: Endpoint, status: str) -> None:
    """Give an endpoint its new status and send the event in the same transaction."""
    row.status = status
    row.modified_at = clock.now()
    session.flush()
    # Whoever waits on the endpoint (a stack creating it, a pipeline step) looks again
    # at once rather than at its next poll.
    session.info[WAKE_WORKERS] = True
    detail: dict[str, Any] = {
        "EndpointName": row.name,
        "EndpointArn": row.arn,
        "EndpointConfigName": row.config_name or row.target_name,
        "EndpointStatus": status,
        "ProductionVariants": [dict(v) for v in row.variants],
        "CreationTime": _iso(row.created_at),
        "LastModifiedTime": _iso(row.modified_at),
    }
    if row.failure_reason:
        detail["FailureReason"] = row.failure_reason
    EventsService(session, clock).emit(
        row.account_id,
        row.region,
        source="aws.sagemaker",
        detail_type=ENDPOINT_CHANGE,
        detail=detail,
        resources=[row.arn],
    )
