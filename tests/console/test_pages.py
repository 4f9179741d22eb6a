"""The console's service pages over plain HTTP, against one live server with real resources
made through boto3: stacks and stack sets, repositories, the catalog, projects, pipeline
executions and endpoints; and a crawl from the home page that reaches every route."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import xgboost as xgb

from airlock.console import console_routes
from tests.cloudformation.sets import (
    EXECUTION_ROLE,
    admin_role,
    execution_role,
    log_group_template,
    operation_done,
)
from tests.codebuild.test_projects_api import make_role as build_role
from tests.codebuild.test_projects_api import project_args
from tests.codepipeline.helpers import first_execution, make_role, versioned_bucket, waiting_token
from tests.codepipeline.test_codecommit_build_api import BUILDSPEC, _pipeline
from tests.sagemaker.projects_support import TEMPLATE, project_catalog, project_status
from tests.sagemaker.test_endpoints import booster_archive, create_hosted, wait_in_service
from tests.sagemaker.test_pipeline_runs import pipeline
from tests.sagemaker.test_training import PIPELINE_ROLE, TRUST, csv, iris_like
from tests.support import LiveServer, live_server, wait_for

from .support import csrf_token, sign_in_with_keys, user_keys

ADMIN = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
README = "# Churn model\nTrained nightly.\n"
TRAIN = "print('training')\n"
# The project template, with what the project page links to: a repository and a model group.
PROJECT_TEMPLATE = TEMPLATE.replace(
    "Resources:\n",
    """Resources:
  Code:
    Type: AWS::CodeCommit::Repository
    Properties:
      RepositoryName: !Sub 'sagemaker-${SageMakerProjectName}-modelbuild'
  Models:
    Type: AWS::SageMaker::ModelPackageGroup
    Properties:
      ModelPackageGroupName: !Sub '${SageMakerProjectName}-models'
""",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One live server for the module's pages (each test only reads, or makes its own)."""
    with live_server(Path(tmp_path_factory.mktemp("pages")) / "state") as live:
        yield live


def _stacks(server: LiveServer) -> dict[str, Any]:
    """A stack, and a stack set with one instance in another account."""
    cfn = server.client("cloudformation")
    cfn.create_stack(
        StackName="team-logs",
        TemplateBody=log_group_template(),
        Parameters=[{"ParameterKey": "Retention", "ParameterValue": "14"}],
    )
    admin = server.first_account_id()
    admin_role(server, admin)
    target = server.create_account("dev")
    execution_role(server, target, f"arn:aws:iam::{admin}:root")
    cfn.create_stack_set(StackSetName="org-logs", TemplateBody=log_group_template())
    operation = cfn.create_stack_instances(
        StackSetName="org-logs", Accounts=[target], Regions=[server.settings.region]
    )["OperationId"]
    operation_done(cfn, "org-logs", operation, timeout=120)

    def created() -> bool:
        status = str(cfn.describe_stacks(StackName="team-logs")["Stacks"][0]["StackStatus"])
        return status == "CREATE_COMPLETE"

    wait_for(created, timeout=120, what="the stack to be created")
    return {"target": target, "operation": operation}


def _repository(server: LiveServer) -> dict[str, str]:
    """A repository with two commits."""
    cc = server.client("codecommit")
    cc.create_repository(repositoryName="churn-code", repositoryDescription="the churn model")
    first = cc.create_commit(
        repositoryName="churn-code",
        branchName="main",
        commitMessage="Describe the model",
        authorName="Dana",
        putFiles=[{"filePath": "README.md", "fileContent": README.encode()}],
    )["commitId"]
    second = cc.create_commit(
        repositoryName="churn-code",
        branchName="main",
        parentCommitId=first,
        commitMessage="Add the training script",
        authorName="Dana",
        putFiles=[{"filePath": "src/train.py", "fileContent": TRAIN.encode()}],
    )["commitId"]
    return {"first": first, "second": second}


def _start_training_pipeline(server: LiveServer) -> str:
    """A SageMaker pipeline (train, check, register) started; its execution's ARN."""
    s3, iam, sm = server.client("s3"), server.client("iam"), server.client("sagemaker")
    s3.create_bucket(Bucket="ml-data")
    s3.put_object(Bucket="ml-data", Key="iris/train/train.csv", Body=csv(iris_like(240, 1)))
    s3.put_object(Bucket="ml-data", Key="iris/validation/val.csv", Body=csv(iris_like(60, 2)))
    data = {
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::ml-data", "arn:aws:s3:::ml-data/*"],
    }
    role = iam.create_role(RoleName="SageMakerRole", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName="SageMakerRole",
        PolicyName="data",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [data, *PIPELINE_ROLE]}),
    )
    arn = role["Role"]["Arn"]
    sm.create_model_package_group(ModelPackageGroupName="iris-models")
    sm.create_pipeline(PipelineName="iris", PipelineDefinition=pipeline(arn, 0.2), RoleArn=arn)
    return str(
        sm.start_pipeline_execution(
            PipelineName="iris", PipelineParameters=[{"Name": "Rounds", "Value": "15"}]
        )["PipelineExecutionArn"]
    )


def _finished(server: LiveServer, arn: str) -> None:
    sm = server.client("sagemaker")

    def done() -> bool:
        execution = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        return str(execution["PipelineExecutionStatus"]) != "Executing"

    wait_for(done, timeout=180, what="the SageMaker pipeline's execution to end")


def _code_pipeline(server: LiveServer) -> None:
    """The CodeCommit → CodeBuild → approval pipeline `pipe`, started (it waits for approval)."""
    role = make_role(server)
    versioned_bucket(server, "artifacts")
    server.client("codecommit").create_repository(repositoryName="app")
    server.client("codecommit").create_commit(
        repositoryName="app",
        branchName="main",
        putFiles=[{"filePath": "model.txt", "fileContent": b"weights"}],
        commitMessage="the model",
        authorName="Ada",
    )
    server.client("codebuild").create_project(
        **project_args(
            build_role(server),
            name="render",
            source={"type": "CODEPIPELINE", "buildspec": BUILDSPEC},
            artifacts={"type": "CODEPIPELINE"},
        )
    )
    server.client("codepipeline").create_pipeline(pipeline=_pipeline(role))


@pytest.fixture(scope="module")
def world(server: LiveServer) -> dict[str, Any]:
    """The resources every page test reads, made once (the slow ones run side by side)."""
    keys = user_keys(server, "admin", ADMIN)
    admin_arn = f"arn:aws:iam::{server.first_account_id()}:user/admin"
    made: dict[str, Any] = {"admin": keys, "execution": _start_training_pipeline(server)}
    booster, archive = booster_archive()
    create_hosted(server, "iris", archive)
    made["booster"] = booster
    made.update(_stacks(server))
    made.update(_repository(server))
    _code_pipeline(server)
    made["catalog"] = project_catalog(server, body=PROJECT_TEMPLATE, principal=admin_arn)
    wait_in_service(server.client("sagemaker"), "iris")
    _finished(server, made["execution"])
    cp = server.client("codepipeline")
    waiting_token(cp, "pipe", first_execution(cp, "pipe"))
    return made


@pytest.fixture
def admin(server: LiveServer, world: dict[str, Any]) -> Iterator[httpx.Client]:
    """A client signed in as the account's administrator."""
    with httpx.Client(base_url=server.url, follow_redirects=True, timeout=60) as client:
        yield sign_in_with_keys(client, world["admin"])


def text_of(answer: httpx.Response) -> str:
    """A page's HTML with its entities decoded, to assert on what a person reads."""
    assert answer.status_code == 200, answer.text
    return html.unescape(answer.text)


def test_stack_pages_show_outputs_resources_events_and_template(admin: httpx.Client) -> None:
    listing = text_of(admin.get("/console/cloudformation/stacks"))
    assert "team-logs" in listing and "CREATE_COMPLETE" in listing
    stack = text_of(admin.get("/console/cloudformation/stacks/team-logs"))
    assert 'id="stack-status">CREATE_COMPLETE' in stack
    assert "AWS::Logs::LogGroup" in stack and "team-logs-logs" in stack
    assert "Retention" in stack and "14" in stack
    assert "CREATE_IN_PROGRESS" in stack  # the events
    assert '"RetentionInDays"' in stack  # the template


def test_stack_set_pages_show_instances_and_operation_results(
    admin: httpx.Client, world: dict[str, Any]
) -> None:
    listing = text_of(admin.get("/console/cloudformation/stack-sets"))
    assert "org-logs" in listing and "ACTIVE" in listing
    stack_set = text_of(admin.get("/console/cloudformation/stack-sets/org-logs"))
    assert world["target"] in stack_set and "CURRENT" in stack_set
    assert world["operation"] in stack_set and "SUCCEEDED" in stack_set
    results = text_of(
        admin.get(f"/console/cloudformation/stack-sets/org-logs/operations/{world['operation']}")
    )
    assert world["target"] in results and "SUCCEEDED" in results


def test_repository_pages_browse_files_and_commits(
    admin: httpx.Client, world: dict[str, Any]
) -> None:
    assert "churn-code" in text_of(admin.get("/console/codecommit/repositories"))
    root = text_of(admin.get("/console/codecommit/repositories/churn-code"))
    assert "README.md" in root and "src/" in root and "the churn model" in root
    folder = text_of(admin.get("/console/codecommit/repositories/churn-code?ref=main&path=src"))
    assert "train.py" in folder
    readme = admin.get("/console/codecommit/repositories/churn-code/file?ref=main&path=README.md")
    assert README.strip() in text_of(readme)
    # At the first commit the training script did not exist yet.
    old = text_of(admin.get(f"/console/codecommit/repositories/churn-code?ref={world['first']}"))
    assert "README.md" in old and "src/" not in old
    commits = text_of(admin.get("/console/codecommit/repositories/churn-code/commits?ref=main"))
    assert commits.index("Add the training script") < commits.index("Describe the model")
    assert world["second"][:10] in commits and world["first"][:10] in commits


def test_catalog_pages_show_portfolios_products_constraints_and_access(
    admin: httpx.Client, world: dict[str, Any]
) -> None:
    catalog = world["catalog"]
    listing = text_of(admin.get("/console/servicecatalog"))
    assert "Team portfolio" in listing and "Log group" in listing
    portfolio = text_of(admin.get(f"/console/servicecatalog/portfolios/{catalog['portfolio']}"))
    assert "LAUNCH" in portfolio and catalog["product"] in portfolio
    product = text_of(admin.get(f"/console/servicecatalog/products/{catalog['product']}"))
    assert "v1" in product and catalog["artifact"] in product and "Team portfolio" in product


def test_execution_page_draws_the_steps_with_their_statuses_parameters_and_logs(
    admin: httpx.Client, world: dict[str, Any]
) -> None:
    assert "iris" in text_of(admin.get("/console/sagemaker/pipelines"))
    execution_id = world["execution"].rsplit("/", 1)[1]
    listing = text_of(admin.get("/console/sagemaker/pipelines/iris"))
    assert execution_id in listing and "Succeeded" in listing
    path = f"/console/sagemaker/pipelines/iris/executions/{execution_id}"
    page = text_of(admin.get(path))
    assert 'id="execution-status">Succeeded' in page
    # One box per step of the definition, coloured by its status; the one not taken stays idle.
    assert '<g class="status status-good" data-step="Train">' in page
    assert '<g class="status status-good" data-step="Register">' in page
    assert '<g class="status status-idle" data-step="TooPoor">' in page
    # Train → GoodEnough → Register and TooPoor, and Train → Register (its model artifact).
    assert page.count('<path class="edge"') == 4
    assert "<td>Rounds</td><td>15</td>" in page
    assert "Log of Train (" in page and "merror" in page
    assert f'data-refresh="{path}/live"' in page
    live = text_of(admin.get(f"{path}/live"))
    assert 'data-step="Train"' in live and "<html" not in live


def test_endpoint_page_shows_variants_and_invokes_the_model(
    admin: httpx.Client, world: dict[str, Any]
) -> None:
    assert "iris" in text_of(admin.get("/console/sagemaker/endpoints"))
    page = text_of(admin.get("/console/sagemaker/endpoints/iris"))
    assert 'id="endpoint-status">InService' in page
    assert "<td>AllTraffic</td><td>1 / 1</td>" in page and "ml.m5.large" in page
    live = text_of(admin.get("/console/sagemaker/endpoints/iris/live"))
    assert 'id="endpoint-status">InService' in live and "<form" not in live
    # The invocation chart (CloudWatch's metrics, drawn on the server) has no call yet.
    assert '<svg class="chart"' in page and 'role="img"' in page
    assert '<desc id="chart-desc">0 invocations in the last 60 minutes.</desc>' in page
    row = iris_like(1, 9)[0, 1:]
    typed = ",".join(f"{v:.4f}" for v in row)
    answer = admin.post(
        "/console/sagemaker/endpoints/iris/invoke",
        data={"csrf_token": csrf_token(page), "row": typed},
    )
    expected = world["booster"].predict(xgb.DMatrix(np.round(row.reshape(1, -1), 4)))
    shown = text_of(answer)
    assert "Answer from AllTraffic (text/csv)" in shown
    answered = shown.split('<pre id="answer">', 1)[1].split("</pre>", 1)[0]
    assert [float(v) for v in answered.split(",")] == [float(v) for v in expected]

    # The live part's chart comes to count the call once its minute is recorded.
    def charted() -> str | None:
        fragment = text_of(admin.get("/console/sagemaker/endpoints/iris/live"))
        return fragment if "1 invocation in the last 60 minutes" in fragment else None

    fragment = wait_for(charted, timeout=90, interval=0.5, what="the invocation in the chart")
    assert 'aria-label="1 invocation in the last 60 minutes; average model latency' in fragment
    assert fragment.count('<rect class="bar"') == 1
    table = fragment.split('<table id="chart-table">', 1)[1].split("</table>", 1)[0]
    assert re.search(r"<tr><td>\d\d:\d\d</td><td>1</td><td>[\d,]+</td></tr>", table)


def test_the_create_form_creates_a_project_whose_page_links_its_resources(
    admin: httpx.Client, server: LiveServer, world: dict[str, Any]
) -> None:
    catalog = world["catalog"]
    chosen = text_of(admin.get(f"/console/sagemaker/projects/new?product={catalog['product']}"))
    assert 'name="parameter.Retention" value="7"' in chosen
    assert "SageMakerProjectId" not in chosen  # SageMaker fills those two in
    # With nothing chosen yet, the only product's form is the one shown.
    assert 'name="parameter.Retention"' in text_of(admin.get("/console/sagemaker/projects/new"))
    answer = admin.post(
        "/console/sagemaker/projects",
        data={
            "csrf_token": csrf_token(chosen),
            "product": catalog["product"],
            "artifact": catalog["artifact"],
            "name": "churn",
            "description": "churn prediction",
            "parameter.Retention": "30",
        },
    )
    assert answer.url.path == "/console/sagemaker/projects/churn"
    assert "Project churn is being created." in text_of(answer)
    described = project_status(
        server.client("sagemaker"), "churn", ("CreateCompleted", "CreateFailed"), timeout=120
    )
    assert described["ProjectStatus"] == "CreateCompleted", described
    assert described["ProjectDescription"] == "churn prediction"
    project_id = described["ProjectId"]
    page = text_of(admin.get("/console/sagemaker/projects/churn"))
    assert 'id="project-status">CreateCompleted' in page
    repository = "sagemaker-churn-modelbuild"
    assert f'<a href="/console/codecommit/repositories/{repository}">{repository}</a>' in page
    assert 'href="/console/sagemaker/model-groups/churn-models">churn-models</a>' in page
    assert "/console/cloudformation/stacks/SC-" in page
    logs = server.client("logs").describe_log_groups(logGroupNamePrefix="/sagemaker/churn")
    assert [g["retentionInDays"] for g in logs["logGroups"]] == [30]
    listing = text_of(admin.get("/console/sagemaker/projects"))
    assert "churn" in listing and project_id in listing


def test_a_denied_read_shows_the_explanation(server: LiveServer, world: dict[str, Any]) -> None:
    keys = user_keys(server, "nobody")
    with httpx.Client(base_url=server.url, follow_redirects=True, timeout=60) as client:
        sign_in_with_keys(client, keys)
        page = text_of(client.get("/console/cloudformation/stacks/team-logs"))
    account = server.first_account_id()
    assert (
        f"AccessDenied: User: arn:aws:iam::{account}:user/nobody is not authorized to perform: "
        "cloudformation:DescribeStacks" in page
    )
    assert "decision:  implicitDeny" in page
    assert "CREATE_COMPLETE" not in page


_LINK = re.compile(r'(?:href|data-refresh)="(/console/[^"#]*)"')
_FORM = re.compile(r'<form method="(get|post)" action="(/console/[^"]*)"')
# Enough pages of each route to find what they link to, and a bound on the whole crawl.
PER_ROUTE, PAGES = 3, 400


class Crawl:
    """The console's routes, and which of them the links and forms of the pages seen reach."""

    def __init__(self, server: LiveServer) -> None:
        _, (mount,) = console_routes(server.airlock.platform)
        self.routes = [
            (method, route)
            for route in getattr(mount, "routes", [])
            for method in sorted(getattr(route, "methods", None) or [])
            if method in ("GET", "POST")
        ]
        self.reached: set[tuple[str, str]] = set()
        self.seen: set[str] = set()
        self.per_route: dict[tuple[str, str], int] = {}

    def route_of(self, method: str, url: str) -> tuple[str, str] | None:
        """The (method, pattern) of the route a console URL goes to."""
        path = httpx.URL(url).path.removeprefix("/console")
        for kind, route in self.routes:
            if kind == method and route.path_regex.match(path):
                return kind, route.path
        return None

    def page(self, client: httpx.Client, url: str) -> str:
        """Fetch a page, mark the routes its links and forms reach; the links to follow."""
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.text)
        found = self.route_of("GET", str(answer.url.path))
        if found:
            self.reached.add(found)
        for method, action in _FORM.findall(answer.text):
            target = self.route_of(method.upper(), html.unescape(action))
            if target:
                self.reached.add(target)
        return answer.text

    def follow(self, client: httpx.Client, start: str) -> None:
        """Follow every console link from `start`, a few pages of each route."""
        queue = [start]
        while queue and len(self.seen) < PAGES:
            url = queue.pop(0)
            if url in self.seen or url.startswith("/console/static/"):
                continue
            route = self.route_of("GET", url)
            if route is None or self.per_route.get(route, 0) >= PER_ROUTE:
                continue
            self.per_route[route] = self.per_route.get(route, 0) + 1
            self.seen.add(url)
            text = self.page(client, url)
            queue.extend(html.unescape(link) for link in _LINK.findall(text))

    def missing(self) -> list[tuple[str, str]]:
        """The routes nothing reached."""
        return sorted({(m, r.path) for m, r in self.routes} - self.reached)


def test_every_console_route_is_reached_from_the_home_page(
    server: LiveServer, world: dict[str, Any]
) -> None:
    # A project's pages are reached from the projects list: this worker may not have run
    # the create form's test, so make sure there is one.
    sm = server.client("sagemaker", keys=world["admin"])
    if not sm.list_projects()["ProjectSummaryList"]:
        sm.create_project(
            ProjectName="crawled",
            ServiceCatalogProvisioningDetails={
                "ProductId": world["catalog"]["product"],
                "ProvisioningArtifactId": world["catalog"]["artifact"],
            },
        )
        described = project_status(sm, "crawled", ("CreateCompleted", "CreateFailed"))
        assert described["ProjectStatus"] == "CreateCompleted", described
    crawl = Crawl(server)
    with httpx.Client(base_url=server.url, follow_redirects=True, timeout=60) as client:
        # Signed out, the home page leads to the sign-in form.
        signin = crawl.page(client, "/console/")
        client.post(
            "/console/signin",
            data={
                "csrf_token": csrf_token(signin),
                "access_key_id": world["admin"][0],
                "secret": world["admin"][1],
            },
        )
        crawl.follow(client, "/console/")
        # Switched into another account, the page offers the way back.
        switch = client.get("/console/switch-role")
        client.post(
            "/console/switch-role",
            data={
                "csrf_token": csrf_token(switch.text),
                "account": world["target"],
                "role": EXECUTION_ROLE,
            },
        )
        crawl.page(client, "/console/")
    assert crawl.missing() == []
