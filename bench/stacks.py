"""Measure CloudFormation: a 10-resource stack, and a service-managed stack set into two OUs.

Run: .venv/bin/python -m bench.stacks [--runs 5]
Starts `airlock server` as its own process, then `--runs` times: creates a stack of
ten resources (a bucket and its policy, a role, a managed policy, an inline policy, a
log group, a bus with a policy statement and a rule, a model package group), updates
it with a property changed in place on seven of them, and deletes it. Each duration is
the time from the call (CreateStack, UpdateStack, DeleteStack) to the first
DescribeStacks that shows the operation complete, polled every 20 ms.

Then it plays the story's first steps (airlock.examples) on the same server (an organization whose
staging and production OUs hold one account each; the data science account trains
the iris model in a pipeline, registers it and approves it, its group and bucket
policies sharing the package and its model data with both accounts), turns on trusted
access for StackSets, and `--runs` times: creates a fresh SERVICE_MANAGED stack set
whose template is a role, a Model, an EndpointConfig and an Endpoint of that package,
and times CreateStackInstances into both OUs until the operation SUCCEEDED, both
instances are CURRENT and each account's endpoint is InService (asked with that
account's credentials), polled every 20 ms; the instances and the set are then deleted.
Prints the median and range of each; asserts only that the operations succeed.

The issue's targets on a 2-core machine: 1 s for the create, 3 s for the stack set.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session

from airlock.examples import iris
from airlock.examples.clients import EndpointClients, Keys
from airlock.examples.multi_account import data_science_bucket, policy
from airlock.examples.multi_account import organization as organization_of
from bench.common import figures, own_server, runs
from tests.cloudformation.test_stack_restart import allow, guarding_policy, log_target
from tests.support import process_client, service_trust

REGION = "us-east-1"
BOTH_AT_ONCE = {"MaxConcurrentPercentage": 100, "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE"}
POLL = 0.02  # the benchmark's polling interval (20 ms granularity in the figures)
TRUST = service_trust("lambda.amazonaws.com")
TARGETS = ("staging", "prod")
TRUST_SAGEMAKER = {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}}


def template(updated: bool = False) -> str:
    """Ten resources; `updated` changes seven of them in place (nothing is replaced)."""
    step = "two" if updated else "one"
    resources: dict[str, Any] = {
        "Data": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "VersioningConfiguration": {"Status": "Enabled"},
                "Tags": [{"Key": "step", "Value": step}],
            },
        },
        "DataPolicy": guarding_policy("Data"),
        "Managed": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"PolicyDocument": allow("s3:PutObject" if updated else "s3:GetObject")},
        },
        "Worker": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": TRUST,
                "Description": f"step {step}",
                "ManagedPolicyArns": [{"Ref": "Managed"}],
            },
        },
        "WorkerLogs": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "logs",
                "PolicyDocument": allow("logs:PutLogEvents" if updated else "logs:*"),
                "Roles": [{"Ref": "Worker"}],
            },
        },
        "Logs": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"RetentionInDays": 30 if updated else 7},
        },
        "Bus": {
            "Type": "AWS::Events::EventBus",
            "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-bus"}},
        },
        "BusPolicy": {
            "Type": "AWS::Events::EventBusPolicy",
            "Properties": {
                "EventBusName": {"Ref": "Bus"},
                "StatementId": "own-account",
                "Statement": {
                    "Effect": "Allow",
                    "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}},
                    "Action": "events:PutEvents",
                    "Resource": {"Fn::GetAtt": ["Bus", "Arn"]},
                },
            },
        },
        "Rule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventBusName": {"Ref": "Bus"},
                "EventPattern": {"source": [f"bench.{step}"]},
                "Targets": [log_target("Logs")],
            },
        },
        "Models": {
            "Type": "AWS::SageMaker::ModelPackageGroup",
            "Properties": {
                "ModelPackageGroupName": {"Fn::Sub": "${AWS::StackName}-models"},
                "Tags": [{"Key": "step", "Value": step}],
            },
        },
    }
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources})


def _until(cfn: Any, stack: str, done: str, started: float) -> float:
    """Seconds from `started` to the first DescribeStacks that shows `done`."""
    while True:
        status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        if status == done:
            return time.perf_counter() - started
        if not status.endswith("_IN_PROGRESS"):
            events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
            reasons = [
                e.get("ResourceStatusReason") for e in events if "FAILED" in e["ResourceStatus"]
            ]
            raise SystemExit(f"stack {stack} ended {status}: {reasons}")
        if time.perf_counter() - started > 120:
            raise SystemExit(f"stack {stack} was not {done} within 120 s")
        time.sleep(POLL)


def stack_run(cfn: Any, name: str) -> tuple[float, float, float]:
    """Create, update and delete one stack; the three durations."""
    args = {"StackName": name, "Capabilities": ["CAPABILITY_IAM"]}
    started = time.perf_counter()
    stack_id = cfn.create_stack(**args, TemplateBody=template())["StackId"]
    created = _until(cfn, stack_id, "CREATE_COMPLETE", started)
    started = time.perf_counter()
    cfn.update_stack(**args, TemplateBody=template(updated=True))
    updated = _until(cfn, stack_id, "UPDATE_COMPLETE", started)
    started = time.perf_counter()
    cfn.delete_stack(StackName=name)
    deleted = _until(cfn, stack_id, "DELETE_COMPLETE", started)
    return created, updated, deleted


def endpoint_template() -> str:
    """The stack set's template: a role to read the shared artifact, and a model, endpoint
    config and endpoint of the approved package in the data science account."""
    read = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": {"Fn::Sub": "arn:aws:s3:::${Bucket}/*"},
    }
    resources: dict[str, Any] = {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{**TRUST_SAGEMAKER, "Action": "sts:AssumeRole"}],
                },
                "Policies": [
                    {
                        "PolicyName": "read-models",
                        "PolicyDocument": {"Version": "2012-10-17", "Statement": [read]},
                    }
                ],
            },
        },
        "Model": {
            "Type": "AWS::SageMaker::Model",
            "Properties": {
                "PrimaryContainer": {"ModelPackageName": {"Ref": "Package"}},
                "ExecutionRoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
            },
        },
        "Config": {
            "Type": "AWS::SageMaker::EndpointConfig",
            "Properties": {
                "ProductionVariants": [
                    {
                        "VariantName": "AllTraffic",
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
                "EndpointName": {"Ref": "EndpointName"},
                "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]},
            },
        },
    }
    parameters = {name: {"Type": "String"} for name in ("Package", "Bucket", "EndpointName")}
    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": parameters,
            "Resources": resources,
        }
    )


class ProcessClients(EndpointClients):
    """Clients of the benchmark's server process: the management account's root keys from
    the state dir, and a member account through its OrganizationAccountAccessRole."""

    def __init__(self, url: str, region: str, keys: Keys) -> None:
        super().__init__(url, region)
        self.keys = keys
        self.management = ""
        self.management = self.client("sts", keys=keys).get_caller_identity()["Account"]

    def credentials(self, account_id: str | None) -> tuple[Keys, str | None]:
        """The management account's root keys, or a session of the member's role."""
        if account_id in (None, self.management):
            return self.keys, None
        found = self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
            RoleSessionName="bench",
        )["Credentials"]
        return (found["AccessKeyId"], found["SecretAccessKey"]), found["SessionToken"]


@dataclass
class Organization:
    """The story's organization on the benchmark's server: the data science (management)
    account with its approved, shared package, and the staging and production OUs."""

    clients: ProcessClients
    ids: dict[str, str]
    bucket: str
    package: str
    cfn: Any = field(init=False)
    endpoints: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.cfn = self.clients.client("cloudformation")
        self.endpoints = {
            self.ids[name]: self.clients.client("sagemaker", self.ids[name]) for name in TARGETS
        }

    @property
    def units(self) -> list[str]:
        """The two OUs the stack set deploys into (one account each)."""
        return [self.ids[f"{name}-ou"] for name in TARGETS]


def organization(state: Path, port: int) -> Organization:
    """The story's organization (with trusted access for StackSets) and bucket, then the
    iris pipeline's package in a group whose policy lets the staging and production
    accounts deploy it; the bucket's policy lets them read its model data."""
    session = botocore.session.Session(profile="default")
    session.set_config_variable("credentials_file", str(state / "aws" / "credentials"))
    credentials = session.get_credentials()
    clients = ProcessClients(
        f"http://127.0.0.1:{port}", REGION, (credentials.access_key, credentials.secret_key)
    )
    ds = clients.management
    ids = organization_of(clients, ds)
    readers = [f"arn:aws:iam::{ids[name]}:root" for name in TARGETS]
    bucket = data_science_bucket(clients, ds, [ids[name] for name in TARGETS])
    sm = clients.client("sagemaker")
    group = sm.create_model_package_group(ModelPackageGroupName="iris-models")
    arn = group["ModelPackageGroupArn"]
    sm.put_model_package_group_policy(
        ModelPackageGroupName="iris-models",
        ResourcePolicy=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": readers},
                "Action": [
                    "sagemaker:CreateModel",
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:ListModelPackages",
                ],
                "Resource": [arn, arn.replace("-group/", "/") + "/*"],
            }
        ),
    )
    role = iris.pipeline_role(clients.client("iam"))
    iris.train_and_register(clients.session(), bucket, "iris-models", role)
    package = iris.newest_version(sm, "iris-models")
    sm.update_model_package(ModelPackageArn=package, ModelApprovalStatus="Approved")
    return Organization(clients, ids, bucket, package)


def _operation(cfn: Any, name: str, operation_id: str) -> str:
    """The operation's status; SystemExit with the accounts' reasons if it failed."""
    found = cfn.describe_stack_set_operation(StackSetName=name, OperationId=operation_id)
    status = str(found["StackSetOperation"]["Status"])
    if status in ("FAILED", "STOPPED"):
        summaries = cfn.list_stack_set_operation_results(
            StackSetName=name, OperationId=operation_id
        )["Summaries"]
        reasons = {s["Account"]: s.get("StatusReason") for s in summaries}
        raise SystemExit(f"stack set {name}: operation {status}: {reasons}")
    return status


def _deployed(org: Organization, name: str, operation_id: str, endpoint: str) -> bool:
    """Whether the operation SUCCEEDED, every instance is CURRENT and each member
    account's endpoint is InService (asked as that account)."""
    if _operation(org.cfn, name, operation_id) != "SUCCEEDED":
        return False
    instances = org.cfn.list_stack_instances(StackSetName=name)["Summaries"]
    if sorted(i["Account"] for i in instances) != sorted(org.endpoints) or any(
        i["Status"] != "CURRENT" for i in instances
    ):
        return False
    return all(
        sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "InService"
        for sm in org.endpoints.values()
    )


def _settle(org: Organization, name: str, operation_id: str) -> None:
    """Wait for an operation (not timed)."""
    deadline = time.monotonic() + 300
    while _operation(org.cfn, name, operation_id) != "SUCCEEDED":
        if time.monotonic() > deadline:
            raise SystemExit(f"stack set {name}: operation {operation_id} not over within 300 s")
        time.sleep(POLL)


def stack_set_run(org: Organization, name: str) -> float:
    """A fresh service-managed stack set of the endpoint template into the two OUs: seconds
    from CreateStackInstances until it is deployed (see `_deployed`); then taken away."""
    cfn, endpoint = org.cfn, f"iris-{name}"
    values = {"Package": org.package, "Bucket": org.bucket}
    cfn.create_stack_set(
        StackSetName=name,
        TemplateBody=endpoint_template(),
        Parameters=[
            {"ParameterKey": k, "ParameterValue": v}
            for k, v in {**values, "EndpointName": endpoint}.items()
        ],
        Capabilities=["CAPABILITY_IAM"],
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": False},
    )
    targets = {"DeploymentTargets": {"OrganizationalUnitIds": org.units}, "Regions": [REGION]}
    started = time.perf_counter()
    operation_id = cfn.create_stack_instances(
        StackSetName=name,
        **targets,
        # Both accounts at once (AWS's default is one at a time). Under the default
        # STRICT_FAILURE_TOLERANCE the concurrency is at most the tolerance (0) plus one.
        OperationPreferences=BOTH_AT_ONCE,
    )["OperationId"]
    while not _deployed(org, name, operation_id, endpoint):
        if time.perf_counter() - started > 300:
            raise SystemExit(f"stack set {name} was not deployed within 300 s")
        time.sleep(POLL)
    took = time.perf_counter() - started
    removal = cfn.delete_stack_instances(
        StackSetName=name,
        **targets,
        RetainStacks=False,
        OperationPreferences=BOTH_AT_ONCE,
    )["OperationId"]
    _settle(org, name, removal)
    cfn.delete_stack_set(StackSetName=name)
    return took


def main() -> None:
    """Both halves `--runs` times on one server; print the medians."""
    count = runs(__doc__)
    with own_server() as (state, port):
        cfn = process_client(state, port, "cloudformation")
        # The first calls load service models and policies: shown apart, not counted.
        cold = stack_run(cfn, "cold")
        samples = [stack_run(cfn, f"bench-{i}") for i in range(count)]
        org = organization(state, port)
        # The first stack set also makes the first endpoints: shown apart, not counted.
        cold_set = stack_set_run(org, "cold-set")
        set_samples = [stack_set_run(org, f"bench-set-{i}") for i in range(count)]
    for label, index in (("create", 0), ("update", 1), ("delete", 2)):
        print(f"10-resource stack {label}: {figures([sample[index] for sample in samples])}")
    print("first (cold) run: create {:.2f} s, update {:.2f} s, delete {:.2f} s".format(*cold))
    print(f"stack set into 2 OUs, endpoints InService: {figures(set_samples)}")
    print(f"first (cold) stack set: {cold_set:.2f} s")


if __name__ == "__main__":
    main()
