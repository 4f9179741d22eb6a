"""Projects survive a SIGKILL of the server: after a restart the project worker finds each
project where the last commit left it, so a project makes exactly one provisioned product
and one stack."""

from __future__ import annotations

import json
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servicecatalog.support import ALLOW_ALL, create_portfolio, create_product
from tests.support import RestartableServer as Server
from tests.support import (
    restartable_server,
    service_trust,
    wait_for,
)

from .projects_support import VISIBLE

# A chain of log groups, so a launch takes a while after its ProvisionProduct.
GROUPS = 15
CHAIN = "\n".join(
    f"""  Group{i}:
    Type: AWS::Logs::LogGroup
    {"DependsOn: Group" + str(i - 1) if i else ""}
    Properties:
      LogGroupName: !Sub '${{SageMakerProjectName}}-{i}'"""
    for i in range(GROUPS)
)
TEMPLATE = f"""\
Parameters:
  SageMakerProjectName:
    Type: String
  SageMakerProjectId:
    Type: String
Resources:
{CHAIN}
"""


@pytest.fixture
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """A server process on the test's database: SQLite, or a fresh PostgreSQL schema."""
    with restartable_server(request.param, tmp_path) as server:
        yield server


def _product(server: Server) -> str:
    sc = server.client("servicecatalog")
    account = server.client("sts").get_caller_identity()["Account"]
    iam = server.client("iam")
    role = iam.create_role(
        RoleName="launch", AssumeRolePolicyDocument=service_trust("servicecatalog.amazonaws.com")
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName="launch", PolicyName="p", PolicyDocument=json.dumps(ALLOW_ALL))
    s3 = server.client("s3")
    s3.create_bucket(Bucket="templates")
    s3.put_object(Bucket="templates", Key="chain.yaml", Body=TEMPLATE.encode())
    portfolio = create_portfolio(sc)
    url = f"http://127.0.0.1:{server.port}/templates/chain.yaml"
    product = create_product(sc, url, Tags=VISIBLE)
    product_id = str(product["ProductViewDetail"]["ProductViewSummary"]["ProductId"])
    sc.associate_product_with_portfolio(ProductId=product_id, PortfolioId=portfolio)
    sc.associate_principal_with_portfolio(
        PortfolioId=portfolio, PrincipalARN=f"arn:aws:iam::{account}:root", PrincipalType="IAM"
    )
    sc.create_constraint(
        PortfolioId=portfolio,
        ProductId=product_id,
        Type="LAUNCH",
        Parameters=json.dumps({"RoleArn": role}),
        IdempotencyToken=uuid.uuid4().hex,
    )
    return product_id


def _status(server: Server, name: str) -> str:
    return str(server.client("sagemaker").describe_project(ProjectName=name)["ProjectStatus"])


def _stacks(server: Server) -> list[dict[str, Any]]:
    summaries = server.client("cloudformation").list_stacks()["StackSummaries"]
    return [s for s in summaries if s["StackName"].startswith("SC-")]


def _provisioned(server: Server) -> list[dict[str, Any]]:
    out = server.client("servicecatalog").scan_provisioned_products(
        AccessLevelFilter={"Key": "Account", "Value": "self"}
    )
    found: list[dict[str, Any]] = out["ProvisionedProducts"]
    return found


# Each kill point on one of the databases: the two share every line of the recovery.
@pytest.mark.parametrize(
    ("harness", "kill_when"),
    [
        ("sqlite", "Pending"),
        pytest.param("postgres", "CreateInProgress", marks=pytest.mark.postgres),
    ],
    indirect=["harness"],
)
def test_create_and_delete_survive_kills(harness: Server, kill_when: str) -> None:
    with harness.running():
        product_id = _product(harness)
    with harness.running() as process:
        harness.client("sagemaker").create_project(
            ProjectName="chain", ServiceCatalogProvisioningDetails={"ProductId": product_id}
        )
        if kill_when == "CreateInProgress":
            wait_for(
                lambda: _status(harness, "chain") == "CreateInProgress",
                interval=0.01,
                what="the launch to start",
            )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    with harness.running() as process:
        wait_for(
            lambda: _status(harness, "chain") in ("CreateCompleted", "CreateFailed"),
            timeout=60,
            what="the project to be created after the restart",
        )
        assert _status(harness, "chain") == "CreateCompleted"
        assert [p["Status"] for p in _provisioned(harness)] == ["AVAILABLE"]
        assert [s["StackStatus"] for s in _stacks(harness)] == ["CREATE_COMPLETE"]
        groups = harness.client("logs").describe_log_groups(logGroupNamePrefix="chain-")
        assert len(groups["logGroups"]) == GROUPS
        harness.client("sagemaker").delete_project(ProjectName="chain")
        if kill_when == "CreateInProgress":
            wait_for(
                lambda: (
                    bool(_provisioned(harness))
                    and _provisioned(harness)[0]["Status"] == "UNDER_CHANGE"
                ),
                interval=0.01,
                what="the termination to start",
            )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    with harness.running():
        sm = harness.client("sagemaker")
        wait_for(
            lambda: sm.list_projects()["ProjectSummaryList"] == [],
            timeout=60,
            what="the project to be deleted after the restart",
        )
        assert _provisioned(harness) == []
        assert [s["StackStatus"] for s in _stacks(harness)] == ["DELETE_COMPLETE"]
        groups = harness.client("logs").describe_log_groups(logGroupNamePrefix="chain-")
        assert groups["logGroups"] == []
