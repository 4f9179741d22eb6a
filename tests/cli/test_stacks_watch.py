"""`airlock stacks watch`: a stack's operation as a tree, or a stack set's operation as a tree
of its regions and accounts, signed as the profile's principal."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from airlock.cli.main import app
from airlock.cli.stack_sets import set_colour
from airlock.cli.stacks import colour, succeeded
from tests.cloudformation.sets import (
    ADMIN_ROLE,
    EXECUTION_ROLE,
    admin_role,
    execution_role,
    log_group_template,
)
from tests.support import LiveServer, live_server, wait_for


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
    assert set_colour("SUCCEEDED") == "green" and set_colour("RUNNING") == "yellow"
    assert set_colour("FAILED") == "red" and set_colour("CANCELLED") == "cyan"


def _watch(server: LiveServer, state: Path, *args: str) -> tuple[int, str]:
    """`airlock stacks watch ARGS` against the server: exit code, and output and errors."""
    result = CliRunner().invoke(
        app,
        ["stacks", "watch", *args, "--state-dir", str(state), "--port", str(server.settings.port)],
        env={"COLUMNS": "250"},
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_watch_follows_a_stack_set_operation_to_its_end(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with live_server(state) as server:
        admin, region = server.first_account_id(), server.settings.region
        admin_role(server, admin)
        one, two, bare = (server.create_account(n) for n in ("one", "two", "bare"))
        for target in (one, two):  # `bare` has no execution role: its target fails
            execution_role(server, target, f"arn:aws:iam::{admin}:root")
        cfn = server.client("cloudformation")
        cfn.create_stack_set(StackSetName="logs", TemplateBody=log_group_template())
        created = cfn.create_stack_instances(
            StackSetName="logs",
            Accounts=[one, two, bare],
            Regions=[region],
            OperationPreferences={"FailureToleranceCount": 1, "MaxConcurrentCount": 2},
        )["OperationId"]

        # No stack is named `logs`: the stack set's latest operation, watched until it ends.
        code, out = _watch(server, state, "logs")
        assert code == 0, out
        assert f"logs  CREATE {created}  SUCCEEDED" in out
        assert region in out
        for account in (one, two):
            assert f"{account}  SUCCEEDED" in out
        assert f"{bare}  FAILED" in out
        assert (
            f"Account {bare} should have '{EXECUTION_ROLE}' role with trust relationship to "
            f"Role '{ADMIN_ROLE}'." in out
        )
        statuses = {
            i["Account"]: i["Status"]
            for i in cfn.list_stack_instances(StackSetName="logs")["Summaries"]
        }
        assert statuses == {one: "CURRENT", two: "CURRENT", bare: "OUTDATED"}

        failed = cfn.create_stack_instances(StackSetName="logs", Accounts=[bare], Regions=[region])
        code, out = _watch(server, state, "--stack-set", "logs")
        assert code == 1, out
        assert f"logs  CREATE {failed['OperationId']}  FAILED" in out
        assert (
            f"The operation failed because the failure tolerance was exceeded in region(s): "
            f"[{region}]" in out
        )
        assert f"{bare}  FAILED" in out and one not in out

        # An earlier operation by its id, not the latest.
        code, out = _watch(server, state, "logs", "--operation-id", created)
        assert code == 0, out
        assert f"logs  CREATE {created}  SUCCEEDED" in out and f"{one}  SUCCEEDED" in out

        code, out = _watch(server, state, "--stack-set", "nope")
        assert (code, out.strip()) == (1, "StackSet nope not found")
        code, out = _watch(server, state, "logs", "--operation-id", "not-an-operation")
        assert (code, out.strip()) == (1, "Operation not-an-operation not found")
        cfn.create_stack_set(StackSetName="empty", TemplateBody=log_group_template())
        code, out = _watch(server, state, "empty", "--stack-set")
        assert (code, out.strip()) == (1, "StackSet empty has no operations")
