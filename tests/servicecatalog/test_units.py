"""The pure parts of Service Catalog: template URLs, provisioning parameters, launch role
parameters and principal patterns."""

from __future__ import annotations

import pytest

from airlock.core.context import Principal, PrincipalType, principal_of, principal_record
from airlock.servicecatalog.constraints import launch_role_parameters
from airlock.servicecatalog.errors import InvalidParameters
from airlock.servicecatalog.service import _pattern
from airlock.servicecatalog.templates import check_parameters, s3_address
from tests.servicecatalog.support import TEMPLATE

HOST = "airlock.local"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://b.s3.us-east-1.amazonaws.com/a/t.yaml", ("b", "a/t.yaml")),
        ("https://b.s3.amazonaws.com/t.yaml", ("b", "t.yaml")),
        ("https://s3.eu-west-1.amazonaws.com/b/a/t.yaml", ("b", "a/t.yaml")),
        ("http://127.0.0.1:4566/b/t%20x.yaml", ("b", "t x.yaml")),
        ("http://b.airlock.local:4566/t.yaml", ("b", "t.yaml")),
        ("http://b.localhost:4566/t.yaml", ("b", "t.yaml")),
        ("s3://b/t.yaml", ("b", "t.yaml")),
    ],
)
def test_template_urls(url: str, expected: tuple[str, str]) -> None:
    assert s3_address(url, HOST) == expected


@pytest.mark.parametrize(
    "url", ["https://example.com/b/t.yaml", "http://127.0.0.1:4566/b", "ftp://b/t", "s3://b/"]
)
def test_urls_of_no_object_are_refused(url: str) -> None:
    with pytest.raises(InvalidParameters) as caught:
        s3_address(url, HOST)
    assert caught.value.message == f"Invalid templateUrl: {url}"


def test_parameters_against_the_template() -> None:
    given = [{"Key": "GroupName", "Value": "abc"}]
    assert check_parameters(TEMPLATE, given) == [{"Key": "GroupName", "Value": "abc"}]
    with pytest.raises(InvalidParameters) as caught:
        check_parameters(TEMPLATE, [{"Key": "Retention", "Value": "1"}])
    assert caught.value.message == "Parameters: [GroupName] must have values"
    with pytest.raises(InvalidParameters) as caught:
        check_parameters(TEMPLATE, [*given, {"Key": "Nope", "Value": "1"}])
    assert caught.value.message == "Parameter Nope is not defined in the template."
    # An update takes the previous values where asked, and keeps the required ones.
    previous = {"GroupName": "old", "Retention": "30"}
    assert check_parameters(
        TEMPLATE, [{"Key": "Retention", "UsePreviousValue": True}], previous
    ) == [{"Key": "Retention", "Value": "30"}, {"Key": "GroupName", "Value": "old"}]
    with pytest.raises(InvalidParameters) as caught:
        check_parameters(TEMPLATE, [{"Key": "GroupName", "UsePreviousValue": True}], {})
    assert caught.value.message == "Parameter GroupName has no previous value."


def test_launch_role_parameters() -> None:
    assert launch_role_parameters('{"LocalRoleName": "r"}') == {"LocalRoleName": "r"}
    role = "arn:aws:iam::123456789012:role/r"
    assert launch_role_parameters(f'{{"RoleArn": "{role}"}}') == {"RoleArn": role}
    with pytest.raises(InvalidParameters):
        launch_role_parameters("[]")


def test_patterns_name_the_callers_account() -> None:
    assert _pattern("arn:aws:iam:::role/team-*", "111122223333") == (
        "arn:aws:iam::111122223333:role/team-*"
    )
    assert _pattern("arn:aws:iam::444455556666:role/x", "111122223333") == (
        "arn:aws:iam::444455556666:role/x"
    )


def test_principals_round_trip() -> None:
    principal = Principal(
        account_id="111122223333",
        arn="arn:aws:sts::111122223333:assumed-role/r/s",
        type=PrincipalType.ASSUMED_ROLE,
        user_id="AROA:s",
        source_arn="arn:aws:iam::111122223333:role/r",
        session_tags=(("team", "ml"),),
        transitive_tag_keys=("team",),
    )
    assert principal_of(principal_record(principal)) == principal
