"""A server killed between accepting an event and delivering it delivers it after restart."""

from __future__ import annotations

import configparser
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx

from tests.events.receiver import receiver
from tests.support import free_socket, wait_for

BIN = Path(sys.executable).parent


@contextmanager
def server_process(state: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AIRLOCK_"))}
    process = subprocess.Popen(
        [str(BIN / "airlock"), "server", "--state-dir", str(state), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def ready() -> bool:
        assert process.poll() is None, "the server exited"
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return True
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, what="the server process to listen")
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def client(state: Path, port: int, service: str) -> Any:
    credentials = configparser.ConfigParser()
    credentials.read(state / "aws" / "credentials")
    section = credentials["default"]
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id=section["aws_access_key_id"],
        aws_secret_access_key=section["aws_secret_access_key"],
    )


def attempts(state: Path, event_id: str) -> int:
    with sqlite3.connect(state / "airlock.db") as db:
        row = db.execute(
            "SELECT d.attempts FROM events_deliveries d JOIN events_events e ON e.seq = d.event_seq"
            " WHERE e.id = ?",
            (event_id,),
        ).fetchone()
    return int(row[0]) if row else 0


def test_killed_server_delivers_after_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    sock, hook = free_socket(), free_socket()
    port, hook_port = sock.getsockname()[1], hook.getsockname()[1]
    sock.close()
    hook.close()  # nothing listens there until after the crash
    with server_process(state, port) as first:
        events = client(state, port, "events")
        connection = events.create_connection(
            Name="c",
            AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}},
        )
        destination = events.create_api_destination(
            Name="d",
            ConnectionArn=connection["ConnectionArn"],
            InvocationEndpoint=f"http://127.0.0.1:{hook_port}/hook",
            HttpMethod="POST",
        )
        events.put_rule(Name="r", EventPattern=json.dumps({"source": ["ml"]}))
        events.put_targets(Rule="r", Targets=[{"Id": "d", "Arn": destination["ApiDestinationArn"]}])
        answer = events.put_events(Entries=[{"Source": "ml", "DetailType": "t", "Detail": "{}"}])
        event_id = answer["Entries"][0]["EventId"]
        wait_for(lambda: attempts(state, event_id) >= 1, what="a failed first attempt")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    with receiver(hook_port) as endpoint, server_process(state, port):
        wait_for(lambda: endpoint.requests, what="the delivery after restart")
        delivered = json.loads(endpoint.requests[0].body)
        assert delivered["id"] == event_id
        assert endpoint.requests[0].headers["k"] == "v"
