"""A rule or target that names a role hands it to EventBridge: the caller needs iam:PassRole."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer, policy_document, policy_user, service_trust


def test_targets_and_rules_with_a_role_need_pass_role(server: LiveServer, account_id: str) -> None:
    iam = server.client("iam")
    role = iam.create_role(
        RoleName="Forwarder", AssumeRolePolicyDocument=service_trust("events.amazonaws.com")
    )
    role_arn = role["Role"]["Arn"]
    all_events = {"Effect": "Allow", "Action": "events:*", "Resource": "*"}
    events, user = policy_user(server, "wiring", "events", all_events)
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["app"]}))
    other = server.create_account("other")
    target = {"Id": "bus", "Arn": f"arn:aws:events:us-east-1:{other}:event-bus/default"}
    expected = (
        f"User: {user} is not authorized to perform: iam:PassRole on resource: {role_arn} "
        "because no identity-based policy allows the iam:PassRole action"
    )
    with pytest.raises(ClientError) as caught:
        events.put_targets(Rule="r", Targets=[{**target, "RoleArn": role_arn}])
    assert caught.value.response["Error"] == {"Code": "AccessDeniedException", "Message": expected}
    assert events.list_targets_by_rule(Rule="r")["Targets"] == []
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="r2", ScheduleExpression="rate(1 hour)", RoleArn=role_arn)
    assert caught.value.response["Error"] == {"Code": "AccessDeniedException", "Message": expected}
    assert [r["Name"] for r in events.list_rules()["Rules"]] == ["r"]
    # Without a role nothing is passed; passing to another service is not passing to this one.
    events.put_targets(Rule="r", Targets=[target])
    to_sagemaker = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": role_arn,
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    }
    iam.put_user_policy(
        UserName="wiring", PolicyName="p", PolicyDocument=policy_document(all_events, to_sagemaker)
    )
    with pytest.raises(ClientError) as caught:
        events.put_targets(Rule="r", Targets=[{**target, "RoleArn": role_arn}])
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    to_events = {
        **to_sagemaker,
        "Condition": {"StringEquals": {"iam:PassedToService": "events.amazonaws.com"}},
    }
    iam.put_user_policy(
        UserName="wiring", PolicyName="p", PolicyDocument=policy_document(all_events, to_events)
    )
    answer = events.put_targets(Rule="r", Targets=[{**target, "RoleArn": role_arn}])
    assert answer["FailedEntryCount"] == 0
    assert events.list_targets_by_rule(Rule="r")["Targets"][0]["RoleArn"] == role_arn
