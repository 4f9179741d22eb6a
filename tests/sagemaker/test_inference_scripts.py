"""Framework images serve the user's inference script (model_fn, predict_fn, … or defaults)."""

from __future__ import annotations

import io
import json
import pickle
import tarfile

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError
from sklearn.linear_model import LogisticRegression

from tests.sagemaker.test_endpoints import booster_archive, variant, wait_in_service
from tests.sagemaker.test_models import sagemaker_role
from tests.sagemaker.test_training import iris_like, sourcedir
from tests.support import LiveServer

SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
INFERENCE = """
import os, pickle
import numpy as np

def model_fn(model_dir):
    with open(os.path.join(model_dir, "model.pkl"), "rb") as f:
        return pickle.load(f)

def predict_fn(data, model):
    if data.shape[1] != 4:
        raise ValueError(f"expected 4 features, got {data.shape[1]}")
    return model.predict_proba(data)
"""


def archive(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_scikit_learn_inference_script(server: LiveServer) -> None:
    s3, sm = server.client("s3"), server.client("sagemaker")
    table = iris_like(150, 3)
    model = LogisticRegression(max_iter=500).fit(table[:, 1:], table[:, 0])
    s3.create_bucket(Bucket="models")
    s3.put_object(
        Bucket="models", Key="sk/model.tar.gz", Body=archive({"model.pkl": pickle.dumps(model)})
    )
    s3.put_object(
        Bucket="models", Key="sk/sourcedir.tar.gz", Body=sourcedir({"inference.py": INFERENCE})
    )
    role = sagemaker_role(server, server.first_account_id(), "HostRole", ["models"])
    sm.create_model(
        ModelName="sk",
        PrimaryContainer={
            "Image": SKLEARN,
            "ModelDataUrl": "s3://models/sk/model.tar.gz",
            "Environment": {
                "SAGEMAKER_PROGRAM": "inference.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": "s3://models/sk/sourcedir.tar.gz",
            },
        },
        ExecutionRoleArn=role,
    )
    sm.create_endpoint_config(
        EndpointConfigName="sk",
        ProductionVariants=[variant("sk")],
    )
    sm.create_endpoint(EndpointName="sk", EndpointConfigName="sk")
    wait_in_service(sm, "sk")
    runtime = server.client("sagemaker-runtime")
    rows = table[:3, 1:]
    answer = runtime.invoke_endpoint(
        EndpointName="sk",
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps(rows.tolist()),
    )
    scores = [p["score"] for p in json.loads(answer["Body"].read())["predictions"]]
    assert np.allclose(scores, model.predict_proba(rows))
    with pytest.raises(ClientError) as caught:
        runtime.invoke_endpoint(EndpointName="sk", ContentType="text/csv", Body="1,2")
    assert caught.value.response["Error"]["Code"] == "ModelError"
    assert caught.value.response["OriginalStatusCode"] == 500
    assert "ValueError: expected 4 features, got 2" in caught.value.response["Error"]["Message"]


XGB_INFERENCE = """
import json

def output_fn(prediction, accept):
    return json.dumps({"classes": [int(p) for p in prediction]}), "application/json"
"""


def test_an_xgboost_script_with_the_container_defaults(server: LiveServer) -> None:
    """Only output_fn is the user's; the script sits in the model archive's code/."""
    s3, sm = server.client("s3"), server.client("sagemaker")
    booster, _ = booster_archive()
    raw = bytes(booster.save_raw("ubj"))
    s3.create_bucket(Bucket="models")
    s3.put_object(
        Bucket="models",
        Key="xgb/model.tar.gz",
        Body=archive({"xgboost-model": raw, "code/inference.py": XGB_INFERENCE.encode()}),
    )
    role = sagemaker_role(server, server.first_account_id(), "HostRole", ["models"])
    sm.create_model(
        ModelName="xgb",
        PrimaryContainer={
            "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "ModelDataUrl": "s3://models/xgb/model.tar.gz",
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
        },
        ExecutionRoleArn=role,
    )
    sm.create_endpoint_config(
        EndpointConfigName="xgb",
        ProductionVariants=[variant("xgb")],
    )
    sm.create_endpoint(EndpointName="xgb", EndpointConfigName="xgb")
    wait_in_service(sm, "xgb")
    rows = iris_like(4, 8)[:, 1:]
    answer = server.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="xgb",
        ContentType="text/csv",
        Body="\n".join(",".join(f"{v:.4f}" for v in row) for row in rows),
    )
    assert answer["ContentType"] == "application/json"
    expected = booster.predict(xgb.DMatrix(np.round(rows, 4)))
    assert json.loads(answer["Body"].read()) == {"classes": [int(p) for p in expected]}
