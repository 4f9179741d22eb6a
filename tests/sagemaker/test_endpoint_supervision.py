"""Endpoints stay up: a crashed instance is restarted, a restarted server serves again."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from airlock.sagemaker.hosting.fleet import FLEETS
from tests.sagemaker.test_endpoints import booster_archive, variant, wait_in_service
from tests.sagemaker.test_models import sagemaker_role
from tests.sagemaker.test_registry import IMAGE
from tests.support import LiveServer, live_server, wait_for


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
