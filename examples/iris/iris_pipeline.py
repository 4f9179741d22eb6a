"""The data scientist's flow on iris, with the SageMaker Python SDK pointed at Airlock.

Prepare the data, upload it to the default bucket, define the pipeline (train the
built-in XGBoost algorithm, check the validation error, register the model or
fail), run it, approve the newest model package and score it on held-out rows.

    eval "$(airlock env)"            # AWS_ENDPOINT_URL, credentials, region
    python examples/iris/iris_pipeline.py
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
from typing import Any

import boto3
import numpy as np
import xgboost as xgb
from sagemaker import image_uris
from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput
from sagemaker.model import Model
from sagemaker.workflow.condition_step import ConditionStep
from sagemaker.workflow.conditions import ConditionLessThanOrEqualTo
from sagemaker.workflow.fail_step import FailStep
from sagemaker.workflow.functions import Join
from sagemaker.workflow.model_step import ModelStep
from sagemaker.workflow.parameters import ParameterFloat, ParameterInteger, ParameterString
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.pipeline_context import PipelineSession
from sagemaker.workflow.steps import TrainingStep
from sklearn.datasets import load_iris

ROLE_NAME = "AirlockSageMakerPipelineRole"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def connect(bucket: str | None = None) -> PipelineSession:
    """A PipelineSession on the default bucket `sagemaker-<region>-<account>`.

    The bucket is named here because the SDK would otherwise ask STS at its fixed
    regional address, outside AWS_ENDPOINT_URL.
    """
    boto_session = boto3.Session()
    region = boto_session.region_name or "us-east-1"
    account = boto_session.client("sts").get_caller_identity()["Account"]
    bucket = bucket or f"sagemaker-{region}-{account}"
    s3 = boto_session.client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=bucket)
    return PipelineSession(
        boto_session=boto_session,
        sagemaker_client=boto_session.client("sagemaker"),
        default_bucket=bucket,
    )


def pipeline_role(session: PipelineSession) -> str:
    """A role SageMaker may assume, with the managed SageMaker policy (created once)."""
    iam = session.boto_session.client("iam")
    try:
        return str(iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.attach_role_policy(
            RoleName=ROLE_NAME, PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
        )
        return str(role["Role"]["Arn"])


def prepare_data(session: PipelineSession, prefix: str = "iris") -> np.ndarray:
    """Upload train and validation CSVs (label first, no header); return the test rows."""
    iris = load_iris()
    table = np.column_stack([iris.target, iris.data])
    np.random.default_rng(0).shuffle(table)
    splits = {"train": table[:100], "validation": table[100:125]}
    for channel, rows in splits.items():
        buffer = io.StringIO()
        np.savetxt(buffer, rows, delimiter=",", fmt="%g")
        session.upload_string_as_file_body(
            buffer.getvalue(), session.default_bucket(), f"{prefix}/{channel}/{channel}.csv"
        )
    return table[125:]


def training(
    session: PipelineSession, role: str, prefix: str = "iris"
) -> tuple[TrainingStep, Estimator, ParameterInteger]:
    """The built-in XGBoost algorithm (AWS's image URI) fitted by a TrainingStep."""
    bucket = session.default_bucket()
    rounds = ParameterInteger(name="Rounds", default_value=20)
    image = image_uris.retrieve("xgboost", region=session.boto_region_name, version="1.7-1")
    estimator = Estimator(
        image_uri=image,
        role=role,
        instance_count=1,
        instance_type="ml.m5.large",
        output_path=f"s3://{bucket}/{prefix}/models",
        sagemaker_session=session,
    )
    estimator.set_hyperparameters(
        objective="multi:softmax", num_class=3, num_round=rounds, max_depth=3, eta=0.3
    )
    train = TrainingStep(
        name="TrainIris",
        step_args=estimator.fit(
            {
                channel: TrainingInput(f"s3://{bucket}/{prefix}/{channel}", content_type="text/csv")
                for channel in ("train", "validation")
            }
        ),
    )
    return train, estimator, rounds


def build_pipeline(
    session: PipelineSession,
    role: str,
    name: str = "iris-pipeline",
    group: str = "iris-models",
    prefix: str = "iris",
) -> Pipeline:
    """Train → check validation:merror → register (pending approval) or fail."""
    train, estimator, rounds = training(session, role, prefix)
    max_error = ParameterFloat(name="MaxValidationError", default_value=0.2)
    approval = ParameterString(name="ModelApprovalStatus", default_value="PendingManualApproval")
    merror = train.properties.FinalMetricDataList["validation:merror"].Value
    model = Model(
        image_uri=estimator.image_uri,
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
            approval_status=approval,
        ),
    )
    too_poor = FailStep(
        name="ValidationErrorTooHigh",
        error_message=Join(on=" ", values=["validation:merror", merror, "is above", max_error]),
    )
    check = ConditionStep(
        name="CheckValidationError",
        conditions=[ConditionLessThanOrEqualTo(left=merror, right=max_error)],
        if_steps=[register],
        else_steps=[too_poor],
    )
    return Pipeline(
        name=name,
        parameters=[rounds, max_error, approval],
        steps=[train, check],
        sagemaker_session=session,
    )


def approve_newest(session: PipelineSession, group: str = "iris-models") -> str:
    """Approve the newest package of the group, as the reviewer does; its ARN."""
    sm = session.sagemaker_client
    newest = sm.list_model_packages(
        ModelPackageGroupName=group, SortBy="CreationTime", SortOrder="Descending", MaxResults=1
    )["ModelPackageSummaryList"][0]["ModelPackageArn"]
    sm.update_model_package(
        ModelPackageArn=newest,
        ModelApprovalStatus="Approved",
        ApprovalDescription="Validation error within bounds; approved from the iris example.",
    )
    return str(newest)


def accuracy(session: PipelineSession, package_arn: str, test: np.ndarray) -> float:
    """Load the package's model artifact in xgboost and score the held-out rows."""
    package = session.sagemaker_client.describe_model_package(ModelPackageName=package_arn)
    url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, key = url.removeprefix("s3://").split("/", 1)
    archive = session.boto_session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None, "the artifact has no xgboost-model"
        booster = xgb.Booster()
        booster.load_model(bytearray(member.read()))
    predicted = booster.predict(xgb.DMatrix(test[:, 1:]))
    return float(np.mean(predicted == test[:, 0]))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", help="default: sagemaker-<region>-<account>")
    parser.add_argument("--role-arn", help="default: create " + ROLE_NAME)
    parser.add_argument("--pipeline", default="iris-pipeline")
    parser.add_argument("--group", default="iris-models")
    args = parser.parse_args(argv)

    session = connect(args.bucket)
    role = args.role_arn or pipeline_role(session)
    test = prepare_data(session)
    pipeline = build_pipeline(session, role, args.pipeline, args.group)
    pipeline.upsert(role_arn=role)
    execution = pipeline.start()
    print(f"started {execution.arn}")
    execution.wait(delay=2, max_attempts=300)
    for step in reversed(execution.list_steps()):
        print(f"  {step['StepName']:<32} {step['StepStatus']}")
    package = approve_newest(session, args.group)
    score = accuracy(session, package, test)
    print(f"approved {package}")
    print(f"accuracy on {len(test)} held-out rows: {score:.3f}")
    return {"execution": execution.arn, "package": package, "accuracy": score}


if __name__ == "__main__":
    main()
