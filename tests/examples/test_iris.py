"""examples/iris: the script and the notebook's cells run against a live server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import LiveServer

pytest.importorskip("sagemaker")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "iris"


def example_env(server: LiveServer) -> dict[str, str]:
    """The environment `eval "$(airlock env)"` gives, with the SDK's telemetry off."""
    access_key, secret = server.root_keys(server.first_account_id())
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and not k.startswith("SAGEMAKER_")
    }
    env.update(
        AWS_ENDPOINT_URL=server.url,
        AWS_ACCESS_KEY_ID=access_key,
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_DEFAULT_REGION=server.settings.region,
        SAGEMAKER_USER_CONFIG_OVERRIDE=str(EXAMPLE / "sagemaker-config.yaml"),
        SAGEMAKER_SUPPRESS_V2_WARNING="1",
    )
    return env


def notebook_code(path: Path) -> str:
    """The notebook's code cells, in order, as one program."""
    notebook = json.loads(path.read_text())
    assert notebook["nbformat"] == 4
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert cells, "the notebook has code"
    return "\n\n".join("".join(cell["source"]) for cell in cells)


def test_script_then_notebook(server: LiveServer) -> None:
    env = example_env(server)
    script = subprocess.run(
        [sys.executable, str(EXAMPLE / "iris_pipeline.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert script.returncode == 0, script.stderr[-3000:]
    account = server.first_account_id()
    package = f"arn:aws:sagemaker:us-east-1:{account}:model-package/iris-models/1"
    assert f"approved {package}" in script.stdout
    assert "accuracy on 25 held-out rows: " in script.stdout
    score = float(script.stdout.rsplit("accuracy on 25 held-out rows: ", 1)[1].split()[0])
    assert score >= 0.9

    sm = server.client("sagemaker")
    described = sm.describe_model_package(ModelPackageName=package)
    assert described["ModelApprovalStatus"] == "Approved"
    (execution,) = sm.list_pipeline_executions(PipelineName="iris-pipeline")[
        "PipelineExecutionSummaries"
    ]
    assert execution["PipelineExecutionStatus"] == "Succeeded"

    notebook = subprocess.run(
        [sys.executable, "-c", notebook_code(EXAMPLE / "iris_pipeline.ipynb")],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert notebook.returncode == 0, notebook.stderr[-3000:]
    assert f"{package[:-1]}2 accuracy" in notebook.stdout, "the notebook approved version 2"
    versions = sm.list_model_packages(ModelPackageGroupName="iris-models")
    assert {p["ModelApprovalStatus"] for p in versions["ModelPackageSummaryList"]} == {"Approved"}
    assert len(versions["ModelPackageSummaryList"]) == 2
