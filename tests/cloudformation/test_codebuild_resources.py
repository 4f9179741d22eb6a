"""AWS::CodeBuild::Project, through its provider as the stack's principal, and in a stack."""

from __future__ import annotations

import json

import pytest

from airlock.core.errors import ServiceError
from tests.cloudformation.providers import provision
from tests.codebuild.test_builds_api import finished, log_text
from tests.codebuild.test_projects_api import BUILDSPEC, make_role
from tests.support import LiveServer, service_trust, wait_for


def _props(role: str) -> dict[str, object]:
    return {
        "Source": {"Type": "NO_SOURCE", "BuildSpec": BUILDSPEC},
        "Artifacts": {"Type": "NO_ARTIFACTS"},
        "Environment": {
            "Type": "LINUX_CONTAINER",
            "Image": "aws/codebuild/standard:7.0",
            "ComputeType": "BUILD_GENERAL1_SMALL",
            "PrivilegedMode": "false",
            "EnvironmentVariables": [{"Name": "STAGE", "Value": "staging", "Type": "PLAINTEXT"}],
        },
        "ServiceRole": role,
        "TimeoutInMinutes": "15",
        "LogsConfig": {"CloudWatchLogs": {"Status": "ENABLED", "GroupName": "/builds/iris"}},
        "Tags": [{"Key": "team", "Value": "ml"}],
    }


def test_project_lifecycle(server: LiveServer, account_id: str, region: str) -> None:
    role = make_role(server)
    cb = server.client("codebuild")
    made = provision(
        server,
        account_id,
        "AWS::CodeBuild::Project",
        _props(role),
        logical_id="Build",
        stack_name="iris",
    )
    name = made.physical_id
    assert name.startswith("iris-Build-")
    assert made.attributes == {
        "Ref": name,
        "Arn": f"arn:aws:codebuild:{region}:{account_id}:project/{name}",
    }
    [project] = cb.batch_get_projects(names=[name])["projects"]
    assert project["timeoutInMinutes"] == 15
    assert project["environment"]["privilegedMode"] is False
    assert project["environment"]["environmentVariables"] == [
        {"name": "STAGE", "value": "staging", "type": "PLAINTEXT"}
    ]
    assert {"key": "team", "value": "ml"} in project["tags"]
    assert project["logsConfig"]["cloudWatchLogs"]["groupName"] == "/builds/iris"
    build = finished(cb, cb.start_build(projectName=name)["build"]["id"])
    assert build["buildStatus"] == "SUCCEEDED"
    assert build["logs"]["groupName"] == "/builds/iris"
    assert "hi" in log_text(server, build).splitlines()
    made.update({**_props(role), "TimeoutInMinutes": 30, "Description": "renders templates"})
    [project] = cb.batch_get_projects(names=[name])["projects"]
    assert (project["timeoutInMinutes"], project["description"]) == (30, "renders templates")
    made.delete()
    assert cb.batch_get_projects(names=[name])["projectsNotFound"] == [name]
    made.delete()  # already gone: still deleted


def test_a_project_in_a_stack(server: LiveServer, account_id: str, region: str) -> None:
    cfn = server.client("cloudformation")
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": json.loads(service_trust("codebuild.amazonaws.com"))
                },
            },
            "Build": {
                "Type": "AWS::CodeBuild::Project",
                "Properties": {
                    "Name": "render",
                    "Source": {"Type": "NO_SOURCE", "BuildSpec": BUILDSPEC},
                    "Artifacts": {"Type": "NO_ARTIFACTS"},
                    "Environment": {
                        "Type": "LINUX_CONTAINER",
                        "Image": "aws/codebuild/standard:7.0",
                        "ComputeType": "BUILD_GENERAL1_SMALL",
                    },
                    "ServiceRole": {"Fn::GetAtt": ["Role", "Arn"]},
                },
            },
        },
        "Outputs": {
            "Name": {"Value": {"Ref": "Build"}},
            "Arn": {"Value": {"Fn::GetAtt": ["Build", "Arn"]}},
        },
    }
    cfn.create_stack(
        StackName="builds", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"]
    )

    def over() -> dict[str, object] | None:
        stack = cfn.describe_stacks(StackName="builds")["Stacks"][0]
        return None if str(stack["StackStatus"]).endswith("_IN_PROGRESS") else stack

    stack = wait_for(over, what="the stack")
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}  # type: ignore[attr-defined]
    assert outputs == {
        "Name": "render",
        "Arn": f"arn:aws:codebuild:{region}:{account_id}:project/render",
    }


def test_a_bad_project_fails(server: LiveServer, account_id: str) -> None:
    role = make_role(server)
    props = _props(role)
    props["Source"] = {"Type": "S3", "Location": "no-key"}
    with pytest.raises(ServiceError) as caught:
        provision(server, account_id, "AWS::CodeBuild::Project", props)
    assert caught.value.code == "InvalidInputException"
    assert caught.value.message == (
        "Invalid input: source.location must be <bucket>/<object key> of a zip for source type "
        "S3, not 'no-key'"
    )
