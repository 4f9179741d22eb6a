"""The portfolio switch through boto3: the two service roles, created once, as the caller."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.servicecatalog.support import create_portfolio, create_product, error_of, put_template
from tests.support import LiveServer

from .projects_support import TEMPLATE, VISIBLE, project_status, scientist

LAUNCH = "AmazonSageMakerServiceCatalogProductsLaunchRole"
USE = "AmazonSageMakerServiceCatalogProductsUseRole"


def _trusted(role: dict[str, Any]) -> set[str]:
    document = role["AssumeRolePolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    services: set[str] = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == "sts:AssumeRole"
        found = statement["Principal"]["Service"]
        services |= {found} if isinstance(found, str) else set(found)
    return services


def _attached(iam: Any, name: str) -> list[str]:
    return sorted(
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    )


def _creates(server: LiveServer) -> list[dict[str, Any]]:
    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateRole"}]
    )["Events"]
    return [json.loads(e["CloudTrailEvent"]) for e in events]


def test_enable_creates_the_two_roles_once(server: LiveServer) -> None:
    sm, user_arn = scientist(server)
    account = server.first_account_id()
    assert sm.get_sagemaker_servicecatalog_portfolio_status()["Status"] == "Disabled"
    sm.enable_sagemaker_servicecatalog_portfolio()
    assert sm.get_sagemaker_servicecatalog_portfolio_status()["Status"] == "Enabled"
    iam = server.client("iam")
    launch = iam.get_role(RoleName=LAUNCH)["Role"]
    use = iam.get_role(RoleName=USE)["Role"]
    assert launch["Arn"] == f"arn:aws:iam::{account}:role/service-role/{LAUNCH}"
    assert use["Path"] == "/service-role/"
    assert _trusted(launch) == {"servicecatalog.amazonaws.com"}
    assert {
        "cloudformation.amazonaws.com",
        "codebuild.amazonaws.com",
        "codepipeline.amazonaws.com",
        "events.amazonaws.com",
        "sagemaker.amazonaws.com",
        "firehose.amazonaws.com",
        "glue.amazonaws.com",
        "lambda.amazonaws.com",
        "states.amazonaws.com",
        "apigateway.amazonaws.com",
    } == _trusted(use)
    assert _attached(iam, LAUNCH) == [
        "AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy"
    ]
    assert _attached(iam, USE) == [
        "AmazonSageMakerServiceCatalogProductsCloudformationServiceRolePolicy",
        "AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy",
        "AmazonSageMakerServiceCatalogProductsCodePipelineServiceRolePolicy",
        "AmazonSageMakerServiceCatalogProductsEventsServiceRolePolicy",
        "AmazonSageMakerServiceCatalogProductsLambdaServiceRolePolicy",
    ]
    creates = _creates(server)
    assert sorted(e["requestParameters"]["roleName"] for e in creates) == [LAUNCH, USE]
    assert {e["userIdentity"]["arn"] for e in creates} == {user_arn}
    assert {e["userIdentity"]["invokedBy"] for e in creates} == {"sagemaker.amazonaws.com"}

    # The article adds policies of its own to both roles, by name.
    extra = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "organizations:ListAccounts*", "Resource": "*"}
            ],
        }
    )
    for name in (LAUNCH, USE):
        iam.put_role_policy(RoleName=name, PolicyName="multi-account", PolicyDocument=extra)
    iam.attach_role_policy(
        RoleName=USE, PolicyArn="arn:aws:iam::aws:policy/AWSCloudFormationFullAccess"
    )
    # Enabled again: nothing is made twice, and what was added stays.
    sm.disable_sagemaker_servicecatalog_portfolio()
    assert sm.get_sagemaker_servicecatalog_portfolio_status()["Status"] == "Disabled"
    sm.enable_sagemaker_servicecatalog_portfolio()
    assert len(_creates(server)) == 2
    assert iam.list_role_policies(RoleName=USE)["PolicyNames"] == ["multi-account"]
    assert "AWSCloudFormationFullAccess" in _attached(iam, USE)


def test_the_launch_role_launches_a_project(server: LiveServer) -> None:
    sm, user_arn = scientist(server)
    sm.enable_sagemaker_servicecatalog_portfolio()
    account = server.first_account_id()
    role = f"arn:aws:iam::{account}:role/service-role/{LAUNCH}"
    sc = server.client("servicecatalog")
    portfolio = create_portfolio(sc)
    product = create_product(sc, put_template(server, TEMPLATE), Tags=VISIBLE)
    product_id = product["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    sc.associate_product_with_portfolio(ProductId=product_id, PortfolioId=portfolio)
    sc.associate_principal_with_portfolio(
        PortfolioId=portfolio, PrincipalARN=user_arn, PrincipalType="IAM"
    )
    sc.create_constraint(
        PortfolioId=portfolio,
        ProductId=product_id,
        Type="LAUNCH",
        Parameters=json.dumps({"RoleArn": role}),
        IdempotencyToken=uuid.uuid4().hex,
    )
    sm.create_project(
        ProjectName="launched", ServiceCatalogProvisioningDetails={"ProductId": product_id}
    )
    done = project_status(sm, "launched", ("CreateCompleted", "CreateFailed"))
    assert done["ProjectStatus"] == "CreateCompleted", done
    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateStack"}]
    )["Events"]
    identity = json.loads(events[0]["CloudTrailEvent"])["userIdentity"]
    assert identity["arn"].startswith(f"arn:aws:sts::{account}:assumed-role/{LAUNCH}/")


def test_enable_needs_the_callers_iam_permissions(server: LiveServer) -> None:
    iam = server.client("iam")
    arn = iam.create_user(UserName="viewer")["User"]["Arn"]
    iam.put_user_policy(
        UserName="viewer",
        PolicyName="p",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["sagemaker:*", "iam:GetRole"], "Resource": "*"}
                ],
            }
        ),
    )
    key = iam.create_access_key(UserName="viewer")["AccessKey"]
    sm = server.client("sagemaker", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    with pytest.raises(ClientError) as excinfo:
        sm.enable_sagemaker_servicecatalog_portfolio()
    code, message = error_of(excinfo)
    assert code == "AccessDenied"
    assert f"User: {arn} is not authorized to perform: iam:CreateRole" in message
    assert sm.get_sagemaker_servicecatalog_portfolio_status()["Status"] == "Disabled"
    with pytest.raises(ClientError):
        iam.get_role(RoleName=LAUNCH)
