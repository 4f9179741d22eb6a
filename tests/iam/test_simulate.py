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


OBJECT = "arn:aws:s3:::shared-models/iris.tar.gz"


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def allow_read(sid: str, principal: str | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::shared-models/*",
    }
    if principal is not None:
        statement["Principal"] = {"AWS": principal}
    return statement


def deny_read(sid: str, principal: str) -> dict[str, Any]:
    return {**allow_read(sid, principal), "Effect": "Deny"}


UNRELATED = policy({"Sid": "Lists", "Effect": "Allow", "Action": "iam:List*", "Resource": "*"})
READS = policy(allow_read("ReadModels"))


def simulate_read(
    iam: Any, identity: str, resource_policy: str, caller: str, **extra: Any
) -> dict[str, Any]:
    answers = iam.simulate_custom_policy(
        PolicyInputList=[identity],
        ActionNames=["s3:GetObject"],
        ResourceArns=[OBJECT],
        ResourcePolicy=resource_policy,
        CallerArn=caller,
        **extra,
    )["EvaluationResults"]
    assert len(answers) == 1
    result: dict[str, Any] = answers[0]
    specific = result["ResourceSpecificResults"]
    assert [(r["EvalResourceName"], r["EvalResourceDecision"]) for r in specific] == [
        (OBJECT, result["EvalDecision"])
    ]
    assert specific[0]["MatchedStatements"] == result["MatchedStatements"]
    return result


def matched(result: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((m["SourcePolicyId"], m["SourcePolicyType"]) for m in result["MatchedStatements"])


def test_same_account_caller_named_by_the_resource_policy(iam: Any, account_id: str) -> None:
    alice = f"arn:aws:iam::{account_id}:user/alice"
    for owner in ({}, {"ResourceOwner": f"arn:aws:iam::{account_id}:root"}):
        named = simulate_read(iam, UNRELATED, policy(allow_read("Alice", alice)), alice, **owner)
        assert named["EvalDecision"] == "allowed", owner
        assert matched(named) == [("Alice", "resource")]
        # Within one account the details are present for a named resource, and empty.
        assert named["EvalDecisionDetails"] == {}
        assert "EvalDecisionDetails" not in named["ResourceSpecificResults"][0]
    someone_else = policy(allow_read("Bob", f"arn:aws:iam::{account_id}:user/bob"))
    assert simulate_read(iam, UNRELATED, someone_else, alice)["EvalDecision"] == "implicitDeny"
    # Naming only the account leaves the decision to the account's identity policies.
    account_only = policy(allow_read("Account", f"arn:aws:iam::{account_id}:root"))
    assert simulate_read(iam, UNRELATED, account_only, alice)["EvalDecision"] == "implicitDeny"
    delegated = simulate_read(iam, READS, account_only, alice)
    assert delegated["EvalDecision"] == "allowed"
    assert matched(delegated) == [("Account", "resource"), ("ReadModels", "user-managed")]


def test_explicit_deny_in_the_resource_policy(iam: Any, account_id: str) -> None:
    alice = f"arn:aws:iam::{account_id}:user/alice"
    both = policy(allow_read("Everyone", "*"), deny_read("NotAlice", alice))
    denied = simulate_read(iam, READS, both, alice)
    assert denied["EvalDecision"] == "explicitDeny"
    assert matched(denied) == [("NotAlice", "resource")]
    other = simulate_read(iam, READS, both, f"arn:aws:iam::{account_id}:user/bob")
    assert other["EvalDecision"] == "allowed"


@pytest.mark.parametrize("caller_is_home", [True, False], ids=["outbound", "inbound"])
def test_cross_account_needs_both_sides(
    server: LiveServer, iam: Any, account_id: str, caller_is_home: bool
) -> None:
    other = server.create_account("other")
    # Outbound: a caller of the simulating account, a resource of another; inbound: the reverse.
    caller_account, owner = (account_id, other) if caller_is_home else (other, account_id)
    alice = f"arn:aws:iam::{caller_account}:user/alice"
    names_alice = policy(allow_read("Alice", alice))
    names_account = policy(allow_read("Account", f"arn:aws:iam::{caller_account}:root"))
    names_bob = policy(allow_read("Bob", f"arn:aws:iam::{caller_account}:user/bob"))
    cases = [
        (READS, names_alice, "allowed", "allowed", "allowed"),
        (READS, names_account, "allowed", "allowed", "allowed"),
        (READS, names_bob, "implicitDeny", "allowed", "implicitDeny"),
        (UNRELATED, names_alice, "implicitDeny", "implicitDeny", "allowed"),
        (UNRELATED, names_account, "implicitDeny", "implicitDeny", "allowed"),
        (READS, policy(deny_read("NoAlice", alice)), "explicitDeny", "allowed", "explicitDeny"),
    ]
    for resource_owner in (owner, f"arn:aws:iam::{owner}:root", f"arn:aws:iam::{owner}:user/x"):
        for identity, resource_policy, decision, own_side, their_side in cases:
            result = simulate_read(
                iam, identity, resource_policy, alice, ResourceOwner=resource_owner
            )
            details = {"IAM Policy": own_side, "Resource Policy": their_side}
            assert (result["EvalDecision"], result["EvalDecisionDetails"]) == (
                decision,
                details,
            ), (resource_owner, resource_policy)
            assert result["ResourceSpecificResults"][0]["EvalDecisionDetails"] == details
    allowed = simulate_read(iam, READS, names_alice, alice, ResourceOwner=owner)
    assert matched(allowed) == [("Alice", "resource"), ("ReadModels", "user-managed")]
    denied = simulate_read(
        iam, READS, policy(deny_read("NoAlice", alice)), alice, ResourceOwner=owner
    )
    assert matched(denied) == [("NoAlice", "resource")]
    # Without a ResourceOwner the resource is the caller's account's: one account.
    at_home = simulate_read(iam, UNRELATED, names_alice, alice)
    assert (at_home["EvalDecision"], at_home["EvalDecisionDetails"]) == ("allowed", {})


def test_resource_arn_names_its_owner(server: LiveServer, iam: Any, account_id: str) -> None:
    owner = server.create_account("owner")
    queue = f"arn:aws:sqs:us-east-1:{owner}:jobs"
    alice, bob = (f"arn:aws:iam::{account_id}:user/{name}" for name in ("alice", "bob"))
    send = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
    for named, decision in ((bob, "implicitDeny"), (alice, "allowed")):
        # No ResourceOwner: the queue's ARN says whose it is, so the call is cross-account.
        result = iam.simulate_custom_policy(
            PolicyInputList=[policy(send)],
            ActionNames=["sqs:SendMessage"],
            ResourceArns=[queue],
            ResourcePolicy=policy({**send, "Principal": {"AWS": named}}),
            CallerArn=alice,
        )["EvaluationResults"][0]
        assert (result["EvalDecision"], result["EvalDecisionDetails"]) == (
            decision,
            {"IAM Policy": "allowed", "Resource Policy": decision},
        )


def test_simulate_principal_policy_with_a_resource_policy_agrees_with_real_calls(
    server_on_each_database: LiveServer,
) -> None:
    server = server_on_each_database
    home, owner = server.first_account_id(), server.create_account("owner")
    iam = server.client("iam", home)
    iam.create_user(UserName="reader")
    iam.put_user_policy(
        UserName="reader",
        PolicyName="reads",
        PolicyDocument=policy(
            {"Sid": "ReadShared", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
        ),
    )
    reader_arn = f"arn:aws:iam::{home}:user/reader"
    bucket_policy = policy(allow_read("Reader", reader_arn))
    owner_s3 = server.client("s3", owner)
    owner_s3.create_bucket(Bucket="shared-models")
    owner_s3.put_object(Bucket="shared-models", Key="iris.tar.gz", Body=b"model")
    owner_s3.put_bucket_policy(Bucket="shared-models", Policy=bucket_policy)
    answers = iam.simulate_principal_policy(
        PolicySourceArn=reader_arn,
        ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=[OBJECT],
        ResourcePolicy=bucket_policy,
        ResourceOwner=f"arn:aws:iam::{owner}:root",
    )["EvaluationResults"]
    decisions = {
        a["EvalActionName"]: (a["EvalDecision"], a["EvalDecisionDetails"]) for a in answers
    }
    assert decisions == {
        "s3:GetObject": ("allowed", {"IAM Policy": "allowed", "Resource Policy": "allowed"}),
        "s3:PutObject": (
            "implicitDeny",
            {"IAM Policy": "allowed", "Resource Policy": "implicitDeny"},
        ),
    }
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = server.client("s3", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    assert reader.get_object(Bucket="shared-models", Key="iris.tar.gz")["Body"].read() == b"model"
    with pytest.raises(ClientError) as caught:
        reader.put_object(Bucket="shared-models", Key="iris.tar.gz", Body=b"mine")
    assert error_of(caught) == (
        "AccessDenied",
        f"User: {reader_arn} is not authorized to perform: s3:PutObject on resource: {OBJECT} "
        "because no resource-based policy allows the s3:PutObject action",
    )

    # A role's policies, with the role as the caller the resource policy names.
    iam.create_role(
        RoleName="trainer",
        AssumeRolePolicyDocument=policy(
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
    )
    iam.put_role_policy(RoleName="trainer", PolicyName="reads", PolicyDocument=READS)
    trainer_arn = f"arn:aws:iam::{home}:role/trainer"
    for resource_policy, decision in (
        (policy(allow_read("Trainer", trainer_arn)), "allowed"),
        (bucket_policy, "implicitDeny"),
    ):
        result = simulate_principal_read(iam, trainer_arn, resource_policy, owner)
        assert result["EvalDecision"] == decision
    # A CallerArn stands in for the source entity: the reader's policies, called as the role.
    as_trainer = simulate_principal_read(
        iam, reader_arn, bucket_policy, owner, CallerArn=trainer_arn
    )
    assert as_trainer["EvalDecisionDetails"] == {
        "IAM Policy": "allowed",
        "Resource Policy": "implicitDeny",
    }


def simulate_principal_read(
    iam: Any, source: str, resource_policy: str, owner: str, **extra: Any
) -> dict[str, Any]:
    result: dict[str, Any] = iam.simulate_principal_policy(
        PolicySourceArn=source,
        ActionNames=["s3:GetObject"],
        ResourceArns=[OBJECT],
        ResourcePolicy=resource_policy,
        ResourceOwner=owner,
        **extra,
    )["EvaluationResults"][0]
    return result


def test_bad_resource_policy_input(iam: Any, account_id: str) -> None:
    alice = f"arn:aws:iam::{account_id}:user/alice"
    bad: list[tuple[dict[str, Any], tuple[str, str]]] = [
        (
            {"ResourcePolicy": "{not json", "CallerArn": alice},
            ("MalformedPolicyDocument", "This policy contains invalid Json"),
        ),
        (
            {"ResourcePolicy": READS, "CallerArn": alice},
            ("MalformedPolicyDocument", "Missing required field Principal"),
        ),
        (
            {"ResourcePolicy": policy(allow_read("Alice", alice))},
            (
                "InvalidInput",
                "CallerArn is required with a ResourcePolicy: it is the principal that the "
                "resource policy's Principal element is evaluated against.",
            ),
        ),
        (
            {"CallerArn": alice, "ResourceOwner": "shared-models"},
            ("InvalidInput", "'shared-models' is not a valid as a Resource Owner."),
        ),
        (
            {"CallerArn": f"arn:aws:sts::{account_id}:assumed-role/trainer/job-1"},
            (
                "InvalidInput",
                f"Invalid CallerArn: arn:aws:sts::{account_id}:assumed-role/trainer/job-1. "
                "Give the ARN of an IAM user, group or role; assumed roles, federated users "
                "and service principals cannot be simulated callers.",
            ),
        ),
    ]
    for extra, expected in bad:
        with pytest.raises(ClientError) as caught:
            iam.simulate_custom_policy(
                PolicyInputList=[READS], ActionNames=["s3:GetObject"], **extra
            )
        assert error_of(caught) == expected, extra
