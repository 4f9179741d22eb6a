"""CodeBuild builds through boto3 on a live server: they run for real, as the service role."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.codebuild.test_projects_api import make_role, project_args
from tests.support import LiveServer, wait_for

CREDENTIALS_BUILDSPEC = """version: 0.2
env:
  variables:
    GREETING: hello
  exported-variables:
    - RESULT
phases:
  build:
    commands:
      - echo "number=$CODEBUILD_BUILD_NUMBER id=$CODEBUILD_BUILD_ID"
      - echo "greeting=$GREETING project=$FROM_PROJECT override=$FROM_OVERRIDE"
      - aws sts get-caller-identity --query Arn --output text
      - python -c 'import boto3; print("boto3", boto3.client("sts").get_caller_identity()["Arn"])'
      - RESULT=done
      - mkdir -p out && echo artifact > out/a.txt
artifacts:
  files:
    - out/**/*
"""


def finished(cb: Any, build_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """The build once it reached COMPLETED."""

    def check() -> dict[str, Any] | None:
        build = cb.batch_get_builds(ids=[build_id])["builds"][0]
        return build if build["buildComplete"] else None

    return wait_for(check, timeout=timeout, what=f"build {build_id} to complete")


def log_text(server: LiveServer, build: dict[str, Any]) -> str:
    """The build's CloudWatch Logs stream as one text."""
    logs = server.client("logs")
    events = logs.get_log_events(
        logGroupName=build["logs"]["groupName"],
        logStreamName=build["logs"]["streamName"],
        startFromHead=True,
    )["events"]
    return "\n".join(e["message"] for e in events)


def test_a_build_runs_as_its_service_role(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    role = make_role(server)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="artifacts")
    cb = server.client("codebuild")
    env = project_args(role)["environment"]
    env["environmentVariables"] = [{"name": "FROM_PROJECT", "value": "p"}]
    cb.create_project(
        **project_args(
            role,
            source={"type": "NO_SOURCE", "buildspec": CREDENTIALS_BUILDSPEC},
            environment=env,
            artifacts={
                "type": "S3",
                "location": "artifacts",
                "packaging": "ZIP",
                "name": "out.zip",
            },
        )
    )
    started = cb.start_build(
        projectName="proj",
        environmentVariablesOverride=[{"name": "FROM_OVERRIDE", "value": "o", "type": "PLAINTEXT"}],
    )["build"]
    assert started["buildStatus"] == "IN_PROGRESS"
    assert started["buildNumber"] == 1
    build = finished(cb, started["id"])
    text = log_text(server, build)
    assert build["buildStatus"] == "SUCCEEDED", text
    account = server.first_account_id()
    session_arn = f"arn:aws:sts::{account}:assumed-role/build-role/AWSCodeBuild-"
    uuid = started["id"].split(":")[1]
    assert f"\n{session_arn}{uuid}\n" in text
    assert f"boto3 {session_arn}{uuid}" in text
    assert f"number=1 id={started['id']}" in text
    assert "greeting=hello project=p override=o" in text
    assert [p["phaseType"] for p in build["phases"]] == [
        "SUBMITTED",
        "QUEUED",
        "PROVISIONING",
        "DOWNLOAD_SOURCE",
        "INSTALL",
        "PRE_BUILD",
        "BUILD",
        "POST_BUILD",
        "UPLOAD_ARTIFACTS",
        "FINALIZING",
        "COMPLETED",
    ]
    assert all(p["phaseStatus"] == "SUCCEEDED" for p in build["phases"][:-1])
    assert build["logs"]["groupName"] == "/aws/codebuild/proj"
    assert build["logs"]["streamName"] == uuid
    assert build["exportedEnvironmentVariables"] == [{"name": "RESULT", "value": "done"}]
    assert build["artifacts"]["location"] == "arn:aws:s3:::artifacts/out.zip"
    body = s3.get_object(Bucket="artifacts", Key="out.zip")["Body"].read()
    assert zipfile.ZipFile(io.BytesIO(body)).read("out/a.txt") == b"artifact\n"
    # The credentials endpoint refuses once the build ended.
    assert cb.list_builds_for_project(projectName="proj")["ids"] == [started["id"]]
    assert cb.list_builds()["ids"] == [started["id"]]


def test_a_role_without_permission_fails_the_aws_call(server: LiveServer) -> None:
    deny_s3 = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
    }
    role = make_role(server, "narrow-role", deny_s3)
    cb = server.client("codebuild")
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - aws s3api list-buckets\n"
    cb.create_project(**project_args(role, source={"type": "NO_SOURCE", "buildspec": spec}))
    build = finished(cb, cb.start_build(projectName="proj")["build"]["id"])
    text = log_text(server, build)
    assert build["buildStatus"] == "FAILED"
    assert "AccessDenied" in text
    phase = next(p for p in build["phases"] if p["phaseType"] == "BUILD")
    assert phase["phaseStatus"] == "FAILED"
    assert phase["contexts"] == [
        {
            "statusCode": "COMMAND_EXECUTION_ERROR",
            "message": "Error while executing command: aws s3api list-buckets. "
            "Reason: exit status 255",
        }
    ]


def test_s3_source_and_buildspec_errors(server: LiveServer) -> None:
    role = make_role(server)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="src")
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as zipped:
        zipped.writestr(
            "buildspec.yml",
            "version: 0.2\nphases:\n  build:\n    commands:\n      - cat hello.txt\n",
        )
        zipped.writestr("hello.txt", "from the source zip\n")
    s3.put_object(Bucket="src", Key="app.zip", Body=data.getvalue())
    cb = server.client("codebuild")
    cb.create_project(**project_args(role, source={"type": "S3", "location": "src/app.zip"}))
    build = finished(cb, cb.start_build(projectName="proj")["build"]["id"])
    assert build["buildStatus"] == "SUCCEEDED"
    assert "from the source zip" in log_text(server, build)
    bad = cb.start_build(projectName="proj", buildspecOverride="version: 9\nphases: {}\n")
    build = finished(cb, bad["build"]["id"])
    assert build["buildStatus"] == "FAILED"
    download = next(p for p in build["phases"] if p["phaseType"] == "DOWNLOAD_SOURCE")
    assert download["phaseStatus"] == "FAILED"
    assert download["contexts"][0]["statusCode"] == "YAML_FILE_ERROR"
    assert "line 1" in download["contexts"][0]["message"]
    assert build["buildNumber"] == 2


def test_stop_retry_and_delete(server: LiveServer) -> None:
    role = make_role(server)
    cb = server.client("codebuild")
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 600\n"
    cb.create_project(
        **project_args(
            role, source={"type": "NO_SOURCE", "buildspec": spec}, concurrentBuildLimit=1
        )
    )
    started = cb.start_build(projectName="proj")["build"]
    with pytest.raises(ClientError) as error:
        cb.start_build(projectName="proj")
    assert error.value.response["Error"]["Code"] == "AccountLimitExceededException"
    assert error.value.response["Error"]["Message"] == (
        "Cannot have more than 1 active builds for the project proj: wait for one to end, stop "
        "one, or raise the project's concurrentBuildLimit"
    )

    def in_build() -> bool:
        build = cb.batch_get_builds(ids=[started["id"]])["builds"][0]
        return bool(build["currentPhase"] == "BUILD")

    wait_for(in_build, what="the build to reach BUILD")
    running = cb.batch_delete_builds(ids=[started["id"]])
    assert running["buildsNotDeleted"] == [{"id": started["id"], "statusCode": "BUILD_IN_PROGRESS"}]
    cb.stop_build(id=started["id"])
    build = finished(cb, started["id"])
    assert build["buildStatus"] == "STOPPED"
    phase = next(p for p in build["phases"] if p["phaseType"] == "BUILD")
    assert phase["phaseStatus"] == "STOPPED"
    retried = cb.retry_build(id=started["arn"])["build"]
    assert retried["buildNumber"] == 2
    cb.stop_build(id=retried["id"])
    finished(cb, retried["id"])
    deleted = cb.batch_delete_builds(ids=[started["id"], "proj:missing"])
    assert deleted["buildsDeleted"] == [started["id"]]
    assert deleted["buildsNotDeleted"] == [{"id": "proj:missing", "statusCode": "BUILD_NOT_FOUND"}]
    assert cb.batch_get_builds(ids=[started["id"]])["buildsNotFound"] == [started["id"]]
    with pytest.raises(ClientError) as error:
        cb.start_build(projectName="nope")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    region, account = server.settings.region, server.first_account_id()
    assert error.value.response["Error"]["Message"] == (
        f"Project cannot be found: arn:aws:codebuild:{region}:{account}:project/nope"
    )
    assert cb.list_builds(sortOrder="ASCENDING")["ids"] == [retried["id"]]


def _zip(files: dict[str, str]) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as zipped:
        for name, text in files.items():
            zipped.writestr(name, text)
    return data.getvalue()


def test_secondary_sources_and_artifacts(server: LiveServer) -> None:
    role = make_role(server)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="src")
    s3.create_bucket(Bucket="out")
    spec = """version: 0.2
phases:
  build:
    commands:
      - cat "$CODEBUILD_SRC_DIR_tools/tool.txt"
      - mkdir -p site docs && echo page > site/index.html && echo doc > docs/readme.txt
artifacts:
  files:
    - '**/*'
  base-directory: site
  secondary-artifacts:
    docs:
      files:
        - docs/*
      discard-paths: yes
"""
    s3.put_object(Bucket="src", Key="app.zip", Body=_zip({"ci/spec.yml": spec}))
    s3.put_object(Bucket="src", Key="tools.zip", Body=_zip({"tool.txt": "tool here\n"}))
    cb = server.client("codebuild")
    cb.create_project(
        **project_args(
            role,
            source={"type": "S3", "location": "src/app.zip", "buildspec": "ci/spec.yml"},
            secondarySources=[
                {"type": "S3", "location": "src/tools.zip", "sourceIdentifier": "tools"}
            ],
            artifacts={
                "type": "S3",
                "location": "out",
                "name": "site",
                "namespaceType": "BUILD_ID",
            },
            secondaryArtifacts=[
                {
                    "type": "S3",
                    "location": "out",
                    "name": "docs.zip",
                    "packaging": "ZIP",
                    "artifactIdentifier": "docs",
                }
            ],
        )
    )
    started = cb.start_build(projectName="proj")["build"]
    build = finished(cb, started["id"])
    text = log_text(server, build)
    assert build["buildStatus"] == "SUCCEEDED", text
    assert "tool here" in text.splitlines()
    uuid = started["id"].split(":")[1]
    assert build["artifacts"]["location"] == f"arn:aws:s3:::out/{uuid}/site"
    page = s3.get_object(Bucket="out", Key=f"{uuid}/site/index.html")["Body"].read()
    assert page == b"page\n"
    assert build["secondaryArtifacts"] == [
        {"artifactIdentifier": "docs", "location": "arn:aws:s3:::out/docs.zip"}
    ]
    docs = s3.get_object(Bucket="out", Key="docs.zip")["Body"].read()
    assert zipfile.ZipFile(io.BytesIO(docs)).namelist() == ["readme.txt"]


def test_a_missing_source_object_fails_download_source(server: LiveServer) -> None:
    role = make_role(server)
    server.client("s3").create_bucket(Bucket="src")
    cb = server.client("codebuild")
    cb.create_project(**project_args(role, source={"type": "S3", "location": "src/none.zip"}))
    build = finished(cb, cb.start_build(projectName="proj")["build"]["id"])
    assert build["buildStatus"] == "FAILED"
    download = next(p for p in build["phases"] if p["phaseType"] == "DOWNLOAD_SOURCE")
    assert download["phaseStatus"] == "FAILED"
    assert download["contexts"][0]["statusCode"] == "CLIENT_ERROR"
    assert download["contexts"][0]["message"].startswith(
        "Could not download the source: NoSuchKey on s3://src/none.zip"
    )
    assert [p["phaseType"] for p in build["phases"]][-2:] == ["FINALIZING", "COMPLETED"]
