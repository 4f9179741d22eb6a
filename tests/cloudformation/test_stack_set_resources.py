"""`AWS::CloudFormation::StackSet` in a template: the set and its instances with the stack,
gone with it."""

from __future__ import annotations

import json

from tests.cloudformation.sets import (
    admin_role,
    execution_role,
    instances,
    log_group_names,
    log_group_template,
    stack_sets_stacks,
)
from tests.cloudformation.test_stacks import settled
from tests.support import LiveServer


def test_a_stack_set_resource_deploys_its_instances_and_takes_them_away(
    server: LiveServer, account_id: str, region: str
) -> None:
    admin_role(server, account_id)
    targets = [server.create_account("one"), server.create_account("two")]
    for target in targets:
        execution_role(server, target, f"arn:aws:iam::{account_id}:root")
    body = json.dumps(
        {
            "Parameters": {"Accounts": {"Type": "CommaDelimitedList"}},
            "Resources": {
                "Set": {
                    "Type": "AWS::CloudFormation::StackSet",
                    "Properties": {
                        "StackSetName": "from-template",
                        "PermissionModel": "SELF_MANAGED",
                        "TemplateBody": log_group_template(),
                        "Parameters": [{"ParameterKey": "Retention", "ParameterValue": "3"}],
                        "OperationPreferences": {"MaxConcurrentCount": 2},
                        "StackInstancesGroup": [
                            {
                                "DeploymentTargets": {"Accounts": {"Ref": "Accounts"}},
                                "Regions": [{"Ref": "AWS::Region"}],
                            }
                        ],
                    },
                }
            },
            "Outputs": {"SetId": {"Value": {"Fn::GetAtt": ["Set", "StackSetId"]}}},
        }
    )
    cfn = server.client("cloudformation")
    cfn.create_stack(
        StackName="sets",
        TemplateBody=body,
        Parameters=[{"ParameterKey": "Accounts", "ParameterValue": ",".join(targets)}],
    )
    stack = settled(cfn, "sets", timeout=90)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    set_id = stack["Outputs"][0]["OutputValue"]
    assert set_id.startswith("from-template:")
    assert {k: i["Status"] for k, i in instances(cfn, "from-template").items()} == {
        (t, region): "CURRENT" for t in targets
    }
    for target in targets:
        made = stack_sets_stacks(server, target, "from-template")
        assert len(made) == 1 and f"{made[0]['StackName']}-logs" in log_group_names(server, target)

    cfn.delete_stack(StackName="sets")
    cfn.get_waiter("stack_delete_complete").wait(
        StackName=stack["StackId"], WaiterConfig={"Delay": 1, "MaxAttempts": 90}
    )
    for target in targets:
        assert stack_sets_stacks(server, target, "from-template") == []
        assert log_group_names(server, target) == set()
    assert cfn.describe_stack_set(StackSetName=set_id)["StackSet"]["Status"] == "DELETED"
