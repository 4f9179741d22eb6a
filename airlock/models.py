"""Every table of every service, gathered for migrations."""

from airlock.audit import models as audit_models
from airlock.cloudformation import models as cloudformation_models
from airlock.cloudformation.stack_sets import models as stack_set_models
from airlock.codebuild import models as codebuild_models
from airlock.codecommit import models as codecommit_models
from airlock.codepipeline import models as codepipeline_models
from airlock.events import models as events_models
from airlock.iam import models as iam_models
from airlock.identity import models as identity_models
from airlock.logs import models as logs_models
from airlock.organizations import models as organizations_models
from airlock.platform import tasks
from airlock.platform.db import Base
from airlock.s3 import models as s3_models
from airlock.sagemaker import models as sagemaker_models
from airlock.sagemaker.hosting import models as hosting_models
from airlock.sagemaker.pipelines import models as pipeline_models
from airlock.sagemaker.processing import models as processing_models
from airlock.sagemaker.projects import models as project_models
from airlock.sagemaker.training import models as training_models
from airlock.servicecatalog import models as servicecatalog_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "cloudformation_models",
    "codebuild_models",
    "codecommit_models",
    "codepipeline_models",
    "events_models",
    "hosting_models",
    "iam_models",
    "identity_models",
    "logs_models",
    "metadata",
    "organizations_models",
    "pipeline_models",
    "processing_models",
    "project_models",
    "s3_models",
    "sagemaker_models",
    "servicecatalog_models",
    "stack_set_models",
    "tasks",
    "training_models",
]
