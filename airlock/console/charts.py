"""An endpoint's invocation metrics as a chart drawn on the server: bars of invocations per
minute and a line of the average model latency, in SVG coordinates, with the same numbers
for the table under it (no script, no library)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

WIDTH, HEIGHT = 720, 200
# Room for the axes' labels: left (invocations), right (latency), below (times).
LEFT, RIGHT, TOP, BOTTOM = 44, 64, 12, 24


@dataclass(frozen=True)
class Minute:
    """One minute of the chart: its invocations and average model latency (µs), if any."""

    at: datetime
    invocations: float
    latency_us: float | None


@dataclass(frozen=True)
class Bar:
    """One minute's invocations as a rectangle."""

    x: float
    y: float
    width: float
    height: float
    minute: Minute


@dataclass(frozen=True)
class InvocationChart:
    """What the template draws: bars, the latency line, the axes' scales and a summary."""

    width: int
    height: int
    minutes: list[Minute]
    bars: list[Bar]
    line: str  # an SVG path's `d`, empty with no latency recorded
    peak: float
    peak_latency_us: float
    invocations: float
    latency_us: float | None  # average over the window, weighted by invocations
    ticks: list[tuple[float, str]]  # x and label of the time axis
    plot: tuple[float, float, float, float]  # left, top, right, bottom

    @property
    def summary(self) -> str:
        """The chart in one sentence, for its <desc> and aria-label."""
        count = int(self.invocations)
        noun = "invocation" if count == 1 else "invocations"
        text = f"{count} {noun} in the last {len(self.minutes)} minutes"
        if self.latency_us is not None:
            text += f"; average model latency {self.latency_us:,.0f} µs"
        return text + "."


def per_minute(points: Iterable[Mapping[str, Any]], statistic: str) -> dict[datetime, float]:
    """GetMetricStatistics datapoints keyed by minute, added up (one series per variant)."""
    found: dict[datetime, float] = {}
    for point in points:
        minute = point["Timestamp"].replace(second=0, microsecond=0)
        found[minute] = found.get(minute, 0.0) + float(point.get(statistic, 0.0))
    return found


def invocation_chart(
    first: datetime,
    count: int,
    invocations: Mapping[datetime, float],
    latency_sums: Mapping[datetime, float],
    latency_samples: Mapping[datetime, float],
) -> InvocationChart:
    """The chart of `count` minutes from `first`: invocations per minute, and the model
    latency's sum and sample count per minute (averaged here across variants)."""
    minutes = []
    for i in range(count):
        at = first + timedelta(minutes=i)
        samples = latency_samples.get(at, 0.0)
        average = latency_sums.get(at, 0.0) / samples if samples else None
        minutes.append(Minute(at, invocations.get(at, 0.0), average))
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    slot = (right - left) / count
    peak = max([m.invocations for m in minutes] + [1.0])
    latencies = [m.latency_us for m in minutes if m.latency_us is not None]
    peak_latency = max([*latencies, 1.0])
    bars = [
        Bar(
            x=round(left + i * slot + slot * 0.15, 1),
            y=round(bottom - m.invocations / peak * (bottom - top), 1),
            width=round(slot * 0.7, 1),
            height=round(m.invocations / peak * (bottom - top), 1),
            minute=m,
        )
        for i, m in enumerate(minutes)
        if m.invocations
    ]
    steps: list[str] = []
    for i, m in enumerate(minutes):
        if m.latency_us is None:
            continue
        x = round(left + (i + 0.5) * slot, 1)
        y = round(bottom - m.latency_us / peak_latency * (bottom - top), 1)
        steps.append(f"{'L' if steps else 'M'}{x},{y}")
    total = sum(m.invocations for m in minutes)
    sampled = sum(latency_samples.values())
    ticks = [
        (round(left + i * slot, 1), (first + timedelta(minutes=i)).strftime("%H:%M"))
        for i in range(0, count, 15)
    ]
    return InvocationChart(
        width=WIDTH,
        height=HEIGHT,
        minutes=minutes,
        bars=bars,
        line=" ".join(steps),
        peak=peak,
        peak_latency_us=peak_latency,
        invocations=total,
        latency_us=sum(latency_sums.values()) / sampled if sampled else None,
        ticks=ticks,
        plot=(left, top, right, bottom),
    )
