"""SageMaker project test helpers: a project template published as a tagged product."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.servicecatalog.support import create_portfolio, create_product, make_role, put_template
from tests.support import LiveServer, wait_for

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  SageMakerProjectName:
    Type: String
  SageMakerProjectId:
    Type: String
  Retention:
    Type: Number
    Default: '7'
Resources:
  Artifacts:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub 'sagemaker-${SageMakerProjectName}-${SageMakerProjectId}'
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub '/sagemaker/${SageMakerProjectName}'
      RetentionInDays: !Ref Retention
Outputs:
  Bucket:
    Value: !Ref Artifacts
"""

BROKEN = """\
Parameters:
  SageMakerProjectName:
    Type: String
  SageMakerProjectId:
    Type: String
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub '/sagemaker/${SageMakerProjectName}'
  Role:
    Type: AWS::IAM::Role
    DependsOn: Logs
    Properties:
      AssumeRolePolicyDocument: 'not a policy'
"""

VISIBLE = [{"Key": "sagemaker:studio-visibility", "Value": "true"}]


def scientist(server: LiveServer, name: str = "scientist") -> tuple[Any, str]:
    """A SageMaker client signed as a user with AmazonSageMakerFullAccess only."""
    iam = server.client("iam")
    arn = str(iam.create_user(UserName=name)["User"]["Arn"])
    iam.attach_user_policy(
        UserName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("sagemaker", keys=(key["AccessKeyId"], key["SecretAccessKey"])), arn


def project_catalog(
    server: LiveServer,
    *,
    body: str = TEMPLATE,
    tags: list[dict[str, str]] | None = None,
    principal: str | None = None,
) -> dict[str, str]:
    """A portfolio with a product (tagged for SageMaker by default) and a launch role."""
    sc = server.client("servicecatalog")
    role = make_role(server, f"launch-{uuid.uuid4().hex[:6]}")
    portfolio = create_portfolio(sc)
    product = create_product(sc, put_template(server, body), Tags=VISIBLE if tags is None else tags)
    product_id = product["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    sc.associate_product_with_portfolio(ProductId=product_id, PortfolioId=portfolio)
    sc.create_constraint(
        PortfolioId=portfolio,
        ProductId=product_id,
        Type="LAUNCH",
        Parameters=json.dumps({"RoleArn": role}),
        IdempotencyToken=uuid.uuid4().hex,
    )
    if principal:
        sc.associate_principal_with_portfolio(
            PortfolioId=portfolio, PrincipalARN=principal, PrincipalType="IAM"
        )
    return {
        "portfolio": portfolio,
        "product": product_id,
        "artifact": product["ProvisioningArtifactDetail"]["Id"],
        "role": role,
    }


def project_status(sm: Any, name: str, wanted: tuple[str, ...], timeout: float = 60.0) -> Any:
    """DescribeProject once the project's status is one of `wanted`."""

    def reached() -> Any:
        out = sm.describe_project(ProjectName=name)
        return out if out["ProjectStatus"] in wanted else None

    return wait_for(reached, timeout=timeout, what=f"project {name} to reach {wanted}")
