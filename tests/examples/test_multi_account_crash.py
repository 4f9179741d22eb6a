"""The multi-account example survives SIGKILL between the approval and production: the
server is killed at several moments it is seen in (a build running, a stack set deploying, the
approval given, the production stack creating) and started again on the same store. After
every restart the deployment goes on; at the end the approved model is deployed exactly once
to each account, each stack set has one instance per account and no orphan, and the
pipeline's history tells what happened."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sagemaker.projects_support import scientist
from tests.support import restartable_server, wait_for

from .crash_support import ProcessServer, gated_seed_zip, open_gate, stack_set_operations
from .multi_account_support import (
    USE,
    add_project_policies,
    approval_token,
    completed_project,
    data_science_bucket,
    executions,
    iris_split,
    model_archive,
    new_execution,
    organization,
    publish,
    register,
    stage,
    target_role,
)

PROJECT = "iris-crash-01"
# Where the server can be killed, in the order the run reaches them.
POINTS = (
    "model-approved",  # UpdateModelPackage approved it: its event may not be delivered yet
    "build",  # the Build stage's build runs
    "staging-set",  # the staging stack set's operation runs
    "staging-endpoint",  # the staging stack instance's endpoint is being created
    "test",  # the TestStaging build runs
    "approved",  # the approval is given and DeployProd has started
    "prod-set",  # the production stack set's operation runs
    "prod-endpoint",  # the production stack instance's endpoint is being created
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProcessServer]:
    """The server as a process of its own, on SQLite or on a fresh PostgreSQL schema."""
    with restartable_server(request.param, tmp_path) as harness:
        process = ProcessServer(harness)
        process.start()
        try:
            yield process
        finally:
            process.stop()


class Run:
    """The CD pipeline's run of the approved model, as the test watches it."""

    def __init__(self, server: ProcessServer, pipeline: str, execution: str, gates: Path) -> None:
        self.server = server
        self.pipeline = pipeline
        self.execution = execution
        self.gates = gates
        self.note = ""

    @property
    def cp(self) -> Any:
        """A CodePipeline client of the current process."""
        return self.server.client("codepipeline")

    def actions(self, action: str) -> list[dict[str, Any]]:
        """The run's executions of an action, newest first."""
        details = self.cp.list_action_executions(
            pipelineName=self.pipeline, filter={"pipelineExecutionId": self.execution}
        )["actionExecutionDetails"]
        return [d for d in details if d["actionName"] == action]

    def status(self) -> dict[str, Any]:
        """GetPipelineExecution's view of the run."""
        found: dict[str, Any] = self.cp.get_pipeline_execution(
            pipelineName=self.pipeline, pipelineExecutionId=self.execution
        )["pipelineExecution"]
        return found

    def waiting_build(self, action: str) -> str:
        """The id of the action's newest build once it waits at its gate (in BUILD)."""
        codebuild = self.server.client("codebuild")

        def building() -> str | None:
            found = self.actions(action)
            if not found or found[0]["status"] != "InProgress":
                return None
            build_id = found[0]["output"]["executionResult"].get("externalExecutionId")
            if not build_id:
                return None
            (build,) = codebuild.batch_get_builds(ids=[build_id])["builds"]
            return str(build_id) if build["currentPhase"] == "BUILD" else None

        return wait_for(building, timeout=120, what=f"{action}'s build at its gate{self.note}")

    def retry_if_failed(self, stage_name: str, action: str) -> bool:
        """Retry the stage when the kill failed its action (a build never runs twice);
        True when it was retried."""

        def settled() -> str | None:
            found = self.actions(action)
            status = found[0]["status"] if found else None
            return status if status in ("Failed", "Succeeded") else None

        if wait_for(settled, timeout=120, what=f"{action} to end{self.note}") == "Succeeded":
            return False
        wait_for(
            lambda: self.status()["status"] == "Failed",
            timeout=60,
            what=f"the run to fail{self.note}",
        )
        self.cp.retry_stage_execution(
            pipelineName=self.pipeline,
            stageName=stage_name,
            pipelineExecutionId=self.execution,
            retryMode="FAILED_ACTIONS",
        )
        return True


def test_kill_between_the_approval_and_production(server: ProcessServer, tmp_path: Path) -> None:
    # CRASH_TEST_SEED replays a run (the seed is in every assertion's message).
    seed = int(os.environ.get("CRASH_TEST_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    count = int(os.environ.get("CRASH_TEST_KILLS") or 3)
    chosen = [POINTS[i] for i in sorted(rng.sample(range(len(POINTS)), count))]
    note = f" (seed {seed}, kills at {', '.join(chosen)})"
    print(f"crash test{note}")
    gates = tmp_path / "gates"
    gates.mkdir()

    # The story as in test_multi_account, up to the approval of a model.
    ds = server.first_account_id()
    ids = organization(server, ds)
    sm, scientist_arn = scientist(server)
    sm.enable_sagemaker_servicecatalog_portfolio()
    use_role = f"arn:aws:iam::{ds}:role/service-role/{USE}"
    target_role(server, ids["staging"], "staging", use_role)
    target_role(server, ids["prod"], "prod", use_role)
    models = data_science_bucket(server, ds, [ids["staging"], ids["prod"]])
    seed_bucket = f"mlops-templates-{ds}"
    add_project_policies(server, ds, seed_bucket)
    product = publish(server, ds, seed_bucket, scientist_arn)
    server.client("s3").put_object(
        Bucket=seed_bucket, Key="multi-account/seedcode.zip", Body=gated_seed_zip(gates)
    )
    project = completed_project(sm, product, ids, seed_bucket, PROJECT)
    project_id = project["ProjectId"]
    group = f"{PROJECT}-{project_id}"
    pipeline = f"sagemaker-{PROJECT}-{project_id}-modeldeploy"
    cp = server.client("codepipeline")
    # The pipeline's first run (at its creation) stops at Build: no model is approved yet.
    [first] = wait_for(lambda: executions(cp, pipeline) or None, what="the first execution")
    first_run = Run(server, pipeline, first["pipelineExecutionId"], gates)
    open_gate(gates, first_run.waiting_build("BuildDeploymentTemplates"))
    stage(cp, pipeline, "Build", first["pipelineExecutionId"], "Failed")

    train, _ = iris_split()
    server.client("s3").put_object(
        Bucket=models, Key=f"{PROJECT}/model.tar.gz", Body=model_archive(train)
    )
    package = register(sm, group, f"s3://{models}/{PROJECT}/model.tar.gz")
    sm.update_model_package(ModelPackageArn=package, ModelApprovalStatus="Approved")
    if "model-approved" in chosen:
        server.restart()
        cp = server.client("codepipeline")
    started = new_execution(
        cp, pipeline, {first["pipelineExecutionId"]}, "the approval to start the pipeline"
    )
    run = Run(server, pipeline, started["pipelineExecutionId"], gates)
    run.note = note
    retried: list[str] = []
    sets = {
        "staging": f"sagemaker-{PROJECT}-{project_id}-deploy-staging",
        "prod": f"sagemaker-{PROJECT}-{project_id}-deploy-prod",
    }

    def kill_at(point: str, seen: Callable[[], object]) -> None:
        """Kill the server once `seen` holds, if the seed chose this point."""
        if point in chosen:
            wait_for(seen, timeout=120, interval=0.05, what=f"the moment {point}{note}")
            server.restart()

    def build_stage(stage_name: str, action: str, point: str) -> None:
        build_id = run.waiting_build(action)
        if point in chosen:
            server.restart()
            assert run.retry_if_failed(stage_name, action), f"{action} survived its kill{note}"
            retried.append(action)
            build_id = run.waiting_build(action)
        open_gate(gates, build_id)

    def creating(account: str, endpoint: str) -> bool:
        target = server.client("sagemaker", account)
        found = target.list_endpoints(NameContains=endpoint)["Endpoints"]
        return any(e["EndpointStatus"] == "Creating" for e in found)

    def deploying(name: str) -> bool:
        operations = stack_set_operations(server.client("cloudformation"), name)
        return any(o["Status"] == "RUNNING" for o in operations)

    build_stage("Build", "BuildDeploymentTemplates", "build")
    kill_at("staging-set", lambda: deploying(sets["staging"]))
    kill_at("staging-endpoint", lambda: creating(ids["staging"], f"{PROJECT}-staging"))
    build_stage("TestStaging", "TestStagingEndpoint", "test")
    token = approval_token(run.cp, pipeline, run.execution)
    run.cp.put_approval_result(
        pipelineName=pipeline,
        stageName="ApproveDeployment",
        actionName="ApproveDeployment",
        result={"summary": "Staging accuracy is good", "status": "Approved"},
        token=token,
    )
    kill_at(
        "approved",
        lambda: (
            next(
                s
                for s in run.cp.get_pipeline_state(name=pipeline)["stageStates"]
                if s["stageName"] == "DeployProd"
            )
            .get("latestExecution", {})
            .get("pipelineExecutionId")
            == run.execution
        ),
    )
    kill_at("prod-set", lambda: deploying(sets["prod"]))
    kill_at("prod-endpoint", lambda: creating(ids["prod"], f"{PROJECT}-prod"))
    wait_for(
        lambda: run.status()["status"] != "InProgress",
        timeout=240,
        what=f"the run to end{note}",
    )
    assert run.status()["status"] == "Succeeded", f"{run.status()}{note}"

    def succeeded(account: str, operation: str) -> list[dict[str, Any]]:
        """The account's trail of the calls of `operation` that succeeded."""
        trail = server.client("cloudtrail", account)
        events = trail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": operation}]
        )["Events"]
        records = [json.loads(e["CloudTrailEvent"]) for e in events]
        return [r for r in records if "errorCode" not in r]

    # Exactly one endpoint per target account, InService, serving the approved model.
    for account, suffix in ((ids["staging"], "staging"), (ids["prod"], "prod")):
        target = server.client("sagemaker", account)
        endpoints = target.list_endpoints()["Endpoints"]
        assert [(e["EndpointName"], e["EndpointStatus"]) for e in endpoints] == [
            (f"{PROJECT}-{suffix}", "InService")
        ], f"{endpoints}{note}"
        config = target.describe_endpoint(EndpointName=f"{PROJECT}-{suffix}")["EndpointConfigName"]
        variants = target.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"]
        model = target.describe_model(ModelName=variants[0]["ModelName"])
        assert model["PrimaryContainer"]["ModelPackageName"] == package, note
        assert len(target.list_models()["Models"]) == 1, f"{target.list_models()}{note}"
        for operation in ("CreateModel", "CreateEndpointConfig", "CreateEndpoint"):
            made = succeeded(account, operation)
            assert len(made) == 1, f"{operation} in {account}: {made}{note}"
        answer = server.client("sagemaker-runtime", account).invoke_endpoint(
            EndpointName=f"{PROJECT}-{suffix}", ContentType="text/csv", Body="5.1,3.5,1.4,0.2"
        )
        assert float(answer["Body"].read()) in (0.0, 1.0, 2.0), note
    # One stack instance per account and region, each with its stack; no other stack.
    cfn = server.client("cloudformation")
    operation_ids: dict[str, str] = {}
    for suffix, account in (("staging", ids["staging"]), ("prod", ids["prod"])):
        name = sets[suffix]
        found = cfn.list_stack_instances(StackSetName=name)["Summaries"]
        assert [(i["Account"], i["Region"], i["Status"]) for i in found] == [
            (account, server.settings.region, "CURRENT")
        ], f"{found}{note}"
        target = server.client("cloudformation", account)
        live = [
            s for s in target.describe_stacks()["Stacks"] if s["StackName"].startswith("StackSet-")
        ]
        assert [s["StackId"] for s in live] == [found[0]["StackId"]], f"{live}{note}"
        assert live[0]["StackStatus"] == "CREATE_COMPLETE", f"{live}{note}"
        created = [
            o
            for o in cfn.list_stack_set_operations(StackSetName=name)["Summaries"]
            if o["Action"] == "CREATE"
        ]
        assert [o["Status"] for o in created] == ["SUCCEEDED"], f"{created}{note}"
        operation_ids[name] = created[0]["OperationId"]

    # One stack set operation per set, however often the action was resumed: a resumed
    # action asks again with the same OperationId, which CloudFormation answers with the
    # operation it already has.
    operations = {
        (r["requestParameters"]["stackSetName"], r["responseElements"]["operationId"])
        for r in succeeded(ds, "CreateStackInstances")
    }
    assert sorted(operations) == sorted((name, operation_ids[name]) for name in sets.values()), (
        f"{operations}{note}"
    )

    # The approval started one run, whatever the kill interrupted of its delivery.
    runs = [e["pipelineExecutionId"] for e in executions(run.cp, pipeline)]
    assert runs == [run.execution, first["pipelineExecutionId"]], f"{runs}{note}"

    # The history: each action ran once, but a build the kill stopped, which failed with a
    # message that says so and was retried by a new build that succeeded.
    history = run.cp.list_action_executions(
        pipelineName=pipeline, filter={"pipelineExecutionId": run.execution}
    )["actionExecutionDetails"]
    for action in (
        "ModelDeployInfraCode",
        "BuildDeploymentTemplates",
        "DeployResourcesStaging",
        "TestStagingEndpoint",
        "ApproveDeployment",
        "DeployResourcesProd",
    ):
        statuses = [d["status"] for d in history if d["actionName"] == action]
        wanted = ["Succeeded", "Failed"] if action in retried else ["Succeeded"]
        assert statuses == wanted, f"{action}: {statuses}{note}"
    # Each deploy action followed its one stack set operation across the restarts.
    for action, name in (
        ("DeployResourcesStaging", sets["staging"]),
        ("DeployResourcesProd", sets["prod"]),
    ):
        deploy = next(d for d in history if d["actionName"] == action)
        external = deploy["output"]["executionResult"].get("externalExecutionId")
        assert external == operation_ids[name], f"{deploy}{note}"
    for action in retried:
        failed = next(d for d in history if d["actionName"] == action and d["status"] == "Failed")
        summary = failed["output"]["executionResult"]["externalExecutionSummary"]
        assert "The Airlock server stopped while this build ran" in summary, f"{failed}{note}"
    assert server.restarts == len(chosen), note
