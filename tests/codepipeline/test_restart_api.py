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

import pytest

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


# On PostgreSQL only (test_kill_at_several_moments kills on both databases).
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_kill_during_a_deploy(tmp_path: Path, database_url: str | None) -> None:
    """SIGKILL at random moments of a CloudFormation deploy: the action re-attaches to its
    stack operation after each restart, and the stack is made once."""
    from tests.cloudformation.pipeline_setup import log_template
    from tests.support import service_trust

    state = tmp_path / "state"
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    rng = random.Random()
    with _running(state, port, database_url) as process:
        iam = process_client(state, port, "iam")
        role = iam.create_role(RoleName="pipe", AssumeRolePolicyDocument=PIPELINE_TRUST)["Role"]
        everything = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        )
        iam.put_role_policy(RoleName="pipe", PolicyName="p", PolicyDocument=everything)
        stacks = iam.create_role(
            RoleName="stacks",
            AssumeRolePolicyDocument=service_trust("cloudformation.amazonaws.com"),
        )["Role"]["Arn"]
        iam.put_role_policy(RoleName="stacks", PolicyName="p", PolicyDocument=everything)
        s3 = process_client(state, port, "s3")
        for bucket in ("artifacts", "source"):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(
            Bucket="source", Key="app.zip", Body=zipped({"template.json": log_template()})
        )
        deploy = {
            "name": "Deploy",
            "actionTypeId": {
                "category": "Deploy",
                "owner": "AWS",
                "provider": "CloudFormation",
                "version": "1",
            },
            "configuration": {
                "ActionMode": "CREATE_UPDATE",
                "StackName": "app",
                "TemplatePath": "SourceArtifact::template.json",
                "RoleArn": stacks,
            },
            "inputArtifacts": [{"name": "SourceArtifact"}],
        }
        cp = process_client(state, port, "codepipeline")
        cp.create_pipeline(
            pipeline=declaration(
                role["Arn"],
                [
                    {"name": "Source", "actions": [s3_source()]},
                    {"name": "Prod", "actions": [deploy]},
                ],
            )
        )
        for _ in range(rng.randint(0, 4)):
            cp.list_pipeline_executions(pipelineName="pipe")
        _kill(process)
    for _ in range(2):
        with _running(state, port, database_url) as process:
            cp = process_client(state, port, "codepipeline")
            for _ in range(rng.randint(0, 6)):
                cp.list_action_executions(pipelineName="pipe")
            _kill(process)
    with _running(state, port, database_url):
        cp = process_client(state, port, "codepipeline")

        def finished() -> dict[str, Any] | None:
            (summary,) = cp.list_pipeline_executions(pipelineName="pipe")[
                "pipelineExecutionSummaries"
            ]
            return summary if summary["status"] not in ("InProgress", "Stopping") else None

        summary = wait_for(finished, timeout=90, what="the execution to end")
        assert summary["status"] == "Succeeded", summary
        details = cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
        assert sorted(d["actionName"] for d in details) == ["Deploy", "Source"]
        cfn = process_client(state, port, "cloudformation")
        assert cfn.describe_stacks(StackName="app")["Stacks"][0]["StackStatus"] == (
            "CREATE_COMPLETE"
        )
        events = cfn.describe_stack_events(StackName="app")["StackEvents"]
        began = [
            e
            for e in events
            if e["LogicalResourceId"] == "app" and e["ResourceStatus"] == "CREATE_IN_PROGRESS"
        ]
        assert len(began) == 1, "the stack was created once"


# On SQLite only (test_kill_at_several_moments kills on both databases).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_build_killed_with_the_server_fails_and_retry_resumes(
    tmp_path: Path, database_url: str | None
) -> None:
    """The build dies with the server: its action fails after the restart (CodeBuild never
    runs a build twice), and RetryStageExecution runs a new build and goes on."""
    from tests.support import service_trust

    state = tmp_path / "state"
    gate = tmp_path / "go-on"  # until it exists, the build waits
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    everything = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )
    buildspec = (
        "version: 0.2\nphases:\n  build:\n    commands:\n"
        f"      - while [ ! -f {gate} ]; do sleep 0.2; done\n"
    )
    with _running(state, port, database_url) as process:
        iam = process_client(state, port, "iam")
        for name, service in (("pipe", "codepipeline"), ("builder", "codebuild")):
            iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=service_trust(f"{service}.amazonaws.com")
            )
            iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=everything)
        account = iam.get_role(RoleName="pipe")["Role"]["Arn"].split(":")[4]
        s3 = process_client(state, port, "s3")
        for bucket in ("artifacts", "source"):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="source", Key="app.zip", Body=zipped({"a": "1"}))
        process_client(state, port, "codebuild").create_project(
            name="wait",
            source={"type": "CODEPIPELINE", "buildspec": buildspec},
            artifacts={"type": "CODEPIPELINE"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
            serviceRole=f"arn:aws:iam::{account}:role/builder",
        )
        build = {
            "name": "Build",
            "actionTypeId": {
                "category": "Build",
                "owner": "AWS",
                "provider": "CodeBuild",
                "version": "1",
            },
            "configuration": {"ProjectName": "wait"},
            "inputArtifacts": [{"name": "SourceArtifact"}],
        }
        cp = process_client(state, port, "codepipeline")
        cp.create_pipeline(
            pipeline=declaration(
                f"arn:aws:iam::{account}:role/pipe",
                [
                    {"name": "Source", "actions": [s3_source()]},
                    {"name": "Build", "actions": [build]},
                ],
            )
        )

        codebuild = process_client(state, port, "codebuild")

        def building() -> bool:
            # In its BUILD phase, not only started: a build the server had not yet taken up
            # when it died is run after the restart, as a queued build is.
            details = cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
            ids = [
                d["output"]["executionResult"].get("externalExecutionId")
                for d in details
                if d["actionName"] == "Build"
            ]
            if not ids or not ids[0]:
                return False
            (found,) = codebuild.batch_get_builds(ids=ids)["builds"]
            return bool(found["currentPhase"] == "BUILD")

        wait_for(building, timeout=60, what="the build to run its BUILD phase")
        _kill(process)
    with _running(state, port, database_url):
        cp = process_client(state, port, "codepipeline")
        (summary,) = cp.list_pipeline_executions(pipelineName="pipe")["pipelineExecutionSummaries"]
        execution_id = summary["pipelineExecutionId"]

        def ended() -> dict[str, Any] | None:
            got = cp.get_pipeline_execution(pipelineName="pipe", pipelineExecutionId=execution_id)
            status = got["pipelineExecution"]
            return status if status["status"] != "InProgress" else None

        failed = wait_for(ended, timeout=60, what="the build action to fail")
        assert failed["status"] == "Failed"
        assert failed["statusSummary"].startswith("Action Build of stage Build failed: ")
        gate.write_text("go")
        cp.retry_stage_execution(
            pipelineName="pipe",
            stageName="Build",
            pipelineExecutionId=execution_id,
            retryMode="FAILED_ACTIONS",
        )
        done = wait_for(ended, timeout=60, what="the retried build")
        assert done["status"] == "Succeeded"
        builds = [
            d
            for d in cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
            if d["actionName"] == "Build"
        ]
        assert [d["status"] for d in builds] == ["Succeeded", "Failed"]
        ids = {d["output"]["executionResult"]["externalExecutionId"] for d in builds}
        assert len(ids) == 2, "the retry ran a new build"
