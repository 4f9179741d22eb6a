"""The portfolio switch: whether an account uses Service Catalog for SageMaker projects.

Enabling it creates, where missing, the two service roles SageMaker's project templates
run as, through the call path as the caller (so the caller's IAM decides and the trail
shows `iam:CreateRole` invoked by SageMaker): the launch role Service Catalog assumes,
and the use role the project's pipeline services assume.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from airlock.core.api import Output, Params
from airlock.core.calls import acting_context, call
from airlock.core.context import RequestContext
from airlock.core.errors import ServiceError
from airlock.iam.managed import aws_managed_arn

from ..jobs import SAGEMAKER
from ..operations import api
from ..registry import Registry
from .models import PortfolioSwitch

PATH = "/service-role/"
LAUNCH_ROLE = "AmazonSageMakerServiceCatalogProductsLaunchRole"
USE_ROLE = "AmazonSageMakerServiceCatalogProductsUseRole"
# The services the use role is trusted by: those a project's pipeline runs on.
USE_ROLE_SERVICES = (
    "apigateway.amazonaws.com",
    "cloudformation.amazonaws.com",
    "codebuild.amazonaws.com",
    "codepipeline.amazonaws.com",
    "events.amazonaws.com",
    "firehose.amazonaws.com",
    "glue.amazonaws.com",
    "lambda.amazonaws.com",
    "sagemaker.amazonaws.com",
    "states.amazonaws.com",
)
# role -> (trusted services, AWS managed policies attached, description)
ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    LAUNCH_ROLE: (
        ("servicecatalog.amazonaws.com",),
        ("AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy",),
        "SageMaker role created from the SageMaker AWS Management Console. This role has the "
        "permissions required to launch the Amazon SageMaker portfolio of products from AWS "
        "ServiceCatalog.",
    ),
    USE_ROLE: (
        USE_ROLE_SERVICES,
        (
            "AmazonSageMakerServiceCatalogProductsCloudformationServiceRolePolicy",
            "AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy",
            "AmazonSageMakerServiceCatalogProductsCodePipelineServiceRolePolicy",
            "AmazonSageMakerServiceCatalogProductsEventsServiceRolePolicy",
            "AmazonSageMakerServiceCatalogProductsLambdaServiceRolePolicy",
        ),
        "SageMaker role created from the SageMaker AWS Management Console. This role has the "
        "permissions required to use the Amazon SageMaker portfolio of products from AWS "
        "ServiceCatalog.",
    ),
}


def trust_policy(services: tuple[str, ...]) -> str:
    """A trust policy letting `services` assume the role."""
    principal: Any = services[0] if len(services) == 1 else list(services)
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def _create_roles(platform: Any, ctx: RequestContext, p: Params) -> Any:
    """Before the transaction: each missing role, created and given its policies as the caller."""
    actor = acting_context(platform, ctx.principal, via=SAGEMAKER, service="sagemaker")
    for name, (services, policies, description) in ROLES.items():
        try:
            call(platform, actor, "iam", "GetRole", {"RoleName": name})
            continue
        except ServiceError as error:
            if error.code != "NoSuchEntity":
                raise
        call(
            platform,
            actor,
            "iam",
            "CreateRole",
            {
                "RoleName": name,
                "Path": PATH,
                "AssumeRolePolicyDocument": trust_policy(services),
                "Description": description,
            },
        )
        for policy in policies:
            call(
                platform,
                actor,
                "iam",
                "AttachRolePolicy",
                {"RoleName": name, "PolicyArn": aws_managed_arn(policy)},
            )
    return lambda: None


def _switch(svc: Registry, ctx: RequestContext) -> PortfolioSwitch | None:
    found: PortfolioSwitch | None = svc.session.scalars(
        select(PortfolioSwitch).where(
            PortfolioSwitch.account_id == ctx.account_id, PortfolioSwitch.region == ctx.region
        )
    ).first()
    return found


def _set(svc: Registry, ctx: RequestContext, status: str) -> None:
    row = _switch(svc, ctx)
    if row is None:
        row = PortfolioSwitch(account_id=ctx.account_id, region=ctx.region, status=status)
        svc.session.add(row)
    row.status = status
    row.modified_at = ctx.time


@api.operation("sagemaker:EnableSagemakerServicecatalogPortfolio", stage=_create_roles)
def enable_sagemaker_servicecatalog_portfolio(
    svc: Registry, ctx: RequestContext, p: Params
) -> Output:
    """Use Service Catalog for projects; the two service roles exist once this returns."""
    _set(svc, ctx, "Enabled")
    return {}


@api.operation("sagemaker:DisableSagemakerServicecatalogPortfolio")
def disable_sagemaker_servicecatalog_portfolio(
    svc: Registry, ctx: RequestContext, p: Params
) -> Output:
    """Stop using Service Catalog for projects (the roles stay, as on AWS)."""
    _set(svc, ctx, "Disabled")
    return {}


@api.operation("sagemaker:GetSagemakerServicecatalogPortfolioStatus")
def get_sagemaker_servicecatalog_portfolio_status(
    svc: Registry, ctx: RequestContext, p: Params
) -> Output:
    """Enabled or Disabled (Disabled until enabled)."""
    row = _switch(svc, ctx)
    return {"Status": row.status if row is not None else "Disabled"}
