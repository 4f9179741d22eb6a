"""Endpoints through boto3: a model served by model-server processes, invoked for real."""

from __future__ import annotations

import io
import json
import tarfile
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from tests.sagemaker.test_models import sagemaker_role
from tests.sagemaker.test_registry import IMAGE, error
from tests.sagemaker.test_training import iris_like
from tests.support import LiveServer


def booster_archive(objective: str = "multi:softmax") -> tuple[xgb.Booster, bytes]:
    table = iris_like(120, 5)
    booster = xgb.train(
        {"objective": objective, "num_class": 3, "max_depth": 3},
        xgb.DMatrix(table[:, 1:], label=table[:, 0]),
        10,
    )
    raw = booster.save_raw("ubj")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(bytes(raw)))
    return booster, buffer.getvalue()


@pytest.fixture
def hosted(server: LiveServer) -> dict[str, Any]:
    """A model, a config with one variant, and an endpoint waited InService."""
    s3, sm = server.client("s3"), server.client("sagemaker")
    s3.create_bucket(Bucket="models")
    booster, archive = booster_archive()
    s3.put_object(Bucket="models", Key="iris/model.tar.gz", Body=archive)
    role = sagemaker_role(server, server.first_account_id(), "HostRole", ["models"])
    sm.create_model(
        ModelName="iris",
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/iris/model.tar.gz"},
        ExecutionRoleArn=role,
    )
    sm.create_endpoint_config(
        EndpointConfigName="iris-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "iris",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    arn = sm.create_endpoint(EndpointName="iris", EndpointConfigName="iris-config")["EndpointArn"]
    assert sm.describe_endpoint(EndpointName="iris")["EndpointStatus"] == "Creating"
    sm.get_waiter("endpoint_in_service").wait(
        EndpointName="iris", WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    return {
        "sm": sm,
        "s3": s3,
        "runtime": server.client("sagemaker-runtime"),
        "arn": arn,
        "booster": booster,
        "role": role,
    }


def test_endpoint_serves_the_model(hosted: dict[str, Any]) -> None:
    sm, runtime, booster = hosted["sm"], hosted["runtime"], hosted["booster"]
    described = sm.describe_endpoint(EndpointName="iris")
    assert described["EndpointArn"] == hosted["arn"]
    assert described["EndpointConfigName"] == "iris-config"
    (variant,) = described["ProductionVariants"]
    assert variant["VariantName"] == "AllTraffic"
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (1, 1)
    assert (variant["CurrentWeight"], variant["DesiredWeight"]) == (1.0, 1.0)
    assert variant["DeployedImages"][0]["SpecifiedImage"] == IMAGE

    rows = iris_like(5, 9)[:, 1:]
    body = "\n".join(",".join(f"{v:.4f}" for v in row) for row in rows)
    answer = runtime.invoke_endpoint(EndpointName="iris", ContentType="text/csv", Body=body)
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    assert answer["ContentType"] == "text/csv"
    predicted = [float(v) for v in answer["Body"].read().decode().split(",")]
    expected = booster.predict(xgb.DMatrix(np.round(rows, 4)))
    assert predicted == [float(v) for v in expected]

    answer = runtime.invoke_endpoint(
        EndpointName="iris",
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps({"instances": [list(map(float, np.round(rows[0], 4)))]}),
        CustomAttributes="trace=1",
    )
    assert json.loads(answer["Body"].read()) == {"predictions": [{"score": float(expected[0])}]}
    assert answer["CustomAttributes"] == "trace=1"

    with pytest.raises(ClientError) as caught:
        runtime.invoke_endpoint(EndpointName="iris", ContentType="text/csv", Body="1,2")
    assert caught.value.response["Error"]["Code"] == "ModelError"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert caught.value.response["OriginalStatusCode"] == 400
    assert (
        "Feature size of the rows (2) does not match the model's (4)"
        in (caught.value.response["Error"]["Message"])
    )

    with pytest.raises(ClientError) as caught:
        runtime.invoke_endpoint(EndpointName="nope", ContentType="text/csv", Body="1,2,3,4")
    account = hosted["arn"].split(":")[4]
    assert error(caught) == ("ValidationError", f"Endpoint nope of account {account} not found.")
    with pytest.raises(ClientError) as caught:
        runtime.invoke_endpoint(
            EndpointName="iris", ContentType="text/csv", Body=b"1" * (6 * 1024 * 1024 + 1)
        )
    assert error(caught) == (
        "ValidationError",
        "1 validation error detected: Value at 'body' failed to satisfy constraint: Member "
        "must have length less than or equal to 6291456",
    )


def test_list_and_delete(hosted: dict[str, Any]) -> None:
    sm = hosted["sm"]
    listed = sm.list_endpoints()["Endpoints"]
    assert [(e["EndpointName"], e["EndpointStatus"]) for e in listed] == [("iris", "InService")]
    assert sm.list_endpoints(StatusEquals="Failed")["Endpoints"] == []
    configs = sm.list_endpoint_configs()["EndpointConfigs"]
    assert [c["EndpointConfigName"] for c in configs] == ["iris-config"]
    with pytest.raises(ClientError) as caught:
        sm.create_endpoint(EndpointName="iris", EndpointConfigName="iris-config")
    assert error(caught) == (
        "ValidationException",
        f'Cannot create already existing endpoint "{hosted["arn"]}".',
    )
    sm.delete_endpoint(EndpointName="iris")
    sm.get_waiter("endpoint_deleted").wait(
        EndpointName="iris", WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    with pytest.raises(ClientError) as caught:
        sm.describe_endpoint(EndpointName="iris")
    assert error(caught) == ("ValidationException", f'Could not find endpoint "{hosted["arn"]}".')


def test_bad_configs_and_endpoints_are_refused(hosted: dict[str, Any]) -> None:
    sm = hosted["sm"]
    variant = {
        "VariantName": "A",
        "ModelName": "missing",
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
    }
    account = hosted["arn"].split(":")[4]
    with pytest.raises(ClientError) as caught:
        sm.create_endpoint_config(EndpointConfigName="bad", ProductionVariants=[variant])
    assert error(caught) == (
        "ValidationException",
        f'Could not find model "arn:aws:sagemaker:us-east-1:{account}:model/missing".',
    )
    twice = [dict(variant, ModelName="iris"), dict(variant, ModelName="iris")]
    with pytest.raises(ClientError) as caught:
        sm.create_endpoint_config(EndpointConfigName="bad", ProductionVariants=twice)
    assert "The variant name A appears more than once" in error(caught)[1]
    with pytest.raises(ClientError) as caught:
        sm.create_endpoint(EndpointName="other", EndpointConfigName="missing")
    assert error(caught) == (
        "ValidationException",
        "Could not find endpoint configuration "
        f'"arn:aws:sagemaker:us-east-1:{account}:endpoint-config/missing".',
    )
    assert [c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]] == [
        "iris-config"
    ]
