"""Service Catalog test helpers: templates in a bucket, portfolios, products, launch roles."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer, service_trust, wait_for

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  GroupName:
    Type: String
    Description: The log group's name
    MinLength: 3
    AllowedPattern: '[a-z0-9-]+'
  Retention:
    Type: Number
    Default: '7'
    AllowedValues: ['1', '7', '30']
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Ref GroupName
      RetentionInDays: !Ref Retention
  Kept:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: Retain
    Properties:
      LogGroupName: !Sub '${GroupName}-kept'
Outputs:
  GroupArn:
    Description: The group's ARN
    Value: !GetAtt Group.Arn
"""

BROKEN_STACK = """\
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: 'not a policy'
"""

ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def put_template(server: LiveServer, body: str = TEMPLATE, account: str | None = None) -> str:
    """Upload a template to a new bucket; its path-style URL on the server."""
    s3 = server.client("s3", account)
    bucket = f"templates-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="product/template.yaml", Body=body.encode())
    return f"{server.url}/{bucket}/product/template.yaml"


def create_product(sc: Any, url: str, name: str = "Log group", **extra: Any) -> dict[str, Any]:
    """A CloudFormation product from a template URL."""
    out: dict[str, Any] = sc.create_product(
        Name=name,
        Owner="platform team",
        ProductType="CLOUD_FORMATION_TEMPLATE",
        ProvisioningArtifactParameters={
            "Name": "v1",
            "Description": "first",
            "Info": {"LoadTemplateFromURL": url},
            "Type": "CLOUD_FORMATION_TEMPLATE",
        },
        IdempotencyToken=uuid.uuid4().hex,
        **extra,
    )
    return out


def create_portfolio(sc: Any, name: str = "Team portfolio") -> str:
    """A portfolio's id."""
    out = sc.create_portfolio(
        DisplayName=name, ProviderName="platform", IdempotencyToken=uuid.uuid4().hex
    )
    return str(out["PortfolioDetail"]["Id"])


def make_role(
    server: LiveServer,
    name: str,
    trusted: str = "servicecatalog.amazonaws.com",
    policy: Any = None,
    account: str | None = None,
) -> str:
    """A role trusted by a service, with an inline policy (everything by default)."""
    iam = server.client("iam", account)
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=service_trust(trusted))["Role"][
        "Arn"
    ]
    iam.put_role_policy(
        RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy or ALLOW_ALL)
    )
    return str(arn)


def end_user(
    server: LiveServer, name: str, policy: Any = None, account: str | None = None
) -> tuple[Any, str]:
    """A Service Catalog client signed as a new user (with `policy`, everything by default)."""
    iam = server.client("iam", account)
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    iam.put_user_policy(
        UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy or ALLOW_ALL)
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    keys = (key["AccessKeyId"], key["SecretAccessKey"])
    return server.client("servicecatalog", keys=keys), str(arn)


def catalog(
    server: LiveServer, *, launch_role: str | None = None, body: str = TEMPLATE
) -> dict[str, str]:
    """A portfolio holding a product, and a launch constraint when a role is given."""
    sc = server.client("servicecatalog")
    portfolio = create_portfolio(sc)
    product = create_product(sc, put_template(server, body))
    product_id = product["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    sc.associate_product_with_portfolio(ProductId=product_id, PortfolioId=portfolio)
    if launch_role:
        sc.create_constraint(
            PortfolioId=portfolio,
            ProductId=product_id,
            Type="LAUNCH",
            Parameters=json.dumps({"RoleArn": launch_role}),
            IdempotencyToken=uuid.uuid4().hex,
        )
    return {
        "portfolio": portfolio,
        "product": product_id,
        "artifact": product["ProvisioningArtifactDetail"]["Id"],
    }


def settled(sc: Any, record_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """DescribeRecord once the record SUCCEEDED or FAILED."""

    def done() -> dict[str, Any] | None:
        out: dict[str, Any] = sc.describe_record(Id=record_id)
        status = out["RecordDetail"]["Status"]
        return out if status in ("SUCCEEDED", "FAILED") else None

    return wait_for(done, timeout=timeout, what=f"record {record_id} to settle")


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """The code and message of a ClientError."""
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def trail(server: LiveServer, operation: str, account: str | None = None) -> list[dict[str, Any]]:
    """The audit trail's events of one operation in an account, newest first."""
    events = server.client("cloudtrail", account).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": operation}]
    )["Events"]
    return [json.loads(e["CloudTrailEvent"]) for e in events]
