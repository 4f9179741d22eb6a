"""A server killed between accepting an event and delivering it delivers it after restart."""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

from tests.events.receiver import receiver
from tests.support import free_socket, process_client, server_process, wait_for


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
        events = process_client(state, port, "events")
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


def test_failed_deliveries_on_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from airlock.cli.main import app
    from tests.support import live_server, refusing_port

    state = tmp_path / "state"
    with refusing_port() as dead_port, live_server(state) as server:
        events = server.client("events")
        connection = events.create_connection(
            Name="c",
            AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}},
        )
        destination = events.create_api_destination(
            Name="d",
            ConnectionArn=connection["ConnectionArn"],
            InvocationEndpoint=f"http://127.0.0.1:{dead_port}/",
            HttpMethod="POST",
        )
        events.put_rule(Name="doomed", EventPattern=json.dumps({"source": ["ml"]}))
        events.put_targets(
            Rule="doomed",
            Targets=[
                {
                    "Id": "d",
                    "Arn": destination["ApiDestinationArn"],
                    "RetryPolicy": {"MaximumRetryAttempts": 0},
                }
            ],
        )
        answer = events.put_events(Entries=[{"Source": "ml", "DetailType": "t", "Detail": "{}"}])
        event_id = answer["Entries"][0]["EventId"]
        runner = CliRunner()

        def listed() -> str | None:
            result = runner.invoke(
                app, ["events", "failed", "--state-dir", str(state)], env={"COLUMNS": "300"}
            )
            return result.output if event_id in result.output else None

        output = wait_for(listed, what="the failed delivery in the table")
    assert "doomed" in output and "RetriesExhausted: ConnectError" in output
