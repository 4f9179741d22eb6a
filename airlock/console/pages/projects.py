"""SageMaker projects: the list, a project's resources, and creating one from a product."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import Route

from ..web import BASE, Console, View, page, redirect
from .servicecatalog import every as catalog_list

# SageMaker sets these two parameters of a project template itself.
SET_BY_SAGEMAKER = {"SageMakerProjectName", "SageMakerProjectId"}
PARAMETER = "parameter."
# What a project's resources link to, by CloudFormation type: (kind, page under /console).
LINKS = {
    "AWS::CodeCommit::Repository": ("Repository", "/codecommit/repositories/"),
    "AWS::CodePipeline::Pipeline": ("CD pipeline", "/codepipeline/pipelines/"),
    "AWS::SageMaker::ModelPackageGroup": ("Model group", "/sagemaker/model-groups/"),
    "AWS::SageMaker::Pipeline": ("SageMaker pipeline", "/sagemaker/pipelines/"),
    "AWS::CloudFormation::Stack": ("Stack", "/cloudformation/stacks/"),
}


def projects(view: View) -> Response:
    """The acting account's projects."""
    found = view.every(
        "sagemaker", "ListProjects", {"MaxResults": 100}, "ProjectSummaryList", limit=500
    )
    return view.render("projects.html", projects=found)


def _resources(view: View, stack_id: str) -> list[dict[str, str]]:
    """The project stack's resources that have a console page, as links."""
    found = view.every(
        "cloudformation", "ListStackResources", {"StackName": stack_id}, "StackResourceSummaries"
    )
    links: list[dict[str, str]] = []
    repositories: dict[str, str] = {}
    if any(r["ResourceType"] == "AWS::CodeCommit::Repository" for r in found):
        # A repository's physical ID is its ID; its page is by name.
        listed = view.every("codecommit", "ListRepositories", {}, "repositories", token="nextToken")
        repositories = {r["repositoryId"]: r["repositoryName"] for r in listed}
    for resource in found:
        kind = LINKS.get(resource["ResourceType"])
        physical = resource.get("PhysicalResourceId") or ""
        if kind is None or not physical:
            continue
        # Stacks and model groups may be named by ARN; their pages take the name.
        name = physical.split("/")[1] if physical.startswith("arn:") else physical
        name = repositories.get(name, name)
        links.append(
            {
                "kind": kind[0],
                "name": name,
                "href": BASE + kind[1] + quote(name, safe=""),
                "logical": resource["LogicalResourceId"],
            }
        )
    return links


def project(view: View) -> Response:
    """A project: its status, and its repository, pipelines, model group and stacks."""
    name = view.request.path_params["project"]
    described = view.read("sagemaker", "DescribeProject", {"ProjectName": name})
    stack: dict[str, Any] | None = None
    links: list[dict[str, str]] = []
    provisioned = (described or {}).get("ServiceCatalogProvisionedProductDetails") or {}
    if provisioned.get("ProvisionedProductId"):
        out = view.read(
            "servicecatalog",
            "SearchProvisionedProducts",
            {"Filters": {"SearchQuery": [f"id:{provisioned['ProvisionedProductId']}"]}},
        )
        found = (out or {}).get("ProvisionedProducts", [])
        stack_id = found[0].get("PhysicalId", "") if found else ""
        if stack_id:
            stacks = view.read("cloudformation", "DescribeStacks", {"StackName": stack_id})
            stack = ((stacks or {}).get("Stacks") or [None])[0]
            links = _resources(view, stack_id)
    return view.render("project.html", name=name, project=described, stack=stack, links=links)


def new_project(view: View) -> Response:
    """The create form: a product, its version, then the template's parameters."""
    query = view.request.query_params
    product, artifact = query.get("product", ""), query.get("artifact", "")
    products = catalog_list(view, "SearchProducts", {}, "ProductViewSummaries")
    # With no product chosen yet, the first one's form is shown (often the only one).
    product = product or (products[0]["ProductId"] if products else "")
    artifacts: list[dict[str, Any]] = []
    parameters: list[dict[str, Any]] = []
    if product:
        listed = view.read("servicecatalog", "ListProvisioningArtifacts", {"ProductId": product})
        artifacts = [
            a
            for a in (listed or {}).get("ProvisioningArtifactDetails", [])
            if a.get("Active", True)
        ]
        # The newest version, unless one of this product's was chosen.
        if artifact not in {a["Id"] for a in artifacts}:
            artifact = artifacts[-1]["Id"] if artifacts else ""
    if product and artifact:
        described = view.read(
            "servicecatalog",
            "DescribeProvisioningParameters",
            {"ProductId": product, "ProvisioningArtifactId": artifact},
        )
        parameters = [
            p
            for p in (described or {}).get("ProvisioningArtifactParameters", [])
            if p["ParameterKey"] not in SET_BY_SAGEMAKER
        ]
    return view.render(
        "project_new.html",
        products=products,
        product=product,
        artifacts=artifacts,
        artifact=artifact,
        parameters=parameters,
        prefix=PARAMETER,
    )


def create_project(view: View) -> Response:
    """CreateProject as the user; its page when it was accepted, the form again when not."""
    form = view.form
    name = form.get("name", "").strip()
    values = {k[len(PARAMETER) :]: v for k, v in form.items() if k.startswith(PARAMETER)}
    params = {
        "ProjectName": name,
        "ServiceCatalogProvisioningDetails": {
            "ProductId": form.get("product", ""),
            "ProvisioningArtifactId": form.get("artifact", ""),
            "ProvisioningParameters": [{"Key": k, "Value": v} for k, v in values.items() if v],
        },
    }
    if form.get("description"):
        params["ProjectDescription"] = form["description"]
    done = view.act("sagemaker", "CreateProject", params, f"Project {name} is being created.")
    if done is None:
        return redirect(
            f"{BASE}/sagemaker/projects/new?product={quote(form.get('product', ''))}"
            f"&artifact={quote(form.get('artifact', ''))}"
        )
    return redirect(f"{BASE}/sagemaker/projects/{quote(name, safe='')}")


def routes(console: Console) -> list[Route]:
    """The project pages."""
    return [
        Route("/sagemaker/projects", page(console, projects), methods=["GET"]),
        Route("/sagemaker/projects", page(console, create_project), methods=["POST"]),
        Route("/sagemaker/projects/new", page(console, new_project), methods=["GET"]),
        Route("/sagemaker/projects/{project}", page(console, project), methods=["GET"]),
    ]
