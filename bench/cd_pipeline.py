"""Measure the CD pipeline: a commit → waiting at Approval, and PutApprovalResult → Succeeded.

Run: .venv/bin/python -m bench.cd_pipeline [--runs 5]
Starts `airlock server` as its own process and makes the issue's pipeline: Source
(CodeCommit, main, polling off: an EventBridge rule on the repository's `CodeCommit
Repository State Change` events starts the pipeline as a role) → Build (CodeBuild, one
command) → Approval → Deploy (the CloudFormation action, CREATE_UPDATE of a stack of one
bucket whose template is in the repository). Then `--runs` times: commits a new version of
the template to main (CodeCommit's PutFile, which moves the branch as a `git push` does and
emits the same event), and times until GetPipelineState shows the approval of the execution
the rule started waiting with its token; then calls PutApprovalResult and times until that
execution is Succeeded (the stack created or updated). Polled every 20 ms. Prints the
median and range of each.

The issue's targets: ≤ 2 s from the push to the approval, ≤ 1 s from it to Succeeded.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.common import figures, own_server, runs
from tests.support import process_client, service_trust

POLL = 0.02
EVERYTHING = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def _template(step: int) -> bytes:
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Data": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"Tags": [{"Key": "step", "Value": str(step)}]},
            }
        },
    }
    return json.dumps(template).encode()


def _until(check: Any, what: str, timeout: float = 60) -> float:
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout:
            raise TimeoutError(what)
        time.sleep(POLL)
    return time.perf_counter() - start


def _one_run(cp: Any, cc: Any, step: int) -> tuple[float, float]:
    """A commit to main: (seconds to its approval waiting, seconds from it to Succeeded)."""
    head = cc.get_branch(repositoryName="app", branchName="main")["branch"]["commitId"]
    token: dict[str, str] = {}
    before = {
        s["pipelineExecutionId"]
        for s in cp.list_pipeline_executions(pipelineName="cd")["pipelineExecutionSummaries"]
    }
    started = time.perf_counter()
    cc.put_file(
        repositoryName="app",
        branchName="main",
        parentCommitId=head,
        filePath="template.json",
        fileContent=_template(step),
    )
    execution: dict[str, str] = {}

    def waiting() -> bool:
        if not execution:
            summaries = cp.list_pipeline_executions(pipelineName="cd")["pipelineExecutionSummaries"]
            new = [s for s in summaries if s["pipelineExecutionId"] not in before]
            if not new:
                return False
            execution["id"] = new[0]["pipelineExecutionId"]
        stage = cp.get_pipeline_state(name="cd")["stageStates"][2]
        latest = stage.get("latestExecution") or {}
        run = stage["actionStates"][0].get("latestExecution") or {}
        if latest.get("pipelineExecutionId") == execution["id"] and run.get("token"):
            token["value"] = run["token"]
            return True
        if latest.get("status") == "Failed":
            raise RuntimeError(f"execution {execution['id']} failed before its approval")
        return False

    _until(waiting, "the approval to wait")
    waited = time.perf_counter() - started
    started = time.perf_counter()
    cp.put_approval_result(
        pipelineName="cd",
        stageName="Approval",
        actionName="Approve",
        result={"summary": "bench", "status": "Approved"},
        token=token["value"],
    )

    def succeeded() -> bool:
        got = cp.get_pipeline_execution(pipelineName="cd", pipelineExecutionId=execution["id"])
        status = got["pipelineExecution"]["status"]
        if status not in ("InProgress", "Succeeded"):
            raise RuntimeError(f"execution {execution['id']} ended {status}")
        return bool(status == "Succeeded")

    _until(succeeded, "the execution to succeed")
    return waited, time.perf_counter() - started


def _role(iam: Any, name: str, service: str) -> str:
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=service_trust(service))
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=EVERYTHING)
    return str(arn["Role"]["Arn"])


def _action(category: str, provider: str) -> dict[str, str]:
    return {"category": category, "owner": "AWS", "provider": provider, "version": "1"}


def _pipeline(role: str, stacks: str) -> dict[str, Any]:
    return {
        "name": "cd",
        "roleArn": role,
        "artifactStore": {"type": "S3", "location": "bench-artifacts"},
        "stages": [
            {
                "name": "Source",
                "actions": [
                    {
                        "name": "Source",
                        "actionTypeId": _action("Source", "CodeCommit"),
                        "configuration": {
                            "RepositoryName": "app",
                            "BranchName": "main",
                            "PollForSourceChanges": "false",
                        },
                        "outputArtifacts": [{"name": "Src"}],
                    }
                ],
            },
            {
                "name": "Build",
                "actions": [
                    {
                        "name": "Build",
                        "actionTypeId": _action("Build", "CodeBuild"),
                        "configuration": {"ProjectName": "render"},
                        "inputArtifacts": [{"name": "Src"}],
                        "outputArtifacts": [{"name": "Built"}],
                    }
                ],
            },
            {
                "name": "Approval",
                "actions": [{"name": "Approve", "actionTypeId": _action("Approval", "Manual")}],
            },
            {
                "name": "Deploy",
                "actions": [
                    {
                        "name": "Deploy",
                        "actionTypeId": _action("Deploy", "CloudFormation"),
                        "configuration": {
                            "ActionMode": "CREATE_UPDATE",
                            "StackName": "bench-app",
                            "TemplatePath": "Built::template.json",
                            "RoleArn": stacks,
                        },
                        "inputArtifacts": [{"name": "Built"}],
                    }
                ],
            },
        ],
    }


BUILDSPEC = (
    "version: 0.2\nphases:\n  build:\n    commands:\n      - test -f template.json\n"
    "artifacts:\n  files:\n    - template.json\n"
)


def main() -> None:
    """Set up, measure, print."""
    count = runs(__doc__)
    with own_server() as (state, port):
        iam = process_client(state, port, "iam")
        role = _role(iam, "pipe", "codepipeline.amazonaws.com")
        stacks = _role(iam, "stacks", "cloudformation.amazonaws.com")
        builder = _role(iam, "builder", "codebuild.amazonaws.com")
        starter = _role(iam, "starter", "events.amazonaws.com")
        s3 = process_client(state, port, "s3")
        s3.create_bucket(Bucket="bench-artifacts")
        s3.put_bucket_versioning(
            Bucket="bench-artifacts", VersioningConfiguration={"Status": "Enabled"}
        )
        cc = process_client(state, port, "codecommit")
        repo = cc.create_repository(repositoryName="app")["repositoryMetadata"]["Arn"]
        cc.put_file(
            repositoryName="app",
            branchName="main",
            filePath="template.json",
            fileContent=_template(0),
        )
        process_client(state, port, "codebuild").create_project(
            name="render",
            source={"type": "CODEPIPELINE", "buildspec": BUILDSPEC},
            artifacts={"type": "CODEPIPELINE"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
            serviceRole=builder,
        )
        cp = process_client(state, port, "codepipeline")
        cp.create_pipeline(pipeline=_pipeline(role, stacks))
        first = cp.list_pipeline_executions(pipelineName="cd")["pipelineExecutionSummaries"][0]
        cp.stop_pipeline_execution(
            pipelineName="cd", pipelineExecutionId=first["pipelineExecutionId"], abandon=True
        )
        events = process_client(state, port, "events")
        account = repo.split(":")[4]
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
        events.put_targets(
            Rule="push-to-main",
            Targets=[
                {
                    "Id": "cd",
                    "Arn": f"arn:aws:codepipeline:us-east-1:{account}:cd",
                    "RoleArn": starter,
                }
            ],
        )
        to_approval: list[float] = []
        to_done: list[float] = []
        for step in range(1, count + 1):
            waited, done = _one_run(cp, cc, step)
            to_approval.append(waited)
            to_done.append(done)
        print(f"commit → waiting at Approval:  {figures(to_approval)}")
        print(f"PutApprovalResult → Succeeded: {figures(to_done)}")


if __name__ == "__main__":
    main()
