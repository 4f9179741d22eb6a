"""examples/multi-account end to end on a live server: the organization and its target
roles, the template published as a Service Catalog product, CreateProject, a model
registered and approved in the project's group, and the CD pipeline deploying it to the
staging account, testing it there, waiting for the approver, and deploying it to
production."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from airlock.examples.iris import accuracy, in_service
from airlock.examples.multi_account import remove_deployments
from tests.support import LiveServer, wait_for

from .multi_account_support import (
    PROJECT,
    approval_token,
    executions,
    model_archive,
    new_execution,
    register,
    registered_model,
    stage,
    started_by_approval,
)


@pytest.fixture
def server(server_on_each_database: LiveServer) -> LiveServer:
    """The whole flow, on PostgreSQL: on SQLite, make demo (tests/cli/test_demo.py) and the
    README's walkthrough play it."""
    return server_on_each_database


def build_log(server: LiveServer, project: str) -> str:
    """Every line the project's builds logged."""
    logs = server.client("logs")
    group = f"/aws/codebuild/{project}"
    lines = []
    for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]:
        events = logs.get_log_events(
            logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True
        )["events"]
        lines += [e["message"] for e in events]
    return "\n".join(lines)


def stage_of(cp: Any, pipeline: str, name: str) -> dict[str, Any]:
    """GetPipelineState's entry of a stage."""
    states = cp.get_pipeline_state(name=pipeline)["stageStates"]
    return dict(next(s for s in states if s["stageName"] == name))


def serving(server: LiveServer, account: str, endpoint: str) -> str:
    """The model package the account's endpoint serves."""
    sm = server.client("sagemaker", account)
    config = sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    variants = sm.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"]
    model = sm.describe_model(ModelName=variants[0]["ModelName"])
    return str(model["PrimaryContainer"]["ModelPackageName"])


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_the_project_deploys_an_approved_model_to_staging_then_production(
    server: LiveServer,
) -> None:
    story = registered_model(server)
    ids, sm, group, pipeline = story.ids, story.scientist, story.group, story.pipeline
    project_id, package, models = story.project_id, story.package, story.models
    train, holdout = story.train, story.holdout
    cp = server.client("codepipeline")
    s3 = server.client("s3")
    repository = server.client("codecommit").get_file(
        repositoryName=pipeline, commitSpecifier="main", filePath="build.py"
    )
    assert b"newest_approved" in repository["fileContent"]
    # The first run's build created the group and shared it with the target accounts.
    shared = json.loads(
        sm.get_model_package_group_policy(ModelPackageGroupName=group)["ResourcePolicy"]
    )
    principals = shared["Statement"][0]["Principal"]["AWS"]
    assert sorted(principals) == sorted(
        f"arn:aws:iam::{a}:root" for a in (ids["staging"], ids["prod"])
    )

    # Approving the registered version starts the pipeline.
    sm.update_model_package(ModelPackageArn=package, ModelApprovalStatus="Approved")
    run = started_by_approval(server, story)
    stage(cp, pipeline, "Build", run, "Succeeded")
    stage(cp, pipeline, "DeployStaging", run, "Succeeded")
    staging = in_service(server.client("sagemaker", ids["staging"]), f"{PROJECT}-staging")
    assert [v["CurrentInstanceCount"] for v in staging["ProductionVariants"]] == [1]
    stage(cp, pipeline, "TestStaging", run, "Succeeded")
    test_log = build_log(server, f"sagemaker-{PROJECT}-{project_id}-testing")
    assert f"Account {ids['staging']}: accuracy" in test_log
    score = float(test_log.split(f"Account {ids['staging']}: accuracy ")[1].split()[0])
    assert score >= 0.8, test_log
    token = approval_token(cp, pipeline, run)
    # Nothing is in production before the approval.
    prod_sm = server.client("sagemaker", ids["prod"])
    assert prod_sm.list_endpoints()["Endpoints"] == []

    cp.put_approval_result(
        pipelineName=pipeline,
        stageName="ApproveDeployment",
        actionName="ApproveDeployment",
        result={"summary": "Staging accuracy is good", "status": "Approved"},
        token=token,
    )
    stage(cp, pipeline, "DeployProd", run, "Succeeded")
    prod = in_service(server.client("sagemaker", ids["prod"]), f"{PROJECT}-prod")
    assert [v["CurrentInstanceCount"] for v in prod["ProductionVariants"]] == [2]
    prod_runtime = server.client("sagemaker-runtime", ids["prod"])
    assert accuracy(prod_runtime, f"{PROJECT}-prod", holdout) >= 0.8
    done = cp.get_pipeline_execution(pipelineName=pipeline, pipelineExecutionId=run)
    assert done["pipelineExecution"]["status"] == "Succeeded"

    # A push to main starts the pipeline too, with the pushed commit as its source; the
    # approver rejects this run, which ends it before production.
    codecommit = server.client("codecommit")
    known = {e["pipelineExecutionId"] for e in executions(cp, pipeline)}
    head = codecommit.get_branch(repositoryName=pipeline, branchName="main")["branch"]["commitId"]
    pushed = codecommit.put_file(
        repositoryName=pipeline,
        branchName="main",
        parentCommitId=head,
        filePath="NOTES.md",
        fileContent=b"Deployment notes\n",
        commitMessage="Add notes",
    )["commitId"]
    pushed_run = new_execution(cp, pipeline, known, "the push to start the pipeline")
    assert pushed_run["trigger"]["triggerType"] == "CloudWatchEvent"
    stage(cp, pipeline, "Source", pushed_run["pipelineExecutionId"], "Succeeded")
    revisions = cp.get_pipeline_execution(
        pipelineName=pipeline, pipelineExecutionId=pushed_run["pipelineExecutionId"]
    )["pipelineExecution"]["artifactRevisions"]
    assert [r["revisionId"] for r in revisions] == [pushed]
    rejected = approval_token(cp, pipeline, pushed_run["pipelineExecutionId"])
    cp.put_approval_result(
        pipelineName=pipeline,
        stageName="ApproveDeployment",
        actionName="ApproveDeployment",
        result={"summary": "Nothing new to release", "status": "Rejected"},
        token=rejected,
    )
    stage(cp, pipeline, "ApproveDeployment", pushed_run["pipelineExecutionId"], "Failed")

    # A bad model (trained on shuffled labels) is approved: the staging test fails it, so it
    # never reaches the approver, and production keeps serving the good model.
    shuffled = train.copy()
    np.random.default_rng(1).shuffle(shuffled[:, 0])
    s3.put_object(Bucket=models, Key=f"{PROJECT}/bad.tar.gz", Body=model_archive(shuffled))
    bad = register(sm, group, f"s3://{models}/{PROJECT}/bad.tar.gz")
    known = {e["pipelineExecutionId"] for e in executions(cp, pipeline)}
    sm.update_model_package(ModelPackageArn=bad, ModelApprovalStatus="Approved")
    bad_run = new_execution(cp, pipeline, known, "the bad model's approval to start the pipeline")[
        "pipelineExecutionId"
    ]
    stage(cp, pipeline, "TestStaging", bad_run, "Failed")
    assert "Below the threshold 0.8" in build_log(
        server, f"sagemaker-{PROJECT}-{project_id}-testing"
    )
    approvals = stage_of(cp, pipeline, "ApproveDeployment")["latestExecution"]
    assert approvals["pipelineExecutionId"] == pushed_run["pipelineExecutionId"]
    assert serving(server, ids["prod"], f"{PROJECT}-prod") == package
    assert serving(server, ids["staging"], f"{PROJECT}-staging") == bad
    # Four runs: the pipeline's creation, the two approvals and the push; registering the
    # two packages (PendingManualApproval) started none.
    assert len(executions(cp, pipeline)) == 4

    # Clean up as the article does: the stack sets' instances and the sets, then the project.
    remove_deployments(server, server.first_account_id(), PROJECT, project_id, ids)
    for account in (ids["staging"], ids["prod"]):
        assert server.client("sagemaker", account).list_endpoints()["Endpoints"] == []
    sm.delete_project(ProjectName=PROJECT)

    def gone() -> bool:
        listed = sm.list_projects()["ProjectSummaryList"]
        assert [p["ProjectStatus"] for p in listed] in ([], ["DeleteInProgress"]), listed
        return not listed

    wait_for(gone, timeout=120, what="the project to be deleted")
    assert cp.list_pipelines()["pipelines"] == []
    assert server.client("events").list_rules(NamePrefix=f"sagemaker-{PROJECT}")["Rules"] == []
    # The artifacts bucket is kept (DeletionPolicy Retain).
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert f"sagemaker-project-{project_id}" in buckets
