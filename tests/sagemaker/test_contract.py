"""The container contract: /opt/ml as SageMaker lays it out, seen from inside a job."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from airlock.sagemaker.training import contract

SPEC = {
    "HyperParameters": {"num_round": "5", "eta": "0.2"},
    "InputDataConfig": [
        {"ChannelName": "train", "ContentType": "text/csv"},
        {"ChannelName": "validation", "ContentType": "text/csv"},
    ],
    "AlgorithmSpecification": {"TrainingInputMode": "File"},
}


def test_config_files_and_environment(tmp_path: Path) -> None:
    ml = tmp_path / "ml"
    contract.prepare(ml, SPEC)
    config = ml / "input" / "config"
    assert json.loads((config / "hyperparameters.json").read_text()) == SPEC["HyperParameters"]
    assert json.loads((config / "resourceconfig.json").read_text())["hosts"] == ["algo-1"]
    assert json.loads((config / "inputdataconfig.json").read_text())["train"] == {
        "ContentType": "text/csv",
        "TrainingInputMode": "File",
        "S3DistributionType": "FullyReplicated",
        "RecordWrapperType": "None",
    }
    for folder in ("model", "output/data", "code", "input/data"):
        assert (ml / folder).is_dir()
    env = contract.environment("/opt/ml", SPEC, "job-1")
    assert env["SM_MODEL_DIR"] == "/opt/ml/model"
    assert env["SM_CHANNEL_TRAIN"] == "/opt/ml/input/data/train"
    assert env["SM_CHANNEL_VALIDATION"] == "/opt/ml/input/data/validation"
    assert json.loads(env["SM_HPS"]) == {"num_round": "5", "eta": "0.2"}
    assert (env["SM_HP_ETA"], env["SM_CURRENT_HOST"], env["SM_HOSTS"]) == (
        "0.2",
        "algo-1",
        '["algo-1"]',
    )


def test_a_job_sees_its_folder_as_opt_ml(tmp_path: Path) -> None:
    ml = tmp_path / "ml"
    contract.prepare(ml, SPEC)
    (ml / "input" / "data" / "train").mkdir()
    (ml / "input" / "data" / "train" / "part.csv").write_text("1,2\n")
    program = ("sh", "-c", "cat /opt/ml/input/data/train/part.csv; echo done > /opt/ml/model/out")
    command, root = contract.command(ml, program)
    if root != contract.CONTAINER_ROOT:
        # Namespaces refused: the job runs with its SM_* paths in the folder instead.
        assert command == list(program)
        return
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1,2\n"
    assert (ml / "model" / "out").read_text() == "done\n", "writes land in the job's folder"
    assert not Path("/opt/ml/model/out").exists(), "the host's /opt is untouched"
