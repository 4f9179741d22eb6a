"""The engine with the stack set action: staging OU, a person's approval, production OU."""

from __future__ import annotations

from typing import Any

from tests.cloudformation.pipeline_setup import log_template
from tests.cloudformation.sets import Organization
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
from tests.support import LiveServer


def deploy_to(unit: str, name: str, region: str, retention: str) -> dict[str, Any]:
    """A Deploy/AWS/CloudFormationStackSet action into one OU."""
    return {
        "name": name,
        "actionTypeId": {
            "category": "Deploy",
            "owner": "AWS",
            "provider": "CloudFormationStackSet",
            "version": "1",
        },
        "configuration": {
            "StackSetName": f"model-{name.lower()}",
            "TemplatePath": "SourceArtifact::template.json",
            "PermissionModel": "SERVICE_MANAGED",
            "OrganizationsAutoDeployment": "Enabled",
            "DeploymentTargets": unit,
            "Regions": region,
            "Parameters": f"ParameterKey=Retention,ParameterValue={retention}",
        },
        "inputArtifacts": [{"name": "SourceArtifact"}],
    }


def groups(server: LiveServer, account: str) -> dict[str, int]:
    found = server.client("logs", account).describe_log_groups()["logGroups"]
    return {g["logGroupName"]: g.get("retentionInDays", 0) for g in found}


def test_staging_then_approval_then_production(server_on_each_database: LiveServer) -> None:
    server = server_on_each_database
    home, region = server.first_account_id(), server.settings.region
    org = Organization(server, home)
    staging, prod = org.unit("staging"), org.unit("prod")
    staging_account = org.account("staging-one", staging)
    prod_account = org.account("prod-one", prod)
    org.trust_stack_sets()
    role = make_role(server)
    versioned_bucket(server, "artifacts")
    s3 = versioned_bucket(server, "source")
    template = log_template(name="model-${AWS::AccountId}")
    s3.put_object(Bucket="source", Key="app.zip", Body=zipped({"template.json": template}))
    cp = server.client("codepipeline")
    cp.create_pipeline(
        pipeline=declaration(
            role,
            [
                {"name": "Source", "actions": [s3_source()]},
                {"name": "DeployStaging", "actions": [deploy_to(staging, "Staging", region, "3")]},
                {"name": "Approval", "actions": [approval()]},
                {"name": "DeployProd", "actions": [deploy_to(prod, "Prod", region, "14")]},
            ],
        )
    )
    first = first_execution(cp, "pipe")
    token = waiting_token(cp, "pipe", first)
    # Staging has its endpoint stand-in; production has nothing until the approval.
    assert groups(server, staging_account) == {f"model-{staging_account}": 3}
    assert groups(server, prod_account) == {}
    approve(cp, "pipe", token)
    wait_status(cp, "pipe", first, "Succeeded", timeout=90)
    assert groups(server, prod_account) == {f"model-{prod_account}": 14}
    cfn = server.client("cloudformation")
    for name, unit in (("model-staging", staging), ("model-prod", prod)):
        operations = cfn.list_stack_set_operations(StackSetName=name)["Summaries"]
        # One operation each: the set was created with its instances once.
        assert [(o["Action"], o["Status"]) for o in operations] == [("CREATE", "SUCCEEDED")]
        (instance,) = cfn.list_stack_instances(StackSetName=name)["Summaries"]
        assert (instance["OrganizationalUnitId"], instance["Status"]) == (unit, "CURRENT")
    details = {
        d["actionName"]: d
        for d in cp.list_action_executions(pipelineName="pipe")["actionExecutionDetails"]
    }
    assert details["Staging"]["status"] == "Succeeded"
    assert details["Staging"]["input"]["resolvedConfiguration"]["DeploymentTargets"] == staging
