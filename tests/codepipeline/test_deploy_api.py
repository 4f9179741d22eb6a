"""The engine with CloudFormation's deploy action: source zip → approval → stack."""

from __future__ import annotations

import json

from tests.cloudformation.pipeline_setup import log_template
from tests.codepipeline.helpers import (
    approval,
    approve,
    declaration,
    first_execution,
    make_role,
    s3_source,
    versioned_bucket,
    wait_status,
    waiting_token,
    zipped,
)
from tests.support import LiveServer, service_trust


def test_source_approval_deploy(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    role = make_role(server)
    iam = server.client("iam")
    stack_role = iam.create_role(
        RoleName="stacks", AssumeRolePolicyDocument=service_trust("cloudformation.amazonaws.com")
    )["Role"]["Arn"]
    iam.attach_role_policy(
        RoleName="stacks", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    versioned_bucket(server, "artifacts")
    s3 = versioned_bucket(server, "source")
    s3.put_object(Bucket="source", Key="app.zip", Body=zipped({"template.json": log_template()}))
    deploy = {
        "name": "Deploy",
        "actionTypeId": {
            "category": "Deploy",
            "owner": "AWS",
            "provider": "CloudFormation",
            "version": "1",
        },
        "configuration": {
            "ActionMode": "CREATE_UPDATE",
            "StackName": "app",
            "TemplatePath": "SourceArtifact::template.json",
            "RoleArn": stack_role,
            "ParameterOverrides": json.dumps({"Retention": "14"}),
        },
        "inputArtifacts": [{"name": "SourceArtifact"}],
        "namespace": "DeployVariables",
    }
    cp = server.client("codepipeline")
    cp.create_pipeline(
        pipeline=declaration(
            role,
            [
                {"name": "Source", "actions": [s3_source()]},
                {"name": "Approval", "actions": [approval()]},
                {"name": "Prod", "actions": [deploy]},
            ],
        )
    )
    first = first_execution(cp, "pipe")
    approve(cp, "pipe", waiting_token(cp, "pipe", first))
    done = wait_status(cp, "pipe", first, "Succeeded", timeout=60)
    assert done["status"] == "Succeeded"
    stack = server.client("cloudformation").describe_stacks(StackName="app")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["Retention"] == "14"
    detail = next(
        d
        for d in cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
        if d["actionName"] == "Deploy"
    )
    assert detail["output"]["outputVariables"]["GroupName"] == "app-logs"
