"""Console sessions over plain HTTP: cookies, forgery checks, limits, sign-out and expiry."""

from __future__ import annotations

import json
from datetime import timedelta

from airlock.platform.clock import ManualClock
from tests.support import LiveServer

from .support import Browsers, csrf_token, user_keys


def console_logins(server: LiveServer) -> list[dict[str, object]]:
    """The ConsoleLogin events of the first account's trail, newest first."""
    trail = server.client("cloudtrail")
    events = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ConsoleLogin"}]
    )["Events"]
    return [json.loads(e["CloudTrailEvent"]) for e in events]


def test_signing_in_with_access_keys_sets_a_strict_http_only_cookie(
    server: LiveServer, browsers: Browsers
) -> None:
    keys = user_keys(server, "alice")
    client = browsers.new()
    form = client.get("/console/signin?method=keys")
    answer = client.post(
        "/console/signin",
        data={"csrf_token": csrf_token(form.text), "access_key_id": keys[0], "secret": keys[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    cookie = next(
        v for k, v in answer.headers.multi_items() if k == "set-cookie" and "airlock_console=" in v
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    home = client.get("/console/")
    account = server.first_account_id()
    assert f"alice @ {account}" in home.text
    [event] = console_logins(server)
    assert event["responseElements"] == {"consoleLogin": "Success"}
    assert event["userIdentity"]["arn"] == f"arn:aws:iam::{account}:user/alice"  # type: ignore[index]


def test_a_wrong_secret_is_refused_audited_and_rate_limited(
    server: LiveServer, browsers: Browsers
) -> None:
    keys = user_keys(server, "bob")
    client = browsers.new()
    token = csrf_token(client.get("/console/signin?method=keys").text)
    wrong = {"csrf_token": token, "access_key_id": keys[0], "secret": "not-the-secret"}
    for _ in range(5):
        answer = client.post("/console/signin", data=wrong)
        assert answer.status_code == 401
        assert "Your authentication information is incorrect" in answer.text
    limited = client.post("/console/signin", data={**wrong, "secret": keys[1]})
    assert limited.status_code == 429
    assert "Too many failed sign-in attempts. Try again in" in limited.text
    events = console_logins(server)
    assert len(events) == 6
    assert all(e["errorCode"] == "ConsoleLoginFailure" for e in events)
    assert events[0]["errorMessage"] == "Too many failed sign-in attempts"
    assert events[-1]["errorMessage"] == "Failed authentication"
    assert events[-1]["userIdentity"]["userName"] == "bob"  # type: ignore[index]


def test_a_post_without_the_session_token_or_from_another_site_changes_nothing(
    server: LiveServer, browsers: Browsers
) -> None:
    client = browsers.signed_in(server.root_keys(server.first_account_id()))
    token = csrf_token(client.get("/console/").text)
    forged = client.post("/console/signout", data={"csrf_token": "guessed"})
    assert forged.status_code == 403
    assert "security token is missing or stale" in forged.text
    foreign = client.post(
        "/console/signout", data={"csrf_token": token}, headers={"Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403
    assert "A form from another site may not act in the console." in foreign.text
    # Still signed in: neither post ended the session.
    assert client.get("/console/").url.path == "/console/"
    assert client.post("/console/signout", data={"csrf_token": token}).url.path == "/console/signin"
    assert client.get("/console/").url.path == "/console/signin"
    browsers.close()


def test_a_session_expires(clocked_server: LiveServer, clock: ManualClock) -> None:
    browsers = Browsers(clocked_server)
    client = browsers.signed_in(clocked_server.root_keys(clocked_server.first_account_id()))
    clock.advance(timedelta(minutes=59))
    assert client.get("/console/").url.path == "/console/"
    clock.advance(timedelta(minutes=2))
    assert client.get("/console/").url.path == "/console/signin"
    browsers.close()
