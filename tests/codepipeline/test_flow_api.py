"""A pipeline's run through boto3: S3 source, approval, events, state, action executions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.codepipeline.helpers import (
    approve,
    first_execution,
    setup,
    source_and_approval,
    stage_state,
    wait_status,
    waiting_token,
)
from tests.support import LiveServer, wait_for


def test_create_run_approve(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    cp, role = setup(server)
    created = cp.create_pipeline(pipeline=source_and_approval(role))["pipeline"]
    assert created["version"] == 1
    assert created["pipelineType"] == "V1"
    assert created["executionMode"] == "SUPERSEDED"
    assert created["stages"][0]["actions"][0]["runOrder"] == 1
    first = first_execution(cp, "pipe")
    token = waiting_token(cp, "pipe", first)
    summary = cp.list_pipeline_executions(pipelineName="pipe")["pipelineExecutionSummaries"][0]
    assert summary["status"] == "InProgress"
    assert summary["trigger"]["triggerType"] == "CreatePipeline"
    (revision,) = summary["sourceRevisions"]
    assert revision["actionName"] == "Source"
    s3 = server.client("s3")
    version = s3.head_object(Bucket="source", Key="app.zip")["VersionId"]
    assert revision["revisionId"] == version
    state = stage_state(cp, "pipe", "Approval")
    assert state["latestExecution"] == {
        "pipelineExecutionId": first,
        "status": "InProgress",
        "type": "STANDARD",
    }
    assert state["inboundTransitionState"] == {"enabled": True}
    approved = approve(cp, "pipe", token)
    assert approved["approvedAt"]
    done = wait_status(cp, "pipe", first, "Succeeded")
    assert done["pipelineVersion"] == 1
    assert done["artifactRevisions"][0]["revisionId"] == version
    details = cp.list_action_executions(pipelineName="pipe", filter={"pipelineExecutionId": first})[
        "actionExecutionDetails"
    ]
    by_name = {d["actionName"]: d for d in details}
    source = by_name["Source"]
    assert source["status"] == "Succeeded"
    (artifact,) = source["output"]["outputArtifacts"]
    assert artifact["name"] == "SourceArtifact"
    location = artifact["s3location"]
    assert location["bucket"] == "artifacts"
    pipe, short, suffix = location["key"].split("/")
    assert (pipe, short, len(suffix)) == ("pipe", "SourceArti", 7)
    body = s3.get_object(Bucket="artifacts", Key=location["key"])["Body"].read()
    assert body == s3.get_object(Bucket="source", Key="app.zip")["Body"].read()
    assert source["output"]["outputVariables"]["VersionId"] == version
    # The artifact was written as the pipeline's role, through IAM, with CodePipeline invoking.
    puts = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutObject"}]
    )["Events"]
    records = [json.loads(e["CloudTrailEvent"]) for e in puts]
    (written,) = [r for r in records if r["userIdentity"].get("invokedBy")]
    assert written["userIdentity"]["invokedBy"] == "codepipeline.amazonaws.com"
    assert written["userIdentity"]["arn"].startswith(
        f"arn:aws:sts::{server.first_account_id()}:assumed-role/pipeline-role/"
    )
    assert written["requestParameters"]["key"] == location["key"]
    assert source["output"]["executionResult"]["externalExecutionId"] == version
    assert source["input"]["resolvedConfiguration"]["S3Bucket"] == "source"
    assert source["input"]["namespace"] == "SourceVariables"
    gate = by_name["Approve"]
    assert gate["status"] == "Succeeded"
    account = server.first_account_id()
    assert gate["updatedBy"] == f"arn:aws:iam::{account}:root"
    assert gate["output"]["executionResult"]["externalExecutionSummary"] == "Approved by the test"
    action = stage_state(cp, "pipe", "Approval")["actionStates"][0]["latestExecution"]
    assert action["status"] == "Succeeded"
    assert action["lastUpdatedBy"] == f"arn:aws:iam::{account}:root"
    assert action["summary"] == "Approved by the test"
    assert "token" not in action
    # When: the time of the result, in both answers; and the trail has who and why.
    assert action["lastStatusChange"] == gate["lastUpdateTime"]
    assert gate["startTime"] <= gate["lastUpdateTime"]
    (decided,) = [
        json.loads(e["CloudTrailEvent"])
        for e in server.client("cloudtrail").lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutApprovalResult"}]
        )["Events"]
    ]
    assert decided["userIdentity"]["arn"] == f"arn:aws:iam::{account}:root"
    assert decided["requestParameters"]["result"] == {
        "summary": "Approved by the test",
        "status": "Approved",
    }
    with pytest.raises(ClientError) as caught:
        approve(cp, "pipe", token)
    assert caught.value.response["Error"]["Code"] == "ApprovalAlreadyCompletedException"
    assert caught.value.response["Error"]["Message"] == (
        "The approval action 'Approve' has already been completed"
    )


def test_rejection_fails_the_execution(server: LiveServer) -> None:
    cp, role = setup(server)
    cp.create_pipeline(pipeline=source_and_approval(role))
    first = first_execution(cp, "pipe")
    token = waiting_token(cp, "pipe", first)
    with pytest.raises(ClientError) as caught:
        approve(cp, "pipe", "00000000-0000-0000-0000-000000000000")
    assert caught.value.response["Error"]["Code"] == "InvalidApprovalTokenException"
    assert caught.value.response["Error"]["Message"] == (
        "The approval token 00000000-0000-0000-0000-000000000000 is not valid for action "
        "'Approve' in stage 'Approval'"
    )
    approve(cp, "pipe", token, "Rejected")
    failed = wait_status(cp, "pipe", first, "Failed")
    account = server.first_account_id()
    assert failed["statusSummary"] == (
        f"Action Approve of stage Approval failed: Rejected by arn:aws:iam::{account}:root: "
        "Rejected by the test"
    )
    state = stage_state(cp, "pipe", "Approval")
    assert state["latestExecution"]["status"] == "Failed"
    action = state["actionStates"][0]["latestExecution"]
    assert action["status"] == "Failed"
    assert action["errorDetails"]["code"] == "JobFailed"


def test_events_on_the_default_bus(server: LiveServer) -> None:
    from tests.events.test_delivery import log_messages

    account = server.first_account_id()
    logs, events = server.client("logs"), server.client("events")
    logs.create_log_group(logGroupName="/pipes")
    events.put_rule(Name="pipes", EventPattern=json.dumps({"source": ["aws.codepipeline"]}))
    events.put_targets(
        Rule="pipes",
        Targets=[{"Id": "log", "Arn": f"arn:aws:logs:us-east-1:{account}:log-group:/pipes"}],
    )
    cp, role = setup(server)
    cp.create_pipeline(pipeline=source_and_approval(role))
    first = first_execution(cp, "pipe")
    approve(cp, "pipe", waiting_token(cp, "pipe", first))
    wait_status(cp, "pipe", first, "Succeeded")

    def all_of_them() -> list[dict[str, Any]] | None:
        found = [json.loads(m) for m in log_messages(logs, "/pipes")]
        kinds = [e["detail-type"] for e in found]
        done = kinds.count("CodePipeline Pipeline Execution State Change") >= 2
        return found if done and len(found) >= 10 else None

    found = wait_for(all_of_them, timeout=30, interval=0.2, what="the pipeline's events")
    arn = f"arn:aws:codepipeline:us-east-1:{account}:pipe"
    for event in found:
        assert event["source"] == "aws.codepipeline"
        assert event["resources"] == [arn]
        assert event["detail"]["pipeline"] == "pipe"
        assert event["detail"]["execution-id"] == first
    pipeline = [
        e["detail"]["state"]
        for e in found
        if e["detail-type"] == "CodePipeline Pipeline Execution State Change"
    ]
    assert sorted(pipeline) == ["STARTED", "SUCCEEDED"]
    stages = sorted(
        (e["detail"]["stage"], e["detail"]["state"])
        for e in found
        if e["detail-type"] == "CodePipeline Stage Execution State Change"
    )
    assert stages == [
        ("Approval", "STARTED"),
        ("Approval", "SUCCEEDED"),
        ("Source", "STARTED"),
        ("Source", "SUCCEEDED"),
    ]
    actions = [e for e in found if e["detail-type"] == "CodePipeline Action Execution State Change"]
    assert sorted((e["detail"]["action"], e["detail"]["state"]) for e in actions) == [
        ("Approve", "STARTED"),
        ("Approve", "SUCCEEDED"),
        ("Source", "STARTED"),
        ("Source", "SUCCEEDED"),
    ]
    source_done = next(
        e
        for e in actions
        if e["detail"]["action"] == "Source" and e["detail"]["state"] == "SUCCEEDED"
    )
    assert source_done["detail"]["type"] == {
        "owner": "AWS",
        "category": "Source",
        "provider": "S3",
        "version": "1",
    }
