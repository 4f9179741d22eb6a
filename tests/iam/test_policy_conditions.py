"""Condition operators, one table row per documented rule (IAM JSON policy reference,
"Condition operators" and "Single-valued vs. multivalued context keys")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from airlock.iam.policy import key_matches

CTX: dict[str, list[str]] = {
    "aws:username": ["alice"],
    "aws:principaltag/team": ["ml"],
    "aws:sourceip": ["10.1.2.3"],
    "aws:currenttime": ["2026-06-01T12:00:00Z"],
    "aws:epochtime": ["1780315200"],
    "aws:securetransport": ["false"],
    "aws:multifactorauthpresent": ["true"],
    "aws:requestedregion": ["us-east-1"],
    "aws:tagkeys": ["env", "team"],
    "s3:max-keys": ["10"],
    "aws:sourcearn": ["arn:aws:sagemaker:us-east-1:111111111111:pipeline/iris"],
    "sts:externalid": ["ext-123"],
    "binary:key": ["aGVsbG8="],
    "aws:sourceipv6": ["2001:db8::5"],
}


def lookup(key: str) -> Sequence[str] | None:
    return CTX.get(key.lower())


# (rule, operator, key, policy values, expected)
CASES: list[tuple[str, str, str, list[Any], bool]] = [
    ("StringEquals matches exactly", "StringEquals", "aws:username", ["alice"], True),
    ("StringEquals is case-sensitive", "StringEquals", "aws:username", ["Alice"], False),
    ("several values are OR'ed", "StringEquals", "aws:username", ["bob", "alice"], True),
    ("no value matching fails", "StringEquals", "aws:username", ["bob", "carol"], False),
    ("StringNotEquals true when different", "StringNotEquals", "aws:username", ["bob"], True),
    ("StringNotEquals false when equal", "StringNotEquals", "aws:username", ["alice"], False),
    (
        "StringNotEquals needs no value to match",
        "StringNotEquals",
        "aws:username",
        ["bob", "alice"],
        False,
    ),
    (
        "StringEqualsIgnoreCase ignores case",
        "StringEqualsIgnoreCase",
        "aws:username",
        ["ALICE"],
        True,
    ),
    (
        "StringNotEqualsIgnoreCase ignores case",
        "StringNotEqualsIgnoreCase",
        "aws:username",
        ["ALICE"],
        False,
    ),
    ("StringLike supports *", "StringLike", "aws:username", ["al*"], True),
    ("StringLike supports ?", "StringLike", "aws:username", ["alic?"], True),
    ("StringLike ? is one character", "StringLike", "aws:username", ["al?"], False),
    ("StringLike whole value", "StringLike", "aws:username", ["lic"], False),
    ("StringNotLike negates", "StringNotLike", "aws:username", ["b*"], True),
    ("StringNotLike false on match", "StringNotLike", "aws:username", ["a*"], False),
    ("positive operator with a missing key fails", "StringEquals", "aws:missing", ["x"], False),
    ("negated operator with a missing key passes", "StringNotEquals", "aws:missing", ["x"], True),
    ("StringLike with a missing key fails", "StringLike", "aws:missing", ["*"], False),
    ("IfExists passes a missing key", "StringEqualsIfExists", "aws:missing", ["x"], True),
    ("IfExists still checks a present key", "StringEqualsIfExists", "aws:username", ["bob"], False),
    ("IfExists present and matching", "StringEqualsIfExists", "aws:username", ["alice"], True),
    ("condition keys are case-insensitive", "StringEquals", "AWS:UserName", ["alice"], True),
    ("NumericEquals", "NumericEquals", "s3:max-keys", ["10"], True),
    ("NumericEquals different", "NumericEquals", "s3:max-keys", ["11"], False),
    ("NumericNotEquals", "NumericNotEquals", "s3:max-keys", ["11"], True),
    ("NumericNotEquals equal", "NumericNotEquals", "s3:max-keys", ["10"], False),
    ("NumericLessThan", "NumericLessThan", "s3:max-keys", ["11"], True),
    ("NumericLessThan equal is false", "NumericLessThan", "s3:max-keys", ["10"], False),
    ("NumericLessThanEquals equal", "NumericLessThanEquals", "s3:max-keys", ["10"], True),
    ("NumericGreaterThan", "NumericGreaterThan", "s3:max-keys", ["9"], True),
    ("NumericGreaterThan equal is false", "NumericGreaterThan", "s3:max-keys", ["10"], False),
    ("NumericGreaterThanEquals", "NumericGreaterThanEquals", "s3:max-keys", ["10"], True),
    ("Numeric accepts JSON numbers", "NumericEquals", "s3:max-keys", [10], True),
    ("Numeric non-number never matches", "NumericEquals", "aws:username", ["10"], False),
    ("DateEquals", "DateEquals", "aws:currenttime", ["2026-06-01T12:00:00Z"], True),
    ("DateLessThan", "DateLessThan", "aws:currenttime", ["2027-01-01T00:00:00Z"], True),
    ("DateLessThan past", "DateLessThan", "aws:currenttime", ["2020-01-01T00:00:00Z"], False),
    ("DateGreaterThan", "DateGreaterThan", "aws:currenttime", ["2020-01-01T00:00:00Z"], True),
    (
        "DateGreaterThanEquals equal",
        "DateGreaterThanEquals",
        "aws:currenttime",
        ["2026-06-01T12:00:00Z"],
        True,
    ),
    (
        "DateLessThanEquals equal",
        "DateLessThanEquals",
        "aws:currenttime",
        ["2026-06-01T12:00:00Z"],
        True,
    ),
    ("DateNotEquals", "DateNotEquals", "aws:currenttime", ["2020-01-01T00:00:00Z"], True),
    (
        "Date compares epoch seconds too",
        "DateEquals",
        "aws:epochtime",
        ["2026-06-01T12:00:00Z"],
        True,
    ),
    ("Date policy value in epoch seconds", "DateLessThan", "aws:currenttime", ["1900000000"], True),
    ("Bool true", "Bool", "aws:multifactorauthpresent", ["true"], True),
    ("Bool false", "Bool", "aws:securetransport", ["false"], True),
    ("Bool mismatch", "Bool", "aws:securetransport", ["true"], False),
    ("Bool JSON boolean", "Bool", "aws:securetransport", [False], True),
    ("Bool missing key fails", "Bool", "aws:missing", ["true"], False),
    ("BoolIfExists missing key passes", "BoolIfExists", "aws:missing", ["true"], True),
    ("BinaryEquals compares decoded bytes", "BinaryEquals", "binary:key", ["aGVsbG8="], True),
    ("BinaryEquals different", "BinaryEquals", "binary:key", ["d29ybGQ="], False),
    ("IpAddress in CIDR", "IpAddress", "aws:sourceip", ["10.0.0.0/8"], True),
    ("IpAddress outside CIDR", "IpAddress", "aws:sourceip", ["192.168.0.0/16"], False),
    ("IpAddress single address", "IpAddress", "aws:sourceip", ["10.1.2.3"], True),
    (
        "IpAddress several ranges OR'ed",
        "IpAddress",
        "aws:sourceip",
        ["192.168.0.0/16", "10.1.0.0/16"],
        True,
    ),
    ("NotIpAddress outside", "NotIpAddress", "aws:sourceip", ["192.168.0.0/16"], True),
    ("NotIpAddress inside", "NotIpAddress", "aws:sourceip", ["10.0.0.0/8"], False),
    ("IpAddress IPv6", "IpAddress", "aws:sourceipv6", ["2001:db8::/32"], True),
    (
        "ArnEquals",
        "ArnEquals",
        "aws:sourcearn",
        ["arn:aws:sagemaker:us-east-1:111111111111:pipeline/iris"],
        True,
    ),
    (
        "ArnLike with wildcard",
        "ArnLike",
        "aws:sourcearn",
        ["arn:aws:sagemaker:*:111111111111:pipeline/*"],
        True,
    ),
    (
        "ArnLike other account",
        "ArnLike",
        "aws:sourcearn",
        ["arn:aws:sagemaker:*:222222222222:*"],
        False,
    ),
    ("ArnNotLike", "ArnNotLike", "aws:sourcearn", ["arn:aws:s3:::*"], True),
    (
        "ArnNotEquals equal",
        "ArnNotEquals",
        "aws:sourcearn",
        ["arn:aws:sagemaker:us-east-1:111111111111:pipeline/iris"],
        False,
    ),
    ("ArnLike needs an ARN", "ArnLike", "aws:username", ["*"], False),
    ("Null true for a missing key", "Null", "aws:missing", ["true"], True),
    ("Null true fails for a present key", "Null", "aws:username", ["true"], False),
    ("Null false for a present key", "Null", "aws:username", ["false"], True),
    ("Null false fails for a missing key", "Null", "aws:missing", ["false"], False),
    (
        "ForAnyValue one request value matches",
        "ForAnyValue:StringEquals",
        "aws:tagkeys",
        ["team"],
        True,
    ),
    ("ForAnyValue none matches", "ForAnyValue:StringEquals", "aws:tagkeys", ["owner"], False),
    ("ForAnyValue missing key fails", "ForAnyValue:StringEquals", "aws:missing", ["x"], False),
    (
        "ForAllValues every request value allowed",
        "ForAllValues:StringEquals",
        "aws:tagkeys",
        ["env", "team", "owner"],
        True,
    ),
    (
        "ForAllValues one value not allowed",
        "ForAllValues:StringEquals",
        "aws:tagkeys",
        ["env"],
        False,
    ),
    ("ForAllValues missing key passes", "ForAllValues:StringEquals", "aws:missing", ["x"], True),
    ("ForAllValues StringLike", "ForAllValues:StringLike", "aws:tagkeys", ["*e*"], True),
    (
        "ForAnyValue StringNotEquals: one value differs",
        "ForAnyValue:StringNotEquals",
        "aws:tagkeys",
        ["env"],
        True,
    ),
    (
        "ForAllValues StringNotEquals: all differ",
        "ForAllValues:StringNotEquals",
        "aws:tagkeys",
        ["owner"],
        True,
    ),
    (
        "ForAllValues StringNotEquals: one equal",
        "ForAllValues:StringNotEquals",
        "aws:tagkeys",
        ["env"],
        False,
    ),
    ("variable in a condition value", "StringEquals", "aws:username", ["${aws:username}"], True),
    (
        "variable from a principal tag",
        "StringEquals",
        "aws:principaltag/team",
        ["${aws:PrincipalTag/team}"],
        True,
    ),
    ("unresolved variable matches nothing", "StringEquals", "aws:username", ["${aws:nope}"], False),
    ("variable default value", "StringEquals", "aws:username", ["${aws:nope, 'alice'}"], True),
    ("${*} is a literal asterisk", "StringLike", "aws:username", ["${*}"], False),
    (
        "StringLike combining variable and wildcard",
        "StringLike",
        "aws:sourcearn",
        ["*:${aws:username}*"],
        False,
    ),
    ("RequestedRegion equals", "StringEquals", "aws:RequestedRegion", ["us-east-1"], True),
    ("ExternalId must equal", "StringEquals", "sts:ExternalId", ["ext-123"], True),
    ("ExternalId wrong", "StringEquals", "sts:ExternalId", ["other"], False),
]


@pytest.mark.parametrize(
    ("operator", "key", "values", "expected"),
    [pytest.param(op, key, values, expected, id=rule) for rule, op, key, values, expected in CASES],
)
def test_condition_operator(operator: str, key: str, values: list[Any], expected: bool) -> None:
    assert key_matches(operator, key, values, lookup) is expected


def test_without_variables_the_text_is_literal() -> None:
    # Version 2008-10-17 policies do not substitute variables.
    assert (
        key_matches("StringEquals", "aws:username", ["${aws:username}"], lookup, variables=False)
        is False
    )
