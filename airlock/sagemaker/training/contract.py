"""SageMaker's container contract in a folder: `/opt/ml` and the `SM_*` environment."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

HOST = "algo-1"
CONTAINER_ROOT = "/opt/ml"


def hosts_of(spec: dict[str, Any]) -> list[str]:
    """The hosts of a job: `algo-1` … `algo-<InstanceCount>`."""
    count = int((spec.get("ResourceConfig") or {}).get("InstanceCount") or 1)
    return [f"algo-{index}" for index in range(1, count + 1)]


def write_hosts_file(path: Path, hosts: list[str]) -> Path:
    """An /etc/hosts where every host of the job is this machine."""
    path.write_text("127.0.0.1 localhost " + " ".join(hosts) + "\n::1 localhost\n")
    return path


def prepare(
    ml: Path, spec: dict[str, Any], host: str = HOST, hosts: list[str] | None = None
) -> None:
    """The folder tree and config files of a job's host (emptied first: a rerun starts clean)."""
    if ml.exists():
        shutil.rmtree(ml)
    for folder in ("input/config", "input/data", "model", "output/data", "code", "checkpoints"):
        (ml / folder).mkdir(parents=True, exist_ok=True)
    config = ml / "input" / "config"
    hyperparameters = spec.get("HyperParameters") or {}
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    (config / "resourceconfig.json").write_text(
        json.dumps(
            {"current_host": host, "hosts": hosts or [host], "network_interface_name": "eth0"}
        )
    )
    channels = {
        channel["ChannelName"]: {
            "ContentType": channel.get("ContentType", ""),
            "TrainingInputMode": channel.get("InputMode")
            or (spec.get("AlgorithmSpecification") or {}).get("TrainingInputMode", "File"),
            "S3DistributionType": (channel.get("DataSource") or {})
            .get("S3DataSource", {})
            .get("S3DataDistributionType", "FullyReplicated"),
            "RecordWrapperType": channel.get("RecordWrapperType", "None"),
        }
        for channel in spec.get("InputDataConfig") or []
    }
    (config / "inputdataconfig.json").write_text(json.dumps(channels))


def environment(
    root: str,
    spec: dict[str, Any],
    job_name: str,
    host: str = HOST,
    hosts: list[str] | None = None,
) -> dict[str, str]:
    """The `SM_*` variables SageMaker's toolkits set, with `root` standing for `/opt/ml`."""
    hyperparameters = spec.get("HyperParameters") or {}
    channels = [c["ChannelName"] for c in spec.get("InputDataConfig") or []]
    env = {
        "SM_ML_ROOT": root,
        "SM_MODEL_DIR": f"{root}/model",
        "SM_INPUT_DIR": f"{root}/input",
        "SM_INPUT_CONFIG_DIR": f"{root}/input/config",
        "SM_OUTPUT_DIR": f"{root}/output",
        "SM_OUTPUT_DATA_DIR": f"{root}/output/data",
        "SM_CHANNELS": json.dumps(channels),
        "SM_HPS": json.dumps(hyperparameters),
        "SM_HOSTS": json.dumps(hosts or [host]),
        "SM_CURRENT_HOST": host,
        "SM_NUM_CPUS": str(os.cpu_count() or 1),
        "SM_NUM_GPUS": "0",
        "SM_LOG_LEVEL": "20",
        "SM_NETWORK_INTERFACE_NAME": "eth0",
        "TRAINING_JOB_NAME": job_name,
        **(spec.get("Environment") or {}),
    }
    for channel in channels:
        env[f"SM_CHANNEL_{channel.upper()}"] = f"{root}/input/data/{channel}"
    for name, value in hyperparameters.items():
        env[f"SM_HP_{name.upper()}"] = str(value)
    return env


@cache
def namespaces_work() -> bool:
    """Whether this process may make private mount namespaces (`unshare` as root)."""
    try:
        done = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "true"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def command(
    ml: Path, program: tuple[str, ...], workdir: str | None = None, hosts: Path | None = None
) -> tuple[list[str], str]:
    """The command that runs `program` with `ml` seen as `/opt/ml`, and the root it sees.

    In a private mount namespace a tmpfs covers `/opt` and the job folder is bound
    on `/opt/ml`, so the paths are exactly SageMaker's. Without namespaces the
    program runs with the `SM_*` paths pointing into the job folder instead.
    `workdir` is a folder under `/opt/ml` to start in (the caller maps it otherwise).
    `hosts` is bound on /etc/hosts, so the hosts of a multi-instance job resolve.
    """
    if namespaces_work():
        etc_hosts = f"mount --bind {shlex.quote(str(hosts))} /etc/hosts && " if hosts else ""
        script = (
            'mount -t tmpfs tmpfs /opt && mkdir -p /opt/ml && mount --bind "$0" /opt/ml '
            f'&& {etc_hosts}cd {workdir or "/"} && exec "$@"'
        )
        return (
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "--",
                "sh",
                "-c",
                script,
                str(ml),
                *program,
            ],
            CONTAINER_ROOT,
        )
    return list(program), str(ml)
