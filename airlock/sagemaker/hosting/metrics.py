"""Invocation metrics per endpoint, variant and minute, as SageMaker sends them to CloudWatch.

`Invocations`, `Invocation4XXErrors`, `Invocation5XXErrors` (counts), `ModelLatency`
and `OverheadLatency` (microseconds: the model's time, and Airlock's around it).
Each is kept as sum, count, minimum and maximum, accumulated in memory and added
to the table every few seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import EndpointMetric

Key = tuple[str, str, str, str, datetime, str]


class Metrics:
    """Samples waiting to be added to the table."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[Key, list[float]] = {}

    def invocation(
        self,
        where: tuple[str, str, str, str],
        at: datetime,
        status: int,
        model_us: float,
        overhead_us: float,
    ) -> None:
        """One invocation answered by the model with `status`."""
        minute = at.replace(second=0, microsecond=0)
        samples = {
            "Invocations": 1.0,
            "Invocation4XXErrors": 1.0 if 400 <= status < 500 else 0.0,
            "Invocation5XXErrors": 1.0 if status >= 500 else 0.0,
            "ModelLatency": model_us,
            "OverheadLatency": overhead_us,
        }
        with self._lock:
            for name, value in samples.items():
                slot = self._waiting.setdefault((*where, minute, name), [0.0, 0, value, value])
                slot[0] += value
                slot[1] += 1
                slot[2] = min(slot[2], value)
                slot[3] = max(slot[3], value)

    def write(self, session: Any) -> None:
        """Add what waits to the table (in the caller's transaction)."""
        with self._lock:
            taken, self._waiting = self._waiting, {}
        for (account, region, endpoint, variant, minute, name), slot in taken.items():
            row = session.scalars(
                select(EndpointMetric).where(
                    EndpointMetric.account_id == account,
                    EndpointMetric.region == region,
                    EndpointMetric.endpoint == endpoint,
                    EndpointMetric.variant == variant,
                    EndpointMetric.minute == minute,
                    EndpointMetric.name == name,
                )
            ).first()
            if row is None:
                session.add(
                    EndpointMetric(
                        account_id=account,
                        region=region,
                        endpoint=endpoint,
                        variant=variant,
                        minute=minute,
                        name=name,
                        sum=slot[0],
                        count=int(slot[1]),
                        minimum=slot[2],
                        maximum=slot[3],
                    )
                )
            else:
                row.sum += slot[0]
                row.count += int(slot[1])
                row.minimum = min(row.minimum, slot[2])
                row.maximum = max(row.maximum, slot[3])


@dataclass(frozen=True)
class MetricMinute:
    """One metric of one variant of one endpoint in one minute: sum, count, minimum, maximum."""

    endpoint: str
    variant: str
    name: str
    minute: datetime
    sum: float
    count: int
    minimum: float
    maximum: float


def metrics_between(
    session: Session,
    account: str,
    region: str,
    start: datetime,
    end: datetime,
    *,
    endpoint: str | None = None,
    variant: str | None = None,
    names: Sequence[str] | None = None,
) -> list[MetricMinute]:
    """The recorded minutes in [start, end) of an account's endpoints, by minute.

    `endpoint`, `variant` and `names` narrow it (None: every one). This is the public
    read of the table: CloudWatch and `airlock endpoints metrics` both answer from it.
    """
    query = select(EndpointMetric).where(
        EndpointMetric.account_id == account,
        EndpointMetric.region == region,
        EndpointMetric.minute >= start,
        EndpointMetric.minute < end,
    )
    if endpoint is not None:
        query = query.where(EndpointMetric.endpoint == endpoint)
    if variant is not None:
        query = query.where(EndpointMetric.variant == variant)
    if names is not None:
        query = query.where(EndpointMetric.name.in_(list(names)))
    rows = session.scalars(query.order_by(EndpointMetric.minute, EndpointMetric.id)).all()
    return [
        MetricMinute(
            row.endpoint,
            row.variant,
            row.name,
            row.minute,
            row.sum,
            row.count,
            row.minimum,
            row.maximum,
        )
        for row in rows
    ]


def metric_series(
    session: Session, account: str, region: str, since: datetime
) -> list[tuple[str, str, str]]:
    """The (endpoint, variant, metric name) series with a minute recorded since `since`."""
    rows = session.execute(
        select(EndpointMetric.endpoint, EndpointMetric.variant, EndpointMetric.name)
        .where(
            EndpointMetric.account_id == account,
            EndpointMetric.region == region,
            EndpointMetric.minute >= since,
        )
        .distinct()
    ).all()
    return sorted((str(e), str(v), str(n)) for e, v, n in rows)
