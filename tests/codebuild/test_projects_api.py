"""CodeBuild projects through boto3 on a live server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import LiveServer, service_trust

BUILDSPEC = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n"


def make_role(server: LiveServer, name: str = "build-role", policy: Any = None) -> str:
    """A role CodeBuild may assume, with an inline policy (everything by default)."""
    iam = server.client("iam")
    arn = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=service_trust("codebuild.amazonaws.com")
    )["Role"]["Arn"]
    document = policy or {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    return str(arn)


def project_args(role: str, name: str = "proj", **extra: Any) -> dict[str, Any]:
    """CreateProject's arguments for a NO_SOURCE project."""
    args: dict[str, Any] = {
        "name": name,
        "source": {"type": "NO_SOURCE", "buildspec": BUILDSPEC},
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        "serviceRole": role,
    }
    args.update(extra)
    return args


def test_project_lifecycle(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    role = make_role(server)
    cb = server.client("codebuild")
    region = server.settings.region
    account = server.first_account_id()
    project = cb.create_project(**project_args(role, description="d"))["project"]
    assert project["arn"] == f"arn:aws:codebuild:{region}:{account}:project/proj"
    assert project["timeoutInMinutes"] == 60
    assert project["queuedTimeoutInMinutes"] == 480
    assert (project["cache"], project["badge"]) == ({"type": "NO_CACHE"}, {"badgeEnabled": False})
    with pytest.raises(ClientError) as error:
        cb.create_project(**project_args(role))
    assert error.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    assert error.value.response["Error"]["Message"] == f"Project already exists: {project['arn']}"
    cache = {"type": "LOCAL", "modes": ["LOCAL_SOURCE_CACHE"]}
    another = cb.create_project(
        **project_args(role, name="another", cache=cache, badgeEnabled=True)
    )["project"]
    assert (another["cache"], another["badge"]) == (cache, {"badgeEnabled": True})
    assert cb.list_projects()["projects"] == ["another", "proj"]
    assert cb.list_projects(sortOrder="DESCENDING")["projects"] == ["proj", "another"]
    updated = cb.update_project(name="proj", timeoutInMinutes=5, description="new")["project"]
    assert (updated["timeoutInMinutes"], updated["description"]) == (5, "new")
    got = cb.batch_get_projects(names=["proj", "missing"])
    assert [p["name"] for p in got["projects"]] == ["proj"]
    assert got["projects"][0]["timeoutInMinutes"] == 5
    assert got["projectsNotFound"] == ["missing"]
    cb.delete_project(name="another")
    assert cb.list_projects()["projects"] == ["proj"]


def test_bad_projects_are_refused(server: LiveServer) -> None:
    role = make_role(server)
    cb = server.client("codebuild")
    cases = [
        (
            project_args(
                role,
                environment={
                    "type": "LINUX_CONTAINER",
                    "image": "aws/codebuild/standard:7.0",
                    "computeType": "BUILD_GENERAL1_SMALL",
                    "environmentVariables": [
                        {"name": "X", "value": "/p", "type": "PARAMETER_STORE"}
                    ],
                },
            ),
            "Invalid input: environmentVariable X is of type PARAMETER_STORE, but Systems "
            "Manager Parameter Store does not exist in Airlock; use a PLAINTEXT variable",
        ),
        (
            project_args(role, source={"type": "S3", "location": "bucket-only"}),
            "Invalid input: source.location must be <bucket>/<object key> of a zip for source "
            "type S3, not 'bucket-only'",
        ),
        (
            project_args(role, serviceRole=role.replace("build-role", "nobody")),
            f"CodeBuild is not authorized to perform: sts:AssumeRole on "
            f"{role.replace('build-role', 'nobody')}: the role must exist and its trust policy "
            "must allow the service principal codebuild.amazonaws.com",
        ),
    ]
    for args, message in cases:
        with pytest.raises(ClientError) as error:
            cb.create_project(**args)
        assert error.value.response["Error"]["Code"] == "InvalidInputException"
        assert error.value.response["Error"]["Message"] == message
    assert cb.list_projects()["projects"] == []
    with pytest.raises(ClientError) as error:
        cb.update_project(name="nope", description="x")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    region, account = server.settings.region, server.first_account_id()
    assert error.value.response["Error"]["Message"] == (
        f"Project cannot be found: arn:aws:codebuild:{region}:{account}:project/nope"
    )


def test_pass_role_is_checked(server: LiveServer) -> None:
    role = make_role(server)
    iam = server.client("iam")
    iam.create_user(UserName="dev")
    iam.put_user_policy(
        UserName="dev",
        PolicyName="p",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "codebuild:*", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    cb = server.client("codebuild", keys=(key["AccessKeyId"], key["SecretAccessKey"]))
    with pytest.raises(ClientError) as error:
        cb.create_project(**project_args(role))
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "iam:PassRole" in error.value.response["Error"]["Message"]
    assert server.client("codebuild").list_projects()["projects"] == []
