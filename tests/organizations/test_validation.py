"""Input-shape violations: InvalidInputException with the reason and the member named."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support import LiveServer


@pytest.fixture
def raw_client(server: LiveServer, account_id: str) -> Any:
    """A client that sends what it is given, without botocore's own validation."""
    return server.client("organizations", account_id, config=Config(parameter_validation=False))


def test_missing_required_member(raw_client: Any, organization: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as caught:
        raw_client.create_organizational_unit(Name="staging")
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidInputException"
    assert caught.value.response["Reason"] == "INPUT_REQUIRED"
    assert error["Message"] == (
        "You must provide a value for a required parameter: Value null at 'parentId' failed "
        "to satisfy constraint: Member must not be null"
    )


def test_bad_ou_name(raw_client: Any, root_id: str) -> None:
    with pytest.raises(ClientError) as caught:
        raw_client.create_organizational_unit(ParentId=root_id, Name="x" * 129)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidInputException"
    assert caught.value.response["Reason"] == "MAX_LENGTH_EXCEEDED"
    assert (
        "at 'name' failed to satisfy constraint: Member must have length less than or equal to 128"
        in error["Message"]
    )
    with pytest.raises(ClientError) as caught:
        raw_client.create_organizational_unit(ParentId=root_id, Name="")
    assert caught.value.response["Reason"] == "MIN_LENGTH_EXCEEDED"
    assert (
        raw_client.list_organizational_units_for_parent(ParentId=root_id)["OrganizationalUnits"]
        == []
    )


def test_bad_parent_id_pattern(raw_client: Any, organization: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as caught:
        raw_client.create_organizational_unit(ParentId="not-a-parent", Name="x")
    assert caught.value.response["Reason"] == "INVALID_PATTERN"
    assert (
        "Value 'not-a-parent' at 'parentId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern"
        in caught.value.response["Error"]["Message"]
    )


def test_bad_enum(raw_client: Any, root_id: str) -> None:
    with pytest.raises(ClientError) as caught:
        raw_client.list_children(ParentId=root_id, ChildType="FOLDER")
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidInputException"
    assert caught.value.response["Reason"] == "INVALID_ENUM"
    assert error["Message"] == (
        "You specified an invalid value: Value 'FOLDER' at 'childType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [ACCOUNT, ORGANIZATIONAL_UNIT]"
    )


def test_out_of_range_max_results(raw_client: Any, organization: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as caught:
        raw_client.list_accounts(MaxResults=21)
    assert caught.value.response["Reason"] == "MAX_VALUE_EXCEEDED"
    assert (
        "Member must have value less than or equal to 20"
        in caught.value.response["Error"]["Message"]
    )


def test_bad_create_account_email_changes_nothing(
    raw_client: Any, organization: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as caught:
        raw_client.create_account(AccountName="x", Email="not-an-email")
    assert caught.value.response["Reason"] == "INVALID_PATTERN"
    assert raw_client.list_create_account_status()["CreateAccountStatuses"] == []
