"""CloudWatch metrics: SageMaker's endpoint metrics (`AWS/SageMaker`) as statistics per period.

Airlock records each endpoint variant's invocation metrics per minute (sum, count,
minimum, maximum); this service answers GetMetricStatistics and ListMetrics from
SageMaker hosting's public read of them, never from SageMaker's tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import Output, Params
from airlock.core.paging import paginate
from airlock.platform.clock import Clock
from airlock.sagemaker.hosting import MetricMinute, metric_series, metrics_between

from .errors import InvalidNextToken, InvalidParameterCombination, InvalidParameterValue

SAGEMAKER = "AWS/SageMaker"
# SageMaker's endpoint invocation metrics and their units, as AWS documents them.
UNITS = {
    "Invocations": "None",
    "Invocation4XXErrors": "None",
    "Invocation5XXErrors": "None",
    "ModelLatency": "Microseconds",
    "OverheadLatency": "Microseconds",
}
# Each datapoint of an endpoint metric is one variant's: both dimensions name it.
DIMENSIONS = ("EndpointName", "VariantName")
MAX_DATAPOINTS = 1440
# ListMetrics lists metrics with data in the last two weeks (as AWS does), 500 a page.
LISTED_FOR = timedelta(days=14)
RECENT = {"PT3H": timedelta(hours=3)}
PAGE = 500


class CloudWatchService:
    """Metric statistics for one request's database session."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def get_metric_statistics(self, account: str, region: str, p: Params) -> Output:
        """Datapoints per period of one metric of one endpoint variant."""
        statistics: list[str] = list(p.get("Statistics") or [])
        if bool(statistics) == bool(p.get("ExtendedStatistics")):
            raise InvalidParameterCombination(
                "Must specify either Statistics or ExtendedStatistics, but not both."
                if statistics
                else "Must specify either Statistics or ExtendedStatistics"
            )
        # Airlock keeps sum, count, minimum and maximum per minute: no percentiles.
        start, end, period = p["StartTime"], p["EndTime"], int(p["Period"])
        if period % 60:
            raise InvalidParameterValue("The parameter Period must be a multiple of 60.")
        if start >= end:
            raise InvalidParameterValue(
                "The parameter StartTime must be less than the parameter EndTime."
            )
        first = start.replace(second=0, microsecond=0)
        count = math.ceil((end - first).total_seconds() / period)
        if count > MAX_DATAPOINTS:
            raise InvalidParameterCombination(
                f"You have requested up to {count:,} datapoints, which exceeds the limit of "
                f"{MAX_DATAPOINTS:,}. You may reduce the datapoints requested by increasing "
                "Period, or decreasing the time range."
            )
        if p.get("ExtendedStatistics"):
            raise InvalidParameterValue(
                "Airlock keeps no percentiles of SageMaker's metrics; ask for Statistics "
                "(SampleCount, Average, Sum, Minimum, Maximum)."
            )
        name = str(p["MetricName"])
        out: Output = {"Label": name, "Datapoints": []}
        where = _variant(p.get("Dimensions") or [])
        unit = UNITS.get(name)
        if p["Namespace"] != SAGEMAKER or unit is None or where is None:
            return out  # AWS answers a metric it has no data of with no datapoints
        if p.get("Unit") and p["Unit"] != unit:
            return out
        minutes = metrics_between(
            self.session,
            account,
            region,
            first,
            end,
            endpoint=where[0],
            variant=where[1],
            names=[name],
        )
        out["Datapoints"] = datapoints(minutes, first, period, statistics, unit)
        return out

    def list_metrics(self, account: str, region: str, p: Params) -> Output:
        """The endpoint metrics with recent data, filtered by namespace, name and dimensions."""
        if p.get("Namespace") not in (None, SAGEMAKER):
            return {"Metrics": []}
        wanted = p.get("MetricName")
        since = self.clock.now() - RECENT.get(str(p.get("RecentlyActive")), LISTED_FOR)
        metrics: list[dict[str, Any]] = []
        for endpoint, variant, name in metric_series(self.session, account, region, since):
            dimensions = dict(zip(DIMENSIONS, (endpoint, variant), strict=True))
            if name not in UNITS or (wanted and name != wanted):
                continue
            if not all(_matches(f, dimensions) for f in p.get("Dimensions") or []):
                continue
            metrics.append(
                {
                    "Namespace": SAGEMAKER,
                    "MetricName": name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                }
            )
        chunk, token = paginate(
            metrics,
            p,
            default_max=PAGE,
            bad_token=lambda: InvalidNextToken("The NextToken is invalid."),
        )
        out: Output = {"Metrics": chunk}
        if token:
            out["NextToken"] = token
        return out


def datapoints(
    minutes: Sequence[MetricMinute],
    first: datetime,
    period: int,
    statistics: Sequence[str],
    unit: str,
) -> list[dict[str, Any]]:
    """The minutes added up per period from `first`; a period with no minute has no
    datapoint (as in AWS)."""
    buckets: dict[int, list[float]] = {}
    for minute in minutes:
        index = int((minute.minute - first).total_seconds() // period)
        slot = buckets.setdefault(index, [0.0, 0, math.inf, -math.inf])
        slot[0] += minute.sum
        slot[1] += minute.count
        slot[2] = min(slot[2], minute.minimum)
        slot[3] = max(slot[3], minute.maximum)
    points: list[dict[str, Any]] = []
    for index, (total, count, low, high) in sorted(buckets.items()):
        values = {
            "SampleCount": float(count),
            "Sum": total,
            "Average": total / count if count else 0.0,
            "Minimum": low,
            "Maximum": high,
        }
        point: dict[str, Any] = {"Timestamp": first + timedelta(seconds=index * period)}
        point.update({s: values[s] for s in statistics})
        point["Unit"] = unit
        points.append(point)
    return points


def _variant(dimensions: Sequence[dict[str, Any]]) -> tuple[str, str] | None:
    """The (endpoint, variant) the dimensions name, when they are exactly SageMaker's two."""
    given = {str(d.get("Name")): str(d.get("Value")) for d in dimensions}
    if len(dimensions) != len(DIMENSIONS) or set(given) != set(DIMENSIONS):
        return None
    return given["EndpointName"], given["VariantName"]


def _matches(wanted: dict[str, Any], dimensions: dict[str, str]) -> bool:
    """A ListMetrics dimension filter: the name present, with the value if one is given."""
    name = wanted.get("Name")
    if name not in dimensions:
        return False
    return "Value" not in wanted or dimensions[str(name)] == wanted["Value"]
