"""The policy simulator agrees with real calls."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_simulate_principal_policy_agrees_with_real_calls(
    server: LiveServer, iam: Any, account_id: str
) -> None:
    iam.create_user(UserName="sim")
    iam.put_user_policy(
        UserName="sim",
        PolicyName="lists",
        PolicyDocument=policy(
            {"Sid": "ListThings", "Effect": "Allow", "Action": "iam:List*", "Resource": "*"},
            {"Sid": "NoRoles", "Effect": "Deny", "Action": "iam:ListRoles", "Resource": "*"},
        ),
    )
    key = iam.create_access_key(UserName="sim")["AccessKey"]
    sim = server.client("iam", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    answers = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{account_id}:user/sim",
        ActionNames=["iam:ListUsers", "iam:ListRoles", "iam:CreateUser"],
    )["EvaluationResults"]
    decisions = {a["EvalActionName"]: a["EvalDecision"] for a in answers}
    assert decisions == {
        "iam:ListUsers": "allowed",
        "iam:ListRoles": "explicitDeny",
        "iam:CreateUser": "implicitDeny",
    }
    assert [m["SourcePolicyId"] for m in answers[1]["MatchedStatements"]] == ["NoRoles"]
    calls: dict[str, Callable[[], Any]] = {
        "iam:ListUsers": lambda: sim.list_users(),
        "iam:ListRoles": lambda: sim.list_roles(),
        "iam:CreateUser": lambda: sim.create_user(UserName="x"),
    }
    for action, call in calls.items():
        if decisions[action] == "allowed":
            call()
        else:
            with pytest.raises(ClientError) as caught:
                call()
            assert caught.value.response["Error"]["Code"] == "AccessDenied"


def test_simulate_custom_policy_with_conditions(iam: Any) -> None:
    document = policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::models/*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
        }
    )
    answers = iam.simulate_custom_policy(
        PolicyInputList=[document],
        ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::models/iris.tar.gz", "arn:aws:s3:::other/x"],
    )["EvaluationResults"]
    assert [a["EvalDecision"] for a in answers] == ["implicitDeny", "implicitDeny"]
    assert answers[0]["MissingContextValues"] == ["aws:RequestedRegion"]
    with_region = iam.simulate_custom_policy(
        PolicyInputList=[document],
        ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::models/iris.tar.gz"],
        ContextEntries=[
            {
                "ContextKeyName": "aws:RequestedRegion",
                "ContextKeyValues": ["us-east-1"],
                "ContextKeyType": "string",
            }
        ],
    )["EvaluationResults"]
    assert with_region[0]["EvalDecision"] == "allowed"
    with pytest.raises(ClientError) as caught:
        iam.simulate_custom_policy(PolicyInputList=["{bad"], ActionNames=["s3:GetObject"])
    assert caught.value.response["Error"]["Code"] == "MalformedPolicyDocument"
