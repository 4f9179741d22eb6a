"""`airlock demo`: the article's whole story on a fresh state dir, as `make demo` runs it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

from tests.support import process_client, server_process, unused_port, wait_for

BIN = Path(sys.executable).parent
STEPS = (
    "1. Organization, OUs, trusted access",
    "2. Role stack in staging",
    "2. Role stack in production",
    "3. Data science bucket and policy",
    "4. Enable projects, added policies",
    "5. Portfolio, product, constraint",
    "6. CreateProject iris-multi-01",
    "7. Pipeline: train, register",
    "8. Approve the newest version",
    "CD: Build",
    "CD: DeployStaging",
    "CD: TestStaging",
    "CD: DeployProd",
    "9. Invoke production",
    "10. Clean up",
)


def demo_env() -> dict[str, str]:
    """The environment without AWS or Airlock settings, wide enough for the table."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AIRLOCK_"))}
    env["COLUMNS"] = "200"
    return env


def accounts(out: str) -> dict[str, str]:
    """The accounts the output names: data science, staging, production."""
    found = re.search(r"staging (\d{12}) in ou-\S+, production (\d{12}) in ou-", out)
    ds = re.search(r"data science (\d{12})", out)
    assert found and ds, out
    return {"ds": ds[1], "staging": found[1], "prod": found[2]}


def assert_story(out: str) -> dict[str, str]:
    """Every step passed; the table's accounts, the staging test and production's answer."""
    for step in STEPS:
        assert re.search(rf"✓ +{re.escape(step)} \(\d+\.\d\d s\)", out), (step, out)
    ids = accounts(out)
    assert f"Account {ids['staging']}: accuracy 0.960 on 25 held-out rows" in out
    assert "iris-multi-01-staging InService, 1 instance" in out
    assert "iris-multi-01-prod InService, 2 instances" in out
    assert "accuracy 0.960 on 25 held-out rows; versicolor, versicolor, setosa" in out
    table = out[out.index("Airlock demo: ") :]
    for row, who, account in (
        ("1. Organization", "root (ML engineer)", f"data science {ids['ds']}"),
        ("2. Role stack in staging", "root", f"staging {ids['staging']}"),
        ("6. CreateProject", "user/data-scientist", f"data science {ids['ds']}"),
        ("CD: DeployProd", "role/AmazonSageMakerServiceCatalogProductsUseRole", "production"),
        ("9. Invoke production", "root", f"production {ids['prod']}"),
    ):
        assert re.search(rf"│ +{re.escape(row)}[^│]*│ {re.escape(who)} +│ {account}", table), row
    return ids


def test_the_demo_plays_the_whole_story(tmp_path: Path) -> None:
    port, state = unused_port(), tmp_path / "demo"
    # A state dir relative to the working directory, as `make demo` gives it.
    command = [str(BIN / "airlock"), "demo", "--state-dir", "demo", "--port", str(port)]
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=demo_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ids = assert_story(result.stdout)
    assert "Approved by user/approver: Staging accuracy is good" in result.stdout
    approval = rf"│ +CD: ApproveDeployment +│ user/approver +│ data science {ids['ds']} +│"
    assert re.search(approval, result.stdout), result.stdout

    # What the story left, seen by a server started again on its state dir.
    with server_process(state, port):
        sm = process_client(state, port, "sagemaker")
        assert sm.list_projects()["ProjectSummaryList"] == []
        [group] = sm.list_model_package_groups()["ModelPackageGroupSummaryList"]
        assert group["ModelPackageGroupName"].startswith("iris-multi-01-p-")
        [package] = sm.list_model_packages(ModelPackageGroupName=group["ModelPackageGroupName"])[
            "ModelPackageSummaryList"
        ]
        assert package["ModelApprovalStatus"] == "Approved"
        [run] = sm.list_pipeline_executions(PipelineName="iris-train-register")[
            "PipelineExecutionSummaries"
        ]
        assert run["PipelineExecutionStatus"] == "Succeeded"
        # The SDK's pipeline (its ModelStep names the register step so), started with the
        # instance count the story gives.
        arn = run["PipelineExecutionArn"]
        steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)
        assert sorted(s["StepName"] for s in steps["PipelineExecutionSteps"]) == [
            "RegisterIris-RegisterModel",
            "TrainIris",
        ]
        parameters = sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)
        assert parameters["PipelineParameters"] == [{"Name": "TrainingInstanceCount", "Value": "1"}]
        listed = process_client(state, port, "organizations").list_accounts()["Accounts"]
        assert sorted(a["Id"] for a in listed) == sorted(ids.values())
        assert process_client(state, port, "codepipeline").list_pipelines()["pipelines"] == []

    again = subprocess.run(
        command,
        cwd=tmp_path,
        env=demo_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 2
    assert "The demo needs a fresh state dir" in again.stderr


def test_stop_at_approval_waits_for_the_printed_aws_command(tmp_path: Path) -> None:
    state = tmp_path / "demo"
    process = subprocess.Popen(
        [str(BIN / "airlock"), "demo", "--state-dir", str(state), "--stop-at-approval"],
        env=demo_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        command = wait_for(
            lambda: next((x for x in lines if "aws codepipeline put-approval-result" in x), None),
            timeout=180,
            what="the approval command",
        )
        printed = "".join(lines)
        assert "CD: TestStaging" in printed and "CD: DeployProd" not in printed
        assert "airlock pipelines approve sagemaker-iris-multi-01-p-" in printed
        exports = dict(re.findall(r"export (AWS_[A-Z_]+)=(\S+)", printed))
        assert set(exports) == {
            "AWS_ENDPOINT_URL",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(exports, PATH=f"{BIN}:{env['PATH']}", HOME=str(tmp_path))
        given = subprocess.run(
            shlex.split(command.strip()),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert given.returncode == 0, given.stderr
        assert process.wait(timeout=180) == 0, "".join(lines)[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        reader.join(timeout=30)
        process.stdout.close()
    out = "".join(lines)
    assert_story(out)
    assert "Approved by user/approver: Staging accuracy is good" in out
    assert re.search(r"│ +CD: ApproveDeployment \(yours\) +│ user/approver +│", out), out
