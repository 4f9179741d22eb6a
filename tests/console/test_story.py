"""The article's console steps in a real Chromium: the data scientist (signed in with a
password) approves the model version with a reason and the CD pipeline starts; the approver
switches role into staging, sees the staging endpoint InService, switches back and approves
the manual gate with a summary; production is deployed, and the audit trail shows both
approvals and who made them."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.examples.multi_account_support import (
    PROJECT,
    approval_token,
    registered_model,
    stage,
    started_by_approval,
)
from tests.support import LiveServer, wait_for

from .browsing import signed_in_page, signed_in_with_password, version_page

READ_ONLY_ROLE = "console-read-only"
PASSWORD = "Iris-model-2-staging"


def policy(*statements: dict[str, Any]) -> str:
    """A policy document of the statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: list[str], resource: str = "*") -> dict[str, Any]:
    """An Allow statement."""
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def approver_keys(server: LiveServer, staging: str) -> tuple[str, str]:
    """The approver: may review deployments and read the trail, may not approve models, and
    may switch into the staging account's read-only role."""
    iam = server.client("iam")
    iam.create_user(UserName="approver")
    document = policy(
        allow(["codepipeline:Get*", "codepipeline:List*", "codepipeline:PutApprovalResult"]),
        allow(["cloudtrail:LookupEvents", "sagemaker:Describe*", "sagemaker:List*"]),
        allow(["sts:AssumeRole"], f"arn:aws:iam::{staging}:role/{READ_ONLY_ROLE}"),
    )
    iam.put_user_policy(UserName="approver", PolicyName="approver", PolicyDocument=document)
    key = iam.create_access_key(UserName="approver")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def read_only_role(server: LiveServer, staging: str, trusted: str) -> None:
    """The staging account's read-only role, which the data science account may assume."""
    iam = server.client("iam", staging)
    trust = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{trusted}:root"},
        "Action": "sts:AssumeRole",
    }
    iam.create_role(RoleName=READ_ONLY_ROLE, AssumeRolePolicyDocument=policy(trust))
    iam.put_role_policy(
        RoleName=READ_ONLY_ROLE,
        PolicyName="read-only",
        PolicyDocument=policy(
            allow(["sagemaker:Describe*", "sagemaker:List*", "cloudformation:Describe*"]),
            allow(["codepipeline:List*", "organizations:Describe*", "organizations:List*"]),
        ),
    )


def endpoint_status(server: LiveServer, account: str, name: str) -> str | None:
    """The endpoint's status in the account, if it exists."""
    sm = server.client("sagemaker", account)
    found = [e for e in sm.list_endpoints()["Endpoints"] if e["EndpointName"] == name]
    return str(found[0]["EndpointStatus"]) if found else None


def audit_rows(page: Page, event: str) -> Any:
    """The audit trail's rows for one event name, filtered with the page's form."""
    page.get_by_role("navigation").get_by_role("link", name="Audit trail").click()
    page.get_by_label("Event name").fill(event)
    page.get_by_role("button", name="Filter").click()
    return page.locator("#events tbody tr")


def test_the_scientist_and_the_approver_deploy_the_model_from_the_console(
    server: LiveServer, browser: Browser
) -> None:
    story = registered_model(server)
    ds, staging, prod = server.first_account_id(), story.ids["staging"], story.ids["prod"]
    iam = server.client("iam")
    iam.create_login_profile(UserName="scientist", Password=PASSWORD)
    read_only_role(server, staging, ds)
    approver = approver_keys(server, staging)

    # The data scientist signs in with a password and approves the version with a reason;
    # the CD pipeline starts.
    scientist = signed_in_with_password(browser, server, ds, "scientist", PASSWORD)
    expect(scientist.locator("#who")).to_have_text(f"scientist @ {ds}")
    version_page(scientist, server, story.group, 1)
    scientist.get_by_label("Reason").fill("Accuracy 0.96 on the held-out rows")
    scientist.get_by_role("button", name="Approve").click()
    expect(scientist.get_by_role("status")).to_contain_text("Version 1 is now Approved.")
    expect(scientist.locator("#approval-status")).to_have_text("Approved")
    described = story.scientist.describe_model_package(ModelPackageName=story.package)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == "Accuracy 0.96 on the held-out rows"
    run = started_by_approval(server, story)
    scientist.context.close()

    cp = server.client("codepipeline")
    approval_token(cp, story.pipeline, run)  # staging deployed and tested: the gate waits

    # The approver looks at staging through its read-only role, then approves the gate.
    page = signed_in_page(browser, server, approver)
    expect(page.locator("#who")).to_have_text(f"approver @ {ds}")
    page.get_by_role("link", name="Switch role").click()
    page.get_by_label("Account").fill(staging)
    page.get_by_label("Role").fill(READ_ONLY_ROLE)
    page.get_by_label("Display name").fill("staging-readonly")
    page.get_by_role("button", name="Switch role").click()
    expect(page.locator("#who")).to_have_text(f"staging-readonly @ {staging}")
    endpoint = page.get_by_role("row", name=re.compile(f"{PROJECT}-staging"))
    expect(endpoint).to_contain_text("InService")
    page.get_by_role("button", name="Back to approver").click()
    expect(page.locator("#who")).to_have_text(f"approver @ {ds}")

    page.get_by_role("navigation").get_by_role("link", name="Pipelines").click()
    page.get_by_role("link", name=story.pipeline).click()
    page.get_by_role("link", name="Review").click()
    page.get_by_label("Summary").fill("Staging accuracy is good")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text(
        "ApproveDeployment/ApproveDeployment: Approved."
    )
    stage(cp, story.pipeline, "DeployProd", run, "Succeeded")
    wait_for(
        lambda: endpoint_status(server, prod, f"{PROJECT}-prod") == "InService",
        timeout=120,
        what="the production endpoint",
    )
    # The live stage view shows the deployment without a reload.
    deploy_prod = page.locator('[data-stage="DeployProd"] > .status')
    expect(deploy_prod).to_have_text("Succeeded")

    approvals = audit_rows(page, "PutApprovalResult")
    expect(approvals).to_have_count(1)
    expect(approvals).to_contain_text(f"arn:aws:iam::{ds}:user/approver")
    expect(approvals).to_contain_text("Approved: Staging accuracy is good")
    models = audit_rows(page, "UpdateModelPackage")
    expect(models).to_have_count(1)
    expect(models).to_contain_text(f"arn:aws:iam::{ds}:user/scientist")
    expect(models).to_contain_text("Approved: Accuracy 0.96 on the held-out rows")
    page.context.close()
