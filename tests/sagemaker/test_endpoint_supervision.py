"""Endpoints stay up: a crashed instance is restarted, a restarted server serves again."""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

from airlock.platform.clock import ManualClock
from airlock.sagemaker.hosting.controller import HostingController
from airlock.sagemaker.hosting.fleet import FLEETS
from tests.sagemaker.test_endpoints import booster_archive, variant, wait_in_service
from tests.sagemaker.test_models import sagemaker_role
from tests.sagemaker.test_registry import IMAGE
from tests.support import LiveServer, live_server, wait_for

CANARY_WAIT = 300  # seconds; well inside the fifteen minutes a request's signature may be skewed


def deploy(server: LiveServer, instances: int) -> None:
    s3, sm = server.client("s3"), server.client("sagemaker")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="m.tar.gz", Body=booster_archive()[1])
    role = sagemaker_role(server, server.first_account_id(), "HostRole", ["models"])
    sm.create_model(
        ModelName="m",
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/m.tar.gz"},
        ExecutionRoleArn=role,
    )
    sm.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[variant("m", instances=instances)],
    )
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
    wait_in_service(sm, "e")


def invoke(server: LiveServer) -> str:
    answer = server.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="e", ContentType="text/csv", Body="5.0,3.4,1.5,0.2"
    )
    return str(answer["Body"].read().decode())


def instances(server: LiveServer) -> list[Any]:
    arn = server.client("sagemaker").describe_endpoint(EndpointName="e")["EndpointArn"]
    ((fleet, _),) = server.airlock.platform.runtime[FLEETS].serving(arn)
    return list(fleet.instances())


def test_a_crashed_instance_is_restarted_and_the_others_serve(server: LiveServer) -> None:
    deploy(server, 2)
    first, second = instances(server)
    before = invoke(server)
    assert first.process is not None
    pid = first.process.pid
    os.kill(pid, signal.SIGKILL)
    # While it is down every request goes to the other instance.
    for _ in range(20):
        assert invoke(server) == before
    wait_for(
        lambda: first.healthy and first.process is not None and first.process.pid != pid,
        timeout=60,
        what="the crashed instance to be restarted",
    )
    assert first.crashes == 1 and second.crashes == 0
    assert invoke(server) == before


def test_in_service_endpoints_serve_after_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with live_server(state) as server:
        deploy(server, 1)
        before = invoke(server)
    with live_server(state) as server:
        described = server.client("sagemaker").describe_endpoint(EndpointName="e")
        assert described["EndpointStatus"] == "InService"
        assert wait_for(lambda: _served(server), timeout=60, what="the endpoint to serve again")
        assert invoke(server) == before


def _served(server: LiveServer) -> bool:
    try:
        invoke(server)
        return True
    except Exception:
        return False


def _hosting(server: LiveServer) -> HostingController:
    (hosting,) = [
        loop
        for worker in server.airlock.workers
        for loop in getattr(worker, "workers", [worker])
        if isinstance(loop, HostingController)
    ]
    return hosting


def _stop_hosting(server: LiveServer) -> None:
    """Stop the hosting controller (and its fleets) as a crash would, the API still up."""
    _hosting(server).stop()


def _variants_served(server: LiveServer) -> set[str]:
    arn = server.client("sagemaker").describe_endpoint(EndpointName="e")["EndpointArn"]
    return {
        variant
        for fleet, _ in server.airlock.platform.runtime[FLEETS].serving(arn)
        for variant in fleet.variants
    }


def test_an_update_a_restart_interrupted_resumes_from_the_deployed_fleet(tmp_path: Path) -> None:
    state = tmp_path / "state"
    # The canary holds until the test moves the clock past its wait, however slow the host.
    clock = ManualClock()
    with live_server(state) as server:
        deploy(server, 1)
        sm = server.client("sagemaker")
        sm.create_endpoint_config(
            EndpointConfigName="green", ProductionVariants=[variant("m", name="Green")]
        )
        _stop_hosting(server)
        sm.update_endpoint(
            EndpointName="e",
            EndpointConfigName="green",
            DeploymentConfig={
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "CANARY",
                        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                        "WaitIntervalInSeconds": CANARY_WAIT,
                    },
                    "TerminationWaitInSeconds": 0,
                }
            },
        )
    with live_server(state, clock=clock) as server:
        sm = server.client("sagemaker")
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Updating"
        # The deployed fleet serves again (this process has restored it), and the new one
        # takes its canary share beside it.
        wait_for(
            lambda: _variants_served(server) == {"AllTraffic", "Green"},
            timeout=60,
            what="the canary",
        )
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Updating"
        clock.advance(timedelta(seconds=CANARY_WAIT))
        wait_in_service(sm, "e")
        described = sm.describe_endpoint(EndpointName="e")
        assert described["EndpointConfigName"] == "green"
        assert [v["VariantName"] for v in described["ProductionVariants"]] == ["Green"]
        answer = server.client("sagemaker-runtime").invoke_endpoint(
            EndpointName="e", ContentType="text/csv", Body="5.0,3.4,1.5,0.2"
        )
        assert answer["InvokedProductionVariant"] == "Green"


def test_a_capacity_change_a_restart_interrupted_completes(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with live_server(state) as server:
        deploy(server, 1)
        _stop_hosting(server)
        server.client("sagemaker").update_endpoint_weights_and_capacities(
            EndpointName="e",
            DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 2}],
        )
    with live_server(state) as server:
        sm = server.client("sagemaker")
        assert sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "Updating"
        wait_in_service(sm, "e")
        (described,) = sm.describe_endpoint(EndpointName="e")["ProductionVariants"]
        assert (described["CurrentInstanceCount"], described["DesiredInstanceCount"]) == (2, 2)
        assert len(instances(server)) == 2
        assert invoke(server)


def test_a_fleet_that_cannot_come_back_is_tried_again(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with live_server(state) as server:
        deploy(server, 1)
        before = invoke(server)
        archive = server.client("s3").get_object(Bucket="models", Key="m.tar.gz")["Body"].read()
        server.client("s3").delete_object(Bucket="models", Key="m.tar.gz")
    with live_server(state) as server:
        hosting = _hosting(server)
        wait_for(lambda: hosting.restore_after, timeout=60, what="the failed restore")
        assert not _served(server)
        server.client("s3").put_object(Bucket="models", Key="m.tar.gz", Body=archive)
        assert wait_for(lambda: _served(server), timeout=60, what="the endpoint to serve again")
        assert invoke(server) == before
        assert hosting.restore_after == {}
