"""Login profiles (console passwords) and ChangePassword through boto3 and the aws CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from airlock.audit.models import AuditEvent
from airlock.iam import verify_password
from airlock.iam.models import IamLoginProfile
from airlock.identity import IdentityService
from tests.support import LiveServer, aws_cli, policy_document

PASSWORD = "Correct-Horse-42"
POLICY_VIOLATION = (
    "PasswordPolicyViolation",
    "Password does not conform to the account password policy. A password needs 8 to 128 "
    "characters with at least three of: uppercase letters, lowercase letters, numbers and the "
    "symbols ! @ # $ % ^ & * ( ) _ + - = [ ] { } | ', and must not be the account's name or "
    "email address.",
    400,
)


def refused(call: Any, **params: Any) -> tuple[str, str, int]:
    """Code, message and HTTP status of a call that must fail."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def signs_in(server: LiveServer, account_id: str, user: str, password: str) -> str | None:
    """The ARN the console would sign these credentials in as, or None."""
    found = verify_password(server.airlock.platform, account_id, user, password)
    return found.principal.arn if found else None


def user_client(server: LiveServer, name: str, *actions: str) -> tuple[Any, str]:
    """An IAM client signed as a new user allowed `actions` on its own ARN, and that ARN."""
    iam = server.client("iam")
    arn = str(iam.create_user(UserName=name)["User"]["Arn"])
    if actions:
        iam.put_user_policy(
            UserName=name,
            PolicyName="own-password",
            PolicyDocument=policy_document(
                {"Effect": "Allow", "Action": list(actions), "Resource": arn}
            ),
        )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("iam", keys=(key["AccessKeyId"], key["SecretAccessKey"])), arn


def test_lifecycle(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    account_id = server.first_account_id()
    iam = server.client("iam", account_id)
    arn = iam.create_user(UserName="alice")["User"]["Arn"]

    created = iam.create_login_profile(UserName="alice", Password=PASSWORD)["LoginProfile"]
    assert set(created) == {"UserName", "CreateDate", "PasswordResetRequired"}
    assert created["UserName"] == "alice" and created["PasswordResetRequired"] is False
    assert iam.get_login_profile(UserName="alice")["LoginProfile"] == created
    assert refused(iam.create_login_profile, UserName="alice", Password=PASSWORD + "x") == (
        "EntityAlreadyExists",
        "Login Profile for user alice already exists.",
        409,
    )

    # The console's check: the right password of an existing user, nothing else.
    assert signs_in(server, account_id, "alice", PASSWORD) == arn
    assert signs_in(server, account_id, "ALICE", PASSWORD) == arn  # names are case-insensitive
    assert signs_in(server, account_id, "alice", PASSWORD + "x") is None
    assert signs_in(server, account_id, "nobody", PASSWORD) is None
    found = verify_password(server.airlock.platform, account_id, "alice", PASSWORD)
    assert found is not None and found.password_reset_required is False

    # Only a salted slow hash is stored.
    with server.airlock.platform.db.read() as session:
        stored = session.scalars(select(IamLoginProfile.password_hash)).one()
    assert stored.startswith("scrypt$16384$8$1$") and PASSWORD not in stored

    # An administrator sets a new password and asks for it to be changed.
    iam.update_login_profile(
        UserName="alice", Password="Another-Pass-7", PasswordResetRequired=True
    )
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"]
    assert signs_in(server, account_id, "alice", PASSWORD) is None
    found = verify_password(server.airlock.platform, account_id, "alice", "Another-Pass-7")
    assert found is not None and found.principal.arn == arn and found.password_reset_required
    iam.update_login_profile(UserName="alice", PasswordResetRequired=False)
    profile = iam.get_login_profile(UserName="alice")["LoginProfile"]
    assert profile["PasswordResetRequired"] is False
    assert signs_in(server, account_id, "alice", "Another-Pass-7") == arn

    # A user with a console password cannot be deleted.
    assert refused(iam.delete_user, UserName="alice") == (
        "DeleteConflict",
        "Cannot delete entity, must delete login profile first.",
        409,
    )
    iam.delete_login_profile(UserName="alice")
    assert refused(iam.get_login_profile, UserName="alice") == (
        "NoSuchEntity",
        "Login Profile for User alice cannot be found.",
        404,
    )
    assert signs_in(server, account_id, "alice", "Another-Pass-7") is None
    iam.delete_user(UserName="alice")
    with server.airlock.platform.db.read() as session:
        assert session.scalars(select(IamLoginProfile)).all() == []


def test_bad_requests_change_nothing(server: LiveServer, iam: Any, account_id: str) -> None:
    iam.create_user(UserName="bob")
    missing_user = ("NoSuchEntity", "The user with name nobody cannot be found.", 404)
    assert refused(iam.create_login_profile, UserName="nobody", Password=PASSWORD) == missing_user
    assert refused(iam.get_login_profile, UserName="nobody") == missing_user
    assert refused(iam.update_login_profile, UserName="nobody", Password=PASSWORD) == missing_user
    assert refused(iam.delete_login_profile, UserName="nobody") == missing_user
    no_profile = ("NoSuchEntity", "Login Profile for User bob cannot be found.", 404)
    assert refused(iam.get_login_profile, UserName="bob") == no_profile
    assert refused(iam.update_login_profile, UserName="bob", Password=PASSWORD) == no_profile
    assert refused(iam.delete_login_profile, UserName="bob") == no_profile
    assert refused(iam.create_login_profile, UserName="bob") == (
        "InvalidInput",
        "Password is required to create a login profile for user bob.",
        400,
    )

    with server.airlock.platform.db.read() as session:
        account = IdentityService(session, server.airlock.platform.clock).get_account(account_id)
        assert account is not None
        email = account.email
    # AWS's default policy: 8 to 128 characters, three kinds of character, not the account's
    # name or email address.
    for weak in ("Sh0rt!", "alllowercase1", "NoDigitsOrSymbols", email):
        assert refused(iam.create_login_profile, UserName="bob", Password=weak) == (
            POLICY_VIOLATION
        ), weak
    # Longer than 128 characters is outside the API's own length limit.
    code, message, status = refused(
        iam.create_login_profile, UserName="bob", Password="A1!" + "a" * 126
    )
    assert (code, status) == ("ValidationError", 400) and "128" in message
    assert refused(iam.get_login_profile, UserName="bob") == no_profile
    iam.create_login_profile(UserName="bob", Password="Exactly8!")
    assert refused(iam.update_login_profile, UserName="bob", Password="weakpassword") == (
        POLICY_VIOLATION
    )
    assert signs_in(server, account_id, "bob", "Exactly8!") is not None

    # Profiles belong to their account: another account's same-named user is not found.
    other_id = server.create_account("Team-Alpha-01")
    other = server.client("iam", other_id)
    assert refused(other.get_login_profile, UserName="bob") == (
        "NoSuchEntity",
        "The user with name bob cannot be found.",
        404,
    )
    assert signs_in(server, other_id, "bob", "Exactly8!") is None
    other.create_user(UserName="bob")
    # That account's name would meet the rest of the policy, but is refused as a password.
    assert refused(other.create_login_profile, UserName="bob", Password="Team-Alpha-01") == (
        POLICY_VIOLATION
    )
    other.create_login_profile(UserName="bob", Password="Team-Alpha-02")
    assert signs_in(server, other_id, "bob", "Exactly8!") is None
    assert signs_in(server, account_id, "bob", "Team-Alpha-02") is None
    assert signs_in(server, other_id, "bob", "Team-Alpha-02") == (
        f"arn:aws:iam::{other_id}:user/bob"
    )


def test_change_password(server: LiveServer, iam: Any, account_id: str) -> None:
    dave, arn = user_client(server, "dave", "iam:ChangePassword", "iam:GetLoginProfile")
    assert refused(dave.change_password, OldPassword=PASSWORD, NewPassword="New-Pass-99") == (
        "NoSuchEntity",
        "Login Profile for User dave cannot be found.",
        404,
    )
    iam.create_login_profile(UserName="dave", Password=PASSWORD, PasswordResetRequired=True)

    assert refused(dave.change_password, OldPassword="Wrong-Pass-1", NewPassword="New-Pass-99") == (
        "InvalidUserType",
        "The old password was incorrect.",
        400,
    )
    assert refused(dave.change_password, OldPassword=PASSWORD, NewPassword="weak") == (
        POLICY_VIOLATION
    )
    assert signs_in(server, account_id, "dave", PASSWORD) == arn

    dave.change_password(OldPassword=PASSWORD, NewPassword="New-Pass-99")
    assert signs_in(server, account_id, "dave", PASSWORD) is None
    found = verify_password(server.airlock.platform, account_id, "dave", "New-Pass-99")
    assert found is not None and found.principal.arn == arn
    # Changing the password is what a required reset asks for.
    assert found.password_reset_required is False
    assert dave.get_login_profile()["LoginProfile"]["UserName"] == "dave"

    # The root user has no IAM user password to change.
    assert refused(iam.change_password, OldPassword=PASSWORD, NewPassword="New-Pass-99") == (
        "InvalidUserType",
        "ChangePassword changes an IAM user's own password; call it with the access keys of "
        "an IAM user, not of the root user or a role.",
        400,
    )
    # Without iam:ChangePassword on its own ARN, a user may not change its password.
    erin, erin_arn = user_client(server, "erin")
    iam.create_login_profile(UserName="erin", Password=PASSWORD)
    code, message, status = refused(
        erin.change_password, OldPassword=PASSWORD, NewPassword="New-Pass-99"
    )
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(
        f"User: {erin_arn} is not authorized to perform: iam:ChangePassword on resource: {erin_arn}"
    )
    assert signs_in(server, account_id, "erin", PASSWORD) == erin_arn


def test_passwords_stay_out_of_the_audit_trail(
    server: LiveServer, iam: Any, account_id: str
) -> None:
    frank, _ = user_client(server, "frank", "iam:ChangePassword")
    iam.create_login_profile(UserName="frank", Password=PASSWORD)
    iam.update_login_profile(UserName="frank", Password="Second-Pass-2")
    frank.change_password(OldPassword="Second-Pass-2", NewPassword="Third-Pass-3")
    with pytest.raises(ClientError):
        frank.change_password(OldPassword="Wrong-Pass-4", NewPassword="Fourth-Pass-4")

    trail = server.client("cloudtrail", account_id)

    def parameters(name: str) -> list[dict[str, Any]]:
        found = trail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}]
        )["Events"]
        return [json.loads(e["CloudTrailEvent"])["requestParameters"] for e in found]

    hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert parameters("CreateLoginProfile") == [{"userName": "frank", "password": hidden}]
    assert parameters("UpdateLoginProfile") == [{"userName": "frank", "password": hidden}]
    assert parameters("ChangePassword") == [
        {"oldPassword": hidden, "newPassword": hidden},
        {"oldPassword": hidden, "newPassword": hidden},
    ]
    with server.airlock.platform.db.read() as session:
        stored = " ".join(e.document for e in session.scalars(select(AuditEvent)))
    for password in (PASSWORD, "Second-Pass-2", "Third-Pass-3", "Wrong-Pass-4", "Fourth-Pass-4"):
        assert password not in stored


def test_aws_cli_creates_a_login_profile(server: LiveServer, iam: Any, tmp_path: Path) -> None:
    iam.create_user(UserName="grace")
    done = aws_cli(
        server,
        tmp_path,
        "iam",
        "create-login-profile",
        "--user-name",
        "grace",
        "--password",
        PASSWORD,
        "--password-reset-required",
    )
    assert done.returncode == 0, done.stderr
    profile = json.loads(done.stdout)["LoginProfile"]
    assert profile["UserName"] == "grace" and profile["PasswordResetRequired"] is True
    found = verify_password(server.airlock.platform, server.first_account_id(), "grace", PASSWORD)
    assert found is not None and found.password_reset_required is True
    again = aws_cli(
        server, tmp_path, "iam", "create-login-profile", "--user-name", "grace", "--password", "x"
    )
    assert again.returncode != 0
    assert "(EntityAlreadyExists)" in again.stderr
    assert "Login Profile for user grace already exists." in again.stderr
