"""CloudWatch Logs through boto3, and the append API Airlock's services use."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.logs import LogsService
from tests.support import LiveServer


@pytest.fixture
def logs(server: LiveServer, account_id: str) -> Any:
    return server.client("logs", account_id)


def now_ms() -> int:
    return int(time.time() * 1000)


def test_groups_streams_and_events(logs: Any, account_id: str) -> None:
    logs.create_log_group(logGroupName="/aws/codebuild/deploy", tags={"stage": "staging"})
    with pytest.raises(ClientError) as caught:
        logs.create_log_group(logGroupName="/aws/codebuild/deploy")
    assert caught.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    [group] = logs.describe_log_groups(logGroupNamePrefix="/aws/codebuild/")["logGroups"]
    assert group["arn"] == f"arn:aws:logs:us-east-1:{account_id}:log-group:/aws/codebuild/deploy:*"
    assert logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"] == {
        "stage": "staging"
    }

    logs.create_log_stream(logGroupName="/aws/codebuild/deploy", logStreamName="build-1")
    base = now_ms()
    events = [{"timestamp": base + i, "message": f"line {i}"} for i in range(25)]
    result = logs.put_log_events(
        logGroupName="/aws/codebuild/deploy", logStreamName="build-1", logEvents=events
    )
    assert "rejectedLogEventsInfo" not in result

    head = logs.get_log_events(
        logGroupName="/aws/codebuild/deploy", logStreamName="build-1", startFromHead=True, limit=10
    )
    assert [e["message"] for e in head["events"]] == [f"line {i}" for i in range(10)]
    seen = [e["message"] for e in head["events"]]
    token = head["nextForwardToken"]
    while True:
        page = logs.get_log_events(
            logGroupName="/aws/codebuild/deploy", logStreamName="build-1", nextToken=token, limit=10
        )
        seen += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:  # the end: the same token comes back
            break
        token = page["nextForwardToken"]
    assert seen == [f"line {i}" for i in range(25)]
    tail = logs.get_log_events(
        logGroupName="/aws/codebuild/deploy", logStreamName="build-1", limit=5
    )
    assert [e["message"] for e in tail["events"]] == [f"line {i}" for i in range(20, 25)]
    back = logs.get_log_events(
        logGroupName="/aws/codebuild/deploy",
        logStreamName="build-1",
        nextToken=tail["nextBackwardToken"],
        limit=5,
    )
    assert [e["message"] for e in back["events"]] == [f"line {i}" for i in range(15, 20)]

    [stream] = logs.describe_log_streams(logGroupName="/aws/codebuild/deploy")["logStreams"]
    assert stream["lastEventTimestamp"] == base + 24 and stream["firstEventTimestamp"] == base


def test_put_log_events_rules(logs: Any) -> None:
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    base = now_ms()
    with pytest.raises(ClientError) as caught:
        logs.put_log_events(
            logGroupName="g",
            logStreamName="s",
            logEvents=[
                {"timestamp": base, "message": "b"},
                {"timestamp": base - 1, "message": "a"},
            ],
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "chronological order" in caught.value.response["Error"]["Message"]
    old = base - int(timedelta(days=15).total_seconds() * 1000)
    future = base + int(timedelta(hours=3).total_seconds() * 1000)
    with pytest.raises(ClientError) as caught:
        logs.put_log_events(
            logGroupName="g",
            logStreamName="s",
            logEvents=[
                {"timestamp": old, "message": "old"},
                {"timestamp": future, "message": "new"},
            ],
        )
    assert "24 hours" in caught.value.response["Error"]["Message"]
    result = logs.put_log_events(
        logGroupName="g",
        logStreamName="s",
        logEvents=[{"timestamp": old, "message": "old"}, {"timestamp": old + 1, "message": "old2"}],
    )
    assert result["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    assert logs.get_log_events(logGroupName="g", logStreamName="s")["events"] == []
    with pytest.raises(ClientError) as caught:
        logs.put_log_events(
            logGroupName="g",
            logStreamName="missing",
            logEvents=[{"timestamp": base, "message": "x"}],
        )
    assert caught.value.response["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "The specified log stream does not exist.",
    }


def test_retention_is_enforced(server: LiveServer, logs: Any, account_id: str) -> None:
    logs.create_log_group(logGroupName="r")
    logs.create_log_stream(logGroupName="r", logStreamName="s")
    base = now_ms()
    five_days = int(timedelta(days=5).total_seconds() * 1000)
    logs.put_log_events(
        logGroupName="r",
        logStreamName="s",
        logEvents=[{"timestamp": base - five_days, "message": "aged"}],
    )
    logs.put_log_events(
        logGroupName="r", logStreamName="s", logEvents=[{"timestamp": base, "message": "fresh"}]
    )
    with pytest.raises(ClientError) as caught:
        logs.put_retention_policy(logGroupName="r", retentionInDays=2)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
    logs.put_retention_policy(logGroupName="r", retentionInDays=3)
    messages = [
        e["message"] for e in logs.get_log_events(logGroupName="r", logStreamName="s")["events"]
    ]
    assert messages == ["fresh"]
    assert logs.describe_log_groups(logGroupNamePrefix="r")["logGroups"][0]["retentionInDays"] == 3


def test_internal_append_and_filter(server: LiveServer, logs: Any, account_id: str) -> None:
    platform = server.airlock.platform
    with platform.db.write() as session:
        service = LogsService(session, platform.clock)
        service.append(
            account_id,
            "us-east-1",
            "/aws/sagemaker/TrainingJobs",
            "iris-train-1/algo-1",
            ["[0] train-mlogloss:0.9", "ERROR disk almost full", '{"level": "error", "epoch": 3}'],
        )
        service.append(
            account_id,
            "us-east-1",
            "/aws/sagemaker/TrainingJobs",
            "iris-train-2/algo-1",
            ["WARN slow"],
        )
    group = "/aws/sagemaker/TrainingJobs"
    found = logs.filter_log_events(logGroupName=group, filterPattern="?ERROR ?WARN")["events"]
    assert sorted(e["message"] for e in found) == ["ERROR disk almost full", "WARN slow"]
    json_hits = logs.filter_log_events(logGroupName=group, filterPattern='{ $.level = "error" }')[
        "events"
    ]
    assert [e["logStreamName"] for e in json_hits] == ["iris-train-1/algo-1"]
    only = logs.filter_log_events(logGroupName=group, logStreamNames=["iris-train-2/algo-1"])[
        "events"
    ]
    assert [e["message"] for e in only] == ["WARN slow"]
    paged = logs.filter_log_events(logGroupName=group, limit=2)
    rest = logs.filter_log_events(logGroupName=group, nextToken=paged["nextToken"])
    assert len(paged["events"]) + len(rest["events"]) == 4 and "nextToken" not in rest
    streams = logs.describe_log_streams(
        logGroupName=group, orderBy="LastEventTime", descending=True
    )
    assert {s["logStreamName"] for s in streams["logStreams"]} == {
        "iris-train-1/algo-1",
        "iris-train-2/algo-1",
    }
    with pytest.raises(ClientError) as caught:
        logs.filter_log_events(logGroupName=group, filterPattern='{ $.level = "error" ')
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
    logs.delete_log_group(logGroupName=group)
    with pytest.raises(ClientError) as caught:
        logs.describe_log_streams(logGroupName=group)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_other_accounts_do_not_see_groups(server: LiveServer, logs: Any) -> None:
    logs.create_log_group(logGroupName="private")
    other = server.client("logs", server.create_account("other"))
    assert other.describe_log_groups()["logGroups"] == []
    other.create_log_group(logGroupName="private")  # names are per account


@pytest.mark.parametrize(
    "arn", ["arn:aws:logs:us-east-1:{account}:destination:d", "arn:aws:events:x", "arn:"]
)
def test_an_arn_that_names_no_log_group_is_invalid(logs: Any, account_id: str, arn: str) -> None:
    arn = arn.format(account=account_id)
    with pytest.raises(ClientError) as caught:
        logs.tag_resource(resourceArn=arn, tags={"k": "v"})
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"] == "Invalid resourceArn"
    with pytest.raises(ClientError) as caught:
        logs.describe_log_streams(logGroupIdentifier=arn)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"] == "Invalid logGroupIdentifier"


def test_a_group_arn_of_another_account_is_that_accounts(
    server: LiveServer, logs: Any, account_id: str
) -> None:
    # The ARN's account owns the group: the caller's own group of that name is not it.
    logs.create_log_group(logGroupName="mine")
    other = server.create_account("neighbour")
    arn = f"arn:aws:logs:us-east-1:{other}:log-group:mine"
    with pytest.raises(ClientError) as caught:
        logs.tag_resource(resourceArn=arn, tags={"k": "v"})
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert caught.value.response["Error"]["Message"].startswith(
        f"User: arn:aws:iam::{account_id}:root is not authorized to perform: logs:TagResource "
        f"on resource: {arn}"
    )
    assert logs.list_tags_for_resource(resourceArn=arn.replace(other, account_id))["tags"] == {}
