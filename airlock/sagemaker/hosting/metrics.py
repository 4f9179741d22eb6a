"""Invocation metrics per endpoint, variant and minute, as SageMaker sends them to CloudWatch.

`Invocations`, `Invocation4XXErrors`, `Invocation5XXErrors` (counts), `ModelLatency`
and `OverheadLatency` (microseconds: the model's time, and Airlock's around it).
Each is kept as sum, count, minimum and maximum, accumulated in memory and added
to the table every few seconds.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from sqlalchemy import select

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
