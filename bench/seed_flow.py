"""Measure the seed flow, as `make demo` plays it: approval → staging endpoint InService,
production approval → production endpoint InService, and the whole demo.

Run: .venv/bin/python -m bench.seed_flow [--runs 3]
Runs `airlock demo` (the command `make demo` runs) `--runs` times, each on a fresh
temporary state dir, as its own process, and reads its step lines. The steps run back
to back, each timed by the demo from its first call to what it waited for (polled
every 50 ms), so:
- approval → staging InService is the sum of "8. Approve the newest version" (from the
  data scientist's UpdateModelPackage), "CD: Build" and "CD: DeployStaging" (until
  the staging account's endpoint answers DescribeEndpoint InService);
- production approval → production InService is "CD: ApproveDeployment" (from the
  approver's PutApprovalResult) plus "CD: DeployProd" (until the production account's
  endpoint is InService with 2 instances);
- the whole demo is the process's wall time, from its start to its exit (the Python
  start, the server, steps 1-10 and the shutdown).
Prints the median and range of each, with the issue's targets for this 2-core machine:
≤ 5 s, ≤ 3 s and ≤ 30 s.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import figures, runs

STAGING = ("8. Approve the newest version", "CD: Build", "CD: DeployStaging")
PRODUCTION = ("CD: ApproveDeployment", "CD: DeployProd")


def step_seconds(out: str) -> dict[str, float]:
    """Each passed step's seconds, by its title, from the demo's `✓ title (x.xx s)` lines."""
    return {m[1]: float(m[2]) for m in re.finditer(r"✓ +(.+?) \((\d+\.\d+) s\)", out)}


def demo_run() -> tuple[float, float, float]:
    """One `airlock demo` on a fresh state dir: (staging, production, whole) seconds."""
    binary = Path(sys.executable).parent / "airlock"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AIRLOCK_"))}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = subprocess.run(
            [str(binary), "demo", "--state-dir", str(Path(tmp) / "demo")],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        whole = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"airlock demo failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    seconds = step_seconds(result.stdout)
    return sum(seconds[s] for s in STAGING), sum(seconds[s] for s in PRODUCTION), whole


def main() -> None:
    """`--runs` demos; print the three medians with their targets."""
    samples = [demo_run() for _ in range(runs(__doc__, default=3))]
    for label, index, target in (
        ("approval → staging endpoint InService", 0, 5),
        ("production approval → production endpoint InService", 1, 3),
        ("whole `make demo` (airlock demo on a fresh state dir)", 2, 30),
    ):
        print(f"{label}: {figures([s[index] for s in samples])}; target ≤ {target} s")


if __name__ == "__main__":
    main()
