"""Measure EventBridge: PutEvents → target latency and PutEvents throughput.

Run: .venv/bin/python -m bench.events_latency [--events N]
Starts `airlock server` as its own process and a local HTTP endpoint behind an API
destination, then:
- latency: one event at a time, the time from calling PutEvents to the endpoint
  receiving the POST (p50, p99);
- throughput: batches of 10 entries from 4 client threads, accepted events per second
  (and how long the worker takes to deliver them all).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support import process_client, server_process, unused_port


class _Arrivals:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)


def _endpoint(arrivals: _Arrivals) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with arrivals.changed:
                arrivals.times[json.loads(body)["id"]] = time.perf_counter()
                arrivals.changed.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _wait(arrivals: _Arrivals, ids: set[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    with arrivals.changed:
        while not ids <= arrivals.times.keys():
            left = deadline - time.monotonic()
            if left <= 0:
                raise SystemExit(f"{len(ids - arrivals.times.keys())} events never arrived")
            arrivals.changed.wait(left)


def main() -> None:
    """Set up a rule with an API destination target; time single events, then batches."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200, help="events timed one at a time")
    parser.add_argument("--batch-events", type=int, default=2000, help="events sent in batches")
    args = parser.parse_args()
    arrivals = _Arrivals()
    endpoint = _endpoint(arrivals)
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        port = unused_port()
        with server_process(state, port):
            _run(args, arrivals, endpoint, state, port)
    endpoint.shutdown()


def _run(
    args: argparse.Namespace,
    arrivals: _Arrivals,
    endpoint: ThreadingHTTPServer,
    state: Path,
    port: int,
) -> None:
    events = process_client(state, port, "events")
    connection = events.create_connection(
        Name="bench",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}},
    )
    destination = events.create_api_destination(
        Name="bench",
        ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint=f"http://127.0.0.1:{endpoint.server_address[1]}/",
        HttpMethod="POST",
    )
    events.put_rule(Name="bench", EventPattern=json.dumps({"source": ["bench"]}))
    events.put_targets(Rule="bench", Targets=[{"Id": "d", "Arn": destination["ApiDestinationArn"]}])
    entry = {"Source": "bench", "DetailType": "tick", "Detail": '{"n": 1}'}
    samples = []
    for _ in range(args.events):
        started = time.perf_counter()
        event_id = events.put_events(Entries=[entry])["Entries"][0]["EventId"]
        _wait(arrivals, {event_id})
        samples.append((arrivals.times[event_id] - started) * 1000)
    samples.sort()

    clients = [process_client(state, port, "events") for _ in range(4)]
    batches = args.batch_events // 10

    def send(index: int) -> list[str]:
        answer = clients[index % 4].put_events(Entries=[entry] * 10)
        return [e["EventId"] for e in answer["Entries"]]

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        ids = {i for chunk in pool.map(send, range(batches)) for i in chunk}
    accepted = time.perf_counter() - started
    _wait(arrivals, ids)
    delivered = time.perf_counter() - started
    print(f"latency, PutEvents call to the endpoint's POST ({args.events} events, one at a time):")
    p99 = samples[int(len(samples) * 0.99) - 1]
    print(f"  p50 {statistics.median(samples):.1f} ms, p99 {p99:.1f} ms, max {samples[-1]:.1f} ms")
    print(f"throughput: {len(ids)} events in batches of 10 from 4 clients")
    print(f"  accepted: {len(ids) / accepted:.0f} events/s")
    print(
        f"  all delivered after {delivered:.1f} s ({len(ids) / delivered:.0f} events/s end to end)"
    )


if __name__ == "__main__":
    main()
