"""The evaluation engine, one table row per rule of AWS's policy evaluation logic
("Policy evaluation logic", "Cross-account policy evaluation logic", "Permissions
boundaries", "Session policies", "Service control policies")."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from airlock.iam.policy import (
    AuthzRequest,
    Caller,
    PolicyKind,
    PolicySet,
    evaluate,
    parse_policy,
    resource_policy_decision,
)

A, B = "111111111111", "222222222222"
ALICE = Caller(f"arn:aws:iam::{A}:user/alice", A)
ROOT_A = Caller(f"arn:aws:iam::{A}:root", A, is_root=True)
SESSION = Caller(
    f"arn:aws:sts::{A}:assumed-role/deployer/build-1", A, role_arn=f"arn:aws:iam::{A}:role/deployer"
)
BUCKET_B = "arn:aws:s3:::models-b/iris.tar.gz"


def pol(*statements: dict[str, Any], kind: PolicyKind = PolicyKind.IDENTITY) -> Any:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), kind)


def allow(action: str = "s3:GetObject", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str = "s3:GetObject", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def rp(*statements: dict[str, Any]) -> Any:
    return pol(*statements, kind=PolicyKind.RESOURCE)


@dataclass
class Case:
    rule: str
    expected: str
    identity: list[Any] = field(default_factory=list)
    resource: Any = None
    boundary: Any = None
    session: list[Any] = field(default_factory=list)
    scps: list[list[Any]] | None = None
    caller: Caller = ALICE
    action: str = "s3:GetObject"
    target: str = "arn:aws:s3:::models-a/iris.tar.gz"
    owner: str | None = None
    context: dict[str, list[str]] = field(default_factory=dict)
    reason: str | None = None
    trust: bool = False


FULL = pol(allow("*"))
CASES = [
    Case(
        "default deny: no policy allows",
        "implicitDeny",
        reason="because no identity-based policy allows the s3:GetObject action",
    ),
    Case("identity allow grants", "allowed", identity=[pol(allow())]),
    Case(
        "allow for another action does not grant",
        "implicitDeny",
        identity=[pol(allow("s3:PutObject"))],
    ),
    Case("action wildcard", "allowed", identity=[pol(allow("s3:Get*"))]),
    Case("action match is case-insensitive", "allowed", identity=[pol(allow("S3:getobject"))]),
    Case("action ? wildcard", "allowed", identity=[pol(allow("s3:GetObjec?"))]),
    Case("star action", "allowed", identity=[FULL]),
    Case(
        "NotAction allows everything else",
        "allowed",
        identity=[pol({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})],
    ),
    Case(
        "NotAction excludes the named action",
        "implicitDeny",
        identity=[pol({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})],
    ),
    Case(
        "resource must match",
        "implicitDeny",
        identity=[pol(allow(resource="arn:aws:s3:::other/*"))],
    ),
    Case("resource wildcard", "allowed", identity=[pol(allow(resource="arn:aws:s3:::models-a/*"))]),
    Case(
        "resource match is case-sensitive",
        "implicitDeny",
        identity=[pol(allow(resource="arn:aws:s3:::MODELS-A/*"))],
    ),
    Case(
        "NotResource allows other resources",
        "allowed",
        identity=[
            pol({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"})
        ],
    ),
    Case(
        "NotResource excludes the named resource",
        "implicitDeny",
        identity=[
            pol({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::models-a/*"})
        ],
    ),
    Case(
        "explicit deny beats allow",
        "explicitDeny",
        identity=[FULL, pol(deny())],
        reason="with an explicit deny in an identity-based policy",
    ),
    Case("deny in the same policy beats allow", "explicitDeny", identity=[pol(allow(), deny())]),
    Case(
        "deny for another action does not apply",
        "allowed",
        identity=[pol(allow(), deny("s3:PutObject"))],
    ),
    Case(
        "deny with unmet condition does not apply",
        "allowed",
        identity=[pol(allow(), deny(Condition={"Bool": {"aws:SecureTransport": "false"}}))],
        context={"aws:SecureTransport": ["true"]},
    ),
    Case(
        "deny with met condition applies",
        "explicitDeny",
        identity=[pol(allow(), deny(Condition={"Bool": {"aws:SecureTransport": "false"}}))],
        context={"aws:SecureTransport": ["false"]},
    ),
    Case(
        "allow with unmet condition does not grant",
        "implicitDeny",
        identity=[pol(allow(Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}))],
        context={"aws:RequestedRegion": ["us-east-1"]},
    ),
    Case(
        "allow with met condition grants",
        "allowed",
        identity=[pol(allow(Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}}))],
        context={"aws:RequestedRegion": ["us-east-1"]},
    ),
    Case(
        "several condition keys are AND'ed",
        "implicitDeny",
        identity=[
            pol(
                allow(
                    Condition={
                        "StringEquals": {"aws:RequestedRegion": "us-east-1", "aws:username": "bob"}
                    }
                )
            )
        ],
        context={"aws:RequestedRegion": ["us-east-1"], "aws:username": ["alice"]},
    ),
    Case(
        "several operators are AND'ed",
        "allowed",
        identity=[
            pol(
                allow(
                    Condition={
                        "StringEquals": {"aws:username": "alice"},
                        "Bool": {"aws:SecureTransport": "true"},
                    }
                )
            )
        ],
        context={"aws:username": ["alice"], "aws:SecureTransport": ["true"]},
    ),
    Case(
        "resource with ${aws:username}",
        "allowed",
        identity=[pol(allow(resource="arn:aws:s3:::home/${aws:username}/*"))],
        target="arn:aws:s3:::home/alice/notes",
        context={"aws:username": ["alice"]},
    ),
    Case(
        "${aws:username} does not reach another home",
        "implicitDeny",
        identity=[pol(allow(resource="arn:aws:s3:::home/${aws:username}/*"))],
        target="arn:aws:s3:::home/bob/notes",
        context={"aws:username": ["alice"]},
    ),
    Case(
        "unresolved variable in a resource matches nothing",
        "implicitDeny",
        identity=[pol(allow(resource="arn:aws:s3:::home/${aws:username}/*"))],
        target="arn:aws:s3:::home/alice/notes",
    ),
    Case(
        "variable values match literally",
        "implicitDeny",
        identity=[pol(allow(resource="arn:aws:s3:::home/${aws:username}"))],
        target="arn:aws:s3:::home/alice",
        context={"aws:username": ["a*"]},
    ),
    Case("root may do anything in its own account", "allowed", caller=ROOT_A),
    Case(
        "root is still bound by an explicit deny in a resource policy",
        "explicitDeny",
        caller=ROOT_A,
        resource=rp(deny(Principal="*")),
    ),
    Case(
        "root is bound by SCP denies",
        "explicitDeny",
        caller=ROOT_A,
        scps=[[FULL], [pol(deny())]],
        reason="with an explicit deny in a service control policy",
    ),
    Case(
        "root cannot enter another account without its resource policy",
        "implicitDeny",
        caller=ROOT_A,
        target=BUCKET_B,
        owner=B,
        reason="because no resource-based policy allows the s3:GetObject action",
    ),
    Case(
        "root enters another account with its resource policy",
        "allowed",
        caller=ROOT_A,
        target=BUCKET_B,
        owner=B,
        resource=rp(allow(Principal={"AWS": A})),
    ),
    Case(
        "same account: resource policy alone grants",
        "allowed",
        resource=rp(allow(Principal={"AWS": ALICE.arn})),
    ),
    Case(
        "same account: resource policy for another principal does not grant",
        "implicitDeny",
        resource=rp(allow(Principal={"AWS": f"arn:aws:iam::{A}:user/bob"})),
    ),
    Case("resource policy Principal * grants anyone", "allowed", resource=rp(allow(Principal="*"))),
    Case(
        "same account: a resource policy naming only the account delegates to identity policies",
        "implicitDeny",
        resource=rp(allow(Principal={"AWS": A})),
    ),
    Case(
        "same account: account-level resource grant plus identity allow",
        "allowed",
        identity=[pol(allow())],
        resource=rp(allow(Principal={"AWS": f"arn:aws:iam::{A}:root"})),
    ),
    Case(
        "same account: trust policy naming the user lets it assume the role",
        "allowed",
        action="sts:AssumeRole",
        target=f"arn:aws:iam::{A}:role/x",
        owner=A,
        resource=pol(
            {"Effect": "Allow", "Principal": {"AWS": ALICE.arn}, "Action": "sts:AssumeRole"},
            kind=PolicyKind.TRUST,
        ),
    ),
    Case(
        "same account: trust policy naming the account needs the user's identity allow",
        "implicitDeny",
        action="sts:AssumeRole",
        target=f"arn:aws:iam::{A}:role/x",
        owner=A,
        resource=pol(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
                "Action": "sts:AssumeRole",
            },
            kind=PolicyKind.TRUST,
        ),
    ),
    Case(
        "explicit deny in a resource policy wins",
        "explicitDeny",
        identity=[FULL],
        resource=rp(deny(Principal={"AWS": ALICE.arn})),
        reason="with an explicit deny in a resource-based policy",
    ),
    Case(
        "resource deny for another principal does not apply",
        "allowed",
        identity=[FULL],
        resource=rp(deny(Principal={"AWS": f"arn:aws:iam::{A}:user/bob"})),
    ),
    Case(
        "NotPrincipal deny spares the named principal",
        "allowed",
        identity=[FULL],
        resource=rp(
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": ALICE.arn},
                "Action": "s3:*",
                "Resource": "*",
            }
        ),
    ),
    Case(
        "NotPrincipal deny applies to others",
        "explicitDeny",
        caller=Caller(f"arn:aws:iam::{A}:user/bob", A),
        identity=[FULL],
        resource=rp(
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": ALICE.arn},
                "Action": "s3:*",
                "Resource": "*",
            }
        ),
    ),
    Case(
        "cross account: identity and resource policy both allow",
        "allowed",
        identity=[pol(allow())],
        resource=rp(allow(Principal={"AWS": ALICE.arn})),
        target=BUCKET_B,
        owner=B,
    ),
    Case(
        "cross account: resource policy alone is not enough",
        "implicitDeny",
        resource=rp(allow(Principal={"AWS": ALICE.arn})),
        target=BUCKET_B,
        owner=B,
        reason="because no identity-based policy allows the s3:GetObject action",
    ),
    Case(
        "cross account: identity policy alone is not enough",
        "implicitDeny",
        identity=[pol(allow())],
        target=BUCKET_B,
        owner=B,
        reason="because no resource-based policy allows the s3:GetObject action",
    ),
    Case(
        "cross account: resource policy may name the account root",
        "allowed",
        identity=[pol(allow())],
        resource=rp(allow(Principal={"AWS": f"arn:aws:iam::{A}:root"})),
        target=BUCKET_B,
        owner=B,
    ),
    Case(
        "cross account: resource policy naming the account id",
        "allowed",
        identity=[pol(allow())],
        resource=rp(allow(Principal={"AWS": A})),
        target=BUCKET_B,
        owner=B,
    ),
    Case(
        "cross account: resource policy naming another account",
        "implicitDeny",
        identity=[pol(allow())],
        resource=rp(allow(Principal={"AWS": "333333333333"})),
        target=BUCKET_B,
        owner=B,
    ),
    Case(
        "role session named by its role ARN",
        "allowed",
        caller=SESSION,
        identity=[pol(allow())],
        resource=rp(allow(Principal={"AWS": SESSION.role_arn})),
        target=BUCKET_B,
        owner=B,
    ),
    Case(
        "role session named by its session ARN",
        "allowed",
        caller=SESSION,
        identity=[pol(allow())],
        resource=rp(allow(Principal={"AWS": SESSION.arn})),
        target=BUCKET_B,
        owner=B,
    ),
    Case(
        "permissions boundary limits identity grants",
        "implicitDeny",
        identity=[FULL],
        boundary=pol(allow("s3:PutObject")),
        reason="because no permissions boundary allows the s3:GetObject action",
    ),
    Case(
        "permissions boundary that allows lets the grant through",
        "allowed",
        identity=[pol(allow())],
        boundary=pol(allow("s3:*")),
    ),
    Case("permissions boundary alone grants nothing", "implicitDeny", boundary=FULL),
    Case(
        "deny in a permissions boundary",
        "explicitDeny",
        identity=[FULL],
        boundary=pol(allow("*"), deny()),
        reason="with an explicit deny in a permissions boundary",
    ),
    Case(
        "boundary does not limit a resource policy naming the user",
        "allowed",
        boundary=pol(allow("s3:PutObject")),
        resource=rp(allow(Principal={"AWS": ALICE.arn})),
    ),
    Case(
        "boundary limits a resource policy naming only the account",
        "implicitDeny",
        identity=[FULL],
        boundary=pol(allow("s3:PutObject")),
        resource=rp(allow(Principal={"AWS": A})),
    ),
    Case(
        "session policy narrows a role",
        "implicitDeny",
        caller=SESSION,
        identity=[FULL],
        session=[pol(allow("s3:PutObject"))],
        reason="because no session policy allows the s3:GetObject action",
    ),
    Case(
        "session policy that allows lets the grant through",
        "allowed",
        caller=SESSION,
        identity=[pol(allow())],
        session=[pol(allow("s3:*"))],
    ),
    Case("session policy alone grants nothing", "implicitDeny", caller=SESSION, session=[FULL]),
    Case(
        "deny in a session policy",
        "explicitDeny",
        caller=SESSION,
        identity=[FULL],
        session=[pol(allow("*"), deny())],
        reason="with an explicit deny in a session policy",
    ),
    Case(
        "resource policy naming the session ARN is not limited by the session policy",
        "allowed",
        caller=SESSION,
        session=[pol(allow("s3:PutObject"))],
        resource=rp(allow(Principal={"AWS": SESSION.arn})),
    ),
    Case(
        "SCP FullAWSAccess at every level allows",
        "allowed",
        identity=[pol(allow())],
        scps=[[FULL], [FULL]],
    ),
    Case(
        "SCP must allow at every level",
        "implicitDeny",
        identity=[FULL],
        scps=[[FULL], [pol(allow("ec2:*"))]],
        reason="because no service control policy allows the s3:GetObject action",
    ),
    Case("SCP allow grants nothing by itself", "implicitDeny", scps=[[FULL]]),
    Case(
        "SCP deny beats identity allow", "explicitDeny", identity=[FULL], scps=[[FULL, pol(deny())]]
    ),
    Case(
        "SCP deny with unmet condition does not apply",
        "allowed",
        identity=[FULL],
        scps=[
            [FULL, pol(deny(Condition={"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}))]
        ],
        context={"aws:RequestedRegion": ["us-east-1"]},
    ),
    Case(
        "SCP region deny applies outside the region",
        "explicitDeny",
        identity=[FULL],
        scps=[
            [FULL, pol(deny(Condition={"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}))]
        ],
        context={"aws:RequestedRegion": ["eu-west-1"]},
    ),
    Case(
        "SCP deny applies to cross-account calls of the member",
        "explicitDeny",
        identity=[FULL],
        resource=rp(allow(Principal="*")),
        scps=[[FULL, pol(deny())]],
        target=BUCKET_B,
        owner=B,
    ),
    Case(
        "SCP with NotAction deny list",
        "explicitDeny",
        identity=[FULL],
        scps=[[FULL, pol({"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*"})]],
    ),
    Case(
        "service principal trusted by a trust policy",
        "allowed",
        caller=Caller("sagemaker.amazonaws.com", "sagemaker", service="sagemaker.amazonaws.com"),
        action="sts:AssumeRole",
        target=f"arn:aws:iam::{A}:role/exec",
        owner=A,
        resource=pol(
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
            kind=PolicyKind.TRUST,
        ),
        identity=[FULL],
    ),
    Case(
        "another service principal is not trusted",
        "implicitDeny",
        caller=Caller("codebuild.amazonaws.com", "codebuild", service="codebuild.amazonaws.com"),
        action="sts:AssumeRole",
        target=f"arn:aws:iam::{A}:role/exec",
        owner=A,
        resource=pol(
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
            kind=PolicyKind.TRUST,
        ),
        identity=[FULL],
    ),
    Case(
        "trust policy with ExternalId condition met",
        "allowed",
        identity=[pol(allow("sts:AssumeRole"))],
        action="sts:AssumeRole",
        target=f"arn:aws:iam::{B}:role/x",
        owner=B,
        resource=pol(
            {
                "Effect": "Allow",
                "Principal": {"AWS": A},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "e1"}},
            },
            kind=PolicyKind.TRUST,
        ),
        context={"sts:ExternalId": ["e1"]},
    ),
    Case(
        "trust policy with ExternalId missing",
        "implicitDeny",
        identity=[pol(allow("sts:AssumeRole"))],
        action="sts:AssumeRole",
        target=f"arn:aws:iam::{B}:role/x",
        owner=B,
        resource=pol(
            {
                "Effect": "Allow",
                "Principal": {"AWS": A},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "e1"}},
            },
            kind=PolicyKind.TRUST,
        ),
    ),
    Case(
        "trust without the caller's identity allow (cross account)",
        "implicitDeny",
        action="sts:AssumeRole",
        target=f"arn:aws:iam::{B}:role/x",
        owner=B,
        resource=pol(
            {"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"},
            kind=PolicyKind.TRUST,
        ),
    ),
    Case(
        "2008-10-17 policies keep variables literal",
        "implicitDeny",
        identity=[
            parse_policy(
                json.dumps(
                    {
                        "Version": "2008-10-17",
                        "Statement": allow(resource="arn:aws:s3:::home/${aws:username}"),
                    }
                )
            )
        ],
        target="arn:aws:s3:::home/alice",
        context={"aws:username": ["alice"]},
    ),
    Case(
        "2008-10-17 literal match",
        "allowed",
        identity=[
            parse_policy(
                json.dumps(
                    {
                        "Version": "2008-10-17",
                        "Statement": allow(resource="arn:aws:s3:::home/${aws:username}"),
                    }
                )
            )
        ],
        target="arn:aws:s3:::home/${aws:username}",
    ),
]


CASES.append(
    Case(
        "a trust policy must allow even in its own account",
        "implicitDeny",
        identity=[FULL],
        action="sts:AssumeRole",
        target=f"arn:aws:iam::{A}:role/x",
        owner=A,
        resource=pol(
            {"Effect": "Allow", "Principal": {"AWS": "333333333333"}, "Action": "sts:AssumeRole"},
            kind=PolicyKind.TRUST,
        ),
        trust=True,
        reason="because no resource-based policy allows the sts:AssumeRole action",
    )
)


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_evaluation_rule(case: Case) -> None:
    request = AuthzRequest(case.caller, case.action, case.target, case.owner, case.context)
    policies = PolicySet(
        identity=case.identity,
        resource=case.resource,
        boundary=case.boundary,
        session=case.session,
        scp_levels=case.scps,
        resource_must_allow=case.trust,
    )
    decision = evaluate(request, policies)
    assert decision.decision == case.expected
    if case.reason is not None:
        assert decision.reason == case.reason
        assert decision.message(request) == (
            f"User: {case.caller.arn} is not authorized to perform: {case.action} on resource: "
            f"{case.target} {case.reason}"
        )
    if decision.decision == "explicitDeny":
        assert decision.matched and all(m.statement.effect == "Deny" for m in decision.matched)


CROSS_ACCOUNT = [
    c
    for c in CASES
    if c.owner not in (None, c.caller.account_id) and c.scps is None and not c.trust
]


@pytest.mark.parametrize("case", CROSS_ACCOUNT, ids=[c.rule for c in CROSS_ACCOUNT])
def test_cross_account_decision_is_both_sides(case: Case) -> None:
    """The two halves the simulator reports combine into the engine's decision."""
    request = AuthzRequest(case.caller, case.action, case.target, case.owner, case.context)
    own = evaluate(
        replace(request, resource_account=case.caller.account_id),
        PolicySet(identity=case.identity, boundary=case.boundary, session=case.session),
    )
    theirs = resource_policy_decision(request, case.resource)
    sides = {own.decision, theirs.decision}
    if "explicitDeny" in sides:
        assert case.expected == "explicitDeny"
    elif sides == {"allowed"}:
        assert case.expected == "allowed"
    else:
        assert case.expected == "implicitDeny"


def test_resource_policy_decision_alone() -> None:
    request = AuthzRequest(ALICE, "s3:GetObject", BUCKET_B, B)
    assert resource_policy_decision(request, None).reason == (
        "because no resource-based policy allows the s3:GetObject action"
    )
    named = rp(allow(Principal={"AWS": ALICE.arn}), deny("s3:PutObject", Principal="*"))
    assert resource_policy_decision(request, named).decision == "allowed"
    put = replace(request, action="s3:PutObject")
    denied = resource_policy_decision(put, named)
    assert (denied.decision, denied.reason) == (
        "explicitDeny",
        "with an explicit deny in a resource-based policy",
    )
    assert [m.policy_type for m in denied.matched] == ["resource-based policy"]


def test_case_count() -> None:
    assert len(CASES) >= 70
