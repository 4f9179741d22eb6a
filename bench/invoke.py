"""Measure InvokeEndpoint: Airlock's gateway, the model server directly, and `mlflow models serve`.

Run: .venv/bin/python -m bench.invoke [--seconds 10] [--concurrency 8] [--no-mlflow]
Starts `airlock server` as its own process, deploys an XGBoost booster trained on
iris-like rows (CreateModel → CreateEndpointConfig → CreateEndpoint, timed to
InService), then for a fixed time with `--concurrency` client threads sends one
single-row CSV request after another:
(a) through the gateway: boto3 `sagemaker-runtime` InvokeEndpoint, SigV4, IAM
    authorization and routing;
(b) to the model-server process directly (`POST /invocations` on its port);
(c) to `mlflow models serve` on the same booster, installed into a virtualenv of its
    own ($TMPDIR/airlock-bench-mlflow) on first use.
Prints requests/s, p50 and p99 of each, and the ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airlock.examples.iris import booster_archive
from bench.common import sagemaker_role
from bench.signed import SignedConnection
from tests.sagemaker.test_endpoints import variant
from tests.sagemaker.test_training import iris_like
from tests.support import process_client, profile_keys, server_process, unused_port, wait_for

ROW = "5.0,3.4,1.5,0.2"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
MLFLOW_VENV = Path(os.environ.get("TMPDIR", "/tmp")) / "airlock-bench-mlflow"


def _booster() -> Any:
    import xgboost as xgb

    table = iris_like(150, 1)
    return xgb.train(
        {"objective": "multi:softmax", "num_class": 3, "max_depth": 3},
        xgb.DMatrix(table[:, 1:], label=table[:, 0]),
        20,
    )


def _drive(
    call: Callable[[Any], None], make: Callable[[], Any], seconds: float, threads: int
) -> dict[str, float]:
    """Run `call(client)` back to back in `threads` threads for `seconds`; the figures."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        client = make()
        mine = []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            call(client)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    began = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "n": float(len(latencies)),
    }


def _http_call(
    port: int, path: str, body: str, content_type: str
) -> tuple[Callable[[], Any], Callable[[Any], None]]:
    def make() -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(connection: http.client.HTTPConnection) -> None:
        connection.request("POST", path, body=body, headers={"Content-Type": content_type})
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise SystemExit(f"{path} on port {port} answered {answer.status}")

    return make, call


def _mlflow(booster: Any, workdir: Path, port: int) -> subprocess.Popen[bytes]:
    """`mlflow models serve` of the booster, from a virtualenv of its own."""
    python = MLFLOW_VENV / "bin" / "python"
    if not (MLFLOW_VENV / "bin" / "mlflow").exists():
        print(f"installing mlflow into {MLFLOW_VENV} (once)…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "mlflow", "xgboost-cpu", "pandas"],
            check=True,
        )
    model_file = workdir / "booster.ubj"
    booster.save_model(str(model_file))
    saved = workdir / "mlflow-model"
    subprocess.run(
        [
            str(python),
            "-c",
            "import sys, xgboost as xgb, mlflow.xgboost as m; b = xgb.Booster(); "
            "b.load_model(sys.argv[1]); m.save_model(b, sys.argv[2])",
            str(model_file),
            str(saved),
        ],
        check=True,
    )
    command = ["models", "serve", "-m", str(saved), "--env-manager", "local", "-p", str(port)]
    # mlflow starts uvicorn by name: the virtualenv's bin comes first on PATH.
    env = {**os.environ, "PATH": f"{MLFLOW_VENV / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.Popen(
        [str(MLFLOW_VENV / "bin" / "mlflow"), *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _answers(port: int, path: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--no-mlflow", action="store_true")
    args = parser.parse_args()
    booster = _booster()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        port = unused_port()
        with server_process(state, port):
            s3, iam, sm = (process_client(state, port, s) for s in ("s3", "iam", "sagemaker"))
            s3.create_bucket(Bucket="bench-models")
            s3.put_object(Bucket="bench-models", Key="m.tar.gz", Body=booster_archive(booster))
            role = sagemaker_role(iam, "Bench")
            sm.create_model(
                ModelName="bench",
                PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://bench-models/m.tar.gz"},
                ExecutionRoleArn=role,
            )
            sm.create_endpoint_config(
                EndpointConfigName="bench",
                ProductionVariants=[variant("bench")],
            )
            began = time.perf_counter()
            sm.create_endpoint(EndpointName="bench", EndpointConfigName="bench")
            wait_for(
                lambda: sm.describe_endpoint(EndpointName="bench")["EndpointStatus"] == "InService",
                timeout=120,
                interval=0.02,
                what="the endpoint to be InService",
            )
            in_service = time.perf_counter() - began

            def runtime() -> Any:
                return process_client(state, port, "sagemaker-runtime")

            def invoke(client: Any) -> None:
                client.invoke_endpoint(EndpointName="bench", ContentType="text/csv", Body=ROW)[
                    "Body"
                ].read()

            results["gateway (boto3)"] = _drive(invoke, runtime, args.seconds, args.concurrency)
            access_key, secret = profile_keys(state)

            def signed() -> SignedConnection:
                return SignedConnection(port, access_key, secret, "sagemaker")

            def invoke_signed(connection: SignedConnection) -> None:
                status, data = connection.post(
                    "/endpoints/bench/invocations", ROW.encode(), "text/csv"
                )
                if status != 200:
                    raise SystemExit(f"the gateway answered {status}: {data!r}")

            results["gateway"] = _drive(invoke_signed, signed, args.seconds, args.concurrency)
            log = next((state / "endpoints").rglob("instance-0.log")).read_text()
            direct = int(re.findall(r"127\.0\.0\.1:(\d+)", log)[-1])
            make, call = _http_call(direct, "/invocations", ROW, "text/csv")
            results["model server"] = _drive(call, make, args.seconds, args.concurrency)
        if not args.no_mlflow:
            mlflow_port = unused_port()
            process = _mlflow(booster, Path(tmp), mlflow_port)
            try:
                wait_for(lambda: _answers(mlflow_port, "/ping"), timeout=120, what="mlflow")
                body = json.dumps({"inputs": [[float(v) for v in ROW.split(",")]]})
                make, call = _http_call(mlflow_port, "/invocations", body, "application/json")
                results["mlflow serve"] = _drive(call, make, args.seconds, args.concurrency)
            finally:
                process.terminate()
                process.wait(timeout=30)
    print(f"CreateEndpoint → InService: {in_service:.2f} s")
    for name, figures in results.items():
        print(
            f"{name:>14}: {figures['rps']:8.1f} requests/s  p50 {figures['p50']:6.2f} ms  "
            f"p99 {figures['p99']:6.2f} ms  ({int(figures['n'])} requests)"
        )
    gateway = results["gateway"]["rps"]
    print(f"gateway / model server: {gateway / results['model server']['rps']:.2f}")
    if "mlflow serve" in results:
        print(f"gateway / mlflow serve: {gateway / results['mlflow serve']['rps']:.2f}")


if __name__ == "__main__":
    main()
