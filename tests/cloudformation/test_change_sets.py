"""Change sets through boto3: what a template would change, then executing it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cloudformation.test_stacks import group, log_groups, settled, template
from tests.support import LiveServer


def changes(cfn: Any, name: str, stack: str) -> dict[str, dict[str, Any]]:
    found = cfn.describe_change_set(ChangeSetName=name, StackName=stack)["Changes"]
    return {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in found}


def test_create_review_execute(server: LiveServer) -> None:
    cfn = server.client("cloudformation")
    body = template({"Builds": group(RetentionInDays=7)})
    made = cfn.create_change_set(
        StackName="cs", ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=body
    )
    cfn.get_waiter("change_set_create_complete").wait(
        ChangeSetName=made["Id"], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    stack = cfn.describe_stacks(StackName="cs")["Stacks"][0]
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    assert changes(cfn, "first", "cs") == {
        "Builds": {
            "Action": "Add",
            "LogicalResourceId": "Builds",
            "ResourceType": "AWS::Logs::LogGroup",
            "Scope": [],
            "Details": [],
        }
    }
    described = cfn.describe_change_set(ChangeSetName=made["Id"])
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert log_groups(server) == {}  # nothing is made before it runs
    cfn.execute_change_set(ChangeSetName="first", StackName="cs")
    assert settled(cfn, "cs")["StackStatus"] == "CREATE_COMPLETE"
    assert len(log_groups(server, "cs-Builds-")) == 1
    with pytest.raises(ClientError) as caught:
        cfn.execute_change_set(ChangeSetName=made["Id"])
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidChangeSetStatus"
    assert error["Message"] == (
        f"ChangeSet [{made['Id']}] cannot be executed in its current status of [CREATE_COMPLETE]"
    )


def test_update_changes_and_an_empty_change_set(server: LiveServer) -> None:
    cfn = server.client("cloudformation")
    first = {
        "Kept": group(RetentionInDays=7),
        "Renamed": group(LogGroupName="cs-old"),
        "Dropped": group(),
        "Same": group(),
    }
    cfn.create_stack(StackName="cs", TemplateBody=template(first))
    settled(cfn, "cs")
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="cs")["StackResourceSummaries"]
    }
    second = {
        "Kept": group(RetentionInDays=14),
        "Renamed": group(LogGroupName="cs-new"),
        "Same": group(),
        "Added": group(),
    }
    cfn.create_change_set(StackName="cs", ChangeSetName="second", TemplateBody=template(second))
    found = changes(cfn, "second", "cs")
    assert set(found) == {"Kept", "Renamed", "Dropped", "Added"}
    assert found["Kept"]["Action"] == "Modify"
    assert found["Kept"]["Replacement"] == "False"
    assert found["Kept"]["PhysicalResourceId"] == physical["Kept"]
    assert found["Kept"]["Details"] == [
        {
            "Target": {
                "Attribute": "Properties",
                "Name": "RetentionInDays",
                "RequiresRecreation": "Never",
            },
            "Evaluation": "Static",
            "ChangeSource": "DirectModification",
        }
    ]
    assert (found["Renamed"]["Action"], found["Renamed"]["Replacement"]) == ("Modify", "True")
    assert found["Renamed"]["Details"][0]["Target"]["RequiresRecreation"] == "Always"
    assert found["Dropped"]["Action"] == "Remove"
    assert found["Added"]["Action"] == "Add"
    summaries = cfn.list_change_sets(StackName="cs")["Summaries"]
    assert [(s["ChangeSetName"], s["Status"]) for s in summaries] == [("second", "CREATE_COMPLETE")]

    cfn.create_change_set(StackName="cs", ChangeSetName="same", TemplateBody=template(first))
    cfn.delete_change_set(ChangeSetName="same", StackName="cs")
    cfn.execute_change_set(ChangeSetName="second", StackName="cs")
    assert settled(cfn, "cs")["StackStatus"] == "UPDATE_COMPLETE"
    assert set(log_groups(server)) >= {"cs-new", physical["Kept"]}
    # The executed change set stays; the others went, no longer valid for the stack.
    listed = cfn.list_change_sets(StackName="cs")["Summaries"]
    assert [(s["ChangeSetName"], s["ExecutionStatus"]) for s in listed] == [
        ("second", "EXECUTE_COMPLETE")
    ]

    cfn.create_change_set(StackName="cs", ChangeSetName="none", TemplateBody=template(second))
    empty = cfn.describe_change_set(ChangeSetName="none", StackName="cs")
    assert (empty["Status"], empty["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert empty["StatusReason"] == (
        "The submitted information didn't contain changes. Submit different information to "
        "create a change set."
    )
    assert empty["Changes"] == []
    with pytest.raises(ClientError) as caught:
        cfn.create_change_set(StackName="cs", ChangeSetName="none", TemplateBody=template(second))
    assert caught.value.response["Error"]["Code"] == "AlreadyExistsException"
    with pytest.raises(ClientError) as caught:
        cfn.describe_change_set(ChangeSetName="missing", StackName="cs")
    assert caught.value.response["Error"]["Code"] == "ChangeSetNotFound"
    assert caught.value.response["Error"]["Message"] == "ChangeSet [missing] does not exist"


def test_a_change_that_depends_on_a_new_resource_is_conditional(server: LiveServer) -> None:
    cfn = server.client("cloudformation")
    cfn.create_stack(StackName="cond", TemplateBody=template({"A": group()}))
    settled(cfn, "cond")
    second = {
        "New": group(),
        "A": group(LogGroupName={"Fn::Sub": "${New}-child"}),
    }
    cfn.create_change_set(
        StackName="cond", ChangeSetName="c", TemplateBody=json.dumps({"Resources": second})
    )
    found = changes(cfn, "c", "cond")
    assert found["New"]["Action"] == "Add"
    assert (found["A"]["Action"], found["A"]["Replacement"]) == ("Modify", "Conditional")
    assert found["A"]["Details"][0]["Evaluation"] == "Dynamic"
