"""The iris model of the multi-account story: the data scientist's two-step pipeline in the
SageMaker Python SDK (train the built-in XGBoost on iris, register the model in the
project's group; the SDK is imported when it runs, as Airlock does not depend on it), and
what watches the CD pipeline carry an approved version to staging and production."""

from __future__ import annotations

import importlib
import importlib.util
import io
import logging
import os
import tarfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import xgboost as xgb
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.pipeline_context import PipelineSession

from airlock.platform.polling import wait_until

from .multi_account import policy

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
PIPELINE = "iris-train-register"
PIPELINE_ROLE = "sagemaker-pipeline-role"
CLASSES = ("setosa", "versicolor", "virginica")


def shuffled_iris() -> np.ndarray:
    """Iris, label first, shuffled as the seed code's held-out rows were: rows 0-99 train,
    100-124 validate, 125-149 are the held-out ones (examples/.../test/holdout.csv)."""
    table = np.roll(iris_table(), 1, axis=1)
    np.random.default_rng(0).shuffle(table)
    return table


def iris_table() -> np.ndarray:
    """scikit-learn's iris.csv (four features, then the class), the rows in its order,
    read where scikit-learn keeps it: importing scikit-learn for load_iris takes seconds."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("scikit-learn (a dependency of Airlock) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "iris.csv"
    return np.loadtxt(path, delimiter=",", skiprows=1)


def iris_split() -> tuple[np.ndarray, np.ndarray]:
    """The training rows and the held-out rows."""
    table = shuffled_iris()
    return table[:100], table[125:]


def csv(rows: np.ndarray) -> str:
    """Rows as CSV without a header, as the XGBoost image reads them."""
    buffer = io.StringIO()
    np.savetxt(buffer, rows, delimiter=",", fmt="%g")
    return buffer.getvalue()


def model_archive(rows: np.ndarray, rounds: int = 10) -> bytes:
    """model.tar.gz of an XGBoost multi:softmax booster trained on the rows."""
    import xgboost as xgb  # only the tests train here; the demo's pipeline trains

    booster = xgb.train(
        {"objective": "multi:softmax", "num_class": 3, "max_depth": 3},
        xgb.DMatrix(rows[:, 1:], label=rows[:, 0]),
        rounds,
    )
    return booster_archive(booster)


def booster_archive(booster: xgb.Booster) -> bytes:
    """model.tar.gz of the booster, as the XGBoost image's training job writes it."""
    raw = bytes(booster.save_raw("ubj"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def register(sm: Any, group: str, url: str) -> str:
    """A model package of the archive at `url`, pending approval."""
    return str(
        sm.create_model_package(
            ModelPackageGroupName=group,
            ModelPackageDescription="XGBoost on iris",
            InferenceSpecification={
                "Containers": [{"Image": IMAGE, "ModelDataUrl": url}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            },
            ModelApprovalStatus="PendingManualApproval",
        )["ModelPackageArn"]
    )


def pipeline_role(iam: Any) -> str:
    """The role the data scientist's pipeline runs as: SageMaker may assume it, with the
    managed SageMaker policy (which reaches the `*sagemaker*` buckets). Its ARN."""
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )
    role = iam.create_role(RoleName=PIPELINE_ROLE, AssumeRolePolicyDocument=trust)
    iam.attach_role_policy(
        RoleName=PIPELINE_ROLE, PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
    )
    return str(role["Role"]["Arn"])


# The SDK's own configuration, as its config file would say it: no telemetry requests.
SDK_CONFIG = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}


# What sdk_pipeline and sdk_session import of the SDK (load_sdk imports them ahead).
SDK_MODULES = (
    "sagemaker.estimator",
    "sagemaker.inputs",
    "sagemaker.model",
    "sagemaker.workflow.model_step",
    "sagemaker.workflow.pipeline",
    "sagemaker.workflow.pipeline_context",
    "sagemaker.workflow.steps",
)


def quiet_sdk() -> None:
    """Quiet the SDK, before it is imported: it announces its v3, says that a
    PipelineSession starts no job, and logs its telemetry choice, which configuration
    files it did not find and which fields of the definition it leaves for the execution
    to fill, none of which is about the story."""
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    for name in ("sagemaker", "sagemaker.config"):  # the SDK sets the second's level itself
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("sagemaker.workflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"sagemaker\.")


def load_sdk() -> None:
    """Quiet the SDK and import what the pipeline needs of it (2-4 s of imports)."""
    quiet_sdk()
    for name in SDK_MODULES:
        importlib.import_module(name)


def sdk_session(boto_session: Any, bucket: str) -> PipelineSession:
    """A SageMaker Python SDK pipeline session on `boto_session` (an EndpointSession, so
    every client the SDK makes uses Airlock), its default bucket named: unnamed, the SDK
    asks STS at its fixed regional address for the account to name it after."""
    from sagemaker.workflow.pipeline_context import PipelineSession

    return PipelineSession(
        boto_session=boto_session,
        sagemaker_client=boto_session.client("sagemaker"),
        default_bucket=bucket,
        sagemaker_config=SDK_CONFIG,
    )


def sdk_pipeline(session: PipelineSession, bucket: str, group: str, role: str) -> Pipeline:
    """The data scientist's pipeline, in the SageMaker Python SDK: train the built-in
    XGBoost on the bucket's iris data (TrainIris) → register the model in `group`, pending
    approval (RegisterIris), with the instance count a parameter (TrainingInstanceCount)."""
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.model import Model
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.parameters import ParameterInteger
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.steps import TrainingStep

    instances = ParameterInteger(name="TrainingInstanceCount", default_value=1)
    image = image_uris.retrieve("xgboost", region=session.boto_region_name, version="1.7-1")
    estimator = Estimator(
        image_uri=image,
        role=role,
        instance_count=instances,
        instance_type="ml.m5.large",
        volume_size=5,
        max_run=600,
        output_path=f"s3://{bucket}/iris/models",
        sagemaker_session=session,
    )
    # The SDK leaves this one unannotated.
    estimator.set_hyperparameters(  # type: ignore[no-untyped-call]
        objective="multi:softmax", num_class=3, max_depth=3, num_round=20
    )
    train = TrainingStep(
        name="TrainIris",
        step_args=estimator.fit(
            {
                channel: TrainingInput(f"s3://{bucket}/iris/{channel}", content_type="text/csv")
                for channel in ("train", "validation")
            }
        ),
    )
    model = Model(
        image_uri=image,
        model_data=train.properties.ModelArtifacts.S3ModelArtifacts,
        role=role,
        sagemaker_session=session,
    )
    register = ModelStep(
        name="RegisterIris",
        step_args=model.register(
            content_types=["text/csv"],
            response_types=["text/csv"],
            inference_instances=["ml.m5.large"],
            transform_instances=["ml.m5.large"],
            model_package_group_name=group,
            approval_status="PendingManualApproval",
            description="XGBoost on iris",
        ),
    )
    return Pipeline(
        name=PIPELINE, parameters=[instances], steps=[train, register], sagemaker_session=session
    )


def train_and_register(boto_session: Any, bucket: str, group: str, role: str) -> dict[str, Any]:
    """The data scientist's run with the SageMaker Python SDK: upload the training and
    validation rows, upsert the pipeline, `pipeline.start(parameters={"TrainingInstanceCount":
    "1"})`, and wait for it; its DescribePipelineExecution once it has ended (RuntimeError
    unless it succeeded)."""
    quiet_sdk()
    table = shuffled_iris()
    s3 = boto_session.client("s3")
    for channel, rows in (("train", table[:100]), ("validation", table[100:125])):
        s3.put_object(Bucket=bucket, Key=f"iris/{channel}/{channel}.csv", Body=csv(rows))
    pipeline = sdk_pipeline(sdk_session(boto_session, bucket), bucket, group, role)
    pipeline.upsert(role_arn=role)
    execution = pipeline.start(parameters={"TrainingInstanceCount": "1"})

    def ended() -> dict[str, Any] | None:
        status: dict[str, Any] = execution.describe()
        return status if status["PipelineExecutionStatus"] != "Executing" else None

    status = wait_until(ended, timeout=300, interval=0.1, what="the training pipeline")
    if status["PipelineExecutionStatus"] != "Succeeded":
        raise RuntimeError(f"the pipeline {status['PipelineExecutionStatus']}: {status}")
    return status


def newest_version(sm: Any, group: str) -> str:
    """The ARN of the group's newest model package."""
    listed = sm.list_model_packages(
        ModelPackageGroupName=group, SortBy="CreationTime", SortOrder="Descending"
    )["ModelPackageSummaryList"]
    return str(listed[0]["ModelPackageArn"])


def executions(cp: Any, pipeline: str) -> list[dict[str, Any]]:
    """The pipeline's executions, newest first."""
    return list(cp.list_pipeline_executions(pipelineName=pipeline)["pipelineExecutionSummaries"])


def stage(cp: Any, pipeline: str, name: str, execution_id: str, wanted: str) -> dict[str, Any]:
    """The stage's state once `execution_id` has it in status `wanted` (fails on Failed)."""

    def reached() -> dict[str, Any] | None:
        states = cp.get_pipeline_state(name=pipeline)["stageStates"]
        state = next(s for s in states if s["stageName"] == name)
        latest = state.get("latestExecution") or {}
        if latest.get("pipelineExecutionId") != execution_id:
            return None
        if latest["status"] == "Failed" and wanted != "Failed":
            raise RuntimeError(f"{name} failed: {state['actionStates']}")
        return dict(state) if latest["status"] == wanted else None

    return wait_until(reached, timeout=240, interval=0.05, what=f"{name} to be {wanted}")


def approval_token(cp: Any, pipeline: str, execution_id: str) -> str:
    """The token of ApproveDeployment once it waits for `execution_id`.

    The stage shows InProgress as soon as the execution enters it, a moment before its
    approval action has a token: wait for the token itself.
    """
    stage(cp, pipeline, "ApproveDeployment", execution_id, "InProgress")

    def waiting() -> str | None:
        states = cp.get_pipeline_state(name=pipeline)["stageStates"]
        state = next(s for s in states if s["stageName"] == "ApproveDeployment")
        if (state.get("latestExecution") or {}).get("pipelineExecutionId") != execution_id:
            return None
        latest = state["actionStates"][0].get("latestExecution") or {}
        token = latest.get("token") if latest.get("status") == "InProgress" else None
        return str(token) if token else None

    return wait_until(waiting, timeout=60, interval=0.05, what="the approval's token")


def in_service(sm: Any, name: str, timeout: float = 120) -> dict[str, Any]:
    """The endpoint once InService (RuntimeError if it failed)."""

    def ready() -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = sm.describe_endpoint(EndpointName=name)
        except sm.exceptions.ClientError:
            return None
        if found["EndpointStatus"] == "Failed":
            raise RuntimeError(f"endpoint {name} failed: {found.get('FailureReason')}")
        return found if found["EndpointStatus"] == "InService" else None

    return wait_until(ready, timeout=timeout, interval=0.05, what=f"endpoint {name}")


def predictions(runtime: Any, endpoint: str, rows: np.ndarray) -> list[int]:
    """The endpoint's classes for the rows (label first), one InvokeEndpoint per row."""
    found = []
    for row in rows:
        body = ",".join(f"{v:g}" for v in row[1:])
        answer = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body)
        found.append(int(float(answer["Body"].read().decode())))
    return found


def score(predicted: list[int], rows: np.ndarray) -> float:
    """The share of the rows whose label is the one predicted."""
    return sum(p == int(r[0]) for p, r in zip(predicted, rows, strict=True)) / len(rows)


def accuracy(runtime: Any, endpoint: str, rows: np.ndarray) -> float:
    """The endpoint's accuracy on the rows."""
    return score(predictions(runtime, endpoint, rows), rows)
