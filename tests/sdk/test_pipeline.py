"""The iris pipeline, written with the SageMaker Python SDK 2.x, runs unmodified on Airlock."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.sdk.conftest import sdk_session
from tests.support import wait_for

pytest.importorskip("sagemaker")
# The SDK warns about what a PipelineSession does (no job starts at definition time) and
# about its own deprecations; neither is about Airlock.
pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning:sagemaker", "ignore::DeprecationWarning", "ignore::FutureWarning"
)

BUCKET = "sagemaker-iris"
GROUP = "iris-models"
# The example's data preparation, pipeline and scoring: what a data scientist runs.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "iris"))
flow = pytest.importorskip("iris_pipeline")


def steps_of(execution: Any) -> dict[str, dict[str, Any]]:
    return {step["StepName"]: step for step in execution.list_steps()}


def test_training_step_register_model_and_model_step(pipeline_role: str) -> None:
    from sagemaker.model import Model
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.step_collections import RegisterModel

    session = sdk_session(BUCKET)
    test = flow.prepare_data(session)
    train, estimator, rounds = flow.training(session, pipeline_role)
    register = RegisterModel(
        name="RegisterIris",
        estimator=estimator,
        model_data=train.properties.ModelArtifacts.S3ModelArtifacts,
        content_types=["text/csv"],
        response_types=["text/csv"],
        inference_instances=["ml.m5.large"],
        transform_instances=["ml.m5.large"],
        model_package_group_name=GROUP,
        approval_status="PendingManualApproval",
    )
    model = Model(
        image_uri=estimator.image_uri,
        model_data=train.properties.ModelArtifacts.S3ModelArtifacts,
        role=pipeline_role,
        sagemaker_session=session,
    )
    create = ModelStep(name="IrisModel", step_args=model.create(instance_type="ml.m5.large"))
    pipeline = Pipeline(
        name="iris-train-register",
        parameters=[rounds],
        steps=[train, register, create],
        sagemaker_session=session,
    )
    assert pipeline.upsert(role_arn=pipeline_role)["PipelineArn"].endswith(
        ":pipeline/iris-train-register"
    )
    # upsert() of an existing pipeline takes AWS's "already exists" answer and updates it.
    assert pipeline.upsert(role_arn=pipeline_role)["PipelineArn"].endswith(
        ":pipeline/iris-train-register"
    )
    execution = pipeline.start()
    execution.wait(delay=1, max_attempts=180)
    assert execution.describe()["PipelineExecutionStatus"] == "Succeeded"
    steps = steps_of(execution)
    assert steps["TrainIris"]["StepStatus"] == "Succeeded"
    assert ":training-job/" in steps["TrainIris"]["Metadata"]["TrainingJob"]["Arn"]
    registered = steps["RegisterIris-RegisterModel"]
    package_arn = registered["Metadata"]["RegisterModel"]["Arn"]
    assert package_arn.endswith(f":model-package/{GROUP}/1")
    assert flow.accuracy(session, package_arn, test) >= 0.9

    sm = boto3.client("sagemaker")
    package = sm.describe_model_package(ModelPackageName=package_arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["InferenceSpecification"]["SupportedContentTypes"] == ["text/csv"]
    parameters = sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=execution.arn)[
        "PipelineParameters"
    ]
    assert {"Name": "Rounds", "Value": "20"} in parameters
    # The SDK's ModelStep of model.create() is a Model step: CreateModel as the pipeline.
    created = steps["IrisModel-CreateModel"]
    assert created["StepStatus"] == "Succeeded"
    described = sm.describe_model(ModelName=created["Metadata"]["Model"]["Arn"].split("/")[-1])
    assert described["ExecutionRoleArn"] == pipeline_role
    assert (
        described["PrimaryContainer"]["ModelDataUrl"]
        == (package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"])
    )


@pytest.mark.parametrize(("max_error", "outcome"), [(0.2, "registered"), (-1.0, "failed")])
def test_condition_on_validation_metric(pipeline_role: str, max_error: float, outcome: str) -> None:
    """The example's pipeline: ConditionStep → ModelStep(register) or FailStep."""
    session = sdk_session(BUCKET)
    test = flow.prepare_data(session)
    pipeline = flow.build_pipeline(session, pipeline_role, "iris-conditional", GROUP)
    pipeline.upsert(role_arn=pipeline_role)
    execution = pipeline.start(
        parameters={"MaxValidationError": max_error, "ModelApprovalStatus": "Approved"}
    )
    if outcome == "failed":
        with pytest.raises(Exception, match="Failed"):
            execution.wait(delay=1, max_attempts=180)
        described = execution.describe()
        assert described["PipelineExecutionStatus"] == "Failed"
        steps = steps_of(execution)
        assert steps["CheckValidationError"]["Metadata"]["Condition"]["Outcome"] == "False"
        message = steps["ValidationErrorTooHigh"]["Metadata"]["Fail"]["ErrorMessage"]
        assert message.startswith("validation:merror ") and message.endswith(" is above -1.0")
        assert "ValidationErrorTooHigh" in described["FailureReason"]
        assert "RegisterIris-RegisterModel" not in steps
        return
    execution.wait(delay=1, max_attempts=180)
    steps = steps_of(execution)
    assert steps["CheckValidationError"]["Metadata"]["Condition"]["Outcome"] == "True"
    assert "ValidationErrorTooHigh" not in steps
    package_arn = steps["RegisterIris-RegisterModel"]["Metadata"]["RegisterModel"]["Arn"]
    described = boto3.client("sagemaker").describe_model_package(ModelPackageName=package_arn)
    assert described["ModelApprovalStatus"] == "Approved", "the parameter reached the step"
    assert flow.accuracy(session, package_arn, test) >= 0.9


def test_a_definition_the_sdk_3_produced(pipeline_role: str) -> None:
    """tests/sdk/sdk3/iris_definition.json, written by SDK 3.27.0 (regenerate.sh), runs."""
    session = sdk_session(BUCKET)
    test = flow.prepare_data(session)
    text = (Path(__file__).parent / "sdk3" / "iris_definition.json").read_text()
    account = pipeline_role.split(":")[4]
    definition = text.replace("111122223333", account)
    assert json.loads(definition)["Steps"][0]["Arguments"]["RoleArn"] == pipeline_role
    sm = boto3.client("sagemaker")
    sm.create_pipeline(
        PipelineName="iris-sdk3", PipelineDefinition=definition, RoleArn=pipeline_role
    )
    arn = sm.start_pipeline_execution(PipelineName="iris-sdk3")["PipelineExecutionArn"]

    def done() -> dict[str, Any] | None:
        status = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        return None if status["PipelineExecutionStatus"] == "Executing" else status

    execution = wait_for(done, timeout=180, interval=0.5, what="the SDK 3.x pipeline")
    assert execution["PipelineExecutionStatus"] == "Succeeded", execution.get("FailureReason")
    steps = {
        s["StepName"]: s
        for s in sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)[
            "PipelineExecutionSteps"
        ]
    }
    assert steps["TrainIris"]["StepStatus"] == "Succeeded"
    job = sm.describe_training_job(
        TrainingJobName=steps["TrainIris"]["Metadata"]["TrainingJob"]["Arn"].split("/")[-1]
    )
    assert job["HyperParameters"]["num_round"] == "20", "an Integer parameter, as a string"
    package = steps["RegisterIris"]["Metadata"]["RegisterModel"]["Arn"]
    assert flow.accuracy(session, package, test) >= 0.9
