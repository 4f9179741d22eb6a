"""Pipelines run: a training step, a condition on its metric, registration or failure."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.sagemaker.test_training import IMAGE, setup  # noqa: F401 - the fixture
from tests.support import LiveServer, wait_for


def pipeline(role: str, threshold: float) -> str:
    train = {
        "Name": "Train",
        "Type": "Training",
        "Arguments": {
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": role,
            "HyperParameters": {
                "objective": "multi:softmax",
                "num_class": "3",
                "num_round": {"Get": "Parameters.Rounds"},
            },
            "InputDataConfig": [
                {
                    "ChannelName": channel,
                    "ContentType": "text/csv",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": f"s3://ml-data/iris/{channel}",
                        }
                    },
                }
                for channel in ("train", "validation")
            ],
            "OutputDataConfig": {
                "S3OutputPath": {
                    "Std:Join": {
                        "On": "/",
                        "Values": [
                            "s3://ml-data/pipelines",
                            {"Get": "Execution.PipelineExecutionId"},
                        ],
                    }
                }
            },
            "ResourceConfig": {
                "InstanceType": "ml.m5.large",
                "InstanceCount": 1,
                "VolumeSizeInGB": 5,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 300},
        },
    }
    register = {
        "Name": "Register",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": "iris-models",
            "InferenceSpecification": {
                "Containers": [
                    {
                        "Image": IMAGE,
                        "ModelDataUrl": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"},
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            "ModelApprovalStatus": "PendingManualApproval",
            "MetadataProperties": {"GeneratedBy": {"Get": "Execution.PipelineExecutionArn"}},
        },
    }
    check = {
        "Name": "GoodEnough",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {
                    "Type": "LessThanOrEqualTo",
                    "LeftValue": {
                        "Get": "Steps.Train.FinalMetricDataList['validation:merror'].Value"
                    },
                    "RightValue": threshold,
                }
            ],
            "IfSteps": [register],
            "ElseSteps": [
                {
                    "Name": "TooPoor",
                    "Type": "Fail",
                    "Arguments": {"ErrorMessage": "merror above threshold"},
                }
            ],
        },
    }
    return json.dumps(
        {
            "Version": "2020-12-01",
            "Parameters": [{"Name": "Rounds", "Type": "String", "DefaultValue": "10"}],
            "Steps": [train, check],
        }
    )


def run(sm: Any, name: str, **extra: Any) -> dict[str, Any]:
    arn = sm.start_pipeline_execution(
        PipelineName=name, PipelineParameters=[{"Name": "Rounds", "Value": "15"}], **extra
    )["PipelineExecutionArn"]

    def done() -> dict[str, Any] | None:
        execution = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        return execution if execution["PipelineExecutionStatus"] != "Executing" else None

    return wait_for(done, timeout=180, interval=0.3, what=f"execution of {name}")


def test_train_check_register(setup: dict[str, Any], server: LiveServer) -> None:  # noqa: F811
    sm = setup["sm"]
    sm.create_model_package_group(ModelPackageGroupName="iris-models")
    sm.create_pipeline(
        PipelineName="iris", PipelineDefinition=pipeline(setup["role"], 0.2), RoleArn=setup["role"]
    )
    execution = run(sm, "iris")
    assert execution["PipelineExecutionStatus"] == "Succeeded", execution.get("FailureReason")
    steps = sm.list_pipeline_execution_steps(
        PipelineExecutionArn=execution["PipelineExecutionArn"], SortOrder="Ascending"
    )["PipelineExecutionSteps"]
    assert [(s["StepName"], s["StepStatus"]) for s in steps] == [
        ("Train", "Succeeded"),
        ("GoodEnough", "Succeeded"),
        ("Register", "Succeeded"),
    ]
    assert steps[0]["Metadata"]["TrainingJob"]["Arn"].startswith("arn:aws:sagemaker:us-east-1:")
    assert steps[1]["Metadata"]["Condition"]["Outcome"] == "True"
    package = sm.describe_model_package(
        ModelPackageName=steps[2]["Metadata"]["RegisterModel"]["Arn"]
    )
    execution_id = execution["PipelineExecutionArn"].rsplit("/", 1)[1]
    url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    assert url.startswith(f"s3://ml-data/pipelines/{execution_id}/") and url.endswith(
        "/output/model.tar.gz"
    )
    assert package["MetadataProperties"]["GeneratedBy"] == execution["PipelineExecutionArn"]
    assert package["CreatedBy"]["IamIdentity"]["Arn"].endswith(f"SageMaker-{execution_id}")
    parameters = sm.list_pipeline_parameters_for_execution(
        PipelineExecutionArn=execution["PipelineExecutionArn"]
    )["PipelineParameters"]
    assert parameters == [{"Name": "Rounds", "Value": "15"}]


def test_a_failed_condition_ends_in_the_fail_step(setup: dict[str, Any]) -> None:  # noqa: F811
    sm = setup["sm"]
    sm.create_model_package_group(ModelPackageGroupName="iris-models")
    sm.create_pipeline(
        PipelineName="strict",
        PipelineDefinition=pipeline(setup["role"], -1.0),
        RoleArn=setup["role"],
    )
    execution = run(sm, "strict")
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert execution["FailureReason"] == "Step TooPoor failed: merror above threshold"
    steps = sm.list_pipeline_execution_steps(
        PipelineExecutionArn=execution["PipelineExecutionArn"]
    )["PipelineExecutionSteps"]
    assert {s["StepName"]: s["StepStatus"] for s in steps} == {
        "Train": "Succeeded",
        "GoodEnough": "Succeeded",
        "TooPoor": "Failed",
    }
    assert (
        sm.list_model_packages(ModelPackageGroupName="iris-models")["ModelPackageSummaryList"] == []
    )
    with pytest.raises(Exception) as caught:
        sm.start_pipeline_execution(
            PipelineName="strict", PipelineParameters=[{"Name": "Unknown", "Value": "1"}]
        )
    assert "Pipeline parameter Unknown is not defined by the pipeline." in str(caught.value)


@pytest.mark.parametrize("given_to", ["pipeline", "execution"])
def test_parallelism_is_limited(setup: dict[str, Any], given_to: str) -> None:  # noqa: F811
    sm = setup["sm"]
    limit = {"ParallelismConfiguration": {"MaxParallelExecutionSteps": 1}}
    definition = json.loads(pipeline(setup["role"], 0.2))
    train = definition["Steps"][0]
    twin = json.loads(json.dumps(train))
    twin["Name"] = "TrainToo"
    definition["Steps"] = [train, twin]
    sm.create_pipeline(
        PipelineName="one-at-a-time",
        PipelineDefinition=json.dumps(definition),
        RoleArn=setup["role"],
        **(limit if given_to == "pipeline" else {}),
    )
    execution = run(sm, "one-at-a-time", **(limit if given_to == "execution" else {}))
    assert execution["PipelineExecutionStatus"] == "Succeeded", execution.get("FailureReason")
    if given_to == "execution":
        assert execution["ParallelismConfiguration"] == limit["ParallelismConfiguration"]
    first, second = sm.list_pipeline_execution_steps(
        PipelineExecutionArn=execution["PipelineExecutionArn"], SortOrder="Ascending"
    )["PipelineExecutionSteps"]
    assert second["StartTime"] >= first["EndTime"], "the second step waited for the first"


def test_status_change_events(setup: dict[str, Any], server: LiveServer) -> None:  # noqa: F811
    from tests.events.test_delivery import log_messages

    sm, account = setup["sm"], server.first_account_id()
    logs, events = server.client("logs"), server.client("events")
    logs.create_log_group(logGroupName="/pipelines")
    events.put_rule(
        Name="pipeline-changes",
        EventPattern=json.dumps(
            {"source": ["aws.sagemaker"], "detail-type": [{"prefix": "SageMaker Model Building"}]}
        ),
    )
    events.put_targets(
        Rule="pipeline-changes",
        Targets=[{"Id": "log", "Arn": f"arn:aws:logs:us-east-1:{account}:log-group:/pipelines"}],
    )
    sm.create_pipeline(
        PipelineName="noisy",
        PipelineDefinition=pipeline(setup["role"], -1.0),
        RoleArn=setup["role"],
    )
    execution = run(sm, "noisy")

    def received() -> list[dict[str, Any]] | None:
        found = [json.loads(m) for m in log_messages(logs, "/pipelines")]
        finished = [
            e for e in found if e["detail"].get("currentPipelineExecutionStatus") == "Failed"
        ]
        return found if finished else None

    found = wait_for(received, what="the pipeline's events")
    executions = [
        e["detail"]["currentPipelineExecutionStatus"]
        for e in found
        if e["detail-type"] == "SageMaker Model Building Pipeline Execution Status Change"
    ]
    assert sorted(executions) == ["Executing", "Failed"]
    steps = {
        (e["detail"]["stepName"], e["detail"]["currentStepStatus"])
        for e in found
        if e["detail-type"] == "SageMaker Model Building Pipeline Execution Step Status Change"
    }
    assert steps >= {("Train", "Executing"), ("Train", "Succeeded"), ("TooPoor", "Failed")}
    trained = next(
        e
        for e in found
        if e["detail"].get("stepName") == "Train"
        and e["detail"]["currentStepStatus"] == "Succeeded"
    )
    assert trained["resources"] == [
        f"arn:aws:sagemaker:us-east-1:{account}:pipeline/noisy",
        execution["PipelineExecutionArn"],
    ]
    assert trained["detail"]["metadata"]["trainingJob"]["arn"].startswith("arn:aws:sagemaker:")


def test_cache_reuses_a_succeeded_training_step(setup: dict[str, Any]) -> None:  # noqa: F811
    sm = setup["sm"]
    definition = json.loads(pipeline(setup["role"], -1.0))
    train = definition["Steps"][0]
    train["CacheConfig"] = {"Enabled": True, "ExpireAfter": "PT1H"}
    # An output path without the execution id, so two runs ask for the very same job.
    train["Arguments"]["OutputDataConfig"]["S3OutputPath"] = "s3://ml-data/cached"
    definition["Steps"] = [train]
    sm.create_pipeline(
        PipelineName="cached", PipelineDefinition=json.dumps(definition), RoleArn=setup["role"]
    )
    first = run(sm, "cached")
    second = run(sm, "cached")
    assert first["PipelineExecutionStatus"] == second["PipelineExecutionStatus"] == "Succeeded"
    steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=second["PipelineExecutionArn"])[
        "PipelineExecutionSteps"
    ]
    assert steps[0]["CacheHitResult"] == {
        "SourcePipelineExecutionArn": first["PipelineExecutionArn"]
    }
    assert len(sm.list_training_jobs()["TrainingJobSummaries"]) == 1, "no second job ran"
    third = sm.start_pipeline_execution(
        PipelineName="cached", PipelineParameters=[{"Name": "Rounds", "Value": "16"}]
    )["PipelineExecutionArn"]
    wait_for(
        lambda: (
            sm.describe_pipeline_execution(PipelineExecutionArn=third)["PipelineExecutionStatus"]
            == "Succeeded"
        ),
        timeout=180,
        what="the run with other arguments",
    )
    assert len(sm.list_training_jobs()["TrainingJobSummaries"]) == 2, "other arguments, new job"
