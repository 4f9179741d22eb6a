"""Measure SageMaker Pipelines: wall time from StartPipelineExecution to Succeeded.

Run: .venv/bin/python -m bench.pipeline_wall_time [--runs 5]
Starts `airlock server` as its own process, uploads iris-like data, and runs the
2-step iris pipeline (built-in XGBoost training, then RegisterModel) `--runs`
times without caching and `--runs` times with the training step's cache hit.
Prints the median and range of each; asserts only that the executions succeed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.sagemaker.test_training import IMAGE, TRUST, csv, iris_like
from tests.support import free_socket, process_client, server_process


def _definition(role: str, cached: bool) -> str:
    train: dict[str, Any] = {
        "Name": "Train",
        "Type": "Training",
        "Arguments": {
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": role,
            "HyperParameters": {"objective": "multi:softmax", "num_class": "3", "num_round": "20"},
            "InputDataConfig": [
                {
                    "ChannelName": channel,
                    "ContentType": "text/csv",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": f"s3://bench-data/iris/{channel}",
                        }
                    },
                }
                for channel in ("train", "validation")
            ],
            "OutputDataConfig": {"S3OutputPath": "s3://bench-data/models"},
            "ResourceConfig": {
                "InstanceType": "ml.m5.large",
                "InstanceCount": 1,
                "VolumeSizeInGB": 5,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 300},
        },
    }
    if cached:
        train["CacheConfig"] = {"Enabled": True, "ExpireAfter": "PT1H"}
    register = {
        "Name": "Register",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": "bench",
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
        },
    }
    return json.dumps({"Version": "2020-12-01", "Steps": [train, register]})


def _run(sm: Any, name: str) -> float:
    started = time.perf_counter()
    arn = sm.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    while True:
        status = sm.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"]
        if status != "Executing":
            break
        if time.perf_counter() - started > 300:
            raise SystemExit(f"execution {arn} did not finish within 300 s")
        time.sleep(0.05)  # the benchmark's polling interval (50 ms granularity in the figures)
    if status != "Succeeded":
        raise SystemExit(f"execution {arn} ended {status}")
    return time.perf_counter() - started


def main() -> None:
    """Run the pipeline without and with caching; print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        sock = free_socket()
        port = sock.getsockname()[1]
        sock.close()
        with server_process(state, port):
            s3, iam, sm = (
                process_client(state, port, "s3"),
                process_client(state, port, "iam"),
                process_client(state, port, "sagemaker"),
            )
            s3.create_bucket(Bucket="bench-data")
            s3.put_object(Bucket="bench-data", Key="iris/train/t.csv", Body=csv(iris_like(150, 1)))
            s3.put_object(
                Bucket="bench-data", Key="iris/validation/v.csv", Body=csv(iris_like(50, 2))
            )
            role = iam.create_role(RoleName="Bench", AssumeRolePolicyDocument=json.dumps(TRUST))
            iam.put_role_policy(
                RoleName="Bench",
                PolicyName="all-s3",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                    }
                ),
            )
            arn = role["Role"]["Arn"]
            sm.create_model_package_group(ModelPackageGroupName="bench")
            sm.create_pipeline(
                PipelineName="plain", PipelineDefinition=_definition(arn, False), RoleArn=arn
            )
            sm.create_pipeline(
                PipelineName="cached", PipelineDefinition=_definition(arn, True), RoleArn=arn
            )
            plain = [_run(sm, "plain") for _ in range(args.runs)]
            _run(sm, "cached")  # fills the cache
            cached = [_run(sm, "cached") for _ in range(args.runs)]
    for label, samples in (("without cache", plain), ("with the training step cached", cached)):
        print(
            f"{label}: median {statistics.median(samples):.2f} s "
            f"(min {min(samples):.2f}, max {max(samples):.2f}, {len(samples)} runs)"
        )


if __name__ == "__main__":
    main()
