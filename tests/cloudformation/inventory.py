"""Everything an account holds in the services that have CloudFormation resource types.

A stack's delete is checked by comparing the account's inventory before the stack was
created with the one after it was deleted: what a resource leaves behind (an inline
policy, a bus policy statement, a rule on a bus that stays) shows up in the difference
even where the resource's physical id names nothing that can be looked up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError


def _last(arn: str) -> str:
    return arn.rsplit("/", 1)[-1].lower()


def _rule_entry(ref: str) -> str:
    """A rule's `Ref` is `bus|name` (the bus as the template names it, or its ARN), or the
    bare name on the default bus."""
    bus, _, name = ref.rpartition("|")
    return f"bus {bus.rsplit('/', 1)[-1] or 'default'} rule {name}"


# What an inventory entry of a resource starts with, by type and physical id; the
# types missing here (an inline policy, a bus policy statement) have no entry of their
# own, and what they leave shows up under their owner's.
ENTRY: dict[str, Callable[[str], str]] = {
    "AWS::IAM::Role": lambda name: f"role {name}",
    "AWS::IAM::User": lambda name: f"user {name}",
    "AWS::IAM::ManagedPolicy": lambda arn: f"policy {arn}",
    "AWS::S3::Bucket": lambda name: f"bucket {name}",
    "AWS::S3::BucketPolicy": lambda bucket: f"bucket {bucket} policy",
    "AWS::Logs::LogGroup": lambda name: f"log-group {name}",
    "AWS::Events::EventBus": lambda name: f"bus {name}",
    "AWS::Events::Rule": lambda ref: _rule_entry(ref),
    # SageMaker ARNs end in the name in lower case.
    "AWS::SageMaker::Model": lambda arn: f"model {_last(arn)}",
    "AWS::SageMaker::EndpointConfig": lambda arn: f"endpoint-config {_last(arn)}",
    "AWS::SageMaker::Endpoint": lambda arn: f"endpoint {_last(arn)}",
    "AWS::SageMaker::Pipeline": lambda name: f"pipeline {name.lower()}",
    "AWS::SageMaker::ModelPackageGroup": lambda arn: f"model-package-group {_last(arn)}",
    # A repository's physical id is its id, which a rename keeps.
    "AWS::CodeCommit::Repository": lambda repository_id: f"repository {repository_id}",
    "AWS::CodeBuild::Project": lambda name: f"project {name}",
    "AWS::CodePipeline::Pipeline": lambda name: f"pipeline {name}",
    "AWS::ServiceCatalog::Portfolio": lambda portfolio_id: f"portfolio {portfolio_id}",
    "AWS::ServiceCatalog::CloudFormationProduct": lambda product_id: f"product {product_id}",
    # Associations are `<portfolio>|<product>` and `<portfolio>|<type>|<principal ARN>`.
    "AWS::ServiceCatalog::PortfolioProductAssociation": lambda ref: (
        f"portfolio {ref.split('|')[0]} product {ref.split('|')[1]}"
    ),
    "AWS::ServiceCatalog::PortfolioPrincipalAssociation": lambda ref: (
        f"portfolio {ref.split('|')[0]} principal {ref.split('|', 2)[2]}"
    ),
    "AWS::ServiceCatalog::LaunchRoleConstraint": lambda constraint_id: (
        f"constraint {constraint_id}"
    ),
}
# Types whose physical id names no entry: only the inventory's difference checks them.
WITHOUT_ENTRY = {"AWS::IAM::Policy", "AWS::Events::EventBusPolicy"}


def _pages(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    pages = client.get_paginator(operation).paginate(**params)
    return [item for page in pages for item in page[key]]


Clients = Callable[[str], Any]


def _iam(client: Clients) -> set[str]:
    iam = client("iam")
    found: set[str] = set()
    for kind, listing, key, name in (
        ("role", "list_roles", "Roles", "RoleName"),
        ("user", "list_users", "Users", "UserName"),
    ):
        for entity in _pages(iam, listing, key):
            owner = {name: entity[name]}
            found.add(f"{kind} {entity[name]}")
            inline = _pages(iam, f"list_{kind}_policies", "PolicyNames", **owner)
            found |= {f"{kind} {entity[name]} inline {policy}" for policy in inline}
            attached = _pages(iam, f"list_attached_{kind}_policies", "AttachedPolicies", **owner)
            found |= {f"{kind} {entity[name]} attached {p['PolicyArn']}" for p in attached}
    local = _pages(iam, "list_policies", "Policies", Scope="Local")
    return found | {f"policy {policy['Arn']}" for policy in local}


def _s3(client: Clients) -> set[str]:
    s3 = client("s3")
    found: set[str] = set()
    for bucket in s3.list_buckets()["Buckets"]:
        found.add(f"bucket {bucket['Name']}")
        try:
            s3.get_bucket_policy(Bucket=bucket["Name"])
        except ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchBucketPolicy":
                raise
        else:
            found.add(f"bucket {bucket['Name']} policy")
    return found


def _events(client: Clients) -> set[str]:
    events = client("events")
    found: set[str] = set()
    for bus in events.list_event_buses()["EventBuses"]:
        name = bus["Name"]
        found.add(f"bus {name}")
        policy = events.describe_event_bus(Name=name).get("Policy")
        statements = json.loads(policy)["Statement"] if policy else []
        found |= {f"bus {name} statement {statement['Sid']}" for statement in statements}
        for rule in _pages(events, "list_rules", "Rules", EventBusName=name):
            found.add(f"bus {name} rule {rule['Name']}")
            request = {"Rule": rule["Name"], "EventBusName": name}
            targets = events.list_targets_by_rule(**request)["Targets"]
            found |= {f"bus {name} rule {rule['Name']} target {t['Id']}" for t in targets}
    return found


def _sagemaker(client: Clients) -> set[str]:
    sm = client("sagemaker")
    listings = (
        ("model", "list_models", "Models", "ModelName"),
        ("endpoint-config", "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName"),
        ("endpoint", "list_endpoints", "Endpoints", "EndpointName"),
        ("pipeline", "list_pipelines", "PipelineSummaries", "PipelineName"),
        (
            "model-package-group",
            "list_model_package_groups",
            "ModelPackageGroupSummaryList",
            "ModelPackageGroupName",
        ),
    )
    return {
        f"{kind} {item[name].lower()}"
        for kind, listing, key, name in listings
        for item in _pages(sm, listing, key)
    }


def _codecommit(client: Clients) -> set[str]:
    listed = _pages(client("codecommit"), "list_repositories", "repositories")
    return {f"repository {r['repositoryId']}" for r in listed}


def _codepipeline(client: Clients) -> set[str]:
    listed = _pages(client("codepipeline"), "list_pipelines", "pipelines")
    return {f"pipeline {p['name']}" for p in listed}


def _codebuild(client: Clients) -> set[str]:
    return {f"project {name}" for name in _pages(client("codebuild"), "list_projects", "projects")}


def _servicecatalog(client: Clients) -> set[str]:
    sc = client("servicecatalog")
    found: set[str] = set()
    for portfolio in _pages(sc, "list_portfolios", "PortfolioDetails"):
        pid = portfolio["Id"]
        found.add(f"portfolio {pid}")
        for principal in _pages(sc, "list_principals_for_portfolio", "Principals", PortfolioId=pid):
            found.add(f"portfolio {pid} principal {principal['PrincipalARN']}")
        constraints = _pages(
            sc, "list_constraints_for_portfolio", "ConstraintDetails", PortfolioId=pid
        )
        found |= {f"constraint {c['ConstraintId']}" for c in constraints}
    for detail in _pages(sc, "search_products_as_admin", "ProductViewDetails"):
        product = detail["ProductViewSummary"]["ProductId"]
        found.add(f"product {product}")
        for portfolio in _pages(
            sc, "list_portfolios_for_product", "PortfolioDetails", ProductId=product
        ):
            found.add(f"portfolio {portfolio['Id']} product {product}")
    return found


def inventory(client: Clients) -> set[str]:
    """One line per thing an account holds (`role R`, `role R inline P`, `bucket B policy`…),
    listed with `client(service)`, the account's clients."""
    groups = _pages(client("logs"), "describe_log_groups", "logGroups")
    return (
        _iam(client)
        | _s3(client)
        | _events(client)
        | _sagemaker(client)
        | _codecommit(client)
        | _codebuild(client)
        | _codepipeline(client)
        | _servicecatalog(client)
        | {f"log-group {group['logGroupName']}" for group in groups}
    )
