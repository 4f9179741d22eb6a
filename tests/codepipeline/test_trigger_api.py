"""Pipelines as EventBridge targets: an event starts an execution as the target's role."""

from __future__ import annotations

import json
from typing import Any

from tests.codepipeline.helpers import setup, source_and_approval
from tests.support import LiveServer, policy_document, service_trust, wait_for


def _events_role(server: LiveServer, name: str, action: str) -> str:
    iam = server.client("iam")
    arn = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=service_trust("events.amazonaws.com")
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="p",
        PolicyDocument=policy_document({"Effect": "Allow", "Action": action, "Resource": "*"}),
    )
    return str(arn)


def test_event_starts_an_execution(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    account = server.first_account_id()
    cp, role = setup(server)
    cp.create_pipeline(pipeline=source_and_approval(role))
    events = server.client("events")
    rule = events.put_rule(Name="approved", EventPattern=json.dumps({"source": ["ml.models"]}))
    pipeline_arn = f"arn:aws:codepipeline:us-east-1:{account}:pipe"
    refused = events.put_targets(Rule="approved", Targets=[{"Id": "p", "Arn": pipeline_arn}])
    assert refused["FailedEntries"] == [
        {
            "TargetId": "p",
            "ErrorCode": "ValidationException",
            "ErrorMessage": f"RoleArn is required for target {pipeline_arn}.",
        }
    ]
    starter = _events_role(server, "starter", "codepipeline:StartPipelineExecution")
    added = events.put_targets(
        Rule="approved", Targets=[{"Id": "p", "Arn": pipeline_arn, "RoleArn": starter}]
    )
    assert added["FailedEntryCount"] == 0
    events.put_events(Entries=[{"Source": "ml.models", "DetailType": "approved", "Detail": "{}"}])

    def started() -> dict[str, Any] | None:
        summaries = cp.list_pipeline_executions(pipelineName="pipe")["pipelineExecutionSummaries"]
        found = [s for s in summaries if s["trigger"]["triggerType"] == "CloudWatchEvent"]
        return found[0] if found else None

    execution = wait_for(started, timeout=30, what="an execution started by the rule")
    assert execution["trigger"]["triggerDetail"] == rule["RuleArn"]
    trail = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "StartPipelineExecution"}]
    )["Events"]
    record = json.loads(trail[0]["CloudTrailEvent"])
    assert record["userIdentity"]["arn"].startswith(f"arn:aws:sts::{account}:assumed-role/starter/")
    assert record["userIdentity"]["invokedBy"] == "events.amazonaws.com"


def test_a_role_without_the_permission_starts_nothing(server: LiveServer) -> None:
    account = server.first_account_id()
    cp, role = setup(server)
    cp.create_pipeline(pipeline=source_and_approval(role))
    events = server.client("events")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["ml.models"]}))
    weak = _events_role(server, "weak", "codepipeline:GetPipeline")
    events.put_targets(
        Rule="r",
        Targets=[
            {"Id": "p", "Arn": f"arn:aws:codepipeline:us-east-1:{account}:pipe", "RoleArn": weak}
        ],
    )
    events.put_events(Entries=[{"Source": "ml.models", "DetailType": "x", "Detail": "{}"}])
    trail = server.client("cloudtrail")

    def refused() -> dict[str, Any] | None:
        found = trail.lookup_events(
            LookupAttributes=[
                {"AttributeKey": "EventName", "AttributeValue": "StartPipelineExecution"}
            ]
        )["Events"]
        records = [json.loads(e["CloudTrailEvent"]) for e in found]
        return next((r for r in records if r.get("errorCode")), None)

    record = wait_for(refused, timeout=30, what="the refused start in the trail")
    assert record["errorCode"] == "AccessDeniedException"
    assert "codepipeline:StartPipelineExecution" in record["errorMessage"]
    summaries = cp.list_pipeline_executions(pipelineName="pipe")["pipelineExecutionSummaries"]
    assert [s["trigger"]["triggerType"] for s in summaries] == ["CreatePipeline"]
