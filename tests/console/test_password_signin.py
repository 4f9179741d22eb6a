"""Signing in with an IAM user's password (IAM's login profiles), over plain HTTP."""

from __future__ import annotations

import json

from tests.support import LiveServer

from .support import Browsers, csrf_token

PASSWORD = "Correct-horse-7-battery"


def sign_in(browsers: Browsers, account: str, user: str, password: str) -> tuple[object, str]:
    """Post the password form; the answer's status and the page it ended on."""
    client = browsers.new()
    token = csrf_token(client.get("/console/signin").text)
    answer = client.post(
        "/console/signin",
        data={"csrf_token": token, "account": account, "user_name": user, "password": password},
    )
    return answer.status_code, answer.text


def test_a_user_signs_in_with_the_login_profiles_password(
    server: LiveServer, browsers: Browsers
) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="carol")
    iam.create_login_profile(UserName="carol", Password=PASSWORD, PasswordResetRequired=False)
    account = server.first_account_id()
    status, page = sign_in(browsers, account, "carol", PASSWORD)
    assert status == 200
    assert f"carol @ {account}" in page
    status, page = sign_in(browsers, account, "carol", PASSWORD + "x")
    assert status == 401
    assert "Your authentication information is incorrect" in page
    status, page = sign_in(browsers, account, "nobody", PASSWORD)
    assert status == 401


def test_a_reset_password_must_be_changed_before_anything_else(
    server: LiveServer, browsers: Browsers
) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="dave")
    # What AWS's IAMUserChangePassword managed policy allows.
    own = {
        "Effect": "Allow",
        "Action": "iam:ChangePassword",
        "Resource": "arn:aws:iam::*:user/${aws:username}",
    }
    iam.put_user_policy(
        UserName="dave",
        PolicyName="change-password",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [own]}),
    )
    iam.create_login_profile(UserName="dave", Password=PASSWORD, PasswordResetRequired=True)
    client = browsers.new()
    token = csrf_token(client.get("/console/signin").text)
    account = server.first_account_id()
    answer = client.post(
        "/console/signin",
        data={"csrf_token": token, "account": account, "user_name": "dave", "password": PASSWORD},
    )
    assert answer.url.path == "/console/change-password"
    assert client.get("/console/audit").url.path == "/console/change-password"
    changed = client.post(
        "/console/change-password",
        data={
            "csrf_token": csrf_token(answer.text),
            "old_password": PASSWORD,
            "new_password": "Another-7-good-one",
            "confirm_password": "Another-7-good-one",
        },
    )
    assert changed.url.path == "/console/", changed.text
    assert "Your password is changed." in changed.text
    assert client.get("/console/audit").url.path == "/console/audit"
    status, _ = sign_in(browsers, account, "dave", "Another-7-good-one")
    assert status == 200
