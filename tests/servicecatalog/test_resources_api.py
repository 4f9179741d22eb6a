"""A stack that publishes a product with the Service Catalog resource types, launched and
torn down through boto3."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.servicecatalog.support import make_role, put_template, settled
from tests.support import LiveServer, wait_for

PUBLISHER = """\
Parameters:
  TemplateUrl:
    Type: String
  LaunchRoleArn:
    Type: String
  UserArn:
    Type: String
Resources:
  Portfolio:
    Type: AWS::ServiceCatalog::Portfolio
    Properties:
      DisplayName: Published
      ProviderName: platform
      Tags:
        - Key: team
          Value: ml
  Product:
    Type: AWS::ServiceCatalog::CloudFormationProduct
    Properties:
      Name: Published logs
      Owner: platform
      Tags:
        - Key: sagemaker:studio-visibility
          Value: 'true'
      ProvisioningArtifactParameters:
        - Name: v1
          Info:
            LoadTemplateFromURL: !Ref TemplateUrl
  Association:
    Type: AWS::ServiceCatalog::PortfolioProductAssociation
    Properties:
      PortfolioId: !Ref Portfolio
      ProductId: !Ref Product
  Access:
    Type: AWS::ServiceCatalog::PortfolioPrincipalAssociation
    Properties:
      PortfolioId: !Ref Portfolio
      PrincipalARN: !Ref UserArn
      PrincipalType: IAM
  Launch:
    Type: AWS::ServiceCatalog::LaunchRoleConstraint
    DependsOn: Association
    Properties:
      PortfolioId: !Ref Portfolio
      ProductId: !Ref Product
      RoleArn: !Ref LaunchRoleArn
Outputs:
  ProductId:
    Value: !Ref Product
  Versions:
    Value: !GetAtt Product.ProvisioningArtifactIds
  PortfolioName:
    Value: !GetAtt Portfolio.PortfolioName
"""


def _stack(cfn: Any, name: str, status: str) -> dict[str, Any] | None:
    stack: dict[str, Any] = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert not str(stack["StackStatus"]).endswith(("FAILED", "ROLLBACK_COMPLETE")), stack
    return stack if stack["StackStatus"] == status else None


def test_a_stack_publishes_a_product(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    account = server.first_account_id()
    cfn = server.client("cloudformation")
    sc = server.client("servicecatalog")
    role = make_role(server, "launch")
    user = f"arn:aws:iam::{account}:root"
    stack_id = cfn.create_stack(
        StackName="publisher",
        TemplateBody=PUBLISHER,
        Parameters=[
            {"ParameterKey": "TemplateUrl", "ParameterValue": put_template(server)},
            {"ParameterKey": "LaunchRoleArn", "ParameterValue": role},
            {"ParameterKey": "UserArn", "ParameterValue": user},
        ],
    )["StackId"]
    stack = wait_for(lambda: _stack(cfn, stack_id, "CREATE_COMPLETE"), what="the stack")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    product = outputs["ProductId"]
    assert outputs["PortfolioName"] == "Published"
    admin = sc.describe_product_as_admin(Id=product)
    assert admin["Tags"] == [{"Key": "sagemaker:studio-visibility", "Value": "true"}]
    assert [a["Id"] for a in admin["ProvisioningArtifactSummaries"]] == [outputs["Versions"]]
    portfolio = sc.list_portfolios_for_product(ProductId=product)["PortfolioDetails"][0]["Id"]
    constraints = sc.list_constraints_for_portfolio(PortfolioId=portfolio)["ConstraintDetails"]
    assert [c["Type"] for c in constraints] == ["LAUNCH"]
    described = sc.describe_constraint(Id=constraints[0]["ConstraintId"])
    assert json.loads(described["ConstraintParameters"]) == {"RoleArn": role}

    record = sc.provision_product(
        ProductId=product,
        ProvisionedProductName="from-stack",
        ProvisioningParameters=[{"Key": "GroupName", "Value": "published-logs"}],
        ProvisionToken=uuid.uuid4().hex,
    )["RecordDetail"]
    assert record["LaunchRoleArn"] == role
    assert settled(sc, record["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    terminate = sc.terminate_provisioned_product(
        ProvisionedProductName="from-stack", TerminateToken=uuid.uuid4().hex
    )["RecordDetail"]
    assert settled(sc, terminate["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"

    cfn.delete_stack(StackName=stack_id)
    wait_for(lambda: _stack(cfn, stack_id, "DELETE_COMPLETE"), what="the stack's deletion")
    assert sc.list_portfolios()["PortfolioDetails"] == []
    assert sc.search_products_as_admin()["ProductViewDetails"] == []
