"""`airlock builds logs`: a build's log, followed to the build's end."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from airlock.cli.main import app
from tests.codebuild.test_builds_api import finished
from tests.codebuild.test_projects_api import make_role, project_args
from tests.support import live_server

SPEC = """version: 0.2
phases:
  build:
    commands:
      - echo first line
      - sleep 1
      - echo second line
      - exit 3
"""


def test_logs_follow_a_build_to_its_end(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with live_server(state) as server:
        role = make_role(server)
        cb = server.client("codebuild")
        cb.create_project(**project_args(role, source={"type": "NO_SOURCE", "buildspec": SPEC}))
        build_id = cb.start_build(projectName="proj")["build"]["id"]
        port = str(server.settings.port)
        runner = CliRunner()
        common = ["--state-dir", str(state), "--port", port]
        result = runner.invoke(app, ["builds", "logs", build_id, "--follow", *common])
        assert result.exit_code == 1, result.output
        lines = result.output.splitlines()
        assert lines.index("first line") < lines.index("second line")
        assert "Command did not exit successfully exit 3 exit status 3" in result.output
        assert f"Build {build_id} ended FAILED" in result.output
        finished(cb, build_id)
        again = runner.invoke(app, ["builds", "logs", build_id, *common])
        assert again.exit_code == 0
        assert again.output.splitlines().count("second line") == 1
        missing = runner.invoke(app, ["builds", "logs", "proj:nope", *common])
        assert missing.exit_code == 1
        assert "Build proj:nope does not exist" in missing.output
