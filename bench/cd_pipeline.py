"""Measure the CD pipeline: start → waiting at Approval, and PutApprovalResult → Succeeded.

Run: .venv/bin/python -m bench.cd_pipeline [--runs 5]
Starts `airlock server` as its own process and makes a pipeline Source → Approval →
Deploy: the source is an S3 object (a zip holding a CloudFormation template of one
bucket) in a versioned bucket, and Deploy is the CloudFormation action (CREATE_UPDATE of
a stack with that template, as a role CloudFormation assumes). Then `--runs` times: puts
a new version of the source object and calls StartPipelineExecution, and times until
GetPipelineState shows that execution's approval waiting with its token; then calls
PutApprovalResult and times until GetPipelineExecution says Succeeded (the stack created
or updated). Polled every 20 ms. Prints the median and range of each.

The issue's targets: ≤ 2 s to the approval (measured there from a `git push` through a
CodeCommit source and a one-command build; this measures the S3 source, with no build
stage), ≤ 1 s from the approval to Succeeded.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

from bench.common import figures, own_server, runs
from tests.support import process_client, service_trust

POLL = 0.02
EVERYTHING = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def _source(step: int) -> bytes:
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Data": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"Tags": [{"Key": "step", "Value": str(step)}]},
            }
        },
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("template.json", json.dumps(template))
    return buffer.getvalue()


def _until(check: Any, what: str, timeout: float = 60) -> float:
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout:
            raise TimeoutError(what)
        time.sleep(POLL)
    return time.perf_counter() - start


def _one_run(cp: Any, s3: Any, step: int) -> tuple[float, float]:
    """A new source version, started: (seconds to the approval, seconds from it to Succeeded)."""
    s3.put_object(Bucket="bench-source", Key="app.zip", Body=_source(step))
    token: dict[str, str] = {}
    started = time.perf_counter()
    execution = cp.start_pipeline_execution(name="cd")["pipelineExecutionId"]

    def waiting() -> bool:
        stage = cp.get_pipeline_state(name="cd")["stageStates"][1]
        latest = stage.get("latestExecution") or {}
        run = stage["actionStates"][0].get("latestExecution") or {}
        if latest.get("pipelineExecutionId") == execution and run.get("token"):
            token["value"] = run["token"]
            return True
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
        got = cp.get_pipeline_execution(pipelineName="cd", pipelineExecutionId=execution)
        status = got["pipelineExecution"]["status"]
        if status not in ("InProgress", "Succeeded"):
            raise RuntimeError(f"execution {execution} ended {status}")
        return bool(status == "Succeeded")

    _until(succeeded, "the execution to succeed")
    return waited, time.perf_counter() - started


def main() -> None:
    """Set up, measure, print."""
    count = runs(__doc__)
    with own_server() as (state, port):
        iam = process_client(state, port, "iam")
        role = iam.create_role(
            RoleName="pipe", AssumeRolePolicyDocument=service_trust("codepipeline.amazonaws.com")
        )["Role"]["Arn"]
        iam.put_role_policy(RoleName="pipe", PolicyName="p", PolicyDocument=EVERYTHING)
        stacks = iam.create_role(
            RoleName="stacks",
            AssumeRolePolicyDocument=service_trust("cloudformation.amazonaws.com"),
        )["Role"]["Arn"]
        iam.put_role_policy(RoleName="stacks", PolicyName="p", PolicyDocument=EVERYTHING)
        s3 = process_client(state, port, "s3")
        for bucket in ("bench-artifacts", "bench-source"):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="bench-source", Key="app.zip", Body=_source(0))
        cp = process_client(state, port, "codepipeline")
        action = {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}
        cp.create_pipeline(
            pipeline={
                "name": "cd",
                "roleArn": role,
                "artifactStore": {"type": "S3", "location": "bench-artifacts"},
                "stages": [
                    {
                        "name": "Source",
                        "actions": [
                            {
                                "name": "Source",
                                "actionTypeId": action,
                                "configuration": {
                                    "S3Bucket": "bench-source",
                                    "S3ObjectKey": "app.zip",
                                    "PollForSourceChanges": "false",
                                },
                                "outputArtifacts": [{"name": "Src"}],
                            }
                        ],
                    },
                    {
                        "name": "Approval",
                        "actions": [
                            {
                                "name": "Approve",
                                "actionTypeId": {
                                    **action,
                                    "category": "Approval",
                                    "provider": "Manual",
                                },
                            }
                        ],
                    },
                    {
                        "name": "Deploy",
                        "actions": [
                            {
                                "name": "Deploy",
                                "actionTypeId": {
                                    **action,
                                    "category": "Deploy",
                                    "provider": "CloudFormation",
                                },
                                "configuration": {
                                    "ActionMode": "CREATE_UPDATE",
                                    "StackName": "bench-app",
                                    "TemplatePath": "Src::template.json",
                                    "RoleArn": stacks,
                                },
                                "inputArtifacts": [{"name": "Src"}],
                            }
                        ],
                    },
                ],
            }
        )
        first = cp.list_pipeline_executions(pipelineName="cd")["pipelineExecutionSummaries"][0]
        cp.stop_pipeline_execution(
            pipelineName="cd", pipelineExecutionId=first["pipelineExecutionId"], abandon=True
        )
        to_approval: list[float] = []
        to_done: list[float] = []
        for step in range(1, count + 1):
            waited, done = _one_run(cp, s3, step)
            to_approval.append(waited)
            to_done.append(done)
        print(f"start → waiting at Approval:   {figures(to_approval)}")
        print(f"PutApprovalResult → Succeeded: {figures(to_done)}")


if __name__ == "__main__":
    main()
