"""Records survive a SIGKILL of the server: after a restart the worker finds every record
where the last commit left it, so each launch makes exactly one stack and every record
ends as it would have."""

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

# A chain of log groups, so a launch takes a while after its CreateStack.
GROUPS = 20
CHAIN = "\n".join(
    f"""  Group{i}:
    Type: AWS::Logs::LogGroup
    {"DependsOn: Group" + str(i - 1) if i else ""}
    Properties:
      LogGroupName: !Sub '${{Prefix}}-{i}'"""
    for i in range(GROUPS)
)
TEMPLATE = f"""\
Parameters:
  Prefix:
    Type: String
Resources:
{CHAIN}
Outputs:
  Last:
    Value: !Ref Group19
"""


@pytest.fixture
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """A server process on the test's database: SQLite, or a fresh PostgreSQL schema."""
    with restartable_server(request.param, tmp_path) as server:
        yield server


def _catalog(server: Server) -> dict[str, str]:
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
    product = create_product(sc, f"http://127.0.0.1:{server.port}/templates/chain.yaml")
    product_id = product["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
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
    return {"product": product_id, "account": account}


def _status(server: Server, record_id: str) -> str:
    out = server.client("servicecatalog").describe_record(Id=record_id)
    return str(out["RecordDetail"]["Status"])


def _stacks(server: Server) -> list[dict[str, Any]]:
    cfn = server.client("cloudformation")
    summaries = cfn.list_stacks()["StackSummaries"]
    return [s for s in summaries if s["StackName"].startswith("SC-")]


# Each kill point on one of the databases: the two share every line of the recovery.
@pytest.mark.parametrize(
    ("harness", "kill_when"),
    [("sqlite", "CREATED"), pytest.param("postgres", "IN_PROGRESS", marks=pytest.mark.postgres)],
    indirect=["harness"],
)
def test_launch_and_terminate_survive_kills(harness: Server, kill_when: str) -> None:
    with harness.running():
        ids = _catalog(harness)
    # Two launches and their terminations, each killed once: right after the call (the
    # worker has at most begun), or once the record follows its stack.
    with harness.running() as process:
        sc = harness.client("servicecatalog")
        record = sc.provision_product(
            ProductId=ids["product"],
            ProvisionedProductName="chain",
            ProvisioningParameters=[{"Key": "Prefix", "Value": "chain"}],
            ProvisionToken=uuid.uuid4().hex,
        )["RecordDetail"]
        if kill_when == "IN_PROGRESS":
            # Killed while the record follows its stack, not after it ended.
            wait_for(
                lambda: _status(harness, record["RecordId"]) == "IN_PROGRESS",
                interval=0.01,
                what="the launch to start",
            )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    with harness.running() as process:
        wait_for(
            lambda: _status(harness, record["RecordId"]) == "SUCCEEDED",
            what="the launch to end after the restart",
        )
        stacks = _stacks(harness)
        assert [s["StackStatus"] for s in stacks] == ["CREATE_COMPLETE"]
        sc = harness.client("servicecatalog")
        outputs = {
            o["OutputKey"]: o["OutputValue"]
            for o in sc.describe_record(Id=record["RecordId"])["RecordOutputs"]
        }
        assert outputs["Last"] == f"chain-{GROUPS - 1}"
        groups = harness.client("logs").describe_log_groups(logGroupNamePrefix="chain-")
        assert len(groups["logGroups"]) == GROUPS
        terminate = sc.terminate_provisioned_product(
            ProvisionedProductName="chain", TerminateToken=uuid.uuid4().hex
        )["RecordDetail"]
        if kill_when == "IN_PROGRESS":
            wait_for(
                lambda: _status(harness, terminate["RecordId"]) == "IN_PROGRESS",
                interval=0.01,
                what="the termination to start",
            )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    with harness.running():
        wait_for(
            lambda: _status(harness, terminate["RecordId"]) == "SUCCEEDED",
            what="the termination to end after the restart",
        )
        assert [s["StackStatus"] for s in _stacks(harness)] == ["DELETE_COMPLETE"]
        groups = harness.client("logs").describe_log_groups(logGroupNamePrefix="chain-")
        assert groups["logGroups"] == []
        detail = harness.client("servicecatalog").scan_provisioned_products(
            AccessLevelFilter={"Key": "Account", "Value": "self"}
        )
        assert detail["ProvisionedProducts"] == []
