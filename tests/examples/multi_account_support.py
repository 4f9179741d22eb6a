"""What the multi-account example's test sets up, in the article's order: the organization,
the target roles, the data science bucket, the project roles' added policies, the product."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from tests.cloudformation.sets import Organization
from tests.sagemaker.projects_support import project_status
from tests.support import LiveServer, wait_for

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "multi-account"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
LAUNCH = "AmazonSageMakerServiceCatalogProductsLaunchRole"
USE = "AmazonSageMakerServiceCatalogProductsUseRole"
VISIBLE = [{"Key": "sagemaker:studio-visibility", "Value": "true"}]


def policy(*statements: dict[str, Any]) -> str:
    """A policy document of the statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def organization(server: LiveServer, management: str) -> dict[str, str]:
    """Root → multi-account-deployment → staging and production OUs, one account in each,
    with trusted access for stack sets."""
    org = Organization(server, management)
    top = org.unit("multi-account-deployment")
    staging, prod = org.unit("staging", top), org.unit("production", top)
    found = {
        "staging-ou": staging,
        "prod-ou": prod,
        "staging": org.account("staging", staging),
        "prod": org.account("production", prod),
    }
    org.trust_stack_sets()
    return found


def target_role(server: LiveServer, account: str, suffix: str, pipeline_role: str) -> str:
    """sagemaker-role-<suffix> in a target account, from the example's role template."""
    cfn = server.client("cloudformation", account)
    cfn.create_stack(
        StackName=f"sagemaker-role-{suffix}",
        TemplateBody=(EXAMPLE / "sagemaker-role-template.yml").read_text(),
        Parameters=[
            {"ParameterKey": "SageMakerRoleSuffix", "ParameterValue": suffix},
            {"ParameterKey": "PipelineExecutionRoleArn", "ParameterValue": pipeline_role},
        ],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    cfn.get_waiter("stack_create_complete").wait(
        StackName=f"sagemaker-role-{suffix}", WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    outputs = cfn.describe_stacks(StackName=f"sagemaker-role-{suffix}")["Stacks"][0]["Outputs"]
    return str(outputs[0]["OutputValue"])


def data_science_bucket(server: LiveServer, account: str, targets: list[str]) -> str:
    """sagemaker-<region>-<account>, readable by the target accounts."""
    bucket = f"sagemaker-{server.settings.region}-{account}"
    s3 = server.client("s3", account)
    s3.create_bucket(Bucket=bucket)
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{t}:root" for t in targets]},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(statement))
    return bucket


def add_project_policies(server: LiveServer, account: str, seed_bucket: str) -> None:
    """The article's added policies: the use role reaches the target accounts (their
    SageMaker roles, the organization's accounts, service-managed stack sets, the group's
    policy); the launch role reads the seed code and the template."""
    iam = server.client("iam", account)
    iam.put_role_policy(
        RoleName=USE,
        PolicyName="multi-account-deployment",
        PolicyDocument=policy(
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": "arn:aws:iam::*:role/sagemaker-role-*",
            },
            {
                "Effect": "Allow",
                "Action": ["organizations:ListAccounts*", "organizations:Describe*"],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "cloudformation:*StackSet*",
                    "cloudformation:*StackInstance*",
                    "cloudformation:ListStackSetOperation*",
                ],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "sagemaker:CreateModelPackageGroup",
                    "sagemaker:DescribeModelPackageGroup",
                    "sagemaker:PutModelPackageGroupPolicy",
                    "sagemaker:ListModelPackages",
                ],
                "Resource": "*",
            },
        ),
    )
    iam.put_role_policy(
        RoleName=LAUNCH,
        PolicyName="seed-code",
        PolicyDocument=policy(
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{seed_bucket}/multi-account/*",
            }
        ),
    )


def seed_zip() -> bytes:
    """The example's seedcode directory as a zip (the repository's first commit)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((EXAMPLE / "seedcode").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(EXAMPLE / "seedcode").as_posix())
    return buffer.getvalue()


def publish(server: LiveServer, account: str, bucket: str, scientist_arn: str) -> str:
    """The seed zip and the template in S3, the product from the template's URL in the
    "SageMaker Organization Templates" portfolio, tagged for Studio, with the launch
    constraint and the scientist's access. Returns the product id."""
    s3 = server.client("s3", account)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="multi-account/seedcode.zip", Body=seed_zip())
    template = (EXAMPLE / "template.yml").read_bytes()
    s3.put_object(Bucket=bucket, Key="multi-account/template.yml", Body=template)
    sc = server.client("servicecatalog", account)
    portfolio = sc.create_portfolio(
        DisplayName="SageMaker Organization Templates",
        ProviderName="ML engineering",
        IdempotencyToken=uuid.uuid4().hex,
    )["PortfolioDetail"]["Id"]
    product = sc.create_product(
        Name="Multi Account Deployment",
        Description="Multi account deployment project",
        Owner="ML engineering",
        ProductType="CLOUD_FORMATION_TEMPLATE",
        ProvisioningArtifactParameters={
            "Name": "1.0",
            "Info": {"LoadTemplateFromURL": f"{server.url}/{bucket}/multi-account/template.yml"},
            "Type": "CLOUD_FORMATION_TEMPLATE",
        },
        Tags=VISIBLE,
        IdempotencyToken=uuid.uuid4().hex,
    )["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    sc.associate_product_with_portfolio(ProductId=product, PortfolioId=portfolio)
    sc.create_constraint(
        PortfolioId=portfolio,
        ProductId=product,
        Type="LAUNCH",
        Parameters=json.dumps({"RoleArn": f"arn:aws:iam::{account}:role/service-role/{LAUNCH}"}),
        IdempotencyToken=uuid.uuid4().hex,
    )
    sc.associate_principal_with_portfolio(
        PortfolioId=portfolio, PrincipalARN=scientist_arn, PrincipalType="IAM"
    )
    return str(product)


def iris_split() -> tuple[np.ndarray, np.ndarray]:
    """Iris shuffled as the seed code's held-out rows were: the first 100 rows train, the
    last 25 are the held-out ones (label first)."""
    from sklearn.datasets import load_iris

    data = load_iris()
    table = np.column_stack([data.target, data.data])
    np.random.default_rng(0).shuffle(table)
    return table[:100], table[125:]


def model_archive(rows: np.ndarray, rounds: int = 10) -> bytes:
    """model.tar.gz of an XGBoost multi:softmax booster trained on the rows."""
    booster = xgb.train(
        {"objective": "multi:softmax", "num_class": 3, "max_depth": 3},
        xgb.DMatrix(rows[:, 1:], label=rows[:, 0]),
        rounds,
    )
    raw = bytes(booster.save_raw("ubj"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def register(sm: Any, group: str, url: str) -> str:
    """A model package of the archive at `url`, pending approval."""
    return str(
        sm.create_model_package(
            ModelPackageGroupName=group,
            ModelPackageDescription="XGBoost on iris",
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": url}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            },
            ModelApprovalStatus="PendingManualApproval",
        )["ModelPackageArn"]
    )


def executions(cp: Any, pipeline: str) -> list[dict[str, Any]]:
    """The pipeline's executions, newest first."""
    return list(cp.list_pipeline_executions(pipelineName=pipeline)["pipelineExecutionSummaries"])


def stage(cp: Any, pipeline: str, name: str, execution_id: str, wanted: str) -> dict[str, Any]:
    """The stage's state once `execution_id` has it in status `wanted` (fails on Failed)."""

    def reached() -> dict[str, Any] | None:
        states = cp.get_pipeline_state(name=pipeline)["stageStates"]
        state = next(s for s in states if s["stageName"] == name)
        latest = state.get("latestExecution") or {}
        if latest.get("pipelineExecutionId") != execution_id:
            return None
        if latest["status"] == "Failed" and wanted != "Failed":
            raise AssertionError(f"{name} failed: {state['actionStates']}")
        return dict(state) if latest["status"] == wanted else None

    return wait_for(reached, timeout=240, interval=0.2, what=f"{name} to be {wanted}")


def approval_token(cp: Any, pipeline: str, execution_id: str) -> str:
    """The token of ApproveDeployment once it waits for `execution_id`.

    The stage shows InProgress as soon as the execution enters it, a moment before its
    approval action has a token: wait for the token itself.
    """
    stage(cp, pipeline, "ApproveDeployment", execution_id, "InProgress")

    def waiting() -> str | None:
        states = cp.get_pipeline_state(name=pipeline)["stageStates"]
        state = next(s for s in states if s["stageName"] == "ApproveDeployment")
        if (state.get("latestExecution") or {}).get("pipelineExecutionId") != execution_id:
            return None
        latest = state["actionStates"][0].get("latestExecution") or {}
        token = latest.get("token") if latest.get("status") == "InProgress" else None
        return str(token) if token else None

    return wait_for(waiting, timeout=60, interval=0.1, what="the approval's token")


def create_project(
    sm: Any, name: str, product: str, ids: dict[str, str], seed_bucket: str
) -> dict[str, Any]:
    """CreateProject of the product with the article's parameters; the project once
    CreateCompleted."""
    sm.create_project(
        ProjectName=name,
        ProjectDescription="Multi account deployment of the iris model",
        ServiceCatalogProvisioningDetails={
            "ProductId": product,
            "ProvisioningParameters": [
                {"Key": "SageMakerExecutionRoleStagingName", "Value": "sagemaker-role-staging"},
                {"Key": "SageMakerExecutionRoleProdName", "Value": "sagemaker-role-prod"},
                {"Key": "OrganizationalUnitStagingId", "Value": ids["staging-ou"]},
                {"Key": "OrganizationalUnitProdId", "Value": ids["prod-ou"]},
                {"Key": "SeedCodeBucket", "Value": seed_bucket},
            ],
        },
    )
    project = project_status(sm, name, ("CreateCompleted", "CreateFailed"), timeout=120)
    assert project["ProjectStatus"] == "CreateCompleted", project
    return dict(project)


def new_execution(cp: Any, pipeline: str, known: set[str], what: str) -> dict[str, Any]:
    """The pipeline's first execution whose id is not among `known`, once it starts."""
    return wait_for(
        lambda: next(
            (e for e in executions(cp, pipeline) if e["pipelineExecutionId"] not in known), None
        ),
        what=what,
    )
