"""`airlock pipelines show|approve|reject` against the live engine."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from airlock.cli.main import app
from tests.codepipeline.helpers import (
    first_execution,
    setup,
    source_and_approval,
    wait_status,
    waiting_token,
)
from tests.support import live_server


def test_show_approve_reject(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with live_server(state) as server:
        cp, role = setup(server)
        cp.create_pipeline(pipeline=source_and_approval(role))
        first = first_execution(cp, "pipe")
        waiting_token(cp, "pipe", first)
        runner = CliRunner()
        common = ["--state-dir", str(state), "--port", str(server.settings.port)]
        shown = runner.invoke(app, ["pipelines", "show", "pipe", *common])
        assert shown.exit_code == 0, shown.output
        assert "Approve" in shown.output and "InProgress" in shown.output
        approved = runner.invoke(
            app, ["pipelines", "approve", "pipe", "--summary", "ship it", *common]
        )
        assert approved.exit_code == 0, approved.output
        assert approved.output.strip() == "Approved pipe at Approval/Approve"
        wait_status(cp, "pipe", first, "Succeeded")
        watched = runner.invoke(app, ["pipelines", "show", "pipe", "--watch", *common])
        assert watched.exit_code == 0, watched.output
        details = cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
        gate = next(d for d in details if d["actionName"] == "Approve")
        assert gate["output"]["executionResult"]["externalExecutionSummary"] == "ship it"
        second = cp.start_pipeline_execution(name="pipe")["pipelineExecutionId"]
        waiting_token(cp, "pipe", second)
        rejected = runner.invoke(app, ["pipelines", "reject", "pipe", "--summary", "no", *common])
        assert rejected.exit_code == 0, rejected.output
        wait_status(cp, "pipe", second, "Failed")
        watched = runner.invoke(app, ["pipelines", "show", "pipe", "--watch", *common])
        assert watched.exit_code == 1
        assert "Pipeline pipe's latest execution ended Failed" in watched.output
        none = runner.invoke(app, ["pipelines", "approve", "pipe", "--summary", "x", *common])
        assert none.exit_code == 1
