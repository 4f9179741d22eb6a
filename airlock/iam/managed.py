"""AWS managed policies, with documents that grant what their names say."""

from __future__ import annotations

import json
from typing import Any

_READ = ["Get*", "List*", "Describe*", "BatchGet*", "Lookup*", "Search*"]


def _read(service: str) -> list[str]:
    return [f"{service}:{verb}" for verb in _READ]


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=4)


def _allow(actions: list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def _pass_role_to(service: str) -> dict[str, Any]:
    return _allow(
        ["iam:PassRole"],
        Condition={"StringEquals": {"iam:PassedToService": service}},
    )


_PROJECT_ROLE = "/service-role/"
# The policies of the service roles SageMaker projects run as (the launch role Service
# Catalog assumes, the use role of the project's pipeline services), as broad as AWS's.
_SAGEMAKER_PROJECT_ROLES: dict[str, tuple[str, str, str]] = {
    "AmazonSageMakerAdmin-ServiceCatalogProductsServiceRolePolicy": (
        _PROJECT_ROLE,
        "Service role policy used by the AWS Service Catalog service to provision products "
        "from the Amazon SageMaker portfolio of products.",
        _doc(
            _allow(
                [
                    "apigateway:*",
                    "cloudformation:*",
                    "codebuild:*",
                    "codecommit:*",
                    "codepipeline:*",
                    "events:*",
                    "firehose:*",
                    "glue:*",
                    "lambda:*",
                    "logs:*",
                    "s3:*",
                    "sagemaker:*",
                    "servicecatalog:*",
                    "ssm:*",
                    "states:*",
                    "iam:GetRole",
                    "iam:ListRoles",
                ]
            ),
            _allow(
                ["iam:PassRole"],
                "arn:aws:iam::*:role/service-role/AmazonSageMakerServiceCatalogProducts*",
            ),
        ),
    ),
    "AmazonSageMakerServiceCatalogProductsCloudformationServiceRolePolicy": (
        _PROJECT_ROLE,
        "Service role policy used by AWS CloudFormation within the AWS Service Catalog "
        "provisioned products from the Amazon SageMaker portfolio of products.",
        _doc(
            _allow(["cloudformation:*", "sagemaker:*", "s3:*", "logs:*", "lambda:*"]),
            _allow(["iam:PassRole"], "arn:aws:iam::*:role/service-role/AmazonSageMaker*"),
        ),
    ),
    "AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy": (
        _PROJECT_ROLE,
        "Service role policy used by AWS CodeBuild within the AWS Service Catalog provisioned "
        "products from the Amazon SageMaker portfolio of products.",
        _doc(
            _allow(
                [
                    "cloudformation:*",
                    "codebuild:*",
                    "codecommit:*",
                    "ecr:*",
                    "logs:*",
                    "s3:*",
                    "sagemaker:*",
                    "ssm:GetParameter*",
                    "events:*",
                ]
            ),
            _allow(["iam:PassRole"], "arn:aws:iam::*:role/service-role/AmazonSageMaker*"),
        ),
    ),
    "AmazonSageMakerServiceCatalogProductsCodePipelineServiceRolePolicy": (
        _PROJECT_ROLE,
        "Service role policy used by AWS CodePipeline within the AWS Service Catalog "
        "provisioned products from the Amazon SageMaker portfolio of products.",
        _doc(
            _allow(
                [
                    "cloudformation:*",
                    "codebuild:BatchGetBuilds",
                    "codebuild:StartBuild",
                    "codecommit:*",
                    "codepipeline:*",
                    "s3:*",
                    "sagemaker:*",
                ]
            ),
            _allow(["iam:PassRole"], "arn:aws:iam::*:role/service-role/AmazonSageMaker*"),
        ),
    ),
    "AmazonSageMakerServiceCatalogProductsEventsServiceRolePolicy": (
        _PROJECT_ROLE,
        "Service role policy used by Amazon EventBridge within the AWS Service Catalog "
        "provisioned products from the Amazon SageMaker portfolio of products.",
        _doc(_allow(["codepipeline:StartPipelineExecution", "sagemaker:StartPipelineExecution"])),
    ),
    "AmazonSageMakerServiceCatalogProductsLambdaServiceRolePolicy": (
        _PROJECT_ROLE,
        "Service role policy used by AWS Lambda within the AWS Service Catalog provisioned "
        "products from the Amazon SageMaker portfolio of products.",
        _doc(_allow(["logs:*", "s3:*", "sagemaker:*", "events:*", "codepipeline:*"])),
    ),
}

# name -> (path, description, document)
AWS_MANAGED: dict[str, tuple[str, str, str]] = {
    "AdministratorAccess": (
        "/",
        "Provides full access to AWS services and resources.",
        _doc(_allow(["*"])),
    ),
    "ReadOnlyAccess": (
        "/",
        "Provides read-only access to AWS services and resources.",
        _doc(_allow(_read("*"))),
    ),
    "AmazonS3ReadOnlyAccess": (
        "/",
        "Provides read only access to all buckets via the AWS Management Console.",
        _doc(_allow(["s3:Get*", "s3:List*", "s3:Describe*"])),
    ),
    "AmazonS3FullAccess": (
        "/",
        "Provides full access to all buckets via the AWS Management Console.",
        _doc(_allow(["s3:*"])),
    ),
    "AmazonSageMakerFullAccess": (
        "/",
        "Provides full access to Amazon SageMaker via the AWS Management Console and SDK.",
        _doc(
            _allow(["sagemaker:*"]),
            _allow(
                [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:ListBucket",
                    "s3:CreateBucket",
                    "s3:GetBucketLocation",
                ],
                "arn:aws:s3:::*sagemaker*",
            ),
            _allow(["logs:*", "events:*", "cloudwatch:*"]),
            _allow(["iam:GetRole", "iam:ListRoles"]),
            # SageMaker projects: the caller's own Service Catalog launches.
            _allow(
                [
                    "servicecatalog:Describe*",
                    "servicecatalog:List*",
                    "servicecatalog:ScanProvisionedProducts",
                    "servicecatalog:SearchProducts",
                    "servicecatalog:SearchProvisionedProducts",
                    "servicecatalog:ProvisionProduct",
                    "servicecatalog:TerminateProvisionedProduct",
                    "servicecatalog:UpdateProvisionedProduct",
                    "cloudformation:GetTemplateSummary",
                ]
            ),
            _allow(
                ["iam:CreateRole", "iam:AttachRolePolicy"],
                "arn:aws:iam::*:role/service-role/AmazonSageMakerServiceCatalogProducts*",
            ),
            _pass_role_to("sagemaker.amazonaws.com"),
        ),
    ),
    "AmazonSageMakerReadOnly": (
        "/",
        "Provides read only access to Amazon SageMaker via the AWS Management Console and SDK.",
        _doc(_allow(_read("sagemaker"))),
    ),
    "AWSCodePipeline_FullAccess": (
        "/",
        "Provides full access to AWS CodePipeline via the AWS Management Console.",
        _doc(
            _allow(["codepipeline:*"]),
            _allow(["iam:ListRoles", "iam:GetRole", "s3:ListAllMyBuckets", "s3:GetBucketPolicy"]),
            _pass_role_to("codepipeline.amazonaws.com"),
        ),
    ),
    "AWSCodeBuildAdminAccess": (
        "/",
        "Provides full access to AWS CodeBuild via the AWS Management Console.",
        _doc(
            _allow(["codebuild:*"]),
            _allow(["logs:GetLogEvents", "logs:DescribeLogStreams", "logs:DeleteLogGroup"]),
            _pass_role_to("codebuild.amazonaws.com"),
        ),
    ),
    "AWSCloudFormationFullAccess": (
        "/",
        "Provides full access to AWS CloudFormation.",
        _doc(_allow(["cloudformation:*"])),
    ),
    "AmazonEventBridgeFullAccess": (
        "/",
        "Provides full access to Amazon EventBridge.",
        _doc(_allow(["events:*"]), _pass_role_to("events.amazonaws.com")),
    ),
    "CloudWatchLogsFullAccess": (
        "/",
        "Provides full access to CloudWatch Logs.",
        _doc(_allow(["logs:*"])),
    ),
    # The ones below are those the shared CloudFormation templates attach to their roles.
    "AWSCloudFormationReadOnlyAccess": (
        "/",
        "Provides read-only access to AWS CloudFormation.",
        _doc(_allow([*_read("cloudformation"), "cloudformation:ValidateTemplate"])),
    ),
    "AmazonEC2ReadOnlyAccess": (
        "/",
        "Provides read-only access to Amazon EC2.",
        _doc(_allow(["ec2:Describe*", "elasticloadbalancing:Describe*", "autoscaling:Describe*"])),
    ),
    "AWSLambdaBasicExecutionRole": (
        "/service-role/",
        "Lets a Lambda function write its logs to CloudWatch Logs.",
        _doc(_allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])),
    ),
    "AWSLambda_FullAccess": (
        "/",
        "Provides full access to AWS Lambda.",
        _doc(
            _allow(["lambda:*"]),
            _allow([*_read("logs"), "iam:GetRole", "iam:ListRoles"]),
            _pass_role_to("lambda.amazonaws.com"),
        ),
    ),
    "AWSLambda_ReadOnlyAccess": (
        "/",
        "Provides read-only access to AWS Lambda.",
        _doc(_allow(_read("lambda"))),
    ),
    "AWSServiceCatalogAdminFullAccess": (
        "/",
        "Provides full access to AWS Service Catalog administration.",
        _doc(
            _allow(["servicecatalog:*", "cloudformation:*"]),
            _allow(["iam:GetRole", "iam:ListRoles", "s3:GetObject"]),
            _pass_role_to("servicecatalog.amazonaws.com"),
        ),
    ),
    "AWSServiceCatalogEndUserReadOnlyAccess": (
        "/",
        "Provides read-only access to the AWS Service Catalog end-user views.",
        _doc(_allow(_read("servicecatalog"))),
    ),
    "AWSKeyManagementServicePowerUser": (
        "/",
        "Lets a user manage AWS KMS keys but not use them to encrypt or decrypt.",
        _doc(
            _allow(
                [
                    *_read("kms"),
                    *(f"kms:{verb}*" for verb in ("Create", "Enable", "Disable", "Put", "Update")),
                    "kms:TagResource",
                    "kms:UntagResource",
                    "kms:ScheduleKeyDeletion",
                    "kms:CancelKeyDeletion",
                ]
            )
        ),
    ),
    "AmazonSSMFullAccess": (
        "/",
        "Provides full access to AWS Systems Manager.",
        _doc(_allow(["ssm:*"]), _pass_role_to("ssm.amazonaws.com")),
    ),
    "AmazonSSMReadOnlyAccess": (
        "/",
        "Provides read-only access to AWS Systems Manager.",
        _doc(_allow(_read("ssm"))),
    ),
    "AWSCodeCommitFullAccess": (
        "/",
        "Provides full access to AWS CodeCommit.",
        _doc(_allow(["codecommit:*"])),
    ),
    "AWSCodeCommitReadOnly": (
        "/",
        "Provides read-only access to AWS CodeCommit.",
        _doc(_allow([*_read("codecommit"), "codecommit:GitPull"])),
    ),
    "DataScientist": (
        "/job-function/",
        "Grants what a data scientist needs for machine learning work in SageMaker.",
        _doc(
            _allow(["sagemaker:*", "logs:*", *_read("cloudwatch")]),
            _allow(["s3:Get*", "s3:List*", "s3:PutObject", "s3:DeleteObject", "s3:CreateBucket"]),
            _pass_role_to("sagemaker.amazonaws.com"),
        ),
    ),
    "AmazonSageMakerFeatureStoreAccess": (
        "/",
        "Lets SageMaker Feature Store write the offline store's objects.",
        _doc(
            _allow(
                ["s3:PutObject", "s3:GetBucketAcl", "s3:PutObjectAcl"],
                "arn:aws:s3:::*sagemaker*",
            )
        ),
    ),
    **_SAGEMAKER_PROJECT_ROLES,
}


def aws_managed_arn(name: str) -> str:
    """The ARN of an AWS managed policy."""
    path = AWS_MANAGED[name][0]
    return f"arn:aws:iam::aws:policy{path}{name}"
