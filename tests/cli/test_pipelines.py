"""`airlock pipelines show|approve|reject`: the live view, and approvals by name."""

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


def test_show_approve_and_reject(tmp_path: Path) -> None:
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
        lines = shown.output.splitlines()
        assert lines[0] == "Pipeline pipe (version 1)"
        assert f"  Approval: InProgress ({first})" in lines
        (gate,) = [line for line in lines if line.startswith("    Approve: InProgress")]
        assert gate.endswith("- waiting for approval")
        approved = runner.invoke(
            app, ["pipelines", "approve", "pipe", "--summary", "ship it", *common]
        )
        assert approved.exit_code == 0, approved.output
        assert approved.output.strip() == "Approved pipe Approval/Approve"
        wait_status(cp, "pipe", first, "Succeeded")
        watched = runner.invoke(app, ["pipelines", "show", "pipe", "--watch", *common])
        assert watched.exit_code == 0
        account = server.first_account_id()
        assert any(
            line.startswith("    Approve: Succeeded")
            and line.endswith(f"- ship it (by arn:aws:iam::{account}:root)")
            for line in watched.output.splitlines()
        )
        none = runner.invoke(app, ["pipelines", "reject", "pipe", "--summary", "no", *common])
        assert none.exit_code == 1
        assert "Pipeline pipe has no approval waiting" in none.output
        second = cp.start_pipeline_execution(name="pipe")["pipelineExecutionId"]
        waiting_token(cp, "pipe", second)
        rejected = runner.invoke(
            app, ["pipelines", "reject", "pipe", "--summary", "not yet", *common]
        )
        assert rejected.exit_code == 0, rejected.output
        wait_status(cp, "pipe", second, "Failed")
        shown = runner.invoke(app, ["pipelines", "show", "pipe", *common])
        assert "      error JobFailed: Rejected by" in shown.output
        missing = runner.invoke(app, ["pipelines", "show", "nope", *common])
        assert missing.exit_code == 1
        assert f"Account '{account}' does not have a pipeline with name 'nope'" in missing.output
