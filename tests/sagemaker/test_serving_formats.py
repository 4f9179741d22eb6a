"""The built-in XGBoost server's request and answer formats: pure parts, then through boto3."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from airlock.algorithms.serve import BadRequest, encode, parse_rows
from tests.sagemaker.test_endpoints import booster_archive, create_hosted, wait_in_service
from tests.support import LiveServer


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"1,2,3\n4,5,6\n", "text/csv"),
        (b"1,2,3\n4,5,6", "text/csv; charset=utf-8"),
        (b'{"instances": [[1, 2, 3], [4, 5, 6]]}', "application/json"),
        (b'{"instances": [{"features": [1, 2, 3]}, {"features": [4, 5, 6]}]}', "application/json"),
        (b"[[1, 2, 3], [4, 5, 6]]", "application/json"),
        (b"0 0:1 1:2 2:3\n1 0:4 1:5 2:6", "text/libsvm"),
    ],
)
def test_rows_in_each_content_type(body: bytes, content_type: str) -> None:
    assert parse_rows(body, content_type).tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_a_single_json_instance_is_one_row() -> None:
    assert parse_rows(b'{"instances": [1, 2]}', "application/json").tolist() == [[1.0, 2.0]]


def test_libsvm_leaves_missing_features_missing() -> None:
    rows = parse_rows(b"0:1 2:3\n1:5", "text/libsvm")
    assert rows.shape == (2, 3)
    assert rows[0, 0] == 1.0 and np.isnan(rows[0, 1]) and rows[0, 2] == 3.0
    assert np.isnan(rows[1, 0]) and rows[1, 1] == 5.0


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"  ", "text/csv", "The request has no rows."),
        (b"1,x", "text/csv", "Loading csv data failed: could not convert string to float: 'x'"),
        (b"1,2\n3", "text/csv", "The rows are not numbers of one width"),
        (b"{", "application/json", "Loading json data failed"),
        (b"1:x", "text/libsvm", "Loading libsvm data failed: '1:x'"),
        (b"1,2", "image/png", "Content type image/png is not supported"),
    ],
)
def test_bad_requests_say_why(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_rows(body, content_type)
    assert str(caught.value).startswith(message)


def test_answers_as_the_container_gives_them() -> None:
    classes = np.array([1.0, 0.0, 2.0])
    assert encode(classes, "text/csv") == (b"1.0,0.0,2.0", "text/csv")
    probabilities = np.array([[0.25, 0.75], [0.5, 0.5]])
    assert encode(probabilities, "text/csv") == (b"0.25,0.75\n0.5,0.5", "text/csv")
    body, kind = encode(probabilities, "application/json")
    assert kind == "application/json"
    assert json.loads(body) == {"predictions": [{"score": [0.25, 0.75]}, {"score": [0.5, 0.5]}]}
    with pytest.raises(BadRequest) as caught:
        encode(classes, "text/html")
    assert str(caught.value) == (
        "Accept type text/html is not supported: use text/csv or application/json."
    )


def test_softprob_over_libsvm_through_boto3(server: LiveServer) -> None:
    sm = server.client("sagemaker")
    booster, archive = booster_archive("multi:softprob")
    create_hosted(server, "prob", archive)
    wait_in_service(sm, "prob")
    rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
    libsvm = "\n".join(" ".join(f"{i}:{v}" for i, v in enumerate(row)) for row in rows)
    runtime: Any = server.client("sagemaker-runtime")
    answer = runtime.invoke_endpoint(EndpointName="prob", ContentType="text/libsvm", Body=libsvm)
    assert answer["ContentType"] == "text/csv"
    lines = answer["Body"].read().decode().splitlines()
    got = [[float(v) for v in line.split(",")] for line in lines]
    expected = booster.predict(xgb.DMatrix(np.array(rows)))
    assert np.allclose(got, expected) and len(got) == 2 and len(got[0]) == 3
    assert all(abs(sum(row) - 1.0) < 1e-5 for row in got)
