"""`airlock demo`: the main job on the embedded defaults, step by step, with timings.

A data science account (the organization's management account) trains the iris
model in a SageMaker pipeline and registers it; a reviewer approves it; the
staging account deploys the approved package from its own credentials (the
package shared by the group's policy, the model data by the bucket's policy),
tests the live endpoint on held-out rows, and the production account does the same.
"""

from __future__ import annotations

import io
import json
import shlex
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import botocore.session
import numpy as np
import uvicorn
from botocore.config import Config
from rich.console import Console
from rich.table import Table
from starlette.applications import Starlette

from airlock.gateway import Airlock, create_app
from airlock.identity import IdentityService
from airlock.platform.polling import wait_until
from airlock.settings import Settings

from .address import recorded

IMAGE = "683313688378.dkr.ecr.{region}.amazonaws.com/sagemaker-xgboost:1.7-1"
TRUST_SAGEMAKER = {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}}
TARGETS = ("staging", "production")


def iris() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iris shuffled into train, validation and held-out rows, label first."""
    from sklearn.datasets import load_iris

    data = load_iris()
    table = np.column_stack([data.target, data.data])
    np.random.default_rng(0).shuffle(table)
    return table[:100], table[100:125], table[125:]


def csv(rows: np.ndarray) -> str:
    buffer = io.StringIO()
    np.savetxt(buffer, rows, delimiter=",", fmt="%g")
    return buffer.getvalue()


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def wait(check: Callable[[], Any], what: str, timeout: float = 300) -> Any:
    """Poll `check` until it returns something truthy (TimeoutError after `timeout`)."""
    return wait_until(check, timeout=timeout, interval=0.1, what=what)


@dataclass
class Step:
    title: str
    seconds: float = 0.0
    result: str = ""


@dataclass
class Demo:
    """The main job, driven through botocore clients like any AWS client."""

    endpoint_url: str
    region: str
    keys: tuple[str, str]
    steps: list[Step] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str, keys: tuple[str, str, str | None] | None = None) -> Any:
        access, secret, token = keys or (*self.keys, None)
        return botocore.session.get_session().create_client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=access,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=Config(retries={"total_max_attempts": 1}),
        )

    def as_account(self, account: str, service: str) -> Any:
        """A client in a member account, through its OrganizationAccountAccessRole."""
        credentials = self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
            RoleSessionName="airlock-demo",
        )["Credentials"]
        keys = (
            credentials["AccessKeyId"],
            credentials["SecretAccessKey"],
            credentials["SessionToken"],
        )
        return self.client(service, keys)

    # The steps -----------------------------------------------------------------------

    def organization(self) -> str:
        org = self.client("organizations")
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]
        parent = org.create_organizational_unit(ParentId=root, Name="multi-account-deployment")
        parent_id = parent["OrganizationalUnit"]["Id"]
        for name in TARGETS:
            ou = org.create_organizational_unit(ParentId=parent_id, Name=name)
            self.facts[f"{name}-ou"] = ou["OrganizationalUnit"]["Id"]
        self.facts["root"] = root
        return "OUs multi-account-deployment/{staging,production}"

    def accounts(self) -> str:
        org = self.client("organizations")
        for name in TARGETS:
            request = org.create_account(Email=f"{name}@example.com", AccountName=name)
            request_id = request["CreateAccountStatus"]["Id"]

            def created(request_id: str = request_id) -> str | None:
                status = org.describe_create_account_status(CreateAccountRequestId=request_id)
                state = status["CreateAccountStatus"]
                if state["State"] == "FAILED":
                    raise RuntimeError(f"CreateAccount failed: {state.get('FailureReason')}")
                return state.get("AccountId") if state["State"] == "SUCCEEDED" else None

            account = wait(created, f"account {name}")
            org.move_account(
                AccountId=account,
                SourceParentId=self.facts["root"],
                DestinationParentId=self.facts[f"{name}-ou"],
            )
            self.facts[name] = account
        return ", ".join(f"{n} {self.facts[n]}" for n in TARGETS)

    def data_science(self) -> str:
        account = self.client("sts").get_caller_identity()["Account"]
        self.facts["ds"] = account
        bucket = f"sagemaker-{self.region}-{account}"
        self.facts["bucket"] = bucket
        s3, iam, sm = self.client("s3"), self.client("iam"), self.client("sagemaker")
        s3.create_bucket(Bucket=bucket)
        readers = [f"arn:aws:iam::{self.facts[n]}:root" for n in TARGETS]
        s3.put_bucket_policy(
            Bucket=bucket,
            Policy=policy(
                {
                    "Sid": "TargetAccountsReadModels",
                    "Effect": "Allow",
                    "Principal": {"AWS": readers},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ),
        )
        train, validation, test = iris()
        for channel, rows in (("train", train), ("validation", validation)):
            s3.put_object(Bucket=bucket, Key=f"iris/{channel}/{channel}.csv", Body=csv(rows))
        self.facts["test"] = test
        role = iam.create_role(
            RoleName="sagemaker-pipeline-role",
            AssumeRolePolicyDocument=policy({**TRUST_SAGEMAKER, "Action": "sts:AssumeRole"}),
        )["Role"]["Arn"]
        iam.attach_role_policy(
            RoleName="sagemaker-pipeline-role",
            PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
        )
        self.facts["pipeline-role"] = role
        group = sm.create_model_package_group(ModelPackageGroupName="iris-models")
        group_arn = group["ModelPackageGroupArn"]
        sm.put_model_package_group_policy(
            ModelPackageGroupName="iris-models",
            ResourcePolicy=policy(
                {
                    "Sid": "TargetAccountsDeploy",
                    "Effect": "Allow",
                    "Principal": {"AWS": readers},
                    "Action": [
                        "sagemaker:CreateModel",
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:ListModelPackages",
                    ],
                    "Resource": [group_arn, group_arn.replace("-group/", "/") + "/*"],
                }
            ),
        )
        return f"bucket {bucket}, 100 training and 25 validation rows, group iris-models"

    def target_roles(self) -> str:
        made = []
        for name in TARGETS:
            iam = self.as_account(self.facts[name], "iam")
            role_name = f"sagemaker-role-{name}"
            trust = policy(
                {**TRUST_SAGEMAKER, "Action": "sts:AssumeRole"},
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": self.facts["pipeline-role"]},
                    "Action": "sts:AssumeRole",
                },
            )
            arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            iam.put_role_policy(
                RoleName=role_name,
                PolicyName="read-models",
                PolicyDocument=policy(
                    {
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{self.facts['bucket']}/*",
                    }
                ),
            )
            self.facts[f"{name}-role"] = arn
            made.append(role_name)
        return ", ".join(made)

    def pipeline(self) -> str:
        sm, bucket = self.client("sagemaker"), self.facts["bucket"]
        image = IMAGE.format(region=self.region)
        definition = {
            "Version": "2020-12-01",
            "Parameters": [{"Name": "Rounds", "Type": "Integer", "DefaultValue": 20}],
            "Steps": [
                {
                    "Name": "TrainIris",
                    "Type": "Training",
                    "Arguments": {
                        "AlgorithmSpecification": {
                            "TrainingImage": image,
                            "TrainingInputMode": "File",
                        },
                        "RoleArn": self.facts["pipeline-role"],
                        "HyperParameters": {
                            "objective": "multi:softmax",
                            "num_class": "3",
                            "max_depth": "3",
                            "num_round": {"Get": "Parameters.Rounds"},
                        },
                        "InputDataConfig": [
                            {
                                "ChannelName": channel,
                                "ContentType": "text/csv",
                                "DataSource": {
                                    "S3DataSource": {
                                        "S3DataType": "S3Prefix",
                                        "S3Uri": f"s3://{bucket}/iris/{channel}",
                                    }
                                },
                            }
                            for channel in ("train", "validation")
                        ],
                        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/iris/models"},
                        "ResourceConfig": {
                            "InstanceType": "ml.m5.large",
                            "InstanceCount": 1,
                            "VolumeSizeInGB": 5,
                        },
                        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
                    },
                },
                {
                    "Name": "RegisterIris",
                    "Type": "RegisterModel",
                    "Arguments": {
                        "ModelPackageGroupName": "iris-models",
                        "InferenceSpecification": {
                            "Containers": [
                                {
                                    "Image": image,
                                    "ModelDataUrl": {
                                        "Get": "Steps.TrainIris.ModelArtifacts.S3ModelArtifacts"
                                    },
                                }
                            ],
                            "SupportedContentTypes": ["text/csv"],
                            "SupportedResponseMIMETypes": ["text/csv"],
                        },
                        "ModelApprovalStatus": "PendingManualApproval",
                    },
                },
            ],
        }
        sm.create_pipeline(
            PipelineName="iris-pipeline",
            PipelineDefinition=json.dumps(definition),
            RoleArn=self.facts["pipeline-role"],
        )
        arn = sm.start_pipeline_execution(PipelineName="iris-pipeline")["PipelineExecutionArn"]

        def ended() -> dict[str, Any] | None:
            status = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
            return status if status["PipelineExecutionStatus"] != "Executing" else None

        status = wait(ended, "the pipeline execution")
        if status["PipelineExecutionStatus"] != "Succeeded":
            raise RuntimeError(
                f"the pipeline {status['PipelineExecutionStatus']}: {status.get('FailureReason')}"
            )
        return "TrainIris → RegisterIris: Succeeded"

    def approve(self) -> str:
        sm = self.client("sagemaker")
        newest = sm.list_model_packages(
            ModelPackageGroupName="iris-models", SortBy="CreationTime", SortOrder="Descending"
        )["ModelPackageSummaryList"][0]["ModelPackageArn"]
        sm.update_model_package(
            ModelPackageArn=newest,
            ModelApprovalStatus="Approved",
            ApprovalDescription="Approved by the demo's reviewer.",
        )
        self.facts["package"] = newest
        return str(newest).split(":", 5)[-1]

    def deploy(self, name: str) -> str:
        sm = self.as_account(self.facts[name], "sagemaker")
        endpoint = f"iris-{name}"
        sm.create_model(
            ModelName=endpoint,
            PrimaryContainer={"ModelPackageName": self.facts["package"]},
            ExecutionRoleArn=self.facts[f"{name}-role"],
        )
        sm.create_endpoint_config(
            EndpointConfigName=endpoint,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": endpoint,
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        began = time.monotonic()
        sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=endpoint)

        def in_service() -> bool:
            status = sm.describe_endpoint(EndpointName=endpoint)
            if status["EndpointStatus"] == "Failed":
                raise RuntimeError(f"endpoint {endpoint} failed: {status.get('FailureReason')}")
            return bool(status["EndpointStatus"] == "InService")

        wait(in_service, f"endpoint {endpoint}")
        return (
            f"{endpoint} InService in {time.monotonic() - began:.2f} s (account {self.facts[name]})"
        )

    def test(self, name: str) -> str:
        runtime = self.as_account(self.facts[name], "sagemaker-runtime")
        rows = self.facts["test"]
        answer = runtime.invoke_endpoint(
            EndpointName=f"iris-{name}", ContentType="text/csv", Body=csv(rows[:, 1:])
        )
        predicted = [float(v) for v in answer["Body"].read().decode().split(",")]
        accuracy = float(np.mean(np.array(predicted) == rows[:, 0]))
        self.facts[f"{name}-accuracy"] = accuracy
        classes = ("setosa", "versicolor", "virginica")
        sample = ", ".join(classes[int(p)] for p in predicted[:3])
        return f"accuracy {accuracy:.3f} on {len(rows)} held-out rows; first: {sample}"


def run_demo(settings: Settings, sock: socket.socket, console: Console, keep: bool) -> int:
    """Serve the settings on the listening socket, run the steps, print the summary.

    0 if all passed. The server is recorded in the state dir while it runs, so
    `airlock env --state-dir …` finds it.
    """
    application = create_app(settings)
    with recorded(settings):
        return _serve_and_run(settings, application, sock, console, keep)


def _serve_and_run(
    settings: Settings, application: Starlette, sock: socket.socket, console: Console, keep: bool
) -> int:
    airlock: Airlock = application.state.airlock
    config = uvicorn.Config(application, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait(lambda: server.started, "the server to start", timeout=60)
    with airlock.platform.db.read() as session:
        identity = IdentityService(session, airlock.platform.clock)
        first = identity.list_accounts()[0].id
        key = identity.root_key(first)
        assert key is not None
        keys = (key.access_key_id, key.secret_access_key)
    demo = Demo(settings.endpoint_url, settings.region, keys)
    plan: list[tuple[str, Callable[[], str]]] = [
        ("Organization and OUs", demo.organization),
        ("Staging and production accounts", demo.accounts),
        ("Data science bucket, data, role, model group", demo.data_science),
        ("Deployment roles in the target accounts", demo.target_roles),
        ("Pipeline: train XGBoost, register", demo.pipeline),
        ("Approve the newest model package", demo.approve),
        ("Deploy to staging (staging's credentials)", lambda: demo.deploy("staging")),
        ("Test the staging endpoint", lambda: demo.test("staging")),
        ("Deploy to production", lambda: demo.deploy("production")),
        ("Test the production endpoint", lambda: demo.test("production")),
    ]
    failed = False
    began = time.monotonic()
    for title, action in plan:
        step = Step(title)
        demo.steps.append(step)
        started = time.monotonic()
        with console.status(f"[bold]{title}…"):
            try:
                step.result = action()
            except Exception as error:
                step.result = f"[red]failed: {error}"
                failed = True
        step.seconds = time.monotonic() - started
        mark = "[red]✗" if failed else "[green]✓"
        console.print(f"{mark}[/] {title} [dim]({step.seconds:.2f} s)[/]")
        if failed:
            break
    total = time.monotonic() - began
    table = Table(title=f"Airlock demo: {total:.1f} s in all")
    table.add_column("Step")
    table.add_column("What happened")
    table.add_column("Seconds", justify="right")
    for step in demo.steps:
        table.add_row(step.title, step.result, f"{step.seconds:.2f}")
    console.print(table)
    if keep and not failed:
        console.print(
            f"The server keeps running on {settings.endpoint_url}. In another shell:\n"
            f'  eval "$(airlock env --state-dir {shlex.quote(str(settings.state_dir))})"\n'
            "  aws sagemaker list-model-packages --model-package-group-name iris-models\n"
            "  aws organizations list-accounts\n"
            "Ctrl-C stops it."
        )
        try:
            while thread.is_alive():
                thread.join(timeout=1)
        except KeyboardInterrupt:
            pass
    server.should_exit = True
    thread.join(timeout=60)
    return 1 if failed else 0
