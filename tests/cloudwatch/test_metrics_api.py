"""SageMaker's endpoint metrics through CloudWatch's API, with boto3 and the aws CLI."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.sagemaker.test_endpoints import booster_archive, create_hosted, wait_in_service
from tests.support import LiveServer, aws_cli, policy_user, wait_for

ENDPOINT = [
    {"Name": "EndpointName", "Value": "iris"},
    {"Name": "VariantName", "Value": "AllTraffic"},
]
CALLS = 4


def _window() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"StartTime": now - timedelta(minutes=30), "EndTime": now + timedelta(minutes=5)}


def statistics(cw: Any, metric: str, **extra: Any) -> list[dict[str, Any]]:
    """The iris endpoint's datapoints of `metric` per minute over the last half hour."""
    params = {
        "Namespace": "AWS/SageMaker",
        "MetricName": metric,
        "Dimensions": ENDPOINT,
        "Period": 60,
        "Statistics": ["Sum", "SampleCount", "Average", "Minimum", "Maximum"],
        **_window(),
    }
    out = cw.get_metric_statistics(**{**params, **extra})
    assert out["Label"] == metric
    return list(out["Datapoints"])


@pytest.fixture
def invoked(server: LiveServer) -> Any:
    """The iris endpoint, invoked CALLS times and once with a bad row; its metrics recorded."""
    sm = server.client("sagemaker")
    create_hosted(server, "iris", booster_archive()[1])
    wait_in_service(sm, "iris")
    runtime = server.client("sagemaker-runtime")
    for _ in range(CALLS):
        runtime.invoke_endpoint(EndpointName="iris", ContentType="text/csv", Body="5,3,1,0")
    with pytest.raises(ClientError):
        runtime.invoke_endpoint(EndpointName="iris", ContentType="text/csv", Body="5,3")
    cw = server.client("cloudwatch")

    def recorded() -> bool:
        return bool(sum(p["Sum"] for p in statistics(cw, "Invocations")) >= CALLS + 1)

    wait_for(recorded, timeout=90, interval=0.5, what="the invocations in CloudWatch")
    return cw


def test_endpoint_metrics_as_statistics(invoked: Any) -> None:
    cw = invoked
    points = statistics(cw, "Invocations")
    # The calls may straddle a minute: one datapoint per minute with calls, in order.
    assert sum(p["Sum"] for p in points) == CALLS + 1
    assert all(p["Unit"] == "None" and p["Timestamp"].second == 0 for p in points)
    assert all(p["SampleCount"] == p["Sum"] and p["Average"] == 1.0 for p in points)
    errors = statistics(cw, "Invocation4XXErrors")
    assert sum(p["Sum"] for p in errors) == 1
    latency = statistics(cw, "ModelLatency")
    assert sum(p["SampleCount"] for p in latency) == CALLS + 1
    assert all(0 < p["Minimum"] <= p["Average"] <= p["Maximum"] for p in latency)
    assert {p["Unit"] for p in latency} == {"Microseconds"}
    # One period over the whole window adds the minutes up.
    window = _window()
    start = window["StartTime"].replace(second=0, microsecond=0)
    whole = cw.get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName="Invocations",
        Dimensions=ENDPOINT,
        Period=3600,
        Statistics=["Sum"],
        **window,
    )["Datapoints"]
    assert [(p["Timestamp"], p["Sum"]) for p in whole] == [(start, CALLS + 1)]
    # Another unit, another variant, another namespace: no data, as in AWS.
    assert statistics(cw, "ModelLatency", Unit="Seconds") == []
    other = [ENDPOINT[0], {"Name": "VariantName", "Value": "Blue"}]
    assert statistics(cw, "Invocations", Dimensions=other) == []
    assert statistics(cw, "Invocations", Namespace="AWS/EC2") == []
    assert statistics(cw, "Invocations", Dimensions=ENDPOINT[:1]) == []

    listed = cw.list_metrics(Namespace="AWS/SageMaker")["Metrics"]
    assert sorted(m["MetricName"] for m in listed) == sorted(
        [
            "Invocations",
            "Invocation4XXErrors",
            "Invocation5XXErrors",
            "ModelLatency",
            "OverheadLatency",
        ]
    )
    assert all(m["Dimensions"] == ENDPOINT for m in listed)
    named = cw.list_metrics(MetricName="ModelLatency", Dimensions=[{"Name": "EndpointName"}])
    assert [m["MetricName"] for m in named["Metrics"]] == ["ModelLatency"]
    assert cw.list_metrics(Dimensions=[{"Name": "EndpointName", "Value": "x"}])["Metrics"] == []
    assert cw.list_metrics(Namespace="AWS/Lambda")["Metrics"] == []


def test_bad_requests_are_refused_as_cloudwatch_words_them(
    invoked: Any, server: LiveServer
) -> None:
    cw = invoked

    def refused(client: Any = cw, **params: Any) -> tuple[str, str]:
        base = {
            "Namespace": "AWS/SageMaker",
            "MetricName": "Invocations",
            "Period": 60,
            "Statistics": ["Sum"],
            **_window(),
        }
        with pytest.raises(ClientError) as caught:
            client.get_metric_statistics(**{k: v for k, v in {**base, **params}.items() if v})
        error = caught.value.response["Error"]
        return error["Code"], error["Message"]

    assert refused(Period=90) == (
        "InvalidParameterValue",
        "The parameter Period must be a multiple of 60.",
    )
    now = datetime.now(UTC)
    assert refused(StartTime=now, EndTime=now - timedelta(minutes=1)) == (
        "InvalidParameterValue",
        "The parameter StartTime must be less than the parameter EndTime.",
    )
    assert refused(StartTime=now - timedelta(days=2), EndTime=now) == (
        "InvalidParameterCombination",
        "You have requested up to 2,881 datapoints, which exceeds the limit of 1,440. You may "
        "reduce the datapoints requested by increasing Period, or decreasing the time range.",
    )
    assert refused(Statistics=None) == (
        "InvalidParameterCombination",
        "Must specify either Statistics or ExtendedStatistics",
    )
    assert refused(ExtendedStatistics=["p99"]) == (
        "InvalidParameterCombination",
        "Must specify either Statistics or ExtendedStatistics, but not both.",
    )
    # botocore checks required members itself; unchecked, the request reaches Airlock.
    unchecked = server.client("cloudwatch", config=Config(parameter_validation=False))
    assert refused(unchecked, Namespace=None) == (
        "MissingParameter",
        "The parameter Namespace is required.",
    )


def test_metrics_need_cloudwatch_permission(invoked: Any, server: LiveServer) -> None:
    statement = {"Effect": "Allow", "Action": "cloudwatch:ListMetrics", "Resource": "*"}
    cw, arn = policy_user(server, "watcher", "cloudwatch", statement)
    assert cw.list_metrics(Namespace="AWS/SageMaker")["Metrics"]
    with pytest.raises(ClientError) as caught:
        statistics(cw, "Invocations")
    error = caught.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"].startswith(
        f"User: {arn} is not authorized to perform: cloudwatch:GetMetricStatistics on resource: *"
    )


def test_the_aws_cli_reads_endpoint_statistics(
    invoked: Any, server: LiveServer, tmp_path: Path
) -> None:
    window = _window()
    done = aws_cli(
        server,
        tmp_path,
        "cloudwatch",
        "get-metric-statistics",
        "--namespace",
        "AWS/SageMaker",
        "--metric-name",
        "Invocations",
        "--dimensions",
        "Name=EndpointName,Value=iris",
        "Name=VariantName,Value=AllTraffic",
        "--start-time",
        window["StartTime"].isoformat(),
        "--end-time",
        window["EndTime"].isoformat(),
        "--period",
        "3600",
        "--statistics",
        "Sum",
        "--output",
        "json",
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["Label"] == "Invocations"
    assert [p["Sum"] for p in answer["Datapoints"]] == [CALLS + 1]


def cbor_client(server: LiveServer, models: Path) -> Any:
    """A boto3 CloudWatch client that speaks smithy RPC v2 CBOR: botocore prefers the
    model's JSON protocol, so the model it loads lists only CBOR."""
    stock = botocore.session.get_session().get_component("data_loader")
    model = copy.deepcopy(stock.load_service_model("cloudwatch", "service-2"))
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    where = models / "cloudwatch" / model["metadata"]["apiVersion"]
    where.mkdir(parents=True)
    (where / "service-2.json").write_text(json.dumps(model))
    core = botocore.session.get_session()  # its loader has read no model yet
    core.get_component("data_loader").search_paths.insert(0, str(models))
    access_key, secret = server.root_keys(server.first_account_id())
    return boto3.session.Session(botocore_session=core).client(
        "cloudwatch",
        region_name=server.settings.region,
        endpoint_url=server.url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_rpc_v2_cbor_clients_are_answered_in_cbor(
    invoked: Any, server: LiveServer, tmp_path: Path
) -> None:
    cw = cbor_client(server, tmp_path / "models")
    assert cw.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    window = _window()
    out = cw.get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName="ModelLatency",
        Dimensions=ENDPOINT,
        Period=3600,
        Statistics=["SampleCount", "Average"],
        **window,
    )
    headers = out["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/cbor"
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    start = window["StartTime"].replace(second=0, microsecond=0)
    [point] = out["Datapoints"]
    assert point["Timestamp"] == start and point["SampleCount"] == CALLS + 1
    assert point["Average"] > 0 and point["Unit"] == "Microseconds"
    listed = cw.list_metrics(Namespace="AWS/SageMaker", MetricName="Invocations")
    assert listed["Metrics"] == [
        {"Namespace": "AWS/SageMaker", "MetricName": "Invocations", "Dimensions": ENDPOINT}
    ]
    with pytest.raises(ClientError) as caught:
        cw.get_metric_statistics(
            Namespace="AWS/SageMaker",
            MetricName="Invocations",
            Period=90,
            Statistics=["Sum"],
            **window,
        )
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidParameterValue",
        "The parameter Period must be a multiple of 60.",
    )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
