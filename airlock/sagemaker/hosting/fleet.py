"""Model-server processes and the routing table InvokeEndpoint reads.

A fleet is one deployment of one endpoint: per production variant, its instances
(each a model-server process on a loopback port). The routing table maps an
endpoint to the fleets that take its traffic and their shares: one fleet when
the endpoint is steady, the old and the new during a blue/green shift. A request
goes to a variant by weight (or the one asked for) and there to the healthy
instance with the fewest requests in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..training.process import die_with_parent
from .capture import Capture, Captured
from .metrics import Metrics
from .upstream import NoAnswer, NotSent, Upstream

# The key of the routing table in `platform.runtime`.
FLEETS = "sagemaker.fleets"
PING_TIMEOUT = 1.0
INVOKE_TIMEOUT = 60.0


class NoInstance(Exception):
    """No healthy instance can take the request."""


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Instance:
    """One model-server process of a variant."""

    variant: str
    index: int
    command: list[str]
    env: Mapping[str, str]
    log: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    healthy: bool = False
    started_at: float = 0.0
    inflight: int = 0
    crashes: int = 0
    restart_at: float = 0.0
    # The variant's DataCaptureConfig, if it captures.
    capture: Capture | None = None
    upstream: Upstream = field(default_factory=Upstream)

    def start(self) -> None:
        """Start the process on a fresh port (its command names the port as `{port}`)."""
        self.port = free_port()
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        env = {k: v.replace("{port}", str(self.port)) for k, v in self.env.items()}
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        self.healthy = False
        self.started_at = time.monotonic()
        self.upstream.reset(self.port)

    def exited(self) -> int | None:
        """The exit status if the process ended."""
        return None if self.process is None else self.process.poll()

    def ping(self) -> bool:
        """Whether `GET /ping` answers 200."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=PING_TIMEOUT)
        try:
            connection.request("GET", "/ping")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def log_tail(self, lines: int = 5) -> str:
        """The last lines the process wrote."""
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])

    def stop(self, grace: float = 5.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL after `grace` seconds)."""
        self.healthy = False
        process, self.process = self.process, None
        self.upstream.reset()
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except (OSError, subprocess.TimeoutExpired):
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    async def invoke(
        self, body: bytes, headers: dict[str, str], timeout: float = INVOKE_TIMEOUT
    ) -> tuple[int, dict[str, str], bytes]:
        """POST /invocations; NotSent if the connection failed before the request went out.

        Also NotSent when the connection broke before one byte of an answer and the
        process is found dead: it was killed with the request in its socket, so no
        model ever answered it, and another instance may take it.
        """
        try:
            return await self.upstream.post("/invocations", body, headers, timeout)
        except (ConnectionResetError, NoAnswer) as error:
            if await self._died():
                raise NotSent(str(error)) from error
            raise

    async def _died(self, within: float = 1.0) -> bool:
        """Whether the process has exited, or does within `within` seconds.

        A killed process closes its sockets a moment before it can be reaped.
        """
        deadline = time.monotonic() + within
        while self.exited() is None:
            if self.process is None or time.monotonic() > deadline:
                return self.process is None
            await asyncio.sleep(0.01)
        return True


@dataclass
class Fleet:
    """One deployment of an endpoint: instances and weights per variant."""

    name: str
    variants: dict[str, list[Instance]]
    weights: dict[str, float]

    def instances(self) -> list[Instance]:
        return [i for group in self.variants.values() for i in group]

    def healthy(self) -> bool:
        """Every instance answers its ping."""
        return all(i.healthy for i in self.instances())

    def stop(self) -> None:
        for instance in self.instances():
            instance.stop()

    def inflight(self) -> int:
        return sum(i.inflight for i in self.instances())


class Fleets:
    """The routing table: which fleets take an endpoint's traffic, and in what shares."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._serving: dict[str, list[tuple[Fleet, float]]] = {}
        # Captured invocations waiting to be written to S3, and metrics for the table.
        self.captured = Captured()
        self.metrics = Metrics()
        # How long an instance may take to answer an invocation (SageMaker's 60 s).
        self.invoke_timeout = INVOKE_TIMEOUT

    def serve(self, endpoint: str, shares: list[tuple[Fleet, float]]) -> None:
        with self._lock:
            self._serving[endpoint] = shares

    def forget(self, endpoint: str) -> None:
        with self._lock:
            self._serving.pop(endpoint, None)

    def serving(self, endpoint: str) -> list[tuple[Fleet, float]]:
        with self._lock:
            return list(self._serving.get(endpoint, []))

    def acquire(
        self, endpoint: str, variant: str | None, exclude: Instance | None = None
    ) -> Instance:
        """The instance for one request (its in-flight count taken); release() it after."""
        with self._lock:
            shares = self._serving.get(endpoint, [])
            fleets = [f for f, share in shares if share > 0] or [f for f, _ in shares]
            if len(shares) > 1:
                fleet = random.choices(
                    [f for f, _ in shares], weights=[max(s, 0.0) for _, s in shares]
                )[0]
                fleets = [fleet] + [f for f in fleets if f is not fleet]
            for fleet in fleets:
                chosen = _pick(fleet, variant, exclude)
                if chosen is not None:
                    chosen.inflight += 1
                    return chosen
        if variant is not None:
            raise NoInstance(f"variant {variant}")
        raise NoInstance("any variant")

    def release(self, instance: Instance) -> None:
        with self._lock:
            instance.inflight -= 1


def _pick(fleet: Fleet, variant: str | None, exclude: Instance | None) -> Instance | None:
    if variant is not None:
        names = [variant] if variant in fleet.variants else []
    else:
        live = [
            n
            for n, group in fleet.variants.items()
            if any(i.healthy and i is not exclude for i in group)
        ]
        weights = [fleet.weights.get(n, 0.0) for n in live]
        if not live:
            return None
        if sum(weights) <= 0:
            weights = [1.0] * len(live)
        names = random.choices(live, weights=weights) if len(live) > 1 else live
    for name in names:
        healthy = [i for i in fleet.variants[name] if i.healthy and i is not exclude]
        if healthy:
            return min(healthy, key=lambda i: i.inflight)
    return None


def shares_after(policy: dict[str, Any] | None, elapsed: float) -> tuple[float, bool]:
    """The new fleet's share of traffic `elapsed` seconds into a shift, and whether it is done.

    ALL_AT_ONCE moves everything at once; CANARY moves the canary size, waits, then the
    rest; LINEAR moves a step every wait. Sizes are CAPACITY_PERCENT (of the traffic)
    or INSTANCE_COUNT (taken as that share of the fleet's instances by the caller).
    """
    routing = (policy or {}).get("TrafficRoutingConfiguration") or {"Type": "ALL_AT_ONCE"}
    kind = routing.get("Type", "ALL_AT_ONCE")
    wait = float(routing.get("WaitIntervalInSeconds", 0))
    if kind == "CANARY":
        size = _fraction(routing.get("CanarySize"))
        return (size, False) if elapsed < wait else (1.0, True)
    if kind == "LINEAR":
        step = _fraction(routing.get("LinearStepSize")) or 1.0
        steps = int(elapsed // wait) + 1 if wait > 0 else 1_000_000
        share = min(1.0, step * steps)
        return share, share >= 1.0
    return 1.0, True


def _fraction(size: dict[str, Any] | None) -> float:
    if not size:
        return 1.0
    value = float(size.get("Value", 100))
    if size.get("Type") == "CAPACITY_PERCENT":
        return max(0.0, min(1.0, value / 100))
    return value  # INSTANCE_COUNT: the caller turns it into a fraction
