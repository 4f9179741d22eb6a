"""The deployment's build: prepare the newest approved model of the project's group.

1. Create the project's model package group if it does not exist yet.
2. Share it with the accounts of the staging and production OUs (a resource policy), so
   their SageMaker can create models from its packages.
3. Find the newest Approved package of the group.
4. Write the stack sets' parameter files (staging: 1 instance, production: 2) and
   deployment.json, which tells the staging test where the endpoint is.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import boto3

STAGES = {"staging": 1, "prod": 2}


def ensure_group(sm: Any, name: str, project: str) -> str:
    """The group's ARN, creating the group when it is missing."""
    try:
        return str(
            sm.describe_model_package_group(ModelPackageGroupName=name)["ModelPackageGroupArn"]
        )
    except sm.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "ValidationException":
            raise
    print(f"Creating the model package group {name}")
    created = sm.create_model_package_group(
        ModelPackageGroupName=name,
        ModelPackageGroupDescription=f"Models of the SageMaker project {project}",
    )
    return str(created["ModelPackageGroupArn"])


def accounts_of(orgs: Any, unit: str) -> list[str]:
    """The ids of the active accounts directly in an OU."""
    found = []
    for page in orgs.get_paginator("list_accounts_for_parent").paginate(ParentId=unit):
        found += [a["Id"] for a in page["Accounts"] if a["Status"] == "ACTIVE"]
    return sorted(found)


def share_group(sm: Any, name: str, group_arn: str, accounts: list[str]) -> None:
    """Let the target accounts read the group's packages and create models from them."""
    packages = group_arn.replace(":model-package-group/", ":model-package/") + "/*"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TargetAccountsUseTheModels",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
                "Action": ["sagemaker:DescribeModelPackage", "sagemaker:CreateModel"],
                "Resource": packages,
            },
            {
                "Sid": "TargetAccountsListTheModels",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
                "Action": ["sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"],
                "Resource": group_arn,
            },
        ],
    }
    sm.put_model_package_group_policy(ModelPackageGroupName=name, ResourcePolicy=json.dumps(policy))
    print(f"Shared {name} with {', '.join(accounts)}")


def newest_approved(sm: Any, name: str) -> str | None:
    """The ARN of the group's newest Approved package, if any."""
    found = sm.list_model_packages(
        ModelPackageGroupName=name,
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )["ModelPackageSummaryList"]
    return str(found[0]["ModelPackageArn"]) if found else None


def parameters(args: argparse.Namespace, package: str, stage: str) -> list[dict[str, str]]:
    """The endpoint template's parameters for a stage, as the stack set action reads them."""
    values = {
        "SageMakerProjectName": args.project_name,
        "ModelPackageName": package,
        "ModelExecutionRoleName": args.staging_role if stage == "staging" else args.prod_role,
        "StageName": stage,
        "EndpointInstanceCount": str(STAGES[stage]),
    }
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]


def main() -> int:
    """Run the build's steps; a non-zero exit fails the Build stage."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-package-group-name", required=True)
    parser.add_argument("--project-name", required=True)
    parser.add_argument("--staging-ou", required=True)
    parser.add_argument("--prod-ou", required=True)
    parser.add_argument("--staging-role", required=True)
    parser.add_argument("--prod-role", required=True)
    args = parser.parse_args()

    sm, orgs = boto3.client("sagemaker"), boto3.client("organizations")
    group = args.model_package_group_name
    group_arn = ensure_group(sm, group, args.project_name)
    staging = accounts_of(orgs, args.staging_ou)
    prod = accounts_of(orgs, args.prod_ou)
    if not staging or not prod:
        print(f"The staging OU has {staging or 'no accounts'}, production {prod or 'none'}")
        return 1
    share_group(sm, group, group_arn, staging + prod)
    package = newest_approved(sm, group)
    if package is None:
        print(f"No approved model package in {group}: nothing to deploy")
        return 1
    print(f"Deploying {package}")
    for stage in STAGES:
        with open(f"{stage}-parameters.json", "w", encoding="utf-8") as out:
            json.dump(parameters(args, package, stage), out, indent=2)
    deployment = {
        "ModelPackageArn": package,
        "StagingEndpointName": f"{args.project_name}-staging",
        "StagingRoleName": args.staging_role,
        "StagingAccounts": staging,
        "ProdEndpointName": f"{args.project_name}-prod",
        "ProdAccounts": prod,
    }
    with open("deployment.json", "w", encoding="utf-8") as out:
        json.dump(deployment, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
