"""The setup steps of the conformance cases, made through boto3 (see the cases' README)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.cloudformation.conformance import CASES, placeholders
from tests.sagemaker.test_endpoints import booster_archive
from tests.support import LiveServer, wait_for

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
STACK_SETS = "member.org.stacksets.cloudformation.amazonaws.com"
# One session for every case of a worker: its loader keeps the service models it read,
# which a new session reads again (a second or more per client on a busy machine).
_BOTOCORE = botocore.session.get_session()


def failure_reasons(cfn: Any, stack: str) -> list[str]:
    """`logical id STATUS: reason` of every failed event of the stack, oldest first."""
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    return [
        f"{e['LogicalResourceId']} {e['ResourceStatus']}: {e.get('ResourceStatusReason')}"
        for e in reversed(events)
        if e["ResourceStatus"].endswith("_FAILED")
    ]


def settled(cfn: Any, stack: str, timeout: float) -> dict[str, Any]:
    """The stack once its operation is over."""

    def done() -> dict[str, Any] | None:
        found = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        return None if found["StackStatus"].endswith("_IN_PROGRESS") else found

    return wait_for(done, timeout=timeout, interval=0.1, what=f"stack {stack} to settle")


def create_request(name: str, body: str, parameters: dict[str, str]) -> dict[str, Any]:
    """CreateStack's arguments, with every capability acknowledged."""
    return {
        "StackName": name,
        "TemplateBody": body,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        "Capabilities": CAPABILITIES,
    }


def deploy(
    cfn: Any, name: str, body: str, parameters: dict[str, str], timeout: float = 180
) -> dict[str, Any]:
    """CreateStack and wait for CREATE_COMPLETE; a failure names the events' reasons."""
    stack_id = cfn.create_stack(**create_request(name, body, parameters))["StackId"]
    stack = settled(cfn, stack_id, timeout)
    assert stack["StackStatus"] == "CREATE_COMPLETE", (stack_id, failure_reasons(cfn, stack_id))
    return dict(stack)


def delete(cfn: Any, stack_id: str, timeout: float = 180) -> None:
    """DeleteStack and wait for DELETE_COMPLETE; a failure names the events' reasons."""
    cfn.delete_stack(StackName=stack_id)
    status = settled(cfn, stack_id, timeout)["StackStatus"]
    assert status == "DELETE_COMPLETE", (stack_id, failure_reasons(cfn, stack_id))


def _export_template(name: str, value: str) -> str:
    # Any stack that exports the value will do; a log group is the cheapest resource.
    return json.dumps(
        {
            "Resources": {"Exporter": {"Type": "AWS::Logs::LogGroup"}},
            "Outputs": {"Exported": {"Value": value, "Export": {"Name": name}}},
        }
    )


class Setup:
    """The prerequisites of one case in one account: what each step made, and the ids of
    the stacks made for it (delete them after the case's own stack, newest first)."""

    def __init__(self, server: LiveServer, account_id: str) -> None:
        self.server = server
        self.account_id = account_id
        self.region = server.settings.region
        self.made: dict[str, str] = {}
        self.stacks: list[str] = []
        self.accounts: dict[str, str] = {}
        self.buckets: list[str] = []
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """A client of the deploying account (one per service: making one takes a while)."""
        if service not in self._clients:
            access_key, secret = self.server.root_keys(self.account_id)
            self._clients[service] = _BOTOCORE.create_client(
                service,
                region_name=self.region,
                endpoint_url=self.server.url,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret,
                config=Config(retries={"total_max_attempts": 1}),
            )
        return self._clients[service]

    def fill(self, value: str) -> str:
        """`value` with its placeholders filled in."""
        return placeholders(value, self.made, self.account_id, self.region)

    def run(self, steps: list[dict[str, Any]]) -> None:
        """Make what each step says, in order."""
        kinds: dict[str, Callable[[dict[str, Any]], str]] = {
            "iam-role": self._role,
            "iam-user": self._user,
            "s3-bucket": self._bucket,
            "s3-object": self._object,
            "model-package": self._model_package,
            "event-bus": self._event_bus,
            "sc-portfolio": self._portfolio,
            "export": self._export,
            "stack": self._stack,
            "organization": self._organization,
            "organization-ou": self._organizational_unit,
        }
        self.buckets = [self.fill(s["name"]) for s in steps if s["kind"] == "s3-bucket"]
        for step in steps:
            made = kinds[step["kind"]](step)
            if "id" in step:
                self.made[step["id"]] = made

    def _role(self, step: dict[str, Any]) -> str:
        principals = [self.fill(principal) for principal in step.get("trust", [])]
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": (
                        {"AWS": f"arn:aws:iam::{principal}:root"}
                        if principal.isdigit()
                        else {"Service": principal}
                    ),
                    "Action": "sts:AssumeRole",
                }
                for principal in principals
            ],
        }
        iam = self.client("iam")
        name = self.fill(step["name"])
        role = iam.create_role(
            RoleName=name, Path=step.get("path", "/"), AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]
        for policy in step.get("managed_policies", []):
            iam.attach_role_policy(RoleName=name, PolicyArn=self.fill(policy))
        if step.get("managed_policies") and self.buckets:
            # AmazonSageMakerFullAccess reads only buckets named *sagemaker* (or objects
            # tagged SageMaker=true), and the cases' buckets are named otherwise: the
            # README asks for what the role needs, so it may read the case's buckets.
            buckets = [f"arn:aws:s3:::{bucket}" for bucket in self.buckets]
            read = {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [*buckets, *(f"{bucket}/*" for bucket in buckets)],
            }
            document = {"Version": "2012-10-17", "Statement": [read]}
            iam.put_role_policy(
                RoleName=name, PolicyName="read-setup-buckets", PolicyDocument=json.dumps(document)
            )
        return str(role["Arn"])

    def _user(self, step: dict[str, Any]) -> str:
        return str(self.client("iam").create_user(UserName=self.fill(step["name"]))["User"]["Arn"])

    def _bucket(self, step: dict[str, Any]) -> str:
        name = self.fill(step["name"])
        self.client("s3").create_bucket(Bucket=name)
        return name

    def _object(self, step: dict[str, Any]) -> str:
        bucket, body = self.fill(step["bucket"]), step["body"]
        if body == "model.tar.gz":
            content = booster_archive()[1]
        elif body.startswith("template:"):
            content = (CASES / body.removeprefix("template:")).read_bytes()
        else:
            content = body.encode()
        self.client("s3").put_object(Bucket=bucket, Key=step["key"], Body=content)
        return f"s3://{bucket}/{step['key']}"

    def _model_package(self, step: dict[str, Any]) -> str:
        sm, group = self.client("sagemaker"), self.fill(step["group"])
        try:
            sm.describe_model_package_group(ModelPackageGroupName=group)
        except ClientError:
            sm.create_model_package_group(ModelPackageGroupName=group)
        container = {
            "Image": self.fill(step["image"]),
            "ModelDataUrl": self.fill(step["model_data"]),
        }
        return str(
            sm.create_model_package(
                ModelPackageGroupName=group,
                InferenceSpecification={
                    "Containers": [container],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
                ModelApprovalStatus="Approved",
            )["ModelPackageArn"]
        )

    def _event_bus(self, step: dict[str, Any]) -> str:
        bus = self.client("events").create_event_bus(Name=self.fill(step["name"]))
        return str(bus["EventBusArn"])

    def _portfolio(self, step: dict[str, Any]) -> str:
        portfolio = self.client("servicecatalog").create_portfolio(
            DisplayName=self.fill(step["name"]),
            ProviderName=self.fill(step["provider"]),
            IdempotencyToken=step["id"],
        )
        return str(portfolio["PortfolioDetail"]["Id"])

    def _export(self, step: dict[str, Any]) -> str:
        name, value = self.fill(step["name"]), self.fill(step["value"])
        stack = f"cfn-conf-export-{step['id']}"
        made = deploy(self.client("cloudformation"), stack, _export_template(name, value), {})
        self.stacks.append(made["StackId"])
        return name

    def _stack(self, step: dict[str, Any]) -> str:
        name = self.fill(step["stack_name"])
        parameters = {key: self.fill(value) for key, value in step["parameters"].items()}
        body = (CASES / step["file"]).read_text()
        made = deploy(self.client("cloudformation"), name, body, parameters)
        self.stacks.append(made["StackId"])
        return name

    def _organization(self, step: dict[str, Any]) -> str:
        org = self.client("organizations")
        org.create_organization(FeatureSet="ALL")
        for name in step["accounts"]:
            request = org.create_account(Email=f"{name}@example.com", AccountName=name)
            request_id = request["CreateAccountStatus"]["Id"]

            def created(request_id: str = request_id) -> str | None:
                status = org.describe_create_account_status(CreateAccountRequestId=request_id)
                state = status["CreateAccountStatus"]
                assert state["State"] != "FAILED", state
                return state.get("AccountId") if state["State"] == "SUCCEEDED" else None

            self.accounts[name] = wait_for(created, what=f"account {name} to be created")
        return ""

    def _organizational_unit(self, step: dict[str, Any]) -> str:
        org = self.client("organizations")
        root = org.list_roots()["Roots"][0]["Id"]
        unit = org.create_organizational_unit(ParentId=root, Name=step["name"])
        unit_id = str(unit["OrganizationalUnit"]["Id"])
        for name in step["accounts"]:
            org.move_account(
                AccountId=self.accounts[name], SourceParentId=root, DestinationParentId=unit_id
            )
        if step.get("trusted_access"):
            org.enable_aws_service_access(ServicePrincipal=STACK_SETS)
            self.client("cloudformation").activate_organizations_access()
        return unit_id
