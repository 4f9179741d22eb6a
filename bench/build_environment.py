"""Measure a build's local cost: setting up its environment, and running a one-command buildspec.

Run: .venv/bin/python -m bench.build_environment [--builds N]
- set-up: create_build_environment (the venv on top of Airlock's interpreter, wrappers, HOME);
- run: BuildRunner over `echo hello` (all four buildspec phases, one command) in that
  environment, process group and state files included;
- one command: each further command adds a shell start and the state round trip.
Prints p50 and p95 in milliseconds; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from airlock.codebuild.buildspec import parse_buildspec
from airlock.codebuild.environment import create_build_environment
from airlock.codebuild.runner import BuildRunner

ONE = parse_buildspec("version: 0.2\nphases:\n  build:\n    commands: [echo hello]\n")
TEN = parse_buildspec(
    "version: 0.2\nphases:\n  build:\n    commands:\n" + "      - echo hello\n" * 10
)


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--builds", type=int, default=20)
    builds = parser.parse_args().builds
    setup: list[float] = []
    one: list[float] = []
    ten: list[float] = []
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(builds):
            root = Path(scratch) / f"build-{i}"
            src = root / "src"
            started = time.perf_counter()
            environment = create_build_environment(root / "env")
            setup.append(time.perf_counter() - started)
            src.mkdir()
            for spec, samples in ((ONE, one), (TEN, ten)):
                started = time.perf_counter()
                BuildRunner(spec, environment, src_dir=src, variables={}, on_log=lines.append).run()
                samples.append(time.perf_counter() - started)
            environment.remove()
            lines.clear()
    print(f"environment set-up over {builds} builds: {_percentiles(setup)}")
    print(f"one-command buildspec run:          {_percentiles(one)}")
    print(f"ten-command buildspec run:          {_percentiles(ten)}")


if __name__ == "__main__":
    main()
