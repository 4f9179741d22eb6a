"""The audit trail through CloudTrail LookupEvents: allowed and denied calls, both accounts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer


def events(client: Any, **lookup: str) -> list[dict[str, Any]]:
    """Events of the client's account (optionally filtered by one attribute), newest first."""
    attributes = [{"AttributeKey": k, "AttributeValue": v} for k, v in lookup.items()]
    found = (
        client.lookup_events(LookupAttributes=attributes)["Events"]
        if attributes
        else client.lookup_events()["Events"]
    )
    return [dict(e, Detail=json.loads(e["CloudTrailEvent"])) for e in found]


def test_allowed_and_denied_calls_are_recorded(server: LiveServer, account_id: str) -> None:
    iam = server.client("iam", account_id)
    iam.create_user(UserName="auditor")
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    denied_client = server.client("iam", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    with pytest.raises(ClientError):
        denied_client.list_roles()

    trail = server.client("cloudtrail", account_id)
    created = events(trail, EventName="CreateUser")
    assert len(created) == 1
    detail = created[0]["Detail"]
    assert created[0]["EventSource"] == "iam.amazonaws.com"
    assert created[0]["ReadOnly"] == "false"
    assert created[0]["Username"] == "root"
    assert detail["userIdentity"]["type"] == "Root"
    assert detail["requestParameters"] == {"userName": "auditor"}
    assert detail["responseElements"]["user"]["userName"] == "auditor"
    assert detail["recipientAccountId"] == account_id
    assert detail["eventID"] == created[0]["EventId"]

    key_event = events(trail, EventName="CreateAccessKey")[0]["Detail"]
    assert (
        key_event["responseElements"]["accessKey"]["secretAccessKey"]
        == "HIDDEN_DUE_TO_SECURITY_REASONS"
    )
    assert key_event["responseElements"]["accessKey"]["accessKeyId"] == key["AccessKeyId"]

    [denied] = events(trail, AccessKeyId=key["AccessKeyId"])
    assert denied["EventName"] == "ListRoles" and denied["ReadOnly"] == "true"
    assert denied["Detail"]["errorCode"] == "AccessDenied"
    assert denied["Detail"]["errorMessage"].startswith(
        f"User: arn:aws:iam::{account_id}:user/auditor is not authorized to perform: iam:ListRoles"
    )
    assert denied["Detail"]["userIdentity"]["type"] == "IAMUser"
    assert denied["Detail"]["userIdentity"]["userName"] == "auditor"
    assert events(trail, Username="auditor")[0]["EventId"] == denied["EventId"]
    assert [e["EventName"] for e in events(trail, ReadOnly="false")][:2] == [
        "CreateAccessKey",
        "CreateUser",
    ]


def test_cross_account_calls_are_in_both_trails(server: LiveServer, account_id: str) -> None:
    other = server.create_account("partner")
    server.client("iam", other).create_role(
        RoleName="shared",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": account_id},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    server.client("iam", other).attach_role_policy(
        RoleName="shared", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )
    role_arn = f"arn:aws:iam::{other}:role/shared"
    creds = server.client("sts", account_id).assume_role(RoleArn=role_arn, RoleSessionName="audit")[
        "Credentials"
    ]
    server.session_client("iam", creds).list_roles()

    mine = events(server.client("cloudtrail", account_id), EventName="AssumeRole")
    theirs = events(server.client("cloudtrail", other), EventName="AssumeRole")
    assert len(mine) == len(theirs) == 1
    assert mine[0]["Detail"]["sharedEventID"] == theirs[0]["Detail"]["sharedEventID"]
    assert mine[0]["Detail"]["recipientAccountId"] == account_id
    assert theirs[0]["Detail"]["recipientAccountId"] == other
    assert (
        mine[0]["Detail"]["responseElements"]["credentials"]["secretAccessKey"]
        == "HIDDEN_DUE_TO_SECURITY_REASONS"
    )
    assert role_arn in [r["ResourceName"] for r in theirs[0]["Resources"]]
    assert (
        events(server.client("cloudtrail", other), ResourceName=role_arn)[0]["EventName"]
        == "AssumeRole"
    )

    # The session's own calls land in the role's account, with the session context.
    [listed] = events(server.client("cloudtrail", other), EventName="ListRoles")
    identity = listed["Detail"]["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{other}:assumed-role/shared/audit"
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == role_arn
    # Each account sees only its own trail.
    assert events(server.client("cloudtrail", account_id), EventName="ListRoles") == []


def test_lookup_rules(server: LiveServer, account_id: str) -> None:
    trail = server.client("cloudtrail", account_id)
    with pytest.raises(ClientError) as caught:
        trail.lookup_events(
            LookupAttributes=[
                {"AttributeKey": "EventName", "AttributeValue": "a"},
                {"AttributeKey": "Username", "AttributeValue": "b"},
            ]
        )
    assert caught.value.response["Error"]["Code"] == "InvalidLookupAttributesException"
    iam = server.client("iam", account_id)
    for index in range(3):
        iam.create_group(GroupName=f"g{index}")
    pages = list(
        trail.get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateGroup"}],
            PaginationConfig={"PageSize": 2},
        )
    )
    assert [len(p["Events"]) for p in pages] == [2, 1]


def test_time_range(server: LiveServer, account_id: str) -> None:
    from datetime import UTC, datetime, timedelta

    server.client("iam", account_id).create_group(GroupName="timed")
    trail = server.client("cloudtrail", account_id)
    now = datetime.now(UTC)
    recent = trail.lookup_events(
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=5)
    )
    assert "CreateGroup" in [e["EventName"] for e in recent["Events"]]
    old = trail.lookup_events(StartTime=now - timedelta(days=2), EndTime=now - timedelta(days=1))
    assert old["Events"] == []
    with pytest.raises(ClientError) as caught:
        trail.lookup_events(StartTime=now, EndTime=now - timedelta(days=1))
    assert caught.value.response["Error"]["Code"] == "InvalidTimeRangeException"


@pytest.mark.parametrize(
    ("service", "arn", "call"),
    [
        (
            "events",
            "arn:aws:events:us-east-1:000000000000:rule/nobody",
            lambda client, arn: client.list_tags_for_resource(ResourceARN=arn),
        ),
        (
            "logs",
            "arn:aws:logs:us-east-1:000000000000:log-group:nobody",
            lambda client, arn: client.tag_resource(resourceArn=arn, tags={"k": "v"}),
        ),
    ],
    ids=["events", "logs"],
)
def test_denial_on_a_nonexistent_account_is_recorded(
    server_on_each_database: LiveServer, service: str, arn: str, call: Any
) -> None:
    # The ARN names an account nobody has: no trail can receive the event, but the
    # caller's trail must still get the denial (writing it once broke the call with a 500).
    server = server_on_each_database
    account_id = server.first_account_id()
    with pytest.raises(ClientError) as caught:
        call(server.client(service, account_id), arn)
    error = caught.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].startswith(
        f"User: arn:aws:iam::{account_id}:root is not authorized to perform: "
    )
    assert arn in error["Message"]

    trail = server.client("cloudtrail", account_id)
    [denied] = [e for e in events(trail, EventSource=f"{service}.amazonaws.com")]
    assert denied["Detail"]["errorCode"] == "AccessDeniedException"
    assert denied["Detail"]["errorMessage"] == error["Message"]
    assert denied["Detail"]["recipientAccountId"] == account_id
    assert [r["ARN"] for r in denied["Detail"]["resources"]] == [arn]
