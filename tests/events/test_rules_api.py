"""EventBridge's API surface: buses, rules, targets, entries, and the errors AWS gives."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.platform.clock import ManualClock
from tests.events.test_delivery import log_messages
from tests.support import LiveServer, live_server, wait_for


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_buses(server: LiveServer) -> None:
    events = server.client("events")
    account = server.first_account_id()
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default"]
    created = events.create_event_bus(Name="ml", Description="model events")
    assert created["EventBusArn"] == f"arn:aws:events:us-east-1:{account}:event-bus/ml"
    with pytest.raises(ClientError) as caught:
        events.create_event_bus(Name="ml")
    assert error(caught) == ("ResourceAlreadyExistsException", "Event bus ml already exists.")
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default", "ml"]
    assert events.describe_event_bus(Name="ml")["Description"] == "model events"
    with pytest.raises(ClientError) as caught:
        events.describe_event_bus(Name="nope")
    assert error(caught) == ("ResourceNotFoundException", "Event bus nope does not exist.")
    with pytest.raises(ClientError) as caught:
        events.delete_event_bus(Name="default")
    assert error(caught) == ("ValidationException", "Cannot delete event bus default.")
    updated = events.update_event_bus(Name="ml", Description="registry events")
    assert (updated["Arn"], updated["Description"]) == (created["EventBusArn"], "registry events")
    assert events.describe_event_bus(Name="ml")["Description"] == "registry events"
    events.update_event_bus(Name="ml")
    assert "Description" not in events.describe_event_bus(Name="ml")
    with pytest.raises(ClientError) as caught:
        events.update_event_bus(Name="nope", Description="x")
    assert error(caught) == ("ResourceNotFoundException", "Event bus nope does not exist.")
    for call in (events.create_event_bus, events.update_event_bus):
        with pytest.raises(ClientError) as caught:
            call(Name="ml", Description="keyed", KmsKeyIdentifier="alias/mine")
        assert error(caught) == (
            "ValidationException",
            "KmsKeyIdentifier is not supported: Airlock's event buses cannot use a KMS key "
            "(Airlock has no KMS; buses use no customer key). Remove KmsKeyIdentifier from "
            "the request.",
        )
    assert "Description" not in events.describe_event_bus(Name="ml")  # nothing changed
    events.delete_event_bus(Name="ml")
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default"]


def test_rules_and_targets(server: LiveServer) -> None:
    events = server.client("events")
    account = server.first_account_id()
    group = f"arn:aws:logs:us-east-1:{account}:log-group:/x"
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="r")
    assert error(caught) == (
        "ValidationException",
        "Parameter(s) EventPattern or ScheduleExpression must be specified.",
    )
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="r", EventPattern='{"source": "x"}')
    assert error(caught) == (
        "InvalidEventPatternException",
        'Event pattern is not valid. Reason: "source" must be an object or an array',
    )
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="r", ScheduleExpression="rate(1 minutes)")
    assert error(caught) == ("ValidationException", "Parameter ScheduleExpression is not valid.")
    events.create_event_bus(Name="custom")
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="r", ScheduleExpression="rate(5 minutes)", EventBusName="custom")
    assert error(caught)[1] == "ScheduleExpression is supported only on the default event bus."
    arn = events.put_rule(Name="r", EventPattern='{"source": ["a"]}', Description="d")["RuleArn"]
    assert arn == f"arn:aws:events:us-east-1:{account}:rule/r"
    custom = events.put_rule(Name="r", EventPattern='{"source": ["a"]}', EventBusName="custom")
    assert custom["RuleArn"] == f"arn:aws:events:us-east-1:{account}:rule/custom/r"
    described = events.describe_rule(Name="r")
    assert (described["State"], described["EventBusName"], described["Description"]) == (
        "ENABLED",
        "default",
        "d",
    )
    events.disable_rule(Name="r")
    assert events.describe_rule(Name="r")["State"] == "DISABLED"
    events.enable_rule(Name="r")
    answer = events.put_targets(
        Rule="r",
        Targets=[
            {"Id": "log", "Arn": group},
            {"Id": "bad", "Arn": "arn:aws:sqs:us-east-1:123456789012:queue"},
            {"Id": "both", "Arn": group, "Input": "{}", "InputPath": "$.detail"},
        ],
    )
    assert answer["FailedEntryCount"] == 2
    failures = {f["TargetId"]: f for f in answer["FailedEntries"]}
    assert (
        "event bus, CloudWatch Logs log group, API destination" in failures["bad"]["ErrorMessage"]
    )
    assert failures["both"]["ErrorMessage"] == (
        "Only one of Input, InputPath, or InputTransformer must be provided."
    )
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="r")["Targets"]] == ["log"]
    assert events.list_rule_names_by_target(TargetArn=group)["RuleNames"] == ["r"]
    with pytest.raises(ClientError) as caught:
        events.delete_rule(Name="r")
    assert error(caught) == ("ValidationException", "Rule can't be deleted since it has targets.")
    removed = events.remove_targets(Rule="r", Ids=["log", "ghost"])
    assert [f["TargetId"] for f in removed["FailedEntries"]] == ["ghost"]
    events.delete_rule(Name="r")
    with pytest.raises(ClientError) as caught:
        events.describe_rule(Name="r")
    assert error(caught) == (
        "ResourceNotFoundException",
        "Rule r does not exist on EventBus default.",
    )
    names = [r["Name"] for r in events.list_rules(EventBusName="custom", NamePrefix="r")["Rules"]]
    assert names == ["r"]
    events.tag_resource(ResourceARN=custom["RuleArn"], Tags=[{"Key": "team", "Value": "ml"}])
    assert events.list_tags_for_resource(ResourceARN=custom["RuleArn"])["Tags"] == [
        {"Key": "team", "Value": "ml"}
    ]


def test_put_events_entry_results(server: LiveServer) -> None:
    events = server.client("events")
    answer = events.put_events(
        Entries=[
            {"Source": "app", "DetailType": "t", "Detail": '{"a": 1}'},
            {"Source": "aws.sagemaker", "DetailType": "t", "Detail": "{}"},
            {"Source": "app", "DetailType": "t", "Detail": "not json"},
            {"Source": "app", "DetailType": "t", "Detail": "{}", "EventBusName": "missing"},
            {"DetailType": "t", "Detail": "{}"},
        ]
    )
    assert answer["FailedEntryCount"] == 4
    entries = answer["Entries"]
    assert "EventId" in entries[0]
    assert [e.get("ErrorCode") for e in entries[1:]] == [
        "NotAuthorizedForSourceException",
        "MalformedDetail",
        "ResourceNotFoundException",
        "InvalidArgument",
    ]
    with pytest.raises(ClientError) as caught:
        events.put_events(
            Entries=[{"Source": "a", "DetailType": "t", "Detail": "{}"} for _ in range(11)]
        )
    assert error(caught)[0] == "ValidationException"
    big = json.dumps({"blob": "x" * (300 * 1024)})
    with pytest.raises(ClientError) as caught:
        events.put_events(Entries=[{"Source": "a", "DetailType": "t", "Detail": big}])
    assert error(caught) == (
        "ValidationException",
        "Total size of the entries in the request is over the limit.",
    )


def test_test_event_pattern_validates_the_event(server: LiveServer) -> None:
    events = server.client("events")
    with pytest.raises(ClientError) as caught:
        events.test_event_pattern(EventPattern='{"source": ["a"]}', Event='"just a string"')
    assert error(caught) == ("ValidationException", "Parameter Event is not valid.")


def test_scheduled_rule_fires_on_time(tmp_path: Path, database_url: str | None) -> None:
    clock = ManualClock()
    with live_server(tmp_path / "state", database_url, clock=clock) as server:
        events, logs = server.client("events"), server.client("logs")
        account = server.first_account_id()
        logs.create_log_group(logGroupName="/nightly")
        events.put_rule(Name="retrain", ScheduleExpression="rate(1 minute)")
        events.put_targets(
            Rule="retrain",
            Targets=[{"Id": "log", "Arn": f"arn:aws:logs:us-east-1:{account}:log-group:/nightly"}],
        )
        worker: Any = server.airlock.workers[0]
        assert worker.fire_schedules() == 0, "nothing is due before a minute has passed"
        clock.advance(timedelta(seconds=61))
        worker.wake()
        messages = wait_for(lambda: log_messages(logs, "/nightly"), what="the scheduled event")
        fired = json.loads(messages[0])
        assert (fired["source"], fired["detail-type"], fired["detail"]) == (
            "aws.events",
            "Scheduled Event",
            {},
        )
        assert fired["resources"] == [f"arn:aws:events:us-east-1:{account}:rule/retrain"]
        events.disable_rule(Name="retrain")
        clock.advance(timedelta(seconds=60))
        assert worker.fire_schedules() == 0, "a disabled rule does not fire"
