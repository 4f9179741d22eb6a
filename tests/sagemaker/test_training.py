"""Training jobs through boto3: the built-in XGBoost algorithm, run for real."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError
from sqlalchemy import select

from airlock.sagemaker.training import contract
from airlock.sagemaker.training.models import TrainingJob
from tests.support import LiveServer, wait_for

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
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

# What a pipeline's role needs for the steps SageMaker runs as that role.
PIPELINE_ROLE = [
    {
        "Effect": "Allow",
        "Action": [
            "sagemaker:CreateTrainingJob",
            "sagemaker:CreateProcessingJob",
            "sagemaker:CreateModelPackage",
            "sagemaker:CreateModelPackageGroup",
            "sagemaker:CreateModel",
        ],
        "Resource": "*",
    },
    {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": "*",
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    },
]


def iris_like(rows: int, seed: int) -> np.ndarray:
    """Three well-separated classes in four features, label first (as the algorithm wants)."""
    rng = np.random.default_rng(seed)
    centers = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]])
    labels = rng.integers(0, 3, rows)
    features = centers[labels] + rng.normal(0, 0.25, (rows, 4))
    return np.column_stack([labels, features])


def csv(table: np.ndarray) -> bytes:
    buffer = io.StringIO()
    np.savetxt(buffer, table, delimiter=",", fmt="%.4f")
    return buffer.getvalue().encode()


@pytest.fixture
def setup(server: LiveServer) -> dict[str, Any]:
    s3, iam = server.client("s3"), server.client("iam")
    s3.create_bucket(Bucket="ml-data")
    s3.put_object(Bucket="ml-data", Key="iris/train/train.csv", Body=csv(iris_like(240, 1)))
    s3.put_object(Bucket="ml-data", Key="iris/validation/val.csv", Body=csv(iris_like(60, 2)))
    s3.create_bucket(Bucket="secret-data")
    s3.put_object(Bucket="secret-data", Key="x/train.csv", Body=csv(iris_like(10, 3)))
    role = iam.create_role(RoleName="SageMakerRole", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName="SageMakerRole",
        PolicyName="data",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                        "Resource": ["arn:aws:s3:::ml-data", "arn:aws:s3:::ml-data/*"],
                    },
                    *PIPELINE_ROLE,
                ],
            }
        ),
    )
    return {"role": role["Role"]["Arn"], "sm": server.client("sagemaker"), "s3": s3}


def job_request(name: str, role: str, **changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": role,
        "HyperParameters": {
            "objective": "multi:softmax",
            "num_class": "3",
            "num_round": "20",
            "eta": "0.3",
            "max_depth": "3",
        },
        "InputDataConfig": [
            {
                "ChannelName": channel,
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://ml-data/iris/{channel}",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
            for channel in ("train", "validation")
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://ml-data/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }
    request.update(changes)
    return request


def finished(sm: Any, name: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job = sm.describe_training_job(TrainingJobName=name)
        return job if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped") else None

    return wait_for(done, timeout=120, interval=0.2, what=f"training job {name} to finish")


def test_builtin_xgboost_trains_for_real(setup: dict[str, Any], server: LiveServer) -> None:
    sm, s3 = setup["sm"], setup["s3"]
    arn = sm.create_training_job(**job_request("iris-1", setup["role"]))["TrainingJobArn"]
    assert arn.endswith(":training-job/iris-1")
    job = finished(sm, "iris-1")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    assert (
        job["ModelArtifacts"]["S3ModelArtifacts"]
        == "s3://ml-data/output/iris-1/output/model.tar.gz"
    )
    assert job["BillableTimeInSeconds"] >= 1
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert metrics["validation:merror"] < 0.1
    archive = s3.get_object(Bucket="ml-data", Key="output/iris-1/output/model.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(archive["Body"].read())) as tar:
        assert tar.getnames() == ["xgboost-model"]
        model_bytes = tar.extractfile("xgboost-model").read()  # type: ignore[union-attr]
    booster = xgb.Booster()
    booster.load_model(bytearray(model_bytes))
    held_out = iris_like(100, 9)
    predictions = booster.predict(xgb.DMatrix(held_out[:, 1:]))
    assert float(np.mean(predictions == held_out[:, 0])) >= 0.9
    logs = server.client("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs")["logStreams"]
    assert streams[0]["logStreamName"].startswith("iris-1/algo-1-")
    lines = [
        e["message"]
        for e in logs.get_log_events(
            logGroupName="/aws/sagemaker/TrainingJobs",
            logStreamName=streams[0]["logStreamName"],
            startFromHead=True,
        )["events"]
    ]
    assert any(line.startswith("[0]#011train-merror:") for line in lines)
    listed = sm.list_training_jobs(StatusEquals="Completed")["TrainingJobSummaries"]
    assert [j["TrainingJobName"] for j in listed] == ["iris-1"]


def test_hyperparameters_of_older_containers_train_quietly(
    setup: dict[str, Any], server: LiveServer
) -> None:
    """What AWS's notebooks for 1.0-1 pass (`silent=0`, DART's dropouts, `lambda_bias`)
    trains, and XGBoost, printing its warnings at verbosity 1, has none to print."""
    sm = setup["sm"]
    notebook = {
        "objective": "multi:softmax",
        "num_class": "3",
        "num_round": "10",
        "silent": "0",
        "booster": "dart",
        "rate_drop": "0.1",
        "one_drop": "1",
        "skip_drop": "0.5",
        "lambda_bias": "0.1",
    }
    sm.create_training_job(**job_request("dart-1", setup["role"], HyperParameters=notebook))
    job = finished(sm, "dart-1")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert metrics["validation:merror"] < 0.1
    events = server.client("logs").filter_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix="dart-1/"
    )["events"]
    lines = [e["message"] for e in events]
    assert any(line.startswith("[9]#011train-merror:") for line in lines), lines
    noise = [line for line in lines if any(w in line for w in ("WARNING", "not used", "eprecat"))]
    assert noise == []


def test_failures_name_their_reason(setup: dict[str, Any]) -> None:
    sm, role = setup["sm"], setup["role"]
    denied = job_request("denied", role)
    denied["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = "s3://secret-data/x"
    sm.create_training_job(**denied)
    sm.create_training_job(
        **job_request(
            "bad-image",
            role,
            AlgorithmSpecification={"TrainingImage": "my/image:1", "TrainingInputMode": "File"},
        )
    )
    unknown = job_request("bad-param", role)
    unknown["HyperParameters"]["learning_speed"] = "fast"
    sm.create_training_job(**unknown)
    reasons = {name: finished(sm, name) for name in ("denied", "bad-image", "bad-param")}
    assert all(job["TrainingJobStatus"] == "Failed" for job in reasons.values())
    assert reasons["denied"]["FailureReason"].startswith(
        "ClientError: Data download failed for channel train: AccessDenied on s3://secret-data/"
    )
    assert "assumed-role/SageMakerRole/SageMaker" in reasons["denied"]["FailureReason"]
    assert "Supported images: sagemaker-xgboost" in reasons["bad-image"]["FailureReason"]
    assert reasons["bad-param"]["FailureReason"].startswith(
        "ClientError: Hyperparameter learning_speed is not a parameter of the XGBoost algorithm."
    )


def test_stop_and_max_runtime(setup: dict[str, Any]) -> None:
    sm, role = setup["sm"], setup["role"]
    endless = {"objective": "multi:softmax", "num_class": "3", "num_round": "100000000"}
    sm.create_training_job(**job_request("stop-me", role, HyperParameters=endless))
    wait_for(
        lambda: (
            sm.describe_training_job(TrainingJobName="stop-me")["SecondaryStatus"] == "Training"
        ),
        what="training to start",
    )
    sm.stop_training_job(TrainingJobName="stop-me")
    stopped = finished(sm, "stop-me")
    assert (stopped["TrainingJobStatus"], stopped["SecondaryStatus"]) == ("Stopped", "Stopped")
    sm.create_training_job(
        **job_request(
            "too-long", role, HyperParameters=endless, StoppingCondition={"MaxRuntimeInSeconds": 1}
        )
    )
    limited = finished(sm, "too-long")
    assert (limited["TrainingJobStatus"], limited["SecondaryStatus"]) == (
        "Stopped",
        "MaxRuntimeExceeded",
    )
    with pytest.raises(ClientError) as caught:
        sm.stop_training_job(TrainingJobName="too-long")
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_create_is_validated(setup: dict[str, Any], server: LiveServer, tmp_path: Path) -> None:
    sm, role = setup["sm"], setup["role"]
    iam = server.client("iam")
    untrusting = iam.create_role(
        RoleName="NotForSageMaker",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "codebuild.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    with pytest.raises(ClientError) as caught:
        sm.create_training_job(**job_request("x", untrusting))
    assert caught.value.response["Error"]["Message"] == (
        f"Could not assume role {untrusting}. Please ensure that the role exists and allows "
        "principal 'sagemaker.amazonaws.com' to assume the role."
    )
    with pytest.raises(ClientError) as caught:
        sm.create_training_job(
            **job_request(
                "x",
                role,
                ResourceConfig={
                    "InstanceType": "ml.m5.large",
                    "InstanceCount": 2,
                    "VolumeSizeInGB": 5,
                },
            )
        )
    assert "InstanceCount > 1" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        sm.describe_training_job(TrainingJobName="never")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFound"


TRAIN_SCRIPT = """
import argparse, json, os
import numpy as np
import xgboost as xgb

parser = argparse.ArgumentParser()
parser.add_argument("--max_depth", type=int)
parser.add_argument("--rounds", type=int)
args = parser.parse_args()
table = np.loadtxt(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "train.csv"), delimiter=",")
booster = xgb.train(
    {"objective": "multi:softmax", "num_class": 3, "max_depth": args.max_depth},
    xgb.DMatrix(table[:, 1:], label=table[:, 0]),
    num_boost_round=args.rounds,
)
booster.save_model(os.path.join(os.environ["SM_MODEL_DIR"], "xgboost-model"))
print("accuracy=0.97")
print("cwd=" + os.getcwd())
"""


def sourcedir(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_script_mode(setup: dict[str, Any], server: LiveServer) -> None:
    sm, s3, role = setup["sm"], setup["s3"], setup["role"]
    s3.put_object(
        Bucket="ml-data", Key="code/sourcedir.tar.gz", Body=sourcedir({"train.py": TRAIN_SCRIPT})
    )
    s3.put_object(
        Bucket="ml-data",
        Key="code/needs.tar.gz",
        Body=sourcedir(
            {"train.py": TRAIN_SCRIPT, "requirements.txt": "numpy\nno-such-package==1\n"}
        ),
    )
    script = {
        "sagemaker_program": '"train.py"',
        "sagemaker_submit_directory": '"s3://ml-data/code/sourcedir.tar.gz"',
        "max_depth": "3",
        "rounds": "5",
    }
    metrics = [{"Name": "train:accuracy", "Regex": "accuracy=([0-9.]+)"}]
    sm.create_training_job(
        **job_request(
            "script-1",
            role,
            HyperParameters=script,
            AlgorithmSpecification={
                "TrainingImage": IMAGE,
                "TrainingInputMode": "File",
                "MetricDefinitions": metrics,
            },
        )
    )
    refused = dict(script, sagemaker_submit_directory='"s3://ml-data/code/needs.tar.gz"')
    sm.create_training_job(**job_request("script-2", role, HyperParameters=refused))
    job = finished(sm, "script-1")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert [(m["MetricName"], m["Value"]) for m in job["FinalMetricDataList"]] == [
        ("train:accuracy", 0.97)
    ]
    logs = server.client("logs")
    found = logs.filter_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs",
        logStreamNamePrefix="script-1/",
        filterPattern="cwd",
    )["events"]
    if contract.namespaces_work():
        assert found[0]["message"] == "cwd=/opt/ml/code"
    else:  # the job's own folder stands in for /opt/ml
        assert found[0]["message"].endswith("/script-1/code")
    refused_job = finished(sm, "script-2")
    assert refused_job["TrainingJobStatus"] == "Failed"
    assert "(no-such-package)" in refused_job["FailureReason"]


def test_a_finished_job_never_runs_again(setup: dict[str, Any], server: LiveServer) -> None:
    """A runner tick whose list of jobs to run was read just before a job finished must not
    start it again (it would overwrite the registered artifact)."""
    from airlock.sagemaker.training.runner import JobRunner

    sm, s3 = setup["sm"], setup["s3"]
    sm.create_training_job(**job_request("once", setup["role"]))
    assert finished(sm, "once")["TrainingJobStatus"] == "Completed"
    key = "output/once/output/model.tar.gz"
    etag = s3.head_object(Bucket="ml-data", Key=key)["ETag"]
    (runner,) = [
        worker
        for group in server.airlock.workers
        for worker in getattr(group, "workers", [])
        if isinstance(worker, JobRunner) and worker.name == "airlock-training"
    ]
    with server.airlock.platform.db.read() as session:
        (job_id,) = session.scalars(select(TrainingJob.id)).all()
    runner.run_item(job_id)  # what the stale tick would start, in this thread
    job = sm.describe_training_job(TrainingJobName="once")
    assert job["TrainingJobStatus"] == "Completed"
    assert "Restarting" not in [t["Status"] for t in job["SecondaryStatusTransitions"]]
    assert s3.head_object(Bucket="ml-data", Key=key)["ETag"] == etag
