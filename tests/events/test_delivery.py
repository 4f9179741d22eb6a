"""Rules deliver events to log groups, other accounts' buses and HTTP endpoints, at least once."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

from tests.events.receiver import receiver
from tests.support import LiveServer, service_trust, wait_for


def log_messages(logs: Any, group: str) -> list[str]:
    messages = []
    for stream in logs.describe_log_streams(logGroupName=group).get("logStreams", []):
        events = logs.get_log_events(
            logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True
        )["events"]
        messages += [e["message"] for e in events]
    return messages


def put(events: Any, detail: dict[str, Any], **extra: Any) -> str:
    answer = events.put_events(
        Entries=[
            {
                "Source": "ml.registry",
                "DetailType": "Model Approved",
                "Detail": json.dumps(detail),
                **extra,
            }
        ]
    )
    assert answer["FailedEntryCount"] == 0, answer
    return str(answer["Entries"][0]["EventId"])


def test_rule_to_log_group_with_transformer(server: LiveServer) -> None:
    events, logs = server.client("events"), server.client("logs")
    logs.create_log_group(logGroupName="/airlock/approvals")
    account = server.first_account_id()
    group_arn = f"arn:aws:logs:us-east-1:{account}:log-group:/airlock/approvals"
    events.put_rule(
        Name="approved",
        EventPattern=json.dumps({"source": ["ml.registry"], "detail": {"status": ["Approved"]}}),
    )
    events.put_targets(
        Rule="approved",
        Targets=[
            {"Id": "raw", "Arn": group_arn},
            {
                "Id": "shaped",
                "Arn": group_arn,
                "InputTransformer": {
                    "InputPathsMap": {"model": "$.detail.model", "version": "$.detail.version"},
                    "InputTemplate": '{"text": "<model> v<version> approved", "v": <version>, '
                    '"rule": "<aws.events.rule-name>"}',
                },
            },
        ],
    )
    event_id = put(events, {"status": "Approved", "model": "iris", "version": 3})
    put(events, {"status": "Rejected", "model": "iris", "version": 4})

    def both() -> list[str] | None:
        found = log_messages(logs, "/airlock/approvals")
        return found if len(found) >= 2 else None

    messages = wait_for(both, what="two deliveries to the log group")
    documents = sorted((json.loads(m) for m in messages), key=lambda d: "text" in d)
    assert documents[0]["id"] == event_id
    assert documents[0]["detail"] == {"status": "Approved", "model": "iris", "version": 3}
    assert documents[1] == {"text": "iris v3 approved", "v": 3, "rule": "approved"}
    streams = logs.describe_log_streams(logGroupName="/airlock/approvals")["logStreams"]
    assert {s["logStreamName"] for s in streams} == {event_id}


def test_cross_account_bus_needs_the_target_bus_policy(server: LiveServer) -> None:
    source_account = server.first_account_id()
    staging_account = server.create_account("staging")
    source, staging = server.client("events"), server.client("events", staging_account)
    staging_logs = server.client("logs", staging_account)
    staging_logs.create_log_group(logGroupName="/staging/inbox")
    staging.put_rule(Name="inbox", EventPattern=json.dumps({"source": ["ml.registry"]}))
    staging.put_targets(
        Rule="inbox",
        Targets=[
            {
                "Id": "log",
                "Arn": f"arn:aws:logs:us-east-1:{staging_account}:log-group:/staging/inbox",
            }
        ],
    )
    staging_bus = f"arn:aws:events:us-east-1:{staging_account}:event-bus/default"
    source.put_rule(Name="forward", EventPattern=json.dumps({"source": ["ml.registry"]}))
    source.put_targets(Rule="forward", Targets=[{"Id": "staging", "Arn": staging_bus}])

    denied_id = put(source, {"n": 1})
    # Without the staging bus's permission the forward fails for good (no retry can help).
    assert wait_for(
        lambda: staging_logs is not None and _failed(server, denied_id), what="the denial"
    )
    assert log_messages(staging_logs, "/staging/inbox") == []

    staging.put_permission(Action="events:PutEvents", Principal=source_account, StatementId="src")
    described = staging.describe_event_bus()
    assert json.loads(described["Policy"])["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{source_account}:root"
    }
    allowed_id = put(source, {"n": 2})
    messages = wait_for(lambda: log_messages(staging_logs, "/staging/inbox"), what="the forward")
    forwarded = json.loads(messages[0])
    assert (forwarded["id"], forwarded["account"]) == (allowed_id, source_account)
    staging.remove_permission(StatementId="src")
    assert "Policy" not in staging.describe_event_bus()


def _failed(server: LiveServer, event_id: str) -> str | None:
    from sqlalchemy import select

    from airlock.events.models import Delivery, Event

    with server.airlock.platform.db.read() as session:
        row = session.execute(
            select(Delivery.status, Delivery.last_error)
            .join(Event, Event.seq == Delivery.event_seq)
            .where(Event.id == event_id)
        ).first()
    if row is None or row[0] != "FAILED":
        return None
    return str(row[1])


def test_api_destination_receives_the_transformed_event(server: LiveServer) -> None:
    events = server.client("events")
    with receiver() as endpoint:
        connection = events.create_connection(
            Name="hook",
            AuthorizationType="API_KEY",
            AuthParameters={
                "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"}
            },
        )
        described = events.describe_connection(Name="hook")
        assert "ApiKeyValue" not in json.dumps(described["AuthParameters"])
        destination = events.create_api_destination(
            Name="ci",
            ConnectionArn=connection["ConnectionArn"],
            InvocationEndpoint=f"{endpoint.url}/deploy",
            HttpMethod="POST",
            InvocationRateLimitPerSecond=20,
        )
        events.put_rule(Name="to-ci", EventPattern=json.dumps({"detail-type": ["Model Approved"]}))
        events.put_targets(
            Rule="to-ci",
            Targets=[
                {
                    "Id": "ci",
                    "Arn": destination["ApiDestinationArn"],
                    "InputTransformer": {
                        "InputPathsMap": {"m": "$.detail.model"},
                        "InputTemplate": '{"deploy": "<m>"}',
                    },
                }
            ],
        )
        put(events, {"model": "iris"})
        wait_for(lambda: endpoint.requests, what="the POST")
        request = endpoint.requests[0]
        assert (request.path, request.body) == ("/deploy", b'{"deploy": "iris"}')
        assert request.headers["x-api-key"] == "s3cret"
        assert request.headers["content-type"].startswith("application/json")


def test_failing_destination_is_retried_then_dead_lettered(server: LiveServer) -> None:
    events, logs = server.client("events"), server.client("logs")
    account = server.first_account_id()
    logs.create_log_group(logGroupName="/airlock/dead-letters")
    with receiver() as endpoint:
        endpoint.statuses = [503]
        connection = events.create_connection(
            Name="basic",
            AuthorizationType="BASIC",
            AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}},
        )
        destination = events.create_api_destination(
            Name="flaky",
            ConnectionArn=connection["ConnectionArn"],
            InvocationEndpoint=endpoint.url,
            HttpMethod="POST",
        )
        events.put_rule(Name="flaky", EventPattern=json.dumps({"source": ["ml.registry"]}))
        events.put_targets(
            Rule="flaky",
            Targets=[
                {
                    "Id": "flaky",
                    "Arn": destination["ApiDestinationArn"],
                    "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
                    "DeadLetterConfig": {
                        "Arn": f"arn:aws:logs:us-east-1:{account}:log-group:/airlock/dead-letters"
                    },
                }
            ],
        )
        event_id = put(events, {"model": "iris"})
        reason = wait_for(lambda: _failed(server, event_id), timeout=60, what="the dead letter")
        assert reason.startswith("RetriesExhausted: HTTP 503")
        assert len(endpoint.requests) == 3  # the first attempt and two retries
        assert all(r.body == endpoint.requests[0].body for r in endpoint.requests)
        expected = base64.b64encode(b"u:p").decode()
        assert endpoint.requests[0].headers["authorization"] == f"Basic {expected}"
        letters = wait_for(lambda: log_messages(logs, "/airlock/dead-letters"), what="the letter")
        letter = json.loads(letters[0])
        assert (letter["event"]["id"], letter["errorCode"], letter["attempts"]) == (
            event_id,
            "RetriesExhausted",
            3,
        )


def test_a_stuck_target_does_not_hold_up_the_others(server: LiveServer) -> None:
    events, logs = server.client("events"), server.client("logs")
    account = server.first_account_id()
    logs.create_log_group(logGroupName="/fast")
    with receiver() as stuck:
        stuck.hold = threading.Event()  # every request to it hangs until released
        connection = events.create_connection(
            Name="c",
            AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}},
        )
        destination = events.create_api_destination(
            Name="stuck",
            ConnectionArn=connection["ConnectionArn"],
            InvocationEndpoint=stuck.url,
            HttpMethod="POST",
        )
        events.put_rule(Name="both", EventPattern=json.dumps({"source": ["ml.registry"]}))
        events.put_targets(
            Rule="both",
            Targets=[
                {"Id": "stuck", "Arn": destination["ApiDestinationArn"]},
                {"Id": "fast", "Arn": f"arn:aws:logs:us-east-1:{account}:log-group:/fast"},
            ],
        )
        for n in range(20):
            put(events, {"n": n})

        def all_fast() -> list[str] | None:
            found = log_messages(logs, "/fast")
            return found if len(found) == 20 else None

        wait_for(all_fast, what="every delivery to the healthy target")
        assert len(stuck.requests) < 20, "the stuck target is still working through its share"
        stuck.hold.set()

        def caught_up() -> bool:  # at least once: a timed-out request may come again
            return len({json.loads(r.body)["id"] for r in list(stuck.requests)}) == 20

        wait_for(caught_up, timeout=60, what="the stuck target to catch up")


def test_cross_account_bus_target_with_a_role(server: LiveServer) -> None:
    source_account = server.first_account_id()
    staging_account = server.create_account("staging")
    staging_bus = f"arn:aws:events:us-east-1:{staging_account}:event-bus/default"
    iam = server.client("iam")
    trust = service_trust("events.amazonaws.com")
    role = iam.create_role(RoleName="Forwarder", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(
        RoleName="Forwarder",
        PolicyName="put",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "events:PutEvents", "Resource": staging_bus}
                ],
            }
        ),
    )
    staging = server.client("events", staging_account)
    staging_logs = server.client("logs", staging_account)
    staging_logs.create_log_group(logGroupName="/in")
    staging.put_rule(Name="in", EventPattern=json.dumps({"source": ["ml.registry"]}))
    staging.put_targets(
        Rule="in",
        Targets=[{"Id": "log", "Arn": f"arn:aws:logs:us-east-1:{staging_account}:log-group:/in"}],
    )
    staging.put_permission(
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "forwarder-role-only",
                        "Effect": "Allow",
                        "Principal": {"AWS": role["Role"]["Arn"]},
                        "Action": "events:PutEvents",
                        "Resource": staging_bus,
                    }
                ],
            }
        )
    )
    events = server.client("events")
    events.put_rule(Name="fwd", EventPattern=json.dumps({"source": ["ml.registry"]}))
    events.put_targets(Rule="fwd", Targets=[{"Id": "bus", "Arn": staging_bus}])
    without_role = put(events, {"n": 1})
    reason = wait_for(lambda: _failed(server, without_role), what="the refusal")
    assert "AccessDenied" in reason and f"arn:aws:iam::{source_account}:root" in reason
    events.put_targets(
        Rule="fwd", Targets=[{"Id": "bus", "Arn": staging_bus, "RoleArn": role["Role"]["Arn"]}]
    )
    with_role = put(events, {"n": 2})
    messages = wait_for(lambda: log_messages(staging_logs, "/in"), what="the forward")
    assert [json.loads(m)["id"] for m in messages] == [with_role]
    # The forward is a PutEvents call on the call path: audited in the acting account,
    # with EventBridge as invokedBy, the refused one as well as the delivered one.
    trail = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutEvents"}]
    )["Events"]
    forwards = [
        json.loads(e["CloudTrailEvent"])
        for e in trail
        if json.loads(e["CloudTrailEvent"])["userIdentity"].get("invokedBy")
    ]
    assert [(r["userIdentity"]["invokedBy"], r.get("errorCode")) for r in forwards] == [
        ("events.amazonaws.com", None),
        ("events.amazonaws.com", "AccessDeniedException"),
    ]
    delivered, refused = (r["userIdentity"]["arn"] for r in forwards)
    assert delivered.startswith(f"arn:aws:sts::{source_account}:assumed-role/Forwarder/events-")
    assert refused == f"arn:aws:iam::{source_account}:root"
    assert forwards[0]["requestParameters"]["entries"][0]["eventBusName"] == staging_bus
