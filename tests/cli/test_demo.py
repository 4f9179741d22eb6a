"""`airlock demo`: the main job end to end on a fresh state dir, as `make demo` runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import unused_port

BIN = Path(sys.executable).parent


def test_the_demo_runs_the_main_job(tmp_path: Path) -> None:
    port = unused_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AIRLOCK_"))}
    env["COLUMNS"] = "200"
    state = tmp_path / "demo"
    result = subprocess.run(
        [str(BIN / "airlock"), "demo", "--state-dir", str(state), "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for step in (
        "Organization and OUs",
        "Pipeline: train XGBoost, register",
        "Deploy to staging",
        "Test the production endpoint",
    ):
        assert f"✓ {step}" in out
    assert out.count("accuracy 0.960 on 25 held-out rows") == 2
    assert "Airlock demo: " in out and "iris-staging InService" in out

    again = subprocess.run(
        [str(BIN / "airlock"), "demo", "--state-dir", str(state), "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 2
    assert "The demo needs a fresh state dir" in again.stderr
