"""Images a user maps to local commands run under the same /opt/ml contract."""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

from tests.sagemaker.test_training import finished, job_request, setup  # noqa: F401
from tests.support import LiveServer

MINE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-trainer:3"
TRAINER = """
import json, os, sys
ml = os.environ.get("SM_MODEL_DIR", "/opt/ml/model").rsplit("/", 1)[0]
rows = sum(1 for name in os.listdir(os.environ["SM_CHANNEL_TRAIN"])
           for _ in open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], name)))
hps = json.load(open(os.path.join(ml, "input", "config", "hyperparameters.json")))
print("trainer arguments:", sys.argv[1:])
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as out:
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
    # A model may name the mapped image too.
    sm.create_model(
        ModelName="mine", PrimaryContainer={"Image": MINE}, ExecutionRoleArn=setup["role"]
    )


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
