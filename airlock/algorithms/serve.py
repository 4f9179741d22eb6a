"""The built-in XGBoost model server, as SageMaker's `sagemaker-xgboost` container serves.

Run as one instance of an endpoint's variant:
`python -m airlock.algorithms.serve --port P --model-dir DIR`. `GET /ping` answers
200 once the model is loaded; `POST /invocations` takes `text/csv` (rows of
features, no header, no label), `text/libsvm` or `application/json` and answers
in the `Accept` type (default: the request's type, CSV for libsvm). A prediction
per row: comma-joined on one line for single values (`multi:softmax` class ids,
regression scores), one line per row of comma-joined values for `multi:softprob`.
A request the model cannot take is answered 400 with the reason, as the container
answers a client error.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODEL_FILE = "xgboost-model"


class BadRequest(Exception):
    """The request cannot be scored; the message says why."""


def parse_rows(body: bytes, content_type: str) -> Any:
    """A float matrix of the request's rows."""
    import numpy as np

    kind = content_type.split(";", 1)[0].strip().lower()
    text = body.decode("utf-8", "replace").strip()
    if not text:
        raise BadRequest("The request has no rows.")
    if kind in ("text/csv", "text/plain", ""):
        try:
            rows = [[float(v) for v in line.split(",")] for line in text.splitlines() if line]
        except ValueError as error:
            raise BadRequest(f"Loading csv data failed: {error}") from error
        return _matrix(rows)
    if kind == "application/json":
        try:
            document = json.loads(text)
        except ValueError as error:
            raise BadRequest(f"Loading json data failed: {error}") from error
        instances = document.get("instances", document) if isinstance(document, dict) else document
        if isinstance(instances, list) and instances and not isinstance(instances[0], list):
            instances = [i.get("features") if isinstance(i, dict) else i for i in instances]
            if instances and not isinstance(instances[0], list):
                instances = [instances]
        return _matrix(instances)
    if kind == "text/libsvm":
        table = []
        for line in text.splitlines():
            cells: dict[int, float] = {}
            for item in line.split():
                if ":" not in item:
                    continue  # a leading label
                index, _, value = item.partition(":")
                try:
                    cells[int(index)] = float(value)
                except ValueError as error:
                    raise BadRequest(f"Loading libsvm data failed: {item!r}") from error
            table.append(cells)
        width = max((max(c) + 1 for c in table if c), default=0)
        dense = np.full((len(table), width), np.nan)
        for number, found in enumerate(table):
            for column, cell in found.items():
                dense[number, column] = cell
        return dense
    raise BadRequest(
        f"Content type {content_type} is not supported: use text/csv, text/libsvm or "
        "application/json."
    )


def _matrix(rows: Any) -> Any:
    import numpy as np

    try:
        matrix = np.asarray(rows, dtype=float)
    except (TypeError, ValueError) as error:
        raise BadRequest(f"The rows are not numbers of one width: {error}") from error
    if matrix.ndim != 2:
        raise BadRequest("Expected rows of features.")
    return matrix


def encode(predictions: Any, accept: str) -> tuple[bytes, str]:
    """Predictions in the accepted type."""
    values = predictions.tolist()
    kind = accept.split(";", 1)[0].strip().lower()
    if kind == "application/json":
        return json.dumps({"predictions": [{"score": v} for v in values]}).encode(), kind
    if kind not in ("text/csv", "*/*", ""):
        raise BadRequest(
            f"Accept type {accept} is not supported: use text/csv or application/json."
        )
    if values and isinstance(values[0], list):
        text = "\n".join(",".join(_number(v) for v in row) for row in values)
    else:
        text = ",".join(_number(v) for v in values)
    return text.encode(), "text/csv"


def _number(value: float) -> str:
    return repr(float(value))


class Model:
    """The booster, its expected width, and a lock around prediction."""

    def __init__(self, model_dir: Path) -> None:
        import xgboost as xgb

        self.booster = xgb.Booster()
        self.booster.load_model(str(model_dir / MODEL_FILE))
        # One request's rows are few: a thread pool per prediction costs more than it
        # saves, and its spinning threads take the CPU other processes need.
        self.booster.set_param({"nthread": 1})
        self.width = self.booster.num_features()
        self.lock = threading.Lock()

    def predict(self, matrix: Any) -> Any:
        if matrix.shape[1] != self.width:
            raise BadRequest(
                f"Feature size of the rows ({matrix.shape[1]}) does not match the model's "
                f"({self.width})."
            )
        with self.lock:
            return self.booster.inplace_predict(matrix)


Score = Callable[[bytes, str, str], tuple[bytes, str]]


def http_handler(score: Score) -> type[BaseHTTPRequestHandler]:
    """The container's HTTP contract around `score(body, content type, accept)`.

    `GET /ping` answers 200; `POST /invocations` answers what `score` returns, 400
    with the reason for a BadRequest, and 500 with the error for anything else.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out at once, not held back for the client's delayed ACK.
        disable_nagle_algorithm = True
        wbufsize = -1

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def do_GET(self) -> None:
            self._send(200 if self.path == "/ping" else 404, b"", "text/plain")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/invocations":
                self._send(404, b"not found", "text/plain")
                return
            content_type = self.headers.get("Content-Type") or "text/csv"
            accept = self.headers.get("Accept") or ""
            if accept in ("", "*/*"):
                accept = "application/json" if "json" in content_type else "text/csv"
            try:
                payload, kind = score(body, content_type, accept)
            except BadRequest as error:
                self._send(400, str(error).encode(), "text/plain")
                return
            except Exception as error:
                traceback.print_exc()
                self._send(500, f"{type(error).__name__}: {error}".encode(), "text/plain")
                return
            self._send(200, payload, kind)

    return Handler


def serve(score: Score, port: int, what: str) -> None:
    """Answer on the loopback port until killed."""
    server = ThreadingHTTPServer(("127.0.0.1", port), http_handler(score))
    server.daemon_threads = True
    print(f"serving {what} on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The built-in XGBoost model server.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    # xgboost imports scikit-learn when it is installed; the server uses none of it.
    sys.modules.setdefault("sklearn", None)  # type: ignore[arg-type]
    try:
        model = Model(args.model_dir)
    except Exception as error:
        print(f"Could not load the model from {args.model_dir}: {error}", file=sys.stderr)
        return 2
    serve(
        lambda body, kind, accept: encode(model.predict(parse_rows(body, kind)), accept),
        args.port,
        str(args.model_dir),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
