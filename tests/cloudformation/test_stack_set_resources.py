"""`AWS::CloudFormation::StackSet` in a template: the set and its instances with the stack,
gone with it."""

from __future__ import annotations

import json
from typing import Any

from tests.cloudformation.sets import (
    Organization,
    admin_role,
    client_in,
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


OTHER_REGION = "us-west-2"


def set_template(groups: list[dict[str, Any]], **props: Any) -> str:
    """A stack of one stack set of a log group, with these instances groups."""
    return json.dumps(
        {
            "Resources": {
                "Set": {
                    "Type": "AWS::CloudFormation::StackSet",
                    "Properties": {
                        "StackSetName": "groups",
                        "PermissionModel": "SELF_MANAGED",
                        "TemplateBody": log_group_template(),
                        "StackInstancesGroup": groups,
                        **props,
                    },
                }
            }
        }
    )


def group(accounts: list[str], regions: list[str]) -> dict[str, Any]:
    return {"DeploymentTargets": {"Accounts": accounts}, "Regions": regions}


def deployed(server: LiveServer, cfn: Any, template: str, *, create: bool = False) -> None:
    """The stack made or updated to the template, and done."""
    if create:
        cfn.create_stack(StackName="groups", TemplateBody=template)
    else:
        cfn.update_stack(StackName="groups", TemplateBody=template)
    stack = settled(cfn, "groups", timeout=120)
    expected = "CREATE_COMPLETE" if create else "UPDATE_COMPLETE"
    assert stack["StackStatus"] == expected, stack.get("StackStatusReason")


def deleted_stacks(server: LiveServer, account: str, region: str) -> list[str]:
    """The stack set's stacks an account has deleted in a region."""
    found = client_in(server, "cloudformation", account, region).list_stacks(
        StackStatusFilter=["DELETE_COMPLETE"]
    )["StackSummaries"]
    return [s["StackName"] for s in found if s["StackName"].startswith("StackSet-groups-")]


def test_a_stack_update_adds_and_removes_instances_as_the_groups_say(
    server: LiveServer, account_id: str, region: str
) -> None:
    admin_role(server, account_id)
    one, two, three = (server.create_account(n) for n in ("one", "two", "three"))
    for target in (one, two, three):
        execution_role(server, target, f"arn:aws:iam::{account_id}:root")
    cfn = server.client("cloudformation")
    first = [group([one, two], [region]), group([three], [region, OTHER_REGION])]
    deployed(server, cfn, set_template(first), create=True)
    assert {k: i["Status"] for k, i in instances(cfn, "groups").items()} == {
        (one, region): "CURRENT",
        (two, region): "CURRENT",
        (three, region): "CURRENT",
        (three, OTHER_REGION): "CURRENT",
    }

    # An account out of the first group, the second group gone, a region added to the
    # first: the instances follow, and nothing else is touched.
    kept = stack_sets_stacks(server, one, "groups")[0]["StackId"]
    deployed(server, cfn, set_template([group([one], [region, OTHER_REGION])]))
    assert {k: i["Status"] for k, i in instances(cfn, "groups").items()} == {
        (one, region): "CURRENT",
        (one, OTHER_REGION): "CURRENT",
    }
    assert [s["StackId"] for s in stack_sets_stacks(server, one, "groups")] == [kept]
    for gone in (two, three):
        assert stack_sets_stacks(server, gone, "groups") == []
        assert log_group_names(server, gone) == set()
    for where in (region, OTHER_REGION):  # both regions' stacks
        assert len(deleted_stacks(server, three, where)) == 1
    listed = cfn.list_stack_set_operations(StackSetName="groups")["Summaries"]
    deletes = [o for o in listed if o["Action"] == "DELETE"]
    assert len(deletes) == 2 and {o["Status"] for o in deletes} == {"SUCCEEDED"}

    # Back to the first groups: what an earlier update did is asked for again and done.
    deployed(server, cfn, set_template(first))
    assert set(instances(cfn, "groups")) == {
        (one, region),
        (two, region),
        (three, region),
        (three, OTHER_REGION),
    }
    assert {i["Status"] for i in instances(cfn, "groups").values()} == {"CURRENT"}
    for target in (two, three):
        (stack,) = stack_sets_stacks(server, target, "groups")
        assert f"{stack['StackName']}-logs" in log_group_names(server, target)

    cfn.delete_stack(StackName="groups")
    cfn.get_waiter("stack_delete_complete").wait(
        StackName="groups", WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    for target in (one, two, three):
        assert stack_sets_stacks(server, target, "groups") == []


def test_a_stack_update_takes_an_ou_out_of_a_service_managed_set(
    server: LiveServer, account_id: str, region: str
) -> None:
    org = Organization(server, account_id)
    staging, production = org.unit("staging"), org.unit("production")
    stage_account = org.account("stage", staging)
    prod_account = org.account("prod", production)
    org.trust_stack_sets()
    cfn = server.client("cloudformation")

    def template(units: list[str]) -> str:
        groups = [{"DeploymentTargets": {"OrganizationalUnitIds": units}, "Regions": [region]}]
        return set_template(
            groups,
            PermissionModel="SERVICE_MANAGED",
            AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
        )

    deployed(server, cfn, template([staging, production]), create=True)
    assert {k: i["OrganizationalUnitId"] for k, i in instances(cfn, "groups").items()} == {
        (stage_account, region): staging,
        (prod_account, region): production,
    }
    deployed(server, cfn, template([staging]))
    assert set(instances(cfn, "groups")) == {(stage_account, region)}
    assert stack_sets_stacks(server, prod_account, "groups") == []
    targets = cfn.list_stack_set_auto_deployment_targets(StackSetName="groups")["Summaries"]
    assert targets == [{"OrganizationalUnitId": staging, "Regions": [region]}]
    # The OU back: all its accounts, one that joined it meanwhile too.
    late = org.account("late", production)
    deployed(server, cfn, template([staging, production]))
    assert set(instances(cfn, "groups")) == {
        (stage_account, region),
        (prod_account, region),
        (late, region),
    }
