"""InstanceCount > 1 in script mode: every host runs the program with the distributed contract.

The hosts are processes of this machine; in a private mount namespace their names
(`algo-1`, `algo-2`) resolve through the job's own /etc/hosts, so the program talks
to its peers by name as it would in SageMaker.
"""

from __future__ import annotations

import io
import json
import tarfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from airlock.sagemaker.training import contract
from tests.sagemaker.test_training import (
    csv,
    finished,
    iris_like,
    job_request,
    setup,  # noqa: F401 - the fixture
    sourcedir,
)
from tests.support import LiveServer, unused_port

PROGRAM = """
import argparse, json, os, socket, sys, time

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int)
parser.add_argument("--fail_on", default="")
args = parser.parse_args()
hosts = json.loads(os.environ["SM_HOSTS"])
me = os.environ["SM_CURRENT_HOST"]
config = json.load(open(os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "resourceconfig.json")))
assert config["current_host"] == me and config["hosts"] == hosts
if me == args.fail_on:
    print("failing on purpose on " + me)
    sys.exit(3)
train = os.environ["SM_CHANNEL_TRAIN"]
rows = sum(1 for name in os.listdir(train) for _ in open(os.path.join(train, name)))
files = sorted(os.listdir(train))
print(f"{me}: {len(files)} files, {rows} rows, algo-1 is {socket.gethostbyname('algo-1')}")
master = hosts[0]
if me == master:
    server = socket.create_server(("0.0.0.0", args.port))
    seen = {me: {"files": files, "rows": rows}}
    while len(seen) < len(hosts):
        connection, _ = server.accept()
        peer = json.loads(connection.makefile().readline())
        seen[peer["host"]] = {"files": peer["files"], "rows": peer["rows"]}
    with open(os.path.join(os.environ["SM_MODEL_DIR"], "cluster.json"), "w") as out:
        json.dump(seen, out)
    print(f"total-rows={sum(v['rows'] for v in seen.values())}")
else:
    for _ in range(200):
        try:
            connection = socket.create_connection((master, args.port))
            break
        except OSError:
            time.sleep(0.05)
    message = {"host": me, "files": files, "rows": rows}
    connection.sendall((json.dumps(message) + "\\n").encode())
"""


def two_hosts(role: str, name: str, port: int, **extra: str) -> dict[str, Any]:
    request = job_request(name, role)
    request["ResourceConfig"]["InstanceCount"] = 2
    request["HyperParameters"] = {
        "sagemaker_program": '"cluster.py"',
        "sagemaker_submit_directory": '"s3://ml-data/code/cluster.tar.gz"',
        "port": str(port),
        **extra,
    }
    request["AlgorithmSpecification"]["MetricDefinitions"] = [
        {"Name": "train:rows", "Regex": "total-rows=([0-9]+)"}
    ]
    channel = request["InputDataConfig"][0]["DataSource"]["S3DataSource"]
    channel["S3Uri"] = "s3://ml-data/sharded/"
    channel["S3DataDistributionType"] = "ShardedByS3Key"
    return request


def test_two_hosts_share_the_work(setup: dict[str, Any], server: LiveServer) -> None:  # noqa: F811
    sm, s3 = setup["sm"], setup["s3"]
    s3.put_object(
        Bucket="ml-data", Key="code/cluster.tar.gz", Body=sourcedir({"cluster.py": PROGRAM})
    )
    for index in range(4):
        s3.put_object(
            Bucket="ml-data",
            Key=f"sharded/part-{index}.csv",
            Body=csv(iris_like(10 + index, index)),
        )
    sm.create_training_job(**two_hosts(setup["role"], "cluster", unused_port()))
    job = finished(sm, "cluster")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["ResourceConfig"]["InstanceCount"] == 2
    # ShardedByS3Key: each host got every other object; all rows were counted once.
    assert [(m["MetricName"], m["Value"]) for m in job["FinalMetricDataList"]] == [
        ("train:rows", 10 + 11 + 12 + 13)
    ]
    bucket, key = job["ModelArtifacts"]["S3ModelArtifacts"].removeprefix("s3://").split("/", 1)
    archive = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile("cluster.json")
        assert member is not None
        cluster = json.loads(member.read())
    assert cluster == {
        "algo-1": {"files": ["part-0.csv", "part-2.csv"], "rows": 22},
        "algo-2": {"files": ["part-1.csv", "part-3.csv"], "rows": 24},
    }
    streams = server.client("logs").describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix="cluster/"
    )["logStreams"]
    assert sorted(s["logStreamName"].rsplit("-", 1)[0] for s in streams) == [
        "cluster/algo-1",
        "cluster/algo-2",
    ]
    if contract.namespaces_work():
        events = server.client("logs").filter_log_events(
            logGroupName="/aws/sagemaker/TrainingJobs", filterPattern='"algo-1 is"'
        )["events"]
        assert {e["message"].split(" is ")[1] for e in events} == {"127.0.0.1"}


def test_one_failing_host_fails_the_job(setup: dict[str, Any]) -> None:  # noqa: F811
    sm, s3 = setup["sm"], setup["s3"]
    s3.put_object(
        Bucket="ml-data", Key="code/cluster.tar.gz", Body=sourcedir({"cluster.py": PROGRAM})
    )
    s3.put_object(Bucket="ml-data", Key="sharded/only.csv", Body=csv(iris_like(5, 1)))
    request = two_hosts(setup["role"], "half", unused_port(), fail_on="algo-2")
    sm.create_training_job(**request)
    job = finished(sm, "half")
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"] == (
        "AlgorithmError: the training program exited with status 3 on algo-2"
    )


def test_built_in_algorithm_refuses_more_than_one_instance(
    setup: dict[str, Any],  # noqa: F811
) -> None:
    request = job_request("many", setup["role"])
    request["ResourceConfig"]["InstanceCount"] = 3
    with pytest.raises(ClientError) as caught:
        setup["sm"].create_training_job(**request)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"].startswith(
        "InstanceCount > 1 is not supported by the built-in XGBoost algorithm in Airlock"
    )
    assert setup["sm"].list_training_jobs()["TrainingJobSummaries"] == []
