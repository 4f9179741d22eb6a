"""The Build/AWS/CodeBuild and Test/AWS/CodeBuild pipeline actions: real builds, as a role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.codebuild.pipeline_action import CodeBuildAction, build_outcome
from airlock.codebuild.worker import RESTARTED
from airlock.platform.clock import ManualClock
from tests.codebuild.test_projects_api import make_role, project_args
from tests.pipeline_actions import ActionRun, unzipped, zipped
from tests.support import LiveServer, live_server, policy_document, service_trust, wait_for

BUILDSPEC = """version: 0.2
env:
  exported-variables:
    - RESULT
    - SEEN
phases:
  build:
    commands:
      - mkdir -p out second
      - cat greeting.txt > out/primary.txt
      - cat "$CODEBUILD_SRC_DIR_Extra/extra.txt" > second/extra.txt
      - echo "$STAGE" >> out/primary.txt
      - RESULT=built
      - SEEN="$(cat greeting.txt)-$STAGE"
artifacts:
  files:
    - out/**/*
  secondary-artifacts:
    Second:
      files:
        - second/**/*
"""
FAILING = (
    "version: 0.2\nphases:\n  build:\n    commands:\n      - echo about to fail\n      - exit 3\n"
)
LONG = "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 120\n"


@pytest.fixture
def server(server_on_each_database: LiveServer) -> LiveServer:
    """These tests run on each database backend."""
    return server_on_each_database


def pipeline_role(server: LiveServer, actions: list[str]) -> str:
    """A role codepipeline.amazonaws.com may assume, allowed `actions` on everything."""
    iam = server.client("iam")
    arn = iam.create_role(
        RoleName="pipeline-role",
        AssumeRolePolicyDocument=service_trust("codepipeline.amazonaws.com"),
    )["Role"]["Arn"]
    statement = {"Effect": "Allow", "Action": actions, "Resource": "*"}
    iam.put_role_policy(
        RoleName="pipeline-role", PolicyName="p", PolicyDocument=policy_document(statement)
    )
    return str(arn)


def pipeline_project(server: LiveServer, **extra: Any) -> None:
    """A project of source and artifacts type CODEPIPELINE, run as a role allowed everything."""
    server.client("s3").create_bucket(Bucket="artifacts")
    server.client("codebuild").create_project(
        **project_args(
            make_role(server),
            source={"type": "CODEPIPELINE"},
            artifacts={"type": "CODEPIPELINE"},
            **extra,
        )
    )


def build_run(
    server: LiveServer,
    inputs: dict[str, bytes],
    outputs: tuple[str, ...] = (),
    actions: list[str] | None = None,
    key: str = "Build/AWS/CodeBuild",
    **configuration: str,
) -> ActionRun:
    """A CodeBuild action of project `proj` as the pipeline role."""
    role = pipeline_role(
        server,
        actions or ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"],
    )
    return ActionRun(
        server,
        key,
        {"ProjectName": "proj", **configuration},
        role,
        "artifacts",
        server.first_account_id(),
        inputs=inputs,
        outputs=outputs,
    )


def test_primary_and_secondary_inputs_make_both_outputs(server: LiveServer) -> None:
    pipeline_project(server)
    run = build_run(
        server,
        {
            "Extra": zipped({"extra.txt": "from the second input\n"}),
            "Src": zipped({"buildspec.yml": BUILDSPEC, "greeting.txt": "hello\n"}),
        },
        outputs=("BuildOut", "Second"),
        PrimarySource="Src",
        EnvironmentVariables=json.dumps(
            [{"name": "STAGE", "value": "staging", "type": "PLAINTEXT"}]
        ),
    )
    outcome = run.run(timeout=90)
    assert outcome.status == "Succeeded", outcome.error_message
    assert outcome.output_variables == {"RESULT": "built", "SEEN": "hello-staging"}
    assert unzipped(run.read("BuildOut")) == {"out/primary.txt": b"hello\nstaging\n"}
    assert unzipped(run.read("Second")) == {"second/extra.txt": b"from the second input\n"}
    build_id = outcome.external_execution_id
    assert build_id is not None and build_id.startswith("proj:")
    build = server.client("codebuild").batch_get_builds(ids=[build_id])["builds"][0]
    assert outcome.external_execution_url == build["logs"]["deepLink"]
    assert outcome.summary == f"Build {build_id} succeeded"
    src, extra = run.location("Src"), run.location("Extra")
    assert build["source"]["type"] == "CODEPIPELINE"
    assert build["source"]["location"] == f"artifacts/{src.key}"
    assert build["secondarySources"] == [
        {"type": "CODEPIPELINE", "location": f"artifacts/{extra.key}", "sourceIdentifier": "Extra"}
    ]
    assert build["initiator"] == f"pipeline-role/test-{run.job_id[:8]}"


def test_the_first_input_is_the_primary_source_by_default(server: LiveServer) -> None:
    pipeline_project(server)
    spec = BUILDSPEC.replace('cat "$CODEBUILD_SRC_DIR_Extra/extra.txt"', "echo none")
    run = build_run(
        server,
        {"Src": zipped({"buildspec.yml": spec, "greeting.txt": "hi\n"})},
        outputs=("BuildOut",),
        key="Test/AWS/CodeBuild",
    )
    outcome = run.run(timeout=90)
    assert outcome.status == "Succeeded", outcome.error_message
    assert unzipped(run.read("BuildOut")) == {"out/primary.txt": b"hi\n\n"}


def test_a_failing_build_names_its_phase_and_logs(server: LiveServer) -> None:
    pipeline_project(server)
    run = build_run(server, {"Src": zipped({"buildspec.yml": FAILING})})
    outcome = run.run(timeout=90)
    assert (outcome.status, outcome.error_code) == ("Failed", "JobFailed")
    build = server.client("codebuild").batch_get_builds(ids=[outcome.external_execution_id])[
        "builds"
    ][0]
    logs = build["logs"]
    assert outcome.error_message == (
        "Build terminated with state: FAILED. Phase: BUILD, Code: COMMAND_EXECUTION_ERROR, "
        "Message: Error while executing command: exit 3. Reason: exit status 3. "
        f"Logs: log group {logs['groupName']}, stream {logs['streamName']} ({logs['deepLink']})"
    )
    events = server.client("logs").get_log_events(
        logGroupName=logs["groupName"], logStreamName=logs["streamName"], startFromHead=True
    )["events"]
    assert any(e["message"].strip() == "about to fail" for e in events)


def test_a_repeated_first_step_follows_one_build(server: LiveServer) -> None:
    pipeline_project(server)
    run = build_run(server, {"Src": zipped({"buildspec.yml": FAILING})})
    first = run.step()
    run.state = {}  # the server died before the first outcome committed
    again = run.step()
    assert first.state == again.state == {"buildId": first.external_execution_id}
    cb = server.client("codebuild")
    assert cb.list_builds_for_project(projectName="proj")["ids"] == [first.external_execution_id]
    assert run.run(timeout=90).status == "Failed"
    assert len(cb.list_builds_for_project(projectName="proj")["ids"]) == 1


def test_abandon_stops_the_build(server: LiveServer) -> None:
    pipeline_project(server)
    run = build_run(server, {"Src": zipped({"buildspec.yml": LONG})})
    started = run.step()
    assert started.status == "InProgress"
    cb = server.client("codebuild")
    build_id = started.external_execution_id

    def in_build() -> bool:
        return bool(cb.batch_get_builds(ids=[build_id])["builds"][0]["currentPhase"] == "BUILD")

    wait_for(in_build, timeout=60, what="the build to run its commands")
    run.provider().abandon(server.airlock.platform, run.job())

    def stopped() -> dict[str, Any] | None:
        build = cb.batch_get_builds(ids=[build_id])["builds"][0]
        return build if build["buildComplete"] else None

    assert wait_for(stopped, timeout=60, what="the build to stop")["buildStatus"] == "STOPPED"
    outcome = run.step()
    assert outcome.status == "Failed"
    assert outcome.error_message is not None
    assert outcome.error_message.startswith("Build terminated with state: STOPPED. Phase: BUILD")


def test_a_role_that_may_not_start_builds_fails_the_action(server: LiveServer) -> None:
    pipeline_project(server)
    run = build_run(
        server, {"Src": zipped({"buildspec.yml": FAILING})}, actions=["codebuild:BatchGetBuilds"]
    )
    outcome = run.step()
    assert (outcome.status, outcome.error_code) == ("Failed", "JobFailed")
    account, region = server.first_account_id(), server.settings.region
    assert outcome.error_message == (
        "The service role or action role doesn't have the permissions required to start or "
        "follow a build of the AWS CodeBuild project proj. Update the IAM role permissions, and "
        f"then try again. Error: User: arn:aws:sts::{account}:assumed-role/pipeline-role/"
        f"test-{run.job_id[:8]} is not authorized to perform: codebuild:StartBuild on resource: "
        f"arn:aws:codebuild:{region}:{account}:project/proj because no identity-based policy "
        "allows the codebuild:StartBuild action"
    )
    assert server.client("codebuild").list_builds_for_project(projectName="proj")["ids"] == []


def test_batch_builds_are_refused(server: LiveServer) -> None:
    pipeline_project(server)
    run = build_run(server, {"Src": zipped({"buildspec.yml": FAILING})}, BatchEnabled="true")
    outcome = run.step()
    assert (outcome.status, outcome.error_code) == ("Failed", "ConfigurationError")
    message = (
        "Invalid action configuration: BatchEnabled is true, but Airlock's CodeBuild does not "
        "run batch builds: set BatchEnabled to false (and leave CombineArtifacts out)"
    )
    assert outcome.error_message == message
    assert CodeBuildAction("Build").check({"ProjectName": "p", "BatchEnabled": "true"}) == message


def test_environment_variables_are_checked() -> None:
    action = CodeBuildAction("Build")
    assert action.check({"ProjectName": "p", "EnvironmentVariables": "[]"}) is None
    assert action.check({"ProjectName": "p", "EnvironmentVariables": "{"}) == (
        "Invalid action configuration: EnvironmentVariables is not valid JSON: Expecting "
        "property name enclosed in double quotes at position 1"
    )
    bad_type = json.dumps([{"name": "A", "value": "b", "type": "VAULT"}])
    assert action.check({"ProjectName": "p", "EnvironmentVariables": bad_type}) == (
        "Invalid action configuration: EnvironmentVariables[0] (A) has type 'VAULT'; use "
        "PLAINTEXT, PARAMETER_STORE, SECRETS_MANAGER"
    )


def test_start_build_with_an_idempotency_token(server: LiveServer) -> None:
    role = make_role(server)
    cb = server.client("codebuild")
    cb.create_project(**project_args(role))
    first = cb.start_build(projectName="proj", idempotencyToken="tok-1")["build"]
    again = cb.start_build(projectName="proj", idempotencyToken="tok-1")["build"]
    assert again["id"] == first["id"]
    other = cb.start_build(projectName="proj", idempotencyToken="tok-2")["build"]
    assert other["id"] != first["id"]
    with pytest.raises(ClientError) as caught:
        cb.start_build(projectName="proj", idempotencyToken="tok-1", timeoutInMinutesOverride=5)
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidInputException",
        "Invalid input: idempotencyToken tok-1 was used with different parameters by the build "
        "it started: repeat that request exactly, or use a new token",
    )
    assert len(cb.list_builds_for_project(projectName="proj")["ids"]) == 2


@pytest.fixture
def clocked(tmp_path: Path, database_url: str | None, clock: ManualClock) -> Iterator[LiveServer]:
    """A live server on the test's clock."""
    with live_server(tmp_path / "state", database_url, clock) as server:
        yield server


def test_a_token_names_its_build_for_five_minutes(clocked: LiveServer, clock: ManualClock) -> None:
    server = clocked
    pipeline_project(server)
    cb = server.client("codebuild")
    first = cb.start_build(projectName="proj", idempotencyToken="tok")["build"]["id"]
    clock.advance(timedelta(minutes=4))
    assert cb.start_build(projectName="proj", idempotencyToken="tok")["build"]["id"] == first
    clock.advance(timedelta(minutes=2))
    later = cb.start_build(projectName="proj", idempotencyToken="tok")["build"]["id"]
    assert later != first
    # The action looks for its token's build first, so a step repeated this late follows it.
    run = build_run(server, {"Src": zipped({"buildspec.yml": FAILING})})
    started = run.step().external_execution_id
    run.state = {}
    clock.advance(timedelta(minutes=6))  # the token's five minutes are over
    assert run.step().external_execution_id == started
    ids = cb.list_builds_for_project(projectName="proj")["ids"]
    assert len(ids) == 3


def test_a_fault_from_a_server_that_died_fails_the_action() -> None:
    logs = {"groupName": "/aws/codebuild/proj", "streamName": "u", "deepLink": "https://l"}
    build = {
        "id": "proj:u",
        "buildStatus": "FAULT",
        "currentPhase": "COMPLETED",
        "logs": logs,
        "phases": [
            {"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED"},
            {
                "phaseType": "BUILD",
                "phaseStatus": "FAULT",
                "contexts": [{"statusCode": "", "message": RESTARTED}],
            },
            {"phaseType": "COMPLETED"},
        ],
    }
    outcome = build_outcome(build)
    assert (outcome.status, outcome.error_code) == ("Failed", "JobFailed")
    assert outcome.error_message == (
        f"Build terminated with state: FAULT. Phase: BUILD, Message: {RESTARTED}. Logs: log "
        "group /aws/codebuild/proj, stream u (https://l)"
    )


def test_the_buildspec_artifact_name_does_not_move_the_pipeline_artifact(
    server: LiveServer,
) -> None:
    pipeline_project(server)
    named = (
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo made > made.txt\n"
        "artifacts:\n  name: renamed-$CODEBUILD_BUILD_NUMBER\n  files:\n    - made.txt\n"
    )
    run = build_run(server, {"Src": zipped({"buildspec.yml": named})}, outputs=("Out",))
    assert run.run().status == "Succeeded"
    assert unzipped(run.read("Out")) == {"made.txt": b"made\n"}
