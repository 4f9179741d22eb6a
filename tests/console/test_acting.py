"""Console actions over plain HTTP: a denial changes nothing and is explained, a refused
switch role keeps the user, and the sign-in form needs its own token."""

from __future__ import annotations

import json

from tests.support import LiveServer

from .support import Browsers, csrf_token, user_keys
from .test_denials import READ_ONLY, pending_version, status_of


def test_a_denied_approval_changes_nothing_and_shows_why(
    server: LiveServer, browsers: Browsers
) -> None:
    arn = pending_version(server, "credit")
    client = browsers.signed_in(user_keys(server, "reader", READ_ONLY))
    path = "/console/sagemaker/model-groups/credit/versions/1"
    token = csrf_token(client.get(path).text)
    answer = client.post(
        path + "/status", data={"csrf_token": token, "status": "Approved", "reason": "ok"}
    )
    assert answer.url.path == path
    account = server.first_account_id()
    assert (
        f"AccessDeniedException: User: arn:aws:iam::{account}:user/reader is not authorized to "
        f"perform: sagemaker:UpdateModelPackage on resource: {arn}"
    ) in answer.text
    assert "decision:  implicitDeny" in answer.text
    assert status_of(server, arn)["ModelApprovalStatus"] == "PendingManualApproval"
    # The refusal is in the trail, with its error.
    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "UpdateModelPackage"}]
    )["Events"]
    [event] = [json.loads(e["CloudTrailEvent"]) for e in events]
    assert event["errorCode"] == "AccessDeniedException"
    assert event["userIdentity"]["arn"] == f"arn:aws:iam::{account}:user/reader"


def test_a_refused_switch_role_keeps_the_signed_in_user(
    server: LiveServer, browsers: Browsers
) -> None:
    other = server.create_account("elsewhere")
    client = browsers.signed_in(user_keys(server, "wanderer"))
    token = csrf_token(client.get("/console/switch-role").text)
    answer = client.post(
        "/console/switch-role",
        data={"csrf_token": token, "account": other, "role": "admin", "display_name": "x"},
    )
    assert answer.url.path == "/console/switch-role"
    account = server.first_account_id()
    assert (
        f"User: arn:aws:iam::{account}:user/wanderer is not authorized to perform: "
        f"sts:AssumeRole on resource: arn:aws:iam::{other}:role/admin"
    ) in answer.text
    assert f"wanderer @ {account}" in answer.text


def test_the_sign_in_form_needs_its_own_token(server: LiveServer, browsers: Browsers) -> None:
    keys = server.root_keys(server.first_account_id())
    client = browsers.new()
    answer = client.post(
        "/console/signin",
        data={"csrf_token": "made-up", "access_key_id": keys[0], "secret": keys[1]},
    )
    assert answer.status_code == 403
    assert "security token is missing or stale" in answer.text
    assert client.get("/console/").url.path == "/console/signin"
