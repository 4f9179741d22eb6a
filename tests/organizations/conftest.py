"""Organizations fixtures: an organization and member accounts made through boto3."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.support import LiveServer, wait_for


@pytest.fixture
def organization(org_client: Any) -> dict[str, Any]:
    """An organization managed by the first account."""
    org: dict[str, Any] = org_client.create_organization(FeatureSet="ALL")["Organization"]
    return org


@pytest.fixture
def root_id(org_client: Any, organization: dict[str, Any]) -> str:
    """The organization's root id."""
    root_id: str = org_client.list_roots()["Roots"][0]["Id"]
    return root_id


def finish_create_account(client: Any, request_id: str) -> dict[str, Any]:
    """Poll DescribeCreateAccountStatus until the request leaves IN_PROGRESS."""

    def done() -> dict[str, Any] | None:
        status: dict[str, Any] = client.describe_create_account_status(
            CreateAccountRequestId=request_id
        )["CreateAccountStatus"]
        return status if status["State"] != "IN_PROGRESS" else None

    return wait_for(done, what=f"create account request {request_id}")


@pytest.fixture
def make_member(org_client: Any, organization: dict[str, Any]) -> Callable[..., str]:
    """Create member accounts through CreateAccount; returns the new account id."""

    def make(name: str = "member", **extra: Any) -> str:
        email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
        started = org_client.create_account(AccountName=name, Email=email, **extra)
        status = finish_create_account(org_client, started["CreateAccountStatus"]["Id"])
        assert status["State"] == "SUCCEEDED", status
        account_id: str = status["AccountId"]
        return account_id

    return make


@pytest.fixture
def member_client(server: LiveServer, make_member: Callable[..., str]) -> Any:
    """Organizations client of a fresh member account."""
    return server.client("organizations", make_member("member"))
