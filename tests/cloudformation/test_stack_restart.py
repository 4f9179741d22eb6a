"""Stack operations survive a SIGKILL of the server, wherever it lands.

The server runs as its own process. A stack of every kind of resource (log groups, a
bucket and its policy, a role with inline and managed policies, a bus and a rule, a
model package group, a model, an endpoint config and an endpoint) is created, updated
(in place and by replacement), deleted, or fails and rolls back; the server is killed
after the N-th event of the operation, N drawn per case from a seeded generator, and
started again on the same store. The operation then ends as it would have, with one
physical resource per logical one, nothing left behind, and no resource left
IN_PROGRESS.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from tests.sagemaker.test_endpoints import booster_archive
from tests.sagemaker.test_registry import IMAGE
from tests.sagemaker.test_training import TRUST
from tests.support import (
    live_server,
    postgres_schema,
    process_client,
    server_process,
    unused_port,
    wait_for,
)

STACK = "crash"
# A log group made outside the stack: a resource that asks for its name fails to create.
TAKEN = "preexisting"
# Where the kill lands: after the N-th event of the operation, N from these ranges. Of
# 38 events of the create, 25 of the update, 26 of the delete, 66 of the failed create
# and 41 of the failed update, each range ends at the event before the operation's last
# wait for the endpoint (its deploy, its blue/green update; the delete takes it away
# first, and its range ends eleven events before the end), after which the rest follows
# within milliseconds: so the kill lands while the operation is under way, which the
# test checks.
KILL_AFTER = {
    "create": (1, 35),
    "update": (1, 18),
    "delete": (1, 15),
    "failed create": (1, 42),
    "failed update": (1, 33),
}
SLOW = 120.0  # an endpoint deploys, updates blue/green and is taken away within this
# Half the traffic for a second first: every change of the endpoint's config takes that
# long, so a rollback that did not wait for it would be seen.
CANARY = {
    "Type": "CANARY",
    "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
    "WaitIntervalInSeconds": 1,
}


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def allow(action: str, resource: Any = "*") -> dict[str, Any]:
    """A policy document that allows one action."""
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return {"Version": "2012-10-17", "Statement": [statement]}


def guarding_policy(bucket: str) -> dict[str, Any]:
    """An AWS::S3::BucketPolicy for the bucket resource `bucket`: nobody deletes it."""
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:DeleteBucket",
        "Resource": _sub(f"arn:aws:s3:::${{{bucket}}}"),
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {"Bucket": {"Ref": bucket}, "PolicyDocument": document},
    }


def log_target(group: str) -> dict[str, str | dict[str, str]]:
    """A rule target that delivers to the log group resource `group`."""
    arn = f"arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{group}}}"
    return {"Id": "log", "Arn": _sub(arn)}


def template(*, updated: bool = False, failing: bool = False) -> str:
    """The stack's template; `updated` changes most resources in place and replaces two
    (Audit's name, Config's variant), `failing` adds a resource that fails last."""
    variant = "Green" if updated else "Blue"
    audit: dict[str, Any] = {"RetentionInDays": 14}
    if updated:
        audit["LogGroupName"] = f"{STACK}-audit"  # a new name: a new log group
    resources: dict[str, Any] = {
        "Logs": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"RetentionInDays": 30 if updated else 7},
        },
        "Audit": {"Type": "AWS::Logs::LogGroup", "Properties": audit},
        "Data": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "VersioningConfiguration": {"Status": "Enabled"},
                "Tags": [{"Key": "stage", "Value": "two" if updated else "one"}],
            },
        },
        "DataPolicy": guarding_policy("Data"),
        "Managed": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"PolicyDocument": allow("s3:PutObject" if updated else "s3:GetObject")},
        },
        "AppRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": TRUST,
                "ManagedPolicyArns": [{"Ref": "Managed"}],
                "Policies": [
                    {
                        "PolicyName": "logs",
                        "PolicyDocument": allow("logs:PutLogEvents" if updated else "logs:*"),
                    }
                ],
            },
        },
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": f"{STACK}-bus"}},
        "Rule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventBusName": {"Ref": "Bus"},
                "EventPattern": {"source": ["ml.two" if updated else "ml"]},
                "Targets": [log_target("Logs")],
            },
        },
        "Group": {
            "Type": "AWS::SageMaker::ModelPackageGroup",
            "Properties": {"ModelPackageGroupName": f"{STACK}-models"},
        },
        "Model": {
            "Type": "AWS::SageMaker::Model",
            "Properties": {
                "ExecutionRoleArn": {"Ref": "ModelRole"},
                "PrimaryContainer": {
                    "Image": IMAGE,
                    "ModelDataUrl": "s3://models/iris/model.tar.gz",
                },
            },
        },
        "Config": {
            "Type": "AWS::SageMaker::EndpointConfig",
            "Properties": {
                "ProductionVariants": [
                    {
                        "VariantName": variant,
                        "ModelName": {"Fn::GetAtt": ["Model", "ModelName"]},
                        "InitialInstanceCount": 1,
                        "InstanceType": "ml.m5.large",
                    }
                ]
            },
        },
        "Endpoint": {
            "Type": "AWS::SageMaker::Endpoint",
            "Properties": {
                "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]},
                "DeploymentConfig": {
                    "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": CANARY}
                },
            },
        },
    }
    if failing:  # after everything else, so the failure comes late
        resources["Taken"] = {
            "Type": "AWS::Logs::LogGroup",
            "DependsOn": ["Endpoint", "AppRole", "Rule"],
            "Properties": {"LogGroupName": TAKEN},
        }
    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"ModelRole": {"Type": "String"}},
            "Resources": resources,
        }
    )


def prepare(client: Callable[[str], Any]) -> str:
    """What lives outside the stack: the model archive, the role SageMaker reads it as
    (its ARN is returned), and the log group the failing resource asks for."""
    s3, iam = client("s3"), client("iam")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="iris/model.tar.gz", Body=booster_archive()[1])
    role = iam.create_role(RoleName="ModelRole", AssumeRolePolicyDocument=json.dumps(TRUST))
    read = json.dumps(allow("s3:GetObject", "arn:aws:s3:::models/*"))
    iam.put_role_policy(RoleName="ModelRole", PolicyName="read", PolicyDocument=read)
    client("logs").create_log_group(logGroupName=TAKEN)
    return str(role["Role"]["Arn"])


def stack_args(model_role: str, **kinds: bool) -> dict[str, Any]:
    """CreateStack's or UpdateStack's arguments for the template."""
    return {
        "StackName": STACK,
        "TemplateBody": template(**kinds),
        "Parameters": [{"ParameterKey": "ModelRole", "ParameterValue": model_role}],
        "Capabilities": ["CAPABILITY_IAM"],
    }


class Crashes:
    """A server process on a store that outlives it, killed and started again."""

    def __init__(self, state: Path, database_url: str | None) -> None:
        self.state = state
        self.port = unused_port()
        self.database_url = database_url
        self.store: Engine = create_engine(
            database_url or f"sqlite:///{state / 'airlock.db'}", poolclass=NullPool
        )
        self.model_role = ""
        # The stack's event count when the operation under test began.
        self.baseline = 0

    @contextmanager
    def running(self) -> Iterator[subprocess.Popen[bytes]]:
        """The server, up until the block ends (or it is killed in it)."""
        with server_process(self.state, self.port, self.database_url) as process:
            yield process

    def client(self, service: str) -> Any:
        """A client of the running server, as the account's root."""
        return process_client(self.state, self.port, service)

    # Reading the store directly, to kill at a precise point ------------------------

    def event_count(self, stack_id: str) -> int:
        """How many events the stack has."""
        query = text(
            "SELECT count(*) FROM cloudformation_stack_events e "
            "JOIN cloudformation_stacks s ON s.id = e.stack_pk WHERE s.stack_id = :id"
        )
        with self.store.connect() as connection:
            return int(connection.execute(query, {"id": stack_id}).scalar_one())

    def stack_status(self, stack_id: str) -> str:
        """The stack's status as committed."""
        query = text("SELECT status FROM cloudformation_stacks WHERE stack_id = :id")
        with self.store.connect() as connection:
            return str(connection.execute(query, {"id": stack_id}).scalar_one())

    def kill_after(self, process: subprocess.Popen[bytes], stack_id: str, events: int) -> None:
        """SIGKILL the server once the stack has `events` events."""
        wait_for(
            lambda: self.event_count(stack_id) >= events,
            timeout=SLOW,
            interval=0.002,
            what=f"event {events} of the operation",
        )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        # Or the case tests nothing: the kill must land while the operation is under way.
        assert self.stack_status(stack_id).endswith("_IN_PROGRESS"), self.stack_status(stack_id)

    def mark(self, stack_id: str) -> None:
        """Count the events of an operation from here."""
        self.baseline = self.event_count(stack_id)

    def begin(
        self, process: subprocess.Popen[bytes], stack_id: str, kind: str, rng: random.Random
    ) -> None:
        """Kill the server after a drawn number of the `kind` operation's events."""
        low, high = KILL_AFTER[kind]
        self.kill_after(process, stack_id, self.baseline + rng.randint(low, high))

    def create_killed(self, kind: str, rng: random.Random, **kinds: bool) -> str:
        """On a first server: what lives outside the stack, then the stack's create, killed
        as `kind` draws; the stack's id."""
        with self.running() as process:
            self.model_role = prepare(self.client)
            cfn = self.client("cloudformation")
            stack_id = str(cfn.create_stack(**stack_args(self.model_role, **kinds))["StackId"])
            self.begin(process, stack_id, kind, rng)
        return stack_id

    def dispose(self) -> None:
        """Close the store's connections."""
        self.store.dispose()


@pytest.fixture
def crashes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Crashes]:
    """A server process on SQLite, or (param "postgres") on a fresh PostgreSQL schema."""
    if getattr(request, "param", "sqlite") == "sqlite":
        harness = Crashes(tmp_path / "state", None)
        yield harness
        harness.dispose()
        return
    with postgres_schema() as url:
        harness = Crashes(tmp_path / "state", url)
        yield harness
        harness.dispose()


# What the stack has, and what the services have ---------------------------------------


def stack_resources(cfn: Any, stack_id: str) -> list[dict[str, Any]]:
    """ListStackResources, every page."""
    pages = cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id)
    return [r for page in pages for r in page["StackResourceSummaries"]]


def recorded(cfn: Any, stack_id: str) -> dict[str, set[str]]:
    """The physical ids the stack records, by type."""
    found: dict[str, set[str]] = {}
    for resource in stack_resources(cfn, stack_id):
        if resource["ResourceStatus"] != "DELETE_COMPLETE":
            found.setdefault(resource["ResourceType"], set()).add(resource["PhysicalResourceId"])
    return found


def existing(client: Callable[[str], Any]) -> dict[str, set[str]]:
    """What the services hold under the stack's names, by resource type and physical id.

    Every name the stack gives (generated or in the template) starts with its name, and
    nothing made outside it does.
    """
    logs, s3, iam = client("logs"), client("s3"), client("iam")
    events, sm = client("events"), client("sagemaker")
    buckets = _ours(s3.list_buckets()["Buckets"], "Name")
    buses = _ours(events.list_event_buses()["EventBuses"], "Name")
    found = {
        "AWS::Logs::LogGroup": _ours(logs.describe_log_groups()["logGroups"], "logGroupName"),
        "AWS::S3::Bucket": buckets,
        "AWS::S3::BucketPolicy": {b for b in buckets if _has_policy(s3, b)},
        "AWS::IAM::Role": _ours(iam.list_roles()["Roles"], "RoleName"),
        "AWS::IAM::ManagedPolicy": _ours(
            iam.list_policies(Scope="Local")["Policies"], "PolicyName", "Arn"
        ),
        "AWS::Events::EventBus": buses,
        "AWS::Events::Rule": {
            f"{bus}|{r['Name']}"
            for bus in buses
            for r in events.list_rules(EventBusName=bus)["Rules"]
        },
        "AWS::SageMaker::ModelPackageGroup": _ours(
            sm.list_model_package_groups()["ModelPackageGroupSummaryList"],
            "ModelPackageGroupName",
            "ModelPackageGroupArn",
        ),
        "AWS::SageMaker::Model": _ours(sm.list_models()["Models"], "ModelName", "ModelArn"),
        "AWS::SageMaker::EndpointConfig": _ours(
            sm.list_endpoint_configs()["EndpointConfigs"],
            "EndpointConfigName",
            "EndpointConfigArn",
        ),
        "AWS::SageMaker::Endpoint": _ours(
            sm.list_endpoints()["Endpoints"], "EndpointName", "EndpointArn"
        ),
    }
    return {kind: ids for kind, ids in found.items() if ids}


def _ours(items: list[dict[str, Any]], name: str, identifier: str | None = None) -> set[str]:
    """The identifiers (the names by default) of the listed items named as the stack names."""
    return {
        str(item[identifier or name]) for item in items if str(item[name]).lower().startswith(STACK)
    }


def _has_policy(s3: Any, bucket: str) -> bool:
    try:
        s3.get_bucket_policy(Bucket=bucket)
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucketPolicy":
            return False
        raise
    return True


def operation_events(cfn: Any, stack_id: str) -> list[dict[str, Any]]:
    """The events of the stack's last operation, oldest first."""
    pages = cfn.get_paginator("describe_stack_events").paginate(StackName=stack_id)
    newest_first = [e for page in pages for e in page["StackEvents"]]
    taken: list[dict[str, Any]] = []
    for event in newest_first:
        taken.append(event)
        if event["LogicalResourceId"] == STACK and event.get("ResourceStatusReason") == (
            "User Initiated"
        ):
            break
    return taken[::-1]


def settled(client: Callable[[str], Any], stack_id: str, expected: str) -> dict[str, Any]:
    """Wait for the operation to end; check it ended `expected` and left things consistent."""
    cfn = client("cloudformation")

    def done() -> dict[str, Any] | None:
        stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
        return None if stack["StackStatus"].endswith("_IN_PROGRESS") else stack

    stack = wait_for(done, timeout=SLOW, interval=0.1, what="the operation after the restart")
    events = operation_events(cfn, stack_id)
    assert stack["StackStatus"] == expected, "\n".join(
        f"{e['LogicalResourceId']} {e['ResourceStatus']} {e.get('ResourceStatusReason') or ''}"
        for e in events
    )
    assert (events[-1]["LogicalResourceId"], events[-1]["ResourceStatus"]) == (STACK, expected)
    # Every resource the operation touched ends settled, in its events and in the stack.
    last: dict[str, str] = {}
    for event in events:
        last[event["LogicalResourceId"]] = event["ResourceStatus"]
    stuck = {lid: status for lid, status in last.items() if status.endswith("_IN_PROGRESS")}
    assert stuck == {}
    if expected != "DELETE_COMPLETE":
        rows = stack_resources(cfn, stack_id)
        assert [r for r in rows if r["ResourceStatus"].endswith("_IN_PROGRESS")] == []
    # Nothing was made twice: one creation per logical id and operation at most.
    initiated = Counter(
        e["LogicalResourceId"]
        for e in events
        if e.get("ResourceStatusReason") == "Resource creation Initiated"
    )
    assert [lid for lid, times in initiated.items() if times > 1] == []
    return stack


def logical(cfn: Any, stack_id: str) -> dict[str, str]:
    """Logical id → physical id of the stack's resources."""
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in stack_resources(cfn, stack_id)}


def retention(client: Callable[[str], Any]) -> dict[str, int | None]:
    """Log group name → its retention, for the stack's groups."""
    groups = client("logs").describe_log_groups(logGroupNamePrefix=STACK)["logGroups"]
    return {g["logGroupName"]: g.get("retentionInDays") for g in groups}


def endpoint_of(client: Callable[[str], Any], arn: str) -> dict[str, Any]:
    """DescribeEndpoint of the endpoint an ARN names."""
    described: dict[str, Any] = client("sagemaker").describe_endpoint(
        EndpointName=arn.rsplit("/", 1)[-1]
    )
    return described


def rolled_back(client: Callable[[str], Any], stack_id: str, made: dict[str, str]) -> None:
    """After a failed update: the stack's resources are those it had, as they were."""
    cfn = client("cloudformation")
    assert existing(client) == recorded(cfn, stack_id)
    assert logical(cfn, stack_id) == made
    assert retention(client) == {made["Logs"]: 7, made["Audit"]: 14}
    endpoint = endpoint_of(client, made["Endpoint"])
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"].lower() == made["Config"].rsplit("/", 1)[-1]


# The cases --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crashes", "seed"),
    [("sqlite", 0), ("sqlite", 1), pytest.param("postgres", 2, marks=pytest.mark.postgres)],
    indirect=["crashes"],
)
def test_create_update_and_delete_survive_kills(crashes: Crashes, seed: int) -> None:
    rng = random.Random(f"lifecycle-{seed}")
    h = crashes
    stack_id = h.create_killed("create", rng)

    with h.running() as process:
        settled(h.client, stack_id, "CREATE_COMPLETE")
        cfn = h.client("cloudformation")
        assert existing(h.client) == recorded(cfn, stack_id)
        assert len(logical(cfn, stack_id)) == 12
        made = logical(cfn, stack_id)
        assert endpoint_of(h.client, made["Endpoint"])["EndpointStatus"] == "InService"

        h.mark(stack_id)
        cfn.update_stack(**stack_args(h.model_role, updated=True))
        h.begin(process, stack_id, "update", rng)

    with h.running() as process:
        settled(h.client, stack_id, "UPDATE_COMPLETE")
        cfn, iam = h.client("cloudformation"), h.client("iam")
        assert existing(h.client) == recorded(cfn, stack_id)
        now = logical(cfn, stack_id)
        assert len(now) == 12
        # In place: the same physical resources, changed.
        for same in ("Logs", "Data", "DataPolicy", "Managed", "AppRole", "Bus", "Rule", "Model"):
            assert now[same] == made[same], same
        assert now["Audit"] == f"{STACK}-audit" and now["Config"] != made["Config"]
        assert retention(h.client) == {now["Logs"]: 30, now["Audit"]: 14}
        inline = iam.get_role_policy(RoleName=now["AppRole"], PolicyName="logs")
        assert inline["PolicyDocument"]["Statement"][0]["Action"] == "logs:PutLogEvents"
        versions = iam.list_policy_versions(PolicyArn=now["Managed"])["Versions"]
        assert len(versions) == 2  # one new version, however often the update was resumed
        endpoint = endpoint_of(h.client, now["Endpoint"])
        assert (endpoint["EndpointStatus"], endpoint["EndpointArn"]) == (
            "InService",
            made["Endpoint"],
        )
        assert endpoint["EndpointConfigName"].lower() == now["Config"].rsplit("/", 1)[-1]

        h.mark(stack_id)
        cfn.delete_stack(StackName=STACK)
        h.begin(process, stack_id, "delete", rng)

    with h.running():
        settled(h.client, stack_id, "DELETE_COMPLETE")
        assert existing(h.client) == {}


@pytest.mark.parametrize("seed", [0, 1])
def test_failed_operations_roll_back_after_kills(crashes: Crashes, seed: int) -> None:
    rng = random.Random(f"rollback-{seed}")
    h = crashes
    failed = h.create_killed("failed create", rng, failing=True)

    with h.running() as process:
        settled(h.client, failed, "ROLLBACK_COMPLETE")
        cfn = h.client("cloudformation")
        reasons = [
            e.get("ResourceStatusReason")
            for e in operation_events(cfn, failed)
            if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS"
        ]
        assert reasons == [
            "The following resource(s) failed to create: [Taken]. Rollback requested by user."
        ]
        assert existing(h.client) == {}
        cfn.delete_stack(StackName=STACK)
        settled(h.client, failed, "DELETE_COMPLETE")

        stack_id = cfn.create_stack(**stack_args(h.model_role))["StackId"]
        settled(h.client, stack_id, "CREATE_COMPLETE")
        made = logical(cfn, stack_id)
        h.mark(stack_id)
        cfn.update_stack(**stack_args(h.model_role, updated=True, failing=True))
        h.begin(process, stack_id, "failed update", rng)

    with h.running():
        settled(h.client, stack_id, "UPDATE_ROLLBACK_COMPLETE")
        rolled_back(h.client, stack_id, made)


def test_an_update_rollback_waits_for_the_endpoint(tmp_path: Path) -> None:
    # Without a kill: the rollback's UpdateEndpoint back to the old config is waited for,
    # as the update's own was, before the stack says UPDATE_ROLLBACK_COMPLETE. (On SQLite
    # only: the engine's waits do not depend on the database.)
    with live_server(tmp_path / "state") as server:
        role = prepare(server.client)
        cfn = server.client("cloudformation")
        stack_id = cfn.create_stack(**stack_args(role))["StackId"]
        settled(server.client, stack_id, "CREATE_COMPLETE")
        made = logical(cfn, stack_id)
        cfn.update_stack(**stack_args(role, updated=True, failing=True))

        def over() -> str | None:
            status = str(cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"])
            return None if status.endswith("_IN_PROGRESS") else status

        assert wait_for(over, timeout=SLOW, interval=0.02) == "UPDATE_ROLLBACK_COMPLETE"
        # At once: the endpoint is back on its config, not still on its way there.
        assert endpoint_of(server.client, made["Endpoint"])["EndpointStatus"] == "InService"
        settled(server.client, stack_id, "UPDATE_ROLLBACK_COMPLETE")
        rolled_back(server.client, stack_id, made)
