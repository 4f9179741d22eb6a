"""Write the iris pipeline's definition as the SageMaker Python SDK 3.x produces it.

Run by regenerate.sh in a virtualenv of its own (3.x cannot be installed beside
the 2.x release the tests use). Nothing is sent anywhere: the definition is
compiled offline for a placeholder account, role and bucket, which the test
replaces with its own.
"""

from __future__ import annotations

import json
import sys

import boto3
from sagemaker.core import image_uris
from sagemaker.core.training.configs import Compute, InputData
from sagemaker.core.workflow.parameters import ParameterInteger
from sagemaker.core.workflow.pipeline_context import PipelineSession
from sagemaker.mlops.workflow.model_step import ModelStep
from sagemaker.mlops.workflow.pipeline import Pipeline
from sagemaker.mlops.workflow.steps import TrainingStep
from sagemaker.serve.model_builder import ModelBuilder
from sagemaker.train.model_trainer import ModelTrainer

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/PipelineRole"
BUCKET = "sagemaker-iris"


def main() -> None:
    boto_session = boto3.Session()
    session = PipelineSession(boto_session=boto_session, default_bucket=BUCKET)
    rounds = ParameterInteger(name="Rounds", default_value=20)
    image = image_uris.retrieve("xgboost", region="us-east-1", version="1.7-1")
    trainer = ModelTrainer(
        training_image=image,
        role=ROLE,
        compute=Compute(instance_type="ml.m5.large", instance_count=1),
        hyperparameters={
            "objective": "multi:softmax",
            "num_class": "3",
            "num_round": rounds,
            "max_depth": "3",
            "eta": "0.3",
        },
        sagemaker_session=session,
        base_job_name="iris",
    )
    train = TrainingStep(
        name="TrainIris",
        step_args=trainer.train(
            input_data_config=[
                InputData(
                    channel_name=c, data_source=f"s3://{BUCKET}/iris/{c}", content_type="text/csv"
                )
                for c in ("train", "validation")
            ]
        ),
    )
    builder = ModelBuilder(
        image_uri=image,
        s3_model_data_url=train.properties.ModelArtifacts.S3ModelArtifacts,
        role_arn=ROLE,
        sagemaker_session=session,
    )
    register = ModelStep(
        name="RegisterIris",
        step_args=builder.register(
            model_package_group_name="iris-models",
            content_types=["text/csv"],
            response_types=["text/csv"],
            inference_instances=["ml.m5.large"],
            transform_instances=["ml.m5.large"],
            approval_status="PendingManualApproval",
        ),
    )
    pipeline = Pipeline(
        name="iris-sdk3", parameters=[rounds], steps=[train, register], sagemaker_session=session
    )
    json.dump(json.loads(pipeline.definition()), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
