"""The approval flow across accounts, and the approval history on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from airlock.cli.main import app
from tests.events.test_delivery import log_messages
from tests.sagemaker.test_registry import ARTIFACT, spec
from tests.support import LiveServer, live_server, wait_for


def _register_and_approve(server: LiveServer) -> str:
    s3, sm = server.client("s3"), server.client("sagemaker")
    s3.create_bucket(Bucket="ds-artifacts")
    s3.put_object(Bucket="ds-artifacts", Key="iris/model.tar.gz", Body=b"model")
    sm.create_model_package_group(ModelPackageGroupName="iris")
    arn = str(
        sm.create_model_package(
            ModelPackageGroupName="iris", InferenceSpecification=spec(ARTIFACT)
        )["ModelPackageArn"]
    )
    sm.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ship it"
    )
    return arn


def test_approval_reaches_the_staging_account(server: LiveServer) -> None:
    data_science = server.first_account_id()
    staging_id = server.create_account("staging")
    staging_events = server.client("events", staging_id)
    staging_logs = server.client("logs", staging_id)
    staging_logs.create_log_group(logGroupName="/staging/deployments")
    staging_events.put_permission(
        Action="events:PutEvents", Principal=data_science, StatementId="data-science"
    )
    staging_events.put_rule(
        Name="approved-in-data-science",
        EventPattern=json.dumps({"source": ["aws.sagemaker"], "account": [data_science]}),
    )
    staging_events.put_targets(
        Rule="approved-in-data-science",
        Targets=[
            {
                "Id": "log",
                "Arn": f"arn:aws:logs:us-east-1:{staging_id}:log-group:/staging/deployments",
            }
        ],
    )
    events = server.client("events")
    events.put_rule(
        Name="forward-approvals",
        EventPattern=json.dumps(
            {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Model Package State Change"],
                "detail": {"ModelApprovalStatus": ["Approved"]},
            }
        ),
    )
    events.put_targets(
        Rule="forward-approvals",
        Targets=[
            {"Id": "staging", "Arn": f"arn:aws:events:us-east-1:{staging_id}:event-bus/default"}
        ],
    )
    arn = _register_and_approve(server)
    messages = wait_for(
        lambda: log_messages(staging_logs, "/staging/deployments"), what="the staging delivery"
    )
    event: dict[str, Any] = json.loads(messages[0])
    assert event["account"] == data_science
    assert event["detail"]["ModelPackageArn"] == arn
    assert event["detail"]["ApprovalDescription"] == "ship it"
    assert len(messages) == 1, "only the approval is forwarded, not the registration"


def test_models_history_command(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with live_server(state) as server:
        _register_and_approve(server)
        sm = server.client("sagemaker")
        arn = sm.list_model_packages(ModelPackageGroupName="iris")["ModelPackageSummaryList"][0][
            "ModelPackageArn"
        ]
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
        account = server.first_account_id()
    runner = CliRunner()
    result = runner.invoke(
        app, ["models", "history", "iris", "1", "--state-dir", str(state)], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if f"arn:aws:iam::{account}:root" in line]
    assert len(rows) == 3, result.output
    assert "PendingManualApproval" in rows[0] and "Approved" in rows[1] and "ship it" in rows[1]
    assert "Rejected" in rows[2]
    missing = runner.invoke(app, ["models", "history", "nope", "--state-dir", str(state)])
    assert missing.exit_code == 1
    assert "No model package group 'nope'" in missing.output
