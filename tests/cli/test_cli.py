"""The `airlock` command line, including a shell set up by `airlock env`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from airlock import __version__
from airlock.cli.main import app
from tests.support import live_server

BIN = Path(sys.executable).parent


def test_aws_cli_in_a_shell_set_up_by_airlock_env(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with live_server(state) as server:
        port = str(server.settings.port)
        script = (
            f'eval "$(airlock env --state-dir {state} --port {port})" && '
            "aws organizations create-organization --feature-set ALL && "
            "aws organizations list-roots"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["PATH"] = f"{BIN}:{env['PATH']}"
        env["HOME"] = str(tmp_path / "home")  # the user's ~/.aws is never read
        result = subprocess.run(
            ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        decoder = json.JSONDecoder()
        created, end = decoder.raw_decode(result.stdout)
        roots, _ = decoder.raw_decode(result.stdout[end:].lstrip())
        assert created["Organization"]["MasterAccountId"] == server.first_account_id()
        assert roots["Roots"][0]["Id"].startswith("r-")
        assert not (tmp_path / "home" / ".aws").exists()


def test_env_prints_exports_and_files_are_private(tmp_path: Path) -> None:
    state = tmp_path / "state"
    result = CliRunner().invoke(app, ["env", "--state-dir", str(state), "--profile", "management"])
    assert result.exit_code == 0, result.output
    lines = dict(
        line.removeprefix("export ").split("=", 1) for line in result.stdout.strip().splitlines()
    )
    assert result.stderr.startswith("warning: no server is recorded in ")
    assert lines["AWS_PROFILE"] == "management"
    assert lines["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4716"
    credentials = Path(lines["AWS_SHARED_CREDENTIALS_FILE"])
    assert credentials.stat().st_mode & 0o777 == 0o600
    assert credentials.parent.stat().st_mode & 0o777 == 0o700
    text = credentials.read_text()
    assert "[management]" in text and "[default]" in text
    assert "[profile management]" in Path(lines["AWS_CONFIG_FILE"]).read_text()

    missing = CliRunner().invoke(app, ["env", "--state-dir", str(state), "--profile", "nope"])
    assert missing.exit_code == 1
    assert "No profile 'nope'" in missing.output


def test_accounts_create_and_list(tmp_path: Path) -> None:
    state = str(tmp_path / "state")
    runner = CliRunner()
    created = runner.invoke(app, ["accounts", "create", "Outside Team", "--state-dir", state])
    assert created.exit_code == 0, created.output
    assert "profile outside-team" in created.output
    again = runner.invoke(app, ["accounts", "create", "Outside Team", "--state-dir", state])
    assert again.exit_code == 1
    assert "already exists" in again.output
    listed = runner.invoke(app, ["accounts", "list", "--state-dir", state])
    assert listed.exit_code == 0
    assert "management" in listed.output and "outside-team" in listed.output
    credentials = (tmp_path / "state" / "aws" / "credentials").read_text()
    assert "[outside-team]" in credentials


def test_version_and_coverage() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["version"]).output.strip() == f"airlock {__version__}"
    report = runner.invoke(app, ["coverage"])
    assert report.exit_code == 0
    assert "organizations" in report.output and "sagemaker" in report.output
    missing = runner.invoke(app, ["coverage", "--missing", "organizations"])
    assert "CloseAccount" in missing.output.split()
    assert "CreateOrganization" not in missing.output.split()


def test_help_everywhere() -> None:
    runner = CliRunner()
    for command in (
        [],
        ["server"],
        ["env"],
        ["accounts"],
        ["accounts", "list"],
        ["accounts", "create"],
        ["coverage"],
        ["version"],
        ["models"],
        ["models", "history"],
        ["events"],
        ["events", "failed"],
    ):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "--help" in result.output


def test_explain_shows_the_decision_and_its_statements(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with live_server(state) as server:
        account = server.first_account_id()
        iam = server.client("iam", account)
        iam.create_user(UserName="analyst")
        iam.put_user_policy(
            UserName="analyst",
            PolicyName="read",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadModels",
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::models/*",
                        }
                    ],
                }
            ),
        )
        key = iam.create_access_key(UserName="analyst")["AccessKey"]
        credentials = state / "aws" / "credentials"
        credentials.write_text(
            credentials.read_text()
            + f"\n[analyst]\naws_access_key_id = {key['AccessKeyId']}\n"
            + f"aws_secret_access_key = {key['SecretAccessKey']}\n"
        )
    runner = CliRunner()
    allowed = runner.invoke(
        app,
        [
            "explain",
            "s3:GetObject",
            "arn:aws:s3:::models/iris.tar.gz",
            "--profile",
            "analyst",
            "--state-dir",
            str(state),
        ],
    )
    assert allowed.exit_code == 0, allowed.output
    assert "decision:  allowed" in allowed.output
    assert '"Sid": "ReadModels"' in allowed.output
    denied = runner.invoke(
        app,
        [
            "explain",
            "s3:PutObject",
            "arn:aws:s3:::models/x",
            "--profile",
            "analyst",
            "--state-dir",
            str(state),
        ],
    )
    assert "decision:  implicitDeny" in denied.output
    assert "because no identity-based policy allows the s3:PutObject action" in denied.output
    missing = runner.invoke(
        app, ["explain", "s3:GetObject", "--profile", "nobody", "--state-dir", str(state)]
    )
    assert missing.exit_code == 1 and "No profile 'nobody'" in missing.output
