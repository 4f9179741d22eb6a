"""Killed with SIGKILL at several moments of a run, the server goes on with the execution
after the restart: the approval still waits with the same token, nothing happens twice."""

from __future__ import annotations

import json
import random
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.codepipeline.helpers import PIPELINE_TRUST, approval, declaration, s3_source, zipped
from tests.support import free_socket, process_client, server_process, wait_for


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


@contextmanager
def _running(state: Path, port: int, url: str | None) -> Iterator[subprocess.Popen[bytes]]:
    with server_process(state, port, url) as process:
        yield process


def _state(cp: Any, stage: str) -> dict[str, Any]:
    states = cp.get_pipeline_state(name="pipe")["stageStates"]
    return dict(next(s for s in states if s["stageName"] == stage))


def _token(cp: Any, stage: str) -> tuple[str, str]:
    def check() -> tuple[str, str] | None:
        action = _state(cp, stage)["actionStates"][0].get("latestExecution") or {}
        if action.get("token") and action.get("status") == "InProgress":
            return str(action["token"]), str(action["actionExecutionId"])
        return None

    return wait_for(check, timeout=60, what=f"the approval of {stage} to wait")


def test_kill_at_several_moments(tmp_path: Path, database_url: str | None) -> None:
    url = database_url
    state = tmp_path / "state"
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    rng = random.Random()
    with _running(state, port, url) as first:
        iam = process_client(state, port, "iam")
        role = iam.create_role(RoleName="pipe", AssumeRolePolicyDocument=PIPELINE_TRUST)["Role"]
        iam.put_role_policy(
            RoleName="pipe",
            PolicyName="p",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                }
            ),
        )
        s3 = process_client(state, port, "s3")
        for bucket in ("artifacts", "source"):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="source", Key="app.zip", Body=zipped({"a": "1"}))
        cp = process_client(state, port, "codepipeline")
        cp.create_pipeline(
            pipeline=declaration(
                role["Arn"],
                [
                    {"name": "Source", "actions": [s3_source()]},
                    {"name": "First", "actions": [approval()]},
                    {"name": "Second", "actions": [approval()]},
                ],
            )
        )
        # Killed at once, or a few state polls later: mid-source or at the first approval.
        for _ in range(rng.randint(0, 3)):
            cp.list_pipeline_executions(pipelineName="pipe")
        _kill(first)
    with _running(state, port, url) as second:
        cp = process_client(state, port, "codepipeline")
        token, action_id = _token(cp, "First")
        _kill(second)
    with _running(state, port, url) as third:
        cp = process_client(state, port, "codepipeline")
        assert _token(cp, "First") == (token, action_id), "the same approval still waits"
        cp.put_approval_result(
            pipelineName="pipe",
            stageName="First",
            actionName="Approve",
            result={"summary": "yes", "status": "Approved"},
            token=token,
        )
        _kill(third)  # right after the approval committed, maybe before the engine saw it
    with _running(state, port, url):
        cp = process_client(state, port, "codepipeline")
        token, _ = _token(cp, "Second")
        cp.put_approval_result(
            pipelineName="pipe",
            stageName="Second",
            actionName="Approve",
            result={"summary": "yes", "status": "Approved"},
            token=token,
        )

        def finished() -> dict[str, Any] | None:
            (summary,) = cp.list_pipeline_executions(pipelineName="pipe")[
                "pipelineExecutionSummaries"
            ]
            return summary if summary["status"] == "Succeeded" else None

        wait_for(finished, timeout=60, what="the execution to succeed")
        details = cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
        assert sorted((d["stageName"], d["status"]) for d in details) == [
            ("First", "Succeeded"),
            ("Second", "Succeeded"),
            ("Source", "Succeeded"),
        ], "each action ran once"
        first_approval = next(d for d in details if d["stageName"] == "First")
        assert first_approval["actionExecutionId"] == action_id
