"""Signing in with an IAM user's password (IAM's login profiles), over plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airlock.console.signin import password_check
from tests.support import LiveServer

from .support import Browsers, csrf_token

PASSWORD = "Correct-horse-7-battery"


@pytest.fixture
def browsers(server: LiveServer) -> Iterator[Browsers]:
    """HTTP clients of the server."""
    if password_check() is None:
        pytest.skip("this build of IAM has no login profiles (airlock.iam.verify_password)")
    opened = Browsers(server)
    yield opened
    opened.close()


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
