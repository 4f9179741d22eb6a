"""AWS::Logs::LogGroup, through its provider as the stack's principal."""

from __future__ import annotations

import json

import pytest

from airlock.core.errors import ServiceError
from tests.cloudformation.providers import provision
from tests.support import LiveServer


def test_log_group_lifecycle(server: LiveServer, account_id: str, region: str) -> None:
    logs = server.client("logs")
    made = provision(
        server,
        account_id,
        "AWS::Logs::LogGroup",
        {"RetentionInDays": 7, "Tags": [{"Key": "team", "Value": "ml"}]},
        logical_id="BuildLogs",
        stack_name="iris",
        tags={"project": "iris", "team": "stack"},
    )
    name = made.physical_id
    assert name.startswith("iris-BuildLogs-") and len(name) == len("iris-BuildLogs-") + 13
    assert made.attributes == {
        "Ref": name,
        "Arn": f"arn:aws:logs:{region}:{account_id}:log-group:{name}:*",
    }
    [group] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert group["retentionInDays"] == 7
    arn = group["arn"]
    assert logs.list_tags_for_resource(resourceArn=arn.removesuffix(":*"))["tags"] == {
        "project": "iris",
        "team": "ml",
    }
    made.update({"Tags": [{"Key": "team", "Value": "ml"}]})
    [group] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert "retentionInDays" not in group
    # The calls were made as the principal, by CloudFormation.
    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateLogGroup"}]
    )["Events"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["userIdentity"]["invokedBy"] == "cloudformation.amazonaws.com"
    made.delete()
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []
    made.delete()  # already gone: still deleted


def test_a_named_group_that_exists_fails(server: LiveServer, account_id: str) -> None:
    server.client("logs").create_log_group(logGroupName="taken")
    with pytest.raises(ServiceError) as caught:
        provision(server, account_id, "AWS::Logs::LogGroup", {"LogGroupName": "taken"})
    assert caught.value.code == "ResourceAlreadyExistsException"
    assert caught.value.message == "The specified log group already exists"
