"""Measure the gateway: requests per second and latency of a signed read through boto3.

Run: .venv/bin/python -m bench.gateway_latency [--requests N]
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tests.support import live_server


def main() -> None:
    """Start a server, create an organization, then time DescribeOrganization calls."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, live_server(Path(tmp) / "state") as server:
        client = server.client("organizations")
        client.create_organization()
        client.describe_organization()  # warm up connections and caches
        samples = []
        started = time.perf_counter()
        for _ in range(args.requests):
            begin = time.perf_counter()
            client.describe_organization()
            samples.append((time.perf_counter() - begin) * 1000)
        elapsed = time.perf_counter() - started
    samples.sort()
    print(f"requests: {args.requests}")
    print(f"throughput: {args.requests / elapsed:.0f} requests/s (one client, sequential)")
    print(
        f"latency ms: median {statistics.median(samples):.2f}, "
        f"p95 {samples[int(len(samples) * 0.95) - 1]:.2f}, max {samples[-1]:.2f}"
    )


if __name__ == "__main__":
    main()
