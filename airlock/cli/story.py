"""The demo's story: each step of the article as calls of the AWS APIs, made by the
principal who makes them there, through botocore clients of the in-process server."""

from __future__ import annotations

import configparser
import shlex
from typing import Any

from rich.console import Console

from airlock.examples import iris
from airlock.examples.clients import ServerClients
from airlock.examples.multi_account import (
    PROJECT,
    USE,
    add_project_policies,
    create_project,
    data_science_bucket,
    organization,
    policy,
    project_status,
    publish,
    remove_deployments,
    target_role,
    user,
)
from airlock.gateway import Airlock
from airlock.identity.profiles import aws_dir, write_private
from airlock.platform.polling import wait_until
from airlock.settings import Settings

SCIENTIST = "data-scientist"
APPROVER = "approver"
APPROVE = "ApproveDeployment"
# The approver may look at pipelines and give approvals, nothing else.
APPROVER_POLICY = policy(
    {
        "Effect": "Allow",
        "Action": [
            "codepipeline:GetPipeline",
            "codepipeline:GetPipelineState",
            "codepipeline:GetPipelineExecution",
            "codepipeline:ListPipelines",
            "codepipeline:ListPipelineExecutions",
            "codepipeline:PutApprovalResult",
        ],
        "Resource": "*",
    }
)


class Story:
    """The article's steps on one server; each returns the line the demo shows for it."""

    def __init__(self, settings: Settings, airlock: Airlock) -> None:
        self.settings = settings
        self.endpoint = ServerClients(airlock)
        self.ds = self.endpoint.first_account()
        self.project = PROJECT
        self.ids: dict[str, str] = {}
        self.keys: dict[str, tuple[str, str]] = {}
        self.project_id = ""
        self.pipeline_name = ""
        self.run_id = ""
        self.token = ""
        self.decided_by = ""
        self.admin = "root (ML engineer)"
        self.scientist_name = f"user/{SCIENTIST}"
        self.approver_name = f"user/{APPROVER}"
        self.pipeline_role_name = f"role/{USE}"

    @property
    def ds_label(self) -> str:
        """The data science account as the table names it."""
        return f"data science {self.ds}"

    def label(self, name: str) -> str:
        """A target account as the table names it."""
        return f"{'production' if name == 'prod' else name} {self.ids.get(name, '')}".strip()

    def as_user(self, name: str, service: str) -> Any:
        """A client signed with the IAM user's keys."""
        return self.endpoint.client(service, keys=self.keys[name])

    @property
    def group(self) -> str:
        """The project's model package group."""
        return f"{self.project}-{self.project_id}"

    @property
    def cp(self) -> Any:
        """CodePipeline as the data science account's root, to watch the CD pipeline."""
        return self.endpoint.client("codepipeline")

    # 1-5: the ML engineer's set-up --------------------------------------------------

    def organization(self) -> str:
        """Step 1."""
        self.ids = organization(self.endpoint, self.ds)
        return (
            f"staging {self.ids['staging']} in {self.ids['staging-ou']}, "
            f"production {self.ids['prod']} in {self.ids['prod-ou']}"
        )

    def role(self, name: str) -> str:
        """Step 2, in the target account, as its root."""
        use_role = f"arn:aws:iam::{self.ds}:role/service-role/{USE}"
        return target_role(self.endpoint, self.ids[name], name, use_role)

    def bucket(self) -> str:
        """Step 3, and the people of the story: the data scientist, the approver, and the
        role the data scientist's pipeline runs as."""
        bucket = data_science_bucket(
            self.endpoint, self.ds, [self.ids["staging"], self.ids["prod"]]
        )
        self.bucket_name = bucket
        _, self.keys[SCIENTIST] = user(
            self.endpoint, self.ds, SCIENTIST, "AmazonSageMakerFullAccess"
        )
        _, self.keys[APPROVER] = user(self.endpoint, self.ds, APPROVER, inline=APPROVER_POLICY)
        self.training_role = iris.pipeline_role(self.endpoint.client("iam"))
        return f"{bucket}, readable by both targets; users {SCIENTIST}, {APPROVER}"

    def enable_projects(self) -> str:
        """Step 4."""
        self.endpoint.client("sagemaker").enable_sagemaker_servicecatalog_portfolio()
        self.seed_bucket = f"mlops-templates-{self.ds}"
        add_project_policies(self.endpoint, self.ds, self.seed_bucket)
        return "launch and use roles, with the article's added policies"

    def publish(self) -> str:
        """Step 5."""
        scientist = f"arn:aws:iam::{self.ds}:user/{SCIENTIST}"
        self.product = publish(self.endpoint, self.ds, self.seed_bucket, scientist)
        return f"product {self.product} v1.0 in 'SageMaker Organization Templates'"

    # 6-8: the data scientist, then the CD pipeline -------------------------------------

    def create_project(self) -> str:
        """Step 6: CreateCompleted, and the pipeline's first run (at its creation) has
        made and shared the group, then stopped at Build for want of an approved model."""
        sm = self.as_user(SCIENTIST, "sagemaker")
        create_project(sm, self.product, self.ids, self.seed_bucket, self.project)
        found = project_status(sm, self.project, ("CreateCompleted", "CreateFailed"))
        if found["ProjectStatus"] != "CreateCompleted":
            raise RuntimeError(f"the project {found['ProjectStatus']}: {found}")
        self.project_id = found["ProjectId"]
        self.pipeline_name = f"sagemaker-{self.project}-{self.project_id}-modeldeploy"
        cp = self.cp
        first = wait_until(
            lambda: iris.executions(cp, self.pipeline_name),
            timeout=60,
            what="the pipeline's first run",
        )
        self.first_run = first[-1]["pipelineExecutionId"]
        iris.stage(cp, self.pipeline_name, "Build", self.first_run, "Failed")
        return f"{self.project_id}; group {self.group} shared; first CD run stops at Build"

    def train(self) -> str:
        """Step 7: the two-step pipeline in the SageMaker Python SDK, started with
        `pipeline.start(parameters={"TrainingInstanceCount": "1"})`."""
        iris.train_and_register(
            self.endpoint.session(keys=self.keys[SCIENTIST]),
            self.bucket_name,
            self.group,
            self.training_role,
        )
        self.package = iris.newest_version(self.as_user(SCIENTIST, "sagemaker"), self.group)
        return (
            f"TrainIris → RegisterIris (SageMaker Python SDK); "
            f"{self.package.split('/', 1)[1]} PendingManualApproval"
        )

    def approve(self) -> str:
        """Step 8: approving the newest version sends the event that starts the pipeline."""
        sm = self.as_user(SCIENTIST, "sagemaker")
        sm.update_model_package(
            ModelPackageArn=self.package,
            ModelApprovalStatus="Approved",
            ApprovalDescription="Validation accuracy good; ship it to staging.",
        )
        cp = self.cp
        started = wait_until(
            lambda: next(
                (
                    e
                    for e in iris.executions(cp, self.pipeline_name)
                    if e["pipelineExecutionId"] != self.first_run
                ),
                None,
            ),
            timeout=60,
            interval=0.02,
            what="the approval to start the CD pipeline",
        )
        self.run_id = started["pipelineExecutionId"]
        return f"EventBridge started run {self.run_id[:8]} ({started['trigger']['triggerType']})"

    def build(self) -> str:
        """Build: renders the endpoint template's parameters for the newest approved version."""
        iris.stage(self.cp, self.pipeline_name, "Build", self.run_id, "Succeeded")
        return "staging-parameters.json (1 instance), prod-parameters.json (2)"

    def deploy_staging(self) -> str:
        """DeployStaging: the stack set's instance in the staging OU."""
        iris.stage(self.cp, self.pipeline_name, "DeployStaging", self.run_id, "Succeeded")
        sm = self.endpoint.client("sagemaker", self.ids["staging"])
        found = iris.in_service(sm, f"{self.project}-staging")
        count = found["ProductionVariants"][0]["CurrentInstanceCount"]
        return f"{self.project}-staging InService, {count} instance"

    def test_staging(self) -> str:
        """TestStaging: the test build invokes the staging endpoint with held-out rows."""
        iris.stage(self.cp, self.pipeline_name, "TestStaging", self.run_id, "Succeeded")
        self.token = iris.approval_token(self.cp, self.pipeline_name, self.run_id)
        marker = f"Account {self.ids['staging']}: accuracy "
        for line in self.build_log(f"sagemaker-{self.project}-{self.project_id}-testing"):
            if marker in line:
                return line.strip()
        return "succeeded"

    def build_log(self, project: str) -> list[str]:
        """Every line the build project's builds logged."""
        logs = self.endpoint.client("logs")
        group = f"/aws/codebuild/{project}"
        lines: list[str] = []
        for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]:
            events = logs.get_log_events(
                logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True
            )["events"]
            lines += [e["message"] for e in events]
        return lines

    def approve_deployment(self) -> str:
        """ApproveDeployment, as the approver, with a reason."""
        self.as_user(APPROVER, "codepipeline").put_approval_result(
            pipelineName=self.pipeline_name,
            stageName=APPROVE,
            actionName=APPROVE,
            result={"summary": "Staging accuracy is good", "status": "Approved"},
            token=self.token,
        )
        return self.approval()

    def approval(self, status: str = "Succeeded") -> str:
        """Who decided the approval, and why, as GetPipelineState records it."""
        state = iris.stage(self.cp, self.pipeline_name, APPROVE, self.run_id, status)
        latest = state["actionStates"][0]["latestExecution"]
        self.decided_by = str(latest.get("lastUpdatedBy", ""))
        verdict = "Approved" if status == "Succeeded" else "Rejected"
        return f"{verdict} by {self.decider()}: {latest.get('summary')}"

    def decider(self) -> str:
        """Who gave the approval, as the table names principals (`user/approver`)."""
        return self.decided_by.split(":", 5)[-1]

    def print_approval_commands(self, console: Console) -> None:
        """--stop-at-approval: the approver's credentials and the two ways to approve."""
        access, secret = self.keys[APPROVER]
        self.add_approver_profile()
        state = shlex.quote(str(self.settings.state_dir))
        summary = "Staging accuracy is good"
        console.print(
            "\n[bold]The deployment waits for your approval.[/] As the approver:\n\n"
            f"  export AWS_ENDPOINT_URL={self.endpoint.url}\n"
            f"  export AWS_DEFAULT_REGION={self.endpoint.region}\n"
            f"  export AWS_ACCESS_KEY_ID={access}\n"
            f"  export AWS_SECRET_ACCESS_KEY={secret}\n"
            f"  aws codepipeline put-approval-result --pipeline-name {self.pipeline_name} "
            f"--stage-name {APPROVE} --action-name {APPROVE} "
            f"--result summary={shlex.quote(summary)},status=Approved --token {self.token}\n\n"
            "or, with the approver's profile in the state dir:\n\n"
            f"  airlock pipelines approve {self.pipeline_name} --summary {shlex.quote(summary)} "
            f"--profile {APPROVER} --state-dir {state}\n\n"
            "The demo goes on once the approval is given (status=Rejected ends it).\n",
            soft_wrap=True,
            highlight=False,
        )

    def add_approver_profile(self) -> None:
        """The approver's keys as the state dir's profile `approver` (kept beside the
        accounts' profiles, which the server rewrites)."""
        folder = aws_dir(self.settings)
        access, secret = self.keys[APPROVER]
        for name, section, values in (
            (
                "config",
                f"profile {APPROVER}",
                {"region": self.endpoint.region, "endpoint_url": self.endpoint.url},
            ),
            (
                "credentials",
                APPROVER,
                {"aws_access_key_id": access, "aws_secret_access_key": secret},
            ),
        ):
            parser = configparser.ConfigParser(interpolation=None)
            parser.read(folder / name)
            parser[section] = values
            lines = []
            for header in parser.sections():
                lines.append(f"[{header}]")
                lines += [f"{key} = {value}" for key, value in parser[header].items()]
                lines.append("")
            write_private(folder / name, "\n".join(lines))

    def approved_by_user(self) -> str:
        """--stop-at-approval: wait (without a deadline: a person decides) for the result."""

        def decided() -> str | None:
            states = self.cp.get_pipeline_state(name=self.pipeline_name)["stageStates"]
            state = next(s for s in states if s["stageName"] == APPROVE)
            latest = state.get("latestExecution") or {}
            if latest.get("pipelineExecutionId") != self.run_id:
                return None
            return str(latest["status"]) if latest["status"] != "InProgress" else None

        verdict = wait_until(decided, timeout=float("inf"), interval=0.5, what="your approval")
        if verdict != "Succeeded":
            raise RuntimeError(f"{self.approval(verdict)}; the run stops before production")
        return self.approval()

    def deploy_prod(self) -> str:
        """DeployProd: the same template into the production OU, with 2 instances."""
        iris.stage(self.cp, self.pipeline_name, "DeployProd", self.run_id, "Succeeded")
        sm = self.endpoint.client("sagemaker", self.ids["prod"])
        found = iris.in_service(sm, f"{self.project}-prod")
        count = found["ProductionVariants"][0]["CurrentInstanceCount"]
        return f"{self.project}-prod InService, {count} instances"

    # 9-10 -----------------------------------------------------------------------------

    def invoke_prod(self) -> str:
        """Step 9: the production account invokes its endpoint with its own credentials."""
        runtime = self.endpoint.client("sagemaker-runtime", self.ids["prod"])
        _, holdout = iris.iris_split()
        predicted = iris.predictions(runtime, f"{self.project}-prod", holdout)
        first = ", ".join(iris.CLASSES[p] for p in predicted[:3])
        rows = len(holdout)
        return f"accuracy {iris.score(predicted, holdout):.3f} on {rows} held-out rows; {first}, …"

    def clean_up(self) -> str:
        """Step 10: the stack sets' instances and the sets, then delete-project."""
        remove_deployments(self.endpoint, self.ds, self.project, self.project_id, self.ids)
        sm = self.as_user(SCIENTIST, "sagemaker")
        sm.delete_project(ProjectName=self.project)
        wait_until(
            lambda: not sm.list_projects()["ProjectSummaryList"],
            timeout=120,
            what="the project to be deleted",
        )
        return "stack instances and stack sets deleted, then the project"
