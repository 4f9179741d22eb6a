"""Pipelines through boto3: create (V1, V2, variables), get, update, delete, list, tags, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.platform.clock import ManualClock
from tests.codepipeline.helpers import (
    approval,
    declaration,
    first_execution,
    make_role,
    s3_source,
    setup,
    source_and_approval,
    wait_status,
    waiting_token,
)
from tests.support import LiveServer, live_server, policy_user, wait_for


def _error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def test_get_list_update_delete(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    cp, role = setup(server)
    cp.create_pipeline(pipeline=source_and_approval(role), tags=[{"key": "team", "value": "ml"}])
    got = cp.get_pipeline(name="pipe")
    account = server.first_account_id()
    arn = f"arn:aws:codepipeline:us-east-1:{account}:pipe"
    assert got["metadata"]["pipelineArn"] == arn
    assert got["pipeline"]["version"] == 1
    first = first_execution(cp, "pipe")
    waiting_token(cp, "pipe", first)
    changed = source_and_approval(role)
    changed["stages"][1]["actions"][0]["configuration"]["CustomData"] = "v2"
    updated = cp.update_pipeline(pipeline=changed)["pipeline"]
    assert updated["version"] == 2
    # The execution in flight ends Cancelled.
    wait_status(cp, "pipe", first, "Cancelled")
    old = cp.get_pipeline(name="pipe", version=1)["pipeline"]
    assert old["stages"][1]["actions"][0]["configuration"]["CustomData"] == "please look"
    with pytest.raises(ClientError) as caught:
        cp.get_pipeline(name="pipe", version=7)
    assert _error(caught) == (
        "PipelineVersionNotFoundException",
        "Pipeline 'pipe' has no version 7",
    )
    (summary,) = cp.list_pipelines()["pipelines"]
    assert (summary["name"], summary["version"], summary["pipelineType"]) == ("pipe", 2, "V1")
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "ml"}]
    cp.tag_resource(resourceArn=arn, tags=[{"key": "stage", "value": "prod"}])
    cp.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "stage", "value": "prod"}]
    with pytest.raises(ClientError) as caught:
        cp.list_tags_for_resource(resourceArn=arn + "x")
    assert _error(caught) == (
        "ResourceNotFoundException",
        f"The resource with the ARN {arn}x does not exist",
    )
    cp.delete_pipeline(name="pipe")
    with pytest.raises(ClientError) as caught:
        cp.get_pipeline(name="pipe")
    assert _error(caught) == (
        "PipelineNotFoundException",
        f"Account '{account}' does not have a pipeline with name 'pipe'",
    )
    assert cp.list_pipelines()["pipelines"] == []


def test_create_errors(server: LiveServer) -> None:
    cp, role = setup(server)
    cp.create_pipeline(pipeline=source_and_approval(role))
    with pytest.raises(ClientError) as caught:
        cp.create_pipeline(pipeline=source_and_approval(role))
    account = server.first_account_id()
    assert _error(caught) == (
        "PipelineNameInUseException",
        f"A pipeline with the name 'pipe' already exists in account '{account}'",
    )
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            declaration(role, [{"name": "Source", "actions": [s3_source()]}], name="p1"),
            "InvalidStructureException",
            "Pipeline has only 1 stage: a pipeline must have at least 2 stages",
        ),
        (
            declaration(
                role,
                [{"name": "A", "actions": [approval()]}, {"name": "B", "actions": [approval()]}],
                name="p2",
            ),
            "InvalidStructureException",
            "Pipeline's first stage 'A' must contain only Source actions: action 'Approve' is "
            "a Approval action",
        ),
        (
            declaration(
                role,
                [
                    {"name": "S", "actions": [s3_source()]},
                    {
                        "name": "B",
                        "actions": [
                            {
                                "name": "Build",
                                "actionTypeId": {
                                    "category": "Build",
                                    "owner": "AWS",
                                    "provider": "Nothing",
                                    "version": "1",
                                },
                            }
                        ],
                    },
                ],
                name="p3",
            ),
            "InvalidActionDeclarationException",
            "ActionType (Category: 'Build', Provider: 'Nothing', Owner: 'AWS', Version: '1') in "
            "action 'Build' is not available in region 'US_EAST_1'",
        ),
        (
            declaration(
                role,
                [
                    {"name": "S", "actions": [s3_source(configuration={"S3Bucket": "b"})]},
                    {"name": "A", "actions": [approval()]},
                ],
                name="p4",
            ),
            "InvalidActionDeclarationException",
            "Action configuration for action 'Source' is missing required configuration "
            "'S3ObjectKey'",
        ),
        (
            declaration(
                role,
                [
                    {"name": "S", "actions": [s3_source()]},
                    {
                        "name": "A",
                        "actions": [{**approval(), "inputArtifacts": [{"name": "Missing"}]}],
                    },
                ],
                name="p5",
            ),
            "InvalidActionDeclarationException",
            "Action 'Approve' has 1 input artifacts: its type takes between 0 and 0",
        ),
        (
            declaration(
                role,
                [
                    {"name": "S", "actions": [s3_source()]},
                    {"name": "A", "actions": [approval(CustomData="#{Nope.X}")]},
                ],
                name="p6",
            ),
            "InvalidActionDeclarationException",
            "Action 'Approve' refers to #{Nope.X}, but no preceding action has the namespace "
            "'Nope'",
        ),
        (
            source_and_approval(role, name="p7", executionMode="QUEUED"),
            "ValidationException",
            "Execution mode QUEUED is not supported for pipeline type V1: use pipelineType V2",
        ),
    ]
    for bad, code, message in cases:
        with pytest.raises(ClientError) as caught:
            cp.create_pipeline(pipeline=bad)
        assert _error(caught) == (code, message)
    iam = server.client("iam")
    untrusting = iam.create_role(
        RoleName="nobody",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    with pytest.raises(ClientError) as caught:
        cp.create_pipeline(pipeline=source_and_approval(untrusting, name="p8"))
    assert _error(caught) == (
        "InvalidStructureException",
        f"CodePipeline is not authorized to perform AssumeRole on role {untrusting}",
    )


def test_pass_role_is_checked(server: LiveServer) -> None:
    _, role = setup(server)
    client, user = policy_user(
        server,
        "deployer",
        "codepipeline",
        {"Effect": "Allow", "Action": "codepipeline:*", "Resource": "*"},
    )
    with pytest.raises(ClientError) as caught:
        client.create_pipeline(pipeline=source_and_approval(role))
    assert _error(caught) == (
        "AccessDeniedException",
        f"User: {user} is not authorized to perform: iam:PassRole on resource: {role} because "
        "no identity-based policy allows the iam:PassRole action",
    )


def test_variables_and_start_options(server: LiveServer) -> None:
    cp, role = setup(server)
    pipeline = declaration(
        role,
        [
            {"name": "Source", "actions": [s3_source()]},
            {
                "name": "Approval",
                "actions": [
                    approval(
                        CustomData="#{variables.Model} #{SourceVariables.VersionId} "
                        "#{codepipeline.PipelineExecutionId}"
                    )
                ],
            },
        ],
        pipelineType="V2",
        variables=[{"name": "Model", "defaultValue": "m-1"}],
    )
    cp.create_pipeline(pipeline=pipeline)
    first = first_execution(cp, "pipe")
    token = waiting_token(cp, "pipe", first)
    s3 = server.client("s3")
    old_version = s3.head_object(Bucket="source", Key="app.zip")["VersionId"]
    details = cp.list_action_executions(pipelineName="pipe", filter={"pipelineExecutionId": first})[
        "actionExecutionDetails"
    ]
    gate = next(d for d in details if d["actionName"] == "Approve")
    assert gate["input"]["resolvedConfiguration"]["CustomData"] == f"m-1 {old_version} {first}"
    assert gate["input"]["configuration"]["CustomData"].startswith("#{variables.Model}")
    cp.put_approval_result(
        pipelineName="pipe",
        stageName="Approval",
        actionName="Approve",
        result={"summary": "ok", "status": "Approved"},
        token=token,
    )
    s3.put_object(Bucket="source", Key="app.zip", Body=b"new")
    started = cp.start_pipeline_execution(
        name="pipe",
        variables=[{"name": "Model", "value": "m-2"}],
        clientRequestToken="once",
        sourceRevisions=[
            {
                "actionName": "Source",
                "revisionType": "S3_OBJECT_VERSION_ID",
                "revisionValue": old_version,
            }
        ],
    )["pipelineExecutionId"]
    again = cp.start_pipeline_execution(name="pipe", clientRequestToken="once")
    assert again["pipelineExecutionId"] == started
    waiting_token(cp, "pipe", started)
    got = cp.get_pipeline_execution(pipelineName="pipe", pipelineExecutionId=started)
    assert got["pipelineExecution"]["variables"] == [{"name": "Model", "resolvedValue": "m-2"}]
    assert got["pipelineExecution"]["trigger"]["triggerType"] == "StartPipelineExecution"
    summary = cp.list_pipeline_executions(pipelineName="pipe")["pipelineExecutionSummaries"][0]
    assert summary["sourceRevisions"][0]["revisionId"] == old_version
    with pytest.raises(ClientError) as caught:
        cp.start_pipeline_execution(name="pipe", variables=[{"name": "Other", "value": "x"}])
    assert _error(caught) == (
        "ValidationException",
        "Variable 'Other' is not declared in the pipeline",
    )
    missing = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as caught:
        cp.get_pipeline_execution(pipelineName="pipe", pipelineExecutionId=missing)
    assert _error(caught) == (
        "PipelineExecutionNotFoundException",
        f"Pipeline execution with id '{missing}' does not exist in pipeline with name 'pipe'",
    )


def test_source_object_missing_fails_with_error_details(server: LiveServer) -> None:
    cp, role = setup(server)
    pipeline = source_and_approval(role)
    pipeline["stages"][0]["actions"][0]["configuration"]["S3ObjectKey"] = "missing.zip"
    cp.create_pipeline(pipeline=pipeline)
    first = first_execution(cp, "pipe")
    failed = wait_status(cp, "pipe", first, "Failed")
    assert "missing.zip" in failed["statusSummary"]
    (detail,) = cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
    error = detail["output"]["executionResult"]["errorDetails"]
    assert error["code"] == "JobFailed"
    assert error["message"].startswith("Could not read s3://source/missing.zip as arn:aws:sts::")
    assert "NoSuchKey" in error["message"]


def test_list_action_types(server: LiveServer) -> None:
    cp = server.client("codepipeline")
    types = {
        (t["id"]["category"], t["id"]["provider"]): t for t in cp.list_action_types()["actionTypes"]
    }
    assert ("Approval", "Manual") in types
    source = types[("Source", "S3")]
    assert {p["name"]: p["required"] for p in source["actionConfigurationProperties"]} == {
        "S3Bucket": True,
        "S3ObjectKey": True,
        "PollForSourceChanges": False,
        "AllowOverrideForS3ObjectKey": False,
    }
    assert source["outputArtifactDetails"] == {"minimumCount": 1, "maximumCount": 1}


@pytest.fixture
def clocked(tmp_path: Path, database_url: str | None, clock: ManualClock) -> Iterator[LiveServer]:
    with live_server(tmp_path / "state", database_url, clock=clock) as live:
        yield live


def _status_in_store(server: LiveServer, execution_id: str) -> str:
    from sqlalchemy import select

    from airlock.codepipeline.models import PipelineExecution

    with server.airlock.platform.db.read() as session:
        return str(
            session.scalars(
                select(PipelineExecution.status).where(
                    PipelineExecution.execution_id == execution_id
                )
            ).one()
        )


def test_approval_times_out_after_7_days(clocked: LiveServer, clock: ManualClock) -> None:
    from airlock.codepipeline.engine import PipelineEngine

    cp, role = setup(clocked)
    cp.create_pipeline(pipeline=source_and_approval(role))
    first = first_execution(cp, "pipe")
    waiting_token(cp, "pipe", first)
    # Requests are signed with real time, so the clock goes back before the next one.
    almost = timedelta(days=6, hours=23)
    clock.advance(almost)
    PipelineEngine(clocked.airlock.platform).tick()
    assert _status_in_store(clocked, first) == "InProgress"
    clock.advance(timedelta(hours=2))
    wait_for(
        lambda: _status_in_store(clocked, first) == "Failed",
        timeout=30,
        what="the approval to expire",
    )
    clock.advance(-(almost + timedelta(hours=2)))
    failed = wait_status(cp, "pipe", first, "Failed")
    assert failed["statusSummary"] == (
        "Action Approve of stage Approval failed: The approval request expired: no one approved "
        "or rejected it within 7 days"
    )
    action = cp.get_pipeline_state(name="pipe")["stageStates"][1]["actionStates"][0]
    assert action["latestExecution"]["status"] == "Failed"
    assert "token" not in action["latestExecution"]


def test_cross_account_source_role(server: LiveServer) -> None:
    cp, role = setup(server)
    home = server.first_account_id()
    other = server.create_account("sources")
    # A role of CodePipeline's alone is not enough: the pipeline's role assumes it.
    untrusted = make_role(server, "service-only", account=other)
    # As on AWS, the action's role trusts the pipeline's role, which assumes it.
    source_role = make_role(server, "source-reader", account=other)
    server.client("iam", other).update_assume_role_policy(
        RoleName="source-reader",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": role}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    s3_other = server.client("s3", other)
    s3_other.create_bucket(Bucket="other-source")
    s3_other.put_bucket_versioning(
        Bucket="other-source", VersioningConfiguration={"Status": "Enabled"}
    )
    s3_other.put_object(Bucket="other-source", Key="app.zip", Body=b"from the other account")
    pipeline = source_and_approval(role)
    pipeline["stages"][0]["actions"][0] = s3_source("other-source", roleArn=source_role)
    cp.create_pipeline(pipeline=pipeline)
    first = first_execution(cp, "pipe")
    waiting_token(cp, "pipe", first)
    detail = next(
        d
        for d in cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
        if d["actionName"] == "Source"
    )
    assert detail["input"]["roleArn"] == source_role
    key = detail["output"]["outputArtifacts"][0]["s3location"]["key"]
    body = server.client("s3").get_object(Bucket="artifacts", Key=key)["Body"].read()
    assert body == b"from the other account"
    # The read was the other account's role's, through IAM, in that account's trail.
    trail = server.client("cloudtrail", other).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetObject"}]
    )["Events"]
    assert any(
        json.loads(e["CloudTrailEvent"])["userIdentity"]["arn"].startswith(
            f"arn:aws:sts::{other}:assumed-role/source-reader/"
        )
        for e in trail
    )
    assert home != other
    # The pipeline's role assumed it, with CodePipeline as invokedBy, in the trail.
    assumed = [
        json.loads(e["CloudTrailEvent"])
        for e in server.client("cloudtrail").lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}]
        )["Events"]
    ]
    assert any(
        r["userIdentity"]["arn"].startswith(f"arn:aws:sts::{home}:assumed-role/pipeline-role/")
        and r["userIdentity"].get("invokedBy") == "codepipeline.amazonaws.com"
        and r["requestParameters"]["roleArn"] == source_role
        for r in assumed
    )
    # A role that trusts CodePipeline but not the pipeline's role cannot be the action's.
    third = source_and_approval(role, name="pipe3")
    third["stages"][0]["actions"][0] = s3_source("other-source", roleArn=untrusted)
    cp.create_pipeline(pipeline=third)
    refused = wait_status(cp, "pipe3", first_execution(cp, "pipe3"), "Failed")
    assert (
        f"The pipeline's role could not assume the action's role {untrusted}: AccessDenied"
        in refused["statusSummary"]
    ), refused
    # Without the role the pipeline's own role cannot read the other account's bucket.
    second = source_and_approval(role, name="pipe2")
    second["stages"][0]["actions"][0] = s3_source("other-source")
    cp.create_pipeline(pipeline=second)
    failed = wait_status(cp, "pipe2", first_execution(cp, "pipe2"), "Failed")
    assert "AccessDenied" in failed["statusSummary"]


def test_poll_for_source_changes(clocked: LiveServer, clock: ManualClock) -> None:
    from airlock.codepipeline.models import Pipeline

    cp, role = setup(clocked)
    pipeline = source_and_approval(role)
    pipeline["stages"][0]["actions"][0]["configuration"]["PollForSourceChanges"] = "true"
    cp.create_pipeline(pipeline=pipeline)

    def baseline() -> bool:
        with clocked.airlock.platform.db.read() as session:
            row = session.query(Pipeline).one()
            return bool(row.polled)

    wait_for(baseline, timeout=30, what="the first look at the source")
    s3 = clocked.client("s3")
    new_version = s3.put_object(Bucket="source", Key="app.zip", Body=b"v2")["VersionId"]
    clock.advance(timedelta(seconds=31))

    def polled() -> dict[str, Any] | None:
        summaries = cp.list_pipeline_executions(pipelineName="pipe")["pipelineExecutionSummaries"]
        found = [s for s in summaries if s["trigger"]["triggerType"] == "PollForSourceChanges"]
        return found[0] if found and found[0].get("sourceRevisions") else None

    started = wait_for(polled, timeout=30, what="an execution started by polling")
    assert started["sourceRevisions"][0]["revisionId"] == new_version
    summaries = cp.list_pipeline_executions(pipelineName="pipe")["pipelineExecutionSummaries"]
    assert len(summaries) == 2, "one execution per new revision"
