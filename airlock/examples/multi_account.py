"""What the multi-account story sets up, in the article's order: the organization, the
target roles, the data science bucket, the project roles' added policies, the product.

Every step is a call of an AWS API through a client of `Clients`, as a reader of the
article would make it; `airlock demo` and tests/examples use the same steps.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any, Protocol

from airlock.platform.polling import wait_until

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "multi-account"
LAUNCH = "AmazonSageMakerServiceCatalogProductsLaunchRole"
USE = "AmazonSageMakerServiceCatalogProductsUseRole"
VISIBLE = [{"Key": "sagemaker:studio-visibility", "Value": "true"}]
PROJECT = "iris-multi-01"


class Clients(Protocol):
    """Where the story's clients come from: an endpoint and a region, and a client signed
    as an account's root (or with the given keys)."""

    @property
    def url(self) -> str:
        """The endpoint URL."""

    @property
    def region(self) -> str:
        """The region every client uses."""

    def client(
        self,
        service: str,
        account_id: str | None = None,
        *,
        keys: tuple[str, str] | None = None,
        token: str | None = None,
    ) -> Any:
        """A client of the service."""


def policy(*statements: dict[str, Any]) -> str:
    """A policy document of the statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def organization(clients: Clients, management: str) -> dict[str, str]:
    """Root → multi-account-deployment → staging and production OUs, one account in each,
    with trusted access for stack sets. Returns the OU ids and the accounts."""
    orgs = clients.client("organizations", management)
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]

    def unit(name: str, parent: str) -> str:
        made = orgs.create_organizational_unit(ParentId=parent, Name=name)
        return str(made["OrganizationalUnit"]["Id"])

    def account(name: str, destination: str) -> str:
        request = orgs.create_account(AccountName=name, Email=f"{name}@example.com")
        request_id = request["CreateAccountStatus"]["Id"]

        def created() -> str | None:
            status = orgs.describe_create_account_status(CreateAccountRequestId=request_id)
            state = status["CreateAccountStatus"]
            if state["State"] == "FAILED":
                raise RuntimeError(f"CreateAccount {name} failed: {state.get('FailureReason')}")
            return state.get("AccountId") if state["State"] == "SUCCEEDED" else None

        made: str = wait_until(created, timeout=60, what=f"account {name}")
        orgs.move_account(AccountId=made, SourceParentId=root, DestinationParentId=destination)
        return made

    top = unit("multi-account-deployment", root)
    staging, prod = unit("staging", top), unit("production", top)
    found = {
        "staging-ou": staging,
        "prod-ou": prod,
        "staging": account("staging", staging),
        "prod": account("production", prod),
    }
    # The console's "Activate trusted access" for StackSets.
    clients.client("cloudformation", management).activate_organizations_access()
    return found


def target_role(clients: Clients, account: str, suffix: str, pipeline_role: str) -> str:
    """sagemaker-role-<suffix> in a target account, from the example's role template."""
    cfn = clients.client("cloudformation", account)
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
        StackName=f"sagemaker-role-{suffix}", WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    outputs = cfn.describe_stacks(StackName=f"sagemaker-role-{suffix}")["Stacks"][0]["Outputs"]
    return str(outputs[0]["OutputValue"])


def data_science_bucket(clients: Clients, account: str, targets: list[str]) -> str:
    """sagemaker-<region>-<account>, readable by the target accounts."""
    bucket = f"sagemaker-{clients.region}-{account}"
    s3 = clients.client("s3", account)
    s3.create_bucket(Bucket=bucket)
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{t}:root" for t in targets]},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(statement))
    return bucket


def add_project_policies(clients: Clients, account: str, seed_bucket: str) -> None:
    """The article's added policies: the use role reaches the target accounts (their
    SageMaker roles, the organization's accounts, service-managed stack sets, the group's
    policy); the launch role reads the seed code and the template."""
    iam = clients.client("iam", account)
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


def publish(clients: Clients, account: str, bucket: str, scientist_arn: str) -> str:
    """The seed zip and the template in S3, the product from the template's URL in the
    "SageMaker Organization Templates" portfolio, tagged for Studio, with the launch
    constraint and the scientist's access. Returns the product id."""
    s3 = clients.client("s3", account)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="multi-account/seedcode.zip", Body=seed_zip())
    template = (EXAMPLE / "template.yml").read_bytes()
    s3.put_object(Bucket=bucket, Key="multi-account/template.yml", Body=template)
    sc = clients.client("servicecatalog", account)
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
            "Info": {"LoadTemplateFromURL": f"{clients.url}/{bucket}/multi-account/template.yml"},
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


def create_project(
    sm: Any, product: str, ids: dict[str, str], seed_bucket: str, name: str = PROJECT
) -> None:
    """CreateProject from the product, with the target roles' names and the OUs' ids."""
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


def project_status(sm: Any, name: str, wanted: tuple[str, ...], timeout: float = 120.0) -> Any:
    """DescribeProject once the project's status is one of `wanted`."""

    def reached() -> Any:
        out = sm.describe_project(ProjectName=name)
        return out if out["ProjectStatus"] in wanted else None

    return wait_until(reached, timeout=timeout, what=f"project {name} to reach {wanted}")


def user(clients: Clients, account: str, name: str, *policies: str, inline: str = "") -> Any:
    """An IAM user with the managed policies (and an inline one): (its ARN, its keys)."""
    iam = clients.client("iam", account)
    arn = str(iam.create_user(UserName=name)["User"]["Arn"])
    for managed in policies:
        iam.attach_user_policy(UserName=name, PolicyArn=f"arn:aws:iam::aws:policy/{managed}")
    if inline:
        iam.put_user_policy(UserName=name, PolicyName=f"{name}-access", PolicyDocument=inline)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, (str(key["AccessKeyId"]), str(key["SecretAccessKey"]))


def remove_deployments(
    clients: Clients, account: str, project: str, project_id: str, ids: dict[str, str]
) -> None:
    """The article's clean-up before delete-project: each stage's stack set loses its
    instances in its OU (the endpoints go with them), then the stack set itself."""
    cfn = clients.client("cloudformation", account)
    for stage_name, unit in (("staging", ids["staging-ou"]), ("prod", ids["prod-ou"])):
        name = f"sagemaker-{project}-{project_id}-deploy-{stage_name}"
        operation = cfn.delete_stack_instances(
            StackSetName=name,
            DeploymentTargets={"OrganizationalUnitIds": [unit]},
            Regions=[clients.region],
            RetainStacks=False,
        )["OperationId"]

        def done(name: str = name, operation: str = operation) -> dict[str, Any] | None:
            found: dict[str, Any] = cfn.describe_stack_set_operation(
                StackSetName=name, OperationId=operation
            )["StackSetOperation"]
            return None if found["Status"] in ("RUNNING", "STOPPING", "QUEUED") else found

        over = wait_until(done, timeout=120, what=f"{name}'s instances to be deleted")
        if over["Status"] != "SUCCEEDED":
            raise RuntimeError(f"deleting {name}'s instances: {over}")
        cfn.delete_stack_set(StackSetName=name)
