"""A pipeline execution survives a killed server: its job runs to completion once, and the
model is registered once."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from tests.sagemaker.test_pipeline_runs import pipeline
from tests.sagemaker.test_training import PIPELINE_ROLE, TRUST, csv, iris_like
from tests.support import process_client, server_process, unused_port, wait_for


def test_killed_server_during_training(tmp_path: Path) -> None:
    state = tmp_path / "state"
    port = unused_port()

    with server_process(state, port) as first:
        s3, iam, sm = (
            process_client(state, port, "s3"),
            process_client(state, port, "iam"),
            process_client(state, port, "sagemaker"),
        )
        s3.create_bucket(Bucket="ml-data")
        s3.put_object(Bucket="ml-data", Key="iris/train/t.csv", Body=csv(iris_like(3000, 1)))
        s3.put_object(Bucket="ml-data", Key="iris/validation/v.csv", Body=csv(iris_like(300, 2)))
        role = iam.create_role(RoleName="R", AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.put_role_policy(
            RoleName="R",
            PolicyName="p",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"},
                        *PIPELINE_ROLE,
                    ],
                }
            ),
        )
        arn = role["Role"]["Arn"]
        sm.create_model_package_group(ModelPackageGroupName="iris-models")
        sm.create_pipeline(PipelineName="iris", PipelineDefinition=pipeline(arn, 0.5), RoleArn=arn)
        execution = sm.start_pipeline_execution(
            PipelineName="iris", PipelineParameters=[{"Name": "Rounds", "Value": "200"}]
        )["PipelineExecutionArn"]

        def training() -> bool:
            jobs = sm.list_training_jobs()["TrainingJobSummaries"]
            return bool(jobs) and jobs[0]["SecondaryStatus"] == "Training"

        wait_for(training, what="the training step's job to be training")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    with server_process(state, port):
        sm = process_client(state, port, "sagemaker")

        def done() -> dict[str, Any] | None:
            described = sm.describe_pipeline_execution(PipelineExecutionArn=execution)
            return described if described["PipelineExecutionStatus"] != "Executing" else None

        described = wait_for(done, timeout=180, interval=0.3, what="the execution after restart")
        assert described["PipelineExecutionStatus"] == "Succeeded", described.get("FailureReason")
        jobs = sm.list_training_jobs()["TrainingJobSummaries"]
        assert len(jobs) == 1 and jobs[0]["TrainingJobStatus"] == "Completed"
        packages = sm.list_model_packages(ModelPackageGroupName="iris-models")
        assert len(packages["ModelPackageSummaryList"]) == 1
