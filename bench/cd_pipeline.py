"""Measure the CD pipeline: `git push` → waiting at Approval, PutApprovalResult → Succeeded.

Run: .venv/bin/python -m bench.cd_pipeline [--runs 5]
Starts `airlock server` as its own process and makes the issue's pipeline twice, each
with its own repository: Source (CodeCommit, main, polling off: an EventBridge rule on
the repository's `CodeCommit Repository State Change` events starts the pipeline as a
role) → Build (CodeBuild, one command) → Approval → Deploy, where Deploy is
- `stack`: the CloudFormation action, CREATE_UPDATE of a stack of one bucket;
- `stack set`: the CloudFormationStackSet action, a SERVICE_MANAGED stack set of one
  bucket deployed into one OU (an organization of this account whose one OU holds one
  member account; trusted access for StackSets turned on). The first run creates the
  set and its instance; later runs update it.
The bucket's template is in the repository. Then `--runs` times per pipeline: commits a
new version of the template and pushes it with the real `git` client (HTTPS Git
credentials of an IAM user, from CreateServiceSpecificCredential), and times from
starting `git push` until GetPipelineState shows the approval of the execution of that
commit waiting with its token; then calls PutApprovalResult and times until that
execution is Succeeded. Polled every 20 ms. Prints the median and range of each.

The issue's targets: ≤ 2 s from the push to the approval, ≤ 1 s from it to Succeeded.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airlock.organizations import STACKSETS_MEMBER
from bench.builds import GitUser
from bench.common import figures, own_server, runs
from tests.support import process_client, service_trust

POLL = 0.02
REGION = "us-east-1"
EVERYTHING = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
BUILDSPEC = (
    "version: 0.2\nphases:\n  build:\n    commands:\n      - test -f template.json\n"
    "artifacts:\n  files:\n    - template.json\n"
)


def _template(step: int) -> str:
    bucket = {
        "Type": "AWS::S3::Bucket",
        "Properties": {"Tags": [{"Key": "step", "Value": str(step)}]},
    }
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Data": bucket}})


def _until(check: Callable[[], bool], what: str, timeout: float = 60) -> float:
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout:
            raise TimeoutError(what)
        time.sleep(POLL)
    return time.perf_counter() - start


def _action(category: str, provider: str) -> dict[str, str]:
    return {"category": category, "owner": "AWS", "provider": provider, "version": "1"}


@dataclass
class Pipeline:
    """One pipeline of the benchmark, its repository and a clone to push from."""

    name: str
    cp: Any
    git: GitUser
    work: Path
    pushing: list[float] = field(default_factory=list)

    def push(self, step: int) -> tuple[str, float]:
        """Commit template version `step` and start `git push`: (commit id, when it started)."""
        (self.work / "template.json").write_text(_template(step))
        self.git.run(self.work, "commit", "-q", "-am", f"step {step}")
        commit = self.git.output(self.work, "rev-parse", "HEAD")
        started = time.perf_counter()
        self.pushing.append(self.git.run(self.work, "push", "-q", "origin", "HEAD:main"))
        return commit, started

    def execution_of(self, commit: str) -> str | None:
        """The id of the execution that has `commit` as its source revision, if any yet."""
        summaries = self.cp.list_pipeline_executions(pipelineName=self.name)
        for summary in summaries["pipelineExecutionSummaries"]:
            revisions = summary.get("sourceRevisions") or [{}]
            if revisions[0].get("revisionId") == commit:
                return str(summary["pipelineExecutionId"])
        return None

    def status(self, execution: str) -> str:
        """The execution's status."""
        got = self.cp.get_pipeline_execution(pipelineName=self.name, pipelineExecutionId=execution)
        return str(got["pipelineExecution"]["status"])

    def one_run(self, step: int) -> tuple[float, float]:
        """A push: (seconds to its approval waiting, seconds from approving to Succeeded)."""
        commit, started = self.push(step)
        found: dict[str, str] = {}

        def waiting() -> bool:
            if "id" not in found:
                execution = self.execution_of(commit)
                if execution is None:
                    return False
                found["id"] = execution
            stage = self.cp.get_pipeline_state(name=self.name)["stageStates"][2]
            latest = stage.get("latestExecution") or {}
            action = stage["actionStates"][0].get("latestExecution") or {}
            if latest.get("pipelineExecutionId") == found["id"] and action.get("token"):
                found["token"] = action["token"]
                return True
            if self.status(found["id"]) != "InProgress":
                raise RuntimeError(f"{self.name}: execution {found['id']} ended before Approval")
            return False

        _until(waiting, f"{self.name}: the approval to wait")
        waited = time.perf_counter() - started
        started = time.perf_counter()
        self.cp.put_approval_result(
            pipelineName=self.name,
            stageName="Approval",
            actionName="Approve",
            result={"summary": "bench", "status": "Approved"},
            token=found["token"],
        )

        def succeeded() -> bool:
            status = self.status(found["id"])
            if status not in ("InProgress", "Succeeded"):
                raise RuntimeError(f"{self.name}: execution {found['id']} ended {status}")
            return status == "Succeeded"

        _until(succeeded, f"{self.name}: the execution to succeed")
        return waited, time.perf_counter() - started


@dataclass
class Setup:
    """The server's clients, the roles, the artifact bucket, the build project, the pusher."""

    state: Path
    port: int
    scratch: Path
    roles: dict[str, str]
    git: GitUser | None = None

    def client(self, service: str) -> Any:
        """A client of the default profile (the management account)."""
        return process_client(self.state, self.port, service)

    def prepare(self) -> None:
        """Everything both pipelines share."""
        iam = self.client("iam")
        for name, service in (
            ("pipe", "codepipeline"),
            ("stacks", "cloudformation"),
            ("builder", "codebuild"),
            ("starter", "events"),
        ):
            made = iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=service_trust(f"{service}.amazonaws.com")
            )
            iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=EVERYTHING)
            self.roles[name] = made["Role"]["Arn"]
        s3 = self.client("s3")
        s3.create_bucket(Bucket="bench-artifacts")
        s3.put_bucket_versioning(
            Bucket="bench-artifacts", VersioningConfiguration={"Status": "Enabled"}
        )
        self.client("codebuild").create_project(
            name="render",
            source={"type": "CODEPIPELINE", "buildspec": BUILDSPEC},
            artifacts={"type": "CODEPIPELINE"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
            },
            serviceRole=self.roles["builder"],
        )
        iam.create_user(UserName="pusher")
        git_only = EVERYTHING.replace('"Action": "*"', '"Action": "codecommit:Git*"')
        iam.put_user_policy(UserName="pusher", PolicyName="git", PolicyDocument=git_only)
        credential = iam.create_service_specific_credential(
            UserName="pusher", ServiceName="codecommit.amazonaws.com"
        )["ServiceSpecificCredential"]
        url = f"http://127.0.0.1:{self.port}/"
        user, password = credential["ServiceUserName"], credential["ServicePassword"]
        self.git = GitUser(self.scratch / "home", url, user, password)

    def unit(self) -> str:
        """An organization whose one OU holds one member account, trusted by StackSets."""
        orgs = self.client("organizations")
        orgs.create_organization(FeatureSet="ALL")
        root = orgs.list_roots()["Roots"][0]["Id"]
        unit = str(
            orgs.create_organizational_unit(ParentId=root, Name="staging")["OrganizationalUnit"][
                "Id"
            ]
        )
        request = orgs.create_account(AccountName="staging", Email="staging@example.com")
        status: dict[str, Any] = {}

        def created() -> bool:
            status.update(
                orgs.describe_create_account_status(
                    CreateAccountRequestId=request["CreateAccountStatus"]["Id"]
                )["CreateAccountStatus"]
            )
            if status["State"] == "FAILED":
                raise RuntimeError(f"the member account failed: {status}")
            return bool(status["State"] == "SUCCEEDED")

        _until(created, "the member account")
        orgs.move_account(
            AccountId=status["AccountId"], SourceParentId=root, DestinationParentId=unit
        )
        orgs.enable_aws_service_access(ServicePrincipal=STACKSETS_MEMBER)
        self.client("cloudformation").activate_organizations_access()
        return unit

    def pipeline(self, name: str, deploy: dict[str, Any]) -> Pipeline:
        """Repository `name` with a first template pushed, the pipeline `name` deploying with
        `deploy`, its first execution stopped, and the rule a push to main starts it by."""
        assert self.git is not None
        cc = self.client("codecommit")
        made = cc.create_repository(repositoryName=name)["repositoryMetadata"]
        work = self.scratch / name
        self.git.run(self.scratch, "clone", "-q", made["cloneUrlHttp"], name)
        (work / "template.json").write_text(_template(0))
        self.git.run(work, "add", "template.json")
        self.git.run(work, "commit", "-q", "-m", "step 0")
        self.git.run(work, "push", "-q", "origin", "HEAD:main")
        cp = self.client("codepipeline")
        cp.create_pipeline(pipeline=_declaration(name, self.roles["pipe"], deploy))
        made_pipeline = Pipeline(name, cp, self.git, work)
        first = cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"][0]
        execution = first["pipelineExecutionId"]
        cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution, abandon=True)
        _until(lambda: made_pipeline.status(execution) == "Stopped", f"{name}: first stopped")
        events = self.client("events")
        account = made["Arn"].split(":")[4]
        pattern = {
            "source": ["aws.codecommit"],
            "detail-type": ["CodeCommit Repository State Change"],
            "resources": [made["Arn"]],
            "detail": {"referenceType": ["branch"], "referenceName": ["main"]},
        }
        events.put_rule(Name=f"push-{name}", EventPattern=json.dumps(pattern))
        target = {
            "Id": name,
            "Arn": f"arn:aws:codepipeline:{REGION}:{account}:{name}",
            "RoleArn": self.roles["starter"],
        }
        events.put_targets(Rule=f"push-{name}", Targets=[target])
        return made_pipeline


def _declaration(name: str, role: str, deploy: dict[str, Any]) -> dict[str, Any]:
    def stage(stage_name: str, action: dict[str, Any]) -> dict[str, Any]:
        return {"name": stage_name, "actions": [action]}

    source = {
        "name": "Source",
        "actionTypeId": _action("Source", "CodeCommit"),
        "configuration": {
            "RepositoryName": name,
            "BranchName": "main",
            "PollForSourceChanges": "false",
        },
        "outputArtifacts": [{"name": "Src"}],
    }
    build = {
        "name": "Build",
        "actionTypeId": _action("Build", "CodeBuild"),
        "configuration": {"ProjectName": "render"},
        "inputArtifacts": [{"name": "Src"}],
        "outputArtifacts": [{"name": "Built"}],
    }
    approve = {"name": "Approve", "actionTypeId": _action("Approval", "Manual")}
    return {
        "name": name,
        "roleArn": role,
        "artifactStore": {"type": "S3", "location": "bench-artifacts"},
        "stages": [
            stage("Source", source),
            stage("Build", build),
            stage("Approval", approve),
            stage("Deploy", {"name": "Deploy", "inputArtifacts": [{"name": "Built"}], **deploy}),
        ],
    }


def stack_deploy(stacks_role: str) -> dict[str, Any]:
    """The CloudFormation action: CREATE_UPDATE of the bucket's stack."""
    return {
        "actionTypeId": _action("Deploy", "CloudFormation"),
        "configuration": {
            "ActionMode": "CREATE_UPDATE",
            "StackName": "bench-app",
            "TemplatePath": "Built::template.json",
            "RoleArn": stacks_role,
        },
    }


def stack_set_deploy(unit: str) -> dict[str, Any]:
    """The CloudFormationStackSet action: a service-managed set of the bucket into `unit`."""
    return {
        "actionTypeId": _action("Deploy", "CloudFormationStackSet"),
        "configuration": {
            "StackSetName": "bench-app",
            "TemplatePath": "Built::template.json",
            "PermissionModel": "SERVICE_MANAGED",
            "DeploymentTargets": unit,
            "Regions": REGION,
            "FailureTolerancePercentage": "0",
            "MaxConcurrentPercentage": "100",
        },
    }


def check_deployed(setup: Setup, step: int) -> None:
    """Fail unless the last push's template is what the stack and the stack set hold, and
    the set's one instance is CURRENT."""
    cfn = setup.client("cloudformation")
    wanted = json.loads(_template(step))
    stack = cfn.get_template(StackName="bench-app")["TemplateBody"]
    stack_set = cfn.describe_stack_set(StackSetName="bench-app")["StackSet"]["TemplateBody"]
    for what, body in (("stack", stack), ("stack set", stack_set)):
        if (json.loads(body) if isinstance(body, str) else body) != wanted:
            raise RuntimeError(f"the {what} does not hold the template of step {step}")
    instances = cfn.list_stack_instances(StackSetName="bench-app")["Summaries"]
    if [i["Status"] for i in instances] != ["CURRENT"]:
        raise RuntimeError(f"the stack set's instances: {instances}")


def main() -> None:
    """Set up, measure, print."""
    count = runs(__doc__)
    results: dict[str, tuple[list[float], list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, own_server() as (state, port):
        setup = Setup(state, port, Path(tmp), {})
        setup.prepare()
        pipelines = {
            "stack": setup.pipeline("cd", stack_deploy(setup.roles["stacks"])),
            "stack set": setup.pipeline("cd-set", stack_set_deploy(setup.unit())),
        }
        for label, pipeline in pipelines.items():
            samples = [pipeline.one_run(step) for step in range(1, count + 1)]
            results[label] = ([s[0] for s in samples], [s[1] for s in samples], pipeline.pushing)
        check_deployed(setup, count)
    for label, (to_approval, to_done, pushing) in results.items():
        print(f"{label}: git push → waiting at Approval:  {figures(to_approval)}")
        print(f"{label}:   git push itself:               {figures(pushing)}")
        print(f"{label}: PutApprovalResult → Succeeded:   {figures(to_done)}")


if __name__ == "__main__":
    main()
