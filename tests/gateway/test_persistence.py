"""A server restarted on the same state dir (SQLite or PostgreSQL) has all its state."""

from __future__ import annotations

from pathlib import Path

from airlock.settings import Settings
from tests.organizations.conftest import finish_create_account
from tests.support import LiveServer, free_socket, live_server


def test_state_survives_restart(tmp_path: Path, database_url: str | None) -> None:
    state = tmp_path / "state"
    with live_server(state, database_url) as first:
        management = first.first_account_id()
        keys = first.root_keys(management)
        org_client = first.client("organizations", management)
        org = org_client.create_organization()["Organization"]
        root_id = org_client.list_roots()["Roots"][0]["Id"]
        ou = org_client.create_organizational_unit(ParentId=root_id, Name="staging")
        started = org_client.create_account(AccountName="staging", Email="staging@example.com")
        member = finish_create_account(org_client, started["CreateAccountStatus"]["Id"])[
            "AccountId"
        ]
        member_keys = first.root_keys(member)

    with live_server(state, database_url) as second:
        # Same accounts and keys: nothing was re-bootstrapped.
        assert second.first_account_id() == management
        assert second.root_keys(management) == keys
        client = second.client("organizations", management)
        assert client.describe_organization()["Organization"] == org
        assert client.list_organizational_units_for_parent(ParentId=root_id)[
            "OrganizationalUnits"
        ] == [ou["OrganizationalUnit"]]
        assert sorted(a["Id"] for a in client.list_accounts()["Accounts"]) == sorted(
            [management, member]
        )
        member_client = second.client("organizations", keys=member_keys)
        assert member_client.describe_organization()["Organization"]["Id"] == org["Id"]


def test_interrupted_create_account_resumes_on_restart(
    tmp_path: Path, database_url: str | None
) -> None:
    state = tmp_path / "state"
    # A server that accepted CreateAccount but stopped before its controller ran.
    sock = free_socket()
    settings = Settings(
        state_dir=state,
        database_url=database_url,
        run_controllers=False,
        port=sock.getsockname()[1],
    )
    stalled = LiveServer(settings, sock)
    client = stalled.client("organizations")
    client.create_organization()
    request_id = client.create_account(AccountName="later", Email="later@example.com")[
        "CreateAccountStatus"
    ]["Id"]
    assert (
        client.describe_create_account_status(CreateAccountRequestId=request_id)[
            "CreateAccountStatus"
        ]["State"]
        == "IN_PROGRESS"
    )
    stalled.stop()

    with live_server(state, database_url) as resumed:
        status = finish_create_account(resumed.client("organizations"), request_id)
        assert status["State"] == "SUCCEEDED"
