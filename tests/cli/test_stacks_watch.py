"""`airlock stacks watch`: a stack's operation as a tree, signed as the profile's principal."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from airlock.cli.main import app
from airlock.cli.stacks import colour, succeeded
from tests.support import live_server, wait_for


def test_watch_shows_resources_and_the_outcome(tmp_path: Path) -> None:
    state = tmp_path / "state"
    server_logs = {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}}
    with live_server(state) as server:
        cfn = server.client("cloudformation")
        server.client("logs").create_log_group(logGroupName="taken")
        good = {"Resources": {"Builds": server_logs}}
        bad = {
            "Resources": {
                "Builds": server_logs,
                "Clash": {
                    "Type": "AWS::Logs::LogGroup",
                    "Properties": {"LogGroupName": "taken"},
                    "DependsOn": "Builds",
                },
            }
        }
        cfn.create_stack(StackName="good", TemplateBody=json.dumps(good))
        cfn.create_stack(StackName="bad", TemplateBody=json.dumps(bad))
        for name in ("good", "bad"):

            def over(name: str = name) -> bool:
                status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
                return not str(status).endswith("_IN_PROGRESS")

            wait_for(over, what=f"stack {name}")
        port = str(server.settings.port)
        runner = CliRunner()
        env = {"COLUMNS": "200"}
        result = runner.invoke(
            app, ["stacks", "watch", "good", "--state-dir", str(state), "--port", port], env=env
        )
        assert result.exit_code == 0, result.output
        assert "good  CREATE_COMPLETE" in result.output
        assert "Builds  AWS::Logs::LogGroup  CREATE_COMPLETE" in result.output
        result = runner.invoke(
            app, ["stacks", "watch", "bad", "--state-dir", str(state), "--port", port], env=env
        )
        assert result.exit_code == 1
        assert "bad  ROLLBACK_COMPLETE" in result.output
        assert "The specified log group already exists" in result.output
        result = runner.invoke(
            app, ["stacks", "watch", "nope", "--state-dir", str(state), "--port", port], env=env
        )
        assert result.exit_code == 1
        assert "Stack with id nope does not exist" in result.output


def test_status_colours() -> None:
    assert colour("CREATE_COMPLETE") == "green"
    assert colour("CREATE_IN_PROGRESS") == "yellow"
    assert colour("ROLLBACK_IN_PROGRESS") == "magenta"
    assert colour("UPDATE_ROLLBACK_COMPLETE") == "red"
    assert colour("DELETE_SKIPPED") == "cyan"
    assert succeeded("UPDATE_COMPLETE") and not succeeded("ROLLBACK_COMPLETE")
    assert not succeeded("CREATE_FAILED")
