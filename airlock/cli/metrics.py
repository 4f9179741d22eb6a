"""`airlock endpoints metrics`: an endpoint's invocation metrics per minute and variant."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from rich.table import Table
from sqlalchemy import select

from airlock.gateway import Airlock
from airlock.identity.profiles import UnknownProfile, profile_account
from airlock.sagemaker.hosting.metrics import metrics_between
from airlock.sagemaker.hosting.models import Endpoint

COUNTS = ("Invocations", "Invocation4XXErrors", "Invocation5XXErrors")
LATENCIES = ("ModelLatency", "OverheadLatency")


class MetricsError(Exception):
    """The profile or endpoint named does not exist."""


def endpoint_metrics(instance: Airlock, profile: str, name: str, minutes: int) -> Table:
    """Invocations, errors and latencies (average and maximum, µs) of the last `minutes`."""
    if minutes < 1:
        raise MetricsError(f"--minutes must be at least 1 (got {minutes}).")
    try:
        account = profile_account(instance.platform.db, profile)
    except UnknownProfile as error:
        raise MetricsError(str(error)) from error
    region = instance.settings.region
    now = instance.platform.clock.now()
    since = now.replace(second=0, microsecond=0) - timedelta(minutes=minutes - 1)
    with instance.platform.db.read() as session:
        rows = metrics_between(
            session, account, region, since, now + timedelta(minutes=1), endpoint=name
        )
        exists = session.scalars(
            select(Endpoint.id).where(
                Endpoint.account_id == account, Endpoint.region == region, Endpoint.name == name
            )
        ).first()
    cells: dict[tuple[datetime, str], dict[str, tuple[float, int, float]]] = defaultdict(dict)
    for row in rows:
        cells[(row.minute, row.variant)][row.name] = (row.sum, row.count, row.maximum)
    if not rows and exists is None:
        raise MetricsError(
            f"No endpoint {name!r} in account {account} ({region}), and no metrics of one "
            f"in the last {minutes} minutes."
        )
    table = Table(
        "Minute (UTC)",
        "Variant",
        "Invocations",
        "4XX",
        "5XX",
        "ModelLatency avg µs",
        "max µs",
        "OverheadLatency avg µs",
        "max µs",
        title=f"{name} in {account}, the last {minutes} minutes",
    )
    for (minute, variant), metrics in sorted(cells.items()):
        counts = [f"{metrics[c][0]:.0f}" if c in metrics else "0" for c in COUNTS]
        latencies: list[str] = []
        for metric in LATENCIES:
            total, count, maximum = metrics.get(metric, (0.0, 0, 0.0))
            latencies += [f"{total / count:.0f}", f"{maximum:.0f}"] if count else ["-", "-"]
        table.add_row(minute.strftime("%Y-%m-%d %H:%M"), variant, *counts, *latencies)
    return table
