"""`AWS::CodePipeline::Pipeline` in a CloudFormation stack: create, update, GetAtt, delete."""

from __future__ import annotations

from typing import Any

from tests.cloudformation.test_stacks import settled, template
from tests.codepipeline.helpers import setup
from tests.support import LiveServer


def _pipeline(role: str, custom: str, **extra: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::CodePipeline::Pipeline",
        "Properties": {
            "Name": "from-stack",
            "RoleArn": role,
            "ArtifactStore": {"Type": "S3", "Location": "artifacts"},
            "Stages": [
                {
                    "Name": "Source",
                    "Actions": [
                        {
                            "Name": "Source",
                            "ActionTypeId": {
                                "Category": "Source",
                                "Owner": "AWS",
                                "Provider": "S3",
                                "Version": "1",
                            },
                            "Configuration": {
                                "S3Bucket": "source",
                                "S3ObjectKey": "app.zip",
                                "PollForSourceChanges": False,
                            },
                            "OutputArtifacts": [{"Name": "Src"}],
                            "RunOrder": 1,
                        }
                    ],
                },
                {
                    "Name": "Approval",
                    "Actions": [
                        {
                            "Name": "Approve",
                            "ActionTypeId": {
                                "Category": "Approval",
                                "Owner": "AWS",
                                "Provider": "Manual",
                                "Version": "1",
                            },
                            "Configuration": {"CustomData": custom},
                        }
                    ],
                },
            ],
            **extra,
        },
    }


def test_pipeline_resource(server: LiveServer) -> None:
    cp, role = setup(server)
    cfn = server.client("cloudformation")
    outputs = {
        "Name": {"Value": {"Ref": "P"}},
        "Version": {"Value": {"Fn::GetAtt": ["P", "Version"]}},
    }
    cfn.create_stack(
        StackName="cd", TemplateBody=template({"P": _pipeline(role, "one")}, Outputs=outputs)
    )
    stack = settled(cfn, "cd")
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    values = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert values == {"Name": "from-stack", "Version": "1"}
    got = cp.get_pipeline(name="from-stack")["pipeline"]
    source = got["stages"][0]["actions"][0]
    assert source["configuration"]["PollForSourceChanges"] == "false"
    assert source["actionTypeId"] == {
        "category": "Source",
        "owner": "AWS",
        "provider": "S3",
        "version": "1",
    }
    summaries = cp.list_pipeline_executions(pipelineName="from-stack")["pipelineExecutionSummaries"]
    assert [s["trigger"]["triggerType"] for s in summaries] == ["CreatePipeline"]
    updated = _pipeline(
        role,
        "two",
        RestartExecutionOnUpdate=True,
        DisableInboundStageTransitions=[{"StageName": "Approval", "Reason": "frozen"}],
    )
    cfn.update_stack(StackName="cd", TemplateBody=template({"P": updated}, Outputs=outputs))
    stack = settled(cfn, "cd")
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    values = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert values["Version"] == "2"
    state = cp.get_pipeline_state(name="from-stack")["stageStates"][1]
    assert state["inboundTransitionState"]["disabledReason"] == "frozen"
    summaries = cp.list_pipeline_executions(pipelineName="from-stack")["pipelineExecutionSummaries"]
    assert len(summaries) == 2
    assert summaries[1]["status"] == "Cancelled"
    cfn.delete_stack(StackName="cd")
    cfn.get_waiter("stack_delete_complete").wait(StackName="cd", WaiterConfig={"Delay": 1})
    assert cp.list_pipelines()["pipelines"] == []
