"""A stack set operation survives a killed server: it completes after the restart, and
each target has exactly one stack; a queued one waits out a restart."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import boto3

from airlock.settings import Settings
from tests.cloudformation.sets import (
    admin_role,
    execution_role,
    log_group_template,
    operation_done,
    results,
    stack_sets_stacks,
)
from tests.support import (
    LiveServer,
    free_socket,
    live_server,
    profile_keys,
    server_process,
    unused_port,
    wait_for,
)

REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-south-1"]


class _Server:
    """Enough of LiveServer for the role helpers, for a server process."""

    def __init__(self, state: Path, port: int) -> None:
        self.keys = profile_keys(state)
        self.url = f"http://127.0.0.1:{port}"

    def client(self, service: str, account_id: str | None = None, region: str = "us-east-1") -> Any:
        return boto3.session.Session(
            aws_access_key_id=self.keys[0],
            aws_secret_access_key=self.keys[1],
            region_name=region,
        ).client(service, endpoint_url=self.url)


def test_killed_server_mid_operation(tmp_path: Path) -> None:
    state = tmp_path / "state"
    port = unused_port()
    with server_process(state, port) as first:
        server = _Server(state, port)
        account = server.client("sts").get_caller_identity()["Account"]
        admin_role(server, account)  # type: ignore[arg-type]
        execution_role(server, account, f"arn:aws:iam::{account}:root")  # type: ignore[arg-type]
        cfn = server.client("cloudformation")
        cfn.create_stack_set(StackSetName="durable", TemplateBody=log_group_template())
        operation_id = cfn.create_stack_instances(
            StackSetName="durable",
            Accounts=[account],
            Regions=REGIONS,
            OperationPreferences={"RegionConcurrencyType": "SEQUENTIAL"},
        )["OperationId"]

        def started() -> bool:
            found = cfn.list_stack_set_operation_results(
                StackSetName="durable", OperationId=operation_id
            )["Summaries"]
            return any(r["Status"] != "PENDING" for r in found)

        wait_for(started, what="the operation to start on a target")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    with server_process(state, port):
        server = _Server(state, port)
        cfn = server.client("cloudformation")

        def done() -> dict[str, Any] | None:
            found: dict[str, Any] = cfn.describe_stack_set_operation(
                StackSetName="durable", OperationId=operation_id
            )["StackSetOperation"]
            return found if found["Status"] not in ("RUNNING", "STOPPING") else None

        operation = wait_for(done, timeout=120, interval=0.2, what="the operation after restart")
        assert operation["Status"] == "SUCCEEDED"
        summaries = cfn.list_stack_instances(StackSetName="durable")["Summaries"]
        assert sorted(i["Region"] for i in summaries) == sorted(REGIONS)
        assert {i["Status"] for i in summaries} == {"CURRENT"}
        for region in REGIONS:
            stacks = server.client("cloudformation", region=region).list_stacks()["StackSummaries"]
            assert [s["StackStatus"] for s in stacks] == ["CREATE_COMPLETE"], region
            groups = server.client("logs", region=region).describe_log_groups()["logGroups"]
            assert len(groups) == 1, region


def test_a_queued_operation_waits_out_a_restart(tmp_path: Path, database_url: str | None) -> None:
    """Queued behind one that has not started (the first server runs no background
    work), it runs after the restart, once the one before it is done."""
    state = tmp_path / "state"
    sock = free_socket()
    settings = Settings(
        state_dir=state,
        database_url=database_url,
        port=sock.getsockname()[1],
        run_controllers=False,
    )
    first = LiveServer(settings, sock)
    try:
        account = first.first_account_id()
        admin_role(first, account)
        execution_role(first, account, f"arn:aws:iam::{account}:root")
        cfn = first.client("cloudformation")
        cfn.create_stack_set(
            StackSetName="waits",
            TemplateBody=log_group_template(),
            ManagedExecution={"Active": True},
        )
        created = cfn.create_stack_instances(
            StackSetName="waits", Accounts=[account], Regions=REGIONS[:2]
        )["OperationId"]
        updated = cfn.update_stack_set(
            StackSetName="waits",
            UsePreviousTemplate=True,
            Parameters=[{"ParameterKey": "Retention", "ParameterValue": "3"}],
        )["OperationId"]
        listed = cfn.list_stack_set_operations(StackSetName="waits")["Summaries"]
        assert [(o["OperationId"], o["Status"]) for o in listed] == [
            (updated, "QUEUED"),
            (created, "RUNNING"),
        ]
    finally:
        first.stop()
    with live_server(state, database_url) as server:
        cfn = server.client("cloudformation")
        assert operation_done(cfn, "waits", created)["Status"] == "SUCCEEDED"
        assert operation_done(cfn, "waits", updated)["Status"] == "SUCCEEDED"
        assert set(results(cfn, "waits", updated)) == {(account, r) for r in REGIONS[:2]}
        (stack,) = stack_sets_stacks(server, account, "waits")
        assert stack["Parameters"] == [{"ParameterKey": "Retention", "ParameterValue": "3"}]
        groups = server.client("logs").describe_log_groups()["logGroups"]
        assert [g["retentionInDays"] for g in groups] == [3]
