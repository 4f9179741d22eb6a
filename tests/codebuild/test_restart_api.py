"""A build the server was running when it was killed ends FAULT after the restart, never re-run."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from tests.codebuild.test_projects_api import project_args
from tests.support import process_client, server_process, service_trust, unused_port, wait_for

SPEC = """version: 0.2
phases:
  build:
    commands:
      - echo started >> "$MARKER"
      - sleep 600
"""


def test_a_killed_server_faults_the_build(tmp_path: Path) -> None:
    state = tmp_path / "state"
    marker = tmp_path / "marker"
    port = unused_port()
    with server_process(state, port) as first:
        iam = process_client(state, port, "iam")
        cb = process_client(state, port, "codebuild")
        role = iam.create_role(
            RoleName="R", AssumeRolePolicyDocument=service_trust("codebuild.amazonaws.com")
        )["Role"]["Arn"]
        args = project_args(role, source={"type": "NO_SOURCE", "buildspec": SPEC})
        args["environment"]["environmentVariables"] = [{"name": "MARKER", "value": str(marker)}]
        cb.create_project(**args)
        build_id = cb.start_build(projectName="proj")["build"]["id"]
        wait_for(lambda: marker.exists(), what="the build's command to start")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    with server_process(state, port):
        cb = process_client(state, port, "codebuild")

        def ended() -> dict[str, Any] | None:
            build = cb.batch_get_builds(ids=[build_id])["builds"][0]
            return build if build["buildComplete"] else None

        build = wait_for(ended, timeout=60, interval=0.2, what="the build to end after restart")
        assert build["buildStatus"] == "FAULT"
        phase = next(p for p in build["phases"] if p["phaseType"] == "BUILD")
        assert phase["phaseStatus"] == "FAULT"
        assert phase["contexts"] == [
            {
                "statusCode": "",
                "message": "The Airlock server stopped while this build ran, and CodeBuild never "
                "runs a build twice: start it again with RetryBuild",
            }
        ]
        assert build["phases"][-1]["phaseType"] == "COMPLETED"
        # Never run again: the command ran once.
        assert marker.read_text() == "started\n"


def test_a_clean_shutdown_faults_the_build(tmp_path: Path) -> None:
    from tests.codebuild.test_projects_api import make_role
    from tests.support import live_server

    state = tmp_path / "state"
    marker = tmp_path / "marker"
    with live_server(state) as server:
        cb = server.client("codebuild")
        args = project_args(make_role(server), source={"type": "NO_SOURCE", "buildspec": SPEC})
        args["environment"]["environmentVariables"] = [{"name": "MARKER", "value": str(marker)}]
        cb.create_project(**args)
        build_id = cb.start_build(projectName="proj")["build"]["id"]
        wait_for(lambda: marker.exists(), what="the build's command to start")
    with live_server(state) as server:
        cb = server.client("codebuild")

        def ended() -> dict[str, Any] | None:
            build = cb.batch_get_builds(ids=[build_id])["builds"][0]
            return build if build["buildComplete"] else None

        build = wait_for(ended, timeout=60, interval=0.2, what="the build to end")
        assert build["buildStatus"] == "FAULT"
        assert marker.read_text() == "started\n"
        phase = next(p for p in build["phases"] if p["phaseType"] == "BUILD")
        assert phase["phaseStatus"] == "FAULT"
        assert phase["contexts"] == [
            {
                "statusCode": "",
                "message": "The Airlock server shut down while this build ran, and its processes "
                "were killed: start it again with RetryBuild",
            }
        ]
