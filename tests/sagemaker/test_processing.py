"""Processing jobs through boto3: the user's script runs with its inputs, outputs go to S3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sagemaker.test_training import TRUST
from tests.support import LiveServer, wait_for

SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
SCRIPT = """
import os, sys
rows = open("/opt/ml/processing/input/raw/data.csv").read().splitlines()
os.makedirs("/opt/ml/processing/train", exist_ok=True)
with open("/opt/ml/processing/train/train.csv", "w") as out:
    out.write("\\n".join(r.upper() for r in rows))
with open("/opt/ml/processing/evaluation/evaluation.json", "w") as out:
    out.write('{"metrics": {"accuracy": {"value": 0.95}}}')
print("processed", len(rows), "rows with", sys.argv[1:])
"""


@pytest.fixture
def sm(server: LiveServer) -> Any:
    s3, iam = server.client("s3"), server.client("iam")
    s3.create_bucket(Bucket="pipeline-data")
    s3.put_object(Bucket="pipeline-data", Key="raw/data.csv", Body=b"a,b\nc,d")
    s3.put_object(Bucket="pipeline-data", Key="code/preprocess.py", Body=SCRIPT.encode())
    iam.create_role(RoleName="Processor", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName="Processor",
        PolicyName="s3",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                        "Resource": ["arn:aws:s3:::pipeline-data", "arn:aws:s3:::pipeline-data/*"],
                    }
                ],
            }
        ),
    )
    return server.client("sagemaker")


def request(server: LiveServer, name: str, **changes: Any) -> dict[str, Any]:
    account = server.first_account_id()
    body: dict[str, Any] = {
        "ProcessingJobName": name,
        "RoleArn": f"arn:aws:iam::{account}:role/Processor",
        "AppSpecification": {
            "ImageUri": SKLEARN,
            "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/preprocess.py"],
            "ContainerArguments": ["--split", "0.2"],
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 5,
            }
        },
        "ProcessingInputs": [
            {
                "InputName": "raw",
                "S3Input": {
                    "S3Uri": "s3://pipeline-data/raw",
                    "LocalPath": "/opt/ml/processing/input/raw",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            },
            {
                "InputName": "code",
                "S3Input": {
                    "S3Uri": "s3://pipeline-data/code/preprocess.py",
                    "LocalPath": "/opt/ml/processing/input/code",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            },
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "train",
                    "S3Output": {
                        "S3Uri": "s3://pipeline-data/out/train",
                        "LocalPath": "/opt/ml/processing/train",
                        "S3UploadMode": "EndOfJob",
                    },
                },
                {
                    "OutputName": "evaluation",
                    "S3Output": {
                        "S3Uri": "s3://pipeline-data/out/evaluation",
                        "LocalPath": "/opt/ml/processing/evaluation",
                        "S3UploadMode": "EndOfJob",
                    },
                },
            ]
        },
    }
    body.update(changes)
    return body


def finished(sm: Any, name: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job = sm.describe_processing_job(ProcessingJobName=name)
        return job if job["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped") else None

    return wait_for(done, timeout=120, interval=0.2, what=f"processing job {name}")


def test_processing_job_runs_the_script(sm: Any, server: LiveServer) -> None:
    sm.create_processing_job(**request(server, "prep-1"))
    job = finished(sm, "prep-1")
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["ProcessingEndTime"] >= job["ProcessingStartTime"]
    s3 = server.client("s3")
    train = s3.get_object(Bucket="pipeline-data", Key="out/train/train.csv")["Body"].read()
    assert train == b"A,B\nC,D"
    evaluation = s3.get_object(Bucket="pipeline-data", Key="out/evaluation/evaluation.json")
    assert json.loads(evaluation["Body"].read())["metrics"]["accuracy"]["value"] == 0.95
    logs = server.client("logs").filter_log_events(
        logGroupName="/aws/sagemaker/ProcessingJobs", filterPattern="processed"
    )["events"]
    assert logs[0]["message"] == "processed 2 rows with ['--split', '0.2']"
    assert logs[0]["logStreamName"].startswith("prep-1/algo-1-")
    listed = sm.list_processing_jobs(StatusEquals="Completed")["ProcessingJobSummaries"]
    assert [j["ProcessingJobName"] for j in listed] == ["prep-1"]


def test_processing_failures(sm: Any, server: LiveServer) -> None:
    broken = request(server, "broken")
    broken["AppSpecification"]["ContainerEntrypoint"] = ["python3", "-c", "import sys; sys.exit(3)"]
    sm.create_processing_job(**broken)
    unknown = request(server, "unknown-image")
    unknown["AppSpecification"]["ImageUri"] = "my-registry/custom:latest"
    sm.create_processing_job(**unknown)
    assert finished(sm, "broken")["FailureReason"].startswith(
        "AlgorithmError: the processing command exited with status 3"
    )
    assert (
        "no local runtime for the image my-registry/custom:latest"
        in finished(sm, "unknown-image")["FailureReason"]
    )
    outside = request(server, "outside")
    outside["ProcessingInputs"][0]["S3Input"]["LocalPath"] = "/etc/raw"
    with pytest.raises(ClientError) as caught:
        sm.create_processing_job(**outside)
    assert "must be a path under /opt/ml/processing/" in caught.value.response["Error"]["Message"]
