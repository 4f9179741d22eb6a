"""The console's service pages over plain HTTP, against one live server with real resources
made through boto3: stacks and stack sets, repositories, the catalog, projects, pipeline
executions and endpoints; and a crawl from the home page that reaches every route."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cloudformation.sets import (
    admin_role,
    execution_role,
    log_group_template,
    operation_done,
)
from tests.sagemaker.projects_support import project_catalog
from tests.support import LiveServer, live_server, wait_for

from .support import sign_in_with_keys, user_keys

ADMIN = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
README = "# Churn model\nTrained nightly.\n"
TRAIN = "print('training')\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One live server for the module's pages (each test only reads, or makes its own)."""
    with live_server(Path(tmp_path_factory.mktemp("pages")) / "state") as live:
        yield live


def _stacks(server: LiveServer) -> dict[str, Any]:
    """A stack, and a stack set with one instance in another account."""
    cfn = server.client("cloudformation")
    cfn.create_stack(
        StackName="team-logs",
        TemplateBody=log_group_template(),
        Parameters=[{"ParameterKey": "Retention", "ParameterValue": "14"}],
    )
    admin = server.first_account_id()
    admin_role(server, admin)
    target = server.create_account("dev")
    execution_role(server, target, f"arn:aws:iam::{admin}:root")
    cfn.create_stack_set(StackSetName="org-logs", TemplateBody=log_group_template())
    operation = cfn.create_stack_instances(
        StackSetName="org-logs", Accounts=[target], Regions=[server.settings.region]
    )["OperationId"]
    operation_done(cfn, "org-logs", operation, timeout=120)

    def created() -> bool:
        status = str(cfn.describe_stacks(StackName="team-logs")["Stacks"][0]["StackStatus"])
        return status == "CREATE_COMPLETE"

    wait_for(created, timeout=120, what="the stack to be created")
    return {"target": target, "operation": operation}


def _repository(server: LiveServer) -> dict[str, str]:
    """A repository with two commits."""
    cc = server.client("codecommit")
    cc.create_repository(repositoryName="churn-code", repositoryDescription="the churn model")
    first = cc.create_commit(
        repositoryName="churn-code",
        branchName="main",
        commitMessage="Describe the model",
        authorName="Dana",
        putFiles=[{"filePath": "README.md", "fileContent": README.encode()}],
    )["commitId"]
    second = cc.create_commit(
        repositoryName="churn-code",
        branchName="main",
        parentCommitId=first,
        commitMessage="Add the training script",
        authorName="Dana",
        putFiles=[{"filePath": "src/train.py", "fileContent": TRAIN.encode()}],
    )["commitId"]
    return {"first": first, "second": second}


@pytest.fixture(scope="module")
def world(server: LiveServer) -> dict[str, Any]:
    """The resources every page test reads, made once."""
    made: dict[str, Any] = {"admin": user_keys(server, "admin", ADMIN)}
    made.update(_stacks(server))
    made.update(_repository(server))
    made["catalog"] = project_catalog(server)
    return made


@pytest.fixture
def admin(server: LiveServer, world: dict[str, Any]) -> Iterator[httpx.Client]:
    """A client signed in as the account's administrator."""
    with httpx.Client(base_url=server.url, follow_redirects=True, timeout=60) as client:
        yield sign_in_with_keys(client, world["admin"])


def text_of(answer: httpx.Response) -> str:
    """A page's HTML with its entities decoded, to assert on what a person reads."""
    assert answer.status_code == 200, answer.text
    return html.unescape(answer.text)


def test_stack_pages_show_outputs_resources_events_and_template(admin: httpx.Client) -> None:
    listing = text_of(admin.get("/console/cloudformation/stacks"))
    assert "team-logs" in listing and "CREATE_COMPLETE" in listing
    stack = text_of(admin.get("/console/cloudformation/stacks/team-logs"))
    assert 'id="stack-status">CREATE_COMPLETE' in stack
    assert "AWS::Logs::LogGroup" in stack and "team-logs-logs" in stack
    assert "Retention" in stack and "14" in stack
    assert "CREATE_IN_PROGRESS" in stack  # the events
    assert '"RetentionInDays"' in stack  # the template


def test_stack_set_pages_show_instances_and_operation_results(
    admin: httpx.Client, world: dict[str, Any]
) -> None:
    listing = text_of(admin.get("/console/cloudformation/stack-sets"))
    assert "org-logs" in listing and "ACTIVE" in listing
    stack_set = text_of(admin.get("/console/cloudformation/stack-sets/org-logs"))
    assert world["target"] in stack_set and "CURRENT" in stack_set
    assert world["operation"] in stack_set and "SUCCEEDED" in stack_set
    results = text_of(
        admin.get(f"/console/cloudformation/stack-sets/org-logs/operations/{world['operation']}")
    )
    assert world["target"] in results and "SUCCEEDED" in results


def test_repository_pages_browse_files_and_commits(
    admin: httpx.Client, world: dict[str, Any]
) -> None:
    assert "churn-code" in text_of(admin.get("/console/codecommit/repositories"))
    root = text_of(admin.get("/console/codecommit/repositories/churn-code"))
    assert "README.md" in root and "src/" in root and "the churn model" in root
    folder = text_of(admin.get("/console/codecommit/repositories/churn-code?ref=main&path=src"))
    assert "train.py" in folder
    readme = admin.get("/console/codecommit/repositories/churn-code/file?ref=main&path=README.md")
    assert README.strip() in text_of(readme)
    # At the first commit the training script did not exist yet.
    old = text_of(admin.get(f"/console/codecommit/repositories/churn-code?ref={world['first']}"))
    assert "README.md" in old and "src/" not in old
    commits = text_of(admin.get("/console/codecommit/repositories/churn-code/commits?ref=main"))
    assert commits.index("Add the training script") < commits.index("Describe the model")
    assert world["second"][:10] in commits and world["first"][:10] in commits


def test_catalog_pages_show_portfolios_products_constraints_and_access(
    admin: httpx.Client, world: dict[str, Any]
) -> None:
    catalog = world["catalog"]
    listing = text_of(admin.get("/console/servicecatalog"))
    assert "Team portfolio" in listing and "Log group" in listing
    portfolio = text_of(admin.get(f"/console/servicecatalog/portfolios/{catalog['portfolio']}"))
    assert "LAUNCH" in portfolio and catalog["product"] in portfolio
    product = text_of(admin.get(f"/console/servicecatalog/products/{catalog['product']}"))
    assert "v1" in product and catalog["artifact"] in product and "Team portfolio" in product
