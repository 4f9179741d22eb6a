"""Trusted access, delegated administrators and tags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_trusted_access(org_client: Any, organization: dict[str, Any]) -> None:
    org_client.enable_aws_service_access(
        ServicePrincipal="member.org.stacksets.cloudformation.amazonaws.com"
    )
    org_client.enable_aws_service_access(ServicePrincipal="sagemaker.amazonaws.com")
    org_client.enable_aws_service_access(ServicePrincipal="sagemaker.amazonaws.com")  # idempotent
    enabled = org_client.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [e["ServicePrincipal"] for e in enabled] == [
        "member.org.stacksets.cloudformation.amazonaws.com",
        "sagemaker.amazonaws.com",
    ]
    assert all("DateEnabled" in e for e in enabled)
    org_client.disable_aws_service_access(ServicePrincipal="sagemaker.amazonaws.com")
    enabled = org_client.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [e["ServicePrincipal"] for e in enabled] == [
        "member.org.stacksets.cloudformation.amazonaws.com"
    ]


def test_delegated_administrators(
    org_client: Any, account_id: str, make_member: Callable[..., str]
) -> None:
    member = make_member("admin")
    principal = "member.org.stacksets.cloudformation.amazonaws.com"
    org_client.register_delegated_administrator(AccountId=member, ServicePrincipal=principal)
    admins = org_client.list_delegated_administrators(ServicePrincipal=principal)
    assert [a["Id"] for a in admins["DelegatedAdministrators"]] == [member]
    assert "DelegationEnabledDate" in admins["DelegatedAdministrators"][0]
    assert (
        org_client.list_delegated_administrators(ServicePrincipal="other.amazonaws.com")[
            "DelegatedAdministrators"
        ]
        == []
    )
    services = org_client.list_delegated_services_for_account(AccountId=member)
    assert [s["ServicePrincipal"] for s in services["DelegatedServices"]] == [principal]

    with pytest.raises(ClientError) as caught:
        org_client.register_delegated_administrator(AccountId=member, ServicePrincipal=principal)
    assert caught.value.response["Error"]["Code"] == "AccountAlreadyRegisteredException"
    with pytest.raises(ClientError) as caught:
        org_client.register_delegated_administrator(
            AccountId=account_id, ServicePrincipal=principal
        )
    assert caught.value.response["Error"]["Code"] == "ConstraintViolationException"
    assert caught.value.response["Reason"] == "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR"

    org_client.deregister_delegated_administrator(AccountId=member, ServicePrincipal=principal)
    assert org_client.list_delegated_administrators()["DelegatedAdministrators"] == []


def test_tags(org_client: Any, root_id: str, make_member: Callable[..., str]) -> None:
    member = make_member("tagged")
    for resource in (root_id, member):
        org_client.tag_resource(
            ResourceId=resource, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}]
        )
        org_client.tag_resource(ResourceId=resource, Tags=[{"Key": "a", "Value": "one"}])
        assert org_client.list_tags_for_resource(ResourceId=resource)["Tags"] == [
            {"Key": "a", "Value": "one"},
            {"Key": "b", "Value": "2"},
        ]
        org_client.untag_resource(ResourceId=resource, TagKeys=["a"])
        assert org_client.list_tags_for_resource(ResourceId=resource)["Tags"] == [
            {"Key": "b", "Value": "2"}
        ]

    with pytest.raises(ClientError) as caught:
        org_client.tag_resource(ResourceId="ou-abcd-abcdefgh", Tags=[{"Key": "a", "Value": "1"}])
    assert caught.value.response["Error"]["Code"] == "TargetNotFoundException"
    with pytest.raises(ClientError) as caught:
        org_client.tag_resource(
            ResourceId=root_id, Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]
        )
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"
    assert caught.value.response["Reason"] == "DUPLICATE_TAG_KEY"
    # The rejected call changed nothing.
    assert org_client.list_tags_for_resource(ResourceId=root_id)["Tags"] == [
        {"Key": "b", "Value": "2"}
    ]
