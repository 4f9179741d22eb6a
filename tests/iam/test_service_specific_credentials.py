"""Service-specific credentials (HTTPS Git credentials for CodeCommit) through boto3."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from airlock.iam import authenticate_git_password
from airlock.iam.models import IamServiceCredential
from tests.support import LiveServer, policy_document

CODECOMMIT = "codecommit.amazonaws.com"


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    """Code, message and HTTP status of a refused call."""
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def git_login(server: LiveServer, username: str, password: str) -> str | None:
    """The ARN the git server would authenticate these credentials as, or None."""
    principal = authenticate_git_password(server.airlock.platform, username, password)
    return principal.arn if principal else None


def listed(iam: Any, **params: Any) -> list[dict[str, Any]]:
    """ListServiceSpecificCredentials' items."""
    return list(iam.list_service_specific_credentials(**params)["ServiceSpecificCredentials"])


def test_lifecycle(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    account_id = server.first_account_id()
    iam = server.client("iam", account_id)
    arn = iam.create_user(UserName="alice")["User"]["Arn"]

    created = iam.create_service_specific_credential(UserName="alice", ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"
    ]
    first_id, password = created["ServiceSpecificCredentialId"], created["ServicePassword"]
    assert re.fullmatch(r"ACCA[A-Z0-9]{17}", first_id)
    assert len(base64.b64decode(password, validate=True)) == 32 and len(password) == 44
    assert {k: v for k, v in created.items() if k not in ("CreateDate", "ServicePassword")} == {
        "ServiceName": CODECOMMIT,
        "ServiceUserName": f"alice-at-{account_id}",
        "ServiceSpecificCredentialId": first_id,
        "UserName": "alice",
        "Status": "Active",
    }
    assert git_login(server, f"alice-at-{account_id}", password) == arn
    assert git_login(server, f"alice-at-{account_id}", password + "x") is None
    assert git_login(server, f"nobody-at-{account_id}", password) is None

    # Only a salted slow hash is stored.
    with server.airlock.platform.db.read() as session:
        stored = session.scalars(select(IamServiceCredential.password_hash)).one()
    assert stored.startswith("scrypt$") and password not in stored

    second = iam.create_service_specific_credential(UserName="alice", ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"
    ]
    assert second["ServiceUserName"] == f"alice+1-at-{account_id}"
    assert git_login(server, second["ServiceUserName"], second["ServicePassword"]) == arn
    assert git_login(server, f"alice-at-{account_id}", second["ServicePassword"]) is None
    with pytest.raises(ClientError) as caught:
        iam.create_service_specific_credential(UserName="alice", ServiceName=CODECOMMIT)
    assert error_of(caught) == (
        "LimitExceeded",
        "Cannot exceed quota for ServiceSpecificCredentialsPerUser: 2",
        409,
    )
    # The quota is per service.
    keyspaces = iam.create_service_specific_credential(
        UserName="alice", ServiceName="cassandra.amazonaws.com"
    )["ServiceSpecificCredential"]
    assert keyspaces["ServiceUserName"] == f"alice-at-{account_id}"
    assert git_login(server, f"alice-at-{account_id}", keyspaces["ServicePassword"]) is None

    items = listed(iam, UserName="alice", ServiceName=CODECOMMIT)
    assert [i["ServiceSpecificCredentialId"] for i in items] == [
        first_id,
        second["ServiceSpecificCredentialId"],
    ]
    assert all("ServicePassword" not in i for i in items)
    assert set(items[0]) == {
        "UserName",
        "Status",
        "ServiceUserName",
        "CreateDate",
        "ServiceSpecificCredentialId",
        "ServiceName",
    }
    assert len(listed(iam, UserName="alice")) == 3
    page = iam.list_service_specific_credentials(UserName="alice", MaxItems=2)
    assert page["IsTruncated"] is True and len(page["ServiceSpecificCredentials"]) == 2
    rest = iam.list_service_specific_credentials(UserName="alice", Marker=page["Marker"])
    assert len(rest["ServiceSpecificCredentials"]) == 1 and rest["IsTruncated"] is False

    # Inactive credentials authenticate nothing, until activated again.
    iam.update_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=first_id, Status="Inactive"
    )
    assert listed(iam, UserName="alice", ServiceName=CODECOMMIT)[0]["Status"] == "Inactive"
    assert git_login(server, f"alice-at-{account_id}", password) is None
    iam.update_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=first_id, Status="Active"
    )
    assert git_login(server, f"alice-at-{account_id}", password) == arn

    # A reset password replaces the old one at once.
    reset = iam.reset_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=first_id
    )["ServiceSpecificCredential"]
    assert reset["ServiceSpecificCredentialId"] == first_id
    assert reset["ServiceUserName"] == f"alice-at-{account_id}"
    assert reset["ServicePassword"] != password
    assert git_login(server, f"alice-at-{account_id}", password) is None
    assert git_login(server, f"alice-at-{account_id}", reset["ServicePassword"]) == arn

    # A user with credentials cannot be deleted.
    with pytest.raises(ClientError) as caught:
        iam.delete_user(UserName="alice")
    assert error_of(caught) == (
        "DeleteConflict",
        "Cannot delete entity, must remove referenced objects first.",
        409,
    )
    assert iam.get_user(UserName="alice")["User"]["Arn"] == arn
    for item in listed(iam, UserName="alice"):
        iam.delete_service_specific_credential(
            UserName="alice", ServiceSpecificCredentialId=item["ServiceSpecificCredentialId"]
        )
    assert listed(iam, UserName="alice") == []
    assert git_login(server, f"alice-at-{account_id}", reset["ServicePassword"]) is None
    iam.delete_user(UserName="alice")


def test_bad_requests_change_nothing(iam: Any, account_id: str) -> None:
    iam.create_user(UserName="bob")
    iam.create_user(UserName="carol")
    mine = iam.create_service_specific_credential(UserName="bob", ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"
    ]["ServiceSpecificCredentialId"]
    carols = iam.create_service_specific_credential(UserName="carol", ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"
    ]["ServiceSpecificCredentialId"]
    before = listed(iam, AllUsers=True)

    def refused(call: Any, **params: Any) -> tuple[str, str, int]:
        with pytest.raises(ClientError) as caught:
            call(**params)
        return error_of(caught)

    assert refused(
        iam.create_service_specific_credential, UserName="nobody", ServiceName=CODECOMMIT
    ) == ("NoSuchEntity", "The user with name nobody cannot be found.", 404)
    # The user is looked up before the service.
    assert refused(
        iam.create_service_specific_credential,
        UserName="nobody",
        ServiceName="lambda.amazonaws.com",
    ) == ("NoSuchEntity", "The user with name nobody cannot be found.", 404)
    unsupported = (
        "NoSuchEntity",
        "No such service lambda.amazonaws.com is supported for Service Specific Credentials",
        404,
    )
    assert (
        refused(
            iam.create_service_specific_credential,
            UserName="bob",
            ServiceName="lambda.amazonaws.com",
        )
        == unsupported
    )
    assert (
        refused(
            iam.list_service_specific_credentials,
            UserName="bob",
            ServiceName="lambda.amazonaws.com",
        )
        == unsupported
    )
    assert refused(
        iam.create_service_specific_credential,
        UserName="bob",
        ServiceName=CODECOMMIT,
        CredentialAgeDays=30,
    ) == (
        "InvalidInput",
        f"CredentialAgeDays applies only to long-term API keys; credentials for {CODECOMMIT} "
        f"do not expire. Leave CredentialAgeDays out.",
        400,
    )
    assert refused(iam.list_service_specific_credentials, UserName="bob", AllUsers=True) == (
        "InvalidInput",
        "AllUsers cannot be specified together with UserName; give one or the other.",
        400,
    )
    assert refused(iam.list_service_specific_credentials, UserName="nobody") == (
        "NoSuchEntity",
        "The user with name nobody cannot be found.",
        404,
    )

    unknown = "ACCA" + "X" * 17
    for call, extra in (
        (iam.update_service_specific_credential, {"Status": "Inactive"}),
        (iam.reset_service_specific_credential, {}),
        (iam.delete_service_specific_credential, {}),
    ):
        for user, credential_id in (("bob", unknown), ("bob", carols)):
            assert refused(
                call, UserName=user, ServiceSpecificCredentialId=credential_id, **extra
            ) == ("NoSuchEntity", f"No such credential {credential_id} exists", 404)
        assert refused(
            call, UserName="wrong-user-name", ServiceSpecificCredentialId=mine, **extra
        ) == ("NoSuchEntity", "The user with name wrong-user-name cannot be found.", 404)

    assert refused(
        iam.update_service_specific_credential,
        UserName="bob",
        ServiceSpecificCredentialId=mine,
        Status="Expired",
    ) == (
        "InvalidInput",
        "Status Expired cannot be set: IAM marks API keys Expired when their age runs out. "
        "Set Active or Inactive.",
        400,
    )
    code, message, status = refused(
        iam.update_service_specific_credential,
        UserName="bob",
        ServiceSpecificCredentialId=mine,
        Status="Invalid",
    )
    assert (code, status) == ("ValidationError", 400)
    assert "status" in message and "Active, Inactive, Expired" in message
    code, message, status = refused(
        iam.delete_service_specific_credential,
        UserName="bob",
        ServiceSpecificCredentialId="totally-wrong-credential-id-with-hyphens",
    )
    assert (code, status) == ("ValidationError", 400)
    assert "serviceSpecificCredentialId" in message and "[\\w]+" in message

    assert listed(iam, AllUsers=True) == before


def test_all_users_and_the_callers_own(server: LiveServer, iam: Any, account_id: str) -> None:
    iam.create_user(UserName="dave")
    iam.create_user(UserName="erin")
    for name in ("erin", "dave", "erin"):
        iam.create_service_specific_credential(UserName=name, ServiceName=CODECOMMIT)
    iam.create_service_specific_credential(UserName="dave", ServiceName="cassandra.amazonaws.com")
    everyone = listed(iam, AllUsers=True, ServiceName=CODECOMMIT)
    assert [(i["UserName"], i["ServiceUserName"]) for i in everyone] == [
        ("dave", f"dave-at-{account_id}"),
        ("erin", f"erin-at-{account_id}"),
        ("erin", f"erin+1-at-{account_id}"),
    ]
    assert len(listed(iam, AllUsers=True)) == 4

    # Without UserName the operations act on the calling user, as its policy allows.
    own = f"arn:aws:iam::{account_id}:user/dave"
    iam.put_user_policy(
        UserName="dave",
        PolicyName="own-git-credentials",
        PolicyDocument=policy_document(
            {
                "Effect": "Allow",
                "Action": [
                    "iam:ListServiceSpecificCredentials",
                    "iam:ResetServiceSpecificCredential",
                    "iam:UpdateServiceSpecificCredential",
                    "iam:DeleteServiceSpecificCredential",
                ],
                "Resource": own,
            }
        ),
    )
    key = iam.create_access_key(UserName="dave")["AccessKey"]
    dave = server.client("iam", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    mine = listed(dave, UserName="dave", ServiceName=CODECOMMIT)
    assert [i["ServiceUserName"] for i in mine] == [f"dave-at-{account_id}"]
    credential_id = mine[0]["ServiceSpecificCredentialId"]
    password = dave.reset_service_specific_credential(
        UserName="dave", ServiceSpecificCredentialId=credential_id
    )["ServiceSpecificCredential"]["ServicePassword"]
    assert git_login(server, f"dave-at-{account_id}", password) == own
    with pytest.raises(ClientError) as caught:
        dave.list_service_specific_credentials(UserName="erin")
    code, message, status = error_of(caught)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(
        f"User: {own} is not authorized to perform: iam:ListServiceSpecificCredentials on "
        f"resource: arn:aws:iam::{account_id}:user/erin"
    )
    with pytest.raises(ClientError) as caught:
        dave.create_service_specific_credential(UserName="dave", ServiceName=CODECOMMIT)
    assert error_of(caught)[0] == "AccessDenied"
    dave.delete_service_specific_credential(
        UserName="dave", ServiceSpecificCredentialId=credential_id
    )
    assert git_login(server, f"dave-at-{account_id}", password) is None


def test_accounts_do_not_reach_each_others_credentials(
    server: LiveServer, iam: Any, account_id: str
) -> None:
    other_id = server.create_account("other")
    other = server.client("iam", other_id)
    other.create_user(UserName="frank")
    theirs = other.create_service_specific_credential(UserName="frank", ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"
    ]
    assert theirs["ServiceUserName"] == f"frank-at-{other_id}"

    with pytest.raises(ClientError) as caught:
        iam.list_service_specific_credentials(UserName="frank")
    assert error_of(caught) == ("NoSuchEntity", "The user with name frank cannot be found.", 404)
    # Even a same-named user in this account does not reach the other account's credential.
    iam.create_user(UserName="frank")
    credential_id = theirs["ServiceSpecificCredentialId"]
    for call, extra in (
        (iam.update_service_specific_credential, {"Status": "Inactive"}),
        (iam.reset_service_specific_credential, {}),
        (iam.delete_service_specific_credential, {}),
    ):
        with pytest.raises(ClientError) as caught:
            call(UserName="frank", ServiceSpecificCredentialId=credential_id, **extra)
        assert error_of(caught) == (
            "NoSuchEntity",
            f"No such credential {credential_id} exists",
            404,
        )
    assert listed(iam, AllUsers=True) == []
    mine = iam.create_service_specific_credential(UserName="frank", ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"
    ]
    assert mine["ServiceUserName"] == f"frank-at-{account_id}"

    # Each password opens only its own account's user.
    assert git_login(server, theirs["ServiceUserName"], theirs["ServicePassword"]) == (
        f"arn:aws:iam::{other_id}:user/frank"
    )
    assert git_login(server, mine["ServiceUserName"], mine["ServicePassword"]) == (
        f"arn:aws:iam::{account_id}:user/frank"
    )
    assert git_login(server, mine["ServiceUserName"], theirs["ServicePassword"]) is None
    assert listed(other, UserName="frank")[0]["Status"] == "Active"
