"""Images a user maps to local commands run under the same /opt/ml contract."""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sagemaker.test_endpoints import variant, wait_in_service
from tests.sagemaker.test_registry import error
from tests.sagemaker.test_training import finished, job_request, setup  # noqa: F401
from tests.support import LiveServer

MINE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-trainer:3"
TRAINER = """
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

model_dir = os.environ.get("SM_MODEL_DIR", "/opt/ml/model")
if sys.argv[1:] == ["serve"]:
    model = json.load(open(os.path.join(model_dir, "model.json")))

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status, body):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self.answer(200 if self.path == "/ping" else 404, b"{}")

        def do_POST(self):
            sent = self.rfile.read(int(self.headers["Content-Length"])).decode()
            if sent == "fail":
                self.answer(400, b"the model refuses fail")
                return
            self.answer(200, json.dumps({
                "argv": sys.argv[1:], "rows": model["rows"], "sent": sent,
                "greeting": os.environ.get("GREETING"),
            }).encode())

    HTTPServer(("127.0.0.1", int(os.environ["SAGEMAKER_BIND_TO_PORT"])), Handler).serve_forever()
ml = model_dir.rsplit("/", 1)[0]
rows = sum(1 for name in os.listdir(os.environ["SM_CHANNEL_TRAIN"])
           for _ in open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], name)))
hps = json.load(open(os.path.join(ml, "input", "config", "hyperparameters.json")))
print("trainer arguments:", sys.argv[1:])
with open(os.path.join(model_dir, "model.json"), "w") as out:
    json.dump({"argv": sys.argv[1:], "rows": rows, "depth": hps["max_depth"]}, out)
"""


def test_a_mapped_image_runs_its_command(
    setup: dict[str, Any],  # noqa: F811
    server: LiveServer,
    tmp_path: Path,
) -> None:
    sm, s3 = setup["sm"], setup["s3"]
    trainer = tmp_path / "trainer.py"
    trainer.write_text(TRAINER)
    images = server.settings.images_file
    images.write_text(json.dumps({"my-trainer": [sys.executable, str(trainer)]}))
    request = job_request("mapped", setup["role"])
    request["AlgorithmSpecification"]["TrainingImage"] = MINE
    sm.create_training_job(**request)
    job = finished(sm, "mapped")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    bucket, key = job["ModelArtifacts"]["S3ModelArtifacts"].removeprefix("s3://").split("/", 1)
    archive = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile("model.json")
        assert member is not None
        model = json.loads(member.read())
    assert model == {"argv": ["train"], "rows": 240, "depth": "3"}
    # The same image serves the model: its command with `serve`, on SAGEMAKER_BIND_TO_PORT.
    sm.create_model(
        ModelName="mine",
        PrimaryContainer={
            "Image": MINE,
            "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"],
            "Environment": {"GREETING": "hello"},
        },
        ExecutionRoleArn=setup["role"],
    )
    sm.create_endpoint_config(EndpointConfigName="mine", ProductionVariants=[variant("mine")])
    sm.create_endpoint(EndpointName="mine", EndpointConfigName="mine")
    wait_in_service(sm, "mine")
    runtime = server.client("sagemaker-runtime")
    answer = runtime.invoke_endpoint(EndpointName="mine", ContentType="text/csv", Body="1,2")
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    assert json.loads(answer["Body"].read()) == {
        "argv": ["serve"],
        "rows": 240,
        "sent": "1,2",
        "greeting": "hello",
    }
    with pytest.raises(ClientError) as caught:
        runtime.invoke_endpoint(EndpointName="mine", ContentType="text/csv", Body="fail")
    assert error(caught)[0] == "ModelError"
    assert "the model refuses fail" in error(caught)[1]


def test_a_broken_images_file_fails_the_job_clearly(
    setup: dict[str, Any],  # noqa: F811
    server: LiveServer,
) -> None:
    sm = setup["sm"]
    server.settings.images_file.write_text(json.dumps({"my-trainer": "trainer --fast"}))
    request = job_request("broken", setup["role"])
    request["AlgorithmSpecification"]["TrainingImage"] = MINE
    sm.create_training_job(**request)
    job = finished(sm, "broken")
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"] == (
        f"The images file {server.settings.images_file} maps my-trainer to 'trainer --fast': "
        "expected a list of strings (a command and its arguments)."
    )
    server.settings.images_file.write_text("{}")
    request = job_request("unmapped", setup["role"])
    request["AlgorithmSpecification"]["TrainingImage"] = MINE
    sm.create_training_job(**request)
    reason = finished(sm, "unmapped")["FailureReason"]
    assert reason.startswith(f"Airlock has no local runtime for the image {MINE}. Supported")
    assert reason.endswith(
        f"images mapped to local commands in the images file (--images) "
        f"({server.settings.images_file})."
    )
