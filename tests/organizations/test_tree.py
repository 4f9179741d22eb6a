"""Organizational units and the tree: create, describe, rename, delete, list."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """(code, message) of a ClientError."""
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_ou_lifecycle(
    org_client: Any, organization: dict[str, Any], root_id: str, account_id: str
) -> None:
    ou = org_client.create_organizational_unit(
        ParentId=root_id, Name="staging", Tags=[{"Key": "stage", "Value": "test"}]
    )["OrganizationalUnit"]
    assert re.fullmatch(rf"ou-{root_id[2:]}-[a-z0-9]{{8}}", ou["Id"])
    assert ou["Arn"] == f"arn:aws:organizations::{account_id}:ou/{organization['Id']}/{ou['Id']}"
    assert ou["Name"] == "staging"
    assert (
        org_client.describe_organizational_unit(OrganizationalUnitId=ou["Id"])["OrganizationalUnit"]
        == ou
    )
    assert org_client.list_tags_for_resource(ResourceId=ou["Id"])["Tags"] == [
        {"Key": "stage", "Value": "test"}
    ]

    renamed = org_client.update_organizational_unit(OrganizationalUnitId=ou["Id"], Name="stage")
    assert renamed["OrganizationalUnit"]["Name"] == "stage"
    listed = org_client.list_organizational_units_for_parent(ParentId=root_id)
    assert [o["Name"] for o in listed["OrganizationalUnits"]] == ["stage"]

    org_client.delete_organizational_unit(OrganizationalUnitId=ou["Id"])
    with pytest.raises(ClientError) as caught:
        org_client.describe_organizational_unit(OrganizationalUnitId=ou["Id"])
    assert error_of(caught)[0] == "OrganizationalUnitNotFoundException"


def test_nested_ous_children_and_parents(
    org_client: Any, organization: dict[str, Any], root_id: str
) -> None:
    top = org_client.create_organizational_unit(ParentId=root_id, Name="multi-account-deployment")
    top_id = top["OrganizationalUnit"]["Id"]
    staging = org_client.create_organizational_unit(ParentId=top_id, Name="staging")
    production = org_client.create_organizational_unit(ParentId=top_id, Name="production")
    staging_id = staging["OrganizationalUnit"]["Id"]
    production_id = production["OrganizationalUnit"]["Id"]

    children = org_client.list_children(ParentId=top_id, ChildType="ORGANIZATIONAL_UNIT")
    assert children["Children"] == [
        {"Id": staging_id, "Type": "ORGANIZATIONAL_UNIT"},
        {"Id": production_id, "Type": "ORGANIZATIONAL_UNIT"},
    ]
    assert org_client.list_parents(ChildId=staging_id)["Parents"] == [
        {"Id": top_id, "Type": "ORGANIZATIONAL_UNIT"}
    ]
    assert org_client.list_parents(ChildId=top_id)["Parents"] == [{"Id": root_id, "Type": "ROOT"}]

    with pytest.raises(ClientError) as caught:
        org_client.delete_organizational_unit(OrganizationalUnitId=top_id)
    code, message = error_of(caught)
    assert code == "OrganizationalUnitNotEmptyException"
    assert "not empty" in message


def test_duplicate_ou_name_under_one_parent(
    org_client: Any, organization: dict[str, Any], root_id: str
) -> None:
    org_client.create_organizational_unit(ParentId=root_id, Name="staging")
    with pytest.raises(ClientError) as caught:
        org_client.create_organizational_unit(ParentId=root_id, Name="staging")
    assert error_of(caught) == (
        "DuplicateOrganizationalUnitException",
        "An OU with the same name already exists.",
    )


def test_unknown_parent_and_ou(org_client: Any, organization: dict[str, Any], root_id: str) -> None:
    with pytest.raises(ClientError) as caught:
        org_client.create_organizational_unit(ParentId="ou-abcd-abcdefgh", Name="x")
    assert error_of(caught) == (
        "ParentNotFoundException",
        "We can't find a root or OU with the ParentId that you specified.",
    )
    with pytest.raises(ClientError) as caught:
        org_client.list_parents(ChildId="ou-abcd-abcdefgh")
    assert error_of(caught)[0] == "ChildNotFoundException"


def test_ou_and_account_listing_paginates(
    org_client: Any, organization: dict[str, Any], root_id: str, make_member: Callable[..., str]
) -> None:
    names = [f"ou-{i:02d}" for i in range(7)]
    for name in names:
        org_client.create_organizational_unit(ParentId=root_id, Name=name)
    first = org_client.list_organizational_units_for_parent(ParentId=root_id, MaxResults=3)
    assert len(first["OrganizationalUnits"]) == 3 and "NextToken" in first
    paginator = org_client.get_paginator("list_organizational_units_for_parent")
    pages = list(paginator.paginate(ParentId=root_id, PaginationConfig={"PageSize": 3}))
    assert [len(p["OrganizationalUnits"]) for p in pages] == [3, 3, 1]
    assert [o["Name"] for p in pages for o in p["OrganizationalUnits"]] == names

    make_member("one")
    make_member("two")
    accounts = [
        a["Name"]
        for page in org_client.get_paginator("list_accounts").paginate(
            PaginationConfig={"PageSize": 1}
        )
        for a in page["Accounts"]
    ]
    assert accounts == ["management", "one", "two"]

    with pytest.raises(ClientError) as caught:
        org_client.list_accounts(NextToken="not-a-token")
    code, message = error_of(caught)
    assert code == "InvalidInputException"
    assert caught.value.response["Reason"] == "INVALID_NEXT_TOKEN"
    assert message == "The NextToken you provided is not valid."
