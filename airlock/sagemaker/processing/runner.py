"""One run of a processing job: inputs down, the container's command, outputs up."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from airlock.s3.access import ObjectAccess, ObjectAccessError, parse_s3_url

from ..training import contract
from ..training.images import UnknownImage, mapped_command, repository_of
from ..training.process import supervise
from ..training.runner import (
    Interrupted,
    JobFailure,
    JobRunner,
    Stopped,
    append_log,
    job_access,
)
from .models import ProcessingJob

log = logging.getLogger("airlock.processing")

LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
PROCESSING_ROOT = "/opt/ml/processing/"
IMAGES = ("sagemaker-scikit-learn", "sagemaker-xgboost")
PYTHONS = ("python", "python3")
EXIT_MESSAGE_BYTES = 1024


def local_path(ml: Path, container_path: str) -> Path:
    """Where a path under /opt/ml lives in the job's folder."""
    return ml / container_path[len(contract.CONTAINER_ROOT) + 1 :]


class ProcessingRun:
    """One run of one processing job."""

    def __init__(self, platform: Any, job_id: int, shutdown: threading.Event) -> None:
        self.platform = platform
        self.job_id = job_id
        self.shutdown = shutdown
        with platform.db.write() as session:
            job = session.get(ProcessingJob, job_id)
            assert job is not None
            job.runs += 1
            self.spec = dict(job.spec)
            self.name, self.account, self.region, self.arn = (
                job.name,
                job.account_id,
                job.region,
                job.arn,
            )
            self.stopping = job.status == "Stopping"
        self.ml = platform.settings.state_dir / "jobs" / "processing" / self.account / self.name
        self.stream = f"{self.name}/{contract.HOST}-{int(time.time())}"
        self.tail: list[str] = []

    def _finish(self, status: str, **changes: Any) -> None:
        now = self.platform.clock.now()
        with self.platform.db.write() as session:
            job = session.get(ProcessingJob, self.job_id)
            assert job is not None
            job.status, job.ended_at, job.modified_at = status, now, now
            for key, value in changes.items():
                setattr(job, key, value)

    def _stop_requested(self) -> bool:
        with self.platform.db.read() as session:
            job = session.get(ProcessingJob, self.job_id)
            return job is None or job.stop_requested

    def _log(self, lines: list[str]) -> None:
        self.tail = (self.tail + lines)[-50:]
        append_log(self.platform, self.account, self.region, LOG_GROUP, self.stream, lines)

    def run(self) -> None:
        if self.stopping:
            self._finish("Stopped")
            return
        with self.platform.db.write() as session:
            job = session.get(ProcessingJob, self.job_id)
            assert job is not None
            job.started_at = self.platform.clock.now()
        try:
            command = self._command()
            access = job_access(self.platform, self.spec["RoleArn"], self.account, self.arn)
            self._prepare(access)
            self._process(command)
            self._upload(access)
            self._finish("Completed")
        except JobFailure as failure:
            self._log([f"Processing job failed: {failure}"])
            message = "\n".join(self.tail)[-EXIT_MESSAGE_BYTES:]
            self._finish("Failed", failure_reason=str(failure), exit_message=message or None)
        except Interrupted:
            log.info(
                "processing job %s interrupted by shutdown; it runs again on restart", self.name
            )

    def _command(self) -> list[str]:
        app = self.spec.get("AppSpecification") or {}
        image = app.get("ImageUri", "")
        try:
            mapped = mapped_command(image, self.platform.settings.images_file)
        except UnknownImage as error:
            raise JobFailure(f"ClientError: {error}") from error
        if repository_of(image) not in IMAGES and mapped is None:
            raise JobFailure(
                f"ClientError: Airlock has no local runtime for the image {image}. Processing "
                f"runs these images' Python: {', '.join(IMAGES)}; or map the image to a local "
                f"command in {self.platform.settings.images_file}."
            )
        entrypoint = app.get("ContainerEntrypoint") or list(mapped or ())
        command = [*entrypoint, *(app.get("ContainerArguments") or [])]
        if not command:
            raise JobFailure("ClientError: AppSpecification has no ContainerEntrypoint to run.")
        if mapped is None and os.path.basename(command[0]) in PYTHONS:
            command[0] = sys.executable  # the built-in images' Python is Airlock's
        return command

    def _prepare(self, access: ObjectAccess) -> None:
        contract.prepare(self.ml, {})
        for item in self.spec.get("ProcessingInputs") or []:
            source = item.get("S3Input")
            if source is None:
                raise JobFailure(
                    f"ClientError: input {item.get('InputName')}: only S3Input is supported."
                )
            target = local_path(self.ml, source["LocalPath"])
            target.mkdir(parents=True, exist_ok=True)
            try:
                files = access.download_prefix(parse_s3_url(source["S3Uri"]), target)
            except (ObjectAccessError, ValueError) as error:
                raise JobFailure(
                    f"ClientError: Data download failed for input {item.get('InputName')}: {error}"
                ) from error
            if not files:
                raise JobFailure(
                    f'ClientError: No S3 objects found under S3 URL "{source["S3Uri"]}" given '
                    f"in input {item.get('InputName')}."
                )
        for output in (self.spec.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
            local_path(self.ml, output["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)

    def _process(self, command: list[str]) -> None:
        full, root = contract.command(self.ml, tuple(command))
        if root != contract.CONTAINER_ROOT:
            self._log(
                [
                    "Airlock: private mount namespaces are refused here (unshare failed); "
                    f"/opt/ml in the command's arguments stands for {self.ml}."
                ]
            )
            full = [arg.replace(contract.CONTAINER_ROOT, str(self.ml)) for arg in full]
        env = {**os.environ, **(self.spec.get("Environment") or {})}
        limit = (self.spec.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 86400)
        outcome = supervise(
            full,
            env=env,
            cwd=None,
            max_seconds=float(limit),
            stop_requested=self._stop_requested,
            shutdown=self.shutdown,
            on_line=lambda line: None,
            on_batch=self._log,
        )
        if outcome.killed == "shutdown":
            raise Interrupted()
        if outcome.killed is not None:
            raise Stopped(outcome.killed)
        if outcome.returncode != 0:
            raise JobFailure(
                f"AlgorithmError: the processing command exited with status {outcome.returncode}; "
                "see the job's log for more information."
            )

    def _upload(self, access: ObjectAccess) -> None:
        for output in (self.spec.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
            s3 = output["S3Output"]
            folder = local_path(self.ml, s3["LocalPath"])
            base = s3["S3Uri"].rstrip("/")
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                url = f"{base}/{path.relative_to(folder).as_posix()}"
                try:
                    access.upload(path, parse_s3_url(url))
                except (ObjectAccessError, ValueError) as error:
                    raise JobFailure(
                        f"ClientError: Could not upload output {output['OutputName']} to {url}: "
                        f"{error}"
                    ) from error


def processing_runner(platform: Any) -> JobRunner:
    """The runner of processing jobs."""
    return JobRunner(platform, ProcessingJob, ProcessingRun, "airlock-processing")
