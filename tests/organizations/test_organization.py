"""CreateOrganization, DescribeOrganization, DeleteOrganization, ListRoots."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer


def test_create_describe_and_list_roots(org_client: Any, account_id: str) -> None:
    org = org_client.create_organization(FeatureSet="ALL")["Organization"]
    assert re.fullmatch(r"o-[a-z0-9]{10}", org["Id"])
    assert org["Arn"] == f"arn:aws:organizations::{account_id}:organization/{org['Id']}"
    assert org["FeatureSet"] == "ALL"
    assert org["MasterAccountId"] == account_id
    assert org["MasterAccountEmail"] == "management@airlock.local"

    assert org_client.describe_organization()["Organization"] == org
    roots = org_client.list_roots()["Roots"]
    assert len(roots) == 1
    root = roots[0]
    assert re.fullmatch(r"r-[a-z0-9]{4}", root["Id"])
    assert root["Arn"] == f"arn:aws:organizations::{account_id}:root/{org['Id']}/{root['Id']}"
    assert root["Name"] == "Root"
    # The management account sits under the root.
    accounts = org_client.list_accounts_for_parent(ParentId=root["Id"])["Accounts"]
    assert [a["Id"] for a in accounts] == [account_id]
    assert accounts[0]["JoinedMethod"] == "CREATED"


def test_feature_set_defaults_to_all(org_client: Any) -> None:
    assert org_client.create_organization()["Organization"]["FeatureSet"] == "ALL"


def test_calls_before_an_organization_exists_fail(org_client: Any) -> None:
    for call in (org_client.describe_organization, org_client.list_roots, org_client.list_accounts):
        with pytest.raises(ClientError) as caught:
            call()
        error = caught.value.response["Error"]
        assert error["Code"] == "AWSOrganizationsNotInUseException"
        assert error["Message"] == "Your account is not a member of an organization."


def test_second_organization_is_refused(org_client: Any, organization: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as caught:
        org_client.create_organization(FeatureSet="ALL")
    assert caught.value.response["Error"]["Code"] == "AlreadyInOrganizationException"
    assert "already a member of an organization" in caught.value.response["Error"]["Message"]


def test_delete_organization_only_when_empty(
    server: LiveServer, org_client: Any, make_member: Callable[..., str]
) -> None:
    member = make_member("temp")
    with pytest.raises(ClientError) as caught:
        org_client.delete_organization()
    assert caught.value.response["Error"]["Code"] == "OrganizationNotEmptyException"

    org_client.remove_account_from_organization(AccountId=member)
    org_client.delete_organization()
    with pytest.raises(ClientError) as caught:
        org_client.describe_organization()
    assert caught.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"
    # The removed account still exists and can found its own organization.
    own = server.client("organizations", member).create_organization()["Organization"]
    assert own["MasterAccountId"] == member


def test_member_sees_organization_but_not_management_operations(
    member_client: Any, organization: dict[str, Any]
) -> None:
    assert member_client.describe_organization()["Organization"]["Id"] == organization["Id"]
    for call in (
        member_client.list_accounts,
        member_client.list_roots,
        lambda: member_client.create_account(AccountName="x", Email="x@example.com"),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        error = caught.value.response["Error"]
        assert error["Code"] == "AccessDeniedException"
        assert error["Message"] == "You don't have permissions to access this resource."
