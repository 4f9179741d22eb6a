"""The services Airlock implements, in one list the gateway and CLI share."""

from __future__ import annotations

from typing import Any

from airlock.audit import api as cloudtrail_api
from airlock.cloudformation import api as cloudformation_api
from airlock.cloudwatch import api as cloudwatch_api
from airlock.codebuild.operations import api as codebuild_api
from airlock.codecommit import api as codecommit_api
from airlock.codepipeline import api as codepipeline_api
from airlock.core.api import ServiceApi
from airlock.events import api as events_api
from airlock.iam import api as iam_api
from airlock.logs import api as logs_api
from airlock.organizations import api as organizations_api
from airlock.s3 import api as s3_api
from airlock.sagemaker import api as sagemaker_api
from airlock.sagemaker_runtime import api as sagemaker_runtime_api
from airlock.servicecatalog import api as servicecatalog_api
from airlock.sts import api as sts_api

SERVICES: list[ServiceApi[Any]] = [
    organizations_api,
    iam_api,
    sts_api,
    cloudtrail_api,
    logs_api,
    cloudwatch_api,
    s3_api,
    events_api,
    sagemaker_api,
    sagemaker_runtime_api,
    codecommit_api,
    cloudformation_api,
    codebuild_api,
    servicecatalog_api,
    codepipeline_api,
]

__all__ = ["SERVICES"]
