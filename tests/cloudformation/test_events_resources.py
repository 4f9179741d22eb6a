"""AWS::Events::EventBus, Rule and EventBusPolicy through their providers, as a stack acts."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.core.context import Principal
from airlock.core.errors import ServiceError
from airlock.core.resources import ResourceFailed
from airlock.sts import assume_role_for_service
from tests.cloudformation.providers import Provisioned, provision
from tests.events.test_delivery import log_messages, put
from tests.support import LiveServer, service_trust, wait_for

PATTERN = {"source": ["ml.registry"], "detail": {"status": ["Approved"]}}


def bus_policy(bus: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(bus["Policy"]))


def invoked_by(server: LiveServer, operation: str) -> list[str]:
    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": operation}]
    )["Events"]
    return [json.loads(e["CloudTrailEvent"])["userIdentity"].get("invokedBy") for e in events]


def test_event_bus_lifecycle(server: LiveServer, account_id: str, region: str) -> None:
    events = server.client("events")
    other = server.create_account("partner")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "partner",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{other}:root"},
                "Action": "events:PutEvents",
                "Resource": f"arn:aws:events:{region}:{account_id}:event-bus/ml-events",
            }
        ],
    }
    props: dict[str, Any] = {
        "Name": "ml-events",
        "Description": "model registry events",
        "Policy": policy,
        "Tags": [{"Key": "team", "Value": "ml"}],
    }
    made = provision(server, account_id, "AWS::Events::EventBus", props, tags={"stack": "s1"})
    arn = f"arn:aws:events:{region}:{account_id}:event-bus/ml-events"
    assert made.physical_id == "ml-events"
    assert made.attributes == {
        "Ref": "ml-events",
        "Arn": arn,
        "Name": "ml-events",
        "Policy": json.dumps(policy),
    }
    bus = events.describe_event_bus(Name="ml-events")
    assert (bus["Description"], bus_policy(bus)) == ("model registry events", policy)
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "stack", "Value": "s1"},
        {"Key": "team", "Value": "ml"},
    ]
    # The policy lets the other account put events on the bus.
    partner = server.client("events", other)
    entry = {"Source": "partner.app", "DetailType": "t", "Detail": "{}", "EventBusName": arn}
    assert partner.put_events(Entries=[entry])["FailedEntryCount"] == 0
    assert invoked_by(server, "CreateEventBus") == ["cloudformation.amazonaws.com"]

    made.update({"Name": "ml-events", "Description": "model registry events"})
    bus = events.describe_event_bus(Name="ml-events")
    assert "Policy" not in bus and "Policy" not in made.attributes
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "stack", "Value": "s1"}
    ]
    with pytest.raises(ClientError) as caught:
        partner.put_events(Entries=[entry])
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    # A new description is an UpdateEventBus, in place, as the stack's principal.
    made.update({"Name": "ml-events", "Description": "renamed"})
    assert events.describe_event_bus(Name="ml-events")["Description"] == "renamed"
    assert invoked_by(server, "UpdateEventBus") == ["cloudformation.amazonaws.com"]

    made.delete()
    with pytest.raises(ClientError) as caught:
        events.describe_event_bus(Name="ml-events")
    assert caught.value.response["Error"]["Message"] == "Event bus ml-events does not exist."
    made.delete()  # already gone: still deleted


def test_a_bus_that_exists_fails(server: LiveServer, account_id: str) -> None:
    server.client("events").create_event_bus(Name="taken")
    with pytest.raises(ServiceError) as caught:
        provision(server, account_id, "AWS::Events::EventBus", {"Name": "taken"})
    assert (caught.value.code, caught.value.message) == (
        "ResourceAlreadyExistsException",
        "Event bus taken already exists.",
    )


@pytest.fixture
def log_group(server: LiveServer, account_id: str, region: str) -> str:
    """A log group for rules to deliver to; its ARN."""
    server.client("logs").create_log_group(logGroupName="/approvals")
    return f"arn:aws:logs:{region}:{account_id}:log-group:/approvals"


def test_rule_lifecycle_on_the_default_bus(
    server: LiveServer, account_id: str, region: str, log_group: str
) -> None:
    events, logs = server.client("events"), server.client("logs")
    shaped = {
        "Id": "shaped",
        "Arn": log_group,
        "InputTransformer": {
            "InputPathsMap": {"model": "$.detail.model"},
            "InputTemplate": '{"approved": <model>}',
        },
        "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600},
    }
    props: dict[str, Any] = {
        "EventPattern": PATTERN,
        "Description": "approvals to the log",
        "State": "ENABLED",
        "Targets": [shaped, {"Id": "raw", "Arn": log_group}],
    }
    made = provision(
        server, account_id, "AWS::Events::Rule", props, logical_id="Approvals", stack_name="ml"
    )
    name = made.physical_id
    assert name.startswith("ml-Approvals-") and len(name) == len("ml-Approvals-") + 13
    assert made.attributes == {
        "Ref": name,
        "Arn": f"arn:aws:events:{region}:{account_id}:rule/{name}",
    }
    rule = events.describe_rule(Name=name)
    assert (json.loads(rule["EventPattern"]), rule["Description"]) == (
        PATTERN,
        props["Description"],
    )
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    assert [t["Id"] for t in targets] == ["raw", "shaped"]
    assert targets[1]["RetryPolicy"] == shaped["RetryPolicy"]
    event_id = put(events, {"status": "Approved", "model": "iris"})

    def two() -> list[str] | None:
        found = log_messages(logs, "/approvals")
        return found if len(found) >= 2 else None

    delivered = sorted(
        wait_for(two, what="both targets' deliveries"), key=lambda m: "approved" in m
    )
    assert json.loads(delivered[0])["id"] == event_id
    assert json.loads(delivered[1]) == {"approved": "iris"}

    # In place: a new pattern and state, one target removed and one added.
    changed = {
        "EventPattern": {"source": ["ml.other"]},
        "State": "DISABLED",
        "Targets": [{"Id": "plain", "Arn": log_group, "Input": '{"fixed": true}'}, shaped],
    }
    made.update(changed)
    rule = events.describe_rule(Name=name)
    assert (json.loads(rule["EventPattern"]), rule["State"]) == (
        {"source": ["ml.other"]},
        "DISABLED",
    )
    assert "Description" not in rule  # PutRule replaces the whole rule, as CloudFormation does
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    assert [(t["Id"], t.get("Input")) for t in targets] == [
        ("plain", '{"fixed": true}'),
        ("shaped", None),
    ]
    assert invoked_by(server, "RemoveTargets") == ["cloudformation.amazonaws.com"]

    made.delete()
    with pytest.raises(ClientError) as caught:
        events.describe_rule(Name=name)
    assert caught.value.response["Error"]["Message"] == (
        f"Rule {name} does not exist on EventBus default."
    )
    made.delete()


def test_rules_on_a_custom_bus(server: LiveServer, account_id: str, region: str) -> None:
    events = server.client("events")
    bus = provision(server, account_id, "AWS::Events::EventBus", {"Name": "props-bus"})
    named = provision(
        server,
        account_id,
        "AWS::Events::Rule",
        {"Name": "named", "EventBusName": "props-bus", "EventPattern": {"resources": ["*"]}},
    )
    assert named.physical_id == "props-bus|named"
    assert named.attributes == {
        "Ref": "props-bus|named",
        "Arn": f"arn:aws:events:{region}:{account_id}:rule/props-bus/named",
    }
    # The default bus named by its ARN is still the default bus.
    default_arn = f"arn:aws:events:{region}:{account_id}:event-bus/default"
    by_arn = provision(
        server,
        account_id,
        "AWS::Events::Rule",
        {"Name": "by-arn", "EventBusName": default_arn, "ScheduleExpression": "rate(7 days)"},
    )
    assert by_arn.attributes["Ref"] == "by-arn"
    assert events.describe_rule(Name="by-arn")["ScheduleExpression"] == "rate(7 days)"
    # PutRule would take over a rule that exists; CloudFormation refuses to.
    with pytest.raises(ResourceFailed) as caught:
        provision(
            server,
            account_id,
            "AWS::Events::Rule",
            {"Name": "named", "EventBusName": "props-bus", "EventPattern": PATTERN},
        )
    assert str(caught.value) == (
        "Resource of type 'AWS::Events::Rule' with identifier 'named' already exists."
    )
    assert json.loads(events.describe_rule(Name="named", EventBusName="props-bus")["EventPattern"])
    named.delete()
    by_arn.delete()
    assert events.list_rules(EventBusName="props-bus")["Rules"] == []
    bus.delete()


def test_a_refused_target_fails_the_rule(
    server: LiveServer, account_id: str, log_group: str
) -> None:
    target = {"Id": "both", "Arn": log_group, "Input": "{}", "InputPath": "$.detail"}
    with pytest.raises(ResourceFailed) as caught:
        provision(
            server,
            account_id,
            "AWS::Events::Rule",
            {"Name": "refused", "EventPattern": PATTERN, "Targets": [target]},
        )
    assert str(caught.value) == (
        "Target both of rule refused was refused: ValidationException: "
        "Only one of Input, InputPath, or InputTransformer must be provided."
    )


def test_bus_policy_statements(server: LiveServer, account_id: str, region: str) -> None:
    events = server.client("events")
    bus_arn = f"arn:aws:events:{region}:{account_id}:event-bus/devops"
    provision(server, account_id, "AWS::Events::EventBus", {"Name": "devops"})
    partner = server.create_account("blue")

    def statement(sid: str, actions: list[str]) -> dict[str, Any]:
        return {
            "EventBusName": "devops",
            "StatementId": sid,
            "Statement": {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{partner}:root"},
                "Action": actions,
                "Resource": f"arn:aws:events:{region}:{account_id}:rule/devops/*",
                "Condition": {
                    "StringEqualsIfExists": {"events:creatorAccount": "${aws:PrincipalAccount}"}
                },
            },
        }

    # A template's statements are created in parallel: none may be lost.
    made: dict[str, Provisioned] = {}

    def create(sid: str) -> None:
        made[sid] = provision(
            server,
            account_id,
            "AWS::Events::EventBusPolicy",
            statement(sid, ["events:PutRule", "events:DeleteRule"]),
            logical_id=sid,
        )

    workers = [threading.Thread(target=create, args=(f"Rules{i}",)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    legacy = provision(
        server,
        account_id,
        "AWS::Events::EventBusPolicy",
        {
            "EventBusName": "devops",
            "StatementId": "Publish",
            "Action": "events:PutEvents",
            "Principal": partner,
        },
        logical_id="Publish",
    )
    policy = bus_policy(events.describe_event_bus(Name="devops"))
    sids = sorted(s["Sid"] for s in policy["Statement"])
    assert sids == ["Publish", "Rules0", "Rules1", "Rules2", "Rules3"]
    assert legacy.physical_id.startswith("EventBusPolicy-")
    assert len(legacy.physical_id) == len("EventBusPolicy-") + 13
    assert legacy.attributes == {"Ref": legacy.physical_id}
    # The legacy form is PutPermission's: the partner may put events on the bus.
    entry = {"Source": "blue.app", "DetailType": "t", "Detail": "{}", "EventBusName": bus_arn}
    blue = server.client("events", partner)
    assert blue.put_events(Entries=[entry])["FailedEntryCount"] == 0

    # In place: the statement's actions change, the others stay.
    made["Rules0"].update(statement("Rules0", ["events:DescribeRule"]))
    policy = bus_policy(events.describe_event_bus(Name="devops"))
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["Rules0"]["Action"] == ["events:DescribeRule"]
    assert sorted(by_sid) == sids
    with pytest.raises(ResourceFailed) as caught:
        provision(
            server,
            account_id,
            "AWS::Events::EventBusPolicy",
            statement("Rules1", ["events:PutRule"]),
        )
    assert str(caught.value) == (
        "Resource of type 'AWS::Events::EventBusPolicy' with identifier 'Rules1' already exists."
    )

    legacy.delete()
    made["Rules0"].delete()
    policy = bus_policy(events.describe_event_bus(Name="devops"))
    assert sorted(s["Sid"] for s in policy["Statement"]) == ["Rules1", "Rules2", "Rules3"]
    with pytest.raises(ClientError) as denied:
        blue.put_events(Entries=[entry])
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    legacy.delete()  # already gone: still deleted


def stack_role(server: LiveServer, account_id: str, allowed: str | None = None) -> Principal:
    """A session of a role that CloudFormation assumes for a stack (its `RoleARN`), allowed
    only the `allowed` actions."""
    iam = server.client("iam", account_id)
    trust = service_trust("cloudformation.amazonaws.com")
    role = iam.create_role(RoleName="StackRole", AssumeRolePolicyDocument=trust)["Role"]
    if allowed:
        statement = {"Effect": "Allow", "Action": allowed, "Resource": "*"}
        document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        iam.put_role_policy(RoleName="StackRole", PolicyName="p", PolicyDocument=document)
    platform = server.airlock.platform
    with platform.db.read() as session:
        return assume_role_for_service(
            session,
            platform.clock,
            service_principal="cloudformation.amazonaws.com",
            role_arn=role["Arn"],
            session_name="AWSCloudFormation",
            source_account=account_id,
        )


def test_a_principal_without_permission_is_refused(
    server: LiveServer, account_id: str, region: str
) -> None:
    principal = stack_role(server, account_id, "events:*Rule")
    with pytest.raises(ServiceError) as caught:
        provision(
            server, account_id, "AWS::Events::EventBus", {"Name": "nope"}, principal=principal
        )
    assert (caught.value.code, caught.value.message) == (
        "AccessDeniedException",
        f"User: {principal.arn} is not authorized to perform: events:CreateEventBus on "
        f"resource: arn:aws:events:{region}:{account_id}:event-bus/nope because no "
        "identity-based policy allows the events:CreateEventBus action",
    )
    with pytest.raises(ClientError):
        server.client("events").describe_event_bus(Name="nope")
