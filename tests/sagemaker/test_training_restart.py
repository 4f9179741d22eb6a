"""A training job the server was running when it was killed runs again, and completes."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from tests.sagemaker.test_training import IMAGE, TRUST, csv, iris_like
from tests.support import process_client, server_process, unused_port, wait_for


def test_killed_server_reruns_the_job(tmp_path: Path) -> None:
    state = tmp_path / "state"
    port = unused_port()

    with server_process(state, port) as first:
        s3, iam, sm = (
            process_client(state, port, "s3"),
            process_client(state, port, "iam"),
            process_client(state, port, "sagemaker"),
        )
        s3.create_bucket(Bucket="job-data")
        s3.put_object(Bucket="job-data", Key="train/t.csv", Body=csv(iris_like(3000, 1)))
        role = iam.create_role(RoleName="R", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"][
            "Arn"
        ]
        iam.put_role_policy(
            RoleName="R",
            PolicyName="p",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                }
            ),
        )
        sm.create_training_job(
            TrainingJobName="survivor",
            AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            RoleArn=role,
            HyperParameters={"objective": "multi:softmax", "num_class": "3", "num_round": "300"},
            InputDataConfig=[
                {
                    "ChannelName": "train",
                    "DataSource": {
                        "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://job-data/train"}
                    },
                }
            ],
            OutputDataConfig={"S3OutputPath": "s3://job-data/out"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            StoppingCondition={"MaxRuntimeInSeconds": 600},
        )
        wait_for(
            lambda: (
                sm.describe_training_job(TrainingJobName="survivor")["SecondaryStatus"]
                in ("Training", "Uploading", "Completed")
            ),
            what="training to start",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    with server_process(state, port):
        sm = process_client(state, port, "sagemaker")

        def done() -> dict[str, Any] | None:
            job = sm.describe_training_job(TrainingJobName="survivor")
            return job if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped") else None

        job = wait_for(done, timeout=180, interval=0.2, what="the job to finish after restart")
        assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
        statuses = [t["Status"] for t in job["SecondaryStatusTransitions"]]
        if statuses[-1] == "Completed" and "Restarting" not in statuses:
            # The job had finished before the kill landed: nothing to rerun.
            return
        assert statuses[statuses.index("Restarting") :] == [
            "Restarting",
            "Starting",
            "Downloading",
            "Training",
            "Uploading",
            "Completed",
        ]


def test_a_clean_shutdown_leaves_the_job_to_run_again(tmp_path: Path) -> None:
    from tests.sagemaker.test_training import job_request
    from tests.support import live_server

    state = tmp_path / "state"
    endless = {"objective": "multi:softmax", "num_class": "3", "num_round": "100000000"}
    with live_server(state) as server:
        s3, iam, sm = (
            server.client("s3"),
            server.client("iam"),
            server.client("sagemaker"),
        )
        s3.create_bucket(Bucket="ml-data")
        for channel in ("train", "validation"):
            s3.put_object(Bucket="ml-data", Key=f"iris/{channel}/d.csv", Body=csv(iris_like(50, 1)))
        role = iam.create_role(RoleName="R", AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.put_role_policy(
            RoleName="R",
            PolicyName="p",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                }
            ),
        )
        sm.create_training_job(**job_request("long", role["Role"]["Arn"], HyperParameters=endless))
        wait_for(
            lambda: (
                sm.describe_training_job(TrainingJobName="long")["SecondaryStatus"] == "Training"
            ),
            what="training to start",
        )
    with live_server(state) as server:
        sm = server.client("sagemaker")
        wait_for(
            lambda: (
                "Restarting"
                in [
                    t["Status"]
                    for t in sm.describe_training_job(TrainingJobName="long")[
                        "SecondaryStatusTransitions"
                    ]
                ]
            ),
            what="the job to run again",
        )
        assert sm.describe_training_job(TrainingJobName="long")["TrainingJobStatus"] == "InProgress"
        sm.stop_training_job(TrainingJobName="long")
        wait_for(
            lambda: (
                sm.describe_training_job(TrainingJobName="long")["TrainingJobStatus"] == "Stopped"
            ),
            what="the stop",
        )
