"""AWS managed policies, with documents that grant what their names say."""

from __future__ import annotations

import json
from typing import Any

_READ = ["Get*", "List*", "Describe*", "BatchGet*", "Lookup*", "Search*"]


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=4)


def _allow(actions: list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def _pass_role_to(service: str) -> dict[str, Any]:
    return _allow(
        ["iam:PassRole"],
        Condition={"StringEquals": {"iam:PassedToService": service}},
    )


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
        _doc(_allow([f"*:{verb}" for verb in _READ])),
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
            _pass_role_to("sagemaker.amazonaws.com"),
        ),
    ),
    "AmazonSageMakerReadOnly": (
        "/",
        "Provides read only access to Amazon SageMaker via the AWS Management Console and SDK.",
        _doc(_allow([f"sagemaker:{verb}" for verb in _READ])),
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
}


def aws_managed_arn(name: str) -> str:
    """The ARN of an AWS managed policy."""
    path = AWS_MANAGED[name][0]
    return f"arn:aws:iam::aws:policy{path}{name}"
