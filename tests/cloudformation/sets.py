"""What the stack set tests share: roles for self-managed sets, an organization with OUs
for service-managed ones, templates, and waiting for an operation."""

from __future__ import annotations

import json
from typing import Any

import boto3
from sqlalchemy import select

from airlock.cloudformation.stack_sets import StackSetEngine
from airlock.cloudformation.stack_sets.engine import OperationRun
from airlock.cloudformation.stack_sets.models import StackSetOperation
from tests.support import LiveServer, service_trust, wait_for

ADMIN_ROLE = "AWSCloudFormationStackSetAdministrationRole"
EXECUTION_ROLE = "AWSCloudFormationStackSetExecutionRole"
ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"


def client_in(server: LiveServer, service: str, account: str, region: str) -> Any:
    """A client of an account's root in a region other than the server's default."""
    access_key, secret = server.root_keys(account)
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret, region_name=region
    )
    return session.client(service, endpoint_url=server.url)


def engine_of(server: LiveServer) -> StackSetEngine:
    """The server's stack set engine."""
    for worker in server.airlock.workers:
        for inner in getattr(worker, "workers", [worker]):
            if isinstance(inner, StackSetEngine):
                return inner
    raise AssertionError("no stack set engine")


def advance_once(server: LiveServer, operation_id: str) -> None:
    """One step of an operation, as the engine takes it."""
    with server.airlock.platform.db.read() as session:
        pk = session.scalars(
            select(StackSetOperation.id).where(StackSetOperation.operation_id == operation_id)
        ).one()
    OperationRun(server.airlock.platform, pk).advance()


def log_group_template(name: str = "${AWS::StackName}-logs") -> str:
    """A template of one log group named after the stack (or as given), with a retention
    parameter."""
    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"Retention": {"Type": "Number", "Default": "7"}},
            "Resources": {
                "Logs": {
                    "Type": "AWS::Logs::LogGroup",
                    "Properties": {
                        "LogGroupName": {"Fn::Sub": name},
                        "RetentionInDays": {"Ref": "Retention"},
                    },
                }
            },
        }
    )


def admin_role(server: LiveServer, admin: str) -> str:
    """The administration role: trusted by CloudFormation, may assume execution roles."""
    iam = server.client("iam", admin)
    arn: str = iam.create_role(
        RoleName=ADMIN_ROLE, AssumeRolePolicyDocument=service_trust("cloudformation.amazonaws.com")
    )["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": f"arn:aws:iam::*:role/{EXECUTION_ROLE}",
            }
        ],
    }
    iam.put_role_policy(
        RoleName=ADMIN_ROLE, PolicyName="assume-execution", PolicyDocument=json.dumps(policy)
    )
    return arn


def execution_role(server: LiveServer, target: str, trusted: str) -> None:
    """The execution role in a target account, trusting `trusted` (an account or role ARN)."""
    iam = server.client("iam", target)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=EXECUTION_ROLE, PolicyArn=ADMINISTRATOR)


def operation_done(cfn: Any, name: str, operation_id: str, timeout: float = 60) -> dict[str, Any]:
    """The operation once it is over."""

    def done() -> dict[str, Any] | None:
        found: dict[str, Any] = cfn.describe_stack_set_operation(
            StackSetName=name, OperationId=operation_id
        )["StackSetOperation"]
        return None if found["Status"] in ("RUNNING", "STOPPING", "QUEUED") else found

    return wait_for(done, timeout=timeout, interval=0.05, what=f"operation {operation_id}")


def results(cfn: Any, name: str, operation_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(account, region) -> the operation's result there."""
    found = cfn.list_stack_set_operation_results(StackSetName=name, OperationId=operation_id)
    return {(r["Account"], r["Region"]): r for r in found["Summaries"]}


def instances(cfn: Any, name: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(account, region) -> the stack set's instance there."""
    found = cfn.list_stack_instances(StackSetName=name)["Summaries"]
    return {(i["Account"], i["Region"]): i for i in found}


def stack_sets_stacks(server: LiveServer, account: str, name: str) -> list[dict[str, Any]]:
    """The live stacks a stack set made in an account (as that account sees them)."""
    stacks = server.client("cloudformation", account).describe_stacks()["Stacks"]
    return [s for s in stacks if s["StackName"].startswith(f"StackSet-{name}-")]


def log_group_names(server: LiveServer, account: str) -> set[str]:
    """The log groups of an account."""
    groups = server.client("logs", account).describe_log_groups()["logGroups"]
    return {g["logGroupName"] for g in groups}


class Organization:
    """An organization of the first account, with OUs and member accounts."""

    def __init__(self, server: LiveServer, management: str) -> None:
        self.server = server
        self.management = management
        self.orgs = server.client("organizations", management)
        self.orgs.create_organization(FeatureSet="ALL")
        self.root = self.orgs.list_roots()["Roots"][0]["Id"]

    def unit(self, name: str, parent: str | None = None) -> str:
        """A new OU under the root or `parent`."""
        made = self.orgs.create_organizational_unit(ParentId=parent or self.root, Name=name)
        return str(made["OrganizationalUnit"]["Id"])

    def account(self, name: str, unit: str | None = None) -> str:
        """A new member account, moved into `unit` when given."""
        request = self.orgs.create_account(AccountName=name, Email=f"{name}@example.com")
        request_id = request["CreateAccountStatus"]["Id"]

        def created() -> str | None:
            status = self.orgs.describe_create_account_status(CreateAccountRequestId=request_id)
            state = status["CreateAccountStatus"]
            assert state["State"] != "FAILED", state
            return state.get("AccountId") if state["State"] == "SUCCEEDED" else None

        account: str = wait_for(created, what=f"account {name}")
        if unit is not None:
            self.move(account, self.root, unit)
        return account

    def move(self, account: str, source: str, destination: str) -> None:
        """Move an account between OUs."""
        self.orgs.move_account(
            AccountId=account, SourceParentId=source, DestinationParentId=destination
        )

    def trust_stack_sets(self) -> None:
        """Trusted access for StackSets, as the console's "Activate trusted access" does."""
        self.server.client("cloudformation", self.management).activate_organizations_access()
