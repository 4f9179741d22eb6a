"""Deploy/AWS/CloudFormation stepped as the pipeline engine steps it, as a role assumed by
codepipeline.amazonaws.com, against the live server."""

from __future__ import annotations

import json
from typing import Any

from airlock.cloudformation.engine import StackEngine
from tests.cloudformation.pipeline_setup import Setup, log_template, role, setup
from tests.pipeline_actions import unzipped
from tests.support import LiveServer


def stack_events(server: LiveServer, account_id: str, name: str) -> list[tuple[str, str]]:
    """(logical id, status) of the stack's own events, oldest first."""
    events = server.client("cloudformation", account_id).describe_stack_events(StackName=name)
    return [
        (e["LogicalResourceId"], e["ResourceStatus"])
        for e in reversed(events["StackEvents"])
        if e["LogicalResourceId"] == name
    ]


def describe(server: LiveServer, account_id: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = server.client("cloudformation", account_id).describe_stacks(
        StackName=name
    )["Stacks"][0]
    return found


def test_create_update_creates_then_updates_then_has_nothing_to_do(
    server: LiveServer, account_id: str
) -> None:
    env = setup(server, account_id)
    config = {"ActionMode": "CREATE_UPDATE", "StackName": "web"}
    created = env.stack(config, log_template()).run()
    assert created.status == "Succeeded", created.error_message
    stack = describe(server, account_id, "web")
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["RoleARN"] == env.stack_role
    assert created.external_execution_id == stack["StackId"]
    assert created.output_variables == {"GroupName": "web-logs", "Retention": "7"}
    assert created.summary == "Stack web was created"
    # The stack was made as the action role, by way of CodePipeline.
    trail = server.client("cloudtrail", account_id).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateStack"}]
    )["Events"]
    identity = json.loads(trail[0]["CloudTrailEvent"])["userIdentity"]
    assert identity["arn"].startswith(f"arn:aws:sts::{account_id}:assumed-role/pipeline-action/")
    assert identity["invokedBy"] == "codepipeline.amazonaws.com"

    updated = env.stack({**config, "ParameterOverrides": '{"Retention": "14"}'}, log_template())
    outcome = updated.run()
    assert outcome.status == "Succeeded", outcome.error_message
    assert outcome.summary == "Stack web was updated"
    assert outcome.output_variables["Retention"] == "14"
    assert describe(server, account_id, "web")["StackStatus"] == "UPDATE_COMPLETE"
    groups = server.client("logs", account_id).describe_log_groups()["logGroups"]
    assert [(g["logGroupName"], g["retentionInDays"]) for g in groups] == [("web-logs", 14)]

    before = stack_events(server, account_id, "web")
    again = env.stack({**config, "ParameterOverrides": '{"Retention": "14"}'}, log_template())
    outcome = again.run()
    assert outcome.status == "Succeeded"
    assert outcome.summary == "Stack web: No updates are to be performed."
    assert outcome.output_variables["Retention"] == "14"
    assert stack_events(server, account_id, "web") == before
    assert len(again.steps) == 1


def test_parameter_overrides_resolve_get_param_and_artifact_att_and_outputs_go_to_a_file(
    server: LiveServer, account_id: str
) -> None:
    env = setup(server, account_id)
    template = json.loads(log_template())
    template["Parameters"].update(
        {
            "Where": {"Type": "String"},
            "Key": {"Type": "String"},
            "Url": {"Type": "String"},
            "Stage": {"Type": "String", "Default": "none"},
        }
    )
    template["Outputs"].update(
        {
            "Where": {"Value": {"Ref": "Where"}},
            "Key": {"Value": {"Ref": "Key"}},
            "Url": {"Value": {"Ref": "Url"}},
            "Stage": {"Value": {"Ref": "Stage"}},
        }
    )
    overrides = {
        "Retention": {"Fn::GetParam": ["Config", "settings.json", "retention"]},
        "Where": {"Fn::GetArtifactAtt": ["Config", "BucketName"]},
        "Key": {"Fn::GetArtifactAtt": ["Config", "ObjectKey"]},
        "Url": {"Fn::GetArtifactAtt": ["Config", "URL"]},
    }
    configuration = {
        "Parameters": {"Retention": "3", "Stage": "staging"},
        "Tags": {"team": "ml"},
    }
    run = env.stack(
        {
            "ActionMode": "CREATE_UPDATE",
            "StackName": "params",
            "TemplateConfiguration": "Config::configuration.json",
            "ParameterOverrides": json.dumps(overrides),
            "OutputFileName": "outputs.json",
        },
        json.dumps(template),
        inputs={
            "Config": {
                "settings.json": json.dumps({"retention": 30}),
                "configuration.json": json.dumps(configuration),
            }
        },
        outputs=("StackOutputs",),
    )
    outcome = run.run()
    assert outcome.status == "Succeeded", outcome.error_message
    config = run.location("Config")
    expected = {
        "GroupName": "params-logs",
        "Retention": "30",  # the override wins over the configuration file
        "Where": env.bucket,
        "Key": config.key,
        "Url": f"{server.url}/{env.bucket}/{config.key}",
        "Stage": "staging",
    }
    assert outcome.output_variables == expected
    assert json.loads(unzipped(run.read("StackOutputs"))["outputs.json"]) == expected
    stack = describe(server, account_id, "params")
    assert stack["Tags"] == [{"Key": "team", "Value": "ml"}]


def test_a_missing_file_of_an_artifact_is_a_configuration_error(
    server: LiveServer, account_id: str
) -> None:
    env = setup(server, account_id)
    outcome = env.stack(
        {"ActionMode": "CREATE_UPDATE", "StackName": "nofile", "TemplatePath": "Template::x.yml"},
        log_template(),
    ).run()
    assert (outcome.status, outcome.error_code, outcome.error_message) == (
        "Failed",
        "ConfigurationError",
        "File x.yml does not exist in artifact [Template]",
    )
    overrides = '{"Retention": {"Fn::GetParam": ["Template", "template.json", "nope"]}}'
    outcome = env.stack(
        {"ActionMode": "CREATE_UPDATE", "StackName": "nokey", "ParameterOverrides": overrides},
        log_template(),
    ).run()
    assert (outcome.error_code, outcome.error_message) == (
        "ConfigurationError",
        "ParameterOverrides: key nope does not exist in file template.json of artifact Template",
    )


def test_delete_only_deletes_and_a_missing_stack_is_success(
    server: LiveServer, account_id: str
) -> None:
    env = setup(server, account_id)
    assert (
        env.stack({"ActionMode": "CREATE_UPDATE", "StackName": "gone"}, log_template()).run().status
        == "Succeeded"
    )
    stack_id = describe(server, account_id, "gone")["StackId"]
    run = env.stack({"ActionMode": "DELETE_ONLY", "StackName": "gone"})
    outcome = run.run()
    assert outcome.status == "Succeeded", outcome.error_message
    assert outcome.summary == "Stack gone was deleted"
    assert outcome.external_execution_id == stack_id
    assert describe(server, account_id, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    assert server.client("logs", account_id).describe_log_groups()["logGroups"] == []
    outcome = env.stack({"ActionMode": "DELETE_ONLY", "StackName": "gone"}).run()
    assert (outcome.status, outcome.summary) == (
        "Succeeded",
        "Stack gone does not exist: nothing to delete",
    )


def test_change_set_replace_then_execute(server: LiveServer, account_id: str) -> None:
    env = setup(server, account_id)
    cfn = server.client("cloudformation", account_id)
    replace = {"ActionMode": "CHANGE_SET_REPLACE", "StackName": "cs", "ChangeSetName": "next"}
    made = env.stack(replace, log_template()).run()
    assert made.status == "Succeeded", made.error_message
    change_set = cfn.describe_change_set(StackName="cs", ChangeSetName="next")
    assert [c["ResourceChange"]["Action"] for c in change_set["Changes"]] == ["Add"]
    assert made.external_execution_id == change_set["ChangeSetId"]
    assert describe(server, account_id, "cs")["StackStatus"] == "REVIEW_IN_PROGRESS"

    execute = {"ActionMode": "CHANGE_SET_EXECUTE", "StackName": "cs", "ChangeSetName": "next"}
    ran = env.stack(execute).run()
    assert ran.status == "Succeeded", ran.error_message
    assert describe(server, account_id, "cs")["StackStatus"] == "CREATE_COMPLETE"
    assert ran.output_variables["GroupName"] == "cs-logs"

    # A second replace proposes an update; the old change set of that name is replaced.
    changed = env.stack({**replace, "ParameterOverrides": '{"Retention": "30"}'}, log_template())
    assert changed.run().status == "Succeeded"
    proposed = cfn.describe_change_set(StackName="cs", ChangeSetName="next")
    assert proposed["ChangeSetId"] != change_set["ChangeSetId"]
    assert proposed["Status"] == "CREATE_COMPLETE"
    assert [c["ResourceChange"]["Action"] for c in proposed["Changes"]] == ["Modify"]
    assert describe(server, account_id, "cs")["StackStatus"] == "CREATE_COMPLETE"
    ran = env.stack(execute).run()
    assert ran.status == "Succeeded", ran.error_message
    assert ran.output_variables["Retention"] == "30"
    assert describe(server, account_id, "cs")["StackStatus"] == "UPDATE_COMPLETE"

    # Nothing to change: the change set is made, FAILED for no changes, and both succeed.
    same = env.stack({**replace, "ParameterOverrides": '{"Retention": "30"}'}, log_template())
    assert same.run().status == "Succeeded"
    empty = cfn.describe_change_set(StackName="cs", ChangeSetName="next")
    assert empty["Status"] == "FAILED"
    ran = env.stack(execute).run()
    assert ran.status == "Succeeded", ran.error_message
    assert describe(server, account_id, "cs")["StackStatus"] == "UPDATE_COMPLETE"


def broken_template() -> str:
    """A template whose second log group's name is taken: its create fails."""
    template = json.loads(log_template())
    template["Resources"]["Clash"] = {
        "Type": "AWS::Logs::LogGroup",
        "DependsOn": "Logs",
        "Properties": {"LogGroupName": "taken"},
    }
    return json.dumps(template)


def test_a_failing_stack_fails_the_action_and_replace_on_failure_replaces_it(
    server: LiveServer, account_id: str
) -> None:
    env = setup(server, account_id)
    server.client("logs", account_id).create_log_group(logGroupName="taken")
    config = {"ActionMode": "CREATE_UPDATE", "StackName": "flaky"}
    failed = env.stack(config, broken_template()).run()
    assert (failed.status, failed.error_code) == ("Failed", "JobFailed")
    message = failed.error_message or ""
    assert message.startswith(
        "Stack flaky is in ROLLBACK_COMPLETE state. Resource Clash (AWS::Logs::LogGroup) "
        'CREATE_FAILED: Resource handler returned message: "The specified log group already '
        "exists"
    ), message
    assert "The specified log group already exists" in message
    old = describe(server, account_id, "flaky")["StackId"]
    assert failed.external_execution_id == old

    # CREATE_UPDATE does not replace a failed stack: CloudFormation refuses the update.
    refused = env.stack(config, log_template()).run()
    assert (refused.status, refused.error_code) == ("Failed", "JobFailed")
    assert refused.error_message == (
        f"Stack:{old} is in ROLLBACK_COMPLETE state and can not be updated. "
        "(Service: AmazonCloudFormation; Status Code: 400; Error Code: ValidationError)"
    )

    replaced = env.stack({**config, "ActionMode": "REPLACE_ON_FAILURE"}, log_template()).run()
    assert replaced.status == "Succeeded", replaced.error_message
    stack = describe(server, account_id, "flaky")
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["StackId"] != old
    assert describe(server, account_id, old)["StackStatus"] == "DELETE_COMPLETE"
    # A stack that is not failed is updated by REPLACE_ON_FAILURE, not replaced.
    updated = env.stack(
        {**config, "ActionMode": "REPLACE_ON_FAILURE", "ParameterOverrides": '{"Retention": "1"}'},
        log_template(),
    ).run()
    assert (updated.status, updated.summary) == ("Succeeded", "Stack flaky was updated")
    assert describe(server, account_id, "flaky")["StackId"] == stack["StackId"]


def test_a_role_denied_fails_with_the_permission_error(server: LiveServer, account_id: str) -> None:
    env = setup(server, account_id)
    bare = role(
        server,
        account_id,
        "bare-action",
        "codepipeline.amazonaws.com",
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
    )
    outcome = env.stack(
        {"ActionMode": "CREATE_UPDATE", "StackName": "denied"}, log_template(), role=bare
    ).run()
    assert (outcome.status, outcome.error_code) == ("Failed", "PermissionError")
    assert outcome.error_message == (
        f"User: arn:aws:sts::{account_id}:assumed-role/bare-action/{outcome_session(outcome)} "
        "is not authorized to perform: cloudformation:DescribeStacks on resource: "
        f"arn:aws:cloudformation:us-east-1:{account_id}:stack/denied/* because no "
        "identity-based policy allows the cloudformation:DescribeStacks action "
        "(Service: AmazonCloudFormation; Status Code: 403; Error Code: AccessDenied)"
    )

    # Allowed CloudFormation but not to pass the stack's role: iam:PassRole decides.
    no_pass = role(
        server,
        account_id,
        "no-pass",
        "codepipeline.amazonaws.com",
        {"Effect": "Allow", "Action": ["cloudformation:*", "s3:GetObject"], "Resource": "*"},
    )
    outcome = env.stack(
        {"ActionMode": "CREATE_UPDATE", "StackName": "denied"}, log_template(), role=no_pass
    ).run()
    assert (outcome.status, outcome.error_code) == ("Failed", "PermissionError")
    assert "is not authorized to perform: iam:PassRole on resource: " in (
        outcome.error_message or ""
    )
    assert server.client("cloudformation", account_id).describe_stacks()["Stacks"] == []


def outcome_session(outcome: Any) -> str:
    """The role session name in a denial's message (the harness names it per run)."""
    message: str = outcome.error_message or ""
    return message.split("assumed-role/", 1)[1].split("/", 1)[1].split(" ", 1)[0]


def test_a_repeated_first_step_makes_one_stack_operation(
    server: LiveServer, account_id: str
) -> None:
    env = setup(server, account_id)
    config = {"ActionMode": "CREATE_UPDATE", "StackName": "once"}
    run = env.stack(config, log_template())
    first = run.step()
    assert first.status == "InProgress"
    run.state = {}  # the server died before the outcome committed: the step again
    again = run.step()
    assert again.external_execution_id == first.external_execution_id
    assert run.run().status == "Succeeded"
    assert stack_events(server, account_id, "once") == [
        ("once", "CREATE_IN_PROGRESS"),
        ("once", "CREATE_COMPLETE"),
    ]
    update = env.stack({**config, "ParameterOverrides": '{"Retention": "3"}'}, log_template())
    assert update.step().status == "InProgress"
    update.state = {}
    assert update.step().status in ("InProgress", "Succeeded")
    assert update.run().status == "Succeeded"
    assert stack_events(server, account_id, "once")[2:] == [
        ("once", "UPDATE_IN_PROGRESS"),
        ("once", "UPDATE_COMPLETE"),
    ]


def test_check_refuses_what_create_pipeline_must(server: LiveServer) -> None:
    provider = server.airlock.platform.calls.pipeline_actions["Deploy/AWS/CloudFormation"]
    assert provider.check({"ActionMode": "CREATE_UPDATE"}) == (
        "Action configuration is missing the required key StackName"
    )
    assert provider.check({"ActionMode": "UPSERT", "StackName": "s"}) == (
        "ActionMode UPSERT is not valid: use one of CREATE_UPDATE, DELETE_ONLY, "
        "REPLACE_ON_FAILURE, CHANGE_SET_REPLACE, CHANGE_SET_EXECUTE"
    )
    assert provider.check({"ActionMode": "CHANGE_SET_EXECUTE", "StackName": "s"}) == (
        "Action configuration is missing the required key ChangeSetName for CHANGE_SET_EXECUTE"
    )
    assert provider.check(
        {"ActionMode": "CREATE_UPDATE", "StackName": "s", "TemplatePath": "A::t.yml"}
    ) == ("Action configuration is missing the required key RoleArn for CREATE_UPDATE")
    assert (
        provider.check({"ActionMode": "CHANGE_SET_EXECUTE", "StackName": "s", "ChangeSetName": "c"})
        is None
    )


__all__ = ["Setup"]


def test_a_large_template_goes_by_template_url_next_to_its_artifact(
    server: LiveServer, account_id: str
) -> None:
    env = setup(server, account_id)
    template = json.loads(log_template())
    template["Metadata"] = {"Padding": "x" * 60_000}
    run = env.stack({"ActionMode": "CREATE_UPDATE", "StackName": "big"}, json.dumps(template))
    outcome = run.run()
    assert outcome.status == "Succeeded", outcome.error_message
    s3 = server.client("s3", account_id)
    prefix = run.location("Template").key + "-template-"
    [staged] = s3.list_objects_v2(Bucket=env.bucket, Prefix=prefix)["Contents"]
    body = s3.get_object(Bucket=env.bucket, Key=staged["Key"])["Body"].read()
    assert json.loads(body) == template
    got = server.client("cloudformation", account_id).get_template(StackName="big")
    assert got["TemplateBody"]["Metadata"]["Padding"] == "x" * 60_000


def test_a_repeated_change_set_replace_keeps_the_change_set_it_made(
    server: LiveServer, account_id: str
) -> None:
    env = setup(server, account_id)
    cfn = server.client("cloudformation", account_id)
    replace = {"ActionMode": "CHANGE_SET_REPLACE", "StackName": "csr", "ChangeSetName": "next"}
    run = env.stack(replace, log_template())
    assert run.step().status == "Succeeded"
    first = cfn.describe_change_set(StackName="csr", ChangeSetName="next")["ChangeSetId"]
    run.state = {}
    assert run.step().external_execution_id == first
    assert [c["ChangeSetId"] for c in cfn.list_change_sets(StackName="csr")["Summaries"]] == [first]


def stack_engine(server: LiveServer) -> StackEngine:
    """The server's stack engine."""
    for worker in server.airlock.workers:
        for inner in getattr(worker, "workers", [worker]):
            if isinstance(inner, StackEngine):
                return inner
    raise AssertionError("no stack engine")


def test_abandon_cancels_the_update_under_way(server: LiveServer, account_id: str) -> None:
    env = setup(server, account_id)
    config = {"ActionMode": "CREATE_UPDATE", "StackName": "halt"}
    assert env.stack(config, log_template()).run().status == "Succeeded"
    engine = stack_engine(server)
    engine.stop()
    try:
        run = env.stack({**config, "ParameterOverrides": '{"Retention": "1"}'}, log_template())
        assert run.step().status == "InProgress"
        assert describe(server, account_id, "halt")["StackStatus"] == "UPDATE_IN_PROGRESS"
        run.provider().abandon(server.airlock.platform, run.job())
        assert describe(server, account_id, "halt")["StackStatus"] == (
            "UPDATE_ROLLBACK_IN_PROGRESS"
        )
    finally:
        engine.start()
    outcome = run.run()
    assert (outcome.status, outcome.error_code) == ("Failed", "JobFailed")
    assert (outcome.error_message or "").startswith(
        "Stack halt is in UPDATE_ROLLBACK_COMPLETE state"
    ), outcome.error_message
    groups = server.client("logs", account_id).describe_log_groups()["logGroups"]
    assert [g["retentionInDays"] for g in groups] == [7]
