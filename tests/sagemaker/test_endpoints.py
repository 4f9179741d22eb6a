"""Endpoints through boto3: a model served by model-server processes, invoked for real."""

from __future__ import annotations

import io
import json
import tarfile
import threading
import time
from datetime import timedelta
from functools import partial
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError

from airlock.core.http import HttpRequest, HttpResponse
from airlock.platform.clock import ManualClock
from tests.sagemaker.test_models import sagemaker_role
from tests.sagemaker.test_registry import IMAGE, error
from tests.sagemaker.test_training import iris_like
from tests.support import LiveServer, wait_for


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


def variant(model: str, name: str = "AllTraffic", instances: int = 1) -> dict[str, Any]:
    """A ProductionVariant of `model` on ml.m5.large instances."""
    return {
        "VariantName": name,
        "ModelName": model,
        "InitialInstanceCount": instances,
        "InstanceType": "ml.m5.large",
    }


def wait_in_service(sm: Any, endpoint: str) -> None:
    """Wait for the endpoint with boto3's own waiter."""
    sm.get_waiter("endpoint_in_service").wait(
        EndpointName=endpoint, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )


def create_hosted(server: LiveServer, name: str, archive: bytes) -> tuple[str, str]:
    """The archive in the `models` bucket, a model, `<name>-config` and an endpoint (Creating).

    Returns the model's role and the endpoint's ARN.
    """
    s3, sm = server.client("s3"), server.client("sagemaker")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key=f"{name}/model.tar.gz", Body=archive)
    role = sagemaker_role(server, server.first_account_id(), f"{name}-role", ["models"])
    sm.create_model(
        ModelName=name,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://models/{name}/model.tar.gz"},
        ExecutionRoleArn=role,
    )
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config", ProductionVariants=[variant(name)]
    )
    arn = sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    return role, str(arn["EndpointArn"])


@pytest.fixture
def server(clocked_server: LiveServer) -> LiveServer:
    """The module's server is on the test's clock, which the blue/green tests move past a
    traffic step's wait."""
    return clocked_server


@pytest.fixture
def hosted(server: LiveServer) -> dict[str, Any]:
    """A model, a config with one variant, and an endpoint waited InService."""
    s3, sm = server.client("s3"), server.client("sagemaker")
    booster, archive = booster_archive()
    role, arn = create_hosted(server, "iris", archive)
    assert sm.describe_endpoint(EndpointName="iris")["EndpointStatus"] == "Creating"
    wait_in_service(sm, "iris")
    return {
        "sm": sm,
        "s3": s3,
        "runtime": server.client("sagemaker-runtime"),
        "arn": arn,
        "booster": booster,
        "role": role,
    }


def test_endpoint_serves_the_model(hosted: dict[str, Any], server: LiveServer) -> None:
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
    # A failed invocation is in the audit trail; the ones that succeeded are not.
    recorded = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "InvokeEndpoint"}]
    )["Events"]
    assert [json.loads(e["CloudTrailEvent"])["errorCode"] for e in recorded] == ["ModelError"]

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


def test_list_endpoints_filters_sorts_and_pages(hosted: dict[str, Any]) -> None:
    sm = hosted["sm"]
    created = sm.describe_endpoint(EndpointName="iris")["CreationTime"]
    for name in ("iris-b", "other"):
        sm.create_endpoint(EndpointName=name, EndpointConfigName="iris-config")

    def names(**filters: Any) -> list[str]:
        return [e["EndpointName"] for e in sm.list_endpoints(**filters)["Endpoints"]]

    assert names() == ["other", "iris-b", "iris"]  # newest first
    assert names(SortBy="Name", SortOrder="Ascending") == ["iris", "iris-b", "other"]
    assert names(NameContains="IRIS", SortBy="Name") == ["iris-b", "iris"]
    assert names(CreationTimeAfter=created) == ["other", "iris-b"]
    paged = [
        e["EndpointName"]
        for page in sm.get_paginator("list_endpoints").paginate(
            SortBy="Name", SortOrder="Ascending", PaginationConfig={"PageSize": 2}
        )
        for e in page["Endpoints"]
    ]
    assert paged == ["iris", "iris-b", "other"]
    first = sm.list_endpoints(MaxResults=1, SortBy="Name", SortOrder="Ascending")
    assert [e["EndpointName"] for e in first["Endpoints"]] == ["iris"] and first["NextToken"]
    with pytest.raises(ClientError) as caught:
        sm.list_endpoints(NextToken="not-a-token")
    assert error(caught) == ("ValidationException", "Invalid pagination token.")
    for name in ("iris-b", "other"):
        wait_in_service(sm, name)
    assert names(StatusEquals="InService", SortBy="Name", SortOrder="Ascending") == [
        "iris",
        "iris-b",
        "other",
    ]
    assert names(StatusEquals="Failed") == []


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


def test_endpoints_and_configs_take_tags(hosted: dict[str, Any]) -> None:
    sm = hosted["sm"]
    config_arn = sm.describe_endpoint_config(EndpointConfigName="iris-config")["EndpointConfigArn"]
    endpoint_arn = hosted["arn"]
    for arn in (config_arn, endpoint_arn):
        assert sm.list_tags(ResourceArn=arn)["Tags"] == []
        sm.add_tags(
            ResourceArn=arn,
            Tags=[{"Key": "team", "Value": "ds"}, {"Key": "stage", "Value": "dev"}],
        )
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "staging"}])
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [
            {"Key": "stage", "Value": "staging"},
            {"Key": "team", "Value": "ds"},
        ]
        sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "staging"}]
    # Tags given at creation are the same tags AddTags and ListTags see.
    tagged = sm.create_endpoint_config(
        EndpointConfigName="Tagged-Config",
        ProductionVariants=[variant("iris")],
        Tags=[{"Key": "owner", "Value": "ml"}],
    )["EndpointConfigArn"]
    assert tagged.endswith(":endpoint-config/tagged-config")
    sm.add_tags(ResourceArn=tagged, Tags=[{"Key": "cost", "Value": "1"}])
    assert sm.list_tags(ResourceArn=tagged)["Tags"] == [
        {"Key": "cost", "Value": "1"},
        {"Key": "owner", "Value": "ml"},
    ]
    # A config made again under a deleted one's name starts untagged.
    sm.delete_endpoint_config(EndpointConfigName="Tagged-Config")
    with pytest.raises(ClientError) as caught:
        sm.list_tags(ResourceArn=tagged)
    assert error(caught) == ("ResourceNotFound", f"Resource {tagged} does not exist.")
    sm.create_endpoint_config(
        EndpointConfigName="Tagged-Config", ProductionVariants=[variant("iris")]
    )
    assert sm.list_tags(ResourceArn=tagged)["Tags"] == []
    missing = endpoint_arn.replace(":endpoint/iris", ":endpoint/missing")
    with pytest.raises(ClientError) as caught:
        sm.add_tags(ResourceArn=missing, Tags=[{"Key": "a", "Value": "b"}])
    assert error(caught) == ("ResourceNotFound", f"Resource {missing} does not exist.")


def steady_load(runtime: Any, stop: threading.Event, outcomes: list[tuple[float, str]]) -> None:
    """Invoke the endpoint back to back until stopped; record when each call began and its
    outcome (the variant that answered, or the error)."""
    while not stop.is_set():
        began = time.monotonic()
        try:
            answer = runtime.invoke_endpoint(
                EndpointName="iris", ContentType="text/csv", Body="5.0,3.4,1.5,0.2"
            )
            outcomes.append((began, answer["InvokedProductionVariant"]))
        except ClientError as caught:
            outcomes.append((began, "error:" + caught.response["Error"]["Code"]))


# Each traffic step's wait. The test moves the server's clock past it once both fleets
# have answered, so the step lasts as long as the test needs on any host. Two moves (the
# linear shift's) stay well inside the fifteen minutes a request's signature may be skewed.
STEP_WAIT = 120


@pytest.mark.parametrize(
    ("routing", "steps"),
    [
        ({"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}, 0),
        (
            {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                "WaitIntervalInSeconds": STEP_WAIT,
            },
            1,
        ),
        (
            {
                "Type": "LINEAR",
                "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 34},
                "WaitIntervalInSeconds": STEP_WAIT,
            },
            2,  # 34 % and 68 % wait; 100 % ends the shift
        ),
    ],
    ids=["all-at-once", "canary", "linear"],
)
def test_blue_green_update_under_load_fails_no_request(
    hosted: dict[str, Any],
    server: LiveServer,
    clock: ManualClock,
    routing: dict[str, Any],
    steps: int,
) -> None:
    sm = hosted["sm"]
    sm.create_endpoint_config(
        EndpointConfigName="iris-green",
        ProductionVariants=[variant("iris", name="Green", instances=2)],
    )
    stop, outcomes = threading.Event(), list[tuple[float, str]]()
    clients = [server.client("sagemaker-runtime") for _ in range(4)]
    load = [threading.Thread(target=steady_load, args=(c, stop, outcomes)) for c in clients]
    for thread in load:
        thread.start()
    try:
        wait_for(lambda: len(outcomes) > 20, timeout=30, what="the load to start")
        sm.update_endpoint(
            EndpointName="iris",
            EndpointConfigName="iris-green",
            DeploymentConfig={
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": routing,
                    "TerminationWaitInSeconds": 0,
                }
            },
        )
        updating = sm.describe_endpoint(EndpointName="iris")
        assert updating["EndpointStatus"] == "Updating"
        assert updating["PendingDeploymentSummary"]["EndpointConfigName"] == "iris-green"
        for step in range(steps):
            # While the step holds, both fleets take traffic and the update goes on.
            seen = len(outcomes)
            wait_for(
                partial(_both_answered, outcomes, seen),
                timeout=60,
                what=f"both fleets to answer in step {step + 1}",
            )
            assert sm.describe_endpoint(EndpointName="iris")["EndpointStatus"] == "Updating"
            clock.advance(timedelta(seconds=STEP_WAIT))
        wait_in_service(sm, "iris")
        in_service = time.monotonic()
        seen = len(outcomes)
        wait_for(lambda: len(outcomes) > seen + 20, timeout=30, what="requests after the update")
    finally:
        stop.set()
        for thread in load:
            thread.join()
    outcomes.sort()
    answers = [outcome for _, outcome in outcomes]
    errors_seen = [o for o in answers if o.startswith("error:")]
    assert errors_seen == [], f"{len(errors_seen)} of {len(answers)} requests failed"
    assert answers[0] == "AllTraffic"
    # Every call made once the update ended was answered by the new fleet.
    assert {o for began, o in outcomes if began > in_service} == {"Green"}
    described = sm.describe_endpoint(EndpointName="iris")
    assert described["EndpointConfigName"] == "iris-green"
    assert [v["VariantName"] for v in described["ProductionVariants"]] == ["Green"]
    assert (
        described["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"][
            "Type"
        ]
        == routing["Type"]
    )


def _both_answered(outcomes: list[tuple[float, str]], since: int) -> bool:
    """Whether the old fleet and the new each answered five of the calls from `since` on."""
    answers = [answer for _, answer in outcomes[since:]]
    return answers.count("AllTraffic") >= 5 and answers.count("Green") >= 5


def test_a_failed_update_rolls_back(hosted: dict[str, Any]) -> None:
    sm, s3 = hosted["sm"], hosted["s3"]
    s3.put_object(Bucket="models", Key="broken/model.tar.gz", Body=b"not a model archive")
    sm.create_model(
        ModelName="broken",
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/broken/model.tar.gz"},
        ExecutionRoleArn=hosted["role"],
    )
    sm.create_endpoint_config(
        EndpointConfigName="broken-config",
        ProductionVariants=[variant("broken", name="Broken")],
    )
    sm.update_endpoint(EndpointName="iris", EndpointConfigName="broken-config")

    def settled() -> dict[str, Any] | None:
        described = sm.describe_endpoint(EndpointName="iris")
        return described if described["EndpointStatus"] != "Updating" else None

    described = wait_for(settled, timeout=60, interval=0.2, what="the update to end")
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == "iris-config"
    assert described["FailureReason"].startswith("Update rolled back: Could not fetch the model")
    answer = hosted["runtime"].invoke_endpoint(
        EndpointName="iris", ContentType="text/csv", Body="5.0,3.4,1.5,0.2"
    )
    assert answer["InvokedProductionVariant"] == "AllTraffic"


def test_two_variants_weights_and_capacities(hosted: dict[str, Any]) -> None:
    sm, runtime = hosted["sm"], hosted["runtime"]
    variant = {"ModelName": "iris", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
    sm.create_endpoint_config(
        EndpointConfigName="ab",
        ProductionVariants=[
            dict(variant, VariantName="A", InitialVariantWeight=1.0),
            dict(variant, VariantName="B", InitialVariantWeight=0.0),
        ],
    )
    sm.create_endpoint(EndpointName="ab", EndpointConfigName="ab")
    wait_in_service(sm, "ab")

    def variants(count: int, **extra: str) -> set[str]:
        return {
            runtime.invoke_endpoint(
                EndpointName="ab", ContentType="text/csv", Body="5.0,3.4,1.5,0.2", **extra
            )["InvokedProductionVariant"]
            for _ in range(count)
        }

    assert variants(20) == {"A"}, "B has weight 0"
    assert variants(3, TargetVariant="B") == {"B"}
    with pytest.raises(ClientError) as caught:
        variants(1, TargetVariant="C")
    assert error(caught) == (
        "ValidationError",
        "Endpoint ab has no healthy instance of the variant C.",
    )
    sm.update_endpoint_weights_and_capacities(
        EndpointName="ab",
        DesiredWeightsAndCapacities=[
            {"VariantName": "A", "DesiredWeight": 0.0},
            {"VariantName": "B", "DesiredWeight": 1.0, "DesiredInstanceCount": 2},
        ],
    )
    assert sm.describe_endpoint(EndpointName="ab")["EndpointStatus"] == "Updating"
    wait_in_service(sm, "ab")
    described = {
        v["VariantName"]: v for v in sm.describe_endpoint(EndpointName="ab")["ProductionVariants"]
    }
    assert (described["B"]["CurrentWeight"], described["B"]["CurrentInstanceCount"]) == (1.0, 2)
    assert (described["A"]["CurrentWeight"], described["A"]["CurrentInstanceCount"]) == (0.0, 1)
    assert variants(20) == {"B"}


def test_state_change_events(hosted: dict[str, Any], server: LiveServer) -> None:
    from tests.events.test_delivery import log_messages

    sm, account = hosted["sm"], server.first_account_id()
    logs, events = server.client("logs"), server.client("events")
    logs.create_log_group(logGroupName="/endpoints")
    events.put_rule(
        Name="endpoint-changes",
        EventPattern=json.dumps(
            {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Endpoint State Change"]}
        ),
    )
    events.put_targets(
        Rule="endpoint-changes",
        Targets=[{"Id": "log", "Arn": f"arn:aws:logs:us-east-1:{account}:log-group:/endpoints"}],
    )
    sm.create_endpoint(EndpointName="watched", EndpointConfigName="iris-config")
    wait_in_service(sm, "watched")
    sm.delete_endpoint(EndpointName="watched")

    def three() -> list[dict[str, Any]] | None:
        found = [json.loads(m) for m in log_messages(logs, "/endpoints")]
        return found if len(found) >= 3 else None

    found = wait_for(three, timeout=30, interval=0.2, what="three endpoint events")
    # Delivery order is not promised: each status once.
    assert sorted(e["detail"]["EndpointStatus"] for e in found) == [
        "Creating",
        "Deleting",
        "InService",
    ]
    assert {e["detail-type"] for e in found} == {"SageMaker Endpoint State Change"}
    arn = f"arn:aws:sagemaker:us-east-1:{account}:endpoint/watched"
    assert all(e["resources"] == [arn] and e["detail"]["EndpointArn"] == arn for e in found)
    (served,) = [e for e in found if e["detail"]["EndpointStatus"] == "InService"]
    assert served["detail"]["ProductionVariants"][0]["CurrentInstanceCount"] == 1


def test_invocations_need_permission_and_only_refusals_are_audited(
    hosted: dict[str, Any], server: LiveServer
) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="analyst")
    keys = iam.create_access_key(UserName="analyst")["AccessKey"]
    analyst = server.client(
        "sagemaker-runtime", keys=(keys["AccessKeyId"], keys["SecretAccessKey"])
    )
    with pytest.raises(ClientError) as caught:
        analyst.invoke_endpoint(EndpointName="iris", ContentType="text/csv", Body="5,3,1,0")
    code, message = error(caught)
    assert code == "AccessDeniedException"
    assert "is not authorized to perform: sagemaker:InvokeEndpoint on resource: " in message
    assert hosted["arn"] in message
    iam.put_user_policy(
        UserName="analyst",
        PolicyName="invoke",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}
                ],
            }
        ),
    )
    for _ in range(3):  # the calls after the first are answered from what the server keeps
        answer = analyst.invoke_endpoint(
            EndpointName="iris", ContentType="text/csv", Body="5,3,1,0"
        )
        assert answer["InvokedProductionVariant"] == "AllTraffic"
    # InvokeEndpoint is a data event: as in CloudTrail, only the refusal was recorded.
    recorded = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "InvokeEndpoint"}]
    )["Events"]
    assert len(recorded) == 1
    assert json.loads(recorded[0]["CloudTrailEvent"])["errorCode"] == "AccessDeniedException"


def test_invocations_after_the_first_take_the_fast_lane(
    hosted: dict[str, Any], server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the caller and the endpoint are known, invocations skip the full path."""
    gateway = server.airlock.gateway
    full_path: list[str] = []
    handle = gateway.handle

    def counted(request: HttpRequest) -> HttpResponse:
        full_path.append(request.path)
        return handle(request)

    monkeypatch.setattr(gateway, "handle", counted)
    runtime = hosted["runtime"]
    for _ in range(6):
        answer = runtime.invoke_endpoint(
            EndpointName="iris", ContentType="text/csv", Body="5,3,1,0"
        )
        assert answer["InvokedProductionVariant"] == "AllTraffic"
    invocations = [p for p in full_path if p.endswith("/invocations")]
    # The first call fills the cache; a write committed meanwhile may send one more the
    # full way; the others are answered from memory.
    assert 1 <= len(invocations) <= 2, invocations


def test_a_change_applies_to_the_next_invocation(
    hosted: dict[str, Any], server: LiveServer
) -> None:
    """What the server keeps between invocations (keys, policies, the endpoint) is never stale."""
    iam, sm = server.client("iam"), hosted["sm"]
    iam.create_user(UserName="scorer")
    iam.attach_user_policy(
        UserName="scorer", PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
    )
    keys = iam.create_access_key(UserName="scorer")["AccessKey"]
    scorer = server.client("sagemaker-runtime", keys=(keys["AccessKeyId"], keys["SecretAccessKey"]))

    def invoke() -> str:
        answer = scorer.invoke_endpoint(EndpointName="iris", ContentType="text/csv", Body="5,3,1,0")
        return str(answer["InvokedProductionVariant"])

    assert [invoke() for _ in range(3)] == ["AllTraffic"] * 3
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="scorer", PolicyName="deny", PolicyDocument=json.dumps(deny))
    with pytest.raises(ClientError) as caught:
        invoke()
    code, message = error(caught)
    assert code == "AccessDeniedException"
    assert "with an explicit deny in an identity-based policy" in message
    iam.delete_user_policy(UserName="scorer", PolicyName="deny")
    assert invoke() == "AllTraffic"
    iam.update_access_key(UserName="scorer", AccessKeyId=keys["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as caught:
        invoke()
    assert error(caught)[0] == "UnrecognizedClientException"
    iam.update_access_key(UserName="scorer", AccessKeyId=keys["AccessKeyId"], Status="Active")
    assert invoke() == "AllTraffic"
    sm.delete_endpoint(EndpointName="iris")
    with pytest.raises(ClientError) as caught:
        invoke()
    code, message = error(caught)
    assert code == "ValidationError"
    assert message == f"Endpoint iris of account {server.first_account_id()} not found."


def test_data_capture_writes_json_lines_in_the_sagemaker_layout(
    hosted: dict[str, Any], server: LiveServer
) -> None:
    sm, s3, runtime = hosted["sm"], hosted["s3"], hosted["runtime"]
    iam = server.client("iam")
    iam.put_role_policy(
        RoleName=hosted["role"].rsplit("/", 1)[1],
        PolicyName="capture",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "s3:PutObject",
                        "Resource": "arn:aws:s3:::models/capture/*",
                    }
                ],
            }
        ),
    )
    sm.create_endpoint_config(
        EndpointConfigName="captured",
        ProductionVariants=[variant("iris")],
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": "s3://models/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
    )
    sm.create_endpoint(EndpointName="watched", EndpointConfigName="captured")
    wait_in_service(sm, "watched")
    described = sm.describe_endpoint(EndpointName="watched")["DataCaptureConfig"]
    assert described["CaptureStatus"] == "Started"
    assert described["CurrentSamplingPercentage"] == 100
    answers = [
        runtime.invoke_endpoint(
            EndpointName="watched", ContentType="text/csv", Body=f"5.{i},3.4,1.5,0.2"
        )["Body"]
        .read()
        .decode()
        for i in range(3)
    ]

    def captured() -> list[dict[str, Any]] | None:
        keys = [
            o["Key"]
            for o in s3.list_objects_v2(Bucket="models", Prefix="capture/").get("Contents", [])
        ]
        lines = [
            json.loads(line)
            for key in keys
            for line in s3.get_object(Bucket="models", Key=key)["Body"].read().splitlines()
        ]
        return lines if len(lines) >= 3 else None

    lines = wait_for(captured, timeout=30, interval=0.3, what="three captured invocations")
    key = s3.list_objects_v2(Bucket="models", Prefix="capture/")["Contents"][0]["Key"]
    parts = key.split("/")
    assert parts[:3] == ["capture", "watched", "AllTraffic"]
    assert [len(p) for p in parts[3:7]] == [4, 2, 2, 2] and parts[-1].endswith(".jsonl")
    assert sorted(line["captureData"]["endpointInput"]["data"] for line in lines) == [
        f"5.{i},3.4,1.5,0.2" for i in range(3)
    ]
    first = lines[0]["captureData"]
    assert first["endpointInput"]["encoding"] == "CSV"
    assert first["endpointInput"]["mode"] == "INPUT"
    assert first["endpointOutput"]["mode"] == "OUTPUT"
    assert sorted(line["captureData"]["endpointOutput"]["data"] for line in lines) == sorted(
        answers
    )
    assert lines[0]["eventVersion"] == "0" and "eventId" in lines[0]["eventMetadata"]


def test_invocation_metrics_per_minute(hosted: dict[str, Any], server: LiveServer) -> None:
    from sqlalchemy import select

    from airlock.sagemaker.hosting.models import EndpointMetric

    runtime = hosted["runtime"]
    for _ in range(4):
        runtime.invoke_endpoint(EndpointName="iris", ContentType="text/csv", Body="5,3,1,0")
    with pytest.raises(ClientError):
        runtime.invoke_endpoint(EndpointName="iris", ContentType="text/csv", Body="5,3")

    def recorded() -> list[EndpointMetric] | None:
        with server.airlock.platform.db.read() as session:
            rows = list(session.scalars(select(EndpointMetric)).all())
            session.expunge_all()
        calls = sum(r.sum for r in rows if r.name == "Invocations")
        return rows if calls >= 5 else None

    rows = wait_for(recorded, timeout=30, interval=0.3, what="the invocation metrics")
    assert {(r.endpoint, r.variant) for r in rows} == {("iris", "AllTraffic")}
    # The calls may straddle a minute: add the minutes up.
    total = {name: sum(r.sum for r in rows if r.name == name) for name in {r.name for r in rows}}
    assert set(total) == {
        "Invocations",
        "Invocation4XXErrors",
        "Invocation5XXErrors",
        "ModelLatency",
        "OverheadLatency",
    }
    assert (total["Invocations"], total["Invocation4XXErrors"], total["Invocation5XXErrors"]) == (
        5,
        1,
        0,
    )
    latency = [r for r in rows if r.name == "ModelLatency"]
    assert sum(r.count for r in latency) == 5
    assert all(0 < r.minimum <= r.maximum for r in latency)

    # `airlock endpoints metrics` shows them per minute and variant.
    from typer.testing import CliRunner

    from airlock.cli.main import app

    where = ["--state-dir", str(server.settings.state_dir)]
    if server.settings.database_url:
        where += ["--database-url", server.settings.database_url]
    shown = CliRunner().invoke(
        app, ["endpoints", "metrics", "iris", *where], env={"COLUMNS": "250"}
    )
    assert shown.exit_code == 0, shown.output
    cells = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in shown.output.splitlines()
        if "AllTraffic" in line
    ]
    assert [int(row[2]) for row in cells] == [
        int(r.sum) for r in sorted(rows, key=lambda r: r.minute) if r.name == "Invocations"
    ]
    assert sum(int(row[3]) for row in cells) == 1 and sum(int(row[4]) for row in cells) == 0
    assert all(int(row[5]) > 0 and int(row[6]) >= int(row[5]) for row in cells)
    missing = CliRunner().invoke(app, ["endpoints", "metrics", "nope", *where])
    assert missing.exit_code == 1
    account = hosted["arn"].split(":")[4]
    assert (
        f"No endpoint 'nope' in account {account} (us-east-1), and no metrics of one in the "
        "last 60 minutes." in missing.output
    )
