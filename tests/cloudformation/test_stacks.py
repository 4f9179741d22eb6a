"""Stacks through boto3: create, update in place and by replacement, rollback, delete."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.events.test_delivery import log_messages
from tests.support import LiveServer, service_trust, wait_for


def template(resources: dict[str, Any], **sections: Any) -> str:
    return json.dumps(
        {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources, **sections}
    )


def group(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::Logs::LogGroup", "Properties": props}


def settled(cfn: Any, name: str, timeout: float = 60) -> dict[str, Any]:
    """The stack once its operation is over."""

    def done() -> dict[str, Any] | None:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        return None if stack["StackStatus"].endswith("_IN_PROGRESS") else stack

    return wait_for(done, timeout=timeout, interval=0.05, what=f"stack {name} to settle")


def statuses(cfn: Any, name: str) -> list[tuple[str, str]]:
    """(logical id, status) of every event, oldest first."""
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events)]


def log_groups(server: LiveServer, prefix: str = "") -> dict[str, Any]:
    request = {"logGroupNamePrefix": prefix} if prefix else {}
    found = server.client("logs").describe_log_groups(**request)["logGroups"]
    return {g["logGroupName"]: g for g in found}


def test_create_describe_and_delete(server: LiveServer, account_id: str, region: str) -> None:
    cfn = server.client("cloudformation")
    body = template(
        {
            "Builds": group(RetentionInDays=7),
            "Named": group(LogGroupName={"Fn::Sub": "${AWS::StackName}-named"}),
        },
        Description="two log groups",
        Parameters={"Team": {"Type": "String", "Default": "ml"}},
        Outputs={
            "BuildsArn": {"Value": {"Fn::GetAtt": ["Builds", "Arn"]}},
            "NamedName": {
                "Value": {"Ref": "Named"},
                "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-logs"}},
            },
        },
    )
    stack_id = cfn.create_stack(
        StackName="logs", TemplateBody=body, Tags=[{"Key": "project", "Value": "iris"}]
    )["StackId"]
    assert stack_id.startswith(f"arn:aws:cloudformation:{region}:{account_id}:stack/logs/")
    cfn.get_waiter("stack_create_complete").wait(
        StackName="logs", WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    stack = cfn.describe_stacks(StackName="logs")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Description"] == "two log groups"
    assert stack["Parameters"] == [{"ParameterKey": "Team", "ParameterValue": "ml"}]
    outputs = {o["OutputKey"]: o for o in stack["Outputs"]}
    assert outputs["NamedName"]["OutputValue"] == "logs-named"
    assert outputs["NamedName"]["ExportName"] == "logs-logs"
    resources = {
        r["LogicalResourceId"]: r
        for r in cfn.list_stack_resources(StackName="logs")["StackResourceSummaries"]
    }
    builds = resources["Builds"]["PhysicalResourceId"]
    assert builds.startswith("logs-Builds-")
    assert outputs["BuildsArn"]["OutputValue"] == (
        f"arn:aws:logs:{region}:{account_id}:log-group:{builds}:*"
    )
    groups = log_groups(server)
    assert groups[builds]["retentionInDays"] == 7 and "logs-named" in groups
    tags = server.client("logs").list_tags_for_resource(
        resourceArn=groups[builds]["arn"].removesuffix(":*")
    )["tags"]
    assert tags == {"project": "iris"}
    assert cfn.list_exports()["Exports"] == [
        {"ExportingStackId": stack_id, "Name": "logs-logs", "Value": "logs-named"}
    ]
    events = statuses(cfn, "logs")
    assert events[0] == ("logs", "CREATE_IN_PROGRESS")
    assert events[-1] == ("logs", "CREATE_COMPLETE")
    assert events.count(("Builds", "CREATE_IN_PROGRESS")) == 2  # then "Resource creation Initiated"
    assert ("Builds", "CREATE_COMPLETE") in events
    # botocore hands a JSON template back decoded.
    assert cfn.get_template(StackName="logs")["TemplateBody"] == json.loads(body)

    cfn.delete_stack(StackName="logs")
    cfn.get_waiter("stack_delete_complete").wait(
        StackName=stack_id, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    assert log_groups(server) == {}
    assert cfn.list_exports()["Exports"] == []
    with pytest.raises(ClientError) as caught:
        cfn.describe_stacks(StackName="logs")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["Error"]["Message"] == "Stack with id logs does not exist"
    deleted = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
    assert deleted["StackStatus"] == "DELETE_COMPLETE"
    summaries = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert [s["StackId"] for s in summaries] == [stack_id]


def test_a_failed_create_rolls_back_and_leaves_nothing(server: LiveServer) -> None:
    server.client("logs").create_log_group(logGroupName="taken")
    cfn = server.client("cloudformation")
    body = template(
        {"First": group(), "Second": group(LogGroupName="taken", RetentionInDays=1)},
    )
    body_dict = json.loads(body)
    body_dict["Resources"]["Second"]["DependsOn"] = "First"
    cfn.create_stack(StackName="broken", TemplateBody=json.dumps(body_dict))
    stack = settled(cfn, "broken")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName="broken")["StackEvents"]
    [rollback] = [e for e in events if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS"]
    assert rollback["ResourceStatusReason"] == (
        "The following resource(s) failed to create: [Second]. Rollback requested by user."
    )
    [failed] = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed["LogicalResourceId"] == "Second"
    reason = failed["ResourceStatusReason"]
    assert "The specified log group already exists" in reason
    assert "Operation: CreateLogGroup" in reason and "HandlerErrorCode: AlreadyExists" in reason
    assert set(log_groups(server)) == {"taken"}
    assert ("First", "DELETE_COMPLETE") in statuses(cfn, "broken")
    with pytest.raises(ClientError) as caught:
        cfn.update_stack(StackName="broken", TemplateBody=template({"First": group()}))
    assert caught.value.response["Error"]["Message"].endswith(
        "is in ROLLBACK_COMPLETE state and can not be updated."
    )
    cfn.delete_stack(StackName="broken")
    assert settled(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert set(log_groups(server)) == {"taken"}


def test_on_failure_do_nothing_keeps_what_was_made(server: LiveServer) -> None:
    server.client("logs").create_log_group(logGroupName="taken")
    cfn = server.client("cloudformation")
    body = json.loads(template({"First": group(), "Second": group(LogGroupName="taken")}))
    body["Resources"]["Second"]["DependsOn"] = "First"
    cfn.create_stack(StackName="kept", TemplateBody=json.dumps(body), OnFailure="DO_NOTHING")
    assert settled(cfn, "kept")["StackStatus"] == "CREATE_FAILED"
    assert len(log_groups(server, "kept-First-")) == 1


def test_updates_in_place_by_replacement_and_removal(server: LiveServer) -> None:
    cfn = server.client("cloudformation")
    first = {
        "Kept": group(RetentionInDays=7),
        "Renamed": group(LogGroupName="old-name"),
        "Dropped": group(),
        "Retained": {**group(), "DeletionPolicy": "Retain"},
    }
    cfn.create_stack(StackName="upd", TemplateBody=template(first))
    assert settled(cfn, "upd")["StackStatus"] == "CREATE_COMPLETE"
    before = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="upd")["StackResourceSummaries"]
    }
    second = {
        "Kept": group(RetentionInDays=14),
        "Renamed": group(LogGroupName="new-name"),
        "Added": group(),
    }
    cfn.update_stack(StackName="upd", TemplateBody=template(second))
    cfn.get_waiter("stack_update_complete").wait(
        StackName="upd", WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    after = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="upd")["StackResourceSummaries"]
    }
    assert set(after) == {"Kept", "Renamed", "Added"}
    assert after["Kept"] == before["Kept"]
    groups = log_groups(server)
    assert groups[before["Kept"]]["retentionInDays"] == 14  # in place
    assert "new-name" in groups and "old-name" not in groups  # replaced
    assert before["Dropped"] not in groups  # removed in cleanup
    assert before["Retained"] in groups  # its DeletionPolicy keeps it
    events = statuses(cfn, "upd")
    tail = events[events.index(("upd", "UPDATE_IN_PROGRESS")) :]
    assert ("upd", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") in tail
    assert tail[-1] == ("upd", "UPDATE_COMPLETE")
    assert ("Retained", "DELETE_SKIPPED") in tail
    assert ("Renamed", "DELETE_COMPLETE") in tail
    with pytest.raises(ClientError) as caught:
        cfn.update_stack(StackName="upd", TemplateBody=template(second))
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ValidationError",
        "No updates are to be performed.",
    )


def test_a_failed_update_rolls_back(server: LiveServer) -> None:
    server.client("logs").create_log_group(logGroupName="taken")
    cfn = server.client("cloudformation")
    cfn.create_stack(StackName="rb", TemplateBody=template({"Kept": group(RetentionInDays=7)}))
    assert settled(cfn, "rb")["StackStatus"] == "CREATE_COMPLETE"
    [kept] = [
        r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="rb")["StackResourceSummaries"]
    ]
    bad = json.loads(
        template({"Kept": group(RetentionInDays=30), "Clash": group(LogGroupName="taken")})
    )
    bad["Resources"]["Clash"]["DependsOn"] = "Kept"
    cfn.update_stack(StackName="rb", TemplateBody=json.dumps(bad))
    stack = settled(cfn, "rb")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName="rb")["StackEvents"]
    [rollback] = [e for e in events if e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS"]
    assert rollback["ResourceStatusReason"] == (
        "The following resource(s) failed to create: [Clash]. "
    )
    assert log_groups(server)[kept]["retentionInDays"] == 7  # put back as it was
    assert set(log_groups(server)) == {kept, "taken"}
    assert cfn.get_template(StackName="rb")["TemplateBody"] == json.loads(
        template({"Kept": group(RetentionInDays=7)})
    )
    events = statuses(cfn, "rb")
    assert ("rb", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS") in events
    # The stack can be updated again after its rollback.
    cfn.update_stack(StackName="rb", TemplateBody=template({"Kept": group(RetentionInDays=1)}))
    assert settled(cfn, "rb")["StackStatus"] == "UPDATE_COMPLETE"


def test_bad_input_is_refused_and_changes_nothing(server: LiveServer) -> None:
    cfn = server.client("cloudformation")

    def refused(**request: Any) -> tuple[str, str]:
        with pytest.raises(ClientError) as caught:
            cfn.create_stack(**request)
        error = caught.value.response["Error"]
        return error["Code"], error["Message"]

    assert refused(StackName="x", TemplateBody=template({"Q": {"Type": "AWS::SQS::Queue"}})) == (
        "ValidationError",
        "Template format error: Unrecognized resource types: [AWS::SQS::Queue]",
    )
    needs = json.dumps({"Parameters": {"Env": {"Type": "String"}}, "Resources": {"G": group()}})
    assert refused(StackName="x", TemplateBody=needs) == (
        "ValidationError",
        "Parameters: [Env] must have values",
    )
    assert refused(StackName="x") == (
        "ValidationError",
        "Either Template URL or Template Body must be specified.",
    )
    assert refused(StackName="1bad", TemplateBody=template({"G": group()}))[0] == "ValidationError"
    cfn.create_stack(StackName="x", TemplateBody=template({"G": group()}))
    assert refused(StackName="x", TemplateBody=template({"G": group()})) == (
        "AlreadyExistsException",
        "Stack [x] already exists",
    )
    assert [s["StackName"] for s in cfn.list_stacks()["StackSummaries"]] == ["x"]
    with pytest.raises(ClientError) as caught:
        cfn.get_template()
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ValidationError",
        "Either StackName or ChangeSetName must be specified.",
    )


def test_client_request_token_makes_create_idempotent(server: LiveServer) -> None:
    cfn = server.client("cloudformation")
    body = template({"G": group()})
    first = cfn.create_stack(StackName="t", TemplateBody=body, ClientRequestToken="tok-1")
    again = cfn.create_stack(StackName="t", TemplateBody=body, ClientRequestToken="tok-1")
    assert first["StackId"] == again["StackId"]
    settled(cfn, "t")
    assert len(log_groups(server, "t-G-")) == 1


def test_termination_protection_and_exports_in_use(server: LiveServer) -> None:
    cfn = server.client("cloudformation")
    exporter = template(
        {"G": group()},
        Outputs={"Name": {"Value": {"Ref": "G"}, "Export": {"Name": "shared-group"}}},
    )
    exporter_id = cfn.create_stack(
        StackName="exporter", TemplateBody=exporter, EnableTerminationProtection=True
    )["StackId"]
    settled(cfn, "exporter")
    importer = template(
        {
            "H": group(
                LogGroupName={
                    "Fn::Sub": ["${Name}-child", {"Name": {"Fn::ImportValue": "shared-group"}}]
                }
            )
        }
    )
    importer_id = cfn.create_stack(StackName="importer", TemplateBody=importer)["StackId"]
    assert settled(cfn, "importer")["StackStatus"] == "CREATE_COMPLETE"
    assert cfn.list_imports(ExportName="shared-group")["Imports"] == ["importer"]
    with pytest.raises(ClientError) as caught:
        cfn.delete_stack(StackName="exporter")
    assert caught.value.response["Error"]["Message"] == (
        "Stack [exporter] cannot be deleted while TerminationProtection is enabled"
    )
    cfn.update_termination_protection(StackName="exporter", EnableTerminationProtection=False)
    with pytest.raises(ClientError) as caught:
        cfn.delete_stack(StackName="exporter")
    assert caught.value.response["Error"]["Message"] == (
        "Export shared-group cannot be deleted as it is in use by importer"
    )
    cfn.delete_stack(StackName="importer")
    settled(cfn, importer_id)
    cfn.delete_stack(StackName="exporter")
    assert settled(cfn, exporter_id)["StackStatus"] == "DELETE_COMPLETE"


def test_status_changes_are_events_on_the_default_bus(server: LiveServer, account_id: str) -> None:
    events, logs = server.client("events"), server.client("logs")
    logs.create_log_group(logGroupName="/stack-events")
    events.put_rule(
        Name="stacks",
        EventPattern=json.dumps(
            {
                "source": ["aws.cloudformation"],
                "detail-type": [
                    "CloudFormation Stack Status Change",
                    "CloudFormation Resource Status Change",
                ],
            }
        ),
    )
    arn = f"arn:aws:logs:us-east-1:{account_id}:log-group:/stack-events"
    events.put_targets(Rule="stacks", Targets=[{"Id": "log", "Arn": arn}])
    cfn = server.client("cloudformation")
    stack_id = cfn.create_stack(StackName="ev", TemplateBody=template({"G": group()}))["StackId"]
    settled(cfn, "ev")

    def delivered() -> list[dict[str, Any]] | None:
        found = [json.loads(m) for m in log_messages(logs, "/stack-events")]
        done = any(
            e["detail"]["status-details"]["status"] == "CREATE_COMPLETE"
            and "logical-resource-id" not in e["detail"]
            for e in found
        )
        return found if done else None

    found = wait_for(delivered, timeout=30, what="the stack's events to be delivered")
    kinds = {(e["detail-type"], e["detail"]["status-details"]["status"]) for e in found}
    assert ("CloudFormation Stack Status Change", "CREATE_IN_PROGRESS") in kinds
    assert ("CloudFormation Resource Status Change", "CREATE_COMPLETE") in kinds
    resource = next(e for e in found if e["detail"].get("logical-resource-id") == "G")
    assert resource["detail"]["stack-id"] == stack_id
    assert resource["detail"]["resource-type"] == "AWS::Logs::LogGroup"
    assert resource["resources"] == [stack_id]
    assert resource["source"] == "aws.cloudformation"


def test_a_replacement_gets_a_name_of_its_own(server: LiveServer) -> None:
    # A generated name is stable for a resource (a create repeated after a crash asks for
    # the same one), but the resource that replaces it must not ask for its name again.
    cfn, iam = server.client("cloudformation"), server.client("iam")

    def role(path: str) -> str:
        props = {"AssumeRolePolicyDocument": service_trust("lambda.amazonaws.com"), "Path": path}
        return template({"Worker": {"Type": "AWS::IAM::Role", "Properties": props}})

    cfn.create_stack(StackName="rep", TemplateBody=role("/a/"), Capabilities=["CAPABILITY_IAM"])
    assert settled(cfn, "rep")["StackStatus"] == "CREATE_COMPLETE"
    before = cfn.describe_stack_resource(StackName="rep", LogicalResourceId="Worker")
    old = before["StackResourceDetail"]["PhysicalResourceId"]
    cfn.update_stack(StackName="rep", TemplateBody=role("/b/"), Capabilities=["CAPABILITY_IAM"])
    assert settled(cfn, "rep")["StackStatus"] == "UPDATE_COMPLETE"
    after = cfn.describe_stack_resource(StackName="rep", LogicalResourceId="Worker")
    new = after["StackResourceDetail"]["PhysicalResourceId"]
    assert new != old and new.startswith("rep-Worker-")
    roles = {r["RoleName"]: r["Path"] for r in iam.list_roles()["Roles"]}
    assert {name: path for name, path in roles.items() if name.startswith("rep-")} == {new: "/b/"}


def test_a_rolled_back_replacement_lists_the_resource_it_kept(server: LiveServer) -> None:
    server.client("logs").create_log_group(logGroupName="taken")
    cfn = server.client("cloudformation")
    cfn.create_stack(StackName="rbr", TemplateBody=template({"Moved": group(LogGroupName="a")}))
    assert settled(cfn, "rbr")["StackStatus"] == "CREATE_COMPLETE"
    bad = json.loads(
        template({"Moved": group(LogGroupName="b"), "Clash": group(LogGroupName="taken")})
    )
    bad["Resources"]["Clash"]["DependsOn"] = "Moved"  # fails once the replacement exists
    cfn.update_stack(StackName="rbr", TemplateBody=json.dumps(bad))
    assert settled(cfn, "rbr")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert set(log_groups(server)) == {"a", "taken"}
    listed = cfn.list_stack_resources(StackName="rbr")["StackResourceSummaries"]
    assert [(r["LogicalResourceId"], r["PhysicalResourceId"]) for r in listed] == [("Moved", "a")]
    assert listed[0]["ResourceStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    described = cfn.describe_stack_resources(StackName="rbr")["StackResources"]
    assert [r["PhysicalResourceId"] for r in described] == ["a"]


def test_a_property_the_type_does_not_have_fails_the_resource_with_an_event(
    server: LiveServer,
) -> None:
    cfn = server.client("cloudformation")
    cfn.create_stack(StackName="extra", TemplateBody=template({"Logs": group(Colour="blue")}))
    assert settled(cfn, "extra")["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName="extra")["StackEvents"]
    failed = [
        (e["ResourceType"], e.get("ResourceStatusReason"))
        for e in events
        if e["LogicalResourceId"] == "Logs" and e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert failed == [
        (
            "AWS::Logs::LogGroup",
            "Properties validation failed for resource Logs with message: "
            "#: extraneous key [Colour] is not permitted",
        )
    ]
