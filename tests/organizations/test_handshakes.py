"""Invitations: an existing account joins through a handshake."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer


def test_invite_accept_joins_the_organization(
    server: LiveServer, org_client: Any, organization: dict[str, Any], root_id: str
) -> None:
    outsider = server.create_account("outsider", "outsider@example.com")
    outsider_client = server.client("organizations", outsider)

    handshake = org_client.invite_account_to_organization(
        Target={"Type": "ACCOUNT", "Id": outsider}, Notes="join us"
    )["Handshake"]
    assert re.fullmatch(r"h-[a-z0-9]{10}", handshake["Id"])
    assert handshake["State"] == "OPEN"
    assert handshake["Action"] == "INVITE"
    assert handshake["Arn"].endswith(f":handshake/{organization['Id']}/invite/{handshake['Id']}")
    assert {"Id": outsider, "Type": "ACCOUNT"} in handshake["Parties"]
    delta = handshake["ExpirationTimestamp"] - handshake["RequestedTimestamp"]
    assert delta.days == 15
    assert {"Value": "join us", "Type": "NOTES"} in handshake["Resources"]

    received = outsider_client.list_handshakes_for_account()["Handshakes"]
    assert [h["Id"] for h in received] == [handshake["Id"]]
    sent = org_client.list_handshakes_for_organization()["Handshakes"]
    assert [h["Id"] for h in sent] == [handshake["Id"]]

    accepted = outsider_client.accept_handshake(HandshakeId=handshake["Id"])["Handshake"]
    assert accepted["State"] == "ACCEPTED"
    account = org_client.describe_account(AccountId=outsider)["Account"]
    assert account["JoinedMethod"] == "INVITED"
    assert org_client.list_parents(ChildId=outsider)["Parents"] == [{"Id": root_id, "Type": "ROOT"}]
    assert outsider_client.describe_organization()["Organization"]["Id"] == organization["Id"]

    with pytest.raises(ClientError) as caught:
        outsider_client.decline_handshake(HandshakeId=handshake["Id"])
    assert caught.value.response["Error"]["Code"] == "InvalidHandshakeTransitionException"


def test_invite_by_email_then_decline(
    server: LiveServer, org_client: Any, organization: dict[str, Any]
) -> None:
    outsider = server.create_account("declines", "declines@example.com")
    outsider_client = server.client("organizations", outsider)
    handshake = org_client.invite_account_to_organization(
        Target={"Type": "EMAIL", "Id": "declines@example.com"}
    )["Handshake"]
    declined = outsider_client.decline_handshake(HandshakeId=handshake["Id"])["Handshake"]
    assert declined["State"] == "DECLINED"
    with pytest.raises(ClientError) as caught:
        outsider_client.describe_organization()
    assert caught.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"


def test_cancel_handshake(
    server: LiveServer, org_client: Any, organization: dict[str, Any]
) -> None:
    outsider = server.create_account("cancelled")
    outsider_client = server.client("organizations", outsider)
    handshake = org_client.invite_account_to_organization(
        Target={"Type": "ACCOUNT", "Id": outsider}
    )["Handshake"]
    with pytest.raises(ClientError) as caught:
        org_client.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": outsider})
    assert caught.value.response["Error"]["Code"] == "DuplicateHandshakeException"

    cancelled = org_client.cancel_handshake(HandshakeId=handshake["Id"])["Handshake"]
    assert cancelled["State"] == "CANCELED"
    with pytest.raises(ClientError) as caught:
        outsider_client.accept_handshake(HandshakeId=handshake["Id"])
    assert caught.value.response["Error"]["Code"] == "InvalidHandshakeTransitionException"
    assert "current state" in caught.value.response["Error"]["Message"]


def test_invite_refusals(server: LiveServer, org_client: Any, organization: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as caught:
        org_client.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": "123456789012"})
    assert caught.value.response["Error"]["Code"] == "AccountNotFoundException"
    with pytest.raises(ClientError) as caught:
        org_client.invite_account_to_organization(
            Target={"Type": "ACCOUNT", "Id": organization["MasterAccountId"]}
        )
    assert caught.value.response["Error"]["Code"] == "HandshakeConstraintViolationException"
    assert caught.value.response["Reason"] == "ALREADY_IN_AN_ORGANIZATION"


def test_someone_elses_handshake_is_not_found(
    server: LiveServer, org_client: Any, organization: dict[str, Any]
) -> None:
    invited = server.create_account("invited")
    bystander = server.client("organizations", server.create_account("bystander"))
    handshake = org_client.invite_account_to_organization(
        Target={"Type": "ACCOUNT", "Id": invited}
    )["Handshake"]
    with pytest.raises(ClientError) as caught:
        bystander.accept_handshake(HandshakeId=handshake["Id"])
    assert caught.value.response["Error"]["Code"] == "HandshakeNotFoundException"
    assert bystander.list_handshakes_for_account()["Handshakes"] == []


def test_describe_handshake_and_leave(
    server: LiveServer, org_client: Any, organization: dict[str, Any]
) -> None:
    outsider = server.create_account("leaver")
    outsider_client = server.client("organizations", outsider)
    sent = org_client.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": outsider})
    handshake_id = sent["Handshake"]["Id"]
    for client in (org_client, outsider_client):
        described = client.describe_handshake(HandshakeId=handshake_id)["Handshake"]
        assert described["Id"] == handshake_id and described["State"] == "OPEN"
    outsider_client.accept_handshake(HandshakeId=handshake_id)

    outsider_client.leave_organization()
    with pytest.raises(ClientError) as caught:
        outsider_client.describe_organization()
    assert caught.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"
    with pytest.raises(ClientError) as caught:
        org_client.leave_organization()
    assert caught.value.response["Error"]["Code"] == "MasterCannotLeaveOrganizationException"
