"""CreateAccount and its status, describing, listing, moving and removing accounts."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.organizations.conftest import finish_create_account
from tests.support import LiveServer


def test_create_account_is_asynchronous_and_gives_root_credentials(
    server: LiveServer, org_client: Any, organization: dict[str, Any], root_id: str
) -> None:
    started = org_client.create_account(
        AccountName="staging",
        Email="staging@example.com",
        Tags=[{"Key": "env", "Value": "staging"}],
    )["CreateAccountStatus"]
    assert re.fullmatch(r"car-[a-z0-9]{32}", started["Id"])
    assert started["State"] == "IN_PROGRESS"
    assert started["AccountName"] == "staging"

    status = finish_create_account(org_client, started["Id"])
    assert status["State"] == "SUCCEEDED"
    new_id = status["AccountId"]
    assert re.fullmatch(r"\d{12}", new_id)
    assert status["CompletedTimestamp"] >= status["RequestedTimestamp"]

    account = org_client.describe_account(AccountId=new_id)["Account"]
    assert account["Name"] == "staging"
    assert account["Email"] == "staging@example.com"
    assert account["Status"] == "ACTIVE"
    assert account["JoinedMethod"] == "CREATED"
    assert account["Arn"] == (
        f"arn:aws:organizations::{organization['MasterAccountId']}:account/"
        f"{organization['Id']}/{new_id}"
    )
    assert org_client.list_tags_for_resource(ResourceId=new_id)["Tags"] == [
        {"Key": "env", "Value": "staging"}
    ]
    assert new_id in [
        a["Id"] for a in org_client.list_accounts_for_parent(ParentId=root_id)["Accounts"]
    ]

    # The new account has its own root credentials and works as itself.
    member = server.client("organizations", new_id)
    assert member.describe_organization()["Organization"]["Id"] == organization["Id"]

    statuses = org_client.list_create_account_status(States=["SUCCEEDED"])["CreateAccountStatuses"]
    assert [s["Id"] for s in statuses] == [started["Id"]]
    assert org_client.list_create_account_status(States=["FAILED"])["CreateAccountStatuses"] == []


def test_create_account_records_the_access_role(
    server: LiveServer, org_client: Any, make_member: Callable[..., str]
) -> None:
    default = make_member("a")
    custom = make_member("b", RoleName="DeployAccess")
    from airlock.organizations.models import Membership

    with server.airlock.platform.db.read() as session:
        assert session.get(Membership, default).access_role_name == "OrganizationAccountAccessRole"  # type: ignore[union-attr]
        assert session.get(Membership, custom).access_role_name == "DeployAccess"  # type: ignore[union-attr]


def test_create_account_with_taken_email_fails(
    org_client: Any, organization: dict[str, Any]
) -> None:
    started = org_client.create_account(AccountName="dup", Email="management@airlock.local")
    status = finish_create_account(org_client, started["CreateAccountStatus"]["Id"])
    assert status["State"] == "FAILED"
    assert status["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    assert "AccountId" not in status


def test_unknown_create_account_request(org_client: Any, organization: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as caught:
        org_client.describe_create_account_status(CreateAccountRequestId="car-" + "0" * 32)
    assert caught.value.response["Error"]["Code"] == "CreateAccountStatusNotFoundException"


def test_move_account_between_ous(
    org_client: Any, root_id: str, make_member: Callable[..., str]
) -> None:
    member = make_member("mover")
    ou = org_client.create_organizational_unit(ParentId=root_id, Name="staging")
    ou_id = ou["OrganizationalUnit"]["Id"]
    org_client.move_account(AccountId=member, SourceParentId=root_id, DestinationParentId=ou_id)
    assert org_client.list_parents(ChildId=member)["Parents"] == [
        {"Id": ou_id, "Type": "ORGANIZATIONAL_UNIT"}
    ]
    assert [a["Id"] for a in org_client.list_accounts_for_parent(ParentId=ou_id)["Accounts"]] == [
        member
    ]
    assert org_client.list_children(ParentId=ou_id, ChildType="ACCOUNT")["Children"] == [
        {"Id": member, "Type": "ACCOUNT"}
    ]

    with pytest.raises(ClientError) as caught:
        org_client.move_account(AccountId=member, SourceParentId=root_id, DestinationParentId=ou_id)
    assert caught.value.response["Error"]["Code"] == "AccountNotFoundException"
    with pytest.raises(ClientError) as caught:
        org_client.move_account(
            AccountId=member, SourceParentId=ou_id, DestinationParentId="ou-zzzz-zzzzzzzz"
        )
    assert caught.value.response["Error"]["Code"] == "DestinationParentNotFoundException"
    # An OU holding an account cannot be deleted.
    with pytest.raises(ClientError) as caught:
        org_client.delete_organizational_unit(OrganizationalUnitId=ou_id)
    assert caught.value.response["Error"]["Code"] == "OrganizationalUnitNotEmptyException"


def test_remove_account(org_client: Any, account_id: str, make_member: Callable[..., str]) -> None:
    member = make_member("leaver")
    org_client.remove_account_from_organization(AccountId=member)
    with pytest.raises(ClientError) as caught:
        org_client.describe_account(AccountId=member)
    assert caught.value.response["Error"]["Code"] == "AccountNotFoundException"

    with pytest.raises(ClientError) as caught:
        org_client.remove_account_from_organization(AccountId=account_id)
    assert caught.value.response["Error"]["Code"] == "MasterCannotLeaveOrganizationException"


def test_management_account_assumes_the_access_role(
    server: LiveServer, org_client: Any, account_id: str, make_member: Callable[..., str]
) -> None:
    member = make_member("staging")
    role_arn = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    role = server.client("iam", member).get_role(RoleName="OrganizationAccountAccessRole")["Role"]
    assert role["Arn"] == role_arn
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{account_id}:root"
    }
    creds = server.client("sts", account_id).assume_role(RoleArn=role_arn, RoleSessionName="admin")[
        "Credentials"
    ]
    admin = server.session_client("iam", creds)
    admin.create_user(UserName="made-by-management")  # AdministratorAccess in the member
    assert "made-by-management" in [u["UserName"] for u in admin.list_users()["Users"]]
