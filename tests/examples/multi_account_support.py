"""What the multi-account example's test sets up, in the article's order: the steps live in
airlock.examples, which `airlock demo` plays too; the test takes them from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from airlock.examples.iris import (
    IMAGE,
    approval_token,
    executions,
    iris_split,
    model_archive,
    register,
    stage,
)
from airlock.examples.multi_account import (
    EXAMPLE,
    LAUNCH,
    USE,
    VISIBLE,
    add_project_policies,
    create_project,
    data_science_bucket,
    organization,
    policy,
    publish,
    seed_zip,
    target_role,
)
from tests.sagemaker.projects_support import project_status, scientist
from tests.support import LiveServer, wait_for

PROJECT = "iris-multi-01"

__all__ = [
    "EXAMPLE",
    "IMAGE",
    "LAUNCH",
    "PROJECT",
    "USE",
    "VISIBLE",
    "add_project_policies",
    "approval_token",
    "completed_project",
    "data_science_bucket",
    "executions",
    "iris_split",
    "model_archive",
    "new_execution",
    "organization",
    "policy",
    "publish",
    "register",
    "registered_model",
    "seed_zip",
    "stage",
    "started_by_approval",
    "target_role",
]


@dataclass
class Story:
    """The article's set-up, up to a model registered in the project's group."""

    ids: dict[str, str]
    scientist: Any  # the data scientist's SageMaker client
    scientist_arn: str
    models: str  # the data science bucket
    project_id: str
    group: str
    pipeline: str
    first_execution: str  # the pipeline's run at its creation (stops at Build)
    package: str  # the registered version, pending approval
    train: np.ndarray
    holdout: np.ndarray


def registered_model(server: LiveServer) -> Story:
    """The organization, target roles, bucket, product, project and a registered model.

    The pipeline's first run (at its creation) builds before any model is approved: the
    build creates and shares the group, then stops at Build for want of an approved
    model; registering a model does not start the pipeline.
    """
    ds = server.first_account_id()
    ids = organization(server, ds)
    sm, scientist_arn = scientist(server)
    sm.enable_sagemaker_servicecatalog_portfolio()
    use_role = f"arn:aws:iam::{ds}:role/service-role/{USE}"
    staging_role = target_role(server, ids["staging"], "staging", use_role)
    prod_role = target_role(server, ids["prod"], "prod", use_role)
    assert staging_role == f"arn:aws:iam::{ids['staging']}:role/sagemaker-role-staging"
    assert prod_role == f"arn:aws:iam::{ids['prod']}:role/sagemaker-role-prod"
    models = data_science_bucket(server, ds, [ids["staging"], ids["prod"]])
    seed_bucket = f"mlops-templates-{ds}"
    add_project_policies(server, ds, seed_bucket)
    product = publish(server, ds, seed_bucket, scientist_arn)
    project_id = completed_project(sm, product, ids, seed_bucket)["ProjectId"]
    group = f"{PROJECT}-{project_id}"
    pipeline = f"sagemaker-{PROJECT}-{project_id}-modeldeploy"
    cp = server.client("codepipeline")
    [first] = wait_for(lambda: executions(cp, pipeline) or None, what="the first execution")
    stage(cp, pipeline, "Build", first["pipelineExecutionId"], "Failed")
    train, holdout = iris_split()
    s3 = server.client("s3")
    s3.put_object(Bucket=models, Key=f"{PROJECT}/model.tar.gz", Body=model_archive(train))
    package = register(sm, group, f"s3://{models}/{PROJECT}/model.tar.gz")
    assert len(executions(cp, pipeline)) == 1
    return Story(
        ids,
        sm,
        scientist_arn,
        models,
        project_id,
        group,
        pipeline,
        first["pipelineExecutionId"],
        package,
        train,
        holdout,
    )


def started_by_approval(server: LiveServer, story: Story) -> str:
    """The pipeline's run that approving the version started (by its EventBridge rule)."""
    cp = server.client("codepipeline")
    started = new_execution(
        cp, story.pipeline, {story.first_execution}, "the approval to start the pipeline"
    )
    assert started["trigger"]["triggerType"] == "CloudWatchEvent", started
    return str(started["pipelineExecutionId"])


def completed_project(
    sm: Any, product: str, ids: dict[str, str], seed_bucket: str, name: str = PROJECT
) -> dict[str, Any]:
    """CreateProject of the product with the article's parameters; the project once
    CreateCompleted."""
    create_project(sm, product, ids, seed_bucket, name)
    project = project_status(sm, name, ("CreateCompleted", "CreateFailed"), timeout=120)
    assert project["ProjectStatus"] == "CreateCompleted", project
    return dict(project)


def new_execution(cp: Any, pipeline: str, known: set[str], what: str) -> dict[str, Any]:
    """The pipeline's first execution whose id is not among `known`, once it starts."""
    found: dict[str, Any] = wait_for(
        lambda: next(
            (e for e in executions(cp, pipeline) if e["pipelineExecutionId"] not in known), None
        ),
        what=what,
    )
    return found
