"""Shared pieces of the CodePipeline tests: a role, buckets, a source zip, a pipeline."""

from __future__ import annotations

import json
from typing import Any

from tests.pipeline_actions import zipped as zipped
from tests.support import LiveServer, service_trust, wait_for

PIPELINE_TRUST = service_trust("codepipeline.amazonaws.com")


def make_role(
    server: LiveServer, name: str = "pipeline-role", account: str | None = None, policy: Any = None
) -> str:
    """A role CodePipeline may assume, allowed everything unless `policy` says otherwise."""
    iam = server.client("iam", account)
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=PIPELINE_TRUST)["Role"]["Arn"]
    document = policy or {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    return str(arn)


def versioned_bucket(server: LiveServer, name: str, account: str | None = None) -> Any:
    """A versioned bucket; its client."""
    s3 = server.client("s3", account)
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return s3


def s3_source(bucket: str = "source", key: str = "app.zip", **extra: Any) -> dict[str, Any]:
    """A Source/AWS/S3 action."""
    return {
        "name": "Source",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
        "configuration": {"S3Bucket": bucket, "S3ObjectKey": key, "PollForSourceChanges": "false"},
        "outputArtifacts": [{"name": "SourceArtifact"}],
        "namespace": "SourceVariables",
        **extra,
    }


def approval(name: str = "Approve", **configuration: str) -> dict[str, Any]:
    """An Approval/AWS/Manual action."""
    return {
        "name": name,
        "actionTypeId": {
            "category": "Approval",
            "owner": "AWS",
            "provider": "Manual",
            "version": "1",
        },
        "configuration": dict(configuration),
    }


def declaration(
    role: str, stages: list[dict[str, Any]], name: str = "pipe", **extra: Any
) -> dict[str, Any]:
    """A pipeline declaration with the artifact store `artifacts`."""
    return {
        "name": name,
        "roleArn": role,
        "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": stages,
        **extra,
    }


def source_and_approval(role: str, **extra: Any) -> dict[str, Any]:
    """Source (S3) then Approval."""
    return declaration(
        role,
        [
            {"name": "Source", "actions": [s3_source()]},
            {"name": "Approval", "actions": [approval(CustomData="please look")]},
        ],
        **extra,
    )


def setup(server: LiveServer) -> tuple[Any, str]:
    """The codepipeline client, with the role, the artifact bucket and a source object."""
    role = make_role(server)
    versioned_bucket(server, "artifacts")
    s3 = versioned_bucket(server, "source")
    s3.put_object(Bucket="source", Key="app.zip", Body=zipped({"README": "v1"}))
    return server.client("codepipeline"), role


def execution(cp: Any, name: str, execution_id: str) -> dict[str, Any]:
    """GetPipelineExecution's execution."""
    out: dict[str, Any] = cp.get_pipeline_execution(
        pipelineName=name, pipelineExecutionId=execution_id
    )["pipelineExecution"]
    return out


def wait_status(
    cp: Any, name: str, execution_id: str, status: str, timeout: float = 30
) -> dict[str, Any]:
    """Poll until the execution has `status`."""

    def check() -> dict[str, Any] | None:
        found = execution(cp, name, execution_id)
        return found if found["status"] == status else None

    return wait_for(check, timeout=timeout, what=f"execution {execution_id} to be {status}")


def first_execution(cp: Any, name: str) -> str:
    """The id of the pipeline's oldest execution."""
    summaries = cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]
    return str(summaries[-1]["pipelineExecutionId"])


def stage_state(cp: Any, name: str, stage: str) -> dict[str, Any]:
    """GetPipelineState's entry of one stage."""
    states = cp.get_pipeline_state(name=name)["stageStates"]
    return dict(next(s for s in states if s["stageName"] == stage))


def waiting_token(cp: Any, name: str, execution_id: str, stage: str = "Approval") -> str:
    """The token of the approval `execution_id` waits at."""

    def check() -> str | None:
        state = stage_state(cp, name, stage)
        latest = state.get("latestExecution") or {}
        action = state["actionStates"][0].get("latestExecution") or {}
        if latest.get("pipelineExecutionId") == execution_id and action.get("token"):
            return str(action["token"])
        return None

    return wait_for(check, timeout=30, what=f"{execution_id} to wait for approval")


def approve(
    cp: Any, name: str, token: str, status: str = "Approved", stage: str = "Approval"
) -> Any:
    """PutApprovalResult."""
    return cp.put_approval_result(
        pipelineName=name,
        stageName=stage,
        actionName="Approve",
        result={"summary": f"{status} by the test", "status": status},
        token=token,
    )
