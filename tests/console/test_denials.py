"""In a real Chromium: a read-only user's Approve is refused with its explanation, and a
form posted from another site is refused; neither changes the model version."""

from __future__ import annotations

import json

from playwright.sync_api import Browser, expect

from tests.examples.multi_account_support import register
from tests.support import LiveServer

from .browsing import signed_in_page, version_page
from .support import user_keys

READ_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sagemaker:Describe*", "sagemaker:List*"],
                "Resource": "*",
            }
        ],
    }
)


def pending_version(server: LiveServer, group: str) -> str:
    """A group with one version pending approval; its ARN."""
    s3 = server.client("s3")
    s3.create_bucket(Bucket=f"models-{group}")
    s3.put_object(Bucket=f"models-{group}", Key="model.tar.gz", Body=b"model bytes")
    sm = server.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=group)
    return register(sm, group, f"s3://models-{group}/model.tar.gz")


def status_of(server: LiveServer, arn: str) -> dict[str, object]:
    """The version as DescribeModelPackage shows it."""
    return dict(server.client("sagemaker").describe_model_package(ModelPackageName=arn))


def test_a_read_only_users_approve_is_refused_with_the_explanation(
    server: LiveServer, browser: Browser
) -> None:
    arn = pending_version(server, "churn")
    page = signed_in_page(browser, server, user_keys(server, "reader", READ_ONLY))
    version_page(page, server, "churn", 1)
    page.get_by_label("Reason").fill("Looks fine to me")
    page.get_by_role("button", name="Approve").click()
    denial = page.get_by_role("alert").filter(has_text="UpdateModelPackage")
    expect(denial).to_contain_text(
        f"AccessDeniedException: User: arn:aws:iam::{server.first_account_id()}:user/reader "
        f"is not authorized to perform: sagemaker:UpdateModelPackage on resource: {arn} "
        "because no identity-based policy allows the sagemaker:UpdateModelPackage action"
    )
    expect(denial.locator("pre.explain")).to_contain_text("decision:  implicitDeny")
    expect(page.locator("#approval-status")).to_have_text("PendingManualApproval")
    found = status_of(server, arn)
    assert found["ModelApprovalStatus"] == "PendingManualApproval"
    assert "ApprovalDescription" not in found
    page.context.close()


def test_a_form_posted_from_another_site_is_refused(server: LiveServer, browser: Browser) -> None:
    arn = pending_version(server, "fraud")
    page = signed_in_page(browser, server, server.root_keys(server.first_account_id()))
    target = f"{server.url}/console/sagemaker/model-groups/fraud/versions/1/status"
    forged = (
        f'<form method="post" action="{target}">'
        '<input name="csrf_token" value="guessed"><input name="status" value="Approved">'
        '<input name="reason" value="forged"><button type="submit">Win a prize</button></form>'
    )
    # A page of another origin, served to the signed-in browser.
    page.route(
        "http://elsewhere.test/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=forged),
    )
    page.goto("http://elsewhere.test/prize")
    with page.expect_response(target) as answer:
        page.get_by_role("button", name="Win a prize").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", name="Request refused")).to_be_visible()
    assert status_of(server, arn)["ModelApprovalStatus"] == "PendingManualApproval"
    # The session itself is untouched: the console still serves the signed-in user.
    page.goto(f"{server.url}/console/")
    expect(page.locator("#who")).to_have_text(f"root @ {server.first_account_id()}")
    page.context.close()
