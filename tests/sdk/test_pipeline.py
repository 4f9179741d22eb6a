"""The iris pipeline, written with the SageMaker Python SDK 2.x, runs unmodified on Airlock."""

from __future__ import annotations

import io
import tarfile
from typing import Any

import boto3
import numpy as np
import pytest
import xgboost as xgb
from sklearn.datasets import load_iris

from tests.sdk.conftest import sdk_session

pytest.importorskip("sagemaker")
# The SDK warns about what a PipelineSession does (no job starts at definition time) and
# about its own deprecations; neither is about Airlock.
pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning:sagemaker", "ignore::DeprecationWarning", "ignore::FutureWarning"
)

BUCKET = "sagemaker-iris"
GROUP = "iris-models"


def iris_split() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iris shuffled into train, validation and held-out test rows, label first."""
    iris = load_iris()
    table = np.column_stack([iris.target, iris.data])
    np.random.default_rng(0).shuffle(table)
    return table[:100], table[100:125], table[125:]


def upload_csv(session: Any, table: np.ndarray, key: str) -> None:
    buffer = io.StringIO()
    np.savetxt(buffer, table, delimiter=",", fmt="%g")
    session.upload_string_as_file_body(buffer.getvalue(), BUCKET, key)


def training_step(session: Any, role: str) -> tuple[Any, Any, Any]:
    """An XGBoost estimator on AWS's image URI and the TrainingStep that fits it."""
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.workflow.parameters import ParameterInteger
    from sagemaker.workflow.steps import TrainingStep

    train, validation, _ = iris_split()
    rounds = ParameterInteger(name="Rounds", default_value=20)
    image = image_uris.retrieve("xgboost", region=session.boto_region_name, version="1.7-1")
    estimator = Estimator(
        image_uri=image,
        role=role,
        instance_count=1,
        instance_type="ml.m5.large",
        output_path=f"s3://{BUCKET}/iris/models",
        sagemaker_session=session,
    )
    estimator.set_hyperparameters(
        objective="multi:softmax", num_class=3, num_round=rounds, max_depth=3, eta=0.3
    )
    inputs = {}
    for channel, table in (("train", train), ("validation", validation)):
        upload_csv(session, table, f"iris/{channel}/data.csv")
        inputs[channel] = TrainingInput(f"s3://{BUCKET}/iris/{channel}", content_type="text/csv")
    step = TrainingStep(name="TrainIris", step_args=estimator.fit(inputs))
    return step, estimator, rounds


def accuracy_of(package_arn: str) -> float:
    """Load the registered package's artifact in xgboost and score the held-out rows."""
    sm, s3 = boto3.client("sagemaker"), boto3.client("s3")
    package = sm.describe_model_package(ModelPackageName=package_arn)
    url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, key = url.removeprefix("s3://").split("/", 1)
    archive = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        booster = xgb.Booster()
        booster.load_model(bytearray(member.read()))
    _, _, test = iris_split()
    predicted = booster.predict(xgb.DMatrix(test[:, 1:]))
    return float(np.mean(predicted == test[:, 0]))


def steps_of(execution: Any) -> dict[str, dict[str, Any]]:
    return {step["StepName"]: step for step in execution.list_steps()}


def test_training_step_and_register_model(pipeline_role: str) -> None:
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.step_collections import RegisterModel

    session = sdk_session(BUCKET)
    train, estimator, rounds = training_step(session, pipeline_role)
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
    pipeline = Pipeline(
        name="iris-train-register",
        parameters=[rounds],
        steps=[train, register],
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
    assert accuracy_of(package_arn) >= 0.9

    sm = boto3.client("sagemaker")
    package = sm.describe_model_package(ModelPackageName=package_arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["InferenceSpecification"]["SupportedContentTypes"] == ["text/csv"]
    parameters = sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=execution.arn)[
        "PipelineParameters"
    ]
    assert {"Name": "Rounds", "Value": "20"} in parameters


@pytest.mark.parametrize(
    ("max_error", "outcome"),
    [(0.2, "registered"), (-1.0, "failed")],
)
def test_condition_on_validation_metric(pipeline_role: str, max_error: float, outcome: str) -> None:
    from sagemaker.model import Model
    from sagemaker.workflow.condition_step import ConditionStep
    from sagemaker.workflow.conditions import ConditionLessThanOrEqualTo
    from sagemaker.workflow.fail_step import FailStep
    from sagemaker.workflow.functions import Join
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.parameters import ParameterFloat
    from sagemaker.workflow.pipeline import Pipeline

    session = sdk_session(BUCKET)
    train, estimator, rounds = training_step(session, pipeline_role)
    threshold = ParameterFloat(name="MaxValidationError", default_value=0.2)
    merror = train.properties.FinalMetricDataList["validation:merror"].Value
    model = Model(
        image_uri=estimator.image_uri,
        model_data=train.properties.ModelArtifacts.S3ModelArtifacts,
        role=pipeline_role,
        sagemaker_session=session,
    )
    register = ModelStep(
        name="RegisterIris",
        step_args=model.register(
            content_types=["text/csv"],
            response_types=["text/csv"],
            inference_instances=["ml.m5.large"],
            transform_instances=["ml.m5.large"],
            model_package_group_name=GROUP,
            approval_status="Approved",
        ),
    )
    create = ModelStep(name="IrisModel", step_args=model.create(instance_type="ml.m5.large"))
    fail = FailStep(
        name="TooInaccurate",
        error_message=Join(on=" ", values=["validation:merror", merror, "is above", threshold]),
    )
    check = ConditionStep(
        name="CheckAccuracy",
        conditions=[ConditionLessThanOrEqualTo(left=merror, right=threshold)],
        if_steps=[register, create],
        else_steps=[fail],
    )
    pipeline = Pipeline(
        name="iris-conditional",
        parameters=[rounds, threshold],
        steps=[train, check],
        sagemaker_session=session,
    )
    pipeline.upsert(role_arn=pipeline_role)
    execution = pipeline.start(parameters={"MaxValidationError": max_error})
    if outcome == "failed":
        with pytest.raises(Exception, match="Failed"):
            execution.wait(delay=1, max_attempts=180)
        described = execution.describe()
        assert described["PipelineExecutionStatus"] == "Failed"
        steps = steps_of(execution)
        assert steps["CheckAccuracy"]["Metadata"]["Condition"]["Outcome"] == "False"
        message = steps["TooInaccurate"]["Metadata"]["Fail"]["ErrorMessage"]
        assert message.startswith("validation:merror ") and message.endswith(" is above -1.0")
        assert "TooInaccurate" in described["FailureReason"]
        assert "RegisterIris-RegisterModel" not in steps
        return
    execution.wait(delay=1, max_attempts=180)
    steps = steps_of(execution)
    assert steps["CheckAccuracy"]["Metadata"]["Condition"]["Outcome"] == "True"
    assert "TooInaccurate" not in steps
    package_arn = steps["RegisterIris-RegisterModel"]["Metadata"]["RegisterModel"]["Arn"]
    sm = boto3.client("sagemaker")
    described = sm.describe_model_package(ModelPackageName=package_arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert accuracy_of(package_arn) >= 0.9
    # The SDK's ModelStep of model.create() is a Model step: CreateModel as the pipeline.
    created = steps["IrisModel-CreateModel"]
    assert created["StepStatus"] == "Succeeded"
    model = sm.describe_model(ModelName=created["Metadata"]["Model"]["Arn"].rsplit("/", 1)[1])
    assert model["ExecutionRoleArn"] == pipeline_role
    assert (
        model["PrimaryContainer"]["ModelDataUrl"]
        == (described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"])
    )
