"""The article's first half through the engine: CodeCommit source → CodeBuild → approval,
with the commit's variables in the build and the build's exported variables after it."""

from __future__ import annotations

import json
from typing import Any

from tests.codebuild.test_projects_api import make_role as build_role
from tests.codebuild.test_projects_api import project_args
from tests.codepipeline.helpers import (
    approval,
    declaration,
    first_execution,
    make_role,
    versioned_bucket,
    wait_status,
    waiting_token,
)
from tests.support import LiveServer

BUILDSPEC = """version: 0.2
env:
  exported-variables:
    - RESULT
phases:
  build:
    commands:
      - test -f model.txt
      - RESULT="built-$COMMIT"
"""


def _pipeline(role: str) -> dict[str, Any]:
    source = {
        "name": "Source",
        "actionTypeId": {
            "category": "Source",
            "owner": "AWS",
            "provider": "CodeCommit",
            "version": "1",
        },
        "configuration": {
            "RepositoryName": "app",
            "BranchName": "main",
            "PollForSourceChanges": "false",
        },
        "outputArtifacts": [{"name": "Src"}],
        "namespace": "SourceVariables",
    }
    build = {
        "name": "Render",
        "actionTypeId": {
            "category": "Build",
            "owner": "AWS",
            "provider": "CodeBuild",
            "version": "1",
        },
        "configuration": {
            "ProjectName": "render",
            "EnvironmentVariables": json.dumps(
                [{"name": "COMMIT", "value": "#{SourceVariables.CommitId}", "type": "PLAINTEXT"}]
            ),
        },
        "inputArtifacts": [{"name": "Src"}],
        "outputArtifacts": [{"name": "Rendered"}],
        "namespace": "BuildVariables",
    }
    return declaration(
        role,
        [
            {"name": "Source", "actions": [source]},
            {"name": "Build", "actions": [build]},
            {"name": "Approval", "actions": [approval(CustomData="#{BuildVariables.RESULT}")]},
        ],
    )


def test_codecommit_build_approval(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    role = make_role(server)
    versioned_bucket(server, "artifacts")
    cc = server.client("codecommit")
    cc.create_repository(repositoryName="app")
    commit = cc.create_commit(
        repositoryName="app",
        branchName="main",
        putFiles=[{"filePath": "model.txt", "fileContent": b"weights"}],
        commitMessage="the model",
        authorName="Ada",
        email="ada@example.com",
    )["commitId"]
    server.client("codebuild").create_project(
        **project_args(
            build_role(server),
            name="render",
            source={"type": "CODEPIPELINE", "buildspec": BUILDSPEC},
            artifacts={"type": "CODEPIPELINE"},
        )
    )
    cp = server.client("codepipeline")
    cp.create_pipeline(pipeline=_pipeline(role))
    first = first_execution(cp, "pipe")
    waiting_token(cp, "pipe", first)
    details = {
        d["actionName"]: d
        for d in cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
    }
    assert details["Source"]["output"]["outputVariables"]["CommitId"] == commit
    assert details["Render"]["status"] == "Succeeded"
    assert details["Render"]["output"]["outputVariables"]["RESULT"] == f"built-{commit}"
    assert details["Approve"]["input"]["resolvedConfiguration"]["CustomData"] == f"built-{commit}"
    summary = cp.list_pipeline_executions(pipelineName="pipe")["pipelineExecutionSummaries"][0]
    assert summary["sourceRevisions"][0]["revisionId"] == commit


def test_a_failing_build_fails_the_stage(server: LiveServer) -> None:
    role = make_role(server)
    versioned_bucket(server, "artifacts")
    cc = server.client("codecommit")
    cc.create_repository(repositoryName="app")
    cc.create_commit(
        repositoryName="app",
        branchName="main",
        putFiles=[{"filePath": "other.txt", "fileContent": b"no model"}],
        commitMessage="no model",
        authorName="Ada",
        email="ada@example.com",
    )
    server.client("codebuild").create_project(
        **project_args(
            build_role(server),
            name="render",
            source={"type": "CODEPIPELINE", "buildspec": BUILDSPEC},
            artifacts={"type": "CODEPIPELINE"},
        )
    )
    cp = server.client("codepipeline")
    cp.create_pipeline(pipeline=_pipeline(role))
    first = first_execution(cp, "pipe")
    failed = wait_status(cp, "pipe", first, "Failed", timeout=60)
    assert failed["statusSummary"].startswith("Action Render of stage Build failed: ")
    state = cp.get_pipeline_state(name="pipe")["stageStates"][1]
    assert state["latestExecution"]["status"] == "Failed"
    run = state["actionStates"][0]["latestExecution"]
    assert run["errorDetails"]["code"] == "JobFailed"
    assert run["externalExecutionId"].startswith("render:")


def test_a_commit_starts_the_pipeline_through_its_rule(server: LiveServer) -> None:
    from tests.codepipeline.test_trigger_api import _events_role

    account = server.first_account_id()
    role = make_role(server)
    versioned_bucket(server, "artifacts")
    cc = server.client("codecommit")
    repo = cc.create_repository(repositoryName="app")["repositoryMetadata"]["Arn"]
    first_commit = cc.create_commit(
        repositoryName="app",
        branchName="main",
        putFiles=[{"filePath": "model.txt", "fileContent": b"v1"}],
        commitMessage="v1",
        authorName="Ada",
        email="ada@example.com",
    )["commitId"]
    server.client("codebuild").create_project(
        **project_args(
            build_role(server),
            name="render",
            source={"type": "CODEPIPELINE", "buildspec": BUILDSPEC},
            artifacts={"type": "CODEPIPELINE"},
        )
    )
    cp = server.client("codepipeline")
    cp.create_pipeline(pipeline=_pipeline(role))
    waiting_token(cp, "pipe", first_execution(cp, "pipe"))
    events = server.client("events")
    events.put_rule(
        Name="push-to-main",
        EventPattern=json.dumps(
            {
                "source": ["aws.codecommit"],
                "detail-type": ["CodeCommit Repository State Change"],
                "resources": [repo],
                "detail": {"referenceType": ["branch"], "referenceName": ["main"]},
            }
        ),
    )
    starter = _events_role(server, "starter", "codepipeline:StartPipelineExecution")
    events.put_targets(
        Rule="push-to-main",
        Targets=[
            {
                "Id": "cd",
                "Arn": f"arn:aws:codepipeline:us-east-1:{account}:pipe",
                "RoleArn": starter,
            }
        ],
    )
    pushed = cc.put_file(
        repositoryName="app",
        branchName="main",
        parentCommitId=first_commit,
        fileContent=b"v2",
        filePath="model.txt",
    )["commitId"]

    def started() -> dict[str, Any] | None:
        summaries = cp.list_pipeline_executions(pipelineName="pipe")["pipelineExecutionSummaries"]
        found = [s for s in summaries if s["trigger"]["triggerType"] == "CloudWatchEvent"]
        return found[0] if found and found[0].get("sourceRevisions") else None

    from tests.support import wait_for

    execution = wait_for(started, timeout=30, what="the push to start the pipeline")
    assert execution["sourceRevisions"][0]["revisionId"] == pushed
