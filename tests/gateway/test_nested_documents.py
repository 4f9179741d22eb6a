"""JSON documents inside a request, nested past the parser's stack: the service's 400.

Policies, event patterns and events, pipeline definitions and log lines are JSON
text in a string member; one nested a few thousand levels deep once failed the
call with a 500 (RecursionError is not the ValueError bad JSON raises).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer

DEEP = "[" * 2000 + "]" * 2000  # within every member's length limit below
EVENT = '{"id": "1", "account": "1", "source": "s", "time": "t", "region": "r", "detail-type": "d"}'


def _pipeline(server: LiveServer) -> Callable[[Any], Any]:
    role = f"arn:aws:iam::{server.first_account_id()}:role/Pipelines"
    return lambda sm: sm.create_pipeline(PipelineName="p", PipelineDefinition=DEEP, RoleArn=role)


CASES = [
    (
        "iam",
        lambda server: lambda iam: iam.create_policy(PolicyName="p", PolicyDocument=DEEP),
        "MalformedPolicyDocument",
        "This policy contains invalid Json",
    ),
    (
        "events",
        lambda server: lambda events: events.put_rule(Name="r", EventPattern=DEEP),
        "InvalidEventPatternException",
        "Event pattern is not valid. Reason: Filter is not valid JSON: the document nests too "
        "deeply",
    ),
    (
        "events",
        lambda server: (
            lambda events: events.test_event_pattern(EventPattern='{"source": ["s"]}', Event=DEEP)
        ),
        "ValidationException",
        "Parameter Event is not valid.",
    ),
    (
        "sagemaker",
        _pipeline,
        "ValidationException",
        "Invalid pipeline definition: The pipeline definition is not valid JSON: the document "
        "nests too deeply",
    ),
]


@pytest.mark.parametrize(
    ("service", "make_call", "code", "message"),
    CASES,
    ids=["iam-policy", "events-pattern", "events-event", "sagemaker-definition"],
)
def test_a_document_nested_too_deeply_is_malformed(
    server: LiveServer, service: str, make_call: Any, code: str, message: str
) -> None:
    with pytest.raises(ClientError) as caught:
        make_call(server)(server.client(service))
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["Error"]["Message"] == message


def test_a_deep_event_detail_fails_only_its_entry(server: LiveServer) -> None:
    events = server.client("events")
    result = events.put_events(
        Entries=[
            {"Source": "s", "DetailType": "d", "Detail": DEEP},
            {"Source": "s", "DetailType": "d", "Detail": "{}"},
        ]
    )
    assert result["FailedEntryCount"] == 1
    assert result["Entries"][0]["ErrorCode"] == "MalformedDetail"
    assert result["Entries"][0]["ErrorMessage"] == "Detail is malformed."
    assert "EventId" in result["Entries"][1]


def test_a_deep_log_line_matches_no_json_filter(server: LiveServer) -> None:
    logs = server.client("logs")
    logs.create_log_group(logGroupName="deep")
    logs.create_log_stream(logGroupName="deep", logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="deep",
        logStreamName="s",
        logEvents=[
            {"timestamp": now, "message": "[" * 5000 + "]" * 5000},
            {"timestamp": now + 1, "message": '{"a": 1}'},
        ],
    )
    found = logs.filter_log_events(logGroupName="deep", filterPattern="{ $.a = 1 }")["events"]
    assert [e["message"] for e in found] == ['{"a": 1}']
