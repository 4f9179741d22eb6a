"""Policy grammar checks with AWS's MalformedPolicyDocument messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airlock.iam.policy import MalformedPolicyDocument, PolicyKind, parse_policy, resource_matches
from airlock.iam.policy.document import policy_size


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> str:
    body: dict[str, Any] = {"Statement": list(statements)}
    if version:
        body["Version"] = version
    return json.dumps(body)


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "sagemaker.amazonaws.com"},
    "Action": "sts:AssumeRole",
}

BAD: list[tuple[str, str, PolicyKind, str]] = [
    ("not JSON", "{nope", PolicyKind.IDENTITY, "This policy contains invalid Json"),
    (
        "unknown version",
        doc(ALLOW_ALL, version="2020-01-01"),
        PolicyKind.IDENTITY,
        "The policy failed legacy parsing",
    ),
    (
        "no Statement",
        json.dumps({"Version": "2012-10-17"}),
        PolicyKind.IDENTITY,
        "Syntax errors in policy.",
    ),
    ("empty statement list", doc(), PolicyKind.IDENTITY, "Syntax errors in policy."),
    (
        "missing Effect",
        doc({"Action": "*", "Resource": "*"}),
        PolicyKind.IDENTITY,
        "Missing required field Effect",
    ),
    (
        "bad Effect",
        doc({"Effect": "Permit", "Action": "*", "Resource": "*"}),
        PolicyKind.IDENTITY,
        "Invalid effect: Permit",
    ),
    (
        "missing Action",
        doc({"Effect": "Allow", "Resource": "*"}),
        PolicyKind.IDENTITY,
        "Policy statement must contain actions.",
    ),
    (
        "missing Resource",
        doc({"Effect": "Allow", "Action": "s3:*"}),
        PolicyKind.IDENTITY,
        "Policy statement must contain resources.",
    ),
    (
        "action without vendor",
        doc({"Effect": "Allow", "Action": "GetObject", "Resource": "*"}),
        PolicyKind.IDENTITY,
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ),
    (
        "action with two colons",
        doc({"Effect": "Allow", "Action": "ec2:ec2:Run", "Resource": "*"}),
        PolicyKind.IDENTITY,
        "Actions/Condition can contain only one colon.",
    ),
    (
        "resource not an ARN",
        doc({"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}),
        PolicyKind.IDENTITY,
        'Resource bucket must be in ARN format or "*".',
    ),
    (
        "resource ARN cut short",
        doc({"Effect": "Allow", "Action": "ecr:*", "Resource": "arn:aws:ecr"}),
        PolicyKind.IDENTITY,
        'Resource arn:aws:ecr must be in ARN format or "*".',
    ),
    (
        "resource ARN cut short after a segment",
        doc({"Effect": "Allow", "Action": "ecr:*", "Resource": "arn:aws:ecr:us-east-1"}),
        PolicyKind.IDENTITY,
        'Resource arn:aws:ecr:us-east-1 must be in ARN format or "*".',
    ),
    (
        "duplicate Sid",
        doc(dict(ALLOW_ALL, Sid="A"), dict(ALLOW_ALL, Sid="A")),
        PolicyKind.IDENTITY,
        "Statement IDs (SID) in a single policy must be unique.",
    ),
    (
        "principal in an identity policy",
        doc(dict(ALLOW_ALL, Principal="*")),
        PolicyKind.IDENTITY,
        "Policy document should not specify a principal.",
    ),
    (
        "trust policy without principal",
        doc({"Effect": "Allow", "Action": "sts:AssumeRole"}),
        PolicyKind.TRUST,
        "Missing required field Principal",
    ),
    (
        "trust policy with resource",
        doc(dict(TRUST, Resource="*")),
        PolicyKind.TRUST,
        "Has prohibited field Resource",
    ),
    (
        "bad AWS principal",
        doc({"Effect": "Allow", "Principal": {"AWS": "bob"}, "Action": "sts:AssumeRole"}),
        PolicyKind.TRUST,
        'Invalid principal in policy: "AWS":"bob"',
    ),
    (
        "unknown condition operator",
        doc(dict(ALLOW_ALL, Condition={"StringEqualz": {"aws:username": "a"}})),
        PolicyKind.IDENTITY,
        "Invalid Condition type : StringEqualz",
    ),
    (
        "Action and NotAction together",
        doc({"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}),
        PolicyKind.IDENTITY,
        "Syntax errors in policy.",
    ),
    (
        "Action of the wrong type",
        doc({"Effect": "Allow", "Action": {"a": 1}, "Resource": "*"}),
        PolicyKind.IDENTITY,
        "Syntax errors in policy.",
    ),
    (
        "SCP with a principal",
        doc(dict(ALLOW_ALL, Principal="*")),
        PolicyKind.SCP,
        "Policy document should not specify a principal.",
    ),
]


@pytest.mark.parametrize(
    ("text", "kind", "message"), [pytest.param(t, k, m, id=n) for n, t, k, m in BAD]
)
def test_malformed_documents(text: str, kind: PolicyKind, message: str) -> None:
    with pytest.raises(MalformedPolicyDocument) as caught:
        parse_policy(text, kind)
    assert caught.value.message == message
    assert caught.value.code == "MalformedPolicyDocument"


def test_valid_documents() -> None:
    single = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": ALLOW_ALL}))
    assert len(single.statements) == 1 and single.statements[0].actions == ("*",)
    trust = parse_policy(doc(TRUST), PolicyKind.TRUST)
    assert trust.statements[0].principals == {"Service": ("sagemaker.amazonaws.com",)}
    anyone = parse_policy(
        doc(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            }
        ),
        PolicyKind.RESOURCE,
    )
    assert anyone.statements[0].principals == {"AWS": ("*",)}
    # A trailing `*` stands for the segments left out, colons and all.
    short = parse_policy(doc({"Effect": "Allow", "Action": "ecr:*", "Resource": "arn:aws:ecr:*"}))
    assert short.statements[0].resources == ("arn:aws:ecr:*",)
    assert resource_matches("arn:aws:ecr:*", "arn:aws:ecr:us-east-1:123456789012:repository/r")
    assert not resource_matches("arn:aws:ecr:*", "arn:aws:s3:::bucket")
    legacy = parse_policy(doc(ALLOW_ALL, version=None))
    assert legacy.version == "2008-10-17" and not legacy.supports_variables


def test_policy_size_ignores_whitespace() -> None:
    assert policy_size('{ "a" :\n  "b c" }') == len('{"a":"bc"}')
